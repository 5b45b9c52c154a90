"""The App Home tab: which model answers and its live figures, how scores moved, what the
corpus holds, recent jobs, what people thought of the answers and the corrections they
made. This module gathers the figures; bot.blocks lays them out."""

from __future__ import annotations

from bot import blocks
from storage import Database
from storage.answers import AnswerStore
from storage.jobs import JobStore
from storage.models import ModelStore

TREND_RUNS = 10
FEEDBACK_DAYS = 14
# The served task answers with retrieval: its row of the eval table, by preference.
SERVED_SYSTEMS = ("fine-tuned+retrieval", "base+retrieval")
# label -> the metric names evaluations have used for it (the first present counts).
FIGURES = {
    "category accuracy": ("category_em",),
    "faithfulness": ("faithfulness",),
    "top-3 hit rate": ("top3_hit", "hit@3", "recall@3"),
}


def home_view(db: Database) -> dict:
    models, jobs, answers = ModelStore(db), JobStore(db), AnswerStore(db)
    current = models.current()
    runs = models.eval_runs(limit=TREND_RUNS)
    out = [blocks.header("postmortem")]
    out += blocks.home_model(current)
    out += blocks.home_figures(served_figures(runs, current))
    out.append({"type": "divider"})
    out += blocks.home_eval(runs)
    out.append({"type": "divider"})
    out += blocks.home_corpus(db.stats())
    out.append({"type": "divider"})
    out += blocks.home_jobs(jobs.recent(5))
    out.append({"type": "divider"})
    out += blocks.home_feedback(answers.feedback_counts(), answers.votes_by_day(FEEDBACK_DAYS))
    trained_at = (current or {}).get("trained_at")
    pending = db.labels(since=trained_at)
    out += blocks.home_corrections(pending, len(db.labels()) - len(pending))
    return {"type": "home", "blocks": out[: blocks.HOME_BLOCKS_MAX]}


def served_figures(runs: list[dict], current: dict | None) -> dict[str, float]:
    """The figures of the model in service from its latest eval run (newest first in
    `runs`): {label: value}, only those the run measured."""
    model_id = (current or {}).get("id")
    run = next((r for r in runs if r["model_id"] == model_id), None)
    if run is None:
        return {}
    results = run["results"]
    system = next((s for s in SERVED_SYSTEMS if s in results), None)
    out = {}
    for label, names in FIGURES.items():
        # A metric the served row lacks may be measured for the whole run (retrieval).
        for row in (results.get(system) or {}, results.get("retrieval") or {}):
            value = next((row[n] for n in names if isinstance(row.get(n), (int, float))), None)
            if value is not None:
                out[label] = float(value)
                break
    return out
