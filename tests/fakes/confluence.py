"""A fake Confluence (Cloud and Server/DC flavours on one port) serving sample post-mortems.

Cloud paths live under `/wiki`: v1 `rest/api/search` (CQL, cursor pagination) and v2
`api/v2/pages/{id}?body-format=storage`. Server/DC paths sit at the root: `rest/api/search`
(start/limit pagination) and `rest/api/content/{id}?expand=body.storage,version`. Page bodies
are the sample markdown turned into storage XHTML the way Confluence stores it: a Page
Properties ("details") macro with date/services/severity/category, code macros with CDATA, an
expand macro around the timeline, note panels for quotes, task lists for "- [ ]" items."""

from __future__ import annotations

import base64
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode

from aiohttp import web
from bs4 import BeautifulSoup, CData

from tests.fakes.samples import SamplePage, markdown
from tests.fakes.server import FakeServer


@dataclass
class Page:
    id: str
    space: str
    title: str
    body: str  # markdown
    props: dict
    labels: list[str] = field(default_factory=lambda: ["postmortem"])
    version: int = 1
    status: str = "current"
    when: str = "2024-01-01T09:00:00.000Z"


class FakeConfluence(FakeServer):
    def __init__(
        self,
        pages: list[SamplePage] = (),
        *,
        space: str = "OPS",
        user: str = "bot@example.com",
        token: str = "fake-confluence-api-token",
        page_size: int = 5,
    ):
        super().__init__()
        self.space = space
        self.user = user
        self.token = token
        self.page_size = page_size
        # Confluence Cloud answers a search the account may no longer run with 200 and no
        # results, not an error.
        self.no_access = False
        self.pages: dict[str, Page] = {}
        self.reads: Counter = Counter()  # page id -> times its body was served
        self._next_id = 100001
        for sample in pages:
            self.add_page(sample)

    # -- content -------------------------------------------------------------------------------

    def add_page(self, sample: SamplePage, *, space: str | None = None, labels=("postmortem",)) -> str:
        pid = str(self._next_id)
        self._next_id += 1
        self.pages[pid] = Page(pid, space or self.space, sample.title, sample.body, dict(sample.props), list(labels))
        return pid

    def edit_page(self, pid: str, body: str | None = None) -> None:
        page = self.pages[pid]
        page.body = body if body is not None else page.body + "\n- [ ] Edited: one more action item.\n"
        page.version += 1
        page.when = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def trash_page(self, pid: str) -> None:
        self.pages[pid].status = "trashed"

    def unlabel_page(self, pid: str) -> None:
        self.pages[pid].labels = []
        self.pages[pid].version += 1

    def delete_page(self, pid: str) -> None:
        del self.pages[pid]

    def storage(self, page: Page) -> str:
        return storage_from_markdown(page.body, page.props)

    # -- HTTP ----------------------------------------------------------------------------------

    def error(self, status: int, message: str) -> web.Response:
        return web.json_response({"statusCode": status, "data": {"authorized": status != 401}, "message": message}, status=status)

    def routes(self):
        return [
            web.get("/wiki/rest/api/search", self._checked(self.search)),
            web.get("/rest/api/search", self._checked(self.search)),
            web.get("/wiki/api/v2/pages/{id}", self._checked(self.v2_page)),
            web.get("/wiki/rest/api/content/{id}", self._checked(self.v1_content)),
            web.get("/rest/api/content/{id}", self._checked(self.v1_content)),
        ]

    def _checked(self, handler):
        basic = "Basic " + base64.b64encode(f"{self.user}:{self.token}".encode()).decode()

        async def wrapped(request: web.Request):
            if request.headers.get("Authorization") not in (basic, f"Bearer {self.token}"):
                return self.error(401, "Client must be authenticated to access this resource.")
            return await handler(request)

        return wrapped

    def _base(self, request: web.Request) -> str:
        return f"http://127.0.0.1:{self.port}" + ("/wiki" if request.path.startswith("/wiki") else "")

    def _webui(self, page: Page) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "+", page.title).strip("+")
        return f"/spaces/{page.space}/pages/{page.id}/{slug}"

    def _content(self, page: Page, expand: set[str], storage: bool) -> dict:
        out = {
            "id": page.id,
            "type": "page",
            "status": page.status,
            "title": page.title,
            "space": {"key": page.space},
            "_links": {"webui": self._webui(page), "self": f"/rest/api/content/{page.id}"},
            "_expandable": {"version": "", "body": ""},
        }
        if "version" in expand or "content.version" in expand:
            out["version"] = {"number": page.version, "when": page.when}
        if storage:
            out["body"] = {"storage": {"value": self.storage(page), "representation": "storage"}}
        return out

    async def search(self, request: web.Request):
        q = request.query
        try:
            match = cql_matcher(q.get("cql", ""))
        except ValueError as exc:
            return self.error(400, f"Could not parse cql : {exc}")
        hits = [p for p in self.pages.values() if p.status == "current" and match(p) and not self.no_access]
        cloud = request.path.startswith("/wiki")
        start = int(q.get("cursor" if cloud else "start", 0) or 0)
        limit = min(int(q.get("limit", 25)), self.page_size)
        chunk = hits[start : start + limit]
        expand = set(q.get("expand", "").split(","))
        links = {"base": self._base(request), "context": "/wiki" if cloud else ""}
        if start + limit < len(hits):
            rest = {k: v for k, v in q.items() if k not in ("cursor", "start", "next")}
            rest.update({"next": "true", "cursor": start + limit} if cloud else {"start": start + limit})
            links["next"] = "/rest/api/search?" + urlencode(rest)
        results = [
            {
                "content": self._content(p, expand, storage=False),
                "title": p.title,
                "excerpt": "",
                "url": self._webui(p),
                "entityType": "content",
                "lastModified": p.when,
            }
            for p in chunk
        ]
        return web.json_response({"results": results, "start": start, "limit": limit, "size": len(chunk), "totalSize": len(hits), "_links": links})

    def _live(self, pid: str) -> Page | None:
        page = self.pages.get(pid)
        return page if page is not None and page.status == "current" else None

    async def v2_page(self, request: web.Request):
        page = self._live(request.match_info["id"])
        if page is None:
            return web.json_response({"errors": [{"status": 404, "code": "NOT_FOUND", "title": "Not Found"}]}, status=404)
        body = {}
        self.reads[page.id] += 1
        if request.query.get("body-format") == "storage":
            body = {"storage": {"value": self.storage(page), "representation": "storage"}}
        return web.json_response(
            {
                "id": page.id,
                "status": page.status,
                "title": page.title,
                "spaceId": "98305",
                "version": {"number": page.version, "createdAt": page.when, "message": "", "minorEdit": False},
                "body": body,
                "_links": {"webui": self._webui(page), "editui": f"/pages/resumedraft.action?draftId={page.id}", "tinyui": f"/x/{page.id}"},
            }
        )

    async def v1_content(self, request: web.Request):
        page = self._live(request.match_info["id"])
        if page is None:
            return self.error(404, f"No content found with id : ContentId{{id={request.match_info['id']}}}")
        expand = set(request.query.get("expand", "").split(","))
        self.reads[page.id] += 1
        return web.json_response(self._content(page, expand, storage="body.storage" in expand))


