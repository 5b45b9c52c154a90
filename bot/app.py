"""The one Bolt app: small listeners over the answering, command and job services."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot import blocks
from bot.action_items import IssueStatus
from bot.commands import Commands
from bot.config import BotConfig
from bot.conversations import Conversations
from bot.feedback import Feedback
from bot.home import home_view
from bot.job_runner import JobRunner, Ticker, model_watch
from bot.mentions import Answering
from bot.private import PrivateAnswers
from bot.scheduler import retrain_when_enough_new, start_scheduler
from bot.settings import Settings
from bot.streaming import UpdateBudget
from pipeline.jobs import reap_interrupted
from storage import Database
from storage.answers import AnswerStore
from storage.jobs import JobStore
from storage.models import ModelStore

log = logging.getLogger(__name__)


def web_client(settings: Settings) -> WebClient:
    """Bolt reads no base-URL variable, so the client pointed at SLACK_API_URL is built here
    and handed to the App (and through it to the Socket Mode handler)."""
    client = WebClient(token=settings.bot_token, base_url=settings.api_url)
    # Final answers and job results must land even when Slack asks us to slow down.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


@dataclass
class Bot:
    app: App
    answering: Answering
    runner: JobRunner
    ticker: Ticker
    config: BotConfig
    scheduler: object = None

    def start_background(self, with_scheduler: bool = True) -> None:
        self.ticker.start()
        if with_scheduler:
            self.scheduler = start_scheduler(self.runner, self.config.schedule, self.config.path)

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        self.ticker.stop()
        self.answering.close()


def build_bot(
    settings: Settings,
    client: WebClient,
    answerer,
    db: Database,
    config: BotConfig | None = None,
    issues: IssueStatus | None = None,
) -> Bot:
    """Wire the listeners. Jobs whose process died with a previous run of the app are marked
    failed here, before anything new starts. `issues`: GitHub issue statuses for action
    items (default: from GITHUB_TOKEN / GITHUB_API_URL)."""
    config = config or BotConfig()
    issues = issues or IssueStatus.from_env(os.environ)
    app = App(client=client, logger=logging.getLogger("slack_bolt"))
    jobs = JobStore(db)
    for job_id in reap_interrupted(jobs):
        log.warning("job #%d was interrupted (its process is gone): marked failed", job_id)

    budget = UpdateBudget()  # one chat.update budget per channel, shared by every edit
    answers = AnswerStore(db)
    answering = Answering(
        answerer,
        answers,
        budget,
        settings.stream_interval,
        sources_for=lambda channel: config.sources_for(db, channel),
        enrich=issues.enrich,
    )
    conversations = Conversations(answering, answers)
    private = PrivateAnswers(answering, answers)
    feedback = Feedback(answers, config.taxonomy)
    runner = JobRunner(db.path, jobs, client, budget, interval=settings.job_poll_interval)
    runner.on_finished.append(retrain_when_enough_new(runner, db, config.retrain_threshold, config.retrain))
    commands = Commands(
        runner,
        db,
        admins=settings.admins | config.admins,
        source_names=list(config.sources),
        retrain_defaults=config.retrain,
        config_path=config.path,
    )
    ticker = Ticker(settings.job_poll_interval, runner.tick, model_watch(ModelStore(db), answering.reload_model))

    @app.event("app_mention")
    def on_mention(client, event, body):
        answering.on_mention(client, event, body.get("event_id"))

    @app.event("message")
    def on_message(client, event, context):
        conversations.on_message(client, event, context.bot_user_id)

    @app.event("app_home_opened")
    def on_home(client, event):
        if event.get("tab", "home") == "home":
            client.views_publish(user_id=event["user"], view=home_view(db))

    app.action(blocks.VOTE_UP)(feedback.up)
    app.action(blocks.VOTE_DOWN)(feedback.down)
    app.view(blocks.CORRECTION)(feedback.submitted)
    app.action(blocks.SHARE)(private.share)
    app.command("/postmortem")(private.command)
    app.command("/postmortem-sync")(commands.sync)
    app.command("/postmortem-retrain")(commands.retrain)
    app.command("/postmortem-status")(commands.status)

    @app.error
    def on_error(error, body):
        log.error("unhandled error in a listener: %s", error, exc_info=error)

    return Bot(app=app, answering=answering, runner=runner, ticker=ticker, config=config)
