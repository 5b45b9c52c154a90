"""Ingest a local folder end to end through the CLI: store, re-sync, bad input, deletions."""

import json
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main
from storage import Database

GOOD = """# Ledger DB failover {n}

## Summary
Writes to ledger-db failed for 12 minutes.

## Root cause
The primary ran out of disk space because WAL archiving to S3 was stalled (incident {n}).

## Resolution
We freed disk by restarting the archiver and failed over to the replica.
"""


def write(folder: Path, rel: str, data: bytes | str) -> Path:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def extract(folder: Path, db: Path, *args: str, ok: bool = True):
    result = CliRunner().invoke(
        main, ["extract", "--source", "dir", "--path", str(folder), "--db", str(db), "--quiet", *args]
    )
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def test_extract_resync_and_bad_input(tmp_path):
    folder, db_path = tmp_path / "pm", tmp_path / "pm.db"
    for n in range(3):
        write(folder, f"postmortems/2024-01-0{n + 1}-ledger-{n}.md", GOOD.format(n=n))
    write(folder, "README.md", "# Our post-mortems\n")  # not a post-mortem: not considered

    out = extract(folder, db_path)
    assert "Extracted 3 post-mortems (0 excluded)" in out

    # Bad input arrives next to the good files: each gets a reason, nothing stored is lost.
    write(folder, "postmortems/empty.md", b"")
    write(folder, "postmortems/binary.md", b"\x00\x01\x02PNG\x00" * 50)
    write(folder, "postmortems/huge.md", b"# big\n" + b"x" * 2_100_000)
    write(folder, "postmortems/broken.md", "---\ntitle: [oops\n  }{\n---\n# T\n")
    write(folder, "postmortems/latin1.md", GOOD.format(n="café").encode("cp1252"))
    write(folder, "postmortems/template.md", "# T\n\n## Root cause\n<fill in>\n\n## Resolution\nTBD\n")
    out = extract(folder, db_path)
    assert "Extracted 4 post-mortems (5 excluded:" in out
    for reason in ("empty: 1", "binary: 1", "too-large: 1", "bad-front-matter: 1", "no-root-cause-and-fix: 1"):
        assert reason in out
    assert "1 new, 0 updated, 3 unchanged" in out

    db = Database(db_path)
    assert len(db.incidents()) == 4
    assert any("café" in i["incident_title"] for i in db.incidents())
    excluded = {e["source_id"]: e["reason"] for e in db.excluded()}
    assert excluded["postmortems/broken.md"] == "bad-front-matter"

    # Edit one, delete one: updated and marked deleted; the FTS index follows.
    write(folder, "postmortems/2024-01-01-ledger-0.md", GOOD.format(n=0).replace("S3", "GCS"))
    (folder / "postmortems/2024-01-02-ledger-1.md").unlink()
    # One of four is more than the guard's 20%: refused, nothing deleted, until confirmed.
    out = extract(folder, db_path, ok=False)
    assert "would delete 1 of 4 live incidents" in out and "--allow-mass-delete" in out
    assert len(Database(db_path).incidents()) == 4
    out = extract(folder, db_path, "--allow-mass-delete")
    assert "1 deleted upstream" in out
    db = Database(db_path)
    assert len(db.incidents()) == 3
    hits = db.keyword_search("GCS")
    assert [db.incident(i)["source_id"] for i, _ in hits] == ["postmortems/2024-01-01-ledger-0.md"]


def test_export_jsonl(tmp_path):
    folder, db_path = tmp_path / "pm", tmp_path / "pm.db"
    write(folder, "postmortems/2024-01-01-ledger.md", GOOD.format(n=1))
    write(folder, "postmortems/empty.md", b"")
    extract(folder, db_path)
    runner = CliRunner()
    rows = [json.loads(l) for l in runner.invoke(main, ["export", "--db", str(db_path)]).output.splitlines()]
    assert len(rows) == 1
    assert set(rows[0]) == {
        "source", "source_id", "url", "incident_title", "date", "services_affected", "timeline",
        "root_cause", "fix", "action_items", "root_cause_category", "content_hash", "provenance", "human_label",
    }
    assert rows[0]["provenance"]["root_cause"].startswith("heading: ") and rows[0]["human_label"] is False
    assert rows[0]["root_cause_category"] == "capacity"
    source = f"dir:{folder.resolve().as_posix()}"  # the folder read, not its name
    assert rows[0]["source"] == source
    excluded = runner.invoke(main, ["export", "--db", str(db_path), "--excluded"]).output
    assert json.loads(excluded) == {
        "source": source, "source_id": "postmortems/empty.md", "reason": "empty", "detail": "the document is empty",
    }


def test_missing_folder_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["extract", "--source", "dir", "--path", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "not a folder" in result.output


def test_secrets_never_reach_the_database(tmp_path):
    folder, db_path = tmp_path / "pm", tmp_path / "pm.db"
    leaky = GOOD.format(n=1).replace("Writes", "With DSN postgres://app:s3cretpw@ledger-db/ledger writes")
    write(folder, "postmortems/2024-02-01-leak.md", leaky)
    out = extract(folder, db_path)
    assert "secrets redacted: url-password 1" in out
    raw = (db_path).read_bytes()
    assert b"s3cretpw" not in raw


def test_a_draft_is_stored_once_finished_and_dropped_if_reopened(tmp_path):
    folder, db_path = tmp_path / "pm", tmp_path / "pm.db"
    draft = GOOD.format(n=7).replace(
        "The primary ran out of disk space because WAL archiving to S3 was stalled (incident 7).", "TBD"
    )
    write(folder, "postmortems/ledger.md", draft)
    assert "(1 excluded: draft: 1)" in extract(folder, db_path)
    assert "(1 excluded: draft: 1)" in extract(folder, db_path)  # unchanged: still a draft
    write(folder, "postmortems/ledger.md", GOOD.format(n=7))
    assert "Extracted 1 post-mortems (0 excluded) from dir:pm: 1 new" in extract(folder, db_path)
    db = Database(db_path)
    assert [r["source_id"] for r in db.incidents()] == ["postmortems/ledger.md"] and not list(db.excluded())
    db.close()
    write(folder, "postmortems/ledger.md", "---\nstatus: draft\n---\n" + GOOD.format(n=7))
    assert "draft: 1" in extract(folder, db_path)
    db = Database(db_path)
    assert db.incidents() == [] and [r["reason"] for r in db.excluded()] == ["draft"]
    db.close()
