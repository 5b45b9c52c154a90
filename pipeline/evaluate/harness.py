"""`postmortem eval`: base model vs fine-tuned vs fine-tuned + retrieval vs retrieval only,
on the held-out incidents (pipeline.learn.dataset's stored split, never trained on).

For each held-out incident, each question of `pipeline.learn.dataset.QUESTIONS` is asked with the
training prompt (title + timeline summary). Metrics, averaged over incidents:

- category_em: the category the root-cause answer names (its `[category]` prefix, else the
  taxonomy's reading of it) equals the incident's category;
- fix_rougeL: ROUGE-L F of the fix answer against the incident's fix;
- services_f1: F1 of the normalized services named against the incident's services;
- mean: the mean of the three (the registry gate's default metric).

Systems (rows):
- base: the base GGUF; fine-tuned: the evaluated adapter (a given candidate, else the
  current model), both on llama.cpp, the backend we serve;
- fine-tuned+retrieval (base+retrieval when there is no adapter): the same prompt with the
  top 3 other incidents (hybrid retrieval, the incident itself excluded) as extra context;
- retrieval-only: the nearest other incident's own category, fix and services;
- current: the serving adapter, when a candidate is evaluated against it (for the gate).

The run also fits the answer-confidence calibration (pipeline.serve.answer) on the +retrieval
system: was the category chosen from the retrieved incidents and the model's answer right?
Everything is stored in `eval_runs`, and written as JSON and a PNG chart."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from pipeline.evaluate import metrics
from pipeline.serve.answer import Calibration, condense, decide_category, model_category
from pipeline.serve.backends import Backend, LlamaCppBackend
from pipeline.learn.dataset import QUESTIONS, build_prompt, heldout_incidents, timeline_summary
from pipeline.serve.retrieve import Retriever
from pipeline.ingest.taxonomy import Taxonomy
from storage import Database
from storage.models import ModelStore

METRICS = ("category_em", "fix_rougeL", "services_f1")
# Short answers: a fix or a services list fits in 48 tokens, and it keeps the sample corpus's
# held-out set well under a couple of minutes on 2 cores.
MAX_TOKENS = 48
# How strongly the fitted confidence weights are pulled towards the defaults (a Gaussian
# prior's precision): with a handful of held-out incidents the data barely moves them.
PRIOR_PRECISION = 1.0


class EvalError(RuntimeError):
    """The evaluation cannot run (message is user-facing)."""


@dataclass
class EvalConfig:
    """Exactly the flags of `postmortem eval`."""

    db: str | None = None
    model: int | None = None  # a model id to evaluate (default: the current one)
    output_dir: str | None = None  # default: <db folder>/eval
    max_tokens: int = MAX_TOKENS
    limit: int | None = None  # evaluate only the first N held-out incidents
    json: bool = False


@dataclass
class EvalReport:
    run_id: int
    model_id: int | None
    n_incidents: int
    results: dict
    details: dict
    json_path: str = ""
    chart_path: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        header = f"{'system':<22}{'category EM':>12}{'fix ROUGE-L':>13}{'services F1':>13}{'mean':>8}"
        lines = [header, "-" * len(header)]
        for system, row in self.results.items():
            lines.append(
                f"{system:<22}{row['category_em']:>12.3f}{row['fix_rougeL']:>13.3f}"
                f"{row['services_f1']:>13.3f}{row['mean']:>8.3f}"
            )
        lines.append(f"{self.n_incidents} held-out incidents; eval run #{self.run_id}")
        return "\n".join(lines)


@dataclass
class _Scores:
    values: dict = field(default_factory=lambda: {m: [] for m in METRICS})

    def add(self, metric: str, value: float) -> None:
        self.values[metric].append(value)

    def summary(self) -> dict:
        row = {m: round(metrics.mean(v), 4) for m, v in self.values.items()}
        row["mean"] = round(metrics.mean(row[m] for m in METRICS), 4)
        row["n"] = {m: len(v) for m, v in self.values.items()}
        return row


def evaluate(
    db: Database,
    config: EvalConfig,
    *,
    compare_current: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Run the evaluation and store it. compare_current=True adds the serving model as the
    `current` row (what the registry gate compares a candidate against)."""
    store = ModelStore(db)
    model = _model_under_test(store, config.model)
    incidents = heldout_incidents(db)[: config.limit] if config.limit else heldout_incidents(db)
    if not incidents:
        raise EvalError(
            "no held-out incidents to evaluate: extract post-mortems first"
            if not db.incidents()
            else "no incident fell in the held-out split yet: extract more post-mortems"
        )
    started = time.perf_counter()
    taxonomy = Taxonomy.default()
    retriever = Retriever(db)
    base = LlamaCppBackend()
    models: dict[str, Backend] = {"base": base}
    rag_name = "base+retrieval"
    if model is not None:
        models["fine-tuned"] = _adapter_backend(model)
        rag_name = "fine-tuned+retrieval"
    current = store.current()
    if compare_current and current and (model is None or current["id"] != model["id"]):
        models["current"] = _adapter_backend(current)
    rag_backend = models.get("fine-tuned", base)

    scores = {name: _Scores() for name in [*models, rag_name, "retrieval-only"]}
    calibration_rows = []
    for done, incident in enumerate(incidents):
        query = f"{incident.get('incident_title') or ''}\n{timeline_summary(incident.get('timeline') or '')}"
        hits = retriever.search(query, k=3, exclude_ids={incident["id"]})
        context = "\n".join(condense(i, h.incident) for i, h in enumerate(hits, start=1))
        runs = {name: (backend, False) for name, backend in models.items()}
        runs[rag_name] = (rag_backend, True)
        for name, (backend, with_retrieval) in runs.items():
            answers = {}
            for key in QUESTIONS:
                prompt = build_prompt(incident, key)
                if with_retrieval and context:
                    prompt = with_context(prompt, context)
                answers[key] = backend.complete(prompt, max_tokens=config.max_tokens).strip()
            _score(scores[name], incident, answers, taxonomy)
            if with_retrieval and incident.get("root_cause_category"):
                category, features = decide_category(hits, answers.get("root_cause", ""), taxonomy)
                calibration_rows.append((features, float(category == taxonomy.normalize(incident["root_cause_category"]))))
        _score_retrieval_only(scores["retrieval-only"], incident, hits[0].incident if hits else None)
        if progress:
            progress(done + 1, len(incidents))

    results = {name: s.summary() for name, s in scores.items()}
    calibration = fit_calibration(calibration_rows)
    details = {
        "calibration": {"weights": list(calibration.weights), "n": calibration.n},
        "model": {"id": model["id"], "name": model["name"]} if model else None,
        "current": {"id": current["id"], "name": current["name"]} if current else None,
        "max_tokens": config.max_tokens,
        "heldout": [[i["source"], i["source_id"]] for i in incidents],
        "seconds": round(time.perf_counter() - started, 1),
    }
    run_id = store.add_eval_run(
        model_id=model["id"] if model else None, n_incidents=len(incidents), results=results, details=details
    )
    report = EvalReport(run_id, model["id"] if model else None, len(incidents), results, details)
    out_dir = Path(config.output_dir) if config.output_dir else db.path.parent / "eval"
    report.json_path, report.chart_path = _write_outputs(report, out_dir)
    return report


