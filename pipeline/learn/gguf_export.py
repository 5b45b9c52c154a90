"""Write a peft LoRA adapter as a llama.cpp LoRA GGUF, with the `gguf` package alone, so
that llama.cpp serves it on top of the (quantized) base GGUF without merging."""

from __future__ import annotations

import json
from pathlib import Path

# peft module name -> llama.cpp tensor name (per block)
TENSOR_NAMES = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}
# Model types whose GGUF is llama.cpp's "llama" architecture (Mistral converts to it too).
LLAMA_FAMILY = {"llama", "mistral"}


class ExportError(RuntimeError):
    pass


def permute_rows(rows, n_head: int):
    """The per-head row order llama.cpp's converter gives llama q/k weights (rotary halves
    interleaved). A LoRA delta B@A has B's rows as output rows, so B gets the same order;
    without it the adapter loads but shifts the wrong q/k rows."""
    out_dim = rows.shape[0]
    return (
        rows.reshape(n_head, 2, out_dim // n_head // 2, *rows.shape[1:])
        .swapaxes(1, 2)
        .reshape(rows.shape)
    )


def export_lora_gguf(adapter_dir: str | Path, out_path: str | Path, model_config: dict) -> Path:
    """Convert `adapter_dir` (peft's adapter_config.json + adapter_model.safetensors) to a
    GGUF LoRA adapter at `out_path`. `model_config` is the base model's config as a dict
    (model_type, num_attention_heads, num_key_value_heads)."""
    import gguf
    import numpy as np
    from safetensors.torch import load_file

    adapter_dir, out_path = Path(adapter_dir), Path(out_path)
    model_type = model_config.get("model_type")
    if model_type not in LLAMA_FAMILY:
        raise ExportError(f"GGUF adapter export supports llama-family models, not {model_type!r}")
    n_head = model_config["num_attention_heads"]
    n_head_kv = model_config.get("num_key_value_heads") or n_head

    peft_config = json.loads((adapter_dir / "adapter_config.json").read_text())
    if peft_config.get("use_rslora") or peft_config.get("use_dora"):
        raise ExportError("rsLoRA/DoRA adapters have no llama.cpp GGUF form")
    # Through torch, not safetensors.numpy: a QLoRA run on CUDA (bf16 compute) saves its
    # adapter in bfloat16, a dtype numpy does not have.
    weights = load_file(str(adapter_dir / "adapter_model.safetensors"))

    tensors = {}
    for key, value in weights.items():
        # base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight
        parts = key.split(".")
        try:
            layer = int(parts[parts.index("layers") + 1])
        except (ValueError, IndexError):
            raise ExportError(f"unexpected adapter tensor {key}") from None
        module, which = parts[-3], parts[-2]
        if module not in TENSOR_NAMES or which not in ("lora_A", "lora_B"):
            raise ExportError(f"unexpected adapter tensor {key}")
        value = value.float().numpy()
        if which == "lora_B" and module == "q_proj":
            value = permute_rows(value, n_head)
        elif which == "lora_B" and module == "k_proj":
            value = permute_rows(value, n_head_kv)
        suffix = "lora_a" if which == "lora_A" else "lora_b"
        # peft's layouts are already llama.cpp's: A is (r, in), B is (out, r); no transpose.
        tensors[f"blk.{layer}.{TENSOR_NAMES[module]}.weight.{suffix}"] = np.ascontiguousarray(value)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(out_path.suffix + ".tmp")
    writer = gguf.GGUFWriter(str(tmp), arch="llama")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(peft_config["lora_alpha"]))
    for name in sorted(tensors, key=_tensor_order):
        writer.add_tensor(name, tensors[name])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out_path)  # a reader never sees a half-written adapter
    return out_path


def _tensor_order(name: str):
    _, layer, rest = name.split(".", 2)
    return int(layer), rest
