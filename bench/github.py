"""GitHub connector sync speed against the fake GitHub API (tests/fakes/github.py).

    python -m bench.github [--copies 4] [--latency 0 0.05] [--other-files 100000]

A repository holding the sample post-mortems of all three orgs (`--copies` times each, under
distinct folders), synced through PyGithub over loopback into a fresh SQLite database:
the first sync, an unchanged re-sync (the baseline it is compared against is the first sync of
the same run), and a re-sync after one file changed. `--latency` adds a per-request delay to
the fake, as a rough stand-in for the round trip to api.github.com. `--other-files` adds that
many source files beside the post-mortems (a monorepo): an unchanged re-sync should cost only
the listing, not a lookup per file."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pipeline.ingest.extractors.base import looks_like_postmortem
from pipeline.ingest.extractors.github import GitHubConfig, GitHubRepo
from pipeline.ingest.sync import ingest
from storage import Database
from tests.fakes.github import FakeGitHub

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
REPO = "bench/postmortems"


def repository_files(copies: int, other_files: int = 0) -> dict[str, bytes]:
    files = {f"src/pkg{i // 500}/module_{i}.py": b"VALUE = 1\n" for i in range(other_files)}
    for org in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        for path in sorted(org.rglob("*")):
            rel = path.relative_to(org).as_posix()
            if path.is_file() and looks_like_postmortem(rel):
                for n in range(copies):
                    files[f"{org.name}-{n}/{rel}"] = path.read_bytes()
    files["README.md"] = b"# Post-mortems\n"
    return files


def run(copies: int, latency: float, other_files: int = 0) -> list[dict]:
    rows = []
    with FakeGitHub() as fake, tempfile.TemporaryDirectory() as tmp:
        repo = fake.add_repo(REPO, files=repository_files(copies, other_files))
        if latency:
            fake.fault("slow", "", times=None, delay=latency)
        extractor = GitHubRepo(GitHubConfig(repo=REPO, api_url=fake.url))
        db = Database(Path(tmp) / "bench.db")
        # Documents a sync covers: fetched, or confirmed unchanged by their blob sha.
        docs = sum(looks_like_postmortem(p) for p in repo.files)

        def sync(label: str) -> dict:
            fake.reset_log()
            t0 = time.perf_counter()
            ingest(db, extractor)
            seconds = time.perf_counter() - t0
            return {
                "latency_s": latency,
                "sync": label,
                "docs": docs,
                "fetched": fake.count("/git/blobs/"),
                "requests": fake.count(),
                "seconds": seconds,
                "docs_per_s": docs / seconds,
            }

        rows.append(sync("first"))
        rows.append(sync("unchanged"))
        changed = next(p for p in repo.files if looks_like_postmortem(p))
        repo.write(changed, repo.files[changed] + b"\nEdited after review.\n")
        rows.append(sync("one changed"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=4, help="copies of each sample post-mortem")
    ap.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.05], help="seconds per request")
    ap.add_argument("--other-files", type=int, default=0, help="non-post-mortem files beside them (a monorepo)")
    args = ap.parse_args()
    print(f"{'latency':>8} {'sync':<12} {'docs':>5} {'fetched':>7} {'requests':>8} {'seconds':>8} {'docs/s':>8} {'vs first':>9}")
    for latency in args.latency:
        rows = run(args.copies, latency, args.other_files)
        first = rows[0]["seconds"]
        for r in rows:
            print(
                f"{r['latency_s']:>8.3f} {r['sync']:<12} {r['docs']:>5} {r['fetched']:>7} {r['requests']:>8} "
                f"{r['seconds']:>8.3f} {r['docs_per_s']:>8.1f} {first / r['seconds']:>8.1f}x"
            )


if __name__ == "__main__":
    main()
