"""Clipping text to a length: one helper for prompts, stored fields, evidence and Slack."""

from __future__ import annotations


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
