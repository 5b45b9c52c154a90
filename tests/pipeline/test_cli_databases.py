"""A database the CLI can't use is one clear line and exit status 1, never a traceback,
and nothing is written into it."""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from storage.migrations import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "acme-pay" / "postmortems"


def cli(*args: str):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output.strip().splitlines()


def extract(db: Path):
    return cli("extract", "--source", "dir", "--path", str(SAMPLES), "--db", str(db), "--quiet")


@pytest.fixture
def good_db(tmp_path) -> Path:
    assert extract(tmp_path / "good.db")[0] == 0
    conn = sqlite3.connect(tmp_path / "good.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return tmp_path / "good.db"


def test_files_that_are_not_databases(tmp_path):
    (tmp_path / "random.db").write_bytes(os.urandom(65536))
    (tmp_path / "notes.md").write_text("# Incident notes\n\nNot a database at all.\n")
    for name in ("random.db", "notes.md"):
        code, lines = cli("export", "--db", str(tmp_path / name))
        assert (code, lines) == (1, [f"Error: {tmp_path / name} is not a postmortem database (not an SQLite file)"])
        code, lines = extract(tmp_path / name)
        assert code == 1 and len(lines) == 1 and "not a postmortem database" in lines[0]


def test_a_page_corrupted_database_is_refused_by_export_and_extract(good_db, tmp_path):
    data = bytearray(good_db.read_bytes())
    page = 4096
    for n in range(3, len(data) // page):  # every page past the first few: the incidents' b-tree
        data[n * page + 100 : n * page + 600] = b"\xff" * 500
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(bytes(data))
    for command in (lambda: cli("export", "--db", str(corrupt)), lambda: extract(corrupt)):
        code, lines = command()
        assert code == 1 and len(lines) == 1, lines
        assert lines[0].startswith(f"Error: {corrupt} is damaged (") and "restore it from a backup" in lines[0]
    assert corrupt.read_bytes() == bytes(data)  # extract reported nothing and wrote nothing


def test_a_database_from_a_newer_version(good_db):
    conn = sqlite3.connect(good_db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.commit()
    conn.close()
    code, lines = cli("export", "--db", str(good_db))
    assert code == 1 and lines == [
        f"Error: {good_db} was written by a newer postmortem: its schema version is {SCHEMA_VERSION + 3}; "
        f"this postmortem knows {SCHEMA_VERSION}: upgrade postmortem to use it"
    ]


def _unprivileged() -> list[str]:
    """Permissions bind everyone but root: as root, run the command as nobody."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: file permissions can't be tested")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _cli_process(*args: str) -> tuple[int, list[str]]:
    proc = subprocess.run([*_unprivileged(), sys.executable, "-m", "pipeline.cli", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    return proc.returncode, (proc.stdout + proc.stderr).strip().splitlines()


@pytest.fixture
def open_folder(good_db):
    """A folder anyone can enter (pytest's tmp folders are private to their owner)."""
    folder = Path(tempfile.mkdtemp(prefix="pm-perm-"))
    folder.chmod(0o755)
    shutil.copy(good_db, folder / "pm.db")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_read_only_folder_and_a_read_only_database(open_folder):
    read_only = open_folder / "locked"
    read_only.mkdir(mode=0o555)
    code, lines = _cli_process("extract", "--source", "dir", "--path", str(SAMPLES), "--db", str(read_only / "pm.db"), "--quiet")
    assert (code, lines) == (1, [f"Error: cannot open or create the database {read_only / 'pm.db'}: its folder is missing or not writable"])

    db = open_folder / "pm.db"
    stored = len(cli("export", "--db", str(db))[1])
    db.chmod(0o444)
    code, lines = _cli_process("extract", "--source", "dir", "--path", str(SAMPLES), "--quiet", "--db", str(db))
    assert (code, lines) == (1, [f"Error: {db} is read-only: postmortem needs to write to its database and the folder it is in"])
    # Reading needs no write access: export still works.
    code, lines = _cli_process("export", "--db", str(db))
    assert code == 0 and len(lines) == stored > 0
