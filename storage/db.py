"""The incident store: incidents, exclusions and sync runs in one SQLite file."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import sqlite_utils

from storage.migrations import NewerSchema, check_version, migrate, needs_migration
from storage.processes import pid_alive

LIST_FIELDS = ("services_affected", "action_items")
JSON_FIELDS = ("provenance",)
LABEL_FIELDS = ("root_cause_category", "root_cause", "fix")
TEXT_FIELDS = ("incident_title", "timeline", "root_cause", "fix")


def default_db_path() -> Path:
    return Path(os.environ.get("POSTMORTEM_DB", "data/postmortem.db"))


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class StorageError(Exception):
    """A database that cannot be used as asked (not a database, read-only, damaged, from a
    newer version): the message is one line for the person who named it."""


class SyncBusy(StorageError):
    """Another live process is syncing the same source."""

    def __init__(self, source: str, running: dict):
        super().__init__(
            f"a sync of {source} is already running (pid {running.get('pid')}, since {running['started_at']})"
        )
        self.running = running


def describe_error(path: Path | str, exc: sqlite3.Error) -> str:
    """One line saying what is wrong with the database at `path`."""
    text = str(exc)
    if "file is not a database" in text:
        return f"{path} is not a postmortem database (not an SQLite file)"
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only: postmortem needs to write to its database and the folder it is in"
    if "unable to open database file" in text:
        return f"cannot open or create the database {path}: its folder is missing or not writable"
    if "malformed" in text or "corrupt" in text or "disk image" in text:
        return f"{path} is damaged ({text}): restore it from a backup or extract into a new database"
    return f"{path}: {text}"


class Database:
    """Thin domain layer over sqlite-utils. Every write is its own transaction, so a crash
    half way through a sync keeps everything stored before it.

    Several threads of one process (the Slack listeners, the answer worker, the job watcher)
    may share a Database; a sqlite3 connection has a single transaction state, so writes go
    through `write()`, which holds this connection's lock for the whole transaction."""

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False):
        """`read_only`: open an existing database for reading only (what `export` needs), so
        a read-only file can still be read; nothing is migrated."""
        self.path = Path(path) if path is not None else default_db_path()
        self._lock = threading.RLock()
        try:
            if str(self.path) != ":memory:":
                if self.path.is_dir():
                    raise StorageError(f"{self.path} is a folder, not a database file")
                if read_only and not self.path.is_file():
                    raise StorageError(f"no database at {self.path}: run `postmortem extract` first")
                if not read_only and self.path.exists() and not os.access(self.path, os.W_OK):
                    # Refused up front: SQLite would open it and fail at the first write.
                    raise StorageError(describe_error(self.path, sqlite3.OperationalError("readonly")))
                if not read_only:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
            if read_only:
                target, uri = f"{self.path.resolve().as_uri()}?mode=ro", True
            else:
                target, uri = str(self.path), False
            conn = sqlite3.connect(target, timeout=30, check_same_thread=False, uri=uri)
        except OSError as exc:
            raise StorageError(f"cannot create the database {self.path}: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise StorageError(describe_error(self.path, exc)) from None
        self.db = sqlite_utils.Database(conn)
        try:
            # Before anything writes: a newer version's database is left as it is.
            check_version(self.db)
            self.db.execute("PRAGMA busy_timeout=30000")
            if read_only:
                if needs_migration(self.db):
                    raise StorageError(
                        f"{self.path} was made by an older postmortem: open it once with write access to upgrade it"
                    )
            elif needs_migration(self.db) or self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                with _init_lock(self.path):
                    # WAL: the Slack app reads while a sync job (another process) writes.
                    self.db.execute("PRAGMA journal_mode=WAL")
                    migrate(self.db)
        except StorageError:
            conn.close()
            raise
        except NewerSchema as exc:
            conn.close()
            raise StorageError(f"{self.path} was written by a newer postmortem: {exc}") from None
        except sqlite3.Error as exc:
            conn.close()
            raise StorageError(describe_error(self.path, exc)) from None

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction. It takes SQLite's write lock at its start (BEGIN IMMEDIATE):
        a transaction that reads, then writes, can't be overtaken by another process between
        the two. Nested calls become savepoints (sqlite-utils' atomic())."""
        with self._lock:
            if self.db.conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.conn.execute("COMMIT")
            except BaseException:
                self.db.rollback()
                raise

    def check_integrity(self) -> None:
        """Raise StorageError if SQLite finds the file damaged (PRAGMA quick_check: reads
        every page once, without the slower index cross-checks of integrity_check)."""
        try:
            problems = [r[0] for r in self.db.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            raise StorageError(describe_error(self.path, exc)) from None
        if problems != ["ok"]:
            raise StorageError(f"{self.path} is damaged ({problems[0]}): restore it from a backup or extract into a new database")

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

    def count_incidents(self, source: str | None = None, first_seen_after: str | None = None) -> int:
        """How many live incidents (of `source`, first seen after an ISO time), without
        loading them."""
        where, args = "deleted = 0", []
        if source:
            where, args = where + " and source = ?", args + [source]
        if first_seen_after is not None:
            where, args = where + " and first_seen > ?", args + [first_seen_after]
        return self.db.execute(f"select count(*) from incidents where {where}", args).fetchone()[0]

    def upsert_incident(self, record: dict[str, Any]) -> str:
        """Insert or update by (source, source_id). Returns 'new', 'updated' or 'unchanged'.
        One statement (INSERT ... ON CONFLICT) in a transaction that holds the write lock, so
        two syncs storing the same document at once both succeed."""
        row = _encode(record)
        key = [row["source"], row["source_id"]]
        stamp = now()
        with self.write():
            existing = self.db.execute(
                "select content_hash, deleted from incidents where source = ? and source_id = ?", key
            ).fetchone()
            # A document that was excluded before and now parses leaves the excluded table.
            self.db.execute("delete from excluded where source = ? and source_id = ?", key)
            if existing and existing[0] == row["content_hash"] and not existing[1]:
                return "unchanged"
            _upsert(self.db, "incidents", {**row, "first_seen": stamp, "updated_at": stamp, "deleted": 0},
                    ("source", "source_id"), keep=("first_seen",))
        return "updated" if existing else "new"

    def insert_incidents(self, rows: Iterable[dict[str, Any]]) -> None:
        """Bulk insert of new incident rows in one transaction (benchmarks grow a corpus)."""
        stamp = now()
        with self.write():
            self.db["incidents"].insert_all(
                ({"first_seen": stamp, "updated_at": stamp, "deleted": 0, **_encode(r)} for r in rows),
                batch_size=500,
            )

    def record_excluded(self, row: dict[str, Any]) -> None:
        """Store why a document was not kept. If it was an incident before (edited into a
        template, say), that incident is marked deleted rather than silently kept stale."""
        row = {**row, "seen_at": now()}
        with self.write():
            _upsert(self.db, "excluded", row, ("source", "source_id"))
            self.db.execute(
                "update incidents set deleted = 1, updated_at = ? where source = ? and source_id = ?",
                [now(), row["source"], row["source_id"]],
            )

    def excluded_reason(self, source: str, source_id: str) -> str:
        """Why this document was excluded ('unknown' if it is not)."""
        row = self.db.execute(
            "select reason from excluded where source = ? and source_id = ?", [source, source_id]
        ).fetchone()
        return row[0] if row else "unknown"

    def mark_missing_deleted(self, source: str, present: Iterable[str]) -> int:
        """Mark deleted every live incident of `source` whose id is not in `present`
        (the full upstream listing of this sync), and forget its exclusions of documents no
        longer listed. Returns how many incidents. The listing goes into a temporary table:
        one placeholder per id would break past SQLite's variable limit (32,766)."""
        with self.write():
            self.db.execute("create temp table if not exists listing (source_id text primary key)")
            self.db.execute("delete from temp.listing")
            self.db.conn.executemany(
                "insert or ignore into temp.listing values (?)", ((sid,) for sid in present)
            )
            missing = "source = ? and source_id not in (select source_id from temp.listing)"
            gone = self.db.execute(
                f"update incidents set deleted = 1, updated_at = ? where deleted = 0 and {missing}",
                [now(), source],
            ).rowcount
            self.db.execute(f"delete from excluded where {missing}", [source])
            self.db.execute("delete from temp.listing")
        return gone

    def mark_deleted(self, source: str, source_ids: Iterable[str]) -> int:
        n = 0
        with self.write():
            for sid in source_ids:
                cur = self.db.execute(
                    "update incidents set deleted = 1, updated_at = ? "
                    "where source = ? and source_id = ? and deleted = 0",
                    [now(), source, sid],
                )
                n += cur.rowcount
                self.db.execute("delete from excluded where source = ? and source_id = ?", [source, sid])
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

    def incident_ids(self, sources: Iterable[str]) -> list[int]:
        """Ids of the live incidents of these sources."""
        sources = sorted(set(sources))
        if not sources:
            return []
        marks = ",".join("?" * len(sources))
        sql = f"select id from incidents where deleted = 0 and source in ({marks})"
        return [r[0] for r in self.db.execute(sql, sources).fetchall()]

    def sources(self) -> list[str]:
        """Every source with live incidents."""
        return [r[0] for r in self.db.execute("select distinct source from incidents where deleted = 0")]

    def keyword_search(
        self, query: str, limit: int = 20, sources: Iterable[str] | None = None
    ) -> list[tuple[int, float]]:
        """FTS5 search over live incidents (of `sources` only, when given): [(incident id,
        bm25 rank)], best first. The query is turned into an OR of quoted terms so user text
        can't break FTS syntax."""
        terms = [t for t in _fts_terms(query)]
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        where, args = "", []
        if sources is not None:
            args = sorted(set(sources))
            if not args:
                return []
            where = f" and incidents.source in ({','.join('?' * len(args))})"
        sql = (
            "select incidents.id, bm25(incidents_fts) as rank from incidents_fts "
            "join incidents on incidents.rowid = incidents_fts.rowid "
            f"where incidents_fts match ? and incidents.deleted = 0{where} order by rank limit ?"
        )
        return [(r[0], r[1]) for r in self.db.execute(sql, [match, *args, limit]).fetchall()]

    def live_incident_keys(self) -> list[tuple[int, str, str]]:
        """(id, source, source_id) of every live incident."""
        return [tuple(r) for r in self.db.execute(
            "select id, source, source_id from incidents where deleted = 0 order by id"
        ).fetchall()]

    def scan_search(self, terms: list[str], limit: int = 50) -> list[int]:
        """Live incident ids by how many of `terms` their text contains, by a full scan with
        LIKE: the no-index baseline `bench.retrieval` measures FTS5 against."""
        matched = " + ".join(["(text like ?)"] * len(terms)) or "0"
        sql = (
            f"select id, {matched} as hits from (select id, coalesce(incident_title, '') || ' ' || "
            "coalesce(root_cause, '') || ' ' || coalesce(fix, '') || ' ' || coalesce(timeline, '') as text "
            "from incidents where deleted = 0) where hits > 0 order by hits desc limit ?"
        )
        return [r[0] for r in self.db.execute(sql, [*(f"%{t}%" for t in terms), limit]).fetchall()]

    # -- dataset splits ----------------------------------------------------------------------

    def splits(self) -> dict[tuple[str, str], str]:
        """(source, source_id) -> 'train' / 'heldout', as first stored."""
        return {(r[0], r[1]): r[2] for r in self.db.execute("select source, source_id, split from splits")}

    def add_splits(self, rows: list[dict]) -> None:
        """Store the side of incidents seen for the first time; a stored side never changes."""
        with self.write():
            self.db["splits"].insert_all(rows, ignore=True)

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
        with self.write():
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

    def set_categories(self, changes: list[tuple[int, str, str, str]]) -> int:
        """(incident id, category as read, new category, its origin): each applied only where
        the stored category is still the one read (a sync may have re-parsed it since), with
        the origin in the incident's provenance. Returns how many were applied."""
        applied = 0
        with self.write():
            for incident_id, was, category, origin in changes:
                row = self.db.execute(
                    "select provenance from incidents where id = ? and root_cause_category = ?", [incident_id, was]
                ).fetchone()
                if row is None:
                    continue
                provenance = {**json.loads(row[0] or "{}"), "root_cause_category": origin}
                self.db["incidents"].update(
                    incident_id, {"root_cause_category": category, "provenance": json.dumps(provenance), "updated_at": now()}
                )
                applied += 1
        return applied

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
        with self.write():
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

    def begin_sync(
        self, source: str, *, pid: int | None = None, is_alive: Callable[[int | None], bool] = pid_alive
    ) -> int:
        """Record a running sync of `source` by this process; SyncBusy if a live process is
        already syncing it. Syncs left `running` by a process that is gone are first closed as
        interrupted. The check and the insert share one write transaction, so of two syncs
        starting together exactly one gets in. A damaged file is refused before anything
        is written into it."""
        self.check_integrity()
        with self.write():
            for row in self.db["syncs"].rows_where("status = 'running' and source = ?", [source], order_by="id"):
                if is_alive(row["pid"]):
                    raise SyncBusy(source, row)
                self._interrupt(row["id"])
            return self.db["syncs"].insert(
                {"source": source, "started_at": now(), "status": "running", "pid": pid or os.getpid()}
            ).last_pk

    def reap_syncs(self, is_alive: Callable[[int | None], bool] = pid_alive) -> list[int]:
        """Close as `interrupted` every running sync whose process is gone (killed, or the
        machine restarted under it). Returns their ids."""
        gone = [r["id"] for r in self.db["syncs"].rows_where("status = 'running'") if not is_alive(r["pid"])]
        if gone:  # the app's watcher calls this every few seconds: no write when nothing to do
            with self.write():
                for sync_id in gone:
                    self._interrupt(sync_id)
        return gone

    def _interrupt(self, sync_id: int) -> None:
        self.db.execute(
            "update syncs set status = 'interrupted', finished_at = ?, error = ? where id = ? and status = 'running'",
            [now(), "interrupted: the sync process is gone", sync_id],
        )

    def finish_sync(self, sync_id: int, status: str, counts: dict, error: str | None = None) -> None:
        """status: succeeded / failed / interrupted."""
        row = {k: v for k, v in counts.items() if k != "redactions"}
        row.update(
            status=status,
            finished_at=now(),
            error=error,
            redactions=json.dumps(counts.get("redactions", {})),
        )
        with self.write():
            self.db["syncs"].update(sync_id, row)

    def sync(self, sync_id: int) -> dict | None:
        rows = list(self.db["syncs"].rows_where("id = ?", [sync_id]))
        return rows[0] if rows else None

    def add_sync_error(self, sync_id: int, source_id: str, error: str) -> None:
        with self.write():
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


@contextlib.contextmanager
def _init_lock(path: Path) -> Iterator[None]:
    """One process at a time turns a new or older database into the current one. Switching to
    WAL needs SQLite's exclusive lock, and a process that reads while asking for it gets "database
    is locked" at once, not after the busy timeout, when another one is migrating. An flock on a
    file beside it (never on the database: closing a second descriptor of that file would drop
    SQLite's own locks) makes them queue instead."""
    import fcntl

    if str(path) == ":memory:":
        yield
        return
    try:
        handle = open(path.with_name(path.name + ".init-lock"), "a")
    except OSError:  # a folder we may not create files in: the busy timeout is all there is
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _encode(record: dict) -> dict:
    row = dict(record)
    for f in LIST_FIELDS:
        if f in row and not isinstance(row[f], str):
            row[f] = json.dumps(list(row[f] or []))
    for f in JSON_FIELDS:
        if f in row and not isinstance(row[f], str):
            row[f] = json.dumps(row[f] or {})
    return row


def _upsert(db: sqlite_utils.Database, table: str, row: dict, key: tuple[str, ...], keep: tuple[str, ...] = ()) -> None:
    """INSERT ... ON CONFLICT(key) DO UPDATE: atomic, where a select-then-insert races
    another writer into a UNIQUE constraint failure. Columns in `keep` keep their stored
    value on update."""
    cols = list(row)
    names = ", ".join(f'"{c}"' for c in cols)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c not in key and c not in keep)
    db.execute(
        f'insert into "{table}" ({names}) values ({", ".join("?" * len(cols))}) '
        f"on conflict({', '.join(key)}) do update set {updates}",
        [row[c] for c in cols],
    )


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
