"""A retrain job killed after training but before its gate leaves no candidate behind, and
the model in service is untouched; a sync job's sync row is closed too."""

import subprocess
import sys

from pipeline.jobs import reap_interrupted
from storage import Database
from storage.jobs import JobStore
from storage.models import ModelStore


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_retrain_killed_before_its_gate_fails_its_candidate_and_removes_its_files(tmp_path):
    db = Database(tmp_path / "pm.db")
    jobs, models = JobStore(db), ModelStore(db)
    serving_dir = tmp_path / "models" / "serving" / "final"
    serving_dir.mkdir(parents=True)
    serving = models.add_candidate(name="serving", base_model="b", adapter_path=str(serving_dir),
                                   gguf_adapter_path=None, report={})
    models.promote(serving)

    job = jobs.create("retrain", {})
    jobs.started(job, _dead_pid())
    run_dir = tmp_path / "models" / f"job-{job}"
    (run_dir / "final").mkdir(parents=True)
    (run_dir / "final" / "adapter_model.safetensors").write_bytes(b"weights")
    (run_dir / "checkpoint-10").mkdir()
    candidate = models.add_candidate(name="cand", base_model="b", adapter_path=str(run_dir / "final"),
                                     gguf_adapter_path=None, report={}, job_id=job)
    killed_sync = db.begin_sync("dir:acme", pid=_dead_pid())

    assert reap_interrupted(jobs) == [job]
    assert jobs.get(job)["status"] == "failed"
    assert models.get(candidate)["status"] == "failed" and not run_dir.exists()
    assert models.current()["id"] == serving and serving_dir.exists()
    assert db.sync(killed_sync)["status"] == "interrupted"
    # A candidate trained by `postmortem train` (no job) waits for a person's `models gate`.
    by_hand = models.add_candidate(name="by-hand", base_model="b", adapter_path=str(tmp_path / "h" / "final"),
                                   gguf_adapter_path=None, report={})
    assert reap_interrupted(jobs) == [] and models.get(by_hand)["status"] == "candidate"
