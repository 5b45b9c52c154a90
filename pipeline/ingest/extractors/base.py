"""What every connector hands to the ingest loop."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Protocol

from pipeline.ingest.formats import DOCUMENT_EXTENSIONS, extension_pattern


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
    # Candidates the connector chose not to fetch or store, with why (id, reason).
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class FetchError:
    """One document that could not be fetched; the sync records it and goes on."""

    source_id: str
    error: str


class ExtractorConfigError(ValueError):
    """Flags or environment that can't make a connector (missing repo, token, a URL without
    a scheme, ...); str() is the one line to show."""


class Extractor(Protocol):
    # What the connector reads (site + space, database id, repo + path + ref, folder): the
    # key of everything stored from it. Never a label a person chose.
    source: str
    # Identities earlier versions stored this source under; the sync adopts their rows.
    legacy_sources: tuple[str, ...]
    # What summaries call it (a configured name, a folder's base name); may repeat across sources.
    label: str

    def listing(self, known_versions: dict[str, str]) -> Listing:
        """List the source. `known_versions` maps source_id -> stored upstream version, so a
        connector can skip fetching documents whose version has not changed (it then yields
        nothing for them; they still count as present)."""


# Which files in a repository or folder look like post-mortems.
POSTMORTEM_DIRS = ("postmortems/", "post-mortems/", "runbooks/incidents/", "incidents/", "incident-reports/")
_DOC_EXT = extension_pattern(DOCUMENT_EXTENSIONS)
DATED_FILE = re.compile(r"(^|/)\d{4}-\d{2}-\d{2}[-_][^/]*" + _DOC_EXT + "$", re.I)
DOCUMENT = re.compile(_DOC_EXT + "$", re.I)
# Whole file names (any extension) that are never a post-mortem: `index.md` is skipped,
# `indexer-lag.md` is not.
NOT_INCIDENTS = re.compile(r"(^|/)(readme|index|toc|_index|changelog|contributing|license)(\.[^/]*)?$", re.I)


def looks_like_postmortem(path: str, prefix: str | None = None) -> bool:
    """The path patterns we ingest: any document under a post-mortem folder (or under
    `prefix` when the user names one), and dated `YYYY-MM-DD-*.md` (or .html, .docx, ...)
    files anywhere."""
    return _candidate(path, prefix) and not NOT_INCIDENTS.search(path.lstrip("./"))


def skipped_candidate(path: str, prefix: str | None = None) -> str | None:
    """Why a file in a post-mortem's place is not read (a README, an index), or None."""
    if _candidate(path, prefix) and NOT_INCIDENTS.search(path.lstrip("./")):
        return "not-an-incident"
    return None


def _candidate(path: str, prefix: str | None) -> bool:
    p = path.lstrip("./")
    if prefix is not None:
        prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        return p.startswith(prefix) and bool(DOCUMENT.search(p) or "." not in p.rsplit("/", 1)[-1])
    if DATED_FILE.search(p):
        return True
    lowered = "/" + p.lower()
    return bool(DOCUMENT.search(p)) and any("/" + d in lowered for d in POSTMORTEM_DIRS)


# Content checks for documents that parse but are not incidents. Conservative: each needs
# the name and the text (or the text alone, unmistakably) to agree.
PUBLISHING_PATH = re.compile(
    r"(^|/)(_posts|blog|news|releases?|release-notes|changelogs?)/|(^|[/_-])release[-_]?notes?\b", re.I
)
# A blog's own telling of one counts: "what happened", "the root cause", "we apologise", "X broke".
INCIDENT_WORDS = re.compile(
    r"\b(incident|outage|post-?mortem|downtime|degraded|degradation|sev-?\d|root[\s-]cause|what\s+happened|apologi[sz]e|broke)\b",
    re.I,
)
GUIDE_TITLE = re.compile(
    r"^\s*(how\s+(to|we)\s+write|writing|guide|template|a\s+guide)\b|\b(post-?mortem|incident)\s+(template|guide|process|guidelines)\b",
    re.I,
)
INSTRUCTION = re.compile(
    r"^\s*(describe|explain|list|write|summari[sz]e|include|note|document|state|give|add|ask|link)\b", re.I
)


def not_an_incident(source_id: str, text: str, fields: dict | None = None) -> str | None:
    """Why a document is not an incident (a dated release note or blog post that names no
    incident, a how-to guide or template whose sections are instructions), or None."""
    if PUBLISHING_PATH.search(source_id) and not INCIDENT_WORDS.search(text):
        return "a release note or blog post: no incident in its text"
    if fields:
        sections = [fields.get("root_cause") or "", fields.get("fix") or ""]
        if GUIDE_TITLE.search(fields.get("incident_title") or "") or all(INSTRUCTION.search(s) for s in sections):
            return "a guide or template: its sections are instructions, not an incident"
    return None
