"""Confluence pages found by CQL (atlassian-python-api, `cloud=` passed explicitly).

One sync: a CQL search on v1 `rest/api/search` (by default `space = KEY AND label =
postmortem AND type = page`), paginated, with `content.version` expanded. That listing carries
every matching page's id and version number without its body, so it is the set of pages
present upstream (pages deleted, trashed, archived or unlabelled drop out of it and are marked
deleted locally) and tells which pages changed. Only those are read in storage format: REST v2
`pages/{id}?body-format=storage` on Cloud, v1 `content/{id}?expand=body.storage,version` on
Server/Data Center; the XHTML becomes markdown for the parser."""

from __future__ import annotations

import hashlib
import re
from typing import Iterator

import requests
from atlassian import Confluence

from pipeline.ingest.extractors.base import FetchError, Listing, RawDocument
from pipeline.ingest.extractors.factory import ExtractorConfigError
from pipeline.ingest.extractors.render import confluence_to_markdown, property_field, split_list
from pipeline.ingest.extractors.retry import (
    FailureStreak,
    MalformedResponse,
    RetryPolicy,
    Transient,
    call_with_retry,
    describe,
    parse_retry_after,
)

PAGE_SIZE = 50


class ConfluencePages:
    def __init__(
        self,
        url: str,
        *,
        space: str | None = None,
        cql: str | None = None,
        label: str = "postmortem",
        user: str | None = None,
        token: str | None = None,
        cloud: bool,
        name: str | None = None,
        policy: RetryPolicy = RetryPolicy(),
        timeout: int = 30,
    ):
        if not space and not cql:
            raise ExtractorConfigError("a Confluence source needs a space key or a CQL query")
        self.cloud = cloud
        root = url.rstrip("/")
        # Cloud REST lives under /wiki on the site; Server/DC under its context path (the URL).
        if cloud and not root.endswith("/wiki"):
            root += "/wiki"
        self.root = root
        self.cql = build_cql(space, cql, label)
        ident = name or space or "cql-" + hashlib.sha1(self.cql.encode()).hexdigest()[:10]
        self.source = f"confluence:{ident}"
        self.policy = policy
        auth = {"username": user, "password": token} if user else {"token": token}
        # The library's own 429 handling is off so one retry policy (ours) decides.
        self.client = Confluence(
            url.rstrip("/"),
            cloud=cloud,
            timeout=timeout,
            retry_with_header=False,
            backoff_and_retry=False,
            **auth,
        )

    def _get(self, url: str, params: dict | None = None) -> dict:
        def once():
            data = self.client.get(url, params=params, absolute=True)
            if not isinstance(data, dict):
                # The client hands back the raw text when a body isn't JSON.
                raise MalformedResponse(f"Confluence GET {url.split('?')[0]}: response is not a JSON object")
            return data

        return call_with_retry(once, transient, self.policy)

    def _search(self) -> Iterator[tuple[dict, str]]:
        """(content, web base URL) for every search hit, following `_links.next`."""
        url = f"{self.root}/rest/api/search"
        params: dict | None = {"cql": self.cql, "limit": PAGE_SIZE, "expand": "content.version"}
        while url:
            data = self._get(url, params)
            links = data.get("_links") or {}
            base = links.get("base") or self.root
            for hit in data.get("results") or []:
                if hit.get("content"):
                    yield hit["content"], base
            nxt = links.get("next")
            # `next` is relative to the REST root's site context (e.g. "/rest/api/search?..").
            url, params = (f"{self.root}/{nxt.lstrip('/')}" if nxt else ""), None

    def listing(self, known_versions: dict[str, str]) -> Listing:
        hits: dict[str, tuple[dict, str]] = {}
        for content, base in self._search():
            if content.get("type") in ("page", "blogpost") and content.get("status", "current") == "current":
                hits.setdefault(str(content["id"]), (content, base))
        todo = [
            (cid, content, base)
            for cid, (content, base) in hits.items()
            if not _version(content) or known_versions.get(cid) != _version(content)
        ]
        present = set(hits)
        deleted: set[str] = set()
        return Listing(
            source=self.source,
            documents=self._documents(todo, present, deleted),
            present=present,
            total=len(todo),
            deleted=deleted,
        )

    def _read(self, cid: str, kind: str) -> dict:
        if self.cloud:
            path = "pages" if kind == "page" else "blogposts"
            return self._get(f"{self.root}/api/v2/{path}/{cid}", {"body-format": "storage"})
        return self._get(f"{self.root}/rest/api/content/{cid}", {"expand": "body.storage,version"})

    def _documents(self, todo, present: set[str], deleted: set[str]):
        streak = FailureStreak(self.policy, self.source)
        for cid, hit, base in todo:
            try:
                page = self._read(cid, hit.get("type", "page"))
                storage = page["body"]["storage"]["value"]
            except Exception as exc:  # one bad page is an error; the sync goes on
                response = getattr(exc, "response", None)
                if isinstance(exc, requests.HTTPError) and response is not None and response.status_code == 404:
                    # Deleted (or its permission changed) between the search and this read.
                    present.discard(cid)
                    deleted.add(cid)
                    continue
                streak.failed(exc, transient(exc) is not None)
                yield FetchError(cid, describe(exc))
                continue
            streak.ok()
            title = page.get("title") or hit.get("title", "")
            markdown, props = confluence_to_markdown(storage)
            meta = page_meta(title, props)
            webui = ((hit.get("_links") or {}).get("webui") or (page.get("_links") or {}).get("webui") or "")
            yield RawDocument(
                source_id=cid,
                url=base.rstrip("/") + webui if webui else base,
                body=f"# {title}\n\n{markdown}" if title else markdown,
                version=_version(page) or _version(hit),
                meta=meta,
            )


def build_cql(space: str | None, cql: str | None, label: str = "postmortem") -> str:
    parts = []
    if space:
        parts.append(f'space = "{_cql_quote(space)}"')
    if cql:
        parts.append(f"({cql})" if space else cql)
    else:
        parts += [f'label = "{_cql_quote(label)}"', "type = page"]
    return " AND ".join(parts)


def _cql_quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _version(content: dict) -> str:
    number = (content.get("version") or {}).get("number")
    return str(number) if number is not None else ""


def transient(exc: BaseException) -> Transient | None:
    if isinstance(exc, requests.HTTPError):
        response = exc.response
        if response is None:
            return None
        if response.status_code == 429:
            return Transient(parse_retry_after(response.headers.get("Retry-After")))
        return Transient() if response.status_code >= 500 else None
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        return Transient()
    return None


def page_meta(title: str, props: dict[str, str]) -> dict:
    """Title plus the Page Properties rows that name a record field."""
    meta: dict = {"title": title} if title else {}
    for name, value in props.items():
        key = property_field(name)
        if key and key not in meta:
            meta[key] = split_list(value) if key == "services" else value
    if "date" in meta:
        found = re.search(r"\d{4}-\d{2}-\d{2}", meta["date"])
        if found:
            meta["date"] = found.group(0)
    return meta


def describe_error(exc: BaseException) -> str | None:
    """One line for a Confluence failure that ended a sync (never the credentials)."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        if status == 401:
            return "Confluence rejected $CONFLUENCE_USER / $CONFLUENCE_TOKEN (401 unauthorized)"
        if status == 403:
            return f"Confluence: the account may not read this space (403): {detail}"
        if status == 400:
            return f"Confluence rejected the search (400), check --cql / --space: {detail}"
        return f"Confluence API error {status} after retries: {detail}"
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return f"Confluence unreachable after retries ($CONFLUENCE_URL): {describe(exc)}"
    return None
