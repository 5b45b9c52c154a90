"""Background jobs: `python -m pipeline.jobs run ID` runs one sync or retrain recorded in the
`jobs` table, in its own process, writing progress (step, total, message), a log tail and a
result summary back to the table as it goes.

A job never runs inside the Slack app's process: a crash, an out-of-memory kill or a stuck
training run takes down only the job, and the app keeps answering. The app launches jobs
with `launch()` and watches the table; whatever the job process dies of, the status is
settled (by the job itself, or by `reap_interrupted()` once its pid is gone)."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

from storage import Database
from storage.jobs import JobStore

log = logging.getLogger("pipeline.jobs")

KINDS = ("sync", "retrain")


# -- the app side: start a job process, notice when one is gone --------------------------------


def launch(db_path: str | os.PathLike, job_id: int) -> subprocess.Popen:
    """Start the job process. Its output goes to `<db dir>/jobs/<id>.log` (the full log; the
    table keeps the tail). It gets its own session so that signals aimed at the app (Ctrl-C)
    don't kill a training run half way."""
    log_dir = Path(db_path).resolve().parent / "jobs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{job_id}.log", "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.jobs", "run", str(job_id), "--db", str(db_path)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    JobStore(Database(db_path)).set_pid(job_id, proc.pid)
    return proc


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this pid is running (a zombie, exited but not yet reaped by
    its parent, counts as gone)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process with a recycled pid: not our job
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return True  # no /proc (macOS): kill(0) is all we know
    return state not in ("Z", "X")


def reap_interrupted(store: JobStore, is_alive: Callable[[int | None], bool] = pid_alive) -> list[int]:
    """Mark failed every active job whose process is gone (the app or the machine restarted
    under it, or it was killed). Returns their ids."""
    reaped = []
    for job in store.active():
        if not is_alive(job["pid"]) and store.finish(
            job["id"], "failed", message="interrupted: the job process is gone"
        ):
            store.log(job["id"], "interrupted: the job process is gone")
            reaped.append(job["id"])
    return reaped


# -- the job process ------------------------------------------------------------------------------


class Progress:
    """Writes step/total/message to the job row, at most every `interval` seconds (training
    reports every step; the table doesn't need every one) except the last step of a phase."""

    def __init__(self, store: JobStore, job_id: int, interval: float = 0.5):
        self.store = store
        self.job_id = job_id
        self.interval = interval
        self._last = 0.0

    def __call__(self, step: int, total: int | None, message: str) -> None:
        t = time.monotonic()
        if total and step < total and t - self._last < self.interval:
            return
        self._last = t
        self.store.progress(self.job_id, step, total or 0, message)


class _TailHandler(logging.Handler):
    """Copies the job's log lines into the table's log tail."""

    def __init__(self, store: JobStore, job_id: int):
        super().__init__(logging.INFO)
        self.store = store
        self.job_id = job_id
        self.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.store.log(self.job_id, self.format(record))
        except Exception:  # the log tail must never take a job down
            self.handleError(record)


def run(db_path: str | os.PathLike, job_id: int) -> int:
    """Run job `job_id` to completion in this process. Returns the exit status."""
    db = Database(db_path)
    store = JobStore(db)
    job = store.get(job_id)
    if job is None:
        print(f"no job #{job_id} in {db_path}", file=sys.stderr)
        return 2
    if job["status"] != "queued":
        print(f"job #{job_id} is {job['status']}, not queued", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger().addHandler(_TailHandler(store, job_id))
    store.started(job_id, os.getpid())
    progress = Progress(store, job_id)
    log.info("%s job #%d started (pid %d)", job["kind"], job_id, os.getpid())
    try:
        if job["kind"] == "sync":
            from pipeline.sync_job import run_sync

            result = run_sync(db, job["args"], progress)
        elif job["kind"] == "retrain":
            from pipeline.retrain_job import run_retrain

            result = run_retrain(db, job["args"], progress)
        else:
            raise ValueError(f"unknown job kind {job['kind']!r}")
    except BaseException as exc:
        store.log(job_id, "".join(traceback.format_exception(exc)[-6:]))
        store.finish(job_id, "failed", message=f"{type(exc).__name__}: {exc}")
        log.error("job #%d failed: %s", job_id, exc)
        return 1
    status = "failed" if result.get("failed") else "succeeded"
    store.finish(job_id, status, result=result, message=result.get("message", status))
    log.info("job #%d %s", job_id, status)
    return 0 if status == "succeeded" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.jobs", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="run one queued job from the jobs table")
    run_p.add_argument("job_id", type=int)
    run_p.add_argument("--db", default=None, help="SQLite database (default: $POSTMORTEM_DB)")
    args = parser.parse_args(argv)
    from storage import default_db_path

    return run(args.db or default_db_path(), args.job_id)


if __name__ == "__main__":
    sys.exit(main())
