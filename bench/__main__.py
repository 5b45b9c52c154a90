"""`make bench`: every benchmark, one after another, each printing its own table and ratios
against a baseline measured in the same run.

    python -m bench [NAME ...]     (names: parser github connectors train retrieval under_writes answer slack)
"""

from __future__ import annotations

import importlib
import sys
import time

ORDER = ("parser", "github", "connectors", "retrieval", "under_writes", "answer", "train", "slack")


def main(argv: list[str]) -> int:
    names = argv or list(ORDER)
    failed = []
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
            print(f"\n## bench.{name}: not present, skipped")
            continue
        print(f"\n## bench.{name}", flush=True)
        started = time.perf_counter()
        saved = sys.argv
        sys.argv = [f"bench.{name}"]
        try:
            module.main()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed.append(name)
            print(f"bench.{name} failed: {type(exc).__name__}: {exc}")
        finally:
            sys.argv = saved
        print(f"(bench.{name}: {time.perf_counter() - started:.0f} s)", flush=True)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
