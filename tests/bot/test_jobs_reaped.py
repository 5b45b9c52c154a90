"""On start, jobs whose process is gone (the app or the machine restarted under them) are
marked failed as interrupted; a job whose process still runs is left alone."""

import subprocess
import sys

from storage import Database
from storage.jobs import JobStore


def test_jobs_with_dead_processes_are_marked_interrupted_on_start(make_bot, db_path):
    jobs = JobStore(Database(db_path))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead_job = jobs.create("sync", {"source": "all"})
        jobs.started(dead_job, gone.pid)
        live_job = jobs.create("retrain", {})
        jobs.started(live_job, alive.pid)
        never_started = jobs.create("retrain", {}, exclusive=False)  # queued, no process at all

        make_bot()
        assert jobs.get(dead_job)["status"] == "failed"
        assert jobs.get(dead_job)["message"] == "interrupted: the job process is gone"
        assert jobs.get(never_started)["status"] == "failed"
        assert jobs.get(live_job)["status"] == "running"
    finally:
        alive.kill()
        alive.wait()
