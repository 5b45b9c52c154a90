"""Evaluation metrics: root-cause category exact match, fix ROUGE-L, services F1, and the
retrieval metrics recall@k and MRR. Pure functions, so each is checked against hand-computed
values in tests/pipeline/test_metrics.py."""

from __future__ import annotations

import re
from statistics import fmean
from typing import Iterable, Sequence

from pipeline.evaluate import rouge

# Words that only say "this is a service" and differ between writers of the same name
# ("payments-api service" vs "payments api").
_SERVICE_FILLER = {"service", "services", "the", "svc", "system", "cluster"}


def category_match(predicted: str | None, gold: str | None) -> float:
    """1.0 when the predicted category equals the gold one (case and spacing ignored)."""
    if not predicted or not gold:
        return 0.0
    return float(_norm_label(predicted) == _norm_label(gold))


def rouge_l(predicted: str, reference: str) -> float:
    """ROUGE-L F-measure (longest common subsequence of stemmed tokens), 0..1: the same
    scorer the parser benchmark uses."""
    if not (predicted or "").strip() or not (reference or "").strip():
        return 0.0
    return rouge.rouge_l(reference, predicted)


def normalize_service(name: str) -> str:
    """`Payments-API service` and `payments api` both become `payments api`. Looser than the
    parser benchmark's set match: a generated answer spells names the way people say them."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    kept = [w for w in words if w not in _SERVICE_FILLER]
    return " ".join(kept or words)


def split_services(text: str) -> list[str]:
    """Service names from a generated answer: a comma/semicolon/newline/'and' separated list,
    with bullets and a leading 'Services affected:'-style label removed."""
    text = re.sub(r"(?im)^\s*(?:services?(?: affected)?|affected services?)\s*[:\-]\s*", "", text)
    # A sentence instead of a list: "The services that were affected are X and Y."
    text = re.sub(
        r"(?i)\b(?:the )?(?:affected )?(?:services?|systems?|components?)(?: that)? (?:(?:was|were) )?"
        r"(?:affected )?(?:is|are|was|were|included?)\b:?\s*(?:the )?",
        "",
        text,
    )
    parts = re.split(r"[,;\n]|\band\b", text)
    out = []
    for part in parts:
        part = re.sub(r"^[\s\-*•\d.)]+", "", part).strip(" .`'\"")
        if part:
            out.append(part)
    return out


def services_f1(predicted: Iterable[str], gold: Iterable[str]) -> float:
    """F1 of the normalized predicted and gold service sets. Both empty counts as 1.0 (nothing
    to find, nothing claimed); one empty as 0.0."""
    p = {normalize_service(s) for s in predicted if normalize_service(s)}
    g = {normalize_service(s) for s in gold if normalize_service(s)}
    if not p and not g:
        return 1.0
    if not p or not g:
        return 0.0
    hits = len(p & g)
    if hits == 0:
        return 0.0
    precision, recall = hits / len(p), hits / len(g)
    return 2 * precision * recall / (precision + recall)


def recall_at_k(ranked: Sequence, expected, k: int) -> float:
    return float(expected in list(ranked)[:k])


def reciprocal_rank(ranked: Sequence, expected) -> float:
    for i, item in enumerate(ranked, start=1):
        if item == expected:
            return 1.0 / i
    return 0.0


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return fmean(values) if values else 0.0


def _norm_label(label: str) -> str:
    return re.sub(r"[\s_]+", "-", label.strip().lower())
