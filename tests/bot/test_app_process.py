"""`python app.py` as it runs in production: settings from the environment (SLACK_API_URL
pointing at the fake), a clear message and a non-zero exit on bad tokens, a clean stop on
SIGTERM."""

import os
import signal
import subprocess
import sys

from tests.bot.helpers import answered
from tests.paths import ROOT



def run_app(env: dict, **kw) -> subprocess.Popen:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and "proxy" not in k.lower()}
    return subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env={**base, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def test_missing_and_malformed_tokens_exit_with_a_clear_message(tmp_path):
    out = run_app({"POSTMORTEM_DB": str(tmp_path / "x.db")}).communicate(timeout=60)[0]
    assert "SLACK_BOT_TOKEN is not set" in out and "SLACK_APP_TOKEN is not set" in out
    assert "Traceback" not in out

    proc = run_app({"SLACK_BOT_TOKEN": "xoxp-user-token-0000", "SLACK_APP_TOKEN": "xapp-1-abcdefghijk"})
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 2
    assert "SLACK_BOT_TOKEN does not look like a bot token: it should start with xoxb-" in out


def test_token_refused_by_slack(slack, db_path):
    proc = run_app({"SLACK_BOT_TOKEN": "xoxb-well-formed-but-revoked", "SLACK_APP_TOKEN": slack.app_token,
                    "SLACK_API_URL": slack.api_url, "POSTMORTEM_DB": str(db_path)})
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode == 2, out
    assert "Slack refused the bot token" in out and "Traceback" not in out


def test_app_process_answers_and_stops_cleanly(slack, db_path):
    proc = run_app({"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_APP_TOKEN": slack.app_token,
                    "SLACK_API_URL": slack.api_url, "POSTMORTEM_DB": str(db_path),
                    "POSTMORTEM_ADMINS": "UADMIN"})
    try:
        slack.wait_for(lambda: slack.connections == 1, 120)
        sent = slack.mention("settlement batch skipped, daylight saving time change")
        reply = answered(slack, sent)
        assert "Settlement batch skipped on DST change" in str(reply.blocks)
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, out
    assert "shutting down" in out