# -- CQL (the subset the connector and tests use) ---------------------------------------------

_CLAUSE = re.compile(r'^\s*(\w+)\s*(=|!=|~)\s*("((?:[^"\\]|\\.)*)"|[\w.-]+)\s*$')


def cql_matcher(cql: str):
    clauses = []
    for part in re.split(r"\s+AND\s+", cql.strip(), flags=re.I):
        part = part.strip()
        while part.startswith("(") and part.endswith(")"):
            part = part[1:-1].strip()
        m = _CLAUSE.match(part)
        if not m:
            raise ValueError(part)
        field_, op, raw, quoted = m.groups()
        value = quoted.replace('\\"', '"') if quoted is not None else raw
        if field_ not in ("space", "label", "type", "title"):
            raise ValueError(f"unknown field {field_}")
        clauses.append((field_, op, value))

    def match(page: Page) -> bool:
        for field_, op, value in clauses:
            actual = {"space": [page.space], "label": page.labels, "type": ["page"], "title": [page.title]}[field_]
            hit = any(value.lower() in a.lower() for a in actual) if op == "~" else value in actual
            if hit == (op == "!="):
                return False
        return True

    return match


# -- markdown -> storage XHTML ----------------------------------------------------------------


def storage_from_markdown(body: str, props: dict) -> str:
    soup = BeautifulSoup(markdown().render(body), "html.parser")

    def macro(name: str, params: dict | None = None) -> "BeautifulSoup":
        m = soup.new_tag("ac:structured-macro", attrs={"ac:name": name, "ac:schema-version": "1"})
        for k, v in (params or {}).items():
            p = soup.new_tag("ac:parameter", attrs={"ac:name": k})
            p.string = v
            m.append(p)
        return m

    for pre in soup.find_all("pre"):
        code = pre.find("code")
        lang = next((c[len("language-") :] for c in (code.get("class") or []) if c.startswith("language-")), "") if code else ""
        m = macro("code", {"language": lang} if lang else {})
        plain = soup.new_tag("ac:plain-text-body")
        plain.append(CData(pre.get_text().rstrip("\n")))
        m.append(plain)
        pre.replace_with(m)

    for quote in soup.find_all("blockquote"):
        m = macro("note", {"title": "Note"})
        rich = soup.new_tag("ac:rich-text-body")
        for child in list(quote.children):
            rich.append(child.extract())
        m.append(rich)
        quote.replace_with(m)

    for ul in soup.find_all("ul"):
        items = ul.find_all("li", recursive=False)
        if items and all(re.match(r"\s*\[( |x|X)\] ", li.get_text()) for li in items):
            tasks = soup.new_tag("ac:task-list")
            for n, li in enumerate(items, 1):
                done = re.match(r"\s*\[(x|X)\] ", li.get_text()) is not None
                task = soup.new_tag("ac:task")
                for tag, text in (("ac:task-id", str(n)), ("ac:task-status", "complete" if done else "incomplete")):
                    t = soup.new_tag(tag)
                    t.string = text
                    task.append(t)
                tb = soup.new_tag("ac:task-body")
                first = li.find(string=re.compile(r"\[( |x|X)\] "))
                first.replace_with(re.sub(r"^\s*\[( |x|X)\] ", "", str(first)))
                for child in list(li.children):
                    tb.append(child.extract())
                task.append(tb)
                tasks.append(task)
            ul.replace_with(tasks)

    # The timeline section folds into an expand macro, as teams do with long timelines.
    for h2 in soup.find_all("h2"):
        if "timeline" not in h2.get_text().lower():
            continue
        m = macro("expand", {"title": "Show timeline"})
        rich = soup.new_tag("ac:rich-text-body")
        sib = h2.next_sibling
        while sib is not None and not (getattr(sib, "name", None) in ("h1", "h2")):
            nxt = sib.next_sibling
            rich.append(sib.extract())
            sib = nxt
        m.append(rich)
        h2.insert_after(m)

    if props:
        details = macro("details")
        rich = soup.new_tag("ac:rich-text-body")
        table = soup.new_tag("table")
        tbody = soup.new_tag("tbody")
        names = {"date": "Incident date", "services": "Services affected", "severity": "Severity", "category": "Category"}
        for key, label in names.items():
            if not props.get(key):
                continue
            tr = soup.new_tag("tr")
            th, td = soup.new_tag("th"), soup.new_tag("td")
            th.string = label
            value = props[key]
            if key == "date":
                t = soup.new_tag("time", attrs={"datetime": value})
                td.append(t)
            else:
                td.string = ", ".join(value) if isinstance(value, list) else value
            tr.extend([th, td])
            tbody.append(tr)
        table.append(tbody)
        rich.append(table)
        details.append(rich)
        soup.insert(0, details)
    return str(soup)
