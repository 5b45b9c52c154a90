"""`make demo`: the whole main job on the bundled samples with the embedded models.

extract (3 fictional organizations) -> train a LoRA adapter -> evaluate and gate it ->
index -> answer a few on-call questions. Runs offline on a 2-core CPU in minutes.

    python -m pipeline.demo [--db data/demo.db] [--max_steps 12] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
ORGS = ("acme-pay", "orbitstream", "kelpcloud")
QUESTIONS = (
    "what fixed the last ledger-db outage?",
    "payments-api 502s right after a deploy, what happened last time?",
    "x509 certificate expired errors, how did we fix that before?",
)


def step(title: str) -> float:
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)), flush=True)
    return time.perf_counter()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="data/demo.db")
    ap.add_argument("--output_dir", default="checkpoints/demo")
    ap.add_argument("--max_steps", type=int, default=12, help="LoRA steps (batch 8): about 1 epoch of the samples.")
    ap.add_argument("--keep", action="store_true", help="Reuse an existing demo database.")
    ap.add_argument("-v", "--verbose", action="store_true", help="Show the libraries' own logs and progress bars.")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from pipeline.logs import ProgressBar, setup_output

    setup_output(args.verbose)

    from pipeline.ingest.extractors.local import LocalFolder
    from pipeline.ingest.sync import ingest
    from storage import Database

    started = time.perf_counter()
    db_path = Path(args.db)
    if not args.keep:
        for p in db_path.parent.glob(db_path.name + "*"):
            p.unlink()
        shutil.rmtree(args.output_dir, ignore_errors=True)
    db = Database(db_path)

    t = step("1. extract")
    for org in ORGS:
        print(ingest(db, LocalFolder(SAMPLES / org)).line())
    print_corpus_table(db)
    print(f"({time.perf_counter() - t:.1f} s)")

    t = step("2. index")
    from pipeline.serve.index import rebuild_index

    print(f"FAISS index written to {rebuild_index(db)} ({time.perf_counter() - t:.1f} s)")

    t = step(f"3. train (LoRA on the embedded SmolLM2-135M, {args.max_steps} steps)")
    from pipeline.learn.train import TrainConfig, train

    bar = ProgressBar("training")
    report = train(TrainConfig(db=str(db_path), output_dir=args.output_dir, max_steps=args.max_steps), on_progress=bar)
    bar.close()
    losses = [round(x, 3) for x in report["loss"]]
    print(
        f"candidate model #{report['model_id']}: {report.get('train_examples', '?')} examples, "
        f"loss {losses[0] if losses else '?'} -> {losses[-1] if losses else '?'}, "
        f"{report.get('tokens_per_s', 0):.0f} tokens/s, adapter {report.get('adapter_gguf')}"
    )
    print(f"({time.perf_counter() - t:.1f} s)")

    t = step("4. evaluate on the held-out 15% and gate")
    from pipeline.evaluate.gate import gate

    bar = ProgressBar("evaluating")
    result = gate(db, report["model_id"], progress=bar)
    bar.close()
    from storage.models import ModelStore

    from pipeline.evaluate.harness import EvalReport

    run = ModelStore(db).eval_run(result.eval_run_id)
    print(EvalReport(run["id"], run["model_id"], run["n_incidents"], run["results"], run["details"]).table())
    print(("PROMOTED: " if result.promoted else "not promoted: ") + result.gate_reason)
    print(f"({time.perf_counter() - t:.1f} s)")

    t = step("5. answer")
    from pipeline.serve.answer import Answerer

    answerer = Answerer.from_db(db_path)
    for q in QUESTIONS:
        a = answerer.ask(q)
        print(f"\nQ: {q}\nA: {a.answer.strip()}")
        print(f"   category: {a.root_cause_category}   confidence: {a.confidence:.2f}")
        for i, s in enumerate(a.sources, 1):
            print(f"   [{i}] {s['incident_title']} ({s['date']}, score {s['score']:.3f})")
    print(f"({time.perf_counter() - t:.1f} s)")
    print(f"\ndemo finished in {time.perf_counter() - started:.0f} s; database: {db_path}")


def print_corpus_table(db) -> None:
    stats = db.stats()
    print(f"\n{'category':<16}{'incidents':>10}")
    for cat, n in stats["by_category"].items():
        print(f"{cat:<16}{n:>10}")
    print(f"{'total':<16}{stats['incidents']:>10}")
    if stats["excluded"]:
        print("excluded: " + ", ".join(f"{r} {n}" for r, n in stats["excluded"].items()))


if __name__ == "__main__":
    main()
