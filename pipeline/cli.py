"""The `postmortem` command line. Commands are thin: they parse flags and call the domain
module, importing it (and its heavy dependencies) only when the command runs."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import sys
import typing
from pathlib import Path

import click

# Config dataclasses only: their flags are generated from them. Both modules keep their heavy
# imports inside functions.
from pipeline.evaluate.gate import GateConfig
from pipeline.evaluate.harness import EvalConfig
from pipeline.learn.train import TrainConfig
from pipeline.serve.backends import BACKENDS  # light: the libraries load when one is built
from storage import Database, StorageError, default_db_path
from storage.db import describe_error

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite database (default: $POSTMORTEM_DB or data/postmortem.db).",
)

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: $POSTMORTEM_CONFIG or ./postmortem.toml).",
)


def open_db(db_path: Path | None, read_only: bool = False) -> Database:
    """The database, checked page by page first (PRAGMA quick_check, ~1 ms per MB): a damaged
    file is refused before a command reads half of it or writes into it. `read_only`: for
    commands that only read, so a read-only file still works."""
    db = Database(db_path or default_db_path(), read_only=read_only)
    db.check_integrity()
    return db


class _Commands(click.Group):
    """Whatever the command, a database it can't use (not a database, read-only, damaged,
    newer than this version, a sync of the same source already running) is one line and
    exit status 1, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except StorageError as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(describe_error("the database", exc)) from None


def open_db_with_incidents(db_path: Path | None) -> Database:
    """The database, or a clear error when nothing has been extracted into it yet. Counts
    rather than loading every incident just to see whether there is one."""
    db = open_db(db_path)
    if not db.count_incidents():
        raise click.ClickException("no incidents stored: run `postmortem extract` first")
    return db


def options_from(config_class, *, skip: tuple[str, ...] = ()):
    """Click options generated from a config dataclass, the way trl makes its config fields
    its flags: one per field, typed and defaulted by the field, helped by its metadata. Flags
    are kebab-case like every other flag here; a field's underscore spelling (`--base_model`,
    `--output_dir`: the seed's) is accepted too. The command receives the field names."""
    hints = typing.get_type_hints(config_class)

    def decorate(command):
        for f in reversed(dataclasses.fields(config_class)):
            if f.name in skip:
                continue
            kind = hints[f.name]
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            kind = args[0] if args else kind
            flag = f.name.replace("_", "-")
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            names = [f"--{flag}"] + ([f"--{f.name}"] if "_" in f.name else [])
            if kind is bool and default:  # on unless turned off
                names = [f"--{flag}/--no-{flag}"]
            extra = {"is_flag": True} if kind is bool else {"type": kind, "show_default": default is not None}
            command = click.option(*names, f.name, default=default, help=f.metadata.get("help", ""), **extra)(command)
        return command

    return decorate


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="postmortem")
@click.option("-v", "--verbose", is_flag=True, help="Show the libraries' own logs, warnings and progress bars.")
def main(verbose: bool) -> None:
    """postmortem: learn your incident post-mortems, answer on-call questions from them.

    \b
    Typical flow:
      postmortem extract --source dir --path ./postmortems
      postmortem train
      postmortem eval
      postmortem ask "what fixed the last payments-db outage?"
    """
    from pipeline.logs import setup_output

    setup_output(verbose)


def connector_options(command):
    """`--source` and every connector's flags, from the connector registry."""
    from pipeline.ingest.extractors import registry

    for key, help_text, kind in reversed(registry.cli_options()):
        command = click.option("--" + key.replace("_", "-"), key, type=kind, default=None, help=help_text)(command)
    return click.option("--source", type=click.Choice(list(registry.connectors())), help="Where the post-mortems live.")(
        command
    )


def sync_guard_options(command):
    command = click.option(
        "--strict", is_flag=True, help="Exit non-zero when any document could not be fetched."
    )(command)
    return click.option(
        "--allow-mass-delete",
        is_flag=True,
        help="Let this sync delete more than the source's max_delete_share (default 20%) of its "
        "stored incidents, or all of them (a source that really lost them).",
    )(command)


