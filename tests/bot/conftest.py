"""The Slack app under test: the real Bolt App and SocketModeHandler, connected over real
sockets to the fake Slack (tests/fakes/slack.py), answering with the real Answerer on the
embedded model. The corpus (sample post-mortems of one org) is ingested and indexed once per
session and copied for each test; llama.cpp and the embedder load once per process."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from pathlib import Path

import pytest

from storage import Database
from storage.jobs import JobStore
from tests.fakes.slack import FakeSlack
from tests.paths import SAMPLES

ADMIN = "UADMIN"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    # slack_sdk reads HTTP(S)_PROXY and ignores NO_PROXY: requests to the fake would go out.
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def seeded_corpus(tmp_path_factory) -> Path:
    """A database with the acme-pay sample post-mortems and its FAISS index."""
    from pipeline.ingest.extractors.local import LocalFolder
    from pipeline.serve.index import rebuild_index
    from pipeline.ingest.sync import ingest

    path = tmp_path_factory.mktemp("corpus") / "postmortem.db"
    db = Database(path)
    ingest(db, LocalFolder(SAMPLES / "acme-pay", name="acme-pay"))
    rebuild_index(db)
    db.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def db_path(seeded_corpus, tmp_path) -> Path:
    target = tmp_path / "data" / "postmortem.db"
    target.parent.mkdir()
    for src in seeded_corpus.parent.iterdir():
        if src.name.startswith(seeded_corpus.name) and not src.name.endswith(("-wal", "-shm")):
            shutil.copy2(src, target.parent / src.name)
    return target


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def make_bot(slack, db_path):
    """Build and connect the app; returns (bot, handler). Everything is closed after the test."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_bot, web_client
    from bot.config import BotConfig
    from bot.settings import Settings
    from pipeline.serve.answer import Answerer

    started = []

    def make(config: BotConfig | None = None, issues=None, **settings_overrides):
        settings = Settings(
            bot_token=slack.bot_token,
            app_token=slack.app_token,
            api_url=slack.api_url,
            db_path=db_path,
            admins=frozenset({ADMIN}),
            stream_interval=0.2,
            job_poll_interval=0.2,
            **settings_overrides,
        )
        db = Database(db_path)
        bot = build_bot(settings, web_client(settings), Answerer.from_db(db_path), db, config, issues)
        handler = SocketModeHandler(bot.app, settings.app_token)
        handler.connect()
        bot.start_background(with_scheduler=False)
        started.append((bot, handler))
        return bot, handler

    yield make
    for bot, handler in started:
        handler.close()
        bot.close()
    # Job processes outlive the app by design; a test must not leave one behind.
    for job in JobStore(Database(db_path)).active():
        if job["pid"]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(job["pid"], signal.SIGKILL)


@pytest.fixture
def bot(make_bot):
    return make_bot()[0]
