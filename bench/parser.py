"""Parser quality against hand-written gold labels, and ingestion throughput.

    python -m bench.parser [--corpus ../shared/corpus] [--labels FILE]

Quality: share of `parseable` documents kept, share of non-parseable excluded, root-cause
category accuracy, services F1, and ROUGE-L recall of the gold root cause and fix inside the
parsed fields. Throughput: docs/s for a first sync of a local folder and the speed-up of an
unchanged re-sync (measured in the same run)."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from pipeline.ingest.decode import decode
from pipeline.evaluate.metrics import services_f1
from pipeline.evaluate.rouge import rouge_l_recall
from pipeline.ingest.parser import parse
from pipeline.ingest.scrub import scrub
from pipeline.ingest.taxonomy import Taxonomy

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def quality(corpus: Path, labels_file: Path) -> dict:
    taxonomy = Taxonomy.default()
    labels = [json.loads(line) for line in labels_file.read_text().splitlines() if line.strip()]
    kept = excl = n_parse = n_unparse = cat_ok = cat_n = 0
    f1s, rc_rec, fix_rec = [], [], []
    confusion: Counter = Counter()
    slowest = (0.0, "")
    for gold in labels:
        started = time.perf_counter()
        text, reason, _ = decode((corpus / gold["path"]).read_bytes())
        parsed = None
        if text is not None:
            text, _ = scrub(text)
            parsed = parse(text, source_id=gold["path"])
            reason = parsed.reason
        slowest = max(slowest, (time.perf_counter() - started, gold["path"]))
        if gold["parseable"]:
            n_parse += 1
            if reason:
                continue
            kept += 1
            f = parsed.fields
            category = taxonomy.classify_incident(
                f["incident_title"], f["root_cause"], f["fix"], hint=f.get("category_hint")
            )
            cat_n += 1
            cat_ok += category == gold["root_cause_category"]
            if category != gold["root_cause_category"]:
                confusion[(gold["root_cause_category"], category)] += 1
            f1s.append(services_f1(f["services_affected"], gold["services_affected"]))
            rc_rec.append(rouge_l_recall(gold["root_cause"], f["root_cause"]))
            fix_rec.append(rouge_l_recall(gold["fix"], f["fix"]))
        else:
            n_unparse += 1
            excl += bool(reason)
    mean = lambda xs: round(sum(xs) / len(xs), 3) if xs else None  # noqa: E731
    return {
        "documents": len(labels),
        "parseable_kept": f"{kept}/{n_parse}",
        "parseable_kept_share": round(kept / max(1, n_parse), 3),
        "non_parseable_excluded_share": round(excl / max(1, n_unparse), 3),
        "category_accuracy": round(cat_ok / max(1, cat_n), 3),
        "services_f1": mean(f1s),
        "root_cause_rougeL_recall": mean(rc_rec),
        "fix_rougeL_recall": mean(fix_rec),
        "top_confusions": [f"{g}->{p}: {n}" for (g, p), n in confusion.most_common(6)],
        # decode + scrub + parse of the one document that took longest (a regression in a
        # pattern's complexity shows here first)
        "slowest_document": {"path": slowest[1], "seconds": round(slowest[0], 4)},
    }


def throughput(folder: Path) -> dict:
    from pipeline.ingest.extractors.local import LocalFolder
    from pipeline.ingest.sync import ingest
    from storage import Database

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "corpus"
        shutil.copytree(folder, copy)
        db = Database(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        first = ingest(db, LocalFolder(copy))
        t1 = time.perf_counter()
        again = ingest(db, LocalFolder(copy))
        t2 = time.perf_counter()
    docs = first.kept + first.excluded
    return {
        "folder": str(folder),
        "documents": docs,
        "first_sync_s": round(t1 - t0, 3),
        "first_sync_docs_per_s": round(docs / (t1 - t0), 1),
        "resync_s": round(t2 - t1, 3),
        "resync_speedup_x": round((t1 - t0) / (t2 - t1), 1),
        "resync_unchanged": again.unchanged,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=SHARED)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results = {}
    if (args.corpus / "labels.jsonl").exists():
        results["shared_corpus"] = quality(args.corpus, args.corpus / "labels.jsonl")
        results["throughput_shared"] = throughput(args.corpus)
    else:
        print(f"skipping the shared corpus: {args.corpus} not found")
    if (SAMPLES / "labels.jsonl").exists():
        results["samples"] = quality(SAMPLES, SAMPLES / "labels.jsonl")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
