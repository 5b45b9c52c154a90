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

import httpx
from notion_client import Client
from notion_client.errors import APIErrorCode, HTTPResponseError, RequestTimeoutError
from notion_client.helpers import extract_database_id, iterate_paginated_api

from pipeline.ingest.extractors.base import FetchError, Listing, RawDocument
from pipeline.ingest.extractors.factory import ExtractorConfigError
from pipeline.ingest.extractors.render import notion_blocks_to_markdown, notion_rich_text, property_field, split_list
from pipeline.ingest.extractors.retry import (
    FailureStreak,
    MalformedResponse,
    RetryPolicy,
    Transient,
    call_with_retry,
    describe,
    parse_retry_after,
)

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
        database_id = extract_database_id(database)
        if not database_id:
            raise ExtractorConfigError(f"not a Notion database id or URL: {database!r}")
        self.database_id = database_id
        self.source = f"notion:{database_id}"
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
        streak = FailureStreak(self.policy, self.source)
        for page in pages:
            pid = page["id"]
            try:
                blocks = self._children(pid, depth=0)
            except Exception as exc:  # one bad page is an error; the sync goes on
                if isinstance(exc, HTTPResponseError) and exc.code == APIErrorCode.ObjectNotFound:
                    # Deleted (or unshared) between the listing and this read. Were it only a
                    # nested block removed mid-read, the page is listed again next sync and,
                    # no longer stored as live, read again.
                    present.discard(pid)
                    deleted.add(pid)
                    continue
                streak.failed(exc, transient(exc) is not None)
                yield FetchError(pid, describe(exc))
                continue
            streak.ok()
            meta = page_meta(page)
            body = notion_blocks_to_markdown(blocks)
            if meta.get("title"):
                body = f"# {meta['title']}\n\n{body}"
            yield RawDocument(
                source_id=pid,
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


def transient(exc: BaseException) -> Transient | None:
    if isinstance(exc, HTTPResponseError):
        if exc.status == 429:
            return Transient(parse_retry_after(exc.headers.get("retry-after")))
        return Transient() if exc.status >= 500 else None
    if isinstance(exc, (RequestTimeoutError, httpx.TransportError)):
        return Transient()
    return None


def page_meta(page: dict) -> dict:
    """Page properties -> RawDocument.meta (title, date, services, severity, category)."""
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
