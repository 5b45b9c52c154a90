"""The FAISS vector index of live incidents, persisted beside the database.

`<db>.faiss` is a plain FAISS file (IndexIDMap2 over a flat inner-product index; ids are
incident row ids; vectors are L2-normalized, so scores are cosine similarities).
`<db>.faiss.json` records which embedder built it and each incident's content hash, so a
rebuild after a sync only embeds what is new or changed.

A rebuild writes both files under temporary names and renames them into place, so a reader
never sees a half-written index. A crash between the two renames leaves a new index with the
old hashes, which only makes the next rebuild re-embed a few unchanged incidents.

The sidecar also records the state of the database it was built from (live incidents, their
ids, the incidents' change counter) and a build id. An index the database has moved past (an `extract` run from the
command line, a sync that died before its rebuild) is brought up to date when it is loaded
or refreshed, embedding only what changed."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.serve.embed import Embedder, get_embedder, incident_text
from storage import Database
from storage.db import now


def index_path(db: Database) -> Path:
    return db.path.with_name(db.path.name + ".faiss")


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


@dataclass
class VectorIndex:
    index: object  # faiss.IndexIDMap2
    embedder_name: str
    path: Path
    meta: dict | None = None  # the sidecar: embedder, build id, database state
    file_identity: tuple | None = None  # (inode, size, mtime_ns) of the file as loaded

    @property
    def size(self) -> int:
        return self.index.ntotal

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """[(incident id, cosine similarity)] best first."""
        if self.index.ntotal == 0 or k <= 0:
            return []
        scores, ids = self.index.search(vector.reshape(1, -1).astype(np.float32), min(k, self.index.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def matches(self, db: Database) -> bool:
        """Whether the index holds the database's live incidents as they are now."""
        return is_current(db, self.meta)

    def similarity(self, vector: np.ndarray, incident_id: int) -> float | None:
        try:
            return float(np.dot(self.index.reconstruct(int(incident_id)), vector))
        except RuntimeError:  # not in the index (added after the last rebuild)
            return None

    def is_stale(self) -> bool:
        """True when another process has rebuilt (or replaced, or damaged) the file since this
        was loaded: its build id or the file's identity (inode, size, mtime) changed."""
        current = _read_meta(self.path)
        if current is None or current.get("build_id") != (self.meta or {}).get("build_id"):
            return True
        return _file_identity(self.path) != self.file_identity


def is_current(db: Database, recorded: dict | None) -> bool:
    """Whether an index built with this sidecar metadata still matches the database: the
    incidents' state read before the build is the state now. The change counter never ties,
    whatever the clock says."""
    if not recorded or "state" not in recorded:
        return False
    return db.incidents_state() == recorded["state"]


def rebuild_index(db: Database, embedder: Embedder | None = None) -> Path:
    """Rebuild the index from the live incidents (deleted ones leave it) and atomically
    replace the old one. Vectors of unchanged incidents embedded by the same model are
    reused. Returns the index path."""
    import faiss

    embedder = embedder or get_embedder((_read_meta(index_path(db)) or {}).get("embedder"))
    path = index_path(db)
    state = db.incidents_state()  # before reading: a write during the build makes it stale
    incidents = db.incidents()
    reusable = _reusable_vectors(path, embedder.name)

    vectors = np.zeros((len(incidents), embedder.dim), dtype=np.float32)
    to_embed = []
    for row_no, row in enumerate(incidents):
        # A row without a content hash can't be shown unchanged: always embed it.
        old = reusable.get((row["id"], row["content_hash"])) if row.get("content_hash") else None
        if old is not None:
            vectors[row_no] = old
        else:
            to_embed.append(row_no)
    if to_embed:
        vectors[to_embed] = embedder.encode([incident_text(incidents[i]) for i in to_embed])

    index = faiss.IndexIDMap2(faiss.IndexFlatIP(embedder.dim))
    if incidents:
        index.add_with_ids(vectors, np.array([r["id"] for r in incidents], dtype=np.int64))
    meta = {
        "embedder": embedder.name,
        "dim": embedder.dim,
        "hashes": {str(r["id"]): r.get("content_hash") for r in incidents},
        "embedded": len(to_embed),
        "built_at": now(),
        "build_id": uuid.uuid4().hex,
        "state": state,
    }
    tmp_index = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp_meta = _meta_path(path).with_name(f"{_meta_path(path).name}.tmp-{os.getpid()}")
    faiss.write_index(index, str(tmp_index))
    tmp_meta.write_text(json.dumps(meta))
    os.replace(tmp_index, path)
    os.replace(tmp_meta, _meta_path(path))
    return path


def load_index(db: Database, build_if_missing: bool = True) -> VectorIndex:
    """Load the persisted index. By default a missing index is built, and one that no longer
    matches the database is brought up to date first; build_if_missing=False loads the file
    as it is (and raises if there is none)."""
    import faiss

    path = index_path(db)
    if not path.exists() or (build_if_missing and not is_current(db, _read_meta(path))):
        if not build_if_missing:
            raise FileNotFoundError(f"no index at {path}: run `postmortem index`")
        rebuild_index(db)
    identity, meta = _file_identity(path), _read_meta(path) or {}
    return VectorIndex(
        index=faiss.read_index(str(path)), embedder_name=meta.get("embedder"), path=path, meta=meta,
        file_identity=identity,
    )


def _file_identity(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _read_meta(path: Path) -> dict | None:
    try:
        return json.loads(_meta_path(path).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _reusable_vectors(path: Path, embedder_name: str) -> dict[tuple[int, str], np.ndarray]:
    """(incident id, content hash) -> stored vector, from an index built by the same model."""
    import faiss

    try:
        meta = json.loads(_meta_path(path).read_text())
        if meta.get("embedder") != embedder_name:
            return {}
        index = faiss.read_index(str(path))
    except (FileNotFoundError, json.JSONDecodeError, RuntimeError):
        return {}
    if index.ntotal != len(meta.get("hashes", {})):
        return {}
    out = {}
    for key, content_hash in meta["hashes"].items():
        try:
            out[(int(key), content_hash)] = index.reconstruct(int(key))
        except RuntimeError:  # id missing from the file: the two drifted, embed it again
            continue
    return out
