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
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

import click

from pipeline.config import RETRAIN_OPTIONS
from storage import Database
from storage.jobs import JobStore
from storage.models import ModelStore
from storage.processes import pid_alive

log = logging.getLogger("pipeline.jobs")


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
    with Database(db_path) as db:
        JobStore(db).set_pid(job_id, proc.pid)
    return proc


def reap_interrupted(store: JobStore, is_alive: Callable[[int | None], bool] = pid_alive) -> list[int]:
    """Mark failed every active job whose process is gone (the app or the machine restarted
    under it, or it was killed), with what it left behind: the candidate model of a retrain
    killed before its gate fails and its files go, and a sync it ran is closed as
    interrupted. Returns the jobs' ids."""
    reaped = []
    for job in store.active():
        if not is_alive(job["pid"]) and store.finish(
            job["id"], "failed", message="interrupted: the job process is gone"
        ):
            store.log(job["id"], "interrupted: the job process is gone")
            if job["kind"] == "retrain":
                _fail_candidates(store.database, job["id"])
            reaped.append(job["id"])
    store.database.reap_syncs()
    return reaped


def _fail_candidates(db: Database, job_id: int) -> None:
    """A retrain that died after training but before its gate leaves a candidate nobody will
    gate: mark it failed and remove its folder (the job's own, under <db dir>/models)."""
    models = ModelStore(db)
    for model in models.candidates_of_job(job_id):
        models.set_status(model["id"], "failed")
        shutil.rmtree(Path(model["adapter_path"]).parent, ignore_errors=True)
        log.info("job #%d: candidate model #%d failed (never gated), files removed", job_id, model["id"])


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
            result = run_sync(db, job["args"], progress)
        elif job["kind"] == "retrain":
            result = run_retrain(db, job_id, job["args"], progress)
        else:
            raise ValueError(f"unknown job kind {job['kind']!r}")
    except BaseException as exc:
        if isinstance(exc, click.ClickException):  # a user-facing refusal (no incidents, ...)
            message = exc.format_message()
        else:
            message = f"{type(exc).__name__}: {exc}"
            store.log(job_id, "".join(traceback.format_exception(exc)[-6:]))
        store.finish(job_id, "failed", message=message)
        log.error("job #%d failed: %s", job_id, message)
        return 1
    status = "failed" if result.get("failed") else "succeeded"
    store.finish(job_id, status, result=result, message=result.get("message", status))
    log.info("job #%d %s", job_id, status)
    return 0 if status == "succeeded" else 1


# -- what the jobs do ------------------------------------------------------------------------

def parse_options(text: str, allowed: dict[str, type] = RETRAIN_OPTIONS) -> dict:
    """`key=value` pairs, typed; ValueError with a readable message on anything else."""
    out = {}
    for pair in text.split():
        key, sep, value = pair.partition("=")
        if not sep or key not in allowed:
            raise ValueError(f"unknown option {pair!r}; allowed: " + ", ".join(f"{k}=…" for k in allowed))
        try:
            out[key] = allowed[key](value)
        except ValueError:
            raise ValueError(f"{key} must be {allowed[key].__name__}, got {value!r}") from None
    return out


