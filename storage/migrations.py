"""Numbered schema migrations. Append new ones; never edit one that has shipped."""

import sqlite_utils


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
]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations in order; return the names applied."""
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        with db.conn:
            fn(db)
            db["_migrations"].insert({"name": fn.__name__, "applied_at": _now()})
        applied.append(fn.__name__)
    return applied


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")
