"""The linear text models saved as JSON beside the parser (the draft model, the category model),
scored in plain Python so that nothing heavy is imported at ingest.

A model is scikit-learn's TfidfVectorizer (words of two or more characters and their pairs,
sublinear term frequency, l2 norm) under a logistic regression; it is saved as one row per
term: `[idf, coefficient, ...]` (one coefficient per class, one in all for a yes/no model)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern, which trained them


def terms(text: str) -> dict[str, int]:
    """Word and word-pair counts of text, as the vectorizer that trained the models counted them."""
    words = TOKEN.findall(text.lower())
    counts: dict[str, int] = {}
    for term in words + [f"{a} {b}" for a, b in zip(words, words[1:])]:
        counts[term] = counts.get(term, 0) + 1
    return counts


def vector(text: str, weights: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """text's TF-IDF over the model's vocabulary, l2-normalised (weights[term][0] is the idf)."""
    tfidf = {t: (1.0 + math.log(n)) * weights[t][0] for t, n in terms(text).items() if t in weights}
    norm = math.sqrt(sum(v * v for v in tfidf.values())) or 1.0
    return {t: v / norm for t, v in tfidf.items()}


def fit(texts: list[str], labels: list, *, max_features: int, c: float, class_weight: str | None = None):
    """(vectorizer, logistic regression) trained on texts; needs scikit-learn."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=max_features)
    model = LogisticRegression(C=c, class_weight=class_weight, max_iter=3000).fit(vectorizer.fit_transform(texts), labels)
    return vectorizer, model


def saved_weights(vectorizer, coef) -> dict[str, list[float]]:
    """The per-term rows saved in the model's JSON: idf, then each row of coef's coefficient."""
    idf = vectorizer.idf_
    return {
        t: [round(float(idf[i]), 6), *(round(float(row[i]), 6) for row in coef)]
        for t, i in sorted(vectorizer.vocabulary_.items())
    }
