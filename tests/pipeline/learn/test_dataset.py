import json
import re

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.learn.dataset import (
    QUESTIONS,
    answer_for,
    answer_text,
    DatasetError,
    build_dataset,
    read_dataset,
    build_prompt,
    context_timeline,
    estimate_tokens,
    examples_for,
    gives_away,
    served_example,
    served_hits,
    split_of,
    symptom_question,
    timeline_summary,
)
from pipeline.prompts import category_of
from storage import Database
from tests.paths import SAMPLES, SHARED

POOL = {
    "source": "acme",
    "source_id": "pm/2025-006.md",
    "incident_title": "Payments API connection pool exhaustion",
    "timeline": (
        "| Time (UTC) | Event |\n| --- | --- |\n"
        "| 2025-05-16 11:30 | Campaign email sent |\n"
        "| 2025-05-16 12:04 | First `too many clients` errors; 5xx rate 4% |\n"
        "| 2025-05-16 12:51 | 5xx rate back to baseline |\n"
    ),
    "services_affected": ["payments-api", "pgbouncer"],
    "root_cause": "pgbouncer max_client_conn was below what the autoscaled pods asked for.",
    "fix": "Raised max_client_conn to 2000 and capped the HPA at 60 pods.",
    "root_cause_category": "capacity",
}


def test_prompt_format_is_exact():
    assert build_prompt(POOL, "root_cause") == (
        "### Incident Context:\n"
        "Payments API connection pool exhaustion\n"
        "2025-05-16 11:30 Campaign email sent\n"
        "12:04 First too many clients errors; 5xx rate 4%\n"
        "12:51 5xx rate back to baseline\n"
        "\n"
        "### Question:\n"
        "What was the root cause?\n"
        "\n"
        "### Answer:\n"
    )


def test_answers_and_category_prefix():
    assert answer_for(POOL, "services") == "payments-api, pgbouncer"
    cause = answer_for(POOL, "root_cause")
    assert cause == "[capacity] pgbouncer max_client_conn was below what the autoscaled pods asked for."
    assert category_of(cause) == "capacity"
    assert answer_for(POOL, "fix") == POOL["fix"]
    examples = examples_for(POOL)
    assert [e["question"] for e in examples] == list(QUESTIONS)
    assert all(e["prompt"].endswith("### Answer:\n") for e in examples)
    # prompt + completion is exactly the documented training text
    assert examples[2]["prompt"] + examples[2]["completion"] == build_prompt(POOL, "fix") + POOL["fix"]


def test_empty_answers_are_skipped():
    bare = {**POOL, "services_affected": [], "fix": "  "}
    assert [e["question"] for e in examples_for(bare)] == ["root_cause"]


def test_timeline_summary_is_budgeted_and_keeps_start_and_end():
    lines = [f"2024-03-0{1 + i // 20} {10 + i % 20:02d}:00 step {i} of routine work" for i in range(40)]
    lines[17] = "2024-03-01 17:00 Alert paged on-call; rollback deployed and error rate restored"
    text = "\n".join(lines)
    summary = timeline_summary(text, budget=60)
    assert estimate_tokens(summary) + summary.count("\n") <= 60
    kept = summary.splitlines()
    assert kept[0].startswith("2024-03-01 10:00 step 0")
    assert kept[-1].endswith("step 39 of routine work")
    assert any("rollback" in line for line in kept)
    assert timeline_summary(text, budget=60) == summary  # deterministic
    assert timeline_summary("") == ""


def test_prose_timeline_is_split_into_sentences():
    prose = " ".join(f"At {h}:00 the team did thing number {h} to the system." for h in range(10, 24))
    summary = timeline_summary(prose, budget=40)
    assert summary.startswith("At 10:00")
    assert summary.endswith("number 23 to the system.")
    assert len(summary.splitlines()) >= 2


def test_split_is_deterministic_and_near_85_15():
    sides = [split_of("github", f"postmortems/{i}.md") for i in range(2000)]
    assert sides == [split_of("github", f"postmortems/{i}.md") for i in range(2000)]
    share = sides.count("heldout") / len(sides)
    assert 0.12 < share < 0.18
    # the source is part of the identity
    assert any(split_of("a", f"{i}") != split_of("b", f"{i}") for i in range(50))


