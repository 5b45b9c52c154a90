"""One retrain at a time: a second request is refused with the running job's status."""

import os
import signal

from bot.config import BotConfig
from storage import Database
from storage.jobs import JobStore
from tests.bot.conftest import ADMIN
from tests.bot.helpers import section_text


def test_second_retrain_is_refused_while_one_runs(make_bot, slack, db_path):
    make_bot(BotConfig(retrain={"max_steps": 500, "batch_size": 1, "max_length": 128}))
    first = slack.slash("/postmortem-retrain", user=ADMIN)
    assert "Started retrain job #1" in slack.wait_ack(first["envelope_id"], 3)["payload"]["text"]

    second = slack.slash("/postmortem-retrain", "max_steps=1", user=ADMIN)
    ack = slack.wait_ack(second["envelope_id"], 3)["payload"]
    assert ack["text"] == "A retrain is already running; one at a time."
    status = section_text(ack["blocks"])
    assert "retrain* job #1 —" in status and ("running" in status or "queued" in status)

    jobs = JobStore(Database(db_path))
    assert [j["id"] for j in jobs.active("retrain")] == [1] and Database(db_path).db["jobs"].count == 1

    # Don't leave a 500-step training run behind: stop it, and see it settled as failed.
    pid = slack.wait_for(lambda: jobs.get(1)["pid"], 10)
    os.killpg(pid, signal.SIGKILL)
    slack.wait_for(lambda: jobs.get(1)["status"] == "failed", 15)
