"""The GitHub connector: PyGithub over a real loopback socket against tests/fakes/github.py,
through the real `postmortem extract` command (or ingest() where a test needs short retry
delays), into a real SQLite database."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.ingest.extractors.github import GitHubConfig, GitHubRepo
from pipeline.ingest.extractors.retry import RetryPolicy, SourceUnavailable
from pipeline.ingest.sync import ingest
from storage import Database
from tests.paths import SAMPLES

REPO = "acme/runbooks"

GOOD = """# {title}

## Summary
Checkout requests to payments-api failed for 14 minutes.

## Root cause
A connection pool limit of 10 in payments-api {cause} exhausted database connections.

## Resolution
We rolled back the release and raised the pool limit to 50.
"""

# What a real repository holds next to its post-mortems.
TAKEN = {
    "postmortems/2023-payments-outage.md": "Payments outage",
    "runbooks/incidents/ledger-lag.md": "Ledger lag",
    "incidents/dns.md": "DNS timeouts",
    "docs/2024-05-01-checkout-errors.md": "Checkout errors",
}
NOT_TAKEN = {
    "README.md": "# Runbooks\n",
    "postmortems/README.md": "# How to write a post-mortem\n",
    "runbooks/deploy.md": "# How to deploy\n",
    "src/app.py": "print('hi')\n",
    "postmortems/diagram.png": b"\x89PNG\r\n\x1a\n\x00\x00",
}


def repo_files() -> dict[str, str | bytes]:
    files = {path: GOOD.format(title=title, cause="release") for path, title in TAKEN.items()}
    return {**files, **NOT_TAKEN}


def extract(db: Path, *args: str, ok: bool = True):
    result = CliRunner().invoke(
        main, ["extract", "--source", "github", "--repo", REPO, "--db", str(db), "--quiet", *args]
    )
    if ok:
        assert result.exit_code == 0, result.output
    return result


def stored(db: Path) -> dict[str, dict]:
    """Every live incident (each test's database holds one repository, at one --path/--ref)."""
    return {r["source_id"]: r for r in Database(db).incidents()}


def repo_extractor(fake, attempts: int = 4, in_a_row: int = 5, **kw) -> GitHubRepo:
    policy = RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=0.05, max_consecutive_failures=in_a_row)
    return GitHubRepo(GitHubConfig(repo=REPO, api_url=fake.url, token="ghp_fake_token", policy=policy, **kw))


@pytest.fixture
def repo(fake_github):
    """`acme/runbooks` replaced by a small repository whose files the test controls."""
    return fake_github.add_repo(REPO, files=repo_files())


def test_pattern_walk_fetches_only_postmortems(fake_github, repo, tmp_path):
    out = extract(tmp_path / "pm.db").output
    assert "Extracted 4 post-mortems (0 excluded)" in out
    rows = stored(tmp_path / "pm.db")
    assert set(rows) == set(TAKEN)
    row = rows["runbooks/incidents/ledger-lag.md"]
    assert row["url"] == f"https://github.com/{REPO}/blob/main/runbooks/incidents/ledger-lag.md"
    assert "connection pool" in row["root_cause"]
    # One repository call, ONE recursive tree call, one blob per post-mortem and no other.
    assert fake_github.count(f"/repos/{REPO}/git/trees/main?recursive=1") == 1
    assert fake_github.count("/git/trees/") == 1
    assert fake_github.count("/git/blobs/") == len(TAKEN)
    assert len(fake_github.log) == 2 + len(TAKEN)


def test_path_and_ref_restrict_the_walk(fake_github, repo, tmp_path):
    repo.branches.add("release/2024")
    out = extract(tmp_path / "pm.db", "--path", "runbooks/", "--ref", "release/2024").output
    # Under --path any markdown counts (runbooks/deploy.md fails to parse: excluded, with a reason).
    assert "Extracted 1 post-mortems (1 excluded" in out
    rows = stored(tmp_path / "pm.db")
    assert list(rows) == ["runbooks/incidents/ledger-lag.md"]
    assert rows["runbooks/incidents/ledger-lag.md"]["url"] == (
        f"https://github.com/{REPO}/blob/release/2024/runbooks/incidents/ledger-lag.md"
    )
    assert fake_github.count("/git/blobs/") == 2


def test_sample_repository_with_spaces_in_names(fake_github, tmp_path):
    out = extract(tmp_path / "pm.db").output
    samples = SAMPLES / "acme-pay" / "postmortems"
    n_files = len(list(samples.glob("*.md")))
    kept, excluded = map(int, re.search(r"Extracted (\d+) post-mortems \((\d+) excluded", out).groups())
    assert kept + excluded == n_files and kept >= n_files - 3
    for sid, row in stored(tmp_path / "pm.db").items():
        assert row["url"] == f"https://github.com/{REPO}/blob/main/" + quote(sid)
        assert " " not in row["url"]


