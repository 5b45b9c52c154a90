"""Answer quality on symptom questions: the model's text as answers showed it before the
grounding check, against the answer shown now (evidence first, then the checked synthesis).

    python -m bench.grounded [--corpus shared|samples] [--db PATH] [--limit N] [--no-generate]
                             [--model served|base|ID]

Queries: bench/queries_shared.jsonl (30 symptom questions written for ../shared/corpus, gold
labels from its labels.jsonl) or samples/queries.jsonl (gold from samples/labels.jsonl). The
corpus is ingested into a fresh database (or --db, kept between runs). Per question, one
generation with the model of --model (default the served one: the registry's current model,
else the base model; `base`; or a registry id, served as `postmortem eval` serves an adapter);
both rows score that same text:

- before: the raw generated text is the answer (what `ask` showed until now);
- after: `Answerer.finish`: the evidence answer, then the sentences that pass the check.

Metrics: faithfulness (pipeline.serve.grounding.faithfulness: share of answer content words
found in the question or the cited incidents), answers citing [n], root-cause category right
when the gold incident is in the top 3, gold fix covered (ROUGE-L recall). Also: where the
gold incident ranks, and the match threshold fitted on these questions (asked with the gold
incident in the index = a match; with it left out = no match)."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/corpus")


def corpus(name: str) -> tuple[Path, Path, Path]:
    """(folder of org folders, queries, gold labels)."""
    if name == "samples":
        return ROOT / "samples", ROOT / "samples" / "queries.jsonl", ROOT / "samples" / "labels.jsonl"
    return SHARED, ROOT / "bench" / "queries_shared.jsonl", SHARED / "labels.jsonl"


def build(folder: Path, db_path: Path):
    from pipeline.ingest.extractors.local import LocalFolder
    from pipeline.ingest.sync import ingest
    from pipeline.serve.index import rebuild_index
    from storage import Database

    db = Database(db_path)
    if not db.incidents():
        for org in sorted(p for p in folder.iterdir() if p.is_dir()):
            ingest(db, LocalFolder(org, name=org.name))
        rebuild_index(db)
    return db


def _backend(db, model: str):
    """The backend answering: None for what the answerer serves; a bare Backend (no model)
    for evidence only."""
    from pipeline.serve.backends import Backend, LlamaCppBackend

    if model == "served":
        return None
    if model == "none":
        return Backend()
    if model == "base":
        return LlamaCppBackend()
    from pipeline.evaluate.harness import adapter_backend
    from storage.models import ModelStore

    row = ModelStore(db).get(int(model))
    if row is None:
        raise SystemExit(f"no model #{model} in the registry of {db.path}")
    return adapter_backend(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=["shared", "samples"], default="shared")
    parser.add_argument("--db", default=None, help="database to build into (kept), default a temporary one")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--no-generate", action="store_true", help="retrieval and evidence only (no model)")
    parser.add_argument("--model", default="served",
                        help="served (the registry's current model, else base), base, or a model id from the registry")
    args = parser.parse_args()

    from pipeline.evaluate.rouge import rouge_l_recall
    from pipeline.ingest.taxonomy import Taxonomy
    from pipeline.serve.answer import Answerer, fit_match_threshold
    from pipeline.serve.grounding import citations, faithfulness
    from pipeline.serve.retrieve import best_similarity

    folder, queries_path, labels_path = corpus(args.corpus)
    if not folder.is_dir():
        raise SystemExit(f"no corpus at {folder}")
    queries = [json.loads(line) for line in queries_path.read_text().splitlines() if line.strip()][: args.limit]
    gold = {json.loads(line)["path"]: json.loads(line) for line in labels_path.read_text().splitlines() if line.strip()}
    taxonomy = Taxonomy.default()

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        db = build(folder, Path(args.db) if args.db else Path(tmp) / "bench.db")
        answerer = Answerer(db, backend=_backend(db, "none" if args.no_generate else args.model))
        # A local folder's source is "dir:<its path>"; the queries name the org folder
        ids = {(Path(r["source"].split(":", 1)[-1]).name, r["source_id"]): r["id"] for r in db.incidents()}
        print(f"{len(ids)} incidents, {len(queries)} questions, model "
              f"{'none' if args.no_generate else answerer.backend.name}; setup {time.perf_counter() - t0:.0f} s")

        rows, threshold_rows, ranks = [], [], []
        for q in queries:
            label = gold.get(f"{q['org']}/{q['expected_source_id']}") or {}
            gold_id = ids.get((q["org"], q["expected_source_id"]))
            if gold_id is None:
                print(f"  gold incident not stored (excluded at ingest?): {q['expected_source_id']}")
                continue
            t = time.perf_counter()
            evidence = answerer.evidence(q["query"])
            evidence_s = time.perf_counter() - t
            ranked = [h.incident["id"] for h in evidence.hits]
            rank = ranked.index(gold_id) + 1 if gold_id in ranked else None
            ranks.append(rank)
            threshold_rows.append((evidence.similarity, True))
            without = answerer.retriever.search(q["query"], k=1, exclude_ids={gold_id})
            threshold_rows.append((best_similarity(without), False))
            if args.no_generate:
                continue
            raw = answerer.raw_generation(evidence).strip()
            after = answerer.finish(evidence, raw)
            gold_category = taxonomy.normalize(label.get("root_cause_category"))
            gold_fix = label.get("fix") or ""
            row = {"rank": rank, "evidence_s": evidence_s, "match": evidence.match,
                   "category": after.root_cause_category == gold_category if gold_category else None}
            for name, text in (("before", raw), ("after", after.answer), ("synthesis", after.synthesis)):
                row[name] = {
                    "faithfulness": faithfulness(text, evidence.sources, q["query"]),
                    "cites": bool(citations(text, len(evidence.sources))),
                    "fix_recall": rouge_l_recall(gold_fix, text) if gold_fix else None,
                    "empty": not text.strip(),
                }
            row["dropped"] = after.dropped
            rows.append(row)

    def mean(values):
        values = [float(v) for v in values if v is not None]
        return sum(values) / len(values) if values else float("nan")

    print(f"\ngold incident rank: top-1 {mean(r == 1 for r in ranks):.2f}, top-3 {mean(r is not None for r in ranks):.2f}"
          f" ({len(ranks)} questions)")
    fitted = fit_match_threshold(threshold_rows)
    pos = sorted(s for s, m in threshold_rows if m)
    neg = sorted(s for s, m in threshold_rows if not m)
    print(f"best-match similarity with the gold incident in: median {pos[len(pos) // 2]:.3f}, min {pos[0]:.3f}; "
          f"left out: median {neg[len(neg) // 2]:.3f}, max {neg[-1]:.3f}")
    print(f"fitted match threshold {fitted.threshold:.3f} on {fitted.n} rows "
          f"(matches kept {mean(s >= fitted.threshold for s in pos):.2f}, no-match said {mean(s < fitted.threshold for s in neg):.2f}); "
          f"at the answerer's {answerer.match_threshold.threshold:.2f} ({'fitted by eval' if answerer.match_threshold.n else 'the default'}): kept {mean(s >= answerer.match_threshold.threshold for s in pos):.2f}, "
          f"no-match said {mean(s < answerer.match_threshold.threshold for s in neg):.2f}")
    if not rows:
        return
    in_top3 = [r for r in rows if r["rank"] is not None]
    print(f"\n{'':<34}{'faithful':>9}{'cites':>7}{'category*':>10}{'fix recall':>11}{'empty':>7}")
    for name, title in (("before", "model text as shown before"), ("after", "shown now: evidence + checked"),
                        ("synthesis", "  of which: checked synthesis")):
        print(f"{title:<34}{mean(r[name]['faithfulness'] for r in rows):>9.2f}{mean(r[name]['cites'] for r in rows):>7.2f}"
              f"{mean(r['category'] for r in in_top3):>10.2f}{mean(r[name]['fix_recall'] for r in rows):>11.2f}"
              f"{mean(r[name]['empty'] for r in rows):>7.2f}")
    print(f"* category right when the gold incident is in the top 3 ({len(in_top3)} of {len(rows)}); "
          f"the same for both rows (the best match's, the vote where it has none)")
    print(f"generated sentences dropped per answer: {mean(r['dropped'] for r in rows):.2f}; "
          f"evidence latency p50 {sorted(r['evidence_s'] for r in rows)[len(rows) // 2] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
