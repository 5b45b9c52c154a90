"""`postmortem eval`: on the held-out incidents (pipeline.learn.dataset's stored split, never
trained on), two tasks:

The seed task (closed book): each question of `pipeline.learn.dataset.QUESTIONS` the incident
has a gold answer to, asked with the training prompt (title + timeline summary, without the
events that give the cause or fix away). Rows `base`, `fine-tuned` (and `current`, for the gate):
- category_em: the category the root-cause answer names (its `[category]` prefix, else the
  configured taxonomy's reading of it) equals the incident's;
- fix_rougeL: ROUGE-L F of the fix answer against the incident's fix;
- services_f1: F1 of the normalized services named against the incident's services;
- mean: the mean of the three.

The served task: the incident's symptom question (pipeline.learn.dataset.symptom_question:
early timeline and services, never cause or fix), answered as the bot answers, with the
answerer's prompt over the top 3 retrieved incidents. The held-out incident itself is left
out of the index: in service the question comes during the incident, before its post-mortem
exists, and with it in the index the task would score copying its own fields. Rows
`base+retrieval`, `fine-tuned+retrieval` (`current+retrieval`), and `retrieval-only` (the
evidence answer: the top incident's own cause and fix, citing [1]):
- category: the answer's category (retrieval vote + the model's reading) is the incident's;
- fix_recall: how much of the gold fix the answer covers (ROUGE-L recall);
- faithfulness: the share of the answer's content words found in the question or the
  incidents it cites (pipeline.serve.grounding.faithfulness), of the answer as shown
  (evidence + checked sentences) and, as raw_faithfulness, of the model's text before the check;
- cites: the answer cites at least one shown incident as [n];
- citation_accuracy: a cited incident has the incident's root-cause category (the right
  past incident to lean on, the incident itself being absent); no citation counts as wrong;
- mean: the mean of category, fix_recall and faithfulness.
Run-level: no-match precision (of the questions whose best similarity is under the match
threshold, the share where no retrieved incident has the right category) and the confidence's
ECE with a reliability diagram.

The run also fits the match threshold answers use (pipeline.serve.answer.fit_match_threshold,
stored as details["match_threshold"], which `load_match_threshold` reads): each symptom
question's best similarity with its own incident in the index is a match, with it left out a
no match. No-match precision is measured at that threshold (or --match-threshold).

Each row keeps its per-incident scores, so the gate (pipeline.evaluate.gate) can compare two
rows incident by incident. The run also fits the answer-confidence calibration
(pipeline.serve.answer) on the served task of the model under test. Everything is stored in
`eval_runs`, and written as JSON and two PNG charts."""

from __future__ import annotations

import json
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from pipeline.evaluate import metrics, rouge
from pipeline.learn.dataset import build_prompt, heldout_incidents, symptom_question
from pipeline.flags import flag
from pipeline.prompts import category_of
from pipeline.serve import grounding
from pipeline.serve.answer import (
    Calibration,
    decide_category,
    evidence_text,
    fit_match_threshold,
    load_calibration,
    load_match_threshold,
    model_category,
    source_of,
)
from pipeline.serve.answer import build_prompt as served_prompt
from pipeline.serve.backends import Backend
from pipeline.serve.retrieve import best_similarity
from storage import Database
from storage.models import ModelStore


METRICS = ("category_em", "fix_rougeL", "services_f1")
# faithfulness: of the answer as shown (evidence + the sentences that passed the check);
# raw_faithfulness: of the model's text before the check, which tells the models apart.
SERVED_METRICS = ("category", "fix_recall", "faithfulness", "raw_faithfulness", "cites", "citation_accuracy")
SERVED_MEAN = ("category", "fix_recall", "faithfulness")
# Short answers: a fix or a services list fits in 48 tokens. Seed answers are one line in
# training, so a newline ends them too: the base model otherwise goes on to max_tokens.
MAX_TOKENS = 48
SEED_STOP = ["\n", "###"]
# The served answer: two sentences citing [n], as the answerer asks for.
SERVED_MAX_TOKENS = 64
SERVED_STOP = ["\n\n", "###"]
TOP_K = 3
# How strongly the fitted confidence weights are pulled towards the defaults (a Gaussian
# prior's precision): with a handful of held-out incidents the data barely moves them.
PRIOR_PRECISION = 1.0


