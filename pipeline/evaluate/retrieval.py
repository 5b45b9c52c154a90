"""`postmortem eval-retrieval`: recall@1, recall@3 and MRR of the hybrid retriever on a JSONL
query set of {"query", "expected_source_id"} (one per line; `samples/queries.jsonl` is the
set for the sample corpus). `expected_source_id` names an incident by its source_id, or
`source/source_id` when ids repeat across sources. Queries whose incident is not in the
database are reported as skipped, not counted as misses."""

from __future__ import annotations

from pathlib import Path

from pipeline.evaluate import metrics
from pipeline.serve.retrieve import Retriever
from pipeline.text import jsonl_rows
from storage import Database

# MRR looks this deep; past it an incident counts as not found.
DEPTH = 10


class QueryFileError(ValueError):
    pass


def read_queries(path: str | Path) -> list[dict]:
    queries = []
    for line_no, row in jsonl_rows(path, QueryFileError):
        if not isinstance(row, dict) or not row.get("query") or not row.get("expected_source_id"):
            raise QueryFileError(f'{path}:{line_no}: needs "query" and "expected_source_id"')
        queries.append(row)
    if not queries:
        raise QueryFileError(f"{path}: no queries")
    return queries


def evaluate_retrieval(db: Database, queries: list[dict], retriever: Retriever | None = None) -> dict:
    retriever = retriever or Retriever(db)
    ids = {}
    for row in db.incidents():
        ids.setdefault(row["source_id"], row["id"])
        ids[f"{row['source']}/{row['source_id']}"] = row["id"]
    r1, r3, rr, misses, skipped = [], [], [], [], []
    for q in queries:
        expected = ids.get(q["expected_source_id"])
        if expected is None:
            skipped.append(q["expected_source_id"])
            continue
        ranked = [h.incident["id"] for h in retriever.search(q["query"], k=DEPTH)]
        r1.append(metrics.recall_at_k(ranked, expected, 1))
        r3.append(metrics.recall_at_k(ranked, expected, 3))
        rr.append(metrics.reciprocal_rank(ranked, expected))
        if not r3[-1]:
            misses.append({"query": q["query"], "expected_source_id": q["expected_source_id"]})
    return {
        "recall@1": round(metrics.mean(r1), 4),
        "recall@3": round(metrics.mean(r3), 4),
        "mrr": round(metrics.mean(rr), 4),
        "n": len(r1),
        "skipped": skipped,
        "misses": misses,
    }
