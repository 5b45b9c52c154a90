"""People's category corrections carried to recurrences (pipeline.learn.categories), through
the CLI a person uses: `extract`, then `label --category`, then `extract` again."""

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.ingest.taxonomy import Taxonomy
from pipeline.learn.categories import learn_from_corrections
from storage import Database

WRITE_UP = """# {title}

## Summary
Card payments stalled for {minutes} minutes. The nightly batch that compacts the settlement
ledger held a table lock for far longer than usual, because the ledger had grown past the
size the batch was written for, and every authorization waited on that lock.

## Resolution
We killed the batch and the authorizations went through again.
"""
UNRELATED = """# Status page stale

## Summary
The status page showed old data for an hour. A CDN rule cached the page for a day after a
config change to its headers.

## Resolution
We purged the CDN cache and restored the old header rule.
"""


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def by_id(db_path):
    return {r["source_id"]: r for r in Database(db_path).incidents()}


def test_a_corrected_category_carries_to_the_recurrence_and_nowhere_else(tmp_path):
    folder, db_path = tmp_path / "pm", tmp_path / "pm.db"
    folder.mkdir()
    (folder / "2024-03-01-settlement-lock.md").write_text(WRITE_UP.format(title="Settlement lock", minutes=40))
    (folder / "2024-09-12-settlement-lock-again.md").write_text(WRITE_UP.format(title="Settlement lock again", minutes=25))
    (folder / "2024-05-02-status-page.md").write_text(UNRELATED)
    run("extract", "--source", "dir", "--path", folder, "--db", db_path, "--quiet")
    before = by_id(db_path)
    ruled = before["2024-09-12-settlement-lock-again.md"]["root_cause_category"]
    assert ruled != "capacity"  # what the rules make of it; a person reads it as capacity

    out = run("label", "2024-03-01-settlement-lock.md", "--category", "capacity", "--db", db_path)
    assert "re-decided 1 rule-made categories" in out
    after = by_id(db_path)
    again = after["2024-09-12-settlement-lock-again.md"]
    assert again["root_cause_category"] == "capacity"
    assert again["provenance"]["root_cause_category"].startswith("classifier: recurrence of 2024-03-01-settlement-lock.md")
    unrelated = after["2024-05-02-status-page.md"]
    assert unrelated["root_cause_category"] == before["2024-05-02-status-page.md"]["root_cause_category"]
    assert unrelated["provenance"] == before["2024-05-02-status-page.md"]["provenance"]  # decided as at ingest

    # A later sync re-reads the recurrence (edited upstream): the correction still carries.
    (folder / "2024-09-12-settlement-lock-again.md").write_text(
        WRITE_UP.format(title="Settlement lock again", minutes=26))
    run("extract", "--source", "dir", "--path", folder, "--db", db_path, "--quiet")
    assert by_id(db_path)["2024-09-12-settlement-lock-again.md"]["root_cause_category"] == "capacity"


class NoModel:
    def encode(self, texts):
        raise AssertionError("no correction to learn from: nothing to embed")


def test_without_corrections_nothing_is_embedded_or_changed(tmp_path):
    folder, db_path = tmp_path / "pm", tmp_path / "pm.db"
    folder.mkdir()
    (folder / "a.md").write_text(UNRELATED)
    run("extract", "--source", "dir", "--path", folder, "--db", db_path, "--quiet")
    assert learn_from_corrections(Database(db_path), Taxonomy.default(), embedder=NoModel()) == 0
