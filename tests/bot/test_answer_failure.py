"""A failure while answering: an apology with an error id in the thread, the traceback only
in the log under that id."""

import json
import logging
import re

from pipeline.serve.index import index_path
from storage import Database
from tests.bot.helpers import section_text


def test_failure_gets_apology_with_error_id(bot, slack, db_path, caplog):
    caplog.set_level(logging.ERROR, logger="bot.mentions")
    # A sync job's index rebuild, damaged on disk: its sidecar announces a new build, so the
    # answerer reloads the file, and the reload fails for real.
    path = index_path(Database(db_path))
    path.write_bytes(b"not a faiss index")
    sidecar = path.with_name(path.name + ".json")
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), "build_id": "damaged"}))

    sent = slack.mention("ledger replica lag again")
    reply = slack.wait_for(lambda: (slack.thread("C1", sent["ts"]) or [None])[0], 10)
    slack.wait_for(lambda: "something went wrong" in section_text(reply.blocks), 30)
    text = section_text(reply.blocks)
    error_id = re.search(r"error id is `([0-9a-f]{8})`", text).group(1)
    assert "Traceback" not in text and "faiss" not in text.lower()

    db = Database(db_path)
    row = slack.wait_for(lambda: next(db.db["answers"].rows, None), 5)
    assert row["error_id"] == error_id and row["answer"] == ""
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the details are in the log
