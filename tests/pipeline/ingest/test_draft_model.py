"""The learned unfinished-write-up check (pipeline.ingest.draft_model): its plain-Python scoring
is the scikit-learn model it was trained as, and a sync's read of a document excludes what it
flags, after the parser's rules and only among what they would store."""

import json

import pytest

from pipeline.ingest import draft_model
from pipeline.ingest.isolate import read_document
from pipeline.ingest.parser import parse

INTERIM = """Interim report: card authorisation latency, 14 October

This is an interim note for the account teams. A fuller report will follow once the review meeting has happened.

What happened
Between 09:10 and 10:25, card authorisations took up to 6 seconds and about 3% timed out at the card networks.

What we know so far
The authorisation service waited on the fraud scoring call because the fraud scoring cluster was slow after its
nodes were replaced overnight. We are still collecting logs from the fraud team and the timing does not fully line up yet.

What we have done
We restarted the fraud scoring pods at 10:20, which brought timeouts down.

Next steps
- Review meeting on Thursday to agree the root cause
- Decide whether the node replacement needs a runbook change
- Send the final report to account teams
"""

FINISHED = """# Checkout latency spike, 12 March

## Summary

p99 checkout latency went from 300 ms to 4 s between 10:05 and 10:50.

## Root cause

A release of checkout-api at 10:02 lowered the card-vault connection pool from 50 to 5 connections through a typo.

## Resolution

We rolled the release back at 10:44 and latency returned to normal by 10:50.
"""


def test_terms_are_words_and_word_pairs_as_the_vectorizer_counts_them():
    assert draft_model.terms("Root cause: TBD, root cause TBD. a") == {
        "root": 2, "cause": 2, "tbd": 2, "root cause": 2, "cause tbd": 2, "tbd root": 1,
    }


def test_the_shipped_model_says_what_it_was_trained_on():
    saved = json.loads(draft_model.MODEL_PATH.read_text())
    # Only write-ups written for this project: ../shared/corpus stays a fair test of it.
    assert saved["trained_on"] == ["bench/data/writeups/labels.jsonl", "samples/labels.jsonl"]
    assert saved["threshold"] == draft_model.THRESHOLD
    assert saved["unfinished"] > 100 and saved["documents"] > 450


def test_an_interim_report_the_rules_would_store_is_excluded_as_a_draft():
    assert parse(INTERIM, source_id="interim.txt").reason is None  # the rules alone store it
    _, p = read_document(INTERIM.encode(), "interim.txt", {})
    assert p.reason == "draft"
    assert p.detail.startswith("it reads as unfinished (draft model, p=0.")
    assert draft_model.load().unfinished(FINISHED) is None
    assert read_document(FINISHED.encode(), "x.md", {})[1].reason is None


def test_training_reproduces_scikit_learn(tmp_path):
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    docs = [
        ("done-1.md", True, "Root cause: the certificate expired. Resolution: we renewed it and restarted the proxy."),
        ("done-2.md", True, "Root cause: a config push removed the route. Resolution: we reverted the push."),
        ("done-3.md", True, "Root cause: the disk filled up with logs. Resolution: we rotated logs and grew the disk."),
        ("open-1.md", False, "Root cause: TBD, still investigating. Resolution: pending, awaiting the vendor."),
        ("open-2.md", False, "Root cause: unknown so far. Resolution: TBD once we know more, still investigating."),
        ("open-3.md", False, "Root cause: under investigation. Resolution: pending the vendor's answer."),
    ]
    for name, _, text in docs:
        (tmp_path / name).write_text(text)
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(json.dumps({"path": n, "parseable": ok}) for n, ok, _ in docs))
    saved = draft_model.train([(tmp_path, labels)], max_features=50, c=1.0)
    model_file = tmp_path / "model.json"
    model_file.write_text(json.dumps(saved))
    mine = draft_model.load.__wrapped__(model_file)

    texts = [t for _, _, t in docs]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50)
    reference = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000).fit(
        vectorizer.fit_transform(texts), [int(not ok) for _, ok, _ in docs]
    )
    expected = reference.predict_proba(vectorizer.transform(texts))[:, 1]
    assert [round(mine.probability(t), 5) for t in texts] == [round(float(p), 5) for p in expected]
    assert mine.probability(docs[3][2]) > 0.5 > mine.probability(docs[0][2])
