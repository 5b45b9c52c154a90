"""An answer shows the matched incident's action items, and for those that link a GitHub
issue whether it is still open (GitHub API with the configured token, via PyGithub against
the fake GitHub; cached). Without a token the items show with no status."""

from bot.action_items import IssueStatus
from pipeline.ingest.extractors.local import LocalFolder
from pipeline.ingest.sync import ingest
from pipeline.serve.index import rebuild_index
from storage import Database
from tests.bot.helpers import answered, section_text
from tests.fakes.github import FakeGitHub

# Written for this test: a fictional incident whose action items link GitHub issues.
POSTMORTEM = """# Badge printer spooler wedged the lobby check-in

## Summary

On 3 March the lobby check-in kiosks froze for 40 minutes because the badge printer spooler
filled its queue with jobs for a printer that had been unplugged. Check-in timed out waiting
for the spooler.

## Root Cause

The spooler queue had no limit, so jobs for the unplugged badge printer piled up until the
spooler stopped accepting work and every kiosk request timed out.

## Resolution

Cleared the spooler queue, restarted the spooler and capped the queue at 50 jobs.

## Action Items

- Cap the spooler queue and drop jobs older than 5 minutes (https://github.com/acme/kiosk/issues/41)
- Alert when a badge printer is offline for 10 minutes (acme/kiosk#42)
- Kiosk check-in must not wait on printing: https://github.com/acme/kiosk/issues/43
- Label the printer power sockets in the lobby
"""


def test_answer_shows_action_items_and_which_issues_are_still_open(make_bot, slack, db_path, tmp_path):
    folder = tmp_path / "kiosk"
    folder.mkdir()
    (folder / "2025-03-03-badge-spooler.md").write_text(POSTMORTEM)
    db = Database(db_path)
    ingest(db, LocalFolder(folder, name="kiosk"))
    rebuild_index(db)

    with FakeGitHub(token="ghp_fake_token_for_tests") as github:
        repo = github.add_repo("acme/kiosk", files={"README.md": "kiosk"})
        repo.add_issue(41, "Cap the spooler queue", state="closed")
        repo.add_issue(42, "Printer offline alert", state="open")
        repo.add_issue(43, "Decouple check-in from printing", state="open")
        make_bot(issues=IssueStatus("ghp_fake_token_for_tests", github.url))

        reply = answered(slack, slack.mention("badge printer spooler froze the lobby check-in kiosks"), timeout=120)
        text = section_text(reply.blocks)
        assert "Badge printer spooler wedged the lobby check-in" in text
        assert "Action items of [1]*  ·  2 of 3 tracked in GitHub still open" in text
        assert ":white_check_mark: closed Cap the spooler queue" in text and "(acme/kiosk#41)" in text
        assert ":large_green_circle: open Alert when a badge printer is offline" in text
        assert "• Label the printer power sockets" in text  # no issue: shown without a status
        asked = github.count("/issues/")
        assert asked == 3

        # Cached: the same incident again costs GitHub nothing.
        answered(slack, slack.mention("kiosks froze because the badge printer queue filled up"), timeout=120)
        assert github.count("/issues/") == asked
    assert not slack.errors


def test_no_token_means_no_status():
    items = IssueStatus(None).enrich({"sources": [{"action_items": ["Fix it (acme/kiosk#42)", "Write docs"]}]})
    assert items["action_items"] == [
        {"text": "Fix it (acme/kiosk#42)", "issue": "acme/kiosk#42", "state": None},
        {"text": "Write docs", "issue": None, "state": None},
    ]
