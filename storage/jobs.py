"""Background jobs (sync, retrain), the answers the bot gave, and the votes on them.

The app process and the job processes share these tables through SQLite (WAL), so every
write here is one short transaction. Within the app, several threads (Slack listeners, the
answer worker, the job watcher) share one connection, and a sqlite3 connection has a single
transaction state: writes here hold one lock so that one thread's commit never lands in the
middle of another's transaction."""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter

from storage.db import Database, now

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")
LOG_TAIL_LINES = 20
_WRITE_LOCK = threading.RLock()


def _serialized(method):
    @functools.wraps(method)
    def locked(*args, **kwargs):
        with _WRITE_LOCK:
            return method(*args, **kwargs)

    return locked


class JobBusy(Exception):
    """A job of the same kind is already queued or running; carries that job."""

    def __init__(self, job: dict):
        super().__init__(f"{job['kind']} job #{job['id']} is {job['status']}")
        self.job = job


class JobStore:
    def __init__(self, database: Database):
        self.db = database.db

    @_serialized
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
        conn = self.db.conn
        conn.execute("begin immediate")
        try:
            if exclusive:
                busy = self._active(kind)
                if busy:
                    raise JobBusy(busy[0])
            cur = conn.execute(
                "insert into jobs (kind, args, status, step, total, message, log_tail, "
                "requested_by, channel, response_url, created_at) "
                "values (?, ?, 'queued', 0, 0, 'queued', '', ?, ?, ?, ?)",
                [kind, json.dumps(args or {}), requested_by, channel, response_url, now()],
            )
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
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

    @_serialized
    def log(self, job_id: int, line: str) -> None:
        """Append a line to the job's log tail (only the last LOG_TAIL_LINES are kept)."""
        with self.db.conn:
            row = self.db.execute("select log_tail from jobs where id = ?", [job_id]).fetchone()
            lines = ((row[0] or "").splitlines() if row else []) + line.rstrip("\n").splitlines()
            self.db.execute(
                "update jobs set log_tail = ? where id = ?",
                ["\n".join(lines[-LOG_TAIL_LINES:]), job_id],
            )

    def set_message(self, job_id: int, channel: str, message_ts: str) -> None:
        """The Slack message that shows this job's progress."""
        self._update(job_id, channel=channel, message_ts=message_ts)

    @_serialized
    def finish(self, job_id: int, status: str, *, result: dict | None = None, message: str = "") -> bool:
        """Close a job once. Returns False when it was already finished (a job process and the
        app's watcher may both try: the first one wins)."""
        assert status in FINISHED, status
        with self.db.conn:
            cur = self.db.execute(
                "update jobs set status = ?, result = ?, message = ?, finished_at = ? "
                "where id = ? and status in ('queued', 'running')",
                [status, json.dumps(result) if result is not None else None, message, now(), job_id],
            )
        return cur.rowcount == 1

    @_serialized
    def _update(self, job_id: int, **fields) -> None:
        with self.db.conn:
            self.db["jobs"].update(job_id, fields)


