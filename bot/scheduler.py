"""Periodic work: a sync of every configured source on the configured schedule (default
nightly), and, when enabled, a retrain once enough new incidents have arrived since the
last one. Both go through the same job runner as the slash commands."""

from __future__ import annotations

import logging

from bot.job_runner import JobRunner
from pipeline.config import DEFAULT_SCHEDULE
from storage import Database
from storage.jobs import JobBusy, JobStore
from storage.models import ModelStore

log = logging.getLogger(__name__)

SCHEDULER_USER = "scheduler"


def start_scheduler(runner: JobRunner, schedule: str | None = None, config_path: str | None = None):
    """A running BackgroundScheduler with the sync job; `schedule` is a crontab line."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        scheduled_sync,
        CronTrigger.from_crontab(schedule or DEFAULT_SCHEDULE),
        args=[runner, config_path],
        id="sync",
        coalesce=True,  # after downtime, one catch-up run, not one per missed night
        max_instances=1,
    )
    scheduler.start()
    return scheduler


def scheduled_sync(runner: JobRunner, config_path: str | None = None) -> int | None:
    try:
        job = runner.start("sync", {"source": "all", "config": config_path}, requested_by=SCHEDULER_USER)
    except JobBusy as busy:
        log.info("scheduled sync skipped: job #%d is still %s", busy.job["id"], busy.job["status"])
        return None
    log.info("scheduled sync: job #%d", job["id"])
    return job["id"]


def new_incidents_since_last_training(db: Database) -> int:
    """Live incidents first seen after the last retrain was requested (or, before any, after
    the current model was trained; with no model at all, every incident)."""
    last = JobStore(db).last("retrain")
    current = ModelStore(db).current()
    since = (last or {}).get("created_at") or (current or {}).get("trained_at") or ""
    return db.count_incidents(first_seen_after=since)


def retrain_when_enough_new(runner: JobRunner, db: Database, threshold: int | None, options: dict | None = None):
    """An on_finished hook: after a successful sync, start a retrain if at least
    `threshold` new incidents arrived since the last one (None or 0: never)."""

    def hook(job: dict) -> None:
        if not threshold or job["kind"] != "sync" or job["status"] != "succeeded":
            return
        fresh = new_incidents_since_last_training(db)
        if fresh < threshold:
            return
        try:
            started = runner.start(
                "retrain", {**(options or {}), "reason": f"{fresh} new incidents"}, requested_by=SCHEDULER_USER
            )
            log.info("%d new incidents >= %d: retrain job #%d", fresh, threshold, started["id"])
        except JobBusy:
            log.info("%d new incidents, but a retrain is already running", fresh)

    return hook