def with_context(prompt: str, context: str) -> str:
    """The training prompt with retrieved incidents added to its context section."""
    head, sep, tail = prompt.partition("\n\n### Question:")
    return f"{head}\nSimilar past incidents:\n{context}{sep}{tail}"


def _model_under_test(store: ModelStore, model_id: int | None) -> dict | None:
    if model_id is None:
        return store.current()
    model = store.get(model_id)
    if model is None:
        raise EvalError(f"no model #{model_id} in the registry (see `postmortem models list`)")
    return model


def _adapter_backend(model: dict) -> Backend:
    from pipeline.serve.backends import BackendConfig, BackendError, build_backend

    if not model.get("gguf_adapter_path"):
        raise EvalError(f"model #{model['id']} has no llama.cpp adapter (adapter.gguf) to evaluate")
    try:
        return build_backend(BackendConfig(backend="llamacpp"), model)
    except BackendError as exc:
        raise EvalError(str(exc)) from exc


def _score(scores: _Scores, incident: dict, answers: dict, taxonomy: Taxonomy) -> None:
    gold_category = taxonomy.normalize(incident.get("root_cause_category"))
    if gold_category and "root_cause" in answers:
        scores.add("category_em", metrics.category_match(model_category(answers["root_cause"], taxonomy), gold_category))
    if (incident.get("fix") or "").strip() and "fix" in answers:
        scores.add("fix_rougeL", metrics.rouge_l(answers["fix"], incident["fix"]))
    if incident.get("services_affected") and "services" in answers:
        scores.add(
            "services_f1",
            metrics.services_f1(metrics.split_services(answers["services"]), incident["services_affected"]),
        )