def run_sync(db: Database, args: dict, progress: Progress) -> dict:
    """Ingest the requested configured source(s), then rebuild the search index. A source
    that fails is reported and the others still sync. `allow_mass_delete` in the job's args
    lets a sync delete more than the guard's share of a source."""
    from pipeline.config import load_config
    from pipeline.ingest.sync import SyncError, sync
    from pipeline.learn.categories import learn_from_corrections
    from pipeline.serve.index import rebuild_index

    config = load_config(args.get("config"))
    taxonomy = config.build_taxonomy()
    wanted = args.get("source") or "all"
    sources = [s for s in config.sources if wanted in ("all", s.name)]
    if not sources:
        raise ValueError(f"no configured source named {wanted!r}")
    results = []
    for n, source in enumerate(sources, 1):
        label = f"[{n}/{len(sources)}] {source.name}"
        progress(0, 0, f"{label}: listing")
        log.info("%s: syncing", label)

        def on_document(i: int, total: int | None, label=label) -> None:
            progress(i, total or 0, f"{label}: {i}/{total or '?'} documents")

        try:
            summary = sync(
                db,
                source.type,
                source.options,
                taxonomy=taxonomy,
                on_document=on_document,
                allow_mass_delete=bool(args.get("allow_mass_delete")),
            )
        except Exception as exc:
            message = str(exc) if isinstance(exc, SyncError) else f"{type(exc).__name__}: {exc}"
            log.error("%s failed: %s", label, message)
            results.append({"source": source.name, "failed": message})
            continue
        log.info("%s", summary.line())
        results.append({**summary.to_dict(), "source": source.name})
    progress(0, 0, "re-deciding categories from people's corrections")
    learn_from_corrections(db, taxonomy)
    progress(0, 0, "rebuilding the search index")
    rebuild_index(db)
    failed = [r["source"] for r in results if r.get("failed")]
    return {
        "sources": results,
        "indexed": db.count_incidents(),
        "failed": bool(failed) and len(failed) == len(results),
        "message": f"{len(results) - len(failed)}/{len(results)} sources synced",
    }


def run_retrain(db: Database, job_id: int, args: dict, progress: Progress) -> dict:
    """Train a candidate adapter into a folder of its own, evaluate it against the serving
    model and promote it only if it is better. Until the promotion (one SQLite update at the
    very end) the current model and its files are untouched, so a retrain killed at any
    point leaves the bot answering as before."""
    from dataclasses import fields

    from pipeline.evaluate.harness import EvalConfig
    from pipeline.evaluate.gate import GateConfig, gate
    from pipeline.learn.train import TrainConfig, train

    train_fields = {f.name for f in fields(TrainConfig)}
    config = TrainConfig(
        db=str(db.path),
        output_dir=str(db.path.resolve().parent / "models" / f"job-{job_id}"),
        **{k: v for k, v in args.items() if k in train_fields},
    )
    progress(0, 0, "loading the base model")

    def on_step(step: int, total: int, loss: float, eta_s: float) -> None:
        progress(step, total, f"training: loss {loss:.3f}, about {eta_s:.0f} s left")

    report = train(config, on_progress=on_step, job_id=job_id)
    log.info("trained candidate model #%s in %.0f s", report["model_id"], report["wall_s"])

    def on_eval(done: int, total: int) -> None:
        progress(done, total, f"evaluating on held-out incidents: {done}/{total}")

    progress(0, 0, "evaluating")
    verdict = gate(
        db,
        report["model_id"],
        GateConfig.from_env(),
        eval_config=EvalConfig(db=str(db.path), limit=args.get("eval_limit")),
        progress=on_eval,
    )
    log.info("gate: %s", verdict.gate_reason)
    eval_run = _eval_results(db, verdict.eval_run_id)
    return {
        **verdict.to_dict(),
        "eval": eval_run,
        "train": {
            "steps": report["steps"],
            "wall_s": report["wall_s"],
            "final_loss": report["loss"][-1] if report["loss"] else None,
        },
        "message": ("promoted " if verdict.promoted else "not promoted: ") + verdict.gate_reason,
    }


def _eval_results(db: Database, run_id: int) -> dict:
    run = ModelStore(db).eval_run(run_id)
    return {system: {k: v for k, v in row.items() if k != "n"} for system, row in run["results"].items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.jobs", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="run one queued job from the jobs table")
    run_p.add_argument("job_id", type=int)
    run_p.add_argument("--db", default=None, help="SQLite database (default: $POSTMORTEM_DB)")
    args = parser.parse_args(argv)
    from pipeline.logs import setup_output
    from storage import default_db_path

    setup_output()  # the job's log (and Slack's progress) is ours; library noise stays out

    return run(args.db or default_db_path(), args.job_id)


if __name__ == "__main__":
    sys.exit(main())
