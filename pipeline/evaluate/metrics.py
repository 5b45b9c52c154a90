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


def services_f1_containment(predicted: Iterable[str], gold: Iterable[str]) -> float:
    """Like services_f1, but a name also matches one that contains it as whole words, plurals
    aside ("traefik" / "traefik v2", "kubernetes node" / "kubernetes nodes"): how much of the
    strict miss is the same component named more or less fully."""
    p = [w for w in (_service_words(s) for s in predicted) if w]
    g = [w for w in (_service_words(s) for s in gold) if w]
    if not p and not g:
        return 1.0
    if not p or not g:
        return 0.0
    precision = sum(any(_contains(a, b) for b in g) for a in p) / len(p)
    recall = sum(any(_contains(a, b) for a in p) for b in g) / len(g)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _service_words(name: str) -> list[str]:
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in normalize_service(name).split()]


def _contains(a: list[str], b: list[str]) -> bool:
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return any(long_[i:i + len(short)] == short for i in range(len(long_) - len(short) + 1))


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


# -- the served task --------------------------------------------------------------------------

def expected_calibration_error(confidences: Sequence[float], outcomes: Sequence[float], bins: int = 10) -> float:
    """ECE: over equal-width confidence bins, the gap between mean confidence and accuracy,
    weighted by the bin's share of the answers."""
    if not confidences:
        return 0.0
    total, n = 0.0, len(confidences)
    for lo, members in _bins(confidences, bins):
        if members:
            conf = fmean(confidences[i] for i in members)
            acc = fmean(outcomes[i] for i in members)
            total += len(members) / n * abs(conf - acc)
    return total


def reliability(confidences: Sequence[float], outcomes: Sequence[float], bins: int = 10) -> list[dict]:
    """Per non-empty bin: its lower edge, answers, mean confidence, accuracy (the diagram)."""
    return [
        {"bin": lo, "n": len(m), "confidence": fmean(confidences[i] for i in m), "accuracy": fmean(outcomes[i] for i in m)}
        for lo, m in _bins(confidences, bins)
        if m
    ]


def _bins(confidences: Sequence[float], bins: int):
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        yield lo, [i for i, c in enumerate(confidences) if lo <= c < hi or (b == bins - 1 and c == 1.0)]


def paired_bootstrap(candidate: Sequence[float], baseline: Sequence[float], *, samples: int = 2000,
                     seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """(mean difference, low, high): the candidate's mean minus the baseline's over the same
    incidents, with a percentile interval from resampling incidents (pairs kept together)."""
    import numpy as np

    diffs = np.asarray(candidate, dtype=float) - np.asarray(baseline, dtype=float)
    if diffs.size == 0:
        return 0.0, 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, diffs.size, size=(samples, diffs.size))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    return float(diffs.mean()), float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))
