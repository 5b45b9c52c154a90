"""/postmortem-sync end to end: acked at once, run in a job process against the fake GitHub,
progress shown by editing one message, the summary at the end, the index rebuilt."""

import os

from bot.config import bot_config
from storage import Database
from storage.jobs import JobStore
from tests.bot.conftest import ADMIN
from tests.bot.helpers import section_text
from tests.fakes.slack import NOT_IN_CHANNEL
from tests.paths import SAMPLES

CONFIG = """
admins = ["UOTHERADMIN"]
retrain_threshold = 1000

[[sources]]
type = "github"
repo = "acme/runbooks"
name = "runbooks"
"""


def write_config(tmp_path):
    path = tmp_path / "postmortem.toml"
    path.write_text(CONFIG)
    return bot_config(str(path))


def test_sync_job_end_to_end(make_bot, slack, fake_github, db_path, tmp_path):
    bot, _ = make_bot(write_config(tmp_path))
    sent = slack.slash("/postmortem-sync", "runbooks", user=ADMIN, channel="C1")
    ack = slack.wait_ack(sent["envelope_id"], 3)
    assert ack["payload"]["text"].startswith("Started sync job #1")

    progress = slack.wait_for(lambda: [m for m in slack.messages.values() if m.channel == "C1"], 5)[0]
    slack.wait_for(lambda: "— succeeded" in progress.blocks[0]["text"]["text"], 90)
    text = section_text(progress.blocks)
    assert "runbooks: 15 new, 0 updated, 0 unchanged, 1 excluded (no-root-cause: 1)" in text
    assert "Search index rebuilt: 30 incidents." in text
    assert len(progress.history) >= 3  # queued -> running (progress) -> succeeded
    assert not slack.errors

    db = Database(db_path)
    job = JobStore(db).get(1)
    assert job["status"] == "succeeded" and job["pid"] != os.getpid()  # ran in its own process
    assert job["requested_by"] == ADMIN and job["message_ts"] == progress.ts
    folder = f"dir:{(SAMPLES / 'acme-pay').resolve().as_posix()}"  # sources are keyed by what they read
    assert db.stats()["by_source"] == {folder: 15, "github:acme/runbooks": 15}
    assert fake_github.count("/git/blobs/") > 0

    # The running app answers from the rebuilt index without a restart.
    from pipeline.serve.index import load_index

    assert load_index(db, build_if_missing=False).size == 30


def test_sync_result_goes_to_response_url_where_bot_cannot_post(make_bot, slack, fake_github, tmp_path, db_path):
    make_bot(write_config(tmp_path))
    sent = slack.slash("/postmortem-sync", "", user="UOTHERADMIN", channel=NOT_IN_CHANNEL)  # config admin, all
    assert "Started sync job #1" in slack.wait_ack(sent["envelope_id"], 3)["payload"]["text"]
    posts = slack.wait_for(lambda: slack.responses.get(sent["response_key"]), 90)
    assert len(posts) == 1  # only the result: a response_url takes at most 5 posts
    assert "runbooks: 15 new" in section_text(posts[0]["blocks"])
    assert slack.errors == ["chat.postMessage: not_in_channel"]
    assert JobStore(Database(db_path)).get(1)["status"] == "succeeded"


def test_sync_job_passes_the_mass_delete_confirmation(make_bot, slack, fake_github, tmp_path, db_path):
    make_bot(write_config(tmp_path))
    sent = slack.slash("/postmortem-sync", "runbooks allow_mass_delete", user=ADMIN, channel="C1")
    assert "Started sync job #1" in slack.wait_ack(sent["envelope_id"], 3)["payload"]["text"]
    jobs = JobStore(Database(db_path))
    assert jobs.get(1)["args"]["allow_mass_delete"] is True and jobs.get(1)["args"]["source"] == "runbooks"
    slack.wait_for(lambda: jobs.get(1)["status"] in ("succeeded", "failed"), 90)
    assert jobs.get(1)["status"] == "succeeded"


def test_unknown_source_is_refused(make_bot, slack, tmp_path, db_path):
    make_bot(write_config(tmp_path))
    sent = slack.slash("/postmortem-sync", "jira", user=ADMIN)
    assert "I don't know a source called `jira`" in slack.wait_ack(sent["envelope_id"], 3)["payload"]["text"]
    assert Database(db_path).db["jobs"].count == 0
