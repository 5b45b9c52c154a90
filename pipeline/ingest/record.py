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
    "provenance",
)


# The provenance of a cause that is only the story's opening ("story: summary"): the write-up
# names no cause as such, and answers say so.
STORY = "story"


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
    # Where each field came from (heading, label, table, prose, story, classifier, model, human),
    # so a person can see why a value is what it is.
    provenance: dict[str, str] = field(default_factory=dict)

    def apply_label(self, label: dict[str, str]) -> None:
        """A person's correction wins over the parser, field by field."""
        for name, value in label.items():
            setattr(self, name, value)
            self.provenance[name] = "human"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict) -> "IncidentRecord":
        return cls(**{k: row[k] for k in FIELDS if k in row})


def content_hash(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()
