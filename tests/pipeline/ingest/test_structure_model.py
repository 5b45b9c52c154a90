"""Structuring with a model (pipeline.ingest.structure_model), through a real sync against the
fake OpenAI-compatible server: what the model may fill, what it may not, and that the parser's
result stands whenever the model is wrong or gone."""

import json

import pytest

from pipeline.ingest.extractors.local import LocalFolder
from pipeline.ingest.structure_model import read_json
from pipeline.ingest.sync import ingest
from storage import Database

TIMELINE_ONLY = """# Queue stalls

## Timeline
- 09:00 orders stop moving through the fulfilment queue
- 09:40 the consumers are found waiting on a lease row left by a retired host
- 10:05 the stale lease row is deleted and the queue drains
"""
# Only what was seen and what was done: the parser finds no cause.
NO_CAUSE_TOLD = """# Queue stalls

## Timeline
- 09:00 paged: orders stopped moving through the fulfilment queue for every warehouse
- 10:05 the stale lease row is deleted and the queue drains
"""
DRAFT = """# Checkout errors

## Summary
Card checkouts failed for some shoppers on Friday evening.

## Root cause
Still under investigation.

## Resolution
TBD
"""


@pytest.fixture
def model(fake_openai, monkeypatch):
    monkeypatch.setenv("POSTMORTEM_STRUCTURER", "model")
    monkeypatch.setenv("POSTMORTEM_BACKEND", "openai")
    monkeypatch.setenv("POSTMORTEM_ENDPOINT", fake_openai.base_url)
    monkeypatch.setenv("POSTMORTEM_MODEL_NAME", "structurer-7b")
    return fake_openai


def reply(**values) -> str:
    base = {"root_cause": "", "fix": "", "services_affected": [], "root_cause_category": ""}
    return json.dumps({**base, **values})


def sync(tmp_path, files: dict[str, str]) -> tuple[Database, object]:
    folder = tmp_path / "pm"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    db = Database(tmp_path / "pm.db")
    return db, ingest(db, LocalFolder(folder))


def test_the_model_reads_what_the_parser_missed_and_says_so(tmp_path, model):
    model.reply = reply(
        root_cause="The consumers were waiting on a lease row left by a retired host.",
        fix="The stale lease row is deleted and the queue drains.",
        services_affected=["fulfilment queue"],
        root_cause_category="software-bug",
    )
    db, summary = sync(tmp_path, {"queue.md": TIMELINE_ONLY})
    assert summary.new == 1
    [row] = db.incidents()
    assert row["root_cause"].startswith("The consumers were waiting on a lease row")
    assert row["services_affected"] == ["fulfilment queue"]
    assert row["root_cause_category"] == "software-bug"
    origin = "model: openai:structurer-7b"
    assert {row["provenance"][k] for k in ("root_cause", "fix", "services_affected", "root_cause_category")} == {origin}
    # Asked for the schema as constrained JSON, with the document in the prompt.
    [request] = model.requests
    assert request["guided_json"]["required"] == ["root_cause", "fix", "services_affected", "root_cause_category"]
    assert "lease row left by a retired host" in request["prompt"]


def test_an_invented_cause_is_not_taken(tmp_path, model):
    model.reply = reply(root_cause="A solar flare flipped bits in the broker's memory.",
                        fix="The stale lease row is deleted and the queue drains.")
    db, summary = sync(tmp_path, {"queue.md": NO_CAUSE_TOLD})
    assert db.incidents() == []  # no cause the document supports: still excluded
    assert summary.reasons == {"no-root-cause": 1}


def test_drafts_never_reach_the_model(tmp_path, model):
    model.reply = reply(root_cause="Checkout errors.", fix="Checkout errors.")
    db, summary = sync(tmp_path, {"draft.md": DRAFT})
    assert summary.reasons == {"draft": 1} and model.requests == []


def test_a_failing_model_leaves_the_parser_in_charge(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTMORTEM_STRUCTURER", "model")
    monkeypatch.setenv("POSTMORTEM_BACKEND", "openai")
    monkeypatch.setenv("POSTMORTEM_ENDPOINT", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("POSTMORTEM_MODEL_NAME", "gone")
    good = TIMELINE_ONLY.replace("## Timeline", "## Root cause\nA retired host left its lease row behind.\n\n## Timeline")
    db, summary = sync(tmp_path, {"queue.md": good})
    [row] = db.incidents()
    assert row["root_cause"] == "A retired host left its lease row behind."
    assert row["provenance"]["root_cause"] == "heading: Root cause"


def test_read_json_takes_the_first_object_in_loose_text():
    assert read_json('Sure! {"fix": "restarted"} and {"x": 1}') == {"fix": "restarted"}
    assert read_json("no json {here") == {}


def test_a_template_is_not_filled_in_by_the_model(tmp_path, model):
    model.reply = reply(root_cause="Root cause", fix="Resolution")
    template = "# Title\n\n## Root cause\n<what caused it>\n\n## Resolution\n<what fixed it>\n"
    db, summary = sync(tmp_path, {"template.md": template})
    assert db.incidents() == [] and model.requests == []
