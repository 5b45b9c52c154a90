"""What every connector hands to the ingest loop."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Protocol


@dataclass
class RawDocument:
    source_id: str  # stable id within the source (path, page id)
    url: str
    # The document body: markdown text, or raw bytes when the connector can't know the
    # encoding (files); pipeline.ingest.decode turns bytes into text or a reason to exclude.
    body: str | bytes
    version: str = ""  # upstream version: blob sha, last_edited_time, page version number
    meta: dict = field(default_factory=dict)  # structured fields (Notion properties, ...)
    # (reason, detail) when the connector could not read the body (`too-large`, `unreadable`):
    # the ingest loop records it as an exclusion and goes on.
    problem: tuple[str, str] | None = None


@dataclass
class Listing:
    """One sync's view of a source."""

    source: str  # e.g. "github:org/repo", "dir:acme-pay", "notion:<db id>"
    documents: Iterator[RawDocument | "FetchError"]
    # Every source_id that exists upstream now, if the connector lists exhaustively
    # (used to mark deletions). None when it can't know (an incremental query).
    present: set[str] | None = None
    total: int | None = None  # for the progress bar
    deleted: set[str] = field(default_factory=set)  # ids the source reports as gone


@dataclass
class FetchError:
    """One document that could not be fetched; the sync records it and goes on."""

    source_id: str
    error: str


class Extractor(Protocol):
    def listing(self, known_versions: dict[str, str]) -> Listing:
        """List the source. `known_versions` maps source_id -> stored upstream version, so a
        connector can skip fetching documents whose version has not changed (it then yields
        nothing for them; they still count as present)."""


# Which files in a repository or folder look like post-mortems.
POSTMORTEM_DIRS = ("postmortems/", "post-mortems/", "runbooks/incidents/", "incidents/", "incident-reports/")
DATED_FILE = re.compile(r"(^|/)\d{4}-\d{2}-\d{2}[-_][^/]*\.(md|markdown)(\.erb)?$", re.I)
MARKDOWN = re.compile(r"\.(md|markdown|md\.erb)$", re.I)
NOT_INCIDENTS = re.compile(r"(^|/)(readme|index|toc|_index|changelog|contributing|license)[^/]*$", re.I)


def looks_like_postmortem(path: str, prefix: str | None = None) -> bool:
    """The path patterns we ingest: anything markdown under a post-mortem folder (or under
    `prefix` when the user names one), and dated `YYYY-MM-DD-*.md` files anywhere."""
    p = path.lstrip("./")
    if NOT_INCIDENTS.search(p):
        return False
    if prefix is not None:
        prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        return p.startswith(prefix) and bool(MARKDOWN.search(p) or "." not in p.rsplit("/", 1)[-1])
    if DATED_FILE.search(p):
        return True
    lowered = "/" + p.lower()
    return bool(MARKDOWN.search(p)) and any("/" + d in lowered for d in POSTMORTEM_DIRS)
