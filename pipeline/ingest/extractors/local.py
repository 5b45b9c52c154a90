"""A local folder of markdown post-mortems (a checkout, an export)."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.ingest.decode import MAX_BYTES
from pipeline.ingest.extractors.base import Listing, RawDocument, looks_like_postmortem


class LocalFolder:
    def __init__(self, path: str | Path, name: str | None = None):
        self.root = Path(path)
        if not self.root.is_dir():
            raise FileNotFoundError(f"not a folder: {self.root}")
        self.source = f"dir:{name or self.root.resolve().name}"

    def listing(self, known_versions: dict[str, str]) -> Listing:
        files = sorted(
            p
            for p in self.root.rglob("*")
            if p.is_file() and looks_like_postmortem(p.relative_to(self.root).as_posix(), prefix="")
        )
        ids = [_source_id(p.relative_to(self.root).as_posix()) for p in files]

        def documents():
            for path, sid in zip(files, ids):
                url = _source_id(path.resolve().as_uri())
                body, problem = read_bounded(path)
                # Files carry no upstream version; the content hash decides what changed.
                yield RawDocument(source_id=sid, url=url, body=body, problem=problem)

        return Listing(source=self.source, documents=documents(), present=set(ids), total=len(ids))


def read_bounded(path: Path, limit: int = MAX_BYTES) -> tuple[bytes, tuple[str, str] | None]:
    """The file's bytes, or (b"", (reason, detail)) when it is too large or can't be read.
    Never reads more than `limit` + 1 bytes, so a 1 GB file costs no memory: its size is
    checked before reading, and the read is bounded in case it grows in between."""
    try:
        size = path.stat().st_size
        if size > limit:
            return b"", ("too-large", f"{size:,} bytes is over the {limit:,}-byte limit")
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:  # permission denied, vanished since the listing, a dangling link
        return b"", ("unreadable", f"{exc.strerror or type(exc).__name__}: {path.name}")
    if len(data) > limit:
        return b"", ("too-large", f"over the {limit:,}-byte limit (the file grew while read)")
    return data, None


def _source_id(path: str) -> str:
    # File names that are not valid UTF-8 arrive with surrogate escapes, which SQLite can't
    # store; their bytes are spelled out instead, so two such names stay distinct.
    return os.fsencode(path).decode("utf-8", "backslashreplace")
