"""Model registry and evaluation runs: which adapter is serving, and the numbers behind it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from storage.db import Database, now

# Statuses: candidate (trained, not gated yet) / current (serving) / retired (served before,
# kept for rollback) / rejected (lost its gate, or rolled back) / failed (its retrain died
# before the gate; its files are removed).
HOLDS_FILES = ("candidate", "current", "retired")


class ModelStore:
    def __init__(self, database: Database):
        self.database = database
        self.db = database.db

    def add_candidate(
        self,
        *,
        name: str,
        base_model: str,
        adapter_path: str,
        gguf_adapter_path: str | None,
        report: dict,
        job_id: int | None = None,
    ) -> int:
        """Register a trained adapter. Paths are stored absolute: a path relative to the
        folder `train` ran in would point elsewhere (or nowhere) for a bot started in another."""
        with self.database.write():
            return self.db["models"].insert(
                {
                    "name": name,
                    "base_model": base_model,
                    "adapter_path": _absolute(adapter_path),
                    "gguf_adapter_path": _absolute(gguf_adapter_path),
                    "status": "candidate",
                    "trained_at": now(),
                    "report": json.dumps(report),
                    "job_id": job_id,
                }
            ).last_pk

    def using_path(self, folder: str | os.PathLike) -> list[dict]:
        """Models whose files (still) live under `folder`: training into it would overwrite them."""
        prefix = _absolute(folder).rstrip(os.sep) + os.sep
        marks = ",".join("?" * len(HOLDS_FILES))
        rows = self.db["models"].rows_where(
            f"status in ({marks}) and (adapter_path = ? or substr(adapter_path, 1, ?) = ?)",
            [*HOLDS_FILES, prefix.rstrip(os.sep), len(prefix), prefix],
        )
        return [_decode(r) for r in rows]

    def candidates_of_job(self, job_id: int) -> list[dict]:
        """Ungated candidates a retrain job registered."""
        rows = self.db["models"].rows_where("job_id = ? and status = 'candidate'", [job_id], order_by="id")
        return [_decode(r) for r in rows]

    def get(self, model_id: int) -> dict | None:
        rows = list(self.db["models"].rows_where("id = ?", [model_id]))
        return _decode(rows[0]) if rows else None

    def current(self) -> dict | None:
        rows = list(self.db["models"].rows_where("status = 'current'", order_by="promoted_at desc", limit=1))
        return _decode(rows[0]) if rows else None

    def list(self) -> list[dict]:
        return [_decode(r) for r in self.db["models"].rows_where(order_by="id desc")]

    def set_status(self, model_id: int, status: str) -> None:
        with self.database.write():
            self.db["models"].update(model_id, {"status": status})

    def promote(self, model_id: int) -> None:
        """Make `model_id` current; the previous current one is retired (kept for rollback)."""
        with self.database.write():
            self.db.execute("update models set status = 'retired' where status = 'current'")
            self.db["models"].update(model_id, {"status": "current", "promoted_at": now()})

    def rollback(self) -> dict | None:
        """Retire the current model and bring back the most recently retired one."""
        with self.database.write():
            current = self.current()
            previous = list(
                self.db["models"].rows_where(
                    "status = 'retired'", order_by="promoted_at desc", limit=1
                )
            )
            if not previous:
                return None
            if current:
                self.db["models"].update(current["id"], {"status": "rejected"})
            self.db["models"].update(previous[0]["id"], {"status": "current", "promoted_at": now()})
        return self.get(previous[0]["id"])

    # -- eval runs ---------------------------------------------------------------------------

    def add_eval_run(
        self, *, model_id: int | None, n_incidents: int, results: dict, details: dict | None = None
    ) -> int:
        with self.database.write():
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


def _absolute(path: str | os.PathLike | None) -> str | None:
    return str(Path(path).expanduser().resolve()) if path else None


def _decode_run(row: dict) -> dict:
    return {
        **row,
        "results": json.loads(row["results"]),
        "details": json.loads(row["details"]) if row.get("details") else {},
    }


def _decode(row: dict) -> dict:
    return {**row, "report": json.loads(row["report"]) if row.get("report") else {}}
