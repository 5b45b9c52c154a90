"""Retrieval latency in the answer path (Retriever.refresh + search, what the Answerer does
before generating) while another process extracts new post-mortems into the same database,
against the same questions asked with no writer (the baseline, same run).

    python -m bench.under_writes [--docs 300]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
QUERIES = ["payments api returning 502 after deploy", "database connection pool exhausted",
           "certificate expired", "kafka consumer lag"]


def _ask(retriever, n: int) -> float:
    started = time.perf_counter()
    retriever.refresh()
    retriever.search(QUERIES[n % len(QUERIES)])
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=300)
    args = ap.parse_args()

    from pipeline.ingest.extractors.local import LocalFolder
    from pipeline.ingest.sync import ingest
    from pipeline.serve.index import rebuild_index
    from pipeline.serve.retrieve import Retriever
    from storage import Database

    with tempfile.TemporaryDirectory() as tmp:
        originals = sorted((SAMPLES / "acme-pay" / "postmortems").glob("*.md"))
        bulk = Path(tmp) / "bulk"
        bulk.mkdir()
        for i in range(args.docs):  # distinct documents: each one is new to the database
            text = originals[i % len(originals)].read_text()
            (bulk / f"2024-01-{i:05d}-copy.md").write_text(text + f"\n\nService shard-{i} was also affected.\n")
        db_path = Path(tmp) / "pm.db"
        db = Database(db_path)
        ingest(db, LocalFolder(SAMPLES / "acme-pay" / "postmortems"))
        rebuild_index(db)
        retriever = Retriever(db)
        idle = [_ask(retriever, n) for n in range(20)]
        writer = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "extract", "--source", "dir", "--path", str(bulk),
             "--db", str(db_path), "--quiet"],
            stdout=subprocess.DEVNULL,
        )
        busy = []
        while writer.poll() is None:
            busy.append(_ask(retriever, len(busy)))
        retriever.catch_up().wait()  # the running catch-up (or a last one) ends before the folder goes

    print("| questions | median ms | max ms |\n|---|---|---|")
    print(f"| {len(idle)} idle (baseline) | {statistics.median(idle) * 1000:.0f} | {max(idle) * 1000:.0f} |")
    print(f"| {len(busy)} during an extract of {args.docs} docs | {statistics.median(busy) * 1000:.0f} | {max(busy) * 1000:.0f} |")
    print(f"slowest under writes / slowest idle: {max(busy) / max(idle):.1f}x")


if __name__ == "__main__":
    main()