def test_truncated_tree_is_walked_folder_by_folder(fake_github, repo, tmp_path):
    repo.truncate_after = 3  # the recursive listing drops most files
    out = extract(tmp_path / "pm.db").output
    assert "Extracted 4 post-mortems" in out
    assert set(stored(tmp_path / "pm.db")) == set(TAKEN)
    assert fake_github.count("?recursive=1") == 1
    folders = {"", "postmortems", "runbooks", "runbooks/incidents", "incidents", "docs", "src"}
    assert fake_github.count("/git/trees/") == 1 + len(folders)

    # With --path only the folders leading to it are opened.
    fake_github.reset_log()
    extract(tmp_path / "other.db", "--path", "runbooks/incidents")
    assert fake_github.count("/git/trees/") == 1 + 3  # root, runbooks, runbooks/incidents
    assert list(stored(tmp_path / "other.db")) == ["runbooks/incidents/ledger-lag.md"]


def test_resync_fetches_only_what_changed(fake_github, repo, tmp_path):
    db = tmp_path / "pm.db"
    extract(db)

    fake_github.reset_log()
    out = extract(db).output
    assert "0 new, 0 updated" in out
    assert fake_github.count("/git/blobs/") == 0
    assert len(fake_github.log) == 2  # repository + tree, whatever the repository's size

    repo.write("incidents/dns.md", GOOD.format(title="DNS timeouts", cause="resolver cache"))
    repo.delete("postmortems/2023-payments-outage.md")
    repo.write("postmortems/2025-01-09-queue.md", GOOD.format(title="Queue backlog", cause="consumer"))
    fake_github.reset_log()
    out = extract(db, "--allow-mass-delete").output  # 1 of 4 is more than the guard's 20%
    assert "1 new, 1 updated" in out and "1 deleted upstream" in out
    assert sorted(p.rsplit("/", 1)[-1] for p in fake_github.log if "/git/blobs/" in p) == sorted(
        [repo.blob_sha("incidents/dns.md"), repo.blob_sha("postmortems/2025-01-09-queue.md")]
    )
    rows = stored(db)
    assert set(rows) == set(TAKEN) - {"postmortems/2023-payments-outage.md"} | {"postmortems/2025-01-09-queue.md"}
    assert "resolver cache" in rows["incidents/dns.md"]["root_cause"]
    gone = [r for r in Database(db).incidents(include_deleted=True) if r["deleted"]]
    assert [r["source_id"] for r in gone] == ["postmortems/2023-payments-outage.md"]


@pytest.mark.parametrize("kind", ["countdown", "unannounced-403", "429-retry-after"])
def test_rate_limit_near_reset_waits_then_completes(fake_github, repo, tmp_path, kind):
    if kind == "countdown":  # X-RateLimit-Remaining reaches 0: wait before the next call
        fake_github.exhaust_rate_limit(after=3, reset_in=1)
    elif kind == "unannounced-403":  # the budget went elsewhere: a 403 out of the blue
        fake_github.exhaust_rate_limit(after=3, reset_in=1, visible=False)
    else:
        fake_github.fault("429", "/git/blobs/", retry_after=1, after=1)
    started = time.monotonic()
    out = extract(tmp_path / "pm.db").output
    assert time.monotonic() - started >= 0.9
    assert "Extracted 4 post-mortems" in out and "errors" not in out
    assert set(stored(tmp_path / "pm.db")) == set(TAKEN)
    # Repository + tree + 4 blobs, plus the one refused request where nothing warned of it.
    assert len(fake_github.log) == 6 + (kind != "countdown")


def test_rate_limit_far_reset_stops_clearly_and_keeps_what_was_stored(fake_github, repo, tmp_path):
    db = tmp_path / "pm.db"
    fake_github.exhaust_rate_limit(after=4, reset_in=3600)  # repository, tree, 2 blobs
    started = time.monotonic()
    result = extract(db, ok=False)
    assert time.monotonic() - started < 5  # no hour-long wait
    assert result.exit_code == 1 and "Traceback" not in result.output
    reset = time.strftime("%H:%M", time.gmtime(fake_github.reset_at))
    assert (
        f"GitHub rate limit exhausted; resets at {reset} UTC; 2 documents stored so far are kept"
        in result.output
    )
    assert len(stored(db)) == 2
    assert len(fake_github.log) == 4  # once Remaining hit 0, no request was spent to learn it
    assert "rate limit exhausted" in Database(db).last_sync(f"github:{REPO}", status="failed")["error"]

    # After the reset the next sync fetches only the rest; nothing is duplicated.
    fake_github.clear_faults()
    fake_github.reset_log()
    out = extract(db).output
    assert "2 new" in out
    assert fake_github.count("/git/blobs/") == 2
    assert set(stored(db)) == set(TAKEN)
    assert len(Database(db).incidents(include_deleted=True)) == 4