@main.command()
@connector_options
@click.option("--all", "all_sources", is_flag=True, help="Every source in the config file, one after the other.")
@config_option
@db_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
@sync_guard_options
def extract(source, all_sources, config_path, db_path, quiet, strict, allow_mass_delete, **options):
    """Fetch post-mortems from a source, structure them and store them.

    \b
    Examples:
      postmortem extract --source dir --path samples/acme-pay
      postmortem extract --source github --repo org/runbooks --path postmortems/
      postmortem extract --source notion --database 1c2b3a4d5e6f47a8b9c0d1e2f3a4b5c6
      postmortem extract --source confluence --space OPS
      postmortem extract --all --config postmortem.toml
    """
    from pipeline.config import ConfigError, SourceConfig, load_config

    if all_sources and source:
        raise click.UsageError("use either --all (the config's sources) or --source")
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc))
    if all_sources:
        sources = config.sources
        if not sources:
            raise click.ClickException(
                f"no sources in {config.path or 'postmortem.toml'}: add [[sources]] (see postmortem.example.toml)"
            )
    else:
        sources = [SourceConfig(source, {k: v for k, v in options.items() if v is not None})]
    taxonomy = config.build_taxonomy()
    db = open_db(db_path)
    failed = incomplete = 0
    for spec in sources:
        try:
            summary = _sync(db, spec, taxonomy, quiet, allow_mass_delete)
        except click.ClickException as exc:
            if not all_sources:
                raise
            # `--all`: one failing source (a missing token, an unreachable server) is
            # reported and the others still sync.
            failed += 1
            click.echo(f"{spec.name}: failed: {exc.format_message()}", err=True)
            continue
        click.echo(summary.line())
        incomplete += bool(summary.errors)
    _learn_categories(db, taxonomy)
    if failed:
        raise click.ClickException(f"{failed} of {len(sources)} sources failed")
    if strict and incomplete:
        raise click.ClickException("--strict: some documents could not be fetched (listed above)")


def _learn_categories(db, taxonomy) -> None:
    """People's category corrections carried to the recurrences of what they corrected."""
    from pipeline.learn.categories import learn_from_corrections

    changed = learn_from_corrections(db, taxonomy)
    if changed:
        click.echo(f"re-decided {changed} rule-made categories from people's corrections (provenance: classifier)")


def _sync(db, spec, taxonomy, quiet: bool, allow_mass_delete: bool):
    """One source through pipeline.ingest.sync, its failure as one line."""
    from pipeline.ingest.sync import SourceConfigError, SyncError, sync

    try:
        return sync(
            db, spec.type, spec.options, taxonomy=taxonomy, progress=not quiet, allow_mass_delete=allow_mass_delete
        )
    except SourceConfigError as exc:
        raise click.UsageError(str(exc))
    except SyncError as exc:
        raise click.ClickException(str(exc))


@main.command()
@db_option
@click.option("--excluded", is_flag=True, help="Write the excluded documents and their reasons instead.")
@click.option("-o", "--output", type=click.File("w"), default="-", help="Output file (default: stdout).")
def export(db_path, excluded, output):
    """Write stored incidents as JSON lines (IncidentRecord fields)."""
    from pipeline.ingest.record import FIELDS

    db = open_db(db_path, read_only=True)
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
@config_option
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
    if category:
        _learn_categories(db, taxonomy)


@main.command()
@db_option
def stats(db_path):
    """Corpus statistics: incidents per source and category, exclusions."""
    click.echo(json.dumps(open_db(db_path).stats(), indent=2))


@main.command()
@db_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="data/dataset",
              show_default=True, help="Folder for train.jsonl and heldout.jsonl.")
@click.option("--served-examples/--no-served-examples", default=True, show_default=True,
              help="Also the served task's examples (symptom question over retrieved incidents), as `train` uses.")
def dataset(db_path, out_dir, served_examples):
    """Write the training set `postmortem train` uses (three questions per incident, and the
    served task's example per training incident) as train/held-out JSONL."""
    from pipeline.learn.dataset import write_dataset

    db = open_db_with_incidents(db_path)
    counts = write_dataset(db, out_dir, served_examples)
    click.echo(f"{counts['train']} train and {counts['heldout']} held-out examples written to {out_dir}")


