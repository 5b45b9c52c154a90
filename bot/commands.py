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
            listed = ", ".join(f"`{n}`" for n in names) or "none configured"
            ack(f"I don't know a source called `{blocks.escape(target)}`. Sources: {listed}, or `all`.")
            return
        if not names:
            ack("No sources are configured: add them to postmortem.toml (see the README).")
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
        current = self.models.current()
        model = (
            f"*Model:* {blocks.escape(current['name'])} (trained {current['trained_at']}, "
            f"promoted {current['promoted_at']})"
            if current
            else "*Model:* the embedded base model (no fine-tuned model promoted yet)"
        )
        last = self.db.last_sync(status=None)
        sync = (
            f"*Last sync:* {blocks.escape(last['source'])} {last['status']} at "
            f"{last['finished_at'] or last['started_at']}: {last['new'] or 0} new, "
            f"{last['updated'] or 0} updated, {last['excluded'] or 0} excluded, {last['errors'] or 0} errors"
            if last
            else "*Last sync:* never"
        )
        out = [blocks.section(model), blocks.section(sync)]
        active = self.jobs.active()
        if active:
            out.append(blocks.section("*Running jobs:*"))
            for job in active[:10]:
                out += blocks.job_message(job)[1]
        else:
            out.append(blocks.section("*Running jobs:* none"))
        return out

    def _admin(self, ack, command: dict, what: str) -> bool:
        if command.get("user_id") in self.admins:
            return True
        ack(
            f"Sorry, only postmortem admins can run a {what}. "
            "Ask one of them, or see `/postmortem-status` for what is running."
        )
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
            ack(
                text=f"A {kind} is already running; one at a time.",
                blocks=[blocks.section(f"A {kind} is already running; one at a time.")]
                + blocks.job_message(busy.job)[1],
            )
            return
        ack(f"Started {kind} job #{job['id']}. I'll keep its progress up to date here.")
        self.runner.post_message(job, command.get("channel_id", ""))
