"""The exported GGUF LoRA adapter, loaded by llama.cpp on top of the embedded Q4_1 base, moves
the logits the way the same adapter moves them in transformers + peft."""

import numpy as np
import pytest

from pipeline.learn.gguf_export import ExportError, export_lora_gguf, permute_rows

PROMPT = (
    "### Incident Context:\nPayments API connection pool exhaustion\n12:04 First errors\n\n"
    "### Question:\nWhat was the root cause?\n\n### Answer:\n"
)


def test_permute_rows_matches_llama_cpp_converter_order():
    # 2 heads of 4 rows: llama.cpp interleaves each head's two rotary halves.
    rows = np.arange(8)[:, None]
    assert permute_rows(rows, 2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def test_non_llama_models_are_refused(tmp_path):
    with pytest.raises(ExportError, match="llama-family"):
        export_lora_gguf(tmp_path, tmp_path / "a.gguf", {"model_type": "gpt2"})


def test_bf16_adapter_exports_as_its_fp32_values(tmp_path):
    """A QLoRA run on CUDA computes in bf16 and peft saves the adapter in bf16: the export
    reads it (numpy has no bfloat16) and writes the same fp32 tensors as for fp32 weights."""
    import json

    import gguf
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    prefix = "base_model.model.model.layers.0.self_attn"
    weights = {f"{prefix}.{m}.lora_{w}.weight": torch.randn(*shape).to(torch.bfloat16)
               for m in ("q_proj", "v_proj") for w, shape in (("A", (2, 8)), ("B", (8, 2)))}
    config = {"model_type": "llama", "num_attention_heads": 2, "num_key_value_heads": 2}
    read = {}
    for dtype in (torch.bfloat16, torch.float32):
        folder = tmp_path / str(dtype)
        folder.mkdir()
        (folder / "adapter_config.json").write_text(json.dumps({"lora_alpha": 32}))
        save_file({k: v.to(dtype) for k, v in weights.items()}, str(folder / "adapter_model.safetensors"))
        reader = gguf.GGUFReader(str(export_lora_gguf(folder, folder / "a.gguf", config)))
        read[dtype] = {t.name: np.array(t.data) for t in reader.tensors}
    assert sorted(read[torch.bfloat16]) == ["blk.0.attn_q.weight.lora_a", "blk.0.attn_q.weight.lora_b",
                                            "blk.0.attn_v.weight.lora_a", "blk.0.attn_v.weight.lora_b"]
    for name, value in read[torch.bfloat16].items():
        assert value.dtype == np.float32 and np.array_equal(value, read[torch.float32][name]), name
    v_b = weights[f"{prefix}.v_proj.lora_B.weight"].float().numpy()
    assert np.array_equal(read[torch.bfloat16]["blk.0.attn_v.weight.lora_b"].reshape(v_b.shape), v_b)


def test_llama_cpp_adapter_agrees_with_peft(tmp_path, embedded_base):
    import torch
    from llama_cpp import Llama
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from pipeline.embedded import embedded_gguf_path
    from pipeline.learn.train import LORA, LORA_TARGETS

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(embedded_base, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(embedded_base)
    model = get_peft_model(model, LoraConfig(target_modules=LORA_TARGETS, **LORA))
    # An adapter with an effect, without training: B is zero at init, so give it random
    # values on every projection (q and k included, where the row order matters).
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.1)
    model.save_pretrained(tmp_path)
    gguf_path = export_lora_gguf(tmp_path, tmp_path / "adapter.gguf", model.get_base_model().config.to_dict())

    ids = tokenizer(PROMPT)["input_ids"]
    model.eval()
    with torch.no_grad():
        hf_adapted = model(torch.tensor([ids])).logits[0, -1].numpy()
        with model.disable_adapter():
            hf_base = model(torch.tensor([ids])).logits[0, -1].numpy()

    def llama_logits(**kw):
        llm = Llama(model_path=str(embedded_gguf_path()), n_ctx=256, n_threads=2, n_threads_batch=2,
                    logits_all=True, verbose=False, **kw)
        llm.eval(ids)  # the same token ids as transformers: no tokenizer difference in play
        out = np.array(llm.scores[len(ids) - 1], dtype=np.float32)
        llm.close()
        return out

    cpp_base = llama_logits()
    cpp_adapted = llama_logits(lora_path=str(gguf_path))

    def corr(a, b):
        return float(np.corrcoef(a, b)[0, 1])

    # The adapter does something, in both runtimes: here it even changes the top token.
    assert int(hf_adapted.argmax()) != int(hf_base.argmax())
    assert corr(cpp_adapted, cpp_base) < 0.95
    # And the same thing. Measured on this prompt: top token identical; correlation of the
    # adapted logits 0.9994 (the two runtimes' base logits: 0.9995, Q4_1 matmuls in llama.cpp
    # vs de-quantized fp32 weights in transformers); correlation of the adapter's effect
    # (adapted - base) 0.993. Exported without the q/k row permutation: 0.988 and 0.913.
    assert int(cpp_adapted.argmax()) == int(hf_adapted.argmax())
    assert corr(cpp_adapted, hf_adapted) > 0.998
    assert corr(cpp_adapted - cpp_base, hf_adapted - hf_base) > 0.97
