"""Base models for training: the embedded SmolLM2 GGUF (de-quantized once, cached as plain
safetensors), any other GGUF file, a local transformers folder, or a hub model by name."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipeline import settings
from pipeline.embedded import EMBEDDED_LLM, ModelNotFound, embedded_gguf_path

EMBEDDED_ALIASES = {"", "embedded", EMBEDDED_LLM, f"HuggingFaceTB/{EMBEDDED_LLM}"}


def cache_root() -> Path:
    return Path(settings.get("cache", ".cache/postmortem"))


def is_embedded(name: str | None) -> bool:
    return name is None or name in EMBEDDED_ALIASES


def gguf_of(name: str | None) -> Path | None:
    """The GGUF file behind `name` (the embedded model or a .gguf path), else None."""
    if is_embedded(name):
        return embedded_gguf_path()
    if name.endswith(".gguf"):
        path = Path(name)
        if not path.is_file():
            raise ModelNotFound(f"no such GGUF file: {name}")
        return path
    return None


def resolve(name: str | None) -> str:
    """A path or hub id that `from_pretrained` loads as a plain (unquantized) checkpoint.
    GGUF models are de-quantized on first use and cached."""
    gguf_path = gguf_of(name)
    if gguf_path is not None:
        return str(dequantized(gguf_path))
    return name


def dequantized(gguf_path: Path) -> Path:
    """A folder with the GGUF's weights as fp32 safetensors plus its tokenizer. The first
    call de-quantizes (~25 s for SmolLM2-135M); later calls reload in under a second."""
    stat = gguf_path.stat()
    target = cache_root() / "dequantized" / f"{gguf_path.stem}-{stat.st_size}"
    if (target / "config.json").is_file() and (target / "tokenizer.json").is_file():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    folder, name = str(gguf_path.parent), gguf_path.name
    # Without dequantize=True the model stays marked quantized and cannot be saved or trained.
    model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=name, dtype=torch.float32, quantization_config=GgufConfig(dequantize=True)
    )
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    # Written beside the target and renamed, so a killed conversion leaves no half cache.
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    try:
        tmp.rename(target)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_tokenizer(name: str | None):
    from transformers import AutoTokenizer

    path = resolve(name)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except OSError as exc:
        raise ModelNotFound(_not_found(name, exc)) from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(name: str | None, *, quantize: bool, device: str):
    """The base causal LM, frozen. quantize=True: 4-bit NF4 with double quantization
    (QLoRA), computing in bf16 on CUDA and fp32 on the CPU, where bf16 matmuls are ~30x
    slower. Otherwise fp32 on the CPU, bf16 on CUDA."""
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    cuda = device == "cuda"
    compute = torch.bfloat16 if cuda else torch.float32
    kwargs = {"dtype": compute}
    if quantize:
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute,
        )
        kwargs["device_map"] = {"": 0} if cuda else {"": "cpu"}
    path = resolve(name)
    try:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except OSError as exc:
        raise ModelNotFound(_not_found(name, exc)) from exc
    if not quantize:
        model.to(device)
    model.config.use_cache = False  # no KV cache while training
    return model


def _not_found(name: str | None, exc: Exception) -> str:
    hint = ""
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        hint = " (HF_HUB_OFFLINE=1: hub models must already be in the local cache)"
    return f"base model {name!r} could not be loaded{hint}: {str(exc).splitlines()[0]}"
