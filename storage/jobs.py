"""Background jobs (sync, retrain): what was asked, by whom, and how far each one got.

The app process and the job processes share this table through SQLite (WAL), so every
write here is one short transaction (`Database.write()`, which also keeps the app's threads,
sharing one connection, out of each other's transactions)."""

from __future__ import annotations

import json

from storage.db import Database, now

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")
LOG_TAIL_LINES = 20


class JobBusy(Exception):
    """A job of the same kind is already queued or running; carries that job."""

    def __init__(self, job: dict):
        super().__init__(f"{job['kind']} job #{job['id']} is {job['status']}")
        self.job = job


class JobStore:
    def __init__(self, database: Database):
        self.database = database
        self.db = database.db

    def create(
        self,
        kind: str,
        args: dict | None = None,
        *,
        requested_by: str = "",
        channel: str = "",
        response_url: str = "",
        exclusive: bool = False,
    ) -> int:
        """Record a queued job. With `exclusive`, refuse (JobBusy) while another job of this
        kind is active; the check and the insert share one write transaction, so two
        requests racing each other can't both get in."""
        with self.database.write():
            if exclusive:
                busy = self._active(kind)
                if busy:
                    raise JobBusy(busy[0])
            cur = self.db.execute(
                "insert into jobs (kind, args, status, step, total, message, log_tail, "
                "requested_by, channel, response_url, created_at) "
                "values (?, ?, 'queued', 0, 0, 'queued', '', ?, ?, ?, ?)",
                [kind, json.dumps(args or {}), requested_by, channel, response_url, now()],
            )
        return cur.lastrowid

    def get(self, job_id: int) -> dict | None:
        rows = list(self.db["jobs"].rows_where("id = ?", [job_id]))
        return _decode(rows[0]) if rows else None

    def active(self, kind: str | None = None) -> list[dict]:
        return self._active(kind)

    def _active(self, kind: str | None) -> list[dict]:
        where = "status in ('queued', 'running')" + (" and kind = ?" if kind else "")
        rows = self.db["jobs"].rows_where(where, [kind] if kind else [], order_by="id")
        return [_decode(r) for r in rows]

    def recent(self, limit: int = 10) -> list[dict]:
        return [_decode(r) for r in self.db["jobs"].rows_where(order_by="id desc", limit=limit)]

    def last(self, kind: str, status: str | None = None) -> dict | None:
        where, args = "kind = ?", [kind]
        if status:
            where += " and status = ?"
            args.append(status)
        rows = list(self.db["jobs"].rows_where(where, args, order_by="id desc", limit=1))
        return _decode(rows[0]) if rows else None

    def started(self, job_id: int, pid: int) -> None:
        self._update(job_id, status="running", pid=pid, started_at=now(), message="starting")

    def set_pid(self, job_id: int, pid: int) -> None:
        self._update(job_id, pid=pid)

    def progress(self, job_id: int, step: int, total: int, message: str) -> None:
        self._update(job_id, step=step, total=total, message=message)

    def log(self, job_id: int, line: str) -> None:
        """Append a line to the job's log tail (only the last LOG_TAIL_LINES are kept)."""
        with self.database.write():
            row = self.db.execute("select log_tail from jobs where id = ?", [job_id]).fetchone()
            lines = ((row[0] or "").splitlines() if row else []) + line.rstrip("\n").splitlines()
            self.db.execute(
                "update jobs set log_tail = ? where id = ?",
                ["\n".join(lines[-LOG_TAIL_LINES:]), job_id],
            )

    def set_message(self, job_id: int, channel: str, message_ts: str) -> None:
        """The Slack message that shows this job's progress."""
        self._update(job_id, channel=channel, message_ts=message_ts)

    def finish(self, job_id: int, status: str, *, result: dict | None = None, message: str = "") -> bool:
        """Close a job once. Returns False when it was already finished (a job process and the
        app's watcher may both try: the first one wins)."""
        if status not in FINISHED:
            raise ValueError(f"not a finished status: {status!r}")
        with self.database.write():
            cur = self.db.execute(
                "update jobs set status = ?, result = ?, message = ?, finished_at = ? "
                "where id = ? and status in ('queued', 'running')",
                [status, json.dumps(result) if result is not None else None, message, now(), job_id],
            )
        return cur.rowcount == 1

    def _update(self, job_id: int, **fields) -> None:
        with self.database.write():
            self.db["jobs"].update(job_id, fields)


def _decode(row: dict) -> dict:
    return {
        **row,
        "args": json.loads(row["args"]) if row.get("args") else {},
        "result": json.loads(row["result"]) if row.get("result") else None,
    }
