"""Every POSTMORTEM_* environment variable in one table: its name, what it does, and where
its default lives. Read when asked, not at import, so a job or a test that sets one sees it.

Not here, on purpose: the database path (storage.default_db_path, since storage/ imports
nothing of ours), each connector's credentials (declared by the connector in
pipeline/ingest/extractors) and the Slack app's SLACK_* and POSTMORTEM_ADMINS (bot/settings.py,
which reads them from a mapping its tests hand it)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    env: str
    help: str


SETTINGS: dict[str, Setting] = {
    "config": Setting("POSTMORTEM_CONFIG", "the config file (default ./postmortem.toml)"),
    "cache": Setting("POSTMORTEM_CACHE", "de-quantized base models and served GGUF copies (default .cache/postmortem)"),
    "embedder": Setting("POSTMORTEM_EMBEDDER", "sentence-transformers model name or folder (default all-MiniLM-L6-v2)"),
    "backend": Setting("POSTMORTEM_BACKEND", "how answers are generated: llamacpp (default), transformers, openai"),
    "endpoint": Setting("POSTMORTEM_ENDPOINT", "openai backend: base URL of an OpenAI-compatible server"),
    "model_name": Setting("POSTMORTEM_MODEL_NAME", "openai backend: the served model name"),
    "structurer": Setting("POSTMORTEM_STRUCTURER", "`model`: the answering backend fills cause, fix, services and category, the parser is the fallback (default: parser)"),
    "llama_threads": Setting("POSTMORTEM_LLAMA_THREADS", "llama.cpp threads (default: the cores free at that moment)"),
    "serve_quant": Setting("POSTMORTEM_SERVE_QUANT", "`keep` serves a 4-bit base as it is (default: a cached Q8_0 copy)"),
    "gate_metric": Setting("POSTMORTEM_GATE_METRIC", "the retrain job's gate metric (default served_mean)"),
    "gate_margin": Setting("POSTMORTEM_GATE_MARGIN", "how much a candidate must beat the current model by (default 0)"),
    "gate_min_heldout": Setting("POSTMORTEM_GATE_MIN_HELDOUT", "fewer held-out incidents than this: no decision (default 20)"),
}


def get(name: str, default: str | None = None) -> str | None:
    """The variable's value when set and not blank, else `default`."""
    value = os.environ.get(SETTINGS[name].env, "").strip()
    return value or default
