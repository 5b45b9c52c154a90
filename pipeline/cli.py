"""The `postmortem` command line. Commands are thin: they parse flags and call the domain
module, importing it (and its heavy dependencies) only when the command runs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from storage import Database, default_db_path

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite database (default: $POSTMORTEM_DB or data/postmortem.db).",
)


def open_db(db_path: Path | None) -> Database:
    return Database(db_path or default_db_path())


def open_db_with_incidents(db_path: Path | None) -> Database:
    """The database, or a clear error when nothing has been extracted into it yet. Counts
    rather than loading every incident just to see whether there is one."""
    db = open_db(db_path)
    if not db.stats()["incidents"]:
        raise click.ClickException("no incidents stored: run `postmortem extract` first")
    return db


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="postmortem")
def main() -> None:
    """postmortem: learn your incident post-mortems, answer on-call questions from them.

    \b
    Typical flow:
      postmortem extract --source dir --path ./postmortems
      postmortem train
      postmortem eval
      postmortem ask "what fixed the last payments-db outage?"
    """


@main.command()
@click.option(
    "--source",
    type=click.Choice(["dir", "github", "notion", "confluence"]),
    help="Where the post-mortems live.",
)
@click.option("--path", "path", help="dir: the folder. github: only files under this path.")
@click.option("--repo", help="github: owner/name. Token from $GITHUB_TOKEN.")
@click.option("--ref", default=None, help="github: branch, tag or sha (default: the default branch).")
@click.option("--name", help="dir: the source name stored with each record (default: folder name).")
@click.option("--database", help="notion: the database id or URL. Token from $NOTION_TOKEN.")
@click.option("--tag", default="postmortem", show_default=True, help="notion: the select/multi-select option marking post-mortems.")
@click.option("--space", help="confluence: space key ($CONFLUENCE_URL, $CONFLUENCE_USER, $CONFLUENCE_TOKEN).")
@click.option("--cql", help="confluence: CQL query (default: label = postmortem in --space).")
@click.option("--all", "all_sources", is_flag=True, help="Every source in the config file, one after the other.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: $POSTMORTEM_CONFIG or ./postmortem.toml).",
)
@db_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
def extract(source, path, repo, ref, name, database, tag, space, cql, all_sources, config_path, db_path, quiet):
    """Fetch post-mortems from a source, structure them and store them.

    \b
    Examples:
      postmortem extract --source dir --path samples/acme-pay
      postmortem extract --source github --repo org/runbooks --path postmortems/
      postmortem extract --source notion --database 1c2b3a4d5e6f47a8b9c0d1e2f3a4b5c6
      postmortem extract --source confluence --space OPS
      postmortem extract --all --config postmortem.toml
    """
    from pipeline.config import ConfigError, load_config
    from pipeline.ingest.extractors.factory import build_extractor, ExtractorConfigError
    from pipeline.ingest.sync import ingest

    if all_sources and source:
        raise click.UsageError("use either --all (the config's sources) or --source")
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc))
    if all_sources:
        return _extract_all(config, open_db(db_path), quiet)
    try:
        extractor = build_extractor(
            source, path=path, repo=repo, ref=ref, name=name, database=database, tag=tag, space=space, cql=cql
        )
    except ExtractorConfigError as exc:
        raise click.UsageError(str(exc))
    db = open_db(db_path)
    try:
        summary = ingest(db, extractor, taxonomy=config.build_taxonomy(), progress=not quiet)
    except Exception as exc:  # connector failures: a clear line, stored data untouched
        from pipeline.ingest.extractors.factory import user_facing_error

        message = user_facing_error(exc)
        if message is None:
            raise
        raise click.ClickException(message)
    click.echo(summary.line())


def _extract_all(config, db, quiet: bool) -> None:
    """`extract --all`: each configured source in turn; one failing source (a missing token,
    an unreachable server) is reported and the others still sync."""
    from pipeline.ingest.extractors.factory import user_facing_error
    from pipeline.ingest.sync import ingest

    if not config.sources:
        raise click.ClickException(
            f"no sources in {config.path or 'postmortem.toml'}: add [[sources]] (see postmortem.example.toml)"
        )
    taxonomy = config.build_taxonomy()
    failed = 0
    for source in config.sources:
        try:
            summary = ingest(db, source.extractor(), taxonomy=taxonomy, progress=not quiet)
        except Exception as exc:
            failed += 1
            message = user_facing_error(exc)
            click.echo(f"{source.name}: failed: {message or f'{type(exc).__name__}: {exc}'}", err=True)
            continue
        click.echo(summary.line())
    if failed:
        raise click.ClickException(f"{failed} of {len(config.sources)} sources failed")


@main.command()
@db_option
@click.option("--excluded", is_flag=True, help="Write the excluded documents and their reasons instead.")
@click.option("-o", "--output", type=click.File("w"), default="-", help="Output file (default: stdout).")
def export(db_path, excluded, output):
    """Write stored incidents as JSON lines (IncidentRecord fields)."""
    from pipeline.ingest.record import FIELDS

    db = open_db(db_path)
    if excluded:
        for row in db.excluded():
            output.write(json.dumps({k: row[k] for k in ("source", "source_id", "reason", "detail")}) + "\n")
        return
    for row in db.incidents():
        # `human_label`: a person corrected this record (provenance says which fields).
        fields = {k: row.get(k) for k in FIELDS}
        output.write(json.dumps({**fields, "human_label": "human" in (row.get("provenance") or {}).values()}) + "\n")


@main.command()
@db_option
@click.argument("source_id")
@click.option("--source", help="The source, where the same id is stored from several (e.g. dir:runbooks).")
@click.option("--category", help="The right root-cause category.")
@click.option("--root-cause", "root_cause", help="The right root cause, in a sentence or two.")
@click.option("--fix", help="What really fixed it.")
@click.option("--author", default=lambda: os.environ.get("USER", "cli"), show_default="$USER")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="postmortem.toml (for its taxonomy).")
def label(db_path, source_id, source, category, root_cause, fix, author, config_path):
    """Correct a stored incident. The correction wins over the parser on every later sync and
    goes into the next training set."""
    from pipeline.config import ConfigError, load_config

    if not (category or root_cause or fix):
        raise click.UsageError("give at least one of --category, --root-cause, --fix")
    db = open_db(db_path)
    if category:
        try:
            taxonomy = load_config(config_path).build_taxonomy()
        except ConfigError as exc:
            raise click.ClickException(str(exc))
        if category not in taxonomy.names:
            raise click.BadParameter(f"{category!r} is not a category ({', '.join(taxonomy.names)})", param_hint="--category")
    matches = db.find_incidents(source_id, source)
    if not matches:
        raise click.ClickException(f"no stored incident with id {source_id!r}" + (f" in {source}" if source else ""))
    sources = sorted({m["source"] for m in matches})
    if len(sources) > 1:
        raise click.ClickException(f"{source_id!r} is stored from several sources ({', '.join(sources)}): add --source")
    db.add_label(sources[0], source_id, author=author, origin="cli",
                 root_cause_category=category, root_cause=root_cause, fix=fix)
    click.echo(f"Labelled {sources[0]} {source_id}: it wins over the parser from now on.")


@main.command()
@db_option
def stats(db_path):
    """Corpus statistics: incidents per source and category, exclusions."""
    click.echo(json.dumps(open_db(db_path).stats(), indent=2))


@main.command()
@db_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="data/dataset",
              show_default=True, help="Folder for train.jsonl and heldout.jsonl.")
def dataset(db_path, out_dir):
    """Write the Q&A training set (three questions per incident) as train/held-out JSONL."""
    from pipeline.learn.dataset import write_dataset

    db = open_db_with_incidents(db_path)
    counts = write_dataset(db, out_dir)
    click.echo(f"{counts['train']} train and {counts['heldout']} held-out examples written to {out_dir}")


@main.command()
@click.option("--db", type=click.Path(dir_okay=False), help="SQLite database (default: $POSTMORTEM_DB or data/postmortem.db).")
@click.option("--base_model", help="Default: the embedded SmolLM2-135M-Instruct. Or a .gguf file, a local "
              "folder, or a hub id (e.g. mistralai/Mistral-7B-Instruct-v0.3 on a GPU).")
@click.option("--output_dir", help="Checkpoints, and the result in OUTPUT_DIR/final (default: ./checkpoints).")
@click.option("--epochs", type=float, help="Passes over the training split (default: 2).")
@click.option("--max_steps", type=int, help="Stop after this many steps; overrides --epochs.")
@click.option("--batch_size", type=int, help="Examples per step (default: 8).")
@click.option("--learning_rate", type=float, help="Peak learning rate, cosine decay (default: 1e-3 for the "
              "embedded model, 2e-4 for others).")
@click.option("--max_length", type=int, help="Longer examples are cut to this many tokens (default: 384).")
@click.option("--seed", type=int, help="Seed for initialisation and batch order (default: 42).")
@click.option("--resume", is_flag=True, default=None, help="Continue from the last checkpoint in --output_dir.")
@click.option("--require_gpu", is_flag=True, default=None, help="Fail unless a CUDA GPU is available.")
@click.option("--source", type=click.Choice(["dir", "github", "notion", "confluence"]),
              help="Extract from this source first, as `postmortem extract` does.")
@click.option("--repo", help="github: owner/name.")
@click.option("--path", help="dir: the folder. github: only files under this path.")
def train(**flags):
    """Fine-tune a LoRA adapter on the stored incidents and register it as a candidate.

    \b
    Examples:
      postmortem train --max_steps 60
      postmortem train --source github --repo org/runbooks --require_gpu \\
          --base_model mistralai/Mistral-7B-Instruct-v0.3
    """
    from pipeline.learn.train import TrainConfig, train as run_training

    config = TrainConfig(**{k: v for k, v in flags.items() if v is not None})
    report = run_training(config)
    loss = f", final loss {report['loss'][-1]:.3f}" if report["loss"] else ""
    click.echo(
        f"model #{report['model_id']} (candidate): {report['steps']} steps on {report['train_examples']} "
        f"examples in {report['wall_s'] / 60:.1f} min, {report['tokens_per_s']:.0f} tokens/s{loss} "
        f"-> {report['final_dir']}"
    )


def _fail_cleanly(exc: Exception) -> click.ClickException:
    """Our domain errors as one clear line; anything else is a bug and keeps its traceback."""
    from pipeline.serve.backends import BackendError
    from pipeline.evaluate.retrieval import QueryFileError
    from pipeline.evaluate.harness import EvalError
    from pipeline.embedded import ModelNotFound

    if isinstance(exc, (BackendError, EvalError, ModelNotFound, QueryFileError)):
        return click.ClickException(str(exc))
    raise exc


@main.command()
@db_option
@click.option("--embedder", default=None, help="sentence-transformers model name or folder (default: the one the index was built with, else all-MiniLM-L6-v2).")
def index(db_path, embedder):
    """Rebuild the similarity index (FAISS, beside the database) from the stored incidents."""
    from pipeline.serve.embed import get_embedder
    from pipeline.serve.index import rebuild_index

    db = open_db(db_path)
    try:
        path = rebuild_index(db, get_embedder(embedder) if embedder else None)
    except Exception as exc:
        raise _fail_cleanly(exc)
    click.echo(f"Indexed {len(db.incidents())} incidents -> {path}")


@main.command()
@click.argument("query")
@db_option
@click.option("-k", "top_k", default=3, show_default=True, help="How many incidents.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def similar(query, db_path, top_k, as_json):
    """The past incidents most similar to QUERY (meaning + keywords), with scores.

    \b
    Example:
      postmortem similar "pods crash-looping after upgrade, DNS failing"
    """
    from pipeline.serve.retrieve import Retriever

    if not query.strip():
        raise click.UsageError("the query is empty")
    db = open_db_with_incidents(db_path)
    try:
        hits = Retriever(db).search(query, k=top_k)
    except Exception as exc:
        raise _fail_cleanly(exc)
    if as_json:
        click.echo(json.dumps([h.summary() for h in hits], indent=2))
        return
    for i, hit in enumerate(hits, start=1):
        s = hit.summary()
        click.echo(f"[{i}] {s['incident_title']}  ({s['date'] or 'no date'})  score {s['score']:.2f}")
        if s["url"]:
            click.echo(f"    {s['url']}")


@main.command()
@click.argument("question")
@db_option
@click.option("--backend", type=click.Choice(["llamacpp", "transformers", "openai"]), default=None,
              help="How to generate (default: $POSTMORTEM_BACKEND or llamacpp).")
@click.option("--endpoint", default=None, help="openai: base URL of an OpenAI-compatible server, e.g. http://vllm:8000/v1")
@click.option("--model-name", default=None, help="openai: the served model name.")
@click.option("--json", "as_json", is_flag=True,
              help="Print {answer, evidence, synthesis, match, similarity, root_cause_category, confidence, sources, ...}.")
def ask(question, db_path, backend, endpoint, model_name, as_json):
    """Answer an on-call question from similar past incidents, citing them.

    \b
    Example:
      postmortem ask "what fixed the last payments-db outage?"
    """
    from pipeline.serve.answer import Answerer
    from pipeline.serve.backends import BackendConfig

    if not question.strip():
        raise click.UsageError("the question is empty")
    db = open_db_with_incidents(db_path)
    config = BackendConfig.from_env()
    config.backend = backend or config.backend
    config.endpoint = endpoint or config.endpoint
    config.model_name = model_name or config.model_name
    try:
        answerer = Answerer(db, config=config)
        if as_json:
            answer = answerer.ask(question)
        else:
            # The evidence as soon as retrieval is done; the checked synthesis as it is written.
            answer = answerer.ask(
                question,
                on_evidence=lambda evidence: click.echo(evidence.text + ("\n" if evidence.match else "")),
                on_token=lambda sentence: click.echo(sentence, nl=False),
            )
    except Exception as exc:
        raise _fail_cleanly(exc)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), indent=2))
        return
    if answer.match and not answer.synthesis:
        click.echo("(no generated sentence was supported by the sources; the evidence above stands alone)", nl=False)
    calibrated = f"calibrated on {answer.calibrated_on} held-out answers" if answer.calibrated_on else "not yet calibrated"
    click.echo(
        f"\n\nRoot cause category: {answer.root_cause_category or 'unknown'}  "
        f"(confidence it is right {answer.confidence:.0%}, {calibrated}; model {answer.model})"
    )
    click.echo(f"Best match similarity {answer.similarity:.2f} (close match: {answer.match_threshold:.2f} or more)")
    for i, s in enumerate(answer.sources, start=1):
        click.echo(f"[{i}] {s['incident_title']}  ({s['date'] or 'no date'})  score {s['score']:.2f}  {s['url']}")
        click.echo(f"    Cause: {s['root_cause'] or '-'}")
        click.echo(f"    Fix:   {s['fix'] or '-'}")


@main.command("eval")
@db_option
@click.option("--model", "model_id", type=int, default=None, help="Model id to evaluate (default: the current model).")
@click.option("--output-dir", type=click.Path(file_okay=False), default=None, help="Where the JSON and PNG go (default: <db folder>/eval).")
@click.option("--max-tokens", type=int, default=48, show_default=True, help="Answer length per question.")
@click.option("--limit", type=int, default=None, help="Evaluate only the first N held-out incidents.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def eval_command(db_path, model_id, output_dir, max_tokens, limit, as_json):
    """Base vs fine-tuned vs fine-tuned + retrieval vs retrieval only, on the held-out split."""
    from pipeline.evaluate.harness import EvalConfig, evaluate

    db = open_db(db_path)
    config = EvalConfig(db=str(db.path), model=model_id, output_dir=output_dir, max_tokens=max_tokens, limit=limit, json=as_json)
    try:
        report = evaluate(db, config)
    except Exception as exc:
        raise _fail_cleanly(exc)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    click.echo(report.table())
    click.echo(f"JSON: {report.json_path}\nChart: {report.chart_path}")


@main.command("eval-retrieval")
@db_option
@click.option("--queries", type=click.Path(exists=True, dir_okay=False), required=True,
              help='JSONL of {"query", "expected_source_id"} (e.g. samples/queries.jsonl).')
@click.option("--json", "as_json", is_flag=True, help="Print recall@1, recall@3, mrr, n as JSON.")
def eval_retrieval(db_path, queries, as_json):
    """Recall@1, recall@3 and MRR of similar-incident search on a query set."""
    from pipeline.evaluate.retrieval import evaluate_retrieval, read_queries

    db = open_db_with_incidents(db_path)
    try:
        result = evaluate_retrieval(db, read_queries(queries))
    except Exception as exc:
        raise _fail_cleanly(exc)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"recall@1 {result['recall@1']:.3f}  recall@3 {result['recall@3']:.3f}  MRR {result['mrr']:.3f}  (n={result['n']})")
    if result["skipped"]:
        click.echo(f"skipped {len(result['skipped'])} queries whose incident is not stored")


@main.group()
def models():
    """The model registry: candidates, the current model, rollback."""


@models.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True)
def models_list(db_path, as_json):
    """Every trained model with its status and evaluation."""
    from storage.models import ModelStore

    store = ModelStore(open_db(db_path))
    rows = store.list()
    if as_json:
        click.echo(json.dumps([{k: v for k, v in r.items() if k != "report"} for r in rows], indent=2))
        return
    if not rows:
        click.echo("No trained models; answering with the base model.")
    for r in rows:
        run = store.eval_run(r["eval_run_id"]) if r["eval_run_id"] else None
        score = f"  eval mean {run['results']['fine-tuned']['mean']:.3f}" if run and "fine-tuned" in run["results"] else ""
        click.echo(f"#{r['id']:<4}{r['status']:<10}{r['name']}  trained {r['trained_at']}{score}")


@models.command("promote")
@click.argument("model_id", type=int)
@db_option
def models_promote(model_id, db_path):
    """Make MODEL_ID the current model now (no gate; the previous one can be rolled back)."""
    from storage.models import ModelStore

    store = ModelStore(open_db(db_path))
    model = store.get(model_id)
    if model is None:
        raise click.ClickException(f"no model #{model_id} (see `postmortem models list`)")
    store.promote(model_id)
    click.echo(f"#{model_id} {model['name']} is now the current model")


@models.command("rollback")
@db_option
def models_rollback(db_path):
    """Retire the current model and bring back the previous one."""
    from storage.models import ModelStore

    previous = ModelStore(open_db(db_path)).rollback()
    if previous is None:
        raise click.ClickException("no previous model to roll back to")
    click.echo(f"#{previous['id']} {previous['name']} is the current model again")


@models.command("gate")
@click.argument("model_id", type=int)
@db_option
@click.option("--metric", default="mean", show_default=True, help="category_em, fix_rougeL, services_f1 or mean.")
@click.option("--margin", type=float, default=0.0, show_default=True, help="How much the candidate must beat the current model by.")
def models_gate(model_id, db_path, metric, margin):
    """Evaluate candidate MODEL_ID; promote it only if it beats the current model."""
    from pipeline.evaluate.gate import GateConfig, gate

    try:
        result = gate(open_db(db_path), model_id, GateConfig(metric=metric, margin=margin))
    except Exception as exc:
        raise _fail_cleanly(exc)
    click.echo(("Promoted: " if result.promoted else "Rejected: ") + result.gate_reason)


@main.command()
@db_option
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: $POSTMORTEM_CONFIG or ./postmortem.toml).",
)
def serve(db_path, config_path):
    """Run the Slack app (Socket Mode), as `python app.py` does.

    \b
    Needs SLACK_BOT_TOKEN (xoxb-...) and SLACK_APP_TOKEN (xapp-...); optional SLACK_API_URL,
    POSTMORTEM_ADMINS (comma-separated Slack user ids). See README "Slack app".
    """
    import os

    if db_path:
        os.environ["POSTMORTEM_DB"] = str(db_path)
    if config_path:
        os.environ["POSTMORTEM_CONFIG"] = str(config_path)
    # pipeline/ never imports bot/: this process becomes the app (`python -m bot`) instead,
    # the way the app starts pipeline jobs as `python -m pipeline.jobs`.
    os.execv(sys.executable, [sys.executable, "-m", "bot"])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
