"""The `postmortem` command line. Commands are thin: they parse flags and call the domain
module, importing it (and its heavy dependencies) only when the command runs."""

from __future__ import annotations

import json
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
    from pipeline.extractors.factory import build_extractor, ExtractorConfigError
    from pipeline.ingest import ingest

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
        from pipeline.extractors.factory import user_facing_error

        message = user_facing_error(exc)
        if message is None:
            raise
        raise click.ClickException(message)
    click.echo(summary.line())


def _extract_all(config, db, quiet: bool) -> None:
    """`extract --all`: each configured source in turn; one failing source (a missing token,
    an unreachable server) is reported and the others still sync."""
    from pipeline.extractors.factory import user_facing_error
    from pipeline.ingest import ingest

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
    from pipeline.record import FIELDS

    db = open_db(db_path)
    if excluded:
        for row in db.excluded():
            output.write(json.dumps({k: row[k] for k in ("source", "source_id", "reason", "detail")}) + "\n")
        return
    for row in db.incidents():
        output.write(json.dumps({k: row.get(k) for k in FIELDS}) + "\n")


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
    from pipeline.dataset import write_dataset

    db = open_db(db_path)
    if not db.incidents():
        raise click.ClickException("no incidents stored: run `postmortem extract` first")
    counts = write_dataset(db, out_dir)
    click.echo(f"{counts['train']} train and {counts['heldout']} held-out examples written to {out_dir}")


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
