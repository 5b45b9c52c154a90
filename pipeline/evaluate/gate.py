"""The promotion gate: a trained adapter is a candidate; it becomes the current (serving)
model only if its held-out evaluation beats the current model's, measured in the same run
on the same incidents, by more than the noise. Without a current model the base model is
the one to beat.

"More than the noise": a paired bootstrap over the held-out incidents (the candidate's and
the baseline's score on the same incident stay together) gives an interval for the mean
difference; the candidate is promoted when the interval's lower end is above the margin. A
held-out set smaller than `min_heldout` decides nothing: the candidate stays a candidate and
the reason says so. A candidate whose interval does not clear the margin is rejected and
never serves.

`postmortem models promote ID` (a person's decision) and `rollback` bypass the gate."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Callable

from pipeline import settings
from pipeline.evaluate import metrics
from pipeline.evaluate.harness import METRICS, SERVED_METRICS, EvalConfig, EvalError, evaluate
from pipeline.flags import flag
from storage import Database
from storage.models import ModelStore

SEED_GATE_METRICS = (*METRICS, "mean")
SERVED_GATE_METRICS = tuple(f"served_{m}" for m in (*SERVED_METRICS, "mean"))
GATE_METRICS = (*SEED_GATE_METRICS, *SERVED_GATE_METRICS)
# Below this many held-out incidents, a bootstrap interval is too wide to decide anything
# (one incident moves a mean by up to 1/n: 0.14 at the demo's 7).
MIN_HELDOUT = 20



@dataclass
class GateConfig:
    """The flags of `postmortem models gate` are these fields (pipeline.cli.options_from)."""

    metric: str = flag("served_mean",
        "What must improve: " + ", ".join(GATE_METRICS) + " (served_*: the served task).")
    margin: float = flag(0.0,
        "The interval's lower end must be above this difference.")
    min_heldout: int = flag(MIN_HELDOUT,
        "Fewer held-out incidents than this: no decision, the candidate stays a candidate.")
    level: float = flag(0.95, "Confidence level of the bootstrap interval.")

    @classmethod
    def from_env(cls) -> "GateConfig":
        """The retrain job's gate: POSTMORTEM_GATE_METRIC, POSTMORTEM_GATE_MARGIN,
        POSTMORTEM_GATE_MIN_HELDOUT."""
        return cls(
            metric=settings.get("gate_metric", cls.metric),
            margin=float(settings.get("gate_margin", "0.0")),
            min_heldout=int(settings.get("gate_min_heldout", str(MIN_HELDOUT))),
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
    difference: float = 0.0
    interval: tuple[float, float] = (0.0, 0.0)
    n: int = 0  # incidents compared
    decided: bool = True  # False: too few held-out incidents to decide

    def to_dict(self) -> dict:
        return asdict(self)


def decide(low: float, margin: float) -> bool:
    """Promote when the interval's lower end is above the margin."""
    return low > margin


def compare(run: dict, metric: str, candidate: str, baseline: str, level: float = 0.95) -> dict:
    """The paired comparison of two systems of one eval run on `metric`, over the incidents
    both were scored on: means, difference and its bootstrap interval."""
    served = metric.startswith("served_")
    name = metric.removeprefix("served_")
    suffix = "+retrieval" if served else ""
    per_incident = run["details"]["per_incident"]
    a, b = per_incident[candidate + suffix][name], per_incident[baseline + suffix][name]
    pairs = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    diff, low, high = metrics.paired_bootstrap([x for x, _ in pairs], [y for _, y in pairs], level=level)
    return {
        "n": len(pairs),
        "candidate": metrics.mean(x for x, _ in pairs),
        "baseline": metrics.mean(y for _, y in pairs),
        "difference": diff,
        "interval": (low, high),
    }


def gate(
    db: Database,
    model_id: int,
    config: GateConfig | None = None,
    *,
    eval_config: EvalConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GateResult:
    """Evaluate candidate `model_id` against the serving model and promote, reject, or (too
    few held-out incidents) leave it a candidate."""
    config = config or GateConfig()
    if config.metric not in GATE_METRICS:
        raise EvalError(f"unknown gate metric {config.metric!r}: one of {', '.join(GATE_METRICS)}")
    store = ModelStore(db)
    candidate = store.get(model_id)
    if candidate is None:
        raise EvalError(f"no model #{model_id} in the registry")
    if candidate["status"] == "current":
        raise EvalError(f"model #{model_id} is already the current model")
    # The caller's config is theirs: the gate evaluates its own copy.
    report = evaluate(db, replace(eval_config or EvalConfig(), model=model_id), compare_current=True, progress=progress)

    baseline = "current" if "current" in report.results else "base"
    result = compare({"details": report.details}, config.metric, "fine-tuned", baseline, config.level)
    low, high = result["interval"]
    interval = f"{result['difference']:+.3f} [{low:+.3f}, {high:+.3f}] ({config.level:.0%} paired bootstrap, n={result['n']})"
    scores = f"{config.metric} {result['candidate']:.3f} vs the {baseline} model's {result['baseline']:.3f}: difference {interval}"
    decided = result["n"] >= config.min_heldout
    promoted = decided and decide(low, config.margin)
    if not decided:
        reason = (f"too few held-out incidents to decide ({result['n']} < {config.min_heldout}): stays a candidate "
                  f"(`postmortem models promote {model_id}` to serve it anyway); {scores}")
    elif promoted:
        reason = f"{scores}; above the margin {config.margin:g}"
        store.promote(model_id)
    else:
        reason = f"{scores}; does not beat the {baseline} model by more than the noise and the margin {config.margin:g}"
        store.set_status(model_id, "rejected")
    return GateResult(
        model_id=model_id,
        model_name=candidate["name"],
        promoted=promoted,
        metric=config.metric,
        candidate_score=result["candidate"],
        baseline=baseline,
        baseline_score=result["baseline"],
        margin=config.margin,
        eval_run_id=report.run_id,
        gate_reason=reason,
        difference=result["difference"],
        interval=(low, high),
        n=result["n"],
        decided=decided,
    )
