"""Writes from several processes at once, and listings past SQLite's variable limit."""

import multiprocessing
import sqlite3

from storage import Database
from tests.pipeline.incidents import record

DOCS = 150


def _store_all(path: str, offset: int, out) -> None:
    db = Database(path)
    errors = []
    for i in range(DOCS):
        try:
            db.upsert_incident(record(source_id=f"pm-{(i + offset) % DOCS}", incident_title=f"t{i}",
                                      root_cause="Disk full.", fix=f"Grew the volume ({offset})."))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    out.put(errors)
    db.close()


def test_processes_storing_the_same_documents_at_once_never_fail(tmp_path):
    """What two `extract` runs (or the app's sync job beside a CLI extract) do: before,
    one of them died with `IntegrityError: UNIQUE constraint failed` or `database is locked`.
    The database does not exist yet: they also race to create it and apply the migrations."""
    path = str(tmp_path / "pm.db")
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [ctx.Process(target=_store_all, args=(path, k * 7, out)) for k in range(3)]
    for w in workers:
        w.start()
    errors = [e for _ in workers for e in out.get(timeout=300)]
    for w in workers:
        w.join(timeout=60)
    assert errors == []
    db = Database(path)
    assert db.count_incidents() == DOCS
    assert sorted(r["source_id"] for r in db.incidents()) == sorted(f"pm-{i}" for i in range(DOCS))


def test_upsert_outcomes_and_first_seen_kept(tmp_path):
    db = Database(tmp_path / "pm.db")
    row = record(source_id="a", incident_title="Kafka disk full", root_cause="Disk full.", fix="Grew it.")
    assert db.upsert_incident(row) == "new"
    first_seen = db.incidents()[0]["first_seen"]
    assert db.upsert_incident(row) == "unchanged"
    assert db.upsert_incident({**row, "fix": "Cut retention.", "content_hash": "other"}) == "updated"
    stored = db.incidents()[0]
    assert (stored["fix"], stored["first_seen"]) == ("Cut retention.", first_seen)
    db.mark_deleted(row["source"], ["a"])
    assert db.upsert_incident({**row, "fix": "Cut retention.", "content_hash": "other"}) == "updated"
    assert db.count_incidents() == 1


def test_mark_missing_deleted_takes_a_listing_past_the_variable_limit(tmp_path):
    """A 40,000-file listing: one placeholder per id broke past SQLite's 32,766 variables."""
    db = Database(tmp_path / "pm.db")
    # SQLite's default limit (some builds, this machine's included, raise it to 250,000).
    db.db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)
    kept = record(source_id="docs/pm-1.md", incident_title="One", root_cause="r", fix="f")
    gone = record(source_id="docs/pm-2.md", incident_title="Two", root_cause="r", fix="f")
    for row in (kept, gone):
        db.upsert_incident(row)
    db.record_excluded({"source": kept["source"], "source_id": "docs/draft.md", "reason": "template",
                        "detail": "", "content_hash": "x", "version": ""})
    db.record_excluded({"source": kept["source"], "source_id": "docs/old-draft.md", "reason": "template",
                        "detail": "", "content_hash": "y", "version": ""})
    listing = {f"docs/other-{i}.md" for i in range(40_000)} | {"docs/pm-1.md", "docs/draft.md"}

    assert db.mark_missing_deleted(kept["source"], listing) == 1
    assert [r["source_id"] for r in db.incidents()] == ["docs/pm-1.md"]
    assert [r["source_id"] for r in db.excluded()] == ["docs/draft.md"]
    # The listing does not linger for the next sync (of another source) to see.
    assert db.mark_missing_deleted(kept["source"], iter(())) == 1
    assert db.count_incidents() == 0 and db.excluded() == []


def test_counts_without_loading(tmp_path):
    db = Database(tmp_path / "pm.db")
    db.upsert_incident(record(source_id="a", incident_title="A", root_cause="r", fix="f"))
    db.upsert_incident(record("other", source_id="b", incident_title="B", root_cause="r", fix="f"))
    assert db.count_incidents() == 2 and db.count_incidents(source="other") == 1
    first_seen = db.incidents()[0]["first_seen"]
    assert db.count_incidents(first_seen_after=first_seen) == 0
    assert db.count_incidents(first_seen_after="") == 2