class AnswerStore:
    """Every answer the bot posted (the 👍/👎 buttons point at a row), and the votes."""

    def __init__(self, database: Database):
        self.database = database
        self.db = database.db

    @_serialized
    def add(
        self,
        *,
        user: str,
        channel: str,
        thread_ts: str,
        question: str,
        message_ts: str = "",
        answer: str = "",
        category: str = "",
        confidence: float | None = None,
        sources: list | None = None,
        model: str = "",
        error_id: str = "",
        latency_ms: int | None = None,
    ) -> int:
        with self.db.conn:
            return self.db["answers"].insert(
                {
                    "user": user,
                    "channel": channel,
                    "thread_ts": thread_ts,
                    "message_ts": message_ts,
                    "question": question,
                    "answer": answer,
                    "root_cause_category": category,
                    "confidence": confidence,
                    "sources": json.dumps(sources or []),
                    "model": model,
                    "error_id": error_id,
                    "latency_ms": latency_ms,
                    "created_at": now(),
                }
            ).last_pk

    @_serialized
    def set_message_ts(self, answer_id: int, message_ts: str) -> None:
        with self.db.conn:
            self.db["answers"].update(answer_id, {"message_ts": message_ts})

    def get(self, answer_id: int) -> dict | None:
        rows = list(self.db["answers"].rows_where("id = ?", [answer_id]))
        return {**rows[0], "sources": json.loads(rows[0]["sources"] or "[]")} if rows else None

    @_serialized
    def vote(self, answer_id: int, user: str, vote: str) -> dict:
        """Store a 👍/👎 with the question and answer it is about. A user who clicks again
        changes their vote rather than adding one."""
        assert vote in ("up", "down"), vote
        answer = self.get(answer_id)
        if answer is None:
            raise KeyError(f"no answer #{answer_id}")
        row = {
            "answer_id": answer_id,
            "user": user,
            "channel": answer["channel"],
            "message_ts": answer["message_ts"],
            "question": answer["question"],
            "answer": answer["answer"],
            "vote": vote,
            "created_at": now(),
        }
        with self.db.conn:
            existing = self.db.execute(
                "select id from feedback where answer_id = ? and user = ?", [answer_id, user]
            ).fetchone()
            if existing:
                self.db["feedback"].update(existing[0], row)
            else:
                self.db["feedback"].insert(row)
        return row

    @_serialized
    def correct(
        self, answer_id: int, user: str, *, source: str, source_id: str, what_was_wrong: str, **fields: str | None
    ) -> int:
        """A 👎 with a correction: the vote, and a human label on the incident it names
        (Database.add_label: applied at once, wins over the parser). Returns the label id."""
        self.vote(answer_id, user, "down")
        return self.database.add_label(
            source, source_id, author=user, origin="slack", what_was_wrong=what_was_wrong,
            answer_id=answer_id, **fields,
        )

    @_serialized
    def add_retrieval_example(self, answer_id: int, user: str) -> dict | None:
        """👍: (question, the answer's first incident) as a positive retrieval example.
        None when the answer cited no incident."""
        answer = self.get(answer_id)
        if answer is None:
            raise KeyError(f"no answer #{answer_id}")
        top = next((s for s in answer["sources"] if s.get("source") and s.get("source_id")), None)
        if top is None:
            return None
        row = {
            "answer_id": answer_id,
            "user": user,
            "question": answer["question"],
            "source": top["source"],
            "source_id": top["source_id"],
            "created_at": now(),
        }
        with self.db.conn:
            self.db.execute("delete from retrieval_examples where answer_id = ? and user = ?", [answer_id, user])
            self.db["retrieval_examples"].insert(row)
        return row

    @_serialized
    def drop_retrieval_example(self, answer_id: int, user: str) -> None:
        with self.db.conn:
            self.db.execute("delete from retrieval_examples where answer_id = ? and user = ?", [answer_id, user])

    def retrieval_examples(self) -> list[dict]:
        """Positive (question, incident) pairs from 👍, oldest first."""
        return list(self.db["retrieval_examples"].rows_where(order_by="id"))

    def thread(self, channel: str, thread_ts: str) -> list[dict]:
        """The answers the bot gave in one thread, oldest first (failed ones left out)."""
        rows = self.db["answers"].rows_where(
            "channel = ? and thread_ts = ? and error_id = ''", [channel, thread_ts], order_by="id"
        )
        return [{**r, "sources": json.loads(r["sources"] or "[]")} for r in rows]

    def votes_by_day(self, days: int = 14) -> list[tuple[str, int, int]]:
        """[(YYYY-MM-DD, 👍, 👎)] for the days with votes among the last `days`, oldest first."""
        rows = self.db.execute(
            "select substr(created_at, 1, 10) as day, sum(vote = 'up'), sum(vote = 'down') from feedback "
            "group by day order by day desc limit ?",
            [days],
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in reversed(rows)]

    def feedback(self) -> list[dict]:
        return list(self.db["feedback"].rows_where(order_by="id"))

    def feedback_counts(self) -> dict:
        votes = Counter(
            dict(self.db.execute("select vote, count(*) from feedback group by vote").fetchall())
        )
        answered = self.db.execute("select count(*) from answers where error_id = ''").fetchone()[0]
        failed = self.db.execute("select count(*) from answers where error_id != ''").fetchone()[0]
        return {"up": votes["up"], "down": votes["down"], "answers": answered, "failures": failed}


def _decode(row: dict) -> dict:
    return {
        **row,
        "args": json.loads(row["args"]) if row.get("args") else {},
        "result": json.loads(row["result"]) if row.get("result") else None,
    }
