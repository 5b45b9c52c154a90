"""Text-overlap measures shared by the parser benchmark and evaluation."""

from __future__ import annotations

import re


def norm_set(items) -> set[str]:
    return {" ".join(re.sub(r"[^a-z0-9.\- ]", " ", str(i).lower()).split()) for i in items if str(i).strip()}


def set_f1(predicted, gold) -> float:
    p, g = norm_set(predicted), norm_set(gold)
    if not p and not g:
        return 1.0
    if not p or not g:
        return 0.0
    tp = len(p & g)
    if tp == 0:
        return 0.0
    precision, recall = tp / len(p), tp / len(g)
    return 2 * precision * recall / (precision + recall)


def _scorer():
    from rouge_score import rouge_scorer

    global _SCORER
    try:
        return _SCORER
    except NameError:
        _SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
        return _SCORER


def rouge_l(reference: str, prediction: str) -> float:
    """ROUGE-L F-measure (rouge-score, stemmed)."""
    return _scorer().score(reference or "", prediction or "")["rougeL"].fmeasure


def rouge_l_recall(reference: str, prediction: str) -> float:
    """How much of the reference's longest common subsequence the prediction covers."""
    return _scorer().score(reference or "", prediction or "")["rougeL"].recall
