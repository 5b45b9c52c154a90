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
from urllib.parse import urlparse

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

# atlassian-python-api, requests and the renderer (bs4) load when a Confluence source is
# built, not with the registry.

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
        digest = "cql-" + hashlib.sha1(self.cql.encode()).hexdigest()[:10]
        # Identity: the site and what is searched there (the default search of a space is
        # named by the space), never the configured `name`.
        site = urlparse(root)
        what = space if space and not cql and label == "postmortem" else "/".join(filter(None, [space, digest]))
        self.source = f"confluence:{site.netloc}{site.path}/{what}"
        # Earlier versions keyed a source by its name, else its space, else the CQL digest.
        self.legacy_sources = tuple(dict.fromkeys(f"confluence:{i}" for i in (name, space or digest) if i))
        self.label = f"confluence:{name or space or digest}"
        self.policy = policy
        auth = {"username": user, "password": token} if user else {"token": token}
        # The library's own 429 handling is off so one retry policy (ours) decides.
        from atlassian import Confluence

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
        # A page deleted (or whose permissions changed) between the search and its read is
        # deleted here.
        return fetch_each(
            todo,
            self._page,
            ident=lambda item: item[0],
            classify=transient,
            policy=self.policy,
            source=self.source,
            not_found=_not_found,
            present=present,
            deleted=deleted,
        )

    def _page(self, item: tuple[str, dict, str]) -> RawDocument:
        from pipeline.ingest.extractors.render import confluence_to_markdown

        cid, hit, base = item
        page = self._read(cid, hit.get("type", "page"))
        try:
            storage = page["body"]["storage"]["value"]
        except (KeyError, TypeError):
            raise MalformedResponse(f"Confluence page {cid}: no body.storage in the response") from None
        title = page.get("title") or hit.get("title", "")
        markdown, props = confluence_to_markdown(storage)
        meta = page_meta(title, props)
        webui = (hit.get("_links") or {}).get("webui") or (page.get("_links") or {}).get("webui") or ""
        return RawDocument(
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


def _not_found(exc: BaseException) -> bool:
    import requests

    response = getattr(exc, "response", None)
    return isinstance(exc, requests.HTTPError) and response is not None and response.status_code == 404


def transient(exc: BaseException) -> Transient | None:
    import requests

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
    from pipeline.ingest.extractors.render import property_field, split_list

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
    import sys

    if "atlassian" not in sys.modules:  # no Confluence source ran in this process
        return None
    import requests

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


def build(space=None, cql=None, label="postmortem", cloud=None, name=None) -> ConfluencePages:
    import os

    url = registry.api_url("CONFLUENCE_URL")
    token = registry.token("CONFLUENCE_TOKEN", required=False)
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
        user=(os.environ.get("CONFLUENCE_USER") or "").strip() or None,
        token=token,
        cloud=bool(cloud),
        name=name,
    )


CONNECTOR = registry.Connector(
    name="confluence",
    options=(
        registry.Option("space", "space key ($CONFLUENCE_URL, $CONFLUENCE_USER, $CONFLUENCE_TOKEN)"),
        registry.Option("cql", "CQL query (default: label = postmortem in --space)"),
        registry.Option("label", "the page label marking post-mortems (default: postmortem)", cli=False),
        registry.Option("cloud", "Confluence Cloud (default: guessed from the URL)", bool, cli=False),
    ),
    build=build,
    describe_error=describe_error,
    secrets=("CONFLUENCE_TOKEN",),
    one_of=("space", "cql"),
)
