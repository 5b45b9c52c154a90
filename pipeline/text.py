"""Clipping text to a length: one helper for prompts, stored fields, evidence and Slack; a
line's indent and whether it stops mid-sentence, for the readers of plain-text structure; and reading the JSONL files people
hand the CLI (query sets, datasets)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator


def clip(text: str, limit: int, *, one_line: bool = True, at_word: bool = True) -> str:
    """`text` in at most `limit` characters. `one_line` folds whitespace runs (newlines too)
    into single spaces. `at_word` cuts at the last whole word and marks the cut ` …` (prompts,
    evidence, stored fields: a half word reads as a typo); otherwise the cut is exact and
    marked `…` (Slack's hard limits)."""
    text = " ".join((text or "").split()) if one_line else (text or "").strip()
    if len(text) <= limit:
        return text
    if not at_word:
        return text[: max(limit - 1, 0)] + "…"
    cut = text[: max(limit - 2, 0)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + " …"


# A line that leaves off on a word no sentence ends with: it goes on in the next line, or the
# writer stopped there ("The reason of problem was the").
STOPS_MID_SENTENCE = re.compile(
    r"\b(?:the|a|an|of|to|was|were|is|are|by|for|with|and|or|because|that|in|on|at|from|due)$", re.I
)


def indent_width(line: str) -> int:
    """How far a line is indented: its leading spaces and tabs."""
    return len(line) - len(line.lstrip(" \t"))


def jsonl_rows(path: str | Path, error: type[Exception]) -> Iterator[tuple[int, object]]:
    """(line number, value) for each non-blank line of a JSONL file; a line that is not JSON
    raises `error` naming the file and the line."""
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{path}:{n}: not JSON ({exc.msg})") from None
