"""A Notion database of post-mortems (notion-client, API version 2025-09-03).

One sync: `databases.retrieve` -> its data sources -> `data_sources.query` filtered by the tag
property, paginated. That listing is cheap (a request per 100 pages, no block content) and
complete, so it is the set of pages present upstream: pages trashed, archived, untagged or
moved out since the last sync drop out of it and are marked deleted locally. Only pages whose
`last_edited_time` differs from the stored version have their blocks read (recursively, with
`blocks.children.list`), rendered to markdown and handed to the parser.

Notion truncates `last_edited_time` to the minute, so an edit made in the same minute as the
page was last read would keep the stored version. Pages edited at or after the start of the
last successful sync (less a margin for clock skew) are therefore read again; the ingest loop's
content hash makes that re-read free of side effects."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from typing import Iterator

from pipeline.ingest.extractors import registry
from pipeline.ingest.extractors.base import ExtractorConfigError, Listing, RawDocument
from pipeline.ingest.extractors.retry import (
    MalformedResponse,
    RetryPolicy,
    Transient,
    call_with_retry,
    describe,
    fetch_each,
    parse_retry_after,
)

# notion-client, httpx and the renderer (bs4) load when a Notion source is built, not with
# the registry.

# Edits within this long before the last sync started are read again (minute truncation
# of last_edited_time plus clock skew between us and Notion).
RECHECK_WINDOW = timedelta(minutes=5)
MAX_DEPTH = 12  # nested blocks deeper than this are not read (pathological pages)
TAG_PROPERTY_NAMES = ("tags", "tag", "labels", "label", "type", "category", "kind")


class NotionDatabase:
    def __init__(
        self,
        token: str,
        database: str,
        *,
        tag: str | None = "postmortem",
        tag_property: str | None = None,
        base_url: str | None = None,
        policy: RetryPolicy = RetryPolicy(),
        timeout: float = 30.0,
    ):
        from notion_client import Client
        from notion_client.helpers import extract_database_id

        database_id = extract_database_id(database)
        if not database_id:
            raise ExtractorConfigError(f"not a Notion database id or URL: {database!r}")
        self.database_id = database_id
        self.source = f"notion:{database_id}"
        self.legacy_sources: tuple[str, ...] = ()
        self.label = self.source
        self.tag = tag or None
        self.tag_property = tag_property
        self.policy = policy
        # Set by the ingest loop: start of the last successful sync of this source.
        self.since: str | None = None
        options = dict(auth=token, retry=False, timeout_ms=int(timeout * 1000), log_level=logging.ERROR)
        if base_url:
            options["base_url"] = base_url.rstrip("/")
        self.client = Client(**options)

    # -- calls ---------------------------------------------------------------------------------

    def _call(self, fn, **kwargs):
        def once():
            try:
                result = fn(**kwargs)
            except json.JSONDecodeError as exc:
                raise MalformedResponse(f"Notion {fn.__qualname__}: response is not valid JSON") from exc
            if not isinstance(result, dict):
                raise MalformedResponse(f"Notion {fn.__qualname__}: response is not a JSON object")
            return result

        return call_with_retry(once, transient, self.policy)

    def _paginate(self, fn, **kwargs) -> Iterator[dict]:
        from notion_client.helpers import iterate_paginated_api

        return iterate_paginated_api(lambda **kw: self._call(fn, **kw), **kwargs)

    # -- listing -------------------------------------------------------------------------------

    def listing(self, known_versions: dict[str, str]) -> Listing:
        database = self._call(self.client.databases.retrieve, database_id=self.database_id)
        sources = database.get("data_sources") or []
        if not sources:
            raise ExtractorConfigError(f"Notion database {self.database_id} has no data source")
        pages: dict[str, dict] = {}
        deleted: set[str] = set()
        filtered = 0
        for ds in sources:
            query: dict = {"data_source_id": ds["id"], "page_size": 100}
            if self.tag:
                filt = self._tag_filter(ds["id"])
                if filt is None:
                    continue
                query["filter"] = filt
                filtered += 1
            for page in self._paginate(self.client.data_sources.query, **query):
                if page.get("object") != "page":
                    continue
                if page.get("in_trash") or page.get("archived") or page.get("is_archived"):
                    deleted.add(page["id"])
                else:
                    pages[page["id"]] = page
        if self.tag and not filtered:
            # Listing nothing would mark every stored page of this source deleted.
            raise ExtractorConfigError(
                f"no select or multi-select property of Notion database {self.database_id} has "
                f"an option {self.tag!r} (set tag_property, or another tag)"
            )

        recheck_from = _recheck_from(self.since)
        todo = [
            page
            for pid, page in pages.items()
            if known_versions.get(pid) != page.get("last_edited_time", "")
            or (recheck_from and _parse_time(page.get("last_edited_time")) >= recheck_from)
        ]
        present = set(pages)
        return Listing(
            source=self.source,
            documents=self._documents(todo, present, deleted),
            present=present,
            total=len(todo),
            deleted=deleted,
        )

    def _tag_filter(self, data_source_id: str) -> dict | None:
        schema = self._call(self.client.data_sources.retrieve, data_source_id=data_source_id)
        props = schema.get("properties") or {}
        candidates = []
        for name, prop in props.items():
            kind = prop.get("type")
            if kind not in ("select", "multi_select"):
                continue
            if self.tag_property and name.lower() != self.tag_property.lower():
                continue
            options = [o.get("name", "") for o in (prop.get(kind) or {}).get("options", [])]
            match = next((o for o in options if o.lower() == self.tag.lower()), None)
            if match is None and not self.tag_property:
                continue
            rank = (kind != "multi_select", name.lower() not in TAG_PROPERTY_NAMES)
            candidates.append((rank, name, kind, match or self.tag))
        if not candidates:
            return None
        _, name, kind, option = min(candidates)
        return {"property": name, kind: {"contains" if kind == "multi_select" else "equals": option}}

    # -- documents -----------------------------------------------------------------------------

    def _documents(self, pages: list[dict], present: set[str], deleted: set[str]):
        # A page deleted (or unshared) between the listing and its read is deleted here. Were
        # it only a nested block removed mid-read, the page is listed again next sync and, no
        # longer stored as live, read again.
        return fetch_each(
            pages,
            self._read,
            ident=lambda page: page["id"],
            classify=transient,
            policy=self.policy,
            source=self.source,
            not_found=_not_found,
            present=present,
            deleted=deleted,
        )

    def _read(self, page: dict) -> RawDocument:
        from pipeline.ingest.extractors.render import notion_blocks_to_markdown

        blocks = self._children(page["id"], depth=0)
        meta = page_meta(page)
        body = notion_blocks_to_markdown(blocks)
        if meta.get("title"):
            body = f"# {meta['title']}\n\n{body}"
        return RawDocument(
            source_id=page["id"],
            url=page.get("url", ""),
            body=body,
            version=page.get("last_edited_time", ""),
            meta=meta,
        )

    def _children(self, block_id: str, depth: int) -> list[dict]:
        blocks = list(self._paginate(self.client.blocks.children.list, block_id=block_id, page_size=100))
        for block in blocks:
            # Sub-pages are documents of their own, not part of this one.
            if block.get("has_children") and depth < MAX_DEPTH and block.get("type") not in (
                "child_page",
                "child_database",
            ):
                block["children"] = self._children(block["id"], depth + 1)
        return blocks


def _not_found(exc: BaseException) -> bool:
    from notion_client.errors import APIErrorCode, HTTPResponseError

    return isinstance(exc, HTTPResponseError) and exc.code == APIErrorCode.ObjectNotFound


def transient(exc: BaseException) -> Transient | None:
    import httpx
    from notion_client.errors import HTTPResponseError, RequestTimeoutError

    if isinstance(exc, HTTPResponseError):
        if exc.status == 429:
            return Transient(parse_retry_after(exc.headers.get("retry-after")))
        return Transient() if exc.status >= 500 else None
    if isinstance(exc, (RequestTimeoutError, httpx.TransportError)):
        return Transient()
    return None


def page_meta(page: dict) -> dict:
    """Page properties -> RawDocument.meta (title, date, services, severity, category)."""
    from pipeline.ingest.extractors.render import notion_rich_text, property_field, split_list

    meta: dict = {}
    for name, prop in (page.get("properties") or {}).items():
        kind = prop.get("type")
        value = prop.get(kind)
        if kind == "title":
            meta["title"] = notion_rich_text(value or []).strip()
            continue
        key = property_field(name)
        if key is None or key in meta or value in (None, "", []):
            continue
        if kind == "date":
            text = (value or {}).get("start") or ""
            parsed = text[:10]
        elif kind in ("select", "status"):
            parsed = value.get("name", "")
        elif kind == "multi_select":
            parsed = [o.get("name", "") for o in value if o.get("name")]
        elif kind == "rich_text":
            parsed = "".join(t.get("plain_text", "") for t in value).strip()
        elif kind in ("created_time", "last_edited_time"):
            parsed = value[:10]
        else:
            continue
        if key == "services":
            parsed = split_list(parsed) if isinstance(parsed, str) else parsed
        elif isinstance(parsed, list):
            parsed = ", ".join(parsed)
        if parsed:
            meta[key] = parsed
    return meta


def _parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.min.replace(tzinfo=timezone.utc)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _recheck_from(since: str | None) -> datetime | None:
    return _parse_time(since) - RECHECK_WINDOW if since else None


def describe_error(exc: BaseException) -> str | None:
    """One line for a Notion failure that ended a sync (never the token)."""
    import sys

    if "notion_client" not in sys.modules:  # no Notion source ran in this process
        return None
    import httpx
    from notion_client.errors import HTTPResponseError, RequestTimeoutError

    if isinstance(exc, HTTPResponseError):
        if exc.status == 401:
            return "Notion rejected $NOTION_TOKEN (401 unauthorized): check the integration token"
        if exc.status in (403, 404):
            return (
                f"Notion: {exc} ({exc.status}). Is the database id right, and is the database "
                "shared with the integration (Connections menu)?"
            )
        return f"Notion API error {exc.status} ({exc.code}) after retries: {exc}"
    if isinstance(exc, (RequestTimeoutError, httpx.TransportError)):
        return f"Notion API unreachable after retries: {describe(exc)}"
    return None


def build(database: str, tag: str = "postmortem", tag_property: str | None = None) -> NotionDatabase:
    token = registry.token("NOTION_TOKEN", required=False)
    if not token:
        raise ExtractorConfigError("--source notion needs $NOTION_TOKEN (an internal integration token)")
    return NotionDatabase(
        token, database, tag=tag, tag_property=tag_property, base_url=registry.api_url("NOTION_API_URL")
    )


CONNECTOR = registry.Connector(
    name="notion",
    options=(
        registry.Option("database", "the database id or URL (token: $NOTION_TOKEN)", required=True),
        registry.Option("tag", "the select/multi-select option marking post-mortems (default: postmortem)"),
        registry.Option("tag_property", "the property holding that option (default: found by name)", cli=False),
    ),
    build=build,
    describe_error=describe_error,
    secrets=("NOTION_TOKEN",),
    label_keys=("database",),
)
