"""GitHub: which files are post-mortems (whole names, then content), what a sync says about
the ones it skips, separate sources per --ref, and credentials and broken bodies handled
without a traceback or a leak. PyGithub against tests/fakes/github.py, the real CLI."""

from __future__ import annotations

from click.testing import CliRunner

from pipeline.cli import main
from storage import Database

REPO = "acme/monorepo"

INCIDENT = """# {title}

## Summary
Checkout requests to payments-api failed for 14 minutes.

## Root cause
A connection pool limit of 10 in payments-api exhausted database connections during {what}.

## Resolution
We rolled back the release and raised the pool limit to 50.
"""

# Real post-mortems whose names begin like the files the filter skips.
PREFIX_NAMED = {
    "postmortems/indexer-lag.md": "Indexer lag",
    "postmortems/license-server-expiry.md": "License server expiry",
    "postmortems/changelog-service-outage.md": "Changelog service outage",
}

RELEASE_NOTES = """# Release 2.4

## New
- Faster checkout page and a dark mode for the dashboard.

## Fixed
- The export button no longer times out for large accounts, the cause was a slow query.
- We fixed a crash when uploading a file with no extension.
"""

BLOG_POST = """---
title: How we scaled our queue workers
---

Last quarter our queue grew tenfold. The cause was a single shared lock in the worker pool.

## What we did
We split the pool per tenant and the fix brought waits under a second.
"""

GUIDE = """# How to write a post-mortem

## Summary
Describe what happened in two or three sentences.

## Root cause
Explain the underlying cause, not only the trigger.

## Resolution
Explain what fixed the incident and how you confirmed it.
"""

NOT_INCIDENTS = {
    "docs/releases/2024-01-15-release-notes.md": RELEASE_NOTES,
    "_posts/2024-03-02-scaling-queue-workers.md": BLOG_POST,
    "postmortems/how-to-write-a-postmortem.md": GUIDE,
}
SKIPPED = {"postmortems/README.md": "# Post-mortems\n", "postmortems/index.md": "- [one](one.md)\n"}


def files():
    out = {path: INCIDENT.format(title=title, what="a deploy") for path, title in PREFIX_NAMED.items()}
    return {**out, **NOT_INCIDENTS, **SKIPPED, "src/app.py": "print('hi')\n"}


def extract(db, *args, env=None):
    return CliRunner().invoke(
        main, ["extract", "--source", "github", "--repo", REPO, "--db", str(db), "--quiet", *args], env=env
    )


def test_names_are_matched_whole_and_non_incidents_are_excluded_by_content(fake_github, tmp_path):
    fake_github.add_repo(REPO, files=files())
    db = tmp_path / "pm.db"
    out = extract(db)
    assert out.exit_code == 0, out.output
    stored = {r["source_id"] for r in Database(db).incidents()}
    assert stored == set(PREFIX_NAMED)  # fetched and kept, though they start like "index", "license", "changelog"
    excluded = {e["source_id"]: e["reason"] for e in Database(db).excluded()}
    assert excluded == {path: "not-an-incident" for path in NOT_INCIDENTS}
    # Every skipped candidate is listed with its reason; neither README nor index was fetched.
    assert "2 candidates skipped" in out.output
    for path in SKIPPED:
        assert f"{path}: not-an-incident" in out.output
        assert fake_github.repos[REPO].blob_sha(path) not in " ".join(fake_github.log)


def test_another_ref_is_another_source_and_a_path_matching_nothing_is_an_error(fake_github, tmp_path):
    repo = fake_github.add_repo(REPO, files=files())
    repo.branches.add("release/2024")
    db = tmp_path / "pm.db"
    assert extract(db).exit_code == 0
    out = extract(db, "--ref", "release/2024")
    assert out.exit_code == 0 and "deleted" not in out.output
    sources = {r["source"] for r in Database(db).incidents()}
    assert sources == {f"github:{REPO}", f"github:{REPO}@release/2024"}

    out = extract(db, "--path", "no/such/folder")
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "no markdown file under --path 'no/such/folder'" in out.output


def test_a_token_with_a_trailing_newline_works_and_a_bad_one_is_never_echoed(fake_github, tmp_path):
    fake_github.add_repo(REPO, files=files())
    db = tmp_path / "pm.db"
    out = extract(db, env={"GITHUB_TOKEN": "ghp_fake_token\n"})  # `echo $TOKEN > file` habits
    assert out.exit_code == 0, out.output

    secret = "ghp_fake\ntoken_tail_9f8e7d"
    out = extract(db, env={"GITHUB_TOKEN": secret})
    assert out.exit_code == 2 and "$GITHUB_TOKEN contains whitespace" in out.output
    assert "token_tail_9f8e7d" not in out.output and "Traceback" not in out.output
    errors = [s["error"] or "" for s in Database(db).db["syncs"].rows]
    assert not any("token_tail_9f8e7d" in e for e in errors)


def test_a_rejected_token_is_not_stored_in_the_sync_record(fake_github, tmp_path):
    fake_github.add_repo(REPO, files=files())
    db = tmp_path / "pm.db"
    out = extract(db, env={"GITHUB_TOKEN": "ghp_wrong_value_5a4b3c"})
    assert out.exit_code == 1 and "GitHub rejected the token" in out.output
    assert "5a4b3c" not in out.output
    assert "5a4b3c" not in Database(db).last_sync(status="failed")["error"]


def test_malformed_repository_and_tree_bodies_are_retried_then_one_line(fake_github, tmp_path):
    fake_github.add_repo(REPO, files=files())
    db = tmp_path / "pm.db"
    fake_github.fault("malformed", f"GET /repos/{REPO}", times=1)  # the first request: the repository
    fake_github.fault("malformed", "/git/trees/", times=1)
    out = extract(db)
    assert out.exit_code == 0, out.output  # one broken body each: retried
    assert fake_github.count(f"GET /repos/{REPO}/git/trees/") == 2
    fake_github.fault("malformed", "/git/trees/", times=None)
    out = extract(db)
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "listing the repository" in out.output and "not valid JSON" in out.output
    assert len(Database(db).incidents()) == len(PREFIX_NAMED)  # nothing lost
