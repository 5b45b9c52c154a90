"""The prompt format training and serving share: the seed's `### Incident Context` /
`### Question` / `### Answer` template, and the `[category]` a root-cause answer starts with.
Its own module so that learn/ (which builds examples in the served format too) and serve/
(which prompts with it) both read it without importing each other."""

from __future__ import annotations

import re

PROMPT_TEMPLATE = (
    "### Incident Context:\n{title}\n{timeline}\n\n### Question:\n{question}\n\n### Answer:\n"
)


def category_of(answer: str) -> str | None:
    """The `[category]` a root-cause answer starts with, or None."""
    m = re.match(r"\s*\[([\w-]+)\]", answer)
    return m.group(1).lower() if m else None
