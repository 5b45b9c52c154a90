"""What a sync must never do, whatever the connector: wipe a source that suddenly lists nothing,
store one upstream document twice under two names, leak a credential into a message, or
report a page failure without saying which page. Real clients against the local fakes, the
real `postmortem extract` command, a real SQLite database."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.ingest.extractors import registry
from pipeline.ingest.sync import MassDeleteRefused, sync
from tests.fakes.samples import SAMPLES


def run(db, *args, env=None):
    return CliRunner().invoke(main, ["extract", "--db", str(db.path), "--quiet", *args], env=env)


def live(db, source=None):
    return {r["source_id"] for r in db.incidents(source=source)}


# -- the mass-delete guard -------------------------------------------------------------------


def test_a_search_that_answers_200_with_nothing_is_refused_not_a_wipe(db, fake_confluence):
    first = run(db, "--source", "confluence", "--space", "OPS")
    assert first.exit_code == 0, first.output
    kept = live(db)
    assert kept

    fake_confluence.no_access = True  # the account lost access: 200, no results
    refused = run(db, "--source", "confluence", "--space", "OPS")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert f"would delete {len(kept)} of {len(kept)} live incidents" in refused.output
    assert "all of them" in refused.output and "--allow-mass-delete" in refused.output
    assert live(db) == kept  # nothing deleted
    assert "would delete" in db.last_sync(status="failed")["error"]

    confirmed = run(db, "--source", "confluence", "--space", "OPS", "--allow-mass-delete")
    assert confirmed.exit_code == 0 and f"{len(kept)} deleted upstream" in confirmed.output
    assert live(db) == set()


def test_the_guard_share_is_configurable_and_extract_all_honours_the_confirmation(db, tmp_path):
    folder = tmp_path / "pms"
    for n in range(10):
        path = folder / "postmortems" / f"2024-02-{n + 1:02d}-disk-{n}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"# Disk full {n}\n\n## Root cause\nLogs filled the disk of db-{n}.\n\n"
            "## Resolution\nWe rotated the logs and added an alert.\n"
        )
    config = tmp_path / "postmortem.toml"
    config.write_text(f'[[sources]]\ntype = "dir"\npath = "{folder}"\nmax_delete_share = 0.5\n')
    assert run(db, "--all", "--config", str(config)).exit_code == 0
    for n in range(3):  # 3 of 10: past the default 20%, within this source's 50%
        (folder / "postmortems" / f"2024-02-{n + 1:02d}-disk-{n}.md").unlink()
    out = run(db, "--all", "--config", str(config))
    assert out.exit_code == 0 and "3 deleted upstream" in out.output
    for n in range(3, 10):  # all the rest: refused whatever the share
        (folder / "postmortems" / f"2024-02-{n + 1:02d}-disk-{n}.md").unlink()
    out = run(db, "--all", "--config", str(config))
    assert out.exit_code == 1 and "would delete 7 of 7" in out.output and len(live(db)) == 7
    out = run(db, "--all", "--config", str(config), "--allow-mass-delete")
    assert out.exit_code == 0 and not live(db)


def test_sync_function_raises_one_domain_error(db, tmp_path):
    folder = tmp_path / "pms" / "postmortems"
    folder.mkdir(parents=True)
    (folder / "2024-03-01-dns.md").write_text(
        "# Ledger disk full\n\n## Root cause\nThe primary ran out of disk space because WAL archiving "
        "was stalled.\n\n## Resolution\nWe freed disk by restarting the archiver.\n"
    )
    assert sync(db, "dir", {"path": str(tmp_path / "pms")}).new == 1
    (folder / "2024-03-01-dns.md").unlink()
    with pytest.raises(MassDeleteRefused, match="would delete 1 of 1"):
        sync(db, "dir", {"path": str(tmp_path / "pms")})
    assert sync(db, "dir", {"path": str(tmp_path / "pms")}, allow_mass_delete=True).deleted == 1


# -- identity ----------------------------------------------------------------------------------


def test_one_space_through_the_config_and_through_flags_is_stored_once(db, fake_confluence, tmp_path):
    config = tmp_path / "postmortem.toml"
    config.write_text('[[sources]]\ntype = "confluence"\nname = "ops-wiki"\nspace = "OPS"\n')
    assert run(db, "--all", "--config", str(config)).exit_code == 0
    once = db.incidents()
    assert run(db, "--source", "confluence", "--space", "OPS").exit_code == 0
    again = db.incidents(include_deleted=True)
    assert len(again) == len(once) and {r["source"] for r in again} == {
        f"confluence:{fake_confluence.url.split('//')[1]}/wiki/OPS"
    }


def test_rows_stored_under_an_old_identity_are_adopted_not_duplicated(db, fake_confluence):
    # What an earlier version stored: the configured name as the source key.
    first = sync(db, "confluence", {"space": "OPS", "name": "ops-wiki"})
    db.adopt_source(first.source, "confluence:ops-wiki")
    assert {r["source"] for r in db.incidents()} == {"confluence:ops-wiki"}
    stored = live(db)

    again = run(db, "--source", "confluence", "--space", "OPS", "--name", "ops-wiki")
    assert again.exit_code == 0 and "0 new" in again.output and "deleted" not in again.output
    assert live(db, first.source) == stored and not live(db, "confluence:ops-wiki")


def test_a_folder_keeps_its_rows_from_the_name_keyed_era(db):
    sync(db, "dir", {"path": str(SAMPLES / "acme-pay")})
    new_key = next(iter({r["source"] for r in db.incidents()}))
    db.adopt_source(new_key, "dir:acme-pay")  # the old key: the folder's base name
    count = len(db.incidents())
    summary = sync(db, "dir", {"path": str(SAMPLES / "acme-pay")})
    assert summary.new == 0 and summary.deleted == 0 and len(db.incidents(include_deleted=True)) == count


# -- configuration the client can't use: one line, no retries -------------------------------


@pytest.mark.parametrize(
    "source, env",
    [
        (["--source", "confluence", "--space", "OPS"], {"CONFLUENCE_URL": "wiki.example.com", "CONFLUENCE_TOKEN": "t"}),
        (["--source", "notion", "--database", "1c2b3a4d5e6f47a8b9c0d1e2f3a4b5c6"], {"NOTION_TOKEN": "t", "NOTION_API_URL": "api.notion.com/v1"}),
        (["--source", "github", "--repo", "acme/runbooks"], {"GITHUB_API_URL": "github.example.com/api/v3"}),
    ],
    ids=["confluence", "notion", "github"],
)
def test_an_api_url_without_a_scheme_is_one_clear_line(db, source, env):
    out = run(db, *source, env=env)
    assert out.exit_code == 2 and "Traceback" not in out.output
    variable = next(k for k in env if k.endswith("URL"))
    assert f"${variable} must be an http(s) URL" in out.output


def test_page_failures_name_the_page_and_strict_exits_non_zero(db, fake_confluence):
    bad = sorted(fake_confluence.pages)[2]
    fake_confluence.fault("500", f"/api/v2/pages/{bad}?", times=None)
    out = run(db, "--source", "confluence", "--space", "OPS")
    assert out.exit_code == 0 and "1 errors" in out.output and bad in out.output
    out = run(db, "--source", "confluence", "--space", "OPS", "--strict")
    assert out.exit_code == 1 and bad in out.output and "--strict" in out.output


# -- the registry ------------------------------------------------------------------------------


def test_the_cli_and_the_config_read_the_connector_registry():
    names = set(registry.connectors())
    assert names == {"dir", "github", "notion", "confluence"}
    help_text = CliRunner().invoke(main, ["extract", "--help"]).output
    for connector in registry.connectors().values():
        assert connector.name in help_text
        for option in connector.options:
            assert (f"--{option.key.replace('_', '-')}" in help_text) == option.cli
    train_help = CliRunner().invoke(main, ["train", "--help"]).output
    assert "--source [" + "|".join(sorted(names)) + "]" in " ".join(train_help.split())


def test_a_listing_larger_than_sqlites_variable_limit_marks_deletions(db):
    for sid in ("keep.md", "gone.md"):
        db.upsert_incident({"source": "dir:/big", "source_id": sid, "incident_title": sid, "content_hash": sid})
    db.record_excluded({"source": "dir:/big", "source_id": "old-draft.md", "reason": "no-fix", "content_hash": "x"})
    present = {f"file-{i}.md" for i in range(40_000)} | {"keep.md"}  # past SQLite's 32,766
    assert db.mark_missing_deleted("dir:/big", present) == 1
    assert live(db, "dir:/big") == {"keep.md"} and not db.excluded("dir:/big")
