"""The answers the bot posted and the 👍/👎 votes on them.

The app's threads share one connection: every write is one `Database.write()` transaction."""

from __future__ import annotations

import json
from collections import Counter

from storage.db import Database, now


class AnswerStore:
    """Every answer the bot posted (the 👍/👎 buttons point at a row), and the votes."""

    def __init__(self, database: Database):
        self.database = database
        self.db = database.db

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
        with self.database.write():
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

    def set_message_ts(self, answer_id: int, message_ts: str) -> None:
        with self.database.write():
            self.db["answers"].update(answer_id, {"message_ts": message_ts})

    def get(self, answer_id: int) -> dict | None:
        rows = list(self.db["answers"].rows_where("id = ?", [answer_id]))
        return {**rows[0], "sources": json.loads(rows[0]["sources"] or "[]")} if rows else None

    def vote(self, answer_id: int, user: str, vote: str) -> dict:
        """Store a 👍/👎 with the question and answer it is about. A user who clicks again
        changes their vote rather than adding one."""
        if vote not in ("up", "down"):
            raise ValueError(f"a vote is up or down, not {vote!r}")
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
        with self.database.write():
            existing = self.db.execute(
                "select id from feedback where answer_id = ? and user = ?", [answer_id, user]
            ).fetchone()
            if existing:
                self.db["feedback"].update(existing[0], row)
            else:
                self.db["feedback"].insert(row)
        return row

    def feedback(self) -> list[dict]:
        return list(self.db["feedback"].rows_where(order_by="id"))

    def feedback_counts(self) -> dict:
        votes = Counter(
            dict(self.db.execute("select vote, count(*) from feedback group by vote").fetchall())
        )
        answered = self.db.execute("select count(*) from answers where error_id = ''").fetchone()[0]
        failed = self.db.execute("select count(*) from answers where error_id != ''").fetchone()[0]
        return {"up": votes["up"], "down": votes["down"], "answers": answered, "failures": failed}

    def count(self, channel: str | None = None) -> int:
        """How many answers were stored (in `channel`)."""
        where, args = ("where channel = ?", [channel]) if channel else ("", [])
        return self.db.execute(f"select count(*) from answers {where}", args).fetchone()[0]
