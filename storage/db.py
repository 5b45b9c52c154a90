"""The incident store: incidents, exclusions and sync runs in one SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from storage.migrations import migrate

LIST_FIELDS = ("services_affected", "action_items")
JSON_FIELDS = ("provenance",)
LABEL_FIELDS = ("root_cause_category", "root_cause", "fix")
TEXT_FIELDS = ("incident_title", "timeline", "root_cause", "fix")


def default_db_path() -> Path:
    return Path(os.environ.get("POSTMORTEM_DB", "data/postmortem.db"))


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Database:
    """Thin domain layer over sqlite-utils. Every write is its own transaction, so a crash
    half way through a sync keeps everything stored before it."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_db_path()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        # WAL: the Slack app reads while a sync job (another process) writes.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        migrate(self.db)

    def close(self) -> None:
        self.db.conn.close()

    # -- incidents ---------------------------------------------------------------------------

    def stored_version(self, source: str, source_id: str) -> dict | None:
        """content_hash and upstream version of what is stored for this document, whether it
        was kept as an incident or excluded; None if never seen (or deleted)."""
        for table in ("incidents", "excluded"):
            where = "source = ? and source_id = ?"
            if table == "incidents":
                where += " and deleted = 0"
            rows = list(
                self.db[table].rows_where(
                    where, [source, source_id], select="content_hash, version"
                )
            )
            if rows:
                return {"table": table, **rows[0]}
        return None

    def known_versions(self, source: str) -> dict[str, str]:
        """source_id -> stored upstream version, for live incidents and exclusions."""
        out = {}
        for table, where in (("excluded", "source = ?"), ("incidents", "source = ? and deleted = 0")):
            for r in self.db[table].rows_where(where, [source], select="source_id, version"):
                out[r["source_id"]] = r["version"] or ""
        return out

    def incidents_state(self) -> list:
        """[live incidents, sum of their ids, change counter]: equal lists mean nothing was
        written to `incidents` in between. A few ms for 10k incidents."""
        row = self.db.execute(
            "select count(*), total(id), (select value from counters where name = 'incidents') "
            "from incidents where deleted = 0"
        ).fetchone()
        return [row[0], row[1], row[2]]

    def upsert_incident(self, record: dict[str, Any]) -> str:
        """Insert or update by (source, source_id). Returns 'new', 'updated' or 'unchanged'."""
        row = _encode(record)
        key = [row["source"], row["source_id"]]
        existing = list(
            self.db["incidents"].rows_where(
                "source = ? and source_id = ?", key, select="id, content_hash, deleted"
            )
        )
        with self.db.conn:
            # A document that was excluded before and now parses leaves the excluded table.
            self.db["excluded"].delete_where("source = ? and source_id = ?", key)
            if not existing:
                row.update(first_seen=now(), updated_at=now(), deleted=0)
                self.db["incidents"].insert(row)
                return "new"
            old = existing[0]
            if old["content_hash"] == row["content_hash"] and not old["deleted"]:
                return "unchanged"
            row.update(updated_at=now(), deleted=0)
            self.db["incidents"].update(old["id"], row)
            return "updated"

    def record_excluded(self, row: dict[str, Any]) -> None:
        """Store why a document was not kept. If it was an incident before (edited into a
        template, say), that incident is marked deleted rather than silently kept stale."""
        row = {**row, "seen_at": now()}
        with self.db.conn:
            self.db["excluded"].upsert(row, pk=("source", "source_id"))
            self.db.execute(
                "update incidents set deleted = 1, updated_at = ? where source = ? and source_id = ?",
                [now(), row["source"], row["source_id"]],
            )

    def mark_missing_deleted(self, source: str, present: Iterable[str]) -> int:
        """Mark deleted every live incident of `source` whose id is not in `present`
        (the full upstream listing of this sync), and forget its exclusions no longer
        listed. Returns how many incidents. Compared in Python, not with one SQL variable
        per present id (a large repository passes SQLite's variable limit)."""
        present = set(present)
        gone = [
            r["id"]
            for r in self.db["incidents"].rows_where(
                "source = ? and deleted = 0", [source], select="id, source_id"
            )
            if r["source_id"] not in present
        ]
        forgotten = [
            r["source_id"]
            for r in self.db["excluded"].rows_where("source = ?", [source], select="source_id")
            if r["source_id"] not in present
        ]
        with self.db.conn:
            for incident_id in gone:
                self.db["incidents"].update(incident_id, {"deleted": 1, "updated_at": now()})
            for source_id in forgotten:
                self.db["excluded"].delete((source, source_id))
        return len(gone)

    def mark_deleted(self, source: str, source_ids: Iterable[str]) -> int:
        n = 0
        with self.db.conn:
            for sid in source_ids:
                cur = self.db.execute(
                    "update incidents set deleted = 1, updated_at = ? "
                    "where source = ? and source_id = ? and deleted = 0",
                    [now(), source, sid],
                )
                n += cur.rowcount
                self.db["excluded"].delete_where("source = ? and source_id = ?", [source, sid])
        return n

    def incidents(self, include_deleted: bool = False, source: str | None = None) -> list[dict]:
        where, args = ([], [])
        if not include_deleted:
            where.append("deleted = 0")
        if source:
            where.append("source = ?")
            args.append(source)
        rows = self.db["incidents"].rows_where(
            " and ".join(where) or None, args, order_by="id"
        )
        return [_decode(r) for r in rows]

    def incident(self, incident_id: int) -> dict | None:
        rows = list(self.db["incidents"].rows_where("id = ?", [incident_id]))
        return _decode(rows[0]) if rows else None

    def incidents_by_ids(self, ids: list[int]) -> dict[int, dict]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db["incidents"].rows_where(f"id in ({marks})", list(ids))
        return {r["id"]: _decode(r) for r in rows}

    def keyword_search(self, query: str, limit: int = 20) -> list[tuple[int, float]]:
        """FTS5 search over live incidents: [(incident id, bm25 rank)], best first.
        The query is turned into an OR of quoted terms so user text can't break FTS syntax."""
        terms = [t for t in _fts_terms(query)]
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        sql = (
            "select incidents.id, bm25(incidents_fts) as rank from incidents_fts "
            "join incidents on incidents.rowid = incidents_fts.rowid "
            "where incidents_fts match ? and incidents.deleted = 0 order by rank limit ?"
        )
        return [(r[0], r[1]) for r in self.db.execute(sql, [match, limit]).fetchall()]

    def excluded(self, source: str | None = None) -> list[dict]:
        if source:
            return list(self.db["excluded"].rows_where("source = ?", [source], order_by="source_id"))
        return list(self.db["excluded"].rows_where(order_by="source, source_id"))

    def stats(self) -> dict:
        q = self.db.execute
        return {
            "incidents": q("select count(*) from incidents where deleted = 0").fetchone()[0],
            "by_source": dict(
                q("select source, count(*) from incidents where deleted = 0 group by source").fetchall()
            ),
            "by_category": dict(
                q(
                    "select root_cause_category, count(*) from incidents where deleted = 0 "
                    "group by root_cause_category order by 2 desc"
                ).fetchall()
            ),
            "excluded": dict(
                q("select reason, count(*) from excluded group by reason order by 2 desc").fetchall()
            ),
        }

    # -- human labels ------------------------------------------------------------------------

    def find_incidents(self, source_id: str, source: str | None = None) -> list[dict]:
        """Live incidents whose source id is `source_id` (in `source` when given)."""
        where, args = "source_id = ? and deleted = 0", [source_id]
        if source:
            where, args = where + " and source = ?", args + [source]
        return [_decode(r) for r in self.db["incidents"].rows_where(where, args, order_by="id")]

    def add_label(
        self,
        source: str,
        source_id: str,
        *,
        author: str,
        origin: str,
        what_was_wrong: str | None = None,
        answer_id: int | None = None,
        **fields: str | None,
    ) -> int:
        """Store a person's correction and apply it to the stored incident at once. `fields`
        are among LABEL_FIELDS; None or empty leaves that field as parsed."""
        unknown = set(fields) - set(LABEL_FIELDS)
        if unknown:
            raise ValueError(f"not a label field: {', '.join(sorted(unknown))}")
        values = {k: v for k, v in fields.items() if v}
        with self.db.conn:
            label_id = self.db["labels"].insert(
                {
                    "source": source,
                    "source_id": source_id,
                    "author": author,
                    "origin": origin,
                    "what_was_wrong": what_was_wrong,
                    "answer_id": answer_id,
                    "created_at": now(),
                    **values,
                }
            ).last_pk
            for row in self.db["incidents"].rows_where(
                "source = ? and source_id = ?", [source, source_id], select="id, provenance"
            ):
                provenance = json.loads(row["provenance"] or "{}")
                provenance.update({k: "human" for k in values})
                self.db["incidents"].update(
                    row["id"], {**values, "provenance": json.dumps(provenance), "updated_at": now()}
                )
        return label_id

    def label_for(self, source: str, source_id: str) -> dict[str, str]:
        """The latest human value of each corrected field of one document ({} if none)."""
        out: dict[str, str] = {}
        for row in self.db["labels"].rows_where(
            "source = ? and source_id = ?", [source, source_id], order_by="id"
        ):
            out.update({k: row[k] for k in LABEL_FIELDS if row[k]})
        return out

    def labels(self, since: str | None = None) -> list[dict]:
        """Every correction (newer than `since`, an ISO time, when given), oldest first."""
        if since:
            return list(self.db["labels"].rows_where("created_at > ?", [since], order_by="id"))
        return list(self.db["labels"].rows_where(order_by="id"))

    # -- source inventory and identity -------------------------------------------------------

    def inventory(self, source: str) -> dict[str, str | None]:
        """source_id -> None for each live incident of `source`, or the exclusion reason."""
        out: dict[str, str | None] = {
            r["source_id"]: r["reason"]
            for r in self.db["excluded"].rows_where("source = ?", [source], select="source_id, reason")
        }
        for r in self.db["incidents"].rows_where("source = ? and deleted = 0", [source], select="source_id"):
            out[r["source_id"]] = None
        return out

    def excluded_reason(self, source: str, source_id: str) -> str:
        rows = self.db["excluded"].rows_where("source = ? and source_id = ?", [source, source_id], select="reason")
        return next(iter(rows), {"reason": "unknown"})["reason"]

    def has_source(self, source: str) -> bool:
        return any(
            self.db.execute(f"select 1 from {table} where source = ? limit 1", [source]).fetchone()
            for table in ("incidents", "excluded")
        )

    def adopt_source(self, old: str, new: str) -> int:
        """Move everything stored under the source key `old` to `new` (a source whose identity
        changed). A document stored under both keeps the row under `new`. Returns how many
        incidents moved."""
        keyed = ("incidents", "excluded", "splits", "labels")
        with self.db.conn:
            moved = self.db.execute(
                "update or ignore incidents set source = ? where source = ?", [new, old]
            ).rowcount
            for table in keyed[1:]:
                self.db.execute(f"update or ignore {table} set source = ? where source = ?", [new, old])
            # Rows left under `old` duplicate rows under `new`; labels are kept (they stack).
            for table in ("incidents", "excluded", "splits"):
                self.db.execute(f"delete from {table} where source = ?", [old])
            self.db.execute("update syncs set source = ? where source = ?", [new, old])
        return moved

    # -- syncs -------------------------------------------------------------------------------

    def start_sync(self, source: str) -> int:
        return self.db["syncs"].insert(
            {"source": source, "started_at": now(), "status": "running"}
        ).last_pk

    def finish_sync(self, sync_id: int, status: str, counts: dict, error: str | None = None) -> None:
        row = {k: v for k, v in counts.items() if k != "redactions"}
        row.update(
            status=status,
            finished_at=now(),
            error=error,
            redactions=json.dumps(counts.get("redactions", {})),
        )
        self.db["syncs"].update(sync_id, row)

    def add_sync_error(self, sync_id: int, source_id: str, error: str) -> None:
        self.db["sync_errors"].insert(
            {"sync_id": sync_id, "source_id": source_id, "error": error, "at": now()}
        )

    def last_sync(self, source: str | None = None, status: str | None = "succeeded") -> dict | None:
        where, args = [], []
        if source:
            where.append("source = ?")
            args.append(source)
        if status:
            where.append("status = ?")
            args.append(status)
        rows = list(
            self.db["syncs"].rows_where(
                " and ".join(where) or None, args, order_by="id desc", limit=1
            )
        )
        return rows[0] if rows else None


def _encode(record: dict) -> dict:
    row = dict(record)
    for f in LIST_FIELDS:
        if f in row and not isinstance(row[f], str):
            row[f] = json.dumps(list(row[f] or []))
    for f in JSON_FIELDS:
        if f in row and not isinstance(row[f], str):
            row[f] = json.dumps(row[f] or {})
    return row


def _decode(row: dict) -> dict:
    row = dict(row)
    for f in LIST_FIELDS:
        if isinstance(row.get(f), str):
            row[f] = json.loads(row[f])
    for f in JSON_FIELDS:
        if f in row:
            row[f] = json.loads(row[f]) if isinstance(row[f], str) else {}
    return row


def _fts_terms(query: str) -> list[str]:
    import re

    return [t for t in re.findall(r"[\w][\w.\-]*", query.lower()) if len(t) > 1][:32]
