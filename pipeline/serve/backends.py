"""Text generation behind one interface, three ways:

- `LlamaCppBackend` (default): llama-cpp-python on the CPU, base GGUF plus an optional LoRA
  GGUF adapter. What we serve and what `postmortem eval` measures.
- `TransformersBackend`: transformers + peft, for a GPU (or as the plain-`generate` baseline
  in `bench/answer.py`).
- `OpenAIBackend`: any OpenAI-compatible server (vLLM, TGI, llama.cpp's server) through the
  `openai` client, for teams that outgrow one machine.

All take a raw prompt (the `pipeline.learn.dataset` format the adapters are trained on, not a chat
template) and stream text pieces: `stream()` yields them, `complete()` calls `on_token` with
each and returns the whole text. Loaded models are cached per process, so building a
backend twice for the same files reuses the weights."""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from pipeline import settings

# A trained adapter ends its answer with EOS; the base model may go on to invent the next
# section of the prompt format instead, so that is where an answer stops too.
STOP = ["\n###", "\n\n\n"]


class BackendError(RuntimeError):
    """A backend could not be built or could not answer (message is user-facing)."""


class Backend:
    name: str = "backend"

    def stream(self, prompt: str, *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        raise NotImplementedError

    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        on_token: Callable[[str], None] | None = None,
        stop: list[str] | None = None,
    ) -> str:
        pieces = []
        for piece in self.stream(prompt, max_tokens=max_tokens, stop=stop):
            pieces.append(piece)
            if on_token is not None:
                on_token(piece)
        return "".join(pieces)

    def complete_json(self, prompt: str, schema: dict, *, max_tokens: int) -> str:
        """Text meant to be one JSON object of `schema`: constrained to it where the backend
        can; here, asked for and read leniently by the caller."""
        return self.complete(prompt, max_tokens=max_tokens)


# -- llama.cpp -------------------------------------------------------------------------------


def free_cores() -> int:
    """Cores no other process is running on right now (at least 1): the cores minus the
    other runnable tasks in /proc/loadavg. POSTMORTEM_LLAMA_THREADS overrides it.

    llama.cpp's threads meet at a barrier at every step, so one thread on a core another
    process holds stalls them all: measured on 2 cores busy with other work, 2 threads
    processed prompts at ~30 tokens/s and generated 0.6-16 tokens/s, 1 thread ~100 and ~50."""
    cores = os.cpu_count() or 1
    if settings.get("llama_threads"):
        return max(1, int(settings.get("llama_threads")))
    try:
        running = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):  # not Linux: assume the machine is ours
        return cores
    others = max(0, running - 1)  # the reading thread itself is running
    return max(1, min(cores, cores - others))


def serving_gguf(path: Path) -> Path:
    """The GGUF we actually load for `path`: for a 4-bit file, a Q8_0 copy of the same
    weights, written once into the cache. Measured on these CPUs with the embedded
    SmolLM2 Q4_1: prompt processing ~310 vs ~160 tokens/s, generation ~90 vs ~77 tokens/s.
    The copy re-quantizes the 4-bit values, which 8 bits hold closely but not exactly: greedy
    answers matched the 4-bit file's on 4 of 8 sample prompts (48 tokens) and drifted after a
    few words on the others. `postmortem eval` measures this served file, and LoRA adapters
    apply to it unchanged. POSTMORTEM_SERVE_QUANT=keep serves the file as it is."""
    import ctypes

    import llama_cpp

    from pipeline.learn.base_model import cache_root

    if settings.get("serve_quant", "q8_0") == "keep":
        return path
    target = cache_root() / "serving" / f"{path.stem}-{path.stat().st_size}-q8_0.gguf"
    if target.is_file():
        return target
    if not _is_4bit(str(path)):
        return path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    params.allow_requantize = True
    if llama_cpp.llama_model_quantize(str(path).encode(), str(tmp).encode(), ctypes.byref(params)) != 0:
        tmp.unlink(missing_ok=True)
        return path  # serve the original rather than fail
    tmp.replace(target)  # a reader never sees a half-written file
    return target


@lru_cache(maxsize=8)
def _is_4bit(path: str) -> bool:
    """From the GGUF header (reading it takes a few seconds, hence the cache)."""
    import gguf

    reader = gguf.GGUFReader(path)
    field = reader.fields.get("general.file_type")
    if field is None:
        return False
    file_type = int(field.parts[field.data[0]][0])
    four_bit = {gguf.LlamaFileType.MOSTLY_Q4_0, gguf.LlamaFileType.MOSTLY_Q4_1, gguf.LlamaFileType.MOSTLY_Q4_K_S,
                gguf.LlamaFileType.MOSTLY_Q4_K_M}
    return file_type in {int(t) for t in four_bit}


