"""Schema migrations: sqlite-utils' migration set, databases from before it, newer ones."""

import sqlite3

import pytest
import sqlite_utils

from storage import Database, StorageError
from storage.migrations import MIGRATIONS, SCHEMA_VERSION
from tests.pipeline.incidents import record


def test_a_new_database_records_every_migration_and_its_version(tmp_path):
    db = Database(tmp_path / "pm.db")
    applied = [r["name"] for r in db.db["_sqlite_migrations"].rows_where(order_by="id")]
    assert applied == [fn.__name__ for fn in MIGRATIONS]
    assert db.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()
    # Opening it again writes nothing.
    before = (tmp_path / "pm.db").read_bytes()
    Database(tmp_path / "pm.db").close()
    assert (tmp_path / "pm.db").read_bytes() == before


def test_a_database_from_before_the_migration_set_keeps_its_data_and_is_brought_up_to_date(tmp_path):
    path = tmp_path / "old.db"
    raw = sqlite_utils.Database(path)
    for fn in MIGRATIONS[:8]:  # what the hand-rolled runner applied, and how it recorded them
        fn(raw)
    raw["_migrations"].insert_all({"name": fn.__name__, "applied_at": "2026-01-01T00:00:00+00:00"} for fn in MIGRATIONS[:8])
    raw["incidents"].insert({"source": "hand", "source_id": "old", "incident_title": "Old one", "content_hash": "h", "deleted": 0})
    raw.conn.commit()
    raw.conn.close()

    before = path.read_bytes()
    with pytest.raises(StorageError, match="made by an older postmortem: open it once with write access"):
        Database(path, read_only=True)  # reading never migrates
    assert path.read_bytes() == before

    db = Database(path)
    assert [r["source_id"] for r in db.incidents()] == ["old"]
    assert [r["source_id"] for r in Database(path, read_only=True).incidents()] == ["old"]
    assert not db.db["_migrations"].exists()
    assert [r["name"] for r in db.db["_sqlite_migrations"].rows_where(order_by="id")] == [fn.__name__ for fn in MIGRATIONS]
    assert "pid" in db.db["syncs"].columns_dict and "job_id" in db.db["models"].columns_dict
    assert db.upsert_incident(record(source_id="new", incident_title="New", root_cause="r", fix="f")) == "new"


def test_a_database_from_a_newer_version_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "pm.db"
    Database(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StorageError, match=rf"written by a newer postmortem: its schema version is {SCHEMA_VERSION + 1}; this postmortem knows {SCHEMA_VERSION}"):
        Database(path)
    assert path.read_bytes() == before

    # Same for a migration this version has never heard of, whatever user_version says.
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at) values ('postmortem', 'm999_future', '')")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="m999_future"):
        Database(path)
