"""Notion and Confluence sync speed against the fake servers (tests/fakes/notion.py,
tests/fakes/confluence.py).

    python -m bench.connectors [--copies 2] [--latency 0 0.02]

The sample post-mortems of all three orgs (`--copies` times each) served as Notion pages
(blocks, nested, paginated) and as Confluence pages (storage XHTML; Cloud and Server/DC code
paths), synced through the real clients over loopback into a fresh SQLite database: the first
sync, an unchanged re-sync (compared with the first sync of the same run), and a re-sync after
one page changed. `--latency` adds a per-request delay to the fake, a rough stand-in for the
round trip to the real service."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pipeline.ingest.extractors.confluence import ConfluencePages
from pipeline.ingest.extractors.notion import NotionDatabase
from pipeline.ingest.sync import ingest
from storage import Database
from tests.fakes.confluence import FakeConfluence
from tests.fakes.notion import FakeNotion
from tests.fakes.samples import sample_pages


def connectors(pages):
    """(name, fake server, build the extractor from the running fake, change one page)."""
    yield (
        "notion",
        FakeNotion(pages),
        lambda f: NotionDatabase(f.token, f.database_id, base_url=f.url),
        lambda f: f.edit_page(next(iter(f.pages))),
    )
    for cloud in (True, False):
        yield (
            "confluence-" + ("cloud" if cloud else "server"),
            FakeConfluence(pages),
            lambda f, cloud=cloud: ConfluencePages(f.url, space=f.space, user=f.user, token=f.token, cloud=cloud),
            lambda f: f.edit_page(next(iter(f.pages))),
        )


def run(copies: int, latency: float) -> list[dict]:
    pages = sample_pages() * copies
    rows = []
    for name, fake, make, change in connectors(pages):
        with fake, tempfile.TemporaryDirectory() as tmp:
            if latency:
                fake.fault("slow", "", times=None, delay=latency)
            db = Database(Path(tmp) / "bench.db")

            def sync(label: str) -> dict:
                fake.reset_log()
                fake.reads.clear()
                t0 = time.perf_counter()
                summary = ingest(db, make(fake))
                seconds = time.perf_counter() - t0
                assert summary.errors == 0, summary.error_details
                return {
                    "connector": name,
                    "latency_s": latency,
                    "sync": label,
                    "pages": len(fake.pages),
                    "read": sum(fake.reads.values()),
                    "requests": fake.count(),
                    "seconds": seconds,
                    "pages_per_s": len(fake.pages) / seconds,
                }

            rows.append(sync("first"))
            rows.append(sync("unchanged"))
            change(fake)
            rows.append(sync("one changed"))
            db.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=2, help="copies of each sample post-mortem")
    ap.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.02], help="seconds per request")
    args = ap.parse_args()
    print(
        f"{'connector':<18} {'latency':>7} {'sync':<12} {'pages':>5} {'read':>5} {'requests':>8} "
        f"{'seconds':>8} {'pages/s':>8} {'vs first':>9}"
    )
    for latency in args.latency:
        rows = run(args.copies, latency)
        for r in rows:
            first = next(x for x in rows if x["connector"] == r["connector"] and x["sync"] == "first")
            print(
                f"{r['connector']:<18} {r['latency_s']:>7.3f} {r['sync']:<12} {r['pages']:>5} {r['read']:>5} "
                f"{r['requests']:>8} {r['seconds']:>8.3f} {r['pages_per_s']:>8.1f} {first['seconds'] / r['seconds']:>8.1f}x"
            )


if __name__ == "__main__":
    main()
