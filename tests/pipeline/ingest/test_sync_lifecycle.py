"""An extract beside a running sync of the same source says so; a SIGTERMed sync is closed
as interrupted, not left `running`."""

import os
import signal
import subprocess
import sys
import textwrap

from click.testing import CliRunner

from pipeline.cli import main
from storage import Database
from tests.paths import ROOT, SAMPLES as SAMPLE_ROOT

SAMPLES = SAMPLE_ROOT / "acme-pay" / "postmortems"
SOURCE = f"dir:{SAMPLES.resolve().as_posix()}"  # a folder's identity is its path


def test_extract_beside_a_running_sync_of_the_same_source_is_one_clear_line(tmp_path):
    db_path = tmp_path / "pm.db"
    db = Database(db_path)
    held = db.begin_sync(SOURCE)  # this (live) process is syncing it
    result = CliRunner().invoke(main, ["extract", "--source", "dir", "--path", str(SAMPLES), "--db", str(db_path), "--quiet"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: a sync of {SOURCE} is already running (pid {os.getpid()}, since {db.sync(held)['started_at']})"
    ]
    db.finish_sync(held, "failed", {})
    result = CliRunner().invoke(main, ["extract", "--source", "dir", "--path", str(SAMPLES), "--db", str(db_path), "--quiet"])
    assert result.exit_code == 0 and "Extracted" in result.output


BLOCKING_SYNC = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipeline.ingest.extractors.base import Listing, RawDocument
    from pipeline.ingest.sync import ingest
    from storage import Database

    class Stuck:
        source = "test:stuck"

        def listing(self, known):
            def docs():
                yield RawDocument("a.md", "", Path(sys.argv[2]).read_bytes())
                print("stored one", flush=True)
                sys.stdin.read()  # blocks until the test's SIGTERM
                yield RawDocument("b.md", "", "never read")
            return Listing(source=self.source, documents=docs())

    ingest(Database(sys.argv[1]), Stuck())
    """
)


def test_a_sigtermed_sync_is_closed_as_interrupted(tmp_path):
    db_path = tmp_path / "pm.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", BLOCKING_SYNC, str(db_path), str(sorted(SAMPLES.glob("*.md"))[0])], cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "stored one"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    db = Database(db_path)
    sync = db.last_sync("test:stuck", status=None)
    assert sync["status"] == "interrupted" and sync["error"] == "interrupted: SIGTERM"
    assert sync["new"] == 1 and db.count_incidents() == 1  # what it stored is kept