class EvalError(RuntimeError):
    """The evaluation cannot run (message is user-facing)."""



@dataclass
class EvalConfig:
    """The flags of `postmortem eval` are these fields (pipeline.cli.options_from)."""

    db: str | None = None
    model: int | None = flag(None, "Model id to evaluate (default: the current model).")
    output_dir: str | None = flag(None, "Where the JSON and PNGs go (default: <db folder>/eval).")
    max_tokens: int = flag(MAX_TOKENS, "Answer length per seed question.")
    limit: int | None = flag(None, "Evaluate only the first N held-out incidents.")
    config: str | None = flag(None,
        "postmortem.toml whose taxonomy scores categories (default: $POSTMORTEM_CONFIG or ./postmortem.toml).")
    match_threshold: float | None = flag(None,
        "Best similarity under which an answer says no past incident is close, for no-match precision "
        "(default: the one this run fits, else the one answers use now).")
    json: bool = flag(False, "Print the results as JSON.")


@dataclass
class EvalReport:
    run_id: int
    model_id: int | None
    n_incidents: int
    results: dict
    details: dict
    json_path: str = ""
    chart_path: str = ""
    reliability_path: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        seed = {k: v for k, v in self.results.items() if "category_em" in v}
        served = {k: v for k, v in self.results.items() if "faithfulness" in v}
        header = f"{'closed book':<22}{'category EM':>12}{'fix ROUGE-L':>13}{'services F1':>13}{'mean':>8}"
        lines = [header, "-" * len(header)]
        for system, row in seed.items():
            lines.append(f"{system:<22}{row['category_em']:>12.3f}{row['fix_rougeL']:>13.3f}"
                         f"{row['services_f1']:>13.3f}{row['mean']:>8.3f}")
        header = (f"{'served task':<22}{'category':>9}{'fix recall':>11}{'faithful':>9}{'raw faithful':>13}"
                  f"{'cites':>7}{'cite acc':>9}{'mean':>7}")
        lines += ["", header, "-" * len(header)]
        for system, row in served.items():
            raw = row.get("raw_faithfulness")
            lines.append(f"{system:<22}{row['category']:>9.3f}{row['fix_recall']:>11.3f}{row['faithfulness']:>9.3f}"
                         + (f"{raw:>13.3f}" if raw is not None else f"{'–':>13}")
                         + f"{row['cites']:>7.3f}{row['citation_accuracy']:>9.3f}{row['mean']:>7.3f}")
        served_stats = self.details.get("served") or {}
        if served_stats:
            no_match = served_stats.get("no_match") or {}
            precision = no_match.get("precision")
            lines.append(
                f"no-match precision {precision:.3f} ({no_match.get('flagged', 0)} flagged under {no_match.get('threshold')})"
                if precision is not None else f"no-match precision: none under the threshold {no_match.get('threshold')}"
            )
            fitted = self.details.get("match_threshold") or {}
            lines.append(f"match threshold fitted: {fitted['threshold']:.3f} on {fitted['n']} questions (answers use it)"
                         if fitted.get("n") else "match threshold: too few held-out questions to fit one")
            lines.append(f"confidence ECE {served_stats.get('ece', 0):.3f} (calibration as served); "
                         f"{served_stats.get('ece_fitted', 0):.3f} after this run's fit (in-sample)")
        seconds = self.details.get("seconds")
        lines.append(f"{self.n_incidents} held-out incidents; eval run #{self.run_id}"
                     + (f"; {seconds:.0f} s" if seconds is not None else ""))
        return "\n".join(lines)


