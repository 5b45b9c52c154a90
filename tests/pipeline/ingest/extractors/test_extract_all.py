"""`postmortem extract --all`: every configured source in turn, one failing source reported
while the others sync."""

from click.testing import CliRunner

from pipeline.cli import main
from tests.fakes.samples import SAMPLES


def test_extract_all_syncs_every_source_and_survives_a_failing_one(db, fake_notion, fake_confluence, tmp_path):
    config = tmp_path / "postmortem.toml"
    config.write_text(
        f"""
[[sources]]
type = "dir"
path = "{SAMPLES / 'acme-pay'}"
[[sources]]
type = "notion"
name = "missing-db"
database = "00000000000000000000000000000000"
[[sources]]
type = "notion"
database = "{fake_notion.database_id}"
[[sources]]
type = "confluence"
space = "OPS"
"""
    )
    out = CliRunner().invoke(main, ["extract", "--all", "--config", str(config), "--db", str(db.path), "--quiet"])
    assert out.exit_code == 1  # one source failed
    lines = out.output.splitlines()
    # Each source is stored under what it reads (the folder, the database id, the site + space)
    # and shown by its label.
    folder = f"dir:{(SAMPLES / 'acme-pay').resolve().as_posix()}"
    wiki = f"confluence:{fake_confluence.url.split('//')[1]}/wiki/OPS"
    assert any(line.startswith("Extracted") and "from dir:acme-pay:" in line for line in lines)
    assert any("missing-db: failed: Notion: Could not find database" in line for line in lines)
    assert any(f"from notion:{fake_notion.database_id}" in line for line in lines)
    assert any("from confluence:OPS:" in line for line in lines)  # summaries show the label
    assert "1 of 4 sources failed" in out.output
    assert set(db.stats()["by_source"]) == {folder, f"notion:{fake_notion.database_id}", wiki}


def test_extract_all_needs_sources_and_excludes_source(db, tmp_path):
    empty = tmp_path / "postmortem.toml"
    empty.write_text('admins = ["U1AAA"]\n')
    out = CliRunner().invoke(main, ["extract", "--all", "--config", str(empty), "--db", str(db.path)])
    assert out.exit_code == 1 and "no sources" in out.output
    out = CliRunner().invoke(main, ["extract", "--all", "--source", "dir", "--db", str(db.path)])
    assert out.exit_code == 2 and "either --all" in out.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[[sources]]\ntype = 'notion'\ndatabase = 'x'\ntoken = 'ntn_secret'\n")
    out = CliRunner().invoke(main, ["extract", "--all", "--config", str(bad), "--db", str(db.path)])
    assert out.exit_code == 1 and "looks like a secret" in out.output and "ntn_secret" not in out.output
