"""Fixtures for the retrieval, answering and evaluation tests: the real embedder, the real
llama.cpp model and a small real LoRA adapter, each built once per session."""

from __future__ import annotations

import json

import pytest

from storage import Database
from tests.pipeline.incidents import seed


@pytest.fixture(scope="session")
def embedder():
    from pipeline.serve.embed import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def base_backend():
    from pipeline.serve.backends import LlamaCppBackend

    return LlamaCppBackend()


@pytest.fixture
def incident_db(tmp_path, embedder):
    """A database with the hand-written incidents and its index."""
    from pipeline.serve.index import rebuild_index

    db = Database(tmp_path / "pm.db")
    seed(db)
    rebuild_index(db, embedder)
    yield db
    db.close()


@pytest.fixture(scope="session")
def tiny_adapter(tmp_path_factory):
    """A rank-2 LoRA on q_proj and v_proj of every layer of the embedded model, in peft's
    format and exported to a llama.cpp LoRA GGUF with the project's exporter: a real adapter
    without a training run. Its B matrices are small, so it nudges the base model."""
    import gguf
    import numpy as np
    from safetensors.numpy import save_file

    from pipeline.learn.gguf_export import export_lora_gguf
    from pipeline.embedded import embedded_gguf_path

    reader = gguf.GGUFReader(str(embedded_gguf_path()))

    def field(name):
        f = reader.fields[name]
        return int(f.parts[f.data[0]][0])

    layers, hidden = field("llama.block_count"), field("llama.embedding_length")
    heads, kv_heads = field("llama.attention.head_count"), field("llama.attention.head_count_kv")
    kv_dim = hidden // heads * kv_heads
    folder = tmp_path_factory.mktemp("adapter") / "final"
    folder.mkdir()
    rng = np.random.default_rng(0)
    tensors = {}
    for i in range(layers):
        for module, out_dim in (("q_proj", hidden), ("v_proj", kv_dim)):
            prefix = f"base_model.model.model.layers.{i}.self_attn.{module}"
            tensors[f"{prefix}.lora_A.weight"] = rng.normal(0, 0.02, (2, hidden)).astype(np.float32)
            tensors[f"{prefix}.lora_B.weight"] = rng.normal(0, 0.02, (out_dim, 2)).astype(np.float32)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(
        json.dumps({"r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "v_proj"], "peft_type": "LORA"})
    )
    config = {"model_type": "llama", "num_attention_heads": heads, "num_key_value_heads": kv_heads}
    return folder, export_lora_gguf(folder, folder / "adapter.gguf", config)


@pytest.fixture(scope="session")
def embedded_base():
    """The embedded SmolLM2 as a plain transformers folder. De-quantizing the GGUF costs ~25 s
    the first time; it is cached on disk (.cache/postmortem or $POSTMORTEM_CACHE) after that."""
    from pipeline.learn.base_model import resolve

    return resolve(None)


@pytest.fixture
def fake_openai():
    """A fake OpenAI-compatible completions server on loopback."""
    from tests.fakes.openai_server import FakeOpenAI

    with FakeOpenAI() as server:
        yield server