def test_split_is_stored_and_cli_writes_jsonl(tmp_path):
    db_path = tmp_path / "pm.db"
    db = Database(db_path)
    for i in range(40):
        db.upsert_incident({**POOL, "source_id": f"pm/{i}.md", "content_hash": str(i)})
    data = build_dataset(db)
    stored = {(r["source"], r["source_id"]): r["split"] for r in db.db["splits"].rows}
    assert len(stored) == 40
    for side, rows in data.items():
        assert all(stored[(r["source"], r["source_id"])] == side for r in rows)
    # A stored side wins over the hash rule: an incident never moves once assigned.
    key = ("acme", "pm/0.md")
    flipped = "train" if stored[key] == "heldout" else "heldout"
    db.db["splits"].update(key, {"split": flipped})
    again = build_dataset(db)
    assert {r["source_id"] for r in again[flipped]} >= {"pm/0.md"}
    db.close()

    out = tmp_path / "ds"
    result = CliRunner().invoke(main, ["dataset", "--db", str(db_path), "--out", str(out), "--no-served-examples"])
    assert result.exit_code == 0, result.output
    train = [json.loads(l) for l in (out / "train.jsonl").read_text().splitlines()]
    heldout = [json.loads(l) for l in (out / "heldout.jsonl").read_text().splitlines()]
    assert len(train) + len(heldout) == 120
    assert {r["source_id"] for r in train}.isdisjoint({r["source_id"] for r in heldout})
    assert f"{len(train)} train" in result.output


