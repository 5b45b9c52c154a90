"""A time budget for reading one document: large documents are converted, scrubbed and
parsed in a child process that is killed when it runs over.

Every pattern that scans untrusted text is linear and every document is size-capped, so a
small document can't take long: those are read in-process (no cost on a normal sync). A large
one could still take seconds per megabyte, and a slow pattern introduced later would hang the
whole sync; only a separate process can be stopped part way, so those go to a worker."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path

from pipeline.ingest import draft_model, services_model
from pipeline.ingest.decode import size_limit
from pipeline.ingest.extractors.base import not_an_incident
from pipeline.ingest.formats import sniff, to_markdown
from pipeline.ingest.parser import Parsed, parse
from pipeline.ingest.scrub import scrub

# Characters or bytes. The largest real post-mortem in the shared corpus is 24 KB; below this
# size a linear read takes well under a second even on a loaded machine.
ISOLATE_OVER_SIZE = 64_000
PARSE_BUDGET_S = 30.0
# The worker's address space: 2 MB of empty headings is a million markdown tokens, which took
# 1.25 GB before the time budget stopped it.
MEMORY_BUDGET_BYTES = 1 << 30


def read_document(body: bytes | str, source_id: str, meta: dict) -> tuple[Counter, Parsed]:
    """Format to markdown, secrets out, then structure (the parser's rules, then the learned
    draft and services models): the one read of a document, wherever it runs. Returns the
    redactions made and the parse (with a reason when excluded)."""
    text, reason, detail = to_markdown(body, source_id)
    if text is None:
        return Counter(), Parsed(reason=reason, detail=detail)
    text, found = scrub(text)
    meta = {k: scrub(v)[0] if isinstance(v, str) else v for k, v in meta.items()}
    parsed = parse(text, source_id=source_id, meta=meta)
    why_not = not_an_incident(source_id, text, None if parsed.reason else parsed.fields)
    if why_not:
        return found, Parsed(reason="not-an-incident", detail=why_not)
    unfinished = None if parsed.reason else draft_model.load().unfinished(text)
    if unfinished is not None:
        # The rules found a cause and a fix; the write-up still reads as one nobody has finished.
        return found, Parsed(reason="draft", detail=f"it reads as unfinished (draft model, p={unfinished:.2f})")
    if not parsed.reason:
        # What broke, where the writer named it only in passing.
        fields, provenance = parsed.fields, parsed.provenance
        fields["services_affected"], provenance["services_affected"] = services_model.load().complete(
            text, fields["incident_title"], fields["services_affected"], provenance.get("services_affected", "")
        )
    return found, parsed


class OverBudget(Exception):
    """A document that needs more time or memory than one document may take."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason  # `too-slow` or `too-large`, the exclusion reason


class Reader:
    """Reads documents within a time budget. Start one per sync and close it at the end; the
    worker process is started on the first large document only.

    The worker is a fresh interpreter (`python -m pipeline.ingest.isolate`) talking over its
    stdin and stdout, not a multiprocessing child: fork is unsafe in the threaded Slack app,
    and spawn re-runs the caller's main script, which a script without a main guard can't take."""

    def __init__(self, budget_s: float = PARSE_BUDGET_S):
        self.budget_s = budget_s
        self._proc: subprocess.Popen | None = None
        self._send: Connection | None = None
        self._recv: Connection | None = None

    def read(self, body: bytes | str, source_id: str, meta: dict) -> tuple[Counter, Parsed]:
        """Raises OverBudget past the time or memory budget, RuntimeError if the worker failed."""
        if len(body) <= ISOLATE_OVER_SIZE or _rejected_unread(body, source_id):
            return read_document(body, source_id, meta)
        self._start()
        try:
            self._send.send((body, source_id, meta))
            if not self._recv.poll(self.budget_s):
                self.close()  # the worker is busy with it: kill it; the next large document starts another
                raise OverBudget("too-slow", f"reading it took over {self.budget_s:g} s")
            status, found, result = self._recv.recv()
        except (EOFError, OSError):  # the worker died (out of memory, a crash in C code)
            self.close()
            raise RuntimeError("the parser process died on this document") from None
        if status == "memory":
            raise OverBudget("too-large", f"reading it needed over {MEMORY_BUDGET_BYTES >> 20:,} MB of memory")
        if status != "ok":
            raise RuntimeError(result)
        return found, result

    def _start(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self.close()
        # The worker imports this package from where the caller did, whatever its cwd.
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.ingest.isolate"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        self._send = Connection(os.dup(self._proc.stdin.fileno()), readable=False)
        self._recv = Connection(os.dup(self._proc.stdout.fileno()), writable=False)
        self._proc.stdin.close()
        self._proc.stdout.close()
        try:
            self._recv.recv()  # "ready": imports done, so start-up is not charged to the budget
        except EOFError:
            self.close()
            raise RuntimeError("the parser process did not start (see its error above)") from None

    def close(self) -> None:
        for conn in (self._send, self._recv):
            if conn is not None:
                conn.close()
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
        self._proc = self._send = self._recv = None


def _rejected_unread(body: bytes | str, name: str) -> bool:
    """Whether to_markdown turns it away without converting it (too large, an image, a
    spreadsheet): no worker needed, and no worker start-up for the `labels.jsonl` of a folder."""
    return len(body) > size_limit(name) or isinstance(body, bytes) and sniff(body, name).startswith("unsupported:")


def _serve() -> None:
    # Replies go out on a private copy of stdout; fd 1 becomes stderr, so that anything a
    # library prints can't corrupt them.
    recv = Connection(os.dup(0), writable=False)
    send = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BUDGET_BYTES, MEMORY_BUDGET_BYTES))
    send.send("ready")
    while True:
        try:
            body, source_id, meta = recv.recv()
        except EOFError:
            return
        try:
            found, parsed = read_document(body, source_id, meta)
            send.send(("ok", found, parsed))
        except MemoryError:  # what it built is freed with the frame; the worker goes on
            send.send(("memory", None, None))
        except Exception as exc:  # noqa: BLE001 - reported to the sync as this document's failure
            send.send(("error", None, f"{type(exc).__name__}: {exc}"[:300]))


if __name__ == "__main__":
    _serve()
