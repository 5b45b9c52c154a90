"""Eight mentions at once: every thread gets its evidence answer while the model is still busy
with the first question, then each its checked synthesis. The model is the fake
OpenAI-compatible server held busy until the test releases it, so the order is guaranteed
by construction, not by the machine's speed."""

import re
from contextlib import contextmanager

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import build_bot, web_client
from bot.settings import Settings
from pipeline.serve.answer import Answerer
from pipeline.serve.backends import OpenAIBackend
from storage import Database
from tests.bot.helpers import answered, section_text
from tests.fakes.openai_server import FakeOpenAI

QUESTIONS = [
    "merchant balances stale, ledger replica way behind primary",
    "payments-api 502s right after the deploy",
    "card payments failing with a bad certificate from the tokenizer",
    "ledger-db replica lag again, balances not updating",
    "checkout 502s after a release, what did we roll back?",
    "tokenizer mTLS cert expired?",
    "balance reads stale after analytics query on replica",
    "502 errors from the payments API after v4.12",
]


@contextmanager
def bot_answering_with(slack, db_path, model: FakeOpenAI):
    settings = Settings(bot_token=slack.bot_token, app_token=slack.app_token, api_url=slack.api_url,
                        db_path=db_path, stream_interval=0.2, job_poll_interval=0.2)
    answerer = Answerer(Database(db_path), backend=OpenAIBackend(model.base_url, "pm"))
    bot = build_bot(settings, web_client(settings), answerer, Database(db_path))
    handler = SocketModeHandler(bot.app, settings.app_token)
    handler.connect()
    bot.start_background(with_scheduler=False)
    try:
        yield bot
    finally:
        handler.close()
        bot.close()


def test_every_mention_shows_its_evidence_before_any_synthesis(slack, db_path):
    with FakeOpenAI(reply="Rolled back to v4.11 [1]. It was a game changer for the industry.") as model:
        model.hold()
        with bot_answering_with(slack, db_path, model):
            sent = [slack.mention(q, channel="CBURST") for q in QUESTIONS]
            replies = [slack.wait_for(lambda s=s: (slack.thread("CBURST", s["ts"]) or [None])[0], 30) for s in sent]
            # All eight evidence answers are in while the model has not answered anything.
            firsts = [section_text(r.history[0]["blocks"]) for r in replies]
            for first in firsts:
                assert first.startswith(("This looks like [1]", "No close past incident")), first
            assert not model.requests  # the first generation is still held
            waiting = [r for r, first in zip(replies, firsts) if first.startswith("This looks like")]
            assert len(waiting) >= 6, firsts  # these questions are about the sample incidents
            # A close match waits for its synthesis, saying so; no close match has nothing to
            # generate and is final at once.
            assert not any(b.get("type") == "actions" for r in waiting for b in r.blocks)
            assert all("Writing a short summary" in str(r.history[0]["blocks"]) for r in waiting)
            assert sum("after 7 other questions" in str(r.history[0]["blocks"]) for r in waiting) <= 1

            model.release()
            finals = [answered(slack, s, channel="CBURST", timeout=60) for s in sent]
            for reply in finals:
                text = section_text(reply.blocks)
                assert text.startswith(("This looks like [1]", "No close past incident"))
                assert "game changer" not in text  # unsupported: dropped before it was shown
                assert "Similar past incidents" in text
            stored = list(Database(db_path).db["answers"].rows)
            assert len(stored) == 8 and all(r["answer"] and not r["error_id"] for r in stored)
            assert not slack.errors


def test_a_failed_generation_leaves_the_evidence_standing(slack, db_path):
    with FakeOpenAI() as model, bot_answering_with(slack, db_path, model):
        model.fault("500", "/v1/completions", times=None)
        sent = slack.mention("payments-api 502s right after the deploy, what fixed it?")
        reply = answered(slack, sent, timeout=60)
        text = section_text(reply.blocks)
        assert text.startswith("This looks like [1] Payments API 502s after v4.12 release")
        context = str([b for b in reply.blocks if b["type"] == "context"])
        error_id = re.search(r"error id `([0-9a-f]{8})`", context).group(1)
        row = next(Database(db_path).db["answers"].rows)
        assert row["error_id"] == error_id and row["answer"].startswith("This looks like [1]")
