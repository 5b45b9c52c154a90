"""One sync per source at a time; syncs whose process is gone are closed as interrupted."""

import subprocess
import sys

import pytest

from storage import Database, SyncBusy


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_sync_of_a_source_is_refused_while_the_first_runs(tmp_path):
    db = Database(tmp_path / "pm.db")
    first = db.begin_sync("dir:acme")
    with pytest.raises(SyncBusy, match=r"a sync of dir:acme is already running \(pid \d+, since 20"):
        Database(tmp_path / "pm.db").begin_sync("dir:acme")
    other = db.begin_sync("dir:other")  # another source is not held up
    db.finish_sync(first, "succeeded", {})
    assert db.begin_sync("dir:acme") > other


def test_a_sync_whose_process_is_gone_is_reaped(tmp_path):
    db = Database(tmp_path / "pm.db")
    killed = db.begin_sync("dir:acme", pid=_dead_pid())
    # The next sync of the source closes it and starts.
    again = db.begin_sync("dir:acme")
    assert db.sync(killed)["status"] == "interrupted"
    assert "process is gone" in db.sync(killed)["error"]
    assert db.sync(again)["status"] == "running"
    # The app's watcher closes them for every source, leaving live ones alone.
    other = db.begin_sync("dir:other", pid=_dead_pid())
    assert db.reap_syncs() == [other]
    assert db.sync(other)["status"] == "interrupted" and db.sync(again)["status"] == "running"
