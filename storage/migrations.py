"""Numbered schema migrations. Append new ones; never edit one that has shipped.

They run as a sqlite-utils migration set (`sqlite_utils.Migrations`, recorded in
`_sqlite_migrations`); `PRAGMA user_version` holds how many have been applied, so a database
written by a newer version of postmortem is refused rather than silently modified."""

import sqlite3

import sqlite_utils
from sqlite_utils import Migrations


def m001_incidents(db: sqlite_utils.Database) -> None:
    db["incidents"].create(
        {
            "id": int,
            "source": str,
            "source_id": str,
            "url": str,
            "incident_title": str,
            "date": str,
            "services_affected": str,  # JSON list
            "timeline": str,
            "root_cause": str,
            "fix": str,
            "action_items": str,  # JSON list
            "root_cause_category": str,
            "content_hash": str,
            "version": str,  # upstream version (blob sha, last_edited_time, page version)
            "deleted": int,
            "first_seen": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"source", "source_id"},
        defaults={"deleted": 0},
    )
    db["incidents"].create_index(["source", "source_id"], unique=True)
    # FTS5 over the text fields; triggers keep it in step with upserts.
    db["incidents"].enable_fts(
        ["incident_title", "services_affected", "timeline", "root_cause", "fix", "action_items"],
        fts_version="FTS5",
        create_triggers=True,
        tokenize="porter",
    )
    db["excluded"].create(
        {
            "source": str,
            "source_id": str,
            "url": str,
            "reason": str,
            "detail": str,
            "content_hash": str,
            "version": str,
            "seen_at": str,
        },
        pk=("source", "source_id"),
    )
    db["syncs"].create(
        {
            "id": int,
            "source": str,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running / succeeded / failed
            "seen": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "excluded": int,
            "deleted": int,
            "errors": int,
            "redactions": str,  # JSON {kind: count}
            "error": str,
        },
        pk="id",
    )
    db["sync_errors"].create(
        {"id": int, "sync_id": int, "source_id": str, "error": str, "at": str}, pk="id"
    )


def m002_jobs(db: sqlite_utils.Database) -> None:
    db["jobs"].create(
        {
            "id": int,
            "kind": str,  # sync / retrain
            "args": str,  # JSON
            "status": str,  # queued / running / succeeded / failed / cancelled
            "pid": int,
            "step": int,
            "total": int,
            "message": str,
            "log_tail": str,
            "result": str,  # JSON summary
            "requested_by": str,
            "channel": str,
            "message_ts": str,
            "response_url": str,
            "created_at": str,
            "started_at": str,
            "finished_at": str,
        },
        pk="id",
    )


def m003_models_evals_feedback(db: sqlite_utils.Database) -> None:
    db["models"].create(
        {
            "id": int,
            "name": str,
            "base_model": str,
            "adapter_path": str,
            "gguf_adapter_path": str,
            "status": str,  # candidate / current / retired / rejected
            "trained_at": str,
            "promoted_at": str,
            "eval_run_id": int,
            "report": str,  # JSON training report
        },
        pk="id",
    )
    db["eval_runs"].create(
        {
            "id": int,
            "model_id": int,
            "created_at": str,
            "n_incidents": int,
            "results": str,  # JSON {system: {metric: value}}
        },
        pk="id",
    )
    db["feedback"].create(
        {
            "id": int,
            "user": str,
            "channel": str,
            "message_ts": str,
            "question": str,
            "answer": str,
            "vote": str,  # up / down
            "created_at": str,
        },
        pk="id",
    )


def m004_splits(db: sqlite_utils.Database) -> None:
    # Train/held-out side of each incident, fixed the first time a dataset is built, so that
    # evaluation never scores an incident a model was trained on.
    db["splits"].create(
        {"source": str, "source_id": str, "split": str},  # split: train / heldout
        pk=("source", "source_id"),
    )


def m005_answers(db: sqlite_utils.Database) -> None:
    # Every answer the Slack bot posted: its 👍/👎 buttons carry the row id, so a vote is
    # stored with the question and answer it judges, and a user can change their vote.
    db["answers"].create(
        {
            "id": int,
            "user": str,
            "channel": str,
            "thread_ts": str,
            "message_ts": str,
            "question": str,
            "answer": str,
            "root_cause_category": str,
            "confidence": float,
            "sources": str,  # JSON list
            "model": str,
            "error_id": str,  # set when answering failed
            "latency_ms": int,
            "created_at": str,
        },
        pk="id",
    )
    db["feedback"].add_column("answer_id", int)
    db["feedback"].create_index(["answer_id", "user"], unique=True)


def m006_eval_run_details(db: sqlite_utils.Database) -> None:
    # What an eval run needs besides its metric table: the confidence calibration fitted on
    # it, the systems' settings and the held-out ids, as JSON.
    db["eval_runs"].add_column("details", str)