class LlamaCppBackend(Backend):
    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        lora_path: str | os.PathLike | None = None,
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
    ):
        from pipeline.embedded import embedded_gguf_path

        model_path = Path(model_path) if model_path else embedded_gguf_path()
        for path in (model_path, lora_path):
            if path and not Path(path).is_file():
                raise BackendError(f"model file not found: {path}")
        self.model_path = str(model_path)
        self.lora_path = str(lora_path) if lora_path else None
        self.name = Path(self.model_path).stem + ("+lora" if self.lora_path else "")
        self.fixed_threads = n_threads
        self.llm, self._lock = _load_llama(str(serving_gguf(model_path)), self.lora_path, n_ctx)

    def stream(self, prompt: str, *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        from llama_cpp import llama_set_n_threads

        # llama.cpp keeps one KV cache per model: one generation at a time. Prompts that start
        # alike (the fixed instructions) reuse the cached prefix instead of re-reading it.
        with self._lock:
            threads = self.fixed_threads or free_cores()
            llama_set_n_threads(self.llm.ctx, threads, threads)
            chunks = self.llm.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=0.0,  # greedy: the same question gets the same answer
                repeat_penalty=1.1,  # a 135M model loops without it
                stop=STOP if stop is None else stop,
                stream=True,
            )
            for chunk in chunks:
                text = chunk["choices"][0]["text"]
                if text:
                    yield text

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False))

    def complete_json(self, prompt: str, schema: dict, *, max_tokens: int) -> str:
        import json

        from llama_cpp import LlamaGrammar, llama_set_n_threads

        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        with self._lock:
            threads = self.fixed_threads or free_cores()
            llama_set_n_threads(self.llm.ctx, threads, threads)
            try:
                out = self.llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, grammar=grammar)
            except ValueError as exc:  # llama.cpp's "requested tokens exceed context window"
                raise BackendError(str(exc)) from exc
        return out["choices"][0]["text"]


