"""The App Home tab: which model answers, how it scored and how scores moved, what the
corpus holds, recent jobs and what people thought of the answers."""

from __future__ import annotations

from bot import blocks
from storage import Database
from storage.answers import AnswerStore
from storage.jobs import JobStore
from storage.models import ModelStore

SPARK = "▁▂▃▄▅▆▇█"
TREND_RUNS = 10


def home_view(db: Database) -> dict:
    models, jobs, answers = ModelStore(db), JobStore(db), AnswerStore(db)
    out = [blocks.header("postmortem")]
    out += _model_blocks(models.current())
    out.append({"type": "divider"})
    out += _eval_blocks(models.eval_runs(limit=TREND_RUNS))
    out.append({"type": "divider"})
    out += _corpus_blocks(db.stats())
    out.append({"type": "divider"})
    out += _job_blocks(jobs.recent(5))
    out.append({"type": "divider"})
    out += _feedback_blocks(answers.feedback_counts())
    return {"type": "home", "blocks": out[: blocks.HOME_BLOCKS_MAX]}


def _model_blocks(current: dict | None) -> list[dict]:
    if not current:
        return [blocks.section("*Model:* the embedded base model; no fine-tuned model has been promoted yet.")]
    return [
        blocks.section(
            f"*Model:* {blocks.escape(current['name'])}\n"
            f"Base: {blocks.escape(current.get('base_model') or '?')}  ·  trained {current['trained_at']}"
            f"  ·  in service since {current['promoted_at']}"
        )
    ]


def _eval_blocks(runs: list[dict]) -> list[dict]:
    if not runs:
        return [blocks.section("*Evaluation:* no evaluation run yet (`postmortem eval` or `/postmortem-retrain`).")]
    latest = runs[0]
    out = [
        blocks.section(
            f"*Latest evaluation* (run #{latest['id']}, {latest['created_at']}, "
            f"{latest['n_incidents']} held-out incidents)"
        ),
        blocks.section(blocks.eval_table(latest["results"])),
    ]
    trend = trend_table(list(reversed(runs)))
    if trend:
        out += [blocks.section(f"*Trend over the last {len(runs)} runs*"), blocks.section(trend)]
    return out


def trend_table(runs: list[dict]) -> str:
    """One line per (system, metric): a sparkline over the runs, oldest first, and the
    first and latest values."""
    if len(runs) < 2:
        return ""
    series: dict[tuple[str, str], list[float | None]] = {}
    for i, run in enumerate(runs):
        for system, metrics in run["results"].items():
            for metric, value in metrics.items():
                if isinstance(value, (int, float)):
                    series.setdefault((system, metric), [None] * len(runs))[i] = float(value)
    if not series:
        return ""
    width = max(len(f"{s} {m}") for s, m in series) + 2
    lines = []
    for (system, metric), values in sorted(series.items()):
        known = [v for v in values if v is not None]
        line = f"{system} {metric}".ljust(width) + sparkline(values)
        line += f"  {known[0]:.3f} → {known[-1]:.3f}"
        lines.append(line)
    text = "```" + blocks.escape("\n".join(lines)) + "```"
    return text if len(text) <= blocks.SECTION_MAX else text[: blocks.SECTION_MAX - 4] + "…```"


def sparkline(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    lo, hi = min(known), max(known)
    out = ""
    for v in values:
        if v is None:
            out += " "
        elif hi == lo:
            out += SPARK[len(SPARK) // 2]
        else:
            out += SPARK[round((v - lo) / (hi - lo) * (len(SPARK) - 1))]
    return out


def _corpus_blocks(stats: dict) -> list[dict]:
    def listing(counts: dict) -> str:
        return ", ".join(f"{blocks.escape(str(k or '?'))}: {v}" for k, v in counts.items()) or "none"

    return [
        blocks.section(
            f"*Corpus:* {stats['incidents']} incidents\n"
            f"By source: {listing(stats['by_source'])}\n"
            f"By category: {listing(stats['by_category'])}\n"
            f"Excluded: {sum(stats['excluded'].values())} ({listing(stats['excluded'])})"
        )
    ]


def _job_blocks(recent: list[dict]) -> list[dict]:
    if not recent:
        return [blocks.section("*Recent jobs:* none yet")]
    lines = []
    for job in recent:
        when = job["finished_at"] or job["started_at"] or job["created_at"]
        line = f"#{job['id']} {job['kind']} — {job['status']} ({when})"
        if job["status"] in ("queued", "running") and job.get("total"):
            line += f" step {job['step']}/{job['total']}"
        elif job.get("message") and job["status"] == "failed":
            line += f": {job['message'][:200]}"
        lines.append("• " + blocks.escape(line))
    return [blocks.section("*Recent jobs*\n" + "\n".join(lines))]


def _feedback_blocks(counts: dict) -> list[dict]:
    return [
        blocks.section(
            f"*Feedback:* 👍 {counts['up']}  ·  👎 {counts['down']}  ·  "
            f"{counts['answers']} answers given, {counts['failures']} failed"
        )
    ]
