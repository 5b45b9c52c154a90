import json

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.learn.dataset import (
    QUESTIONS,
    answer_for,
    build_dataset,
    build_prompt,
    category_of,
    estimate_tokens,
    examples_for,
    split_of,
    timeline_summary,
)
from storage import Database

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
    result = CliRunner().invoke(main, ["dataset", "--db", str(db_path), "--out", str(out)])
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