@lru_cache(maxsize=4)
def _load_llama(model_path: str, lora_path: str | None, n_ctx: int):
    from llama_cpp import Llama

    try:
        # Threads are set again before each generation, from the cores free at that moment.
        # Flash attention: measured ~25% faster prompts and ~30% faster generation here.
        llm = Llama(model_path=model_path, lora_path=lora_path, n_ctx=n_ctx, flash_attn=True, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise BackendError(f"llama.cpp could not load {model_path} (adapter {lora_path}): {exc}") from exc
    # Freed while llama_cpp is still whole: left to the garbage collector at interpreter exit,
    # its own free function is already gone and every run ended on a TypeError traceback.
    atexit.register(llm.close)
    return llm, threading.Lock()


# -- transformers + peft ---------------------------------------------------------------------


class TransformersBackend(Backend):
    """transformers `generate`, streaming through TextIteratorStreamer. On CUDA in bf16, on
    the CPU in fp32 (bf16 matmuls are ~30x slower on these CPUs)."""

    def __init__(self, base_model: str | None = None, adapter_path: str | None = None, *, device: str | None = None):
        import torch

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if adapter_path and not Path(adapter_path).is_dir():
            raise BackendError(f"adapter folder not found: {adapter_path}")
        self.name = f"transformers:{base_model or 'embedded'}" + ("+lora" if adapter_path else "")
        self.model, self.tokenizer, self._lock = _load_transformers(base_model, adapter_path, self.device)

    def stream(self, prompt: str, *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        stop = STOP if stop is None else stop
        with self._lock:
            inputs = self.tokenizer(prompt, return_tensors="pt").to(self.device)
            streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
            kwargs = dict(
                **inputs,
                max_new_tokens=max_tokens,
                do_sample=False,
                repetition_penalty=1.1,
                streamer=streamer,
                stop_strings=stop or None,
                tokenizer=self.tokenizer,
                pad_token_id=self.tokenizer.pad_token_id,
            )
            errors: list[BaseException] = []

            def run():
                try:
                    with torch.inference_mode():
                        self.model.generate(**kwargs)
                except BaseException as exc:  # surfaced in the caller's thread below
                    errors.append(exc)
                    streamer.end()

            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            yield from _cut_at_stop(streamer, stop)
            worker.join()
            if errors:
                raise BackendError(f"generation failed: {errors[0]}") from errors[0]


@lru_cache(maxsize=2)
def _load_transformers(base_model: str | None, adapter_path: str | None, device: str):
    import torch

    from pipeline.learn.base_model import load_tokenizer, resolve
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(resolve(base_model), dtype=dtype)
    if adapter_path:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter_path)
    model.to(device).eval()
    return model, load_tokenizer(base_model), threading.Lock()


# -- OpenAI-compatible HTTP ------------------------------------------------------------------


class OpenAIBackend(Backend):
    """A completions endpoint (`/v1/completions`): the prompt format is ours, so the server
    must not wrap it in a chat template."""

    def __init__(self, endpoint: str, model: str, *, api_key: str | None = None, timeout: float = 60.0):
        from openai import OpenAI

        self.name = f"openai:{model}"
        self.model = model
        self.client = OpenAI(
            base_url=endpoint,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "unused",
            timeout=timeout,
            max_retries=2,
        )

    def stream(self, prompt: str, *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        import openai

        try:
            chunks = self.client.completions.create(
                model=self.model,
                prompt=prompt,
                max_tokens=max_tokens,
                temperature=0.0,
                stop=(STOP if stop is None else stop)[:4] or None,  # the API takes at most 4
                stream=True,
            )
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].text:
                    yield chunk.choices[0].text
        except openai.APIError as exc:
            raise BackendError(f"the model endpoint failed: {exc}") from exc

    def complete_json(self, prompt: str, schema: dict, *, max_tokens: int) -> str:
        import openai

        try:
            # vLLM's guided decoding; a server that doesn't know the field answers 400, and is
            # then asked without it.
            out = self.client.completions.create(
                model=self.model, prompt=prompt, max_tokens=max_tokens, temperature=0.0, extra_body={"guided_json": schema}
            )
        except openai.BadRequestError:
            return self.complete(prompt, max_tokens=max_tokens)
        except openai.APIError as exc:
            raise BackendError(f"the model endpoint failed: {exc}") from exc
        return out.choices[0].text if out.choices else ""


# -- choosing one ----------------------------------------------------------------------------


@dataclass
class BackendConfig:
    """How answers are generated; the fields are the `ask` flags."""

    backend: str = "llamacpp"  # llamacpp / transformers / openai
    endpoint: str | None = None  # openai: base URL, e.g. http://vllm:8000/v1
    model_name: str | None = None  # openai: the served model name

    @classmethod
    def from_env(cls) -> "BackendConfig":
        return cls(
            backend=settings.get("backend", cls.backend),
            endpoint=settings.get("endpoint"),
            model_name=settings.get("model_name"),
        )


def _llamacpp(config: BackendConfig, model: dict | None) -> Backend:
    return _named(LlamaCppBackend(_gguf_base(model), (model or {}).get("gguf_adapter_path") or None), model)


def _transformers(config: BackendConfig, model: dict | None) -> Backend:
    backend = TransformersBackend((model or {}).get("base_model"), (model or {}).get("adapter_path") or None)
    return _named(backend, model)


def _named(backend: Backend, model: dict | None) -> Backend:
    """A backend serving a registered model's adapter answers under the model's name."""
    if model:
        backend.name = model["name"]
    return backend


def _openai(config: BackendConfig, model: dict | None) -> Backend:
    if not config.endpoint or not config.model_name:
        raise BackendError("the openai backend needs --endpoint and --model-name")
    return OpenAIBackend(config.endpoint, config.model_name)


# The backend registry: name -> how it is built for a registry row (or None: the base model).
# `ask --backend` and $POSTMORTEM_BACKEND choose among these; a new backend is one entry.
BACKENDS: dict[str, Callable[[BackendConfig, "dict | None"], Backend]] = {
    "llamacpp": _llamacpp,
    "transformers": _transformers,
    "openai": _openai,
}


def build_backend(config: BackendConfig, model: dict | None) -> Backend:
    """The backend for a registry row (`models` table) or, with None, the base model."""
    make = BACKENDS.get(config.backend)
    if make is None:
        raise BackendError(f"unknown backend {config.backend!r}: {', '.join(BACKENDS)}")
    return make(config, model)


def _gguf_base(model: dict | None) -> Path:
    from pipeline.learn.base_model import gguf_of

    base = gguf_of((model or {}).get("base_model"))
    if base is None:
        raise BackendError(
            f"the llamacpp backend needs a GGUF base model; {model['base_model']!r} is not one "
            "(use --backend transformers)"
        )
    return base


def _cut_at_stop(pieces: Iterator[str], stop: list[str]) -> Iterator[str]:
    """Yield streamed text up to the first stop string, holding back only what could still
    turn out to be the start of one."""
    held = ""
    longest = max((len(s) for s in stop), default=0)
    for piece in pieces:
        held += piece
        hits = [held.find(s) for s in stop if s in held]
        if hits:
            if min(hits):
                yield held[: min(hits)]
            return
        safe = len(held) - (longest - 1) if longest else len(held)
        if safe > 0:
            yield held[:safe]
            held = held[safe:]
    if held:
        yield held