def _score_retrieval_only(scores: _Scores, incident: dict, nearest: dict | None) -> None:
    """The baseline: answer with the nearest other incident's own fields."""
    nearest = nearest or {}
    if incident.get("root_cause_category"):
        scores.add("category_em", metrics.category_match(nearest.get("root_cause_category"), incident["root_cause_category"]))
    if (incident.get("fix") or "").strip():
        scores.add("fix_rougeL", metrics.rouge_l(nearest.get("fix") or "", incident["fix"]))
    if incident.get("services_affected"):
        scores.add("services_f1", metrics.services_f1(nearest.get("services_affected") or [], incident["services_affected"]))


def fit_calibration(rows: list[tuple[dict, float]]) -> Calibration:
    """MAP logistic regression of correctness on the confidence features, with a Gaussian
    prior centred on the default weights (Newton steps, halved until the objective drops)."""
    prior = np.array(Calibration().weights, dtype=float)
    if not rows:
        return Calibration()
    x = np.array([[1.0, f["similarity"], f["share"], f["agree"]] for f, _ in rows])
    y = np.array([label for _, label in rows])

    def objective(w):
        z = x @ w
        # -log likelihood, written with logaddexp so large |z| cannot overflow
        return float(np.sum(np.logaddexp(0, z) - y * z) + 0.5 * PRIOR_PRECISION * np.sum((w - prior) ** 2))

    w = prior.copy()
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + PRIOR_PRECISION * (w - prior)
        hessian = (x * (p * (1 - p))[:, None]).T @ x + PRIOR_PRECISION * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        current, scale = objective(w), 1.0
        while objective(w - scale * step) > current and scale > 1e-4:
            scale /= 2
        w -= scale * step
        if np.abs(scale * step).max() < 1e-6:
            break
    return Calibration(weights=tuple(round(float(v), 4) for v in w), n=len(rows))


def _write_outputs(report: EvalReport, out_dir: Path) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"eval-run-{report.run_id}.json"
    chart_path = out_dir / f"eval-run-{report.run_id}.png"
    json_path.write_text(json.dumps({k: v for k, v in report.to_dict().items() if not k.endswith("_path")}, indent=2))

    systems = list(report.results)
    labels = {"category_em": "category EM", "fix_rougeL": "fix ROUGE-L", "services_f1": "services F1"}
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(systems)
    for i, system in enumerate(systems):
        xs = [j + i * width for j in range(len(METRICS))]
        ax.bar(xs, [report.results[system][m] for m in METRICS], width, label=system)
    ax.set_xticks([j + width * (len(systems) - 1) / 2 for j in range(len(METRICS))])
    ax.set_xticklabels([labels[m] for m in METRICS])
    ax.set_ylim(0, 1)
    ax.set_title(f"Held-out evaluation ({report.n_incidents} incidents, run #{report.run_id})")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(chart_path, dpi=100)
    plt.close(fig)
    return str(json_path), str(chart_path)
