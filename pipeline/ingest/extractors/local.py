"""A local folder of post-mortems (a checkout, an export): every format pipeline.ingest.formats reads."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.ingest.decode import size_limit
from pipeline.ingest.extractors import registry
from pipeline.ingest.extractors.base import NOT_INCIDENTS, ExtractorConfigError, Listing, RawDocument


class LocalFolder:
    def __init__(self, path: str | Path, name: str | None = None):
        self.root = Path(path)
        if not self.root.is_dir():
            raise FileNotFoundError(f"not a folder: {self.root}")
        folder = self.root.resolve()
        # Identity: the folder read, so a config entry and `--path` of the same folder are one
        # source. Earlier versions keyed it by its name, else the folder's base name.
        self.source = _source_id(f"dir:{folder.as_posix()}")
        self.legacy_sources = tuple(dict.fromkeys(_source_id(f"dir:{n}") for n in (name, folder.name) if n))
        self.label = _source_id(f"dir:{name or folder.name}")

    def listing(self, known_versions: dict[str, str]) -> Listing:
        # Every file is a candidate except hidden ones (.git, .DS_Store) and a folder's own
        # README/index/licence pages: the ingest loop reads each format or lists the file as
        # excluded (`unsupported-format` for images, spreadsheets, ...), never skips it unseen.
        files = sorted(
            p
            for p in self.root.rglob("*")
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(self.root).parts)
            and not NOT_INCIDENTS.search(p.relative_to(self.root).as_posix())
        )
        ids = [_source_id(p.relative_to(self.root).as_posix()) for p in files]

        def documents():
            for path, sid in zip(files, ids):
                body, problem = read_bounded(path, size_limit(path.name))
                # Files carry no upstream version; the content hash decides what changed.
                yield RawDocument(source_id=sid, url=path.resolve().as_uri(), body=body, problem=problem)

        return Listing(source=self.source, documents=documents(), present=set(ids), total=len(ids))


def read_bounded(path: Path, limit: int) -> tuple[bytes, tuple[str, str] | None]:
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


def build(path: str, name: str | None = None) -> LocalFolder:
    try:
        return LocalFolder(path, name=name)
    except FileNotFoundError as exc:
        raise ExtractorConfigError(str(exc)) from None


CONNECTOR = registry.Connector(
    name="dir",
    options=(registry.Option("path", "the folder", required=True),),
    build=build,
    label_keys=("path",),
)
