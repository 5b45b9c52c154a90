"""Model registry and evaluation runs: which adapter is serving, and the numbers behind it."""

from __future__ import annotations

import json

from storage.db import Database, now


class ModelStore:
    def __init__(self, database: Database):
        self.db = database.db

    def add_candidate(
        self,
        *,
        name: str,
        base_model: str,
        adapter_path: str,
        gguf_adapter_path: str | None,
        report: dict,
    ) -> int:
        return self.db["models"].insert(
            {
                "name": name,
                "base_model": base_model,
                "adapter_path": adapter_path,
                "gguf_adapter_path": gguf_adapter_path,
                "status": "candidate",
                "trained_at": now(),
                "report": json.dumps(report),
            }
        ).last_pk

    def get(self, model_id: int) -> dict | None:
        rows = list(self.db["models"].rows_where("id = ?", [model_id]))
        return _decode(rows[0]) if rows else None

    def current(self) -> dict | None:
        rows = list(self.db["models"].rows_where("status = 'current'", order_by="promoted_at desc", limit=1))
        return _decode(rows[0]) if rows else None

    def list(self) -> list[dict]:
        return [_decode(r) for r in self.db["models"].rows_where(order_by="id desc")]

    def set_status(self, model_id: int, status: str) -> None:
        self.db["models"].update(model_id, {"status": status})

    def promote(self, model_id: int) -> None:
        """Make `model_id` current; the previous current one is retired (kept for rollback)."""
        with self.db.conn:
            self.db.execute("update models set status = 'retired' where status = 'current'")
            self.db["models"].update(model_id, {"status": "current", "promoted_at": now()})

    def rollback(self) -> dict | None:
        """Retire the current model and bring back the most recently retired one."""
        current = self.current()
        previous = list(
            self.db["models"].rows_where(
                "status = 'retired'", order_by="promoted_at desc", limit=1
            )
        )
        if not previous:
            return None
        with self.db.conn:
            if current:
                self.db["models"].update(current["id"], {"status": "rejected"})
            self.db["models"].update(previous[0]["id"], {"status": "current", "promoted_at": now()})
        return self.get(previous[0]["id"])

    # -- eval runs ---------------------------------------------------------------------------

    def add_eval_run(
        self, *, model_id: int | None, n_incidents: int, results: dict, details: dict | None = None
    ) -> int:
        run_id = self.db["eval_runs"].insert(
            {
                "model_id": model_id,
                "created_at": now(),
                "n_incidents": n_incidents,
                "results": json.dumps(results),
                "details": json.dumps(details or {}),
            }
        ).last_pk
        if model_id is not None:
            self.db["models"].update(model_id, {"eval_run_id": run_id})
        return run_id

    def eval_runs(self, limit: int = 20) -> list[dict]:
        rows = self.db["eval_runs"].rows_where(order_by="id desc", limit=limit)
        return [_decode_run(r) for r in rows]

    def eval_run(self, run_id: int) -> dict | None:
        rows = list(self.db["eval_runs"].rows_where("id = ?", [run_id]))
        return _decode_run(rows[0]) if rows else None


def _decode_run(row: dict) -> dict:
    return {
        **row,
        "results": json.loads(row["results"]),
        "details": json.loads(row["details"]) if row.get("details") else {},
    }


def _decode(row: dict) -> dict:
    return {**row, "report": json.loads(row["report"]) if row.get("report") else {}}
