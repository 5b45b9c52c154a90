"""Build a connector from CLI flags / config, and turn connector failures into one clear line."""

from __future__ import annotations


class ExtractorConfigError(ValueError):
    """Flags or environment that can't make a connector (missing repo, token, ...)."""


def build_extractor(source: str | None, *, path=None, repo=None, ref=None, name=None, **kw):
    if source == "dir":
        if not path:
            raise ExtractorConfigError("--source dir needs --path FOLDER")
        from pipeline.ingest.extractors.local import LocalFolder

        try:
            return LocalFolder(path, name=name)
        except FileNotFoundError as exc:
            raise ExtractorConfigError(str(exc))
    if source == "github":
        return _github(repo=repo, path=path, ref=ref)
    if source == "notion":
        return _notion(**kw)
    if source == "confluence":
        return _confluence(name=name, **kw)
    raise ExtractorConfigError(f"unknown or missing --source: {source!r}")


def user_facing_error(exc: Exception) -> str | None:
    """A one-line message for a known connector failure, or None to let it propagate."""
    from pipeline.ingest.extractors.confluence import describe_error as confluence_error
    from pipeline.ingest.extractors.github import describe_error as github_error
    from pipeline.ingest.extractors.notion import describe_error as notion_error
    from pipeline.ingest.extractors.retry import describe_error as retry_error

    if isinstance(exc, ExtractorConfigError):  # raised mid-sync too (a Notion tag not found)
        return str(exc)
    for describe in (github_error, notion_error, confluence_error, retry_error):
        message = describe(exc)
        if message:
            return message
    return None


def _github(repo, path, ref):
    import os
    import re

    from pipeline.ingest.extractors.github import DEFAULT_API_URL, GitHubConfig, GitHubRepo

    if not repo or not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise ExtractorConfigError(f"--source github needs --repo OWNER/NAME (got {repo!r})")
    return GitHubRepo(
        GitHubConfig(
            repo=repo,
            path=path,
            ref=ref,
            token=os.environ.get("GITHUB_TOKEN") or None,
            api_url=os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL,
        )
    )


def _notion(database=None, tag="postmortem", tag_property=None, **_):
    import os

    from pipeline.ingest.extractors.notion import NotionDatabase

    token = os.environ.get("NOTION_TOKEN")
    if not database:
        raise ExtractorConfigError("--source notion needs --database ID (or the database URL)")
    if not token:
        raise ExtractorConfigError("--source notion needs $NOTION_TOKEN (an internal integration token)")
    return NotionDatabase(
        token, database, tag=tag, tag_property=tag_property, base_url=os.environ.get("NOTION_API_URL") or None
    )


def _confluence(space=None, cql=None, label="postmortem", cloud=None, name=None, **_):
    import os
    from urllib.parse import urlparse

    from pipeline.ingest.extractors.confluence import ConfluencePages

    url = os.environ.get("CONFLUENCE_URL")
    token = os.environ.get("CONFLUENCE_TOKEN")
    if not space and not cql:
        raise ExtractorConfigError("--source confluence needs --space KEY or --cql QUERY")
    if not url or not token:
        raise ExtractorConfigError(
            "--source confluence needs $CONFLUENCE_URL and $CONFLUENCE_TOKEN "
            "(plus $CONFLUENCE_USER, the account email, for Cloud API tokens)"
        )
    if cloud is None:
        # Decided here and passed explicitly, so the client never guesses from the hostname.
        flag = os.environ.get("CONFLUENCE_CLOUD", "").strip().lower()
        cloud = flag in ("1", "true", "yes") if flag else (urlparse(url).hostname or "").endswith(".atlassian.net")
    return ConfluencePages(
        url,
        space=space,
        cql=cql,
        label=label,
        user=os.environ.get("CONFLUENCE_USER") or None,
        token=token,
        cloud=bool(cloud),
        name=name,
    )
