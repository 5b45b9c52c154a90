"""The promotion gate: a trained adapter is a candidate; it becomes the current (serving)
model only if its held-out evaluation beats the current model's, measured in the same run
on the same incidents, by more than a margin. Without a current model the base model is
the one to beat. A candidate that does not beat it is marked rejected and never serves.

`postmortem models promote ID` (a person's decision) and `rollback` bypass the gate."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Callable

from pipeline.evaluate.harness import METRICS, EvalConfig, EvalError, evaluate
from storage import Database
from storage.models import ModelStore

GATE_METRICS = (*METRICS, "mean")


@dataclass
class GateConfig:
    """Exactly the flags of `postmortem models gate`."""

    metric: str = "mean"  # category_em / fix_rougeL / services_f1 / mean
    margin: float = 0.0  # the candidate must score more than baseline + margin

    @classmethod
    def from_env(cls) -> "GateConfig":
        """The retrain job's gate: POSTMORTEM_GATE_METRIC, POSTMORTEM_GATE_MARGIN."""
        return cls(
            metric=os.environ.get("POSTMORTEM_GATE_METRIC", "mean"),
            margin=float(os.environ.get("POSTMORTEM_GATE_MARGIN", "0.0")),
        )


@dataclass
class GateResult:
    model_id: int
    model_name: str
    promoted: bool
    metric: str
    candidate_score: float
    baseline: str  # "current" or "base"
    baseline_score: float
    margin: float
    eval_run_id: int
    gate_reason: str

    def to_dict(self) -> dict:
        return asdict(self)


def decide(candidate_score: float, baseline_score: float, margin: float) -> bool:
    return candidate_score > baseline_score + margin


def gate(
    db: Database,
    model_id: int,
    config: GateConfig | None = None,
    *,
    eval_config: EvalConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GateResult:
    """Evaluate candidate `model_id` against the serving model and promote or reject it."""
    config = config or GateConfig()
    if config.metric not in GATE_METRICS:
        raise EvalError(f"unknown gate metric {config.metric!r}: one of {', '.join(GATE_METRICS)}")
    store = ModelStore(db)
    candidate = store.get(model_id)
    if candidate is None:
        raise EvalError(f"no model #{model_id} in the registry")
    if candidate["status"] == "current":
        raise EvalError(f"model #{model_id} is already the current model")
    eval_config = eval_config or EvalConfig()
    eval_config.model = model_id
    report = evaluate(db, eval_config, compare_current=True, progress=progress)

    baseline = "current" if "current" in report.results else "base"
    candidate_score = report.results["fine-tuned"][config.metric]
    baseline_score = report.results[baseline][config.metric]
    promoted = decide(candidate_score, baseline_score, config.margin)
    verdict = "beats" if promoted else "does not beat"
    reason = (
        f"{config.metric} {candidate_score:.3f} {verdict} the {baseline} model's "
        f"{baseline_score:.3f} + margin {config.margin:g}"
    )
    if promoted:
        store.promote(model_id)
    else:
        store.set_status(model_id, "rejected")
    return GateResult(
        model_id=model_id,
        model_name=candidate["name"],
        promoted=promoted,
        metric=config.metric,
        candidate_score=candidate_score,
        baseline=baseline,
        baseline_score=baseline_score,
        margin=config.margin,
        eval_run_id=report.run_id,
        gate_reason=reason,
    )