def m007_incident_changes(db: sqlite_utils.Database) -> None:
    # A counter that every write to `incidents` bumps, from any process. Readers that cache
    # something derived from the incidents (the vector index) compare it instead of
    # timestamps, which tie within a second.
    db["counters"].create({"name": str, "value": int}, pk="name")
    db["counters"].insert({"name": "incidents", "value": 0})
    for event in ("insert", "update", "delete"):
        db.execute(
            f"create trigger incidents_changes_{event} after {event} on incidents begin "
            "update counters set value = value + 1 where name = 'incidents'; end"
        )


def m008_labels_provenance(db: sqlite_utils.Database) -> None:
    # A person's correction of an incident (`postmortem label`, the Slack 👎 modal). Kept apart
    # from the parsed row so it survives every re-parse and wins over the parser; the latest
    # value of each field counts. `provenance` on an incident says where each field came from.
    db["labels"].create(
        {
            "id": int,
            "source": str,
            "source_id": str,
            "root_cause_category": str,
            "root_cause": str,
            "fix": str,
            "what_was_wrong": str,
            "author": str,
            "origin": str,  # cli / slack
            "answer_id": int,
            "created_at": str,
        },
        pk="id",
        not_null={"source", "source_id"},
    )
    db["labels"].create_index(["source", "source_id"])
    db["incidents"].add_column("provenance", str)  # JSON {field: heading/label/table/.../human}


def m009_retrieval_examples(db: sqlite_utils.Database) -> None:
    # 👍 on an answer: the question and the incident it was answered from, a positive example
    # for the retrieval evaluation. One per (answer, user), gone when the vote changes.
    db["retrieval_examples"].create(
        {
            "id": int,
            "answer_id": int,
            "user": str,
            "question": str,
            "source": str,
            "source_id": str,
            "created_at": str,
        },
        pk="id",
        not_null={"question", "source", "source_id"},
    )
    db["retrieval_examples"].create_index(["answer_id", "user"], unique=True)
    # A thread reply is a follow-up only where the bot answered: looked up on every reply.
    db["answers"].create_index(["channel", "thread_ts"])


def m010_sync_pid_model_job(db: sqlite_utils.Database) -> None:
    # The process running a sync, so a killed one can be told from a live one (and reaped),
    # and the retrain job that trained a candidate, so a job killed before its gate leaves
    # no candidate behind.
    db["syncs"].add_column("pid", int)
    db["models"].add_column("job_id", int)


MIGRATIONS = [
    m001_incidents,
    m002_jobs,
    m003_models_evals_feedback,
    m004_splits,
    m005_answers,
    m006_eval_run_details,
    m007_incident_changes,
    m008_labels_provenance,
    m009_retrieval_examples,
    m010_sync_pid_model_job,
]
SCHEMA_VERSION = len(MIGRATIONS)

migrations = Migrations("postmortem")
for _fn in MIGRATIONS:
    migrations()(_fn)

# Where databases made before the migration set was adopted recorded their migrations.
LEGACY_TABLE = "_migrations"


class NewerSchema(Exception):
    """The database was migrated by a newer postmortem than this one."""


def check_version(db: sqlite_utils.Database) -> None:
    """Raise NewerSchema when the database knows migrations this code does not."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    known = {fn.__name__ for fn in MIGRATIONS}
    unknown = sorted(
        name
        for table in (Migrations.migrations_table, LEGACY_TABLE)
        if db[table].exists()
        for name in _applied_names(db, table)
        if name not in known
    )
    if version > SCHEMA_VERSION or unknown:
        raise NewerSchema(
            f"its schema version is {max(version, SCHEMA_VERSION + 1)}"
            + (f" ({', '.join(unknown)})" if unknown else "")
            + f"; this postmortem knows {SCHEMA_VERSION}: upgrade postmortem to use it"
        )


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations in order; return the names applied. Nothing is written when
    none are pending, so an up-to-date database opens without a write."""
    if not needs_migration(db):
        return []
    # One write lock for the whole run: two processes opening a new database at once can't
    # both create its tables.
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        _adopt_legacy_records(db)
        applied = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    return applied


def needs_migration(db: sqlite_utils.Database) -> bool:
    """Whether opening for writing would migrate (read-only: nothing is written)."""
    return (
        db[LEGACY_TABLE].exists()
        or bool(migrations.pending(db))
        or db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION
    )


def _adopt_legacy_records(db: sqlite_utils.Database) -> None:
    """Databases from before the migration set recorded applied migrations in `_migrations`:
    carry them over so they are not applied twice."""
    if not db[LEGACY_TABLE].exists():
        return
    migrations.ensure_migrations_table(db)
    for row in db[LEGACY_TABLE].rows_where(order_by="rowid"):
        db[Migrations.migrations_table].insert(
            {"migration_set": migrations.name, "name": row["name"], "applied_at": row["applied_at"]},
            ignore=True,
        )
    db[LEGACY_TABLE].drop()


def _applied_names(db: sqlite_utils.Database, table: str) -> list[str]:
    where = "migration_set = ?" if table == Migrations.migrations_table else None
    args = [migrations.name] if where else []
    try:
        return [r["name"] for r in db[table].rows_where(where, args)]
    except sqlite3.OperationalError:  # a table of that name with another shape: not ours
        return []
