"""Structuring with a model, where a capable one is configured (`POSTMORTEM_STRUCTURER=model`:
the answering backend, e.g. a 7B model on a GPU or an OpenAI-compatible server).

The model reads the document and fills the schema as JSON: constrained to it where the backend
can (`Backend.complete_json`: a llama.cpp JSON-schema grammar, vLLM's `guided_json`), read
leniently elsewhere. The parser's result is the fallback, field by field, and stays in charge
of what is no incident at all: drafts and documents that are not post-mortems are excluded
before any model is asked. A model value is taken only when the document supports it (most of
its content words are the document's own: a model that invents a cause is ignored), and it is
marked `model: <name>` in the record's provenance, so a person sees where it came from.

Measured before making it a default anywhere: `python -m bench.parser --structurer model`."""

from __future__ import annotations

import json
import logging
import re

from pipeline import settings
from pipeline.ingest.formats import to_markdown
from pipeline.ingest.parser import Parsed, is_draft_value
from pipeline.ingest.scrub import scrub
from pipeline.ingest.taxonomy import Taxonomy
from pipeline.text import clip

log = logging.getLogger(__name__)

# What the model may read of a document: about 1,000 tokens, so that a 2k-token context (the
# embedded model's) holds it, the instructions and the answer.
DOCUMENT_CHARS = 4000
MAX_TOKENS = 400
# Share of a value's content words that must appear in the document for the value to be taken.
SUPPORTED_SHARE = 0.8
# Exclusions a model may overturn: the parser found the cause or the fix but not both, which a
# reader may. Neither is what a template or an empty page gives: nothing for a model to read.
RESCUABLE = ("no-root-cause", "no-fix")

PROMPT = """Read the incident post-mortem below and fill in each JSON field from what the document says, in its own words.
- root_cause: one or two sentences: what caused the incident (the first cause in the chain, not the symptoms).
- fix: one or two sentences: what restored service or removed the cause.
- services_affected: short lower-case names of the services or components that were affected, as the document writes them.
- root_cause_category: one of {categories}.
Use "" (or []) where the document does not say.

### Document:
{document}

### JSON:
"""


def schema(taxonomy: Taxonomy) -> dict:
    return {
        "type": "object",
        "properties": {
            "root_cause": {"type": "string"},
            "fix": {"type": "string"},
            "services_affected": {"type": "array", "items": {"type": "string"}},
            "root_cause_category": {"type": "string", "enum": [*taxonomy.names, ""]},
        },
        "required": ["root_cause", "fix", "services_affected", "root_cause_category"],
    }


class ModelStructurer:
    def __init__(self, backend, taxonomy: Taxonomy | None = None):
        self.backend = backend
        self.taxonomy = taxonomy or Taxonomy.default()
        self.origin = f"model: {backend.name}"

    def improve(self, body: bytes | str, source_id: str, parsed: Parsed) -> Parsed:
        """The parse with the model's supported values in place of the parser's."""
        if parsed.reason and parsed.reason not in RESCUABLE:
            return parsed
        text, _, _ = to_markdown(body, source_id)
        if text is None:
            return parsed
        text = scrub(text)[0]
        prompt = PROMPT.format(categories=", ".join(self.taxonomy.names), document=clip(text, DOCUMENT_CHARS, one_line=False))
        from pipeline.serve.backends import BackendError

        try:
            raw = self.backend.complete_json(prompt, schema(self.taxonomy), max_tokens=MAX_TOKENS)
        except BackendError as exc:  # the model is a help: without it, the parser's result stands
            log.warning("%s: the structuring model failed, the parser's result is kept: %s", source_id, exc)
            return parsed
        return merge(parsed, read_json(raw), text, self.taxonomy, self.origin)


def merge(parsed: Parsed, values: dict, document: str, taxonomy: Taxonomy, origin: str) -> Parsed:
    fields, provenance = dict(parsed.fields), dict(parsed.provenance)
    if parsed.reason:
        # A rescued document: the parser read no cause or fix, but did read the rest.
        fields = {"incident_title": "", "date": "", "services_affected": [], "timeline": "", "root_cause": "",
                  "fix": "", "action_items": [], "category_hint": [], **fields}
    words = content_words(document)
    for name in ("root_cause", "fix"):
        value = " ".join(str(values.get(name) or "").split())
        if value and not is_draft_value(value) and supported(value, words):
            fields[name], provenance[name] = clip(value, 2000, one_line=False), origin
    services = [" ".join(str(s).lower().split()) for s in values.get("services_affected") or [] if isinstance(s, str)]
    services = [s for s in services if s and len(s) < 60 and supported(s, words, share=1.0)]
    if services:
        fields["services_affected"], provenance["services_affected"] = services[:8], origin
    category = taxonomy.normalize(values.get("root_cause_category"))
    if category and not taxonomy.hinted(fields.get("category_hint")):
        # The document's own category still wins; the model's is a hint the rules then follow.
        fields["category_hint"], provenance["category_hint"] = [category], origin
    if not (fields.get("root_cause") and fields.get("fix")):
        return parsed
    return Parsed(fields=fields, provenance=provenance)


def read_json(raw: str) -> dict:
    """The first JSON object in the model's text ({} when there is none)."""
    start = raw.find("{")
    while start != -1:
        try:
            value, _ = json.JSONDecoder().raw_decode(raw[start:])
            return value if isinstance(value, dict) else {}
        except json.JSONDecodeError:
            start = raw.find("{", start + 1)
    return {}


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9][a-z0-9'_-]*[a-z0-9]", text.lower()) if len(w) > 3}


def supported(value: str, document_words: set[str], share: float = SUPPORTED_SHARE) -> bool:
    words = content_words(value) or {w for w in re.findall(r"[a-z0-9]+", value.lower())}
    return bool(words) and sum(w in document_words for w in words) >= share * len(words)


def from_settings(taxonomy: Taxonomy | None = None) -> ModelStructurer | None:
    """The structurer `POSTMORTEM_STRUCTURER` asks for: `model` builds the configured answering
    backend (base model, no adapter); unset or `parser`: None, the parser alone."""
    choice = (settings.get("structurer") or "parser").lower()
    if choice == "parser":
        return None
    if choice != "model":
        raise ValueError(f"POSTMORTEM_STRUCTURER must be parser or model, not {choice!r}")
    from pipeline.serve.backends import BackendConfig, build_backend

    return ModelStructurer(build_backend(BackendConfig.from_env(), None), taxonomy)
