"""The schedule: a nightly sync of every source from the config, and a retrain once a sync
has brought in at least `retrain_threshold` new incidents."""

import os
import signal

from bot.config import bot_config
from bot.scheduler import SCHEDULER_USER, retrain_when_enough_new, scheduled_sync, start_scheduler
from storage import Database
from storage.jobs import JobStore
from tests.bot.conftest import SAMPLES


def test_scheduled_sync_then_retrain_when_enough_new(make_bot, slack, db_path, tmp_path):
    path = tmp_path / "postmortem.toml"
    path.write_text(f"""
schedule = "30 2 * * *"
retrain_threshold = 5

[retrain]
max_steps = 500
max_length = 128

[[sources]]
type = "dir"
path = "{SAMPLES / 'kelpcloud'}"
name = "kelpcloud"
""")
    config = bot_config(str(path))
    bot, _ = make_bot(config)

    scheduler = start_scheduler(bot.runner, config.schedule, config.path)
    try:
        next_run = scheduler.get_job("sync").next_run_time
        assert (next_run.hour, next_run.minute) == (2, 30)
    finally:
        scheduler.shutdown(wait=False)

    sync_id = scheduled_sync(bot.runner, config.path)  # what the cron trigger runs
    jobs = JobStore(Database(db_path))
    slack.wait_for(lambda: jobs.get(sync_id)["status"] in ("succeeded", "failed"), 120)
    sync = jobs.get(sync_id)
    assert sync["status"] == "succeeded" and sync["requested_by"] == SCHEDULER_USER
    assert sync["result"]["sources"][0]["new"] >= 5

    # The sync brought >= 5 new incidents: a retrain was started with the config's settings.
    retrain = slack.wait_for(lambda: jobs.last("retrain"), 10)
    assert retrain["requested_by"] == SCHEDULER_USER
    assert retrain["args"]["max_steps"] == 500 and "new incidents" in retrain["args"]["reason"]
    pid = slack.wait_for(lambda: jobs.get(retrain["id"])["pid"], 10)
    os.killpg(pid, signal.SIGKILL)
    slack.wait_for(lambda: jobs.get(retrain["id"])["status"] == "failed", 15)

    # The next night: nothing new since that retrain was requested, so no retrain.
    again = scheduled_sync(bot.runner, config.path)
    slack.wait_for(lambda: jobs.get(again)["status"] == "succeeded", 120)
    assert jobs.get(again)["result"]["sources"][0]["new"] == 0
    assert [j["id"] for j in jobs.recent() if j["kind"] == "retrain"] == [retrain["id"]]


def test_retrain_threshold_zero_turns_the_automatic_retrain_off(tmp_path, db_path):
    path = tmp_path / "postmortem.toml"
    path.write_text("retrain_threshold = 0\n")
    config = bot_config(str(path))
    assert config.retrain_threshold is None
    # The corpus has 15 incidents newer than any training; with no threshold the hook never
    # reaches the runner (None here: starting a job would raise).
    hook = retrain_when_enough_new(None, Database(db_path), config.retrain_threshold)
    hook({"kind": "sync", "status": "succeeded", "id": 1})
    assert JobStore(Database(db_path)).last("retrain") is None