class _Scores:
    """Per-incident scores of one row, aligned with the incidents (None: not applicable)."""

    def __init__(self, names: tuple[str, ...], mean_of: tuple[str, ...], n: int):
        self.names, self.mean_of = names, mean_of
        self.values = {m: [None] * n for m in names}

    def add(self, metric: str, i: int, value: float) -> None:
        self.values[metric][i] = float(value)

    def per_incident(self) -> dict:
        out = {m: list(v) for m, v in self.values.items()}
        out["mean"] = [
            metrics.mean(vals) if (vals := [self.values[m][i] for m in self.mean_of if self.values[m][i] is not None]) else None
            for i in range(len(next(iter(self.values.values()))))
        ]
        return out

    def summary(self) -> dict:
        # None: no incident could be scored on it (raw_faithfulness of retrieval only).
        row = {m: round(metrics.mean(x for x in v if x is not None), 4) if any(x is not None for x in v) else None
               for m, v in self.values.items()}
        row["mean"] = round(metrics.mean(row[m] for m in self.mean_of), 4)
        row["n"] = {m: sum(x is not None for x in v) for m, v in self.values.items()}
        return row


def evaluate(
    db: Database,
    config: EvalConfig,
    *,
    compare_current: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Run the evaluation and store it. compare_current=True adds the serving model as the
    `current` rows (what the registry gate compares a candidate against)."""
    from pipeline.serve.backends import LlamaCppBackend
    from pipeline.serve.retrieve import Retriever

    store = ModelStore(db)
    model = _model_under_test(store, config.model)
    incidents = heldout_incidents(db)[: config.limit] if config.limit else heldout_incidents(db)
    if not incidents:
        raise EvalError(
            "no held-out incidents to evaluate: extract post-mortems first"
            if not db.stats()["incidents"]
            else "no incident fell in the held-out split yet: extract more post-mortems"
        )
    started = time.perf_counter()
    taxonomy = _taxonomy(config.config)
    retriever = Retriever(db)
    models: dict[str, Backend] = {"base": LlamaCppBackend()}
    if model is not None:
        models["fine-tuned"] = adapter_backend(model)
    current = store.current()
    if compare_current and current and (model is None or current["id"] != model["id"]):
        models["current"] = adapter_backend(current)
    tested = "fine-tuned" if model is not None else "base"
    served_calibration = load_calibration(store, model["id"] if model else None)

    n = len(incidents)
    scores = {name: _Scores(METRICS, METRICS, n) for name in models}
    scores.update({f"{name}+retrieval": _Scores(SERVED_METRICS, SERVED_MEAN, n) for name in models})
    scores["retrieval-only"] = _Scores(SERVED_METRICS, SERVED_MEAN, n)
    calibration_rows, confidences = [], []
    # (best similarity, no retrieved incident has the right category), per question
    nearest: list[tuple[float, bool]] = []
    threshold_rows: list[tuple[float, bool]] = []  # (best similarity, own incident in the index)
    examples = []
    if progress:
        progress(0, n)  # the bar (and its clock) starts before the first incident
    # Retrieval first, for every question (one batch through the embedder), so that the
    # models can go through the incidents without waiting on it.
    questions = [symptom_question(incident) for incident in incidents]
    asked = [i for i, question in enumerate(questions) if question]
    vectors = dict(zip(asked, retriever.embedder.encode([questions[i] for i in asked]))) if asked else {}
    retrieved: list[list] = [[] for _ in incidents]
    for i in asked:
        retrieved[i] = retriever.search(questions[i], k=TOP_K, exclude_ids={incidents[i]["id"]}, query_vector=vectors[i])
        with_itself = retriever.search(questions[i], k=TOP_K, query_vector=vectors[i])
        threshold_rows += [(best_similarity(with_itself), True), (best_similarity(retrieved[i]), False)]
    prompts = [served_prompt(question, hits) if hits else None for question, hits in zip(questions, retrieved)]
    golds = [_seed_gold(incident, taxonomy) for incident in incidents]
    for i, answers in _answered(models, incidents, prompts, golds, config.max_tokens, taxonomy):
        incident, question, hits = incidents[i], questions[i], retrieved[i]
        gold_category = taxonomy.normalize(incident.get("root_cause_category"))
        for name, said in answers.items():
            _score_seed(scores[name], i, said, golds[i], taxonomy)
        if hits:
            if gold_category:
                nearest.append((best_similarity(hits), all(
                    taxonomy.normalize(h.incident.get("root_cause_category")) != gold_category for h in hits)))
            for name, said in answers.items():
                category, features = _score_served(scores[f"{name}+retrieval"], i, incident, question, hits,
                                                   said["served"], taxonomy)
                if name == tested and gold_category:
                    right = float(category == gold_category)
                    calibration_rows.append((features, right))
                    confidences.append((served_calibration.confidence(features), right))
                if name == tested and len(examples) < 5:
                    examples.append({"question": question, "answer": said["served"], "category": category,
                                     "source_id": incident["source_id"]})
            _score_served(scores["retrieval-only"], i, incident, question, hits, "", taxonomy,
                          category_from_answer=False)
        if progress:
            progress(i + 1, n)

    results = {name: s.summary() for name, s in scores.items()}
    match_threshold = fit_match_threshold(threshold_rows)
    threshold = (config.match_threshold if config.match_threshold is not None
                 else (match_threshold if match_threshold.n else load_match_threshold(store)).threshold)
    flagged = [wrong for best, wrong in nearest if best < threshold]
    calibration = fit_calibration(calibration_rows)
    fitted = [(calibration.confidence(f), y) for f, y in calibration_rows]
    details = {
        "calibration": {"weights": list(calibration.weights), "n": calibration.n},
        # n = 0: too few questions to fit one; answers keep the threshold they had
        "match_threshold": match_threshold.to_dict(),
        "model": {"id": model["id"], "name": model["name"]} if model else None,
        "current": {"id": current["id"], "name": current["name"]} if current else None,
        "max_tokens": config.max_tokens,
        "heldout": [[i["source"], i["source_id"]] for i in incidents],
        "per_incident": {name: s.per_incident() for name, s in scores.items()},
        "served": {
            "system": f"{tested}+retrieval",
            "no_match": {"flagged": len(flagged), "right": sum(flagged), "threshold": threshold,
                         "precision": round(sum(flagged) / len(flagged), 4) if flagged else None},
            "ece": round(metrics.expected_calibration_error(*_columns(confidences)), 4),
            "ece_fitted": round(metrics.expected_calibration_error(*_columns(fitted)), 4),
            "reliability": metrics.reliability(*_columns(confidences)),
            "reliability_fitted": metrics.reliability(*_columns(fitted)),
            "examples": examples,
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    run_id = store.add_eval_run(
        model_id=model["id"] if model else None, n_incidents=n, results=results, details=details
    )
    report = EvalReport(run_id, model["id"] if model else None, n, results, details)
    out_dir = Path(config.output_dir) if config.output_dir else db.path.parent / "eval"
    report.json_path, report.chart_path, report.reliability_path = _write_outputs(report, out_dir)
    return report


def _answered(models: dict[str, Backend], incidents: list[dict], prompts: list[str | None], golds: list[dict],
              max_tokens: int, taxonomy) -> Iterator[tuple[int, dict[str, dict]]]:
    """(i, {model name: its answers}) for each incident, in order, as soon as every model has
    answered it. Each model goes through all the incidents in its own thread, on its own
    share of the free cores: llama.cpp releases the GIL, and a 135M model gains little from
    a second thread of its own (see free_cores), so models side by side finish in about the
    time of one. None waits for another between incidents: a model whose answers run short
    goes on with the next incident (the scoring, in the caller's thread, keeps up)."""
    from pipeline.serve.backends import free_cores

    share = max(1, free_cores() // len(models))
    for backend in models.values():
        # A model alone follows the free cores generation by generation, as in serving: a
        # thread count fixed while the machine was idle stalls every step once another
        # process takes a core (measured beside another busy process: 40 tokens/s on 1
        # thread, 1 token/s on 2).
        backend.fixed_threads = share if len(models) > 1 else None
    ready: queue.Queue = queue.Queue()
    stop = threading.Event()

    def run(name: str, backend: Backend) -> None:
        try:
            for i, incident in enumerate(incidents):
                if stop.is_set():
                    return
                ready.put((name, i, _answer(backend, incident, prompts[i], golds[i], max_tokens, taxonomy)))
        except BaseException as exc:  # raised again in the caller's thread
            ready.put((name, None, exc))

    pending: list[dict[str, dict]] = [{} for _ in incidents]
    with ThreadPoolExecutor(max_workers=len(models)) as pool:
        for name, backend in models.items():
            pool.submit(run, name, backend)
        try:
            done = 0
            while done < len(incidents):
                name, i, said = ready.get()
                if i is None:
                    raise said
                pending[i][name] = said
                while done < len(incidents) and len(pending[done]) == len(models):
                    yield done, {m: pending[done][m] for m in models}
                    pending[done] = {}
                    done += 1
        finally:
            stop.set()  # an error (or a caller that stopped reading) ends the other threads too


def _answer(backend: Backend, incident: dict, served: str | None, gold: dict, max_tokens: int, taxonomy) -> dict:
    """One model's answers for one incident: the seed questions it can be scored on, and the
    served prompt's. Nothing is generated that no score reads: a question with no gold answer
    is not asked, and a root-cause answer stops at its `[category]` prefix when the taxonomy
    knows it (the category is all that is scored of it, and more text cannot change it)."""
    out = {}
    for key in gold:
        done = (lambda text: bool(taxonomy.normalize(category_of(text)))) if key == "root_cause" else None
        out[key] = _complete(backend, build_prompt(incident, key), max_tokens, SEED_STOP, done).strip()
    if served is not None:
        out["served"] = backend.complete(served, max_tokens=SERVED_MAX_TOKENS, stop=SERVED_STOP).strip()
    return out


def _complete(backend: Backend, prompt: str, max_tokens: int, stop: list[str],
              done: Callable[[str], bool] | None) -> str:
    """backend.complete, ending early once `done(text so far)` holds."""
    text = ""
    with closing(backend.stream(prompt, max_tokens=max_tokens, stop=stop)) as pieces:
        for piece in pieces:
            text += piece
            if done is not None and done(text):
                break
    return text


def _seed_gold(incident: dict, taxonomy) -> dict:
    """What each seed question's answer is scored against (the root cause: by its category);
    a question the incident has no answer to is left out."""
    gold = {}
    if incident.get("services_affected"):
        gold["services"] = incident["services_affected"]
    if category := taxonomy.normalize(incident.get("root_cause_category")):
        gold["root_cause"] = category
    if (incident.get("fix") or "").strip():
        gold["fix"] = incident["fix"]
    return gold


def _columns(pairs: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    return [c for c, _ in pairs], [y for _, y in pairs]


def _taxonomy(config_path: str | None):
    """The configured taxonomy (custom categories vote and score), as the sync uses it."""
    from pipeline.config import ConfigError, load_config

    try:
        return load_config(config_path).build_taxonomy()
    except ConfigError as exc:
        raise EvalError(str(exc)) from None


def _model_under_test(store: ModelStore, model_id: int | None) -> dict | None:
    if model_id is None:
        return store.current()
    model = store.get(model_id)
    if model is None:
        raise EvalError(f"no model #{model_id} in the registry (see `postmortem models list`)")
    return model


def adapter_backend(model: dict) -> Backend:
    """A registered model's adapter on llama.cpp, served as answers serve it."""
    from pipeline.serve.backends import BackendConfig, BackendError, build_backend

    if not model.get("gguf_adapter_path"):
        raise EvalError(f"model #{model['id']} has no llama.cpp adapter (adapter.gguf) to evaluate")
    try:
        return build_backend(BackendConfig(backend="llamacpp"), model)
    except BackendError as exc:
        raise EvalError(str(exc)) from exc


def _score_seed(scores: _Scores, i: int, answers: dict, gold: dict, taxonomy) -> None:
    if "root_cause" in gold:
        scores.add("category_em", i, metrics.category_match(model_category(answers["root_cause"], taxonomy), gold["root_cause"]))
    if "fix" in gold:
        scores.add("fix_rougeL", i, metrics.rouge_l(answers["fix"], gold["fix"]))
    if "services" in gold:
        scores.add("services_f1", i, metrics.services_f1(metrics.split_services(answers["services"]), gold["services"]))


def _score_served(scores: _Scores, i: int, incident: dict, question: str, hits: list, raw: str, taxonomy,
                  *, category_from_answer: bool = True) -> tuple[str, dict]:
    """Score one served answer as the user reads it: the evidence built from the incidents,
    then the model's sentences that pass the grounding check (pipeline.serve.grounding), as
    Answerer.generate shows them. `raw` is the model's text ("" for retrieval only). Returns
    the answer's category and its confidence features."""
    sources = [source_of(h) for h in hits]
    stream = grounding.SentenceStream(grounding.Grounder(sources, question))
    stream.feed(raw)
    stream.close()
    shown = evidence_text(sources, True) + (f"\n\n{stream.text}" if stream.text else "")
    category, features = decide_category(hits, raw if category_from_answer else "", taxonomy)
    gold_category = taxonomy.normalize(incident.get("root_cause_category"))
    if gold_category:
        scores.add("category", i, metrics.category_match(category, gold_category))
    if (incident.get("fix") or "").strip():
        scores.add("fix_recall", i, rouge.rouge_l_recall(incident["fix"], shown))
    scores.add("faithfulness", i, grounding.faithfulness(shown, sources, question))
    if raw:
        scores.add("raw_faithfulness", i, grounding.faithfulness(raw, sources, question))
    cited = grounding.citations(shown, len(hits))
    scores.add("cites", i, float(bool(cited)))
    if gold_category:
        scores.add("citation_accuracy", i, float(any(
            taxonomy.normalize(hits[n - 1].incident.get("root_cause_category")) == gold_category for n in cited)))
    return category, features


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


def _write_outputs(report: EvalReport, out_dir: Path) -> tuple[str, str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"eval-run-{report.run_id}"
    json_path, chart_path, reliability_path = (Path(f"{stem}{suffix}") for suffix in (".json", ".png", "-reliability.png"))
    json_path.write_text(json.dumps({k: v for k, v in report.to_dict().items() if not k.endswith("_path")}, indent=2))

    labels = {"category_em": "category EM", "fix_rougeL": "fix ROUGE-L", "services_f1": "services F1",
              "category": "category", "fix_recall": "fix recall", "faithfulness": "faithfulness", "raw_faithfulness": "raw faithful",
              "cites": "cites [n]", "citation_accuracy": "citation acc."}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [3, 5]})
    for ax, names, title in ((axes[0], METRICS, "closed book (seed questions)"),
                             (axes[1], SERVED_METRICS, "served task (symptom question + retrieval)")):
        systems = [s for s, row in report.results.items() if names[0] in row]
        width = 0.8 / max(1, len(systems))
        for k, system in enumerate(systems):
            xs = [j + k * width for j in range(len(names))]
            ax.bar(xs, [report.results[system][m] or 0.0 for m in names], width, label=system)
        ax.set_xticks([j + width * (len(systems) - 1) / 2 for j in range(len(names))])
        ax.set_xticklabels([labels[m] for m in names], fontsize="small")
        ax.set_ylim(0, 1)
        ax.set_title(title, fontsize="medium")
        ax.legend(fontsize="x-small")
    fig.suptitle(f"Held-out evaluation ({report.n_incidents} incidents, run #{report.run_id})")
    fig.tight_layout()
    fig.savefig(chart_path, dpi=100)
    plt.close(fig)

    served = report.details.get("served") or {}
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    for key, label in (("reliability", f"as served (ECE {served.get('ece', 0):.3f})"),
                       ("reliability_fitted", f"after this run's fit (ECE {served.get('ece_fitted', 0):.3f})")):
        bins = served.get(key) or []
        if bins:
            ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o", label=label)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence shown")
    ax.set_ylabel("category right (share)")
    ax.set_title(f"Confidence reliability, {served.get('system', '')}", fontsize="medium")
    ax.legend(fontsize="x-small", loc="upper left")
    fig.tight_layout()
    fig.savefig(reliability_path, dpi=100)
    plt.close(fig)
    return str(json_path), str(chart_path), str(reliability_path)
