"""A time budget for reading one document: large documents are scrubbed and parsed in a
child process that is killed when it runs over.

Every pattern that scans untrusted text is linear and every document is size-capped, so a
small document can't take long: those are read in-process (no cost on a normal sync). A large
one could still take seconds per megabyte, and a slow pattern introduced later would hang the
whole sync; only a separate process can be stopped part way, so those go to a worker."""

from __future__ import annotations

import multiprocessing
from collections import Counter

from pipeline.ingest.parser import Parsed, parse
from pipeline.ingest.scrub import scrub

# The largest real post-mortem in the shared corpus is 24 KB; below this size a linear read
# takes well under a second even on a loaded machine.
ISOLATE_OVER_CHARS = 64_000
PARSE_BUDGET_S = 30.0


def scrub_and_parse(text: str, source_id: str, meta: dict) -> tuple[Counter, Parsed]:
    """Secrets out first, then structure: the one read of a document, wherever it runs."""
    text, found = scrub(text)
    meta = {k: scrub(v)[0] if isinstance(v, str) else v for k, v in meta.items()}
    return found, parse(text, source_id=source_id, meta=meta)


class TooSlow(Exception):
    pass


class Reader:
    """Reads documents within a time budget. Start one per sync and close it at the end; the
    worker process is started on the first large document only."""

    def __init__(self, budget_s: float = PARSE_BUDGET_S):
        self.budget_s = budget_s
        self._proc = None
        self._conn = None

    def read(self, text: str, source_id: str, meta: dict) -> tuple[Counter, Parsed]:
        """Raises TooSlow past the budget, RuntimeError if the document made the worker fail."""
        if len(text) <= ISOLATE_OVER_CHARS:
            return scrub_and_parse(text, source_id, meta)
        conn = self._worker()
        conn.send((text, source_id, meta))
        if not conn.poll(self.budget_s):
            self.close()  # the worker is busy with it: kill it; the next large document starts another
            raise TooSlow(f"reading it took over {self.budget_s:g} s")
        try:
            status, found, result = conn.recv()
        except EOFError:  # the worker died (out of memory, a crash in C code)
            self.close()
            raise RuntimeError("the parser process died on this document") from None
        if status != "ok":
            raise RuntimeError(result)
        return found, result

    def _worker(self):
        if self._proc is None or not self._proc.is_alive():
            self.close()
            # spawn, not fork: the Slack app syncs from a thread, and forking a threaded
            # process can deadlock the child on a lock another thread held.
            ctx = multiprocessing.get_context("spawn")
            self._conn, child = ctx.Pipe()
            self._proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="postmortem-parse")
            self._proc.start()
            child.close()
            self._conn.recv()  # "ready": imports done, so start-up is not charged to the budget
        return self._conn

    def close(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join()
            self._conn.close()
        self._proc = self._conn = None

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _serve(conn) -> None:
    conn.send("ready")
    while True:
        try:
            text, source_id, meta = conn.recv()
        except EOFError:
            return
        try:
            found, parsed = scrub_and_parse(text, source_id, meta)
            conn.send(("ok", found, parsed))
        except Exception as exc:  # noqa: BLE001 - reported to the sync as this document's failure
            conn.send(("error", None, f"{type(exc).__name__}: {exc}"[:300]))
