"""Slash commands. Each one acknowledges within Slack's 3 seconds; the work itself runs in a
job process (see bot.job_runner), never in the app."""

from __future__ import annotations

import logging
from bot import blocks
from bot.job_runner import JobRunner
from pipeline.jobs import parse_options
from storage import Database
from storage.jobs import JobBusy, JobStore
from storage.models import ModelStore

log = logging.getLogger(__name__)


class Commands:
    def __init__(
        self,
        runner: JobRunner,
        db: Database,
        admins: frozenset[str],
        source_names: list[str],
        retrain_defaults: dict | None = None,
        config_path: str | None = None,
    ):
        self.runner = runner
        self.db = db
        self.jobs = JobStore(db)
        self.models = ModelStore(db)
        self.admins = admins
        self.source_names = source_names
        self.retrain_defaults = retrain_defaults or {}
        self.config_path = config_path

    def sync(self, ack, command: dict) -> None:
        if not self._admin(ack, command, "sync"):
            return
        # `/postmortem-sync [source|all] [allow_mass_delete]`: the word confirms a sync that
        # deletes more than the guard allows (a source that really lost its pages).
        words = (command.get("text") or "").split()
        allow = "allow_mass_delete" in words
        words = [w for w in words if w != "allow_mass_delete"]
        target = words[0] if words else "all"
        names = self.source_names
        if target != "all" and target not in names:
            ack(blocks.unknown_source(target, names))
            return
        if not names:
            ack(blocks.SOURCES_NONE)
            return
        args = {"source": target, "config": self.config_path}
        self._start(ack, command, "sync", {**args, "allow_mass_delete": True} if allow else args)

    def retrain(self, ack, command: dict) -> None:
        """`/postmortem-retrain [max_steps=N epochs=X ...]`: the options override the config
        file's retrain settings for this run."""
        if not self._admin(ack, command, "retrain"):
            return
        try:
            options = parse_options(command.get("text") or "")
        except ValueError as exc:
            ack(f"{exc}")
            return
        self._start(ack, command, "retrain", {**self.retrain_defaults, **options})

    def status(self, ack, command: dict) -> None:
        ack(text="postmortem status", blocks=self.status_blocks())

    def status_blocks(self) -> list[dict]:
        return blocks.status(self.models.current(), self.db.last_sync(status=None), self.jobs.active())

    def _admin(self, ack, command: dict, what: str) -> bool:
        if command.get("user_id") in self.admins:
            return True
        ack(blocks.admins_only(what))
        log.info("refused /postmortem-%s for %s", what, command.get("user_id"))
        return False

    def _start(self, ack, command: dict, kind: str, args: dict) -> None:
        try:
            job = self.runner.start(
                kind,
                args,
                requested_by=command.get("user_id", ""),
                channel=command.get("channel_id", ""),
                response_url=command.get("response_url", ""),
            )
        except JobBusy as busy:
            ack(text=blocks.job_busy(kind), blocks=[blocks.section(blocks.job_busy(kind))] + blocks.job_message(busy.job)[1])
            return
        ack(blocks.job_started(kind, job["id"]))
        self.runner.post_message(job, command.get("channel_id", ""))