def test_cli_dataset_without_incidents_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["dataset", "--db", str(tmp_path / "empty.db"), "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "no incidents" in result.output.lower()
    assert "Traceback" not in result.output


def test_timeline_shapes_the_parser_produces():
    dashed = "Time (UTC) — Event\n2024-11-04 09:12 — flag enforce_mfa_v2 set to 100%\n2024-11-04 10:05 — **recovered**"
    assert timeline_summary(dashed) == "2024-11-04 09:12 flag enforce_mfa_v2 set to 100%\n10:05 recovered"
    stacked = "13:00\nDeploy starts.\n13:02\n13:04\nPaged.\n2024-01-01 14:00 UTC\nRolled back."
    assert timeline_summary(stacked) == "13:00 Deploy starts.\n13:04 Paged.\n2024-01-01 14:00 Rolled back."


# -- the context never gives the answer away -------------------------------------------------

LEAKY = {
    **POOL,
    "timeline": (
        "11:30 Campaign email sent\n"
        "12:04 First too many clients errors; 5xx rate 4%\n"
        "12:20 Root cause: the pooler limit was too low for the pod count\n"
        "12:40 Raised max_client_conn to 2000 and capped the HPA at 60 pods\n"
        "12:51 5xx rate back to baseline\n"
    ),
}


def _runs(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9_]+", (text or "").lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_context_leaves_out_the_cause_and_fix():
    prompt = build_prompt(LEAKY, "fix")
    context = prompt.split("### Question:")[0]
    assert "Root cause" not in context
    assert "max_client_conn" not in context  # the fix restated as an event
    assert "First too many clients errors" in context and "back to baseline" in context
    assert context_timeline(LEAKY) == "11:30 Campaign email sent\n12:04 First too many clients errors; 5xx rate 4%\n12:51 5xx rate back to baseline"
    # The filter works on events, not on the rest of the story.
    assert not gives_away("12:04 First too many clients errors; 5xx rate 4%", answer_text(LEAKY))
    assert gives_away("**Resolution:** restarted it", "")


@pytest.mark.parametrize("corpus", ["samples", "shared"])
def test_no_context_or_symptom_question_quotes_its_answer(tmp_path, corpus):
    """On every parsed post-mortem (the samples, and the real corpus when present): neither
    the seed prompt's context nor the symptom question shares a run of five words with the
    incident's cause or fix."""
    from pipeline.ingest.extractors.local import LocalFolder
    from pipeline.ingest.sync import ingest

    folders = [SAMPLES / org for org in ("acme-pay", "orbitstream", "kelpcloud")] if corpus == "samples" else [SHARED]
    if not all(f.is_dir() for f in folders):
        pytest.skip(f"{corpus} corpus not present")
    db = Database(tmp_path / "pm.db")
    for folder in folders:
        ingest(db, LocalFolder(folder))
    incidents = db.incidents()
    assert len(incidents) >= 40
    questions = 0
    for incident in incidents:
        answer = _runs(answer_text(incident))
        assert not _runs(context_timeline(incident)) & answer, incident["source_id"]
        question = symptom_question(incident)
        assert not _runs(question) & answer, incident["source_id"]
        questions += bool(question)
        assert symptom_question(incident) == question  # deterministic
    # Prose-only timelines give none, nor do timelines whose every early event tells the cause
    # (measured: 40 of 45 samples, 41 until a fix took its timeline's "login failure rate back to
    # baseline", whose words the symptom events share; 175 of 294 on the shared corpus, where
    # longer stored causes filter more events out: a retold summary's cause now brings the
    # sentences that explain it, which are then no symptom to ask about).
    assert questions >= (0.88 if corpus == "samples" else 0.55) * len(incidents)
    db.close()


# -- the served task -------------------------------------------------------------------------


def _hit(incident, similarity=0.5):
    from pipeline.serve.retrieve import Hit

    return Hit(incident=incident, score=similarity, similarity=similarity, vector_rank=1, keyword_rank=None)


def test_symptom_question_is_what_was_seen():
    question = symptom_question({**LEAKY, "id": 1})
    assert "too many clients" in question and "payments-api" in question
    assert "max_client_conn" not in question and "pooler" not in question
    assert symptom_question({**POOL, "timeline": ""}) == ""
    # Hindsight (how it ended, why) and markup are not what someone types mid-incident.
    messy = {**POOL, "timeline": (
        '09:00 <img alt="dashboard" src="https://x.example/a.png" /> latency alerts on checkout\n'
        "09:10 pgbouncer downgraded, which solved the issue\n"
        "09:12 errors back to normal after the rollback\n")}
    question = symptom_question(messy)
    assert "latency alerts on checkout" in question
    assert "<" not in question and "http" not in question and "downgraded" not in question and "rollback" not in question


def test_served_example_uses_the_answerers_prompt_and_cites_the_right_incident():
    from pipeline.serve.answer import build_prompt as served_prompt

    right = {**LEAKY, "id": 7, "root_cause": POOL["root_cause"].rstrip(".") + " during the campaign's traffic peak."}
    others = [{**POOL, "id": 10 + i, "source_id": f"other-{i}", "incident_title": f"Other incident {i}",
               "root_cause": f"Unrelated cause number {i}.", "fix": f"Unrelated fix number {i}."} for i in range(3)]
    # Retrieval missed it: it takes a distractor's place.
    example = served_example(right, [_hit(o) for o in others])
    n = example["cited"]
    hits, number = served_hits(right, [_hit(o) for o in others])
    assert number == n and hits[n - 1].incident is right and len(hits) == 3
    assert example["prompt"] == served_prompt(symptom_question(right), hits)
    assert example["completion"].startswith(f"This looks like [{n}] {right['incident_title']}.")
    # The cause and fix as the prompt shows them (clipped to the answerer's field length).
    cause = re.search(r"Cause: (.*?) \[\d\]\.", example["completion"]).group(1)
    assert right["root_cause"].startswith(cause) and len(cause) < len(right["root_cause"]) - 10
    assert f"Cause: {cause} …" in example["prompt"]  # every word it writes is shown to it
    assert f"Fix: {right['fix'].rstrip('.')} [{n}]." in example["completion"]
    # Found by retrieval or not, it sits at the incident's own position, the others in order.
    found = [_hit(others[0]), _hit(right), _hit(others[1])]
    hits, number = served_hits(right, found)
    assert number == n and [h.incident["id"] for h in hits if h.incident is not right] == [10, 11]
    # Over many incidents every position is used.
    assert {served_hits({**right, "source_id": f"x{i}"}, found)[1] for i in range(30)} == {1, 2, 3}
    assert served_example({**right, "root_cause": "", "fix": ""}, found) is None


def test_build_dataset_adds_served_examples_with_training_side_distractors(incident_db):
    from pipeline.serve.retrieve import Retriever

    data = build_dataset(incident_db, retriever=Retriever(incident_db))
    served = [e for e in data["train"] if e["question"] == "served"]
    seed_keys = {e["source_id"] for e in data["train"] if e["question"] != "served"}
    assert served and {e["source_id"] for e in served} <= seed_keys
    assert not [e for e in data["heldout"] if e["question"] == "served"]
    heldout_titles = {i["incident_title"] for i in incident_db.incidents()
                      if i["source_id"] in {e["source_id"] for e in data["heldout"]}}
    for e in served:
        assert f"[{e['cited']}]" in e["completion"]
        assert not any(t in e["prompt"] for t in heldout_titles)


def test_cli_dataset_writes_what_training_trains_on(incident_db, tmp_path):
    """`postmortem dataset` writes the set `postmortem train` uses, the served task's
    examples included, not only the seed's three questions."""
    from pipeline.learn.dataset import training_set

    out = tmp_path / "ds"
    result = CliRunner().invoke(main, ["dataset", "--db", str(incident_db.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = {side: [json.loads(l) for l in (out / f"{side}.jsonl").read_text().splitlines()]
               for side in ("train", "heldout")}
    assert written == training_set(incident_db)
    assert {e["question"] for e in written["train"]} == {*QUESTIONS, "served"}
    assert "served" not in {e["question"] for e in written["heldout"]}
    # `train --dataset` reads back exactly what was written.
    assert read_dataset(out) == written


def test_read_dataset_names_the_bad_file_and_line(tmp_path):
    with pytest.raises(DatasetError, match="no train.jsonl"):
        read_dataset(tmp_path)
    good = json.dumps({"prompt": "p", "completion": "c"})
    (tmp_path / "train.jsonl").write_text(f"{good}\n\n{good}\n")
    assert read_dataset(tmp_path) == {"train": [json.loads(good)] * 2, "heldout": []}
    (tmp_path / "heldout.jsonl").write_text(f"{good}\n{{not json\n")
    with pytest.raises(DatasetError, match=r"heldout.jsonl:2: not JSON"):
        read_dataset(tmp_path)
    (tmp_path / "heldout.jsonl").write_text(json.dumps({"prompt": "p"}) + "\n")
    with pytest.raises(DatasetError, match=r"heldout.jsonl:1: .*'completion'"):
        read_dataset(tmp_path)
