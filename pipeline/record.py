"""The one normalized shape every connector produces."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

FIELDS = (
    "source",
    "source_id",
    "url",
    "incident_title",
    "date",
    "services_affected",
    "timeline",
    "root_cause",
    "fix",
    "action_items",
    "root_cause_category",
    "content_hash",
)


@dataclass
class IncidentRecord:
    source: str
    source_id: str
    url: str = ""
    incident_title: str = ""
    date: str = ""  # ISO date (YYYY-MM-DD), or a shorter prefix where the document is vaguer
    services_affected: list[str] = field(default_factory=list)
    timeline: str = ""
    root_cause: str = ""
    fix: str = ""
    action_items: list[str] = field(default_factory=list)
    root_cause_category: str = ""
    content_hash: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict) -> "IncidentRecord":
        return cls(**{k: row[k] for k in FIELDS if k in row})


def content_hash(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()