@main.command()
@options_from(TrainConfig, skip=("db",))
@db_option
@connector_options
@sync_guard_options
def train(db_path, source, strict, allow_mass_delete, **flags):
    """Fine-tune a LoRA adapter on the stored incidents and register it as a candidate
    (with --source, extract from that source first, as `postmortem extract` does).

    \b
    Examples:
      postmortem train --max-steps 60
      postmortem train --source github --repo org/runbooks --require-gpu \\
          --base-model mistralai/Mistral-7B-Instruct-v0.3
    """
    from pipeline.learn.train import train as run_training
    from pipeline.logs import ProgressBar

    train_keys = {f.name for f in dataclasses.fields(TrainConfig)}
    if source:
        from pipeline.config import SourceConfig

        spec = SourceConfig(source, {k: v for k, v in flags.items() if v is not None and k not in train_keys})
        summary = _sync(open_db(db_path), spec, None, True, allow_mass_delete)
        click.echo(summary.line(), err=True)
        if strict and summary.errors:
            raise click.ClickException("--strict: some documents could not be fetched (listed above)")
    config = TrainConfig(db=str(db_path or default_db_path()), **{k: v for k, v in flags.items() if k in train_keys})
    bar = ProgressBar("training")
    try:
        report = run_training(config, on_progress=bar)
    except Exception as exc:
        raise _fail_cleanly(exc)
    finally:
        bar.close()
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
    from pipeline.learn.train import TrainError

    if isinstance(exc, (BackendError, EvalError, ModelNotFound, QueryFileError, TrainError)):
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
    click.echo(f"Indexed {db.count_incidents()} incidents -> {path}")


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
@click.option("--backend", type=click.Choice(list(BACKENDS)), default=None,
              help="How to generate (default: $POSTMORTEM_BACKEND or llamacpp).")
@click.option("--endpoint", default=None, help="openai: base URL of an OpenAI-compatible server, e.g. http://vllm:8000/v1")
@click.option("--model-name", default=None, help="openai: the served model name.")
@click.option("--json", "as_json", is_flag=True,
              help="Print {answer, evidence, synthesis, match, similarity, root_cause_category, confidence, sources, ...}.")
@config_option
def ask(question, db_path, backend, endpoint, model_name, as_json, config_path):
    """Answer an on-call question from similar past incidents, citing them.

    \b
    Example:
      postmortem ask "what fixed the last payments-db outage?"
    """
    from pipeline.config import ConfigError, load_config
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
        taxonomy = load_config(config_path).build_taxonomy()
    except ConfigError as exc:
        raise click.ClickException(str(exc))
    try:
        answerer = Answerer(db, config=config, taxonomy=taxonomy)
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
@options_from(EvalConfig, skip=("db",))
def eval_command(db_path, **fields):
    """Closed-book questions and the served task (symptom question + retrieval), base vs
    fine-tuned vs retrieval only, on the held-out split."""
    from pipeline.evaluate.harness import evaluate
    from pipeline.logs import ProgressBar

    db = open_db(db_path)
    config = EvalConfig(db=str(db.path), **fields)
    bar = ProgressBar("evaluating held-out incidents", disable=config.json)
    try:
        report = evaluate(db, config, progress=bar)
    except Exception as exc:
        raise _fail_cleanly(exc)
    finally:
        bar.close()
    if config.json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    click.echo(report.table())
    click.echo(f"JSON: {report.json_path}\nChart: {report.chart_path}\nReliability diagram: {report.reliability_path}")


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
@options_from(GateConfig)
def models_gate(model_id, db_path, **fields):
    """Evaluate candidate MODEL_ID; promote it only if it beats the current model by more
    than the noise (paired bootstrap over the held-out incidents)."""
    from pipeline.evaluate.gate import gate
    from pipeline.logs import ProgressBar

    bar = ProgressBar("evaluating held-out incidents")
    try:
        result = gate(open_db(db_path), model_id, GateConfig(**fields), progress=bar)
    except Exception as exc:
        raise _fail_cleanly(exc)
    finally:
        bar.close()
    verdict = "Promoted: " if result.promoted else ("Rejected: " if result.decided else "Not decided: ")
    click.echo(verdict + result.gate_reason)


@main.command()
@db_option
@config_option
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
