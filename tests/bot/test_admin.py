"""Sync and retrain are for admins; anyone may ask for the status."""

from storage import Database
from tests.bot.conftest import ADMIN
from tests.paths import SAMPLES


def test_non_admin_is_refused_and_nothing_runs(bot, slack, db_path):
    for command in ("/postmortem-sync", "/postmortem-retrain"):
        sent = slack.slash(command, "all" if command.endswith("sync") else "", user="UNOBODY")
        ack = slack.wait_ack(sent["envelope_id"], 3)  # Slack's deadline
        assert "only postmortem admins" in ack["payload"]["text"]
    assert Database(db_path).db["jobs"].count == 0
    assert not slack.messages


def test_status_for_everyone(bot, slack):
    sent = slack.slash("/postmortem-status", user="UNOBODY")
    ack = slack.wait_ack(sent["envelope_id"], 3)
    text = "\n".join(b["text"]["text"] for b in ack["payload"]["blocks"] if b["type"] == "section")
    assert "*Model:* the embedded base model" in text
    assert f"*Last sync:* dir:{(SAMPLES / 'acme-pay').resolve().as_posix()} succeeded" in text
    assert "*Running jobs:* none" in text


def test_bad_retrain_option_is_refused(bot, slack, db_path):
    sent = slack.slash("/postmortem-retrain", "max_steps=lots", user=ADMIN)
    ack = slack.wait_ack(sent["envelope_id"], 3)
    assert "max_steps must be int" in ack["payload"]["text"]
    assert Database(db_path).db["jobs"].count == 0
