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
        with self.database.write():
            self.db.execute("delete from retrieval_examples where answer_id = ? and user = ?", [answer_id, user])
            self.db["retrieval_examples"].insert(row)
        return row

    def drop_retrieval_example(self, answer_id: int, user: str) -> None:
        with self.database.write():
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

    def count(self, channel: str | None = None) -> int:
        """How many answers were stored (in `channel`)."""
        where, args = ("where channel = ?", [channel]) if channel else ("", [])
        return self.db.execute(f"select count(*) from answers {where}", args).fetchone()[0]
