"""Start job processes and keep their one Slack message each up to date.

The job process (`python -m pipeline.jobs run ID`) writes its progress to the jobs table and
knows nothing of Slack; this side polls the table and edits the job's message, at most once
per interval while it runs, and always once at the end. A job started where the bot can't
post (a channel it isn't in) reports through the slash command's response_url instead,
which takes at most 5 posts: there it gets only the final result."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from typing import Callable

from slack_sdk.webhook import WebhookClient

from bot import blocks
from bot.streaming import UpdateBudget
from pipeline.jobs import launch, reap_interrupted
from storage.jobs import JobStore
from storage.processes import pid_alive

log = logging.getLogger(__name__)


class JobRunner:
    def __init__(self, db_path, store: JobStore, client, budget: UpdateBudget, interval: float = 2.0):
        self.db_path = db_path
        self.budget = budget
        self.store = store
        self.client = client
        self.interval = interval
        self.on_finished: list[Callable[[dict], None]] = []
        self._procs: dict[int, subprocess.Popen] = {}
        self._shown: dict[int, tuple] = {}  # job id -> state last posted
        self._posted_at: dict[int, float] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, args: dict, *, requested_by: str, channel: str = "",
              response_url: str = "", exclusive: bool = True) -> dict:
        """Record and launch a job; JobBusy when one of this kind is already active."""
        job_id = self.store.create(
            kind, args, requested_by=requested_by, channel=channel,
            response_url=response_url, exclusive=exclusive,
        )
        with self._lock:
            self._shown[job_id] = ()
        try:
            self._procs[job_id] = launch(self.db_path, job_id)
        except OSError as exc:
            self.store.finish(job_id, "failed", message=f"could not start the job process: {exc}")
        return self.store.get(job_id)

    def post_message(self, job: dict, channel: str) -> None:
        """Post the job's progress message in `channel`; without access there, the final
        result goes to the response_url instead."""
        text, body = blocks.job_message(job)
        try:
            ts = self.client.chat_postMessage(channel=channel, text=text, blocks=body)["ts"]
        except Exception as exc:
            log.info("job #%d: no progress message in %s (%s); will answer via response_url", job["id"], channel, exc)
            return
        self.store.set_message(job["id"], channel, ts)

    def tick(self) -> None:
        """Settle dead processes, post changed progress, fire the on_finished hooks."""
        for job_id, proc in list(self._procs.items()):
            if proc.poll() is not None:  # reaps the child, so its pid reads as gone
                del self._procs[job_id]
        reap_interrupted(self.store, self._alive)
        with self._lock:
            watched = set(self._shown)
        for job in self.store.active():
            watched.add(job["id"])
        for job_id in sorted(watched):
            job = self.store.get(job_id)
            if job is not None:
                self._show(job)

    def _alive(self, pid: int | None) -> bool:
        # A job launched this instant may not have its pid stored yet.
        return pid is None or pid_alive(pid)

    def _show(self, job: dict) -> None:
        finished = job["status"] not in ("queued", "running")
        state = (job["status"], job["step"], job["total"], job["message"])
        now = time.monotonic()
        with self._lock:
            if self._shown.get(job["id"]) == state:
                if finished:
                    self._shown.pop(job["id"], None)
                return
            if not finished and now - self._posted_at.get(job["id"], 0) < self.interval:
                return
        if not finished and job.get("message_ts") and not self.budget.try_take(job["channel"]):
            return
        try:
            self._post(job, finished)
        except Exception:
            log.exception("could not post progress of job #%d", job["id"])
        with self._lock:
            self._posted_at[job["id"]] = now
            if finished:
                self._shown.pop(job["id"], None)
            else:
                self._shown[job["id"]] = state
        if finished:
            for hook in self.on_finished:
                try:
                    hook(job)
                except Exception:
                    log.exception("job #%d: on_finished hook failed", job["id"])

    def _post(self, job: dict, finished: bool) -> None:
        text, body = blocks.job_message(job)
        if job.get("message_ts"):
            if finished:
                self.budget.take(job["channel"])
            self.client.chat_update(channel=job["channel"], ts=job["message_ts"], text=text, blocks=body)
        elif finished and job.get("response_url"):
            WebhookClient(job["response_url"], proxy=self.client.proxy).send(
                text=text, blocks=body, response_type="ephemeral", replace_original=False
            )


def model_watch(models, on_change: Callable[[], object]) -> Callable[[], None]:
    """A tick function that calls `on_change` when the current model in the registry changes
    (a retrain promoted one, or an admin ran `postmortem models promote|rollback`)."""
    seen = {"id": _current_id(models)}

    def check() -> None:
        current = _current_id(models)
        if current != seen["id"]:
            log.info("current model changed: %s -> %s; reloading", seen["id"], current)
            seen["id"] = current
            on_change()

    return check


def _current_id(models) -> int | None:
    current = models.current()
    return current["id"] if current else None


class Ticker:
    """Calls each function every `interval` seconds on one daemon thread."""

    def __init__(self, interval: float, *fns: Callable[[], None]):
        self.interval = interval
        self.fns = list(fns)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="postmortem-ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for fn in self.fns:
                try:
                    fn()
                except Exception:
                    log.exception("background tick failed")
