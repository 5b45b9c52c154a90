"""Human corrections: `postmortem label` wins over the parser, survives re-syncs, is marked in
`export` and goes into the training set."""

import json

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.learn.dataset import examples_for
from storage import Database
from tests.pipeline.ingest.test_ingest import GOOD, extract, write


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_label_wins_over_the_parser_on_every_later_sync(tmp_path):
    folder, db_path = tmp_path / "pm", tmp_path / "pm.db"
    write(folder, "postmortems/2024-01-01-ledger.md", GOOD.format(n=1))
    extract(folder, db_path)
    [parsed] = Database(db_path).incidents()
    assert parsed["root_cause_category"] != "hardware"

    out = run("label", "postmortems/2024-01-01-ledger.md", "--category", "hardware",
              "--root-cause", "A failing disk controller.", "--db", db_path, "--author", "ana")
    assert out.exit_code == 0, out.output
    [labelled] = Database(db_path).incidents()
    assert labelled["root_cause_category"] == "hardware"
    assert labelled["root_cause"] == "A failing disk controller."
    assert labelled["fix"] == parsed["fix"]  # not corrected: still the parser's
    assert labelled["provenance"]["root_cause_category"] == "human"

    # The document changes upstream: it is parsed again, and the correction still wins.
    write(folder, "postmortems/2024-01-01-ledger.md", GOOD.format(n=1) + "\nEdited later.\n")
    extract(folder, db_path)
    [resynced] = Database(db_path).incidents()
    assert resynced["content_hash"] != parsed["content_hash"]
    assert (resynced["root_cause_category"], resynced["root_cause"]) == ("hardware", "A failing disk controller.")

    exported = [json.loads(line) for line in run("export", "--db", db_path).output.splitlines()]
    assert exported[0]["human_label"] is True and exported[0]["root_cause_category"] == "hardware"
    answers = " ".join(e["completion"] for e in examples_for(resynced))
    assert "[hardware]" in answers and "failing disk controller" in answers


def test_label_errors_are_one_line(tmp_path):
    folder, db_path = tmp_path / "pm", tmp_path / "pm.db"
    write(folder, "postmortems/2024-01-01-ledger.md", GOOD.format(n=1))
    extract(folder, db_path)
    unknown = run("label", "nope.md", "--category", "network", "--db", db_path)
    assert unknown.exit_code != 0 and "no stored incident" in unknown.output
    bad = run("label", "postmortems/2024-01-01-ledger.md", "--category", "gremlins", "--db", db_path)
    assert bad.exit_code != 0 and "not a category" in bad.output
    nothing = run("label", "postmortems/2024-01-01-ledger.md", "--db", db_path)
    assert nothing.exit_code != 0 and "at least one" in nothing.output
    assert Database(db_path).labels() == []
