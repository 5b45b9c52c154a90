"""ROUGE-L via rouge-score, shared by the parser benchmark and evaluation (pipeline.evaluate.metrics)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(reference: str, prediction: str) -> float:
    """ROUGE-L F-measure (rouge-score, stemmed)."""
    return _scorer().score(reference or "", prediction or "")["rougeL"].fmeasure


def rouge_l_recall(reference: str, prediction: str) -> float:
    """How much of the reference's longest common subsequence the prediction covers."""
    return _scorer().score(reference or "", prediction or "")["rougeL"].recall