def test_a_failing_blob_is_recorded_and_the_sync_goes_on(fake_github, repo, tmp_path):
    db = Database(tmp_path / "pm.db")
    bad = repo.blob_sha("incidents/dns.md")
    fake_github.fault("500", f"/git/blobs/{bad}", times=None)
    fake_github.fault("500", "/git/blobs/", times=1)  # a transient one: retried, not an error
    summary = ingest(db, repo_extractor(fake_github, attempts=3))
    assert summary.errors == 1 and summary.new == 3
    assert summary.error_details == [("incidents/dns.md", "HTTP 500: internal error")]
    assert fake_github.count(f"/git/blobs/{bad}") == 3  # first try + 2 retries
    rows = db.db["sync_errors"].rows_where("sync_id = ?", [summary.sync_id])
    assert [r["source_id"] for r in rows] == ["incidents/dns.md"]

    fake_github.clear_faults()
    fake_github.reset_log()
    summary = ingest(db, repo_extractor(fake_github))
    assert summary.new == 1 and summary.errors == 0
    assert fake_github.count("/git/blobs/") == 1


def test_timeouts_are_retried(fake_github, repo, tmp_path):
    fake_github.fault("slow", "/git/blobs/", delay=2.5, times=1)
    summary = ingest(Database(tmp_path / "pm.db"), repo_extractor(fake_github, timeout=1))
    assert summary.new == 4 and summary.errors == 0


def test_a_service_that_stays_down_stops_the_sync(fake_github, repo, tmp_path):
    db = Database(tmp_path / "pm.db")
    fake_github.fault("503", "/git/blobs/", times=None, after=1)
    extractor = repo_extractor(fake_github, attempts=2, in_a_row=3)
    with pytest.raises(SourceUnavailable, match=r"3 documents in a row failed after retries .* nothing stored was lost"):
        ingest(db, extractor)
    assert len(db.incidents()) == 1
    assert db.last_sync(f"github:{REPO}", status="failed") is not None


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--repo", "acme/missing"], {}, "GitHub repository acme/missing not found at http://127.0.0.1:"),
        ([], {"GITHUB_TOKEN": "wrong"}, "GitHub rejected the token at http://127.0.0.1:"),
        (["--ref", "no-such-branch"], {}, "ref 'no-such-branch' not found"),
        (["--repo", "not-a-repo"], {}, "--source github needs --repo OWNER/NAME"),
    ],
)
def test_bad_input_is_one_clear_line(fake_github, tmp_path, args, env, message):
    db = tmp_path / "pm.db"
    extract(db)  # something stored first: a failed sync must not touch it
    before = len(stored(db))
    result = CliRunner().invoke(
        main,
        ["extract", "--source", "github", "--repo", REPO, "--db", str(db), "--quiet", *args],
        env=env,
    )
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert len(stored(db)) == before


def test_private_repository_needs_a_token(fake_github, tmp_path):
    fake_github.add_repo("acme/secret", files=repo_files(), private=True)
    args = ["extract", "--source", "github", "--repo", "acme/secret", "--db", str(tmp_path / "pm.db"), "--quiet"]
    result = CliRunner().invoke(main, args, env={"GITHUB_TOKEN": ""})
    assert result.exit_code == 1
    assert "GitHub repository acme/secret not found" in result.output and "set GITHUB_TOKEN" in result.output
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0 and "Extracted 4 post-mortems" in result.output


def test_a_file_the_tree_says_is_too_large_is_excluded_without_downloading_it(fake_github, tmp_path):
    from pipeline.ingest.decode import MAX_BYTES

    huge = "# Huge\n\n" + "x" * MAX_BYTES
    fake_github.add_repo(REPO, files={**repo_files(), "postmortems/2024-huge-export.md": huge})
    out = extract(tmp_path / "pm.db").output
    assert "Extracted 4 post-mortems (1 excluded" in out
    [excluded] = Database(tmp_path / "pm.db").excluded()
    assert (excluded["source_id"], excluded["reason"]) == ("postmortems/2024-huge-export.md", "too-large")
    assert "not downloaded" in excluded["detail"]
    assert fake_github.count("/git/blobs/") == len(TAKEN)  # the large one was never fetched
