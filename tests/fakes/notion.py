"""A fake Notion API (version 2025-09-03) serving one database of sample post-mortems.

Speaks what notion-client 3.1 sends: `GET /v1/databases/{id}`, `GET /v1/data_sources/{id}`,
`POST /v1/data_sources/{id}/query` (tag filter, cursor pagination), `GET
/v1/blocks/{id}/children` (cursor pagination, nested blocks). Pages are the sample corpus
markdown turned into Notion blocks (headings, toggleable "Timeline" headings with children,
nested lists, to-dos, quotes, code, tables, dividers); small page sizes force pagination.
Like Notion, `last_edited_time` is truncated to the minute and trashed pages leave queries."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from aiohttp import web
from markdown_it.tree import SyntaxTreeNode

from tests.fakes.samples import SamplePage, markdown
from tests.fakes.server import FakeServer

NOTION_VERSION = "2025-09-03"
TEXT_LIMIT = 2000  # Notion's limit on one rich text item's content


@dataclass
class Page:
    id: str
    title: str
    body: str
    props: dict
    tags: list[str]
    last_edited_time: str
    in_trash: bool = False
    created_time: str = "2024-01-01T00:00:00.000Z"
    top: list[str] = field(default_factory=list)  # top-level block ids


def notion_time(dt: datetime | None = None) -> str:
    dt = (dt or datetime.now(timezone.utc)).replace(second=0, microsecond=0)
    return dt.strftime("%Y-%m-%dT%H:%M:00.000Z")


class FakeNotion(FakeServer):
    def __init__(
        self,
        pages: list[SamplePage] = (),
        *,
        token: str = "secret_fake_notion_token",
        tag: str = "postmortem",
        tag_kind: str = "multi_select",
        page_size: int = 4,
        block_page_size: int = 8,
    ):
        super().__init__()
        self.token = token
        self.tag = tag
        self.tag_kind = tag_kind
        self.page_size = page_size
        self.block_page_size = block_page_size
        self.database_id = str(uuid.uuid4())
        self.data_source_id = str(uuid.uuid4())
        self.pages: dict[str, Page] = {}
        self.blocks: dict[str, dict] = {}
        self.children: dict[str, list[str]] = {}
        self.reads: Counter = Counter()  # page id -> times its content was read (served)
        for sample in pages:
            self.add_page(sample)

    # -- content -------------------------------------------------------------------------------

    def add_page(self, sample: SamplePage, tags: tuple[str, ...] | None = None, edited: str | None = None) -> str:
        pid = str(uuid.uuid4())
        date = sample.props.get("date", "")
        edited = edited or (f"{date}T09:00:00.000Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else "2024-01-01T09:00:00.000Z")
        page = Page(pid, sample.title, sample.body, dict(sample.props), list(tags or (self.tag,)), edited)
        self.pages[pid] = page
        self._build_blocks(page)
        return pid

    def add_block_page(self, title: str, blocks: list[dict], props: dict | None = None) -> str:
        """A page made of the given blocks (nested `children` lists), for what sample markdown
        never produces: toggles holding several blocks, callouts with an emoji icon."""
        pid = str(uuid.uuid4())
        self.pages[pid] = Page(pid, title, "", dict(props or {}), [self.tag], "2025-01-01T09:00:00.000Z")
        self.children[pid] = [self._store(b, pid) for b in blocks]
        return pid

    def edit_page(self, pid: str, body: str | None = None, *, keep_time: bool = False) -> None:
        """Change a page's content. keep_time: the edit lands in the same minute as the
        previous one, so Notion's minute-truncated last_edited_time does not move."""
        page = self.pages[pid]
        self._drop_blocks(pid)
        page.body = body if body is not None else page.body + "\nEdited: one more action item.\n"
        if not keep_time:
            page.last_edited_time = notion_time()
        self._build_blocks(page)

    def set_edited(self, pid: str, when: str) -> None:
        self.pages[pid].last_edited_time = when

    def trash_page(self, pid: str) -> None:
        self.pages[pid].in_trash = True
        self.pages[pid].last_edited_time = notion_time()

    def untag_page(self, pid: str) -> None:
        self.pages[pid].tags = []
        self.pages[pid].last_edited_time = notion_time()

    def delete_page(self, pid: str) -> None:
        """Gone for good: the id answers 404 from now on."""
        self._drop_blocks(pid)
        del self.pages[pid]

    def _drop_blocks(self, parent: str) -> None:
        for bid in self.children.pop(parent, []):
            self._drop_blocks(bid)
            self.blocks.pop(bid, None)

    def _build_blocks(self, page: Page) -> None:
        tree = SyntaxTreeNode(markdown().parse(page.body))
        top = blocks_from_markdown(tree.children)
        self.children[page.id] = [self._store(b, page.id) for b in top]

    def _store(self, block: dict, parent: str) -> str:
        bid = str(uuid.uuid4())
        kids = block.pop("children", [])
        block.update(
            object="block",
            id=bid,
            parent={"type": "page_id", "page_id": parent},
            created_time="2024-01-01T00:00:00.000Z",
            last_edited_time="2024-01-01T00:00:00.000Z",
            has_children=bool(kids),
            archived=False,
            in_trash=False,
        )
        self.blocks[bid] = block
        self.children[bid] = [self._store(k, bid) for k in kids]
        return bid

    # -- API objects ---------------------------------------------------------------------------

    def page_object(self, page: Page) -> dict:
        props = {
            "Name": {"id": "title", "type": "title", "title": rich_text_plain(page.title)},
            "Tags": self._tag_value(page),
            "Services": {
                "id": "svc",
                "type": "multi_select",
                "multi_select": [{"id": s, "name": s, "color": "default"} for s in page.props.get("services", [])],
            },
            "Date": {
                "id": "date",
                "type": "date",
                "date": {"start": page.props["date"], "end": None, "time_zone": None} if page.props.get("date") else None,
            },
            "Severity": _select("sev", page.props.get("severity")),
            "Category": _select("cat", page.props.get("category")),
        }
        slug = re.sub(r"[^A-Za-z0-9]+", "-", page.title).strip("-")
        return {
            "object": "page",
            "id": page.id,
            "created_time": page.created_time,
            "last_edited_time": page.last_edited_time,
            "in_trash": page.in_trash,
            "is_archived": False,
            "url": f"https://www.notion.so/{slug}-{page.id.replace('-', '')}",
            "public_url": None,
            "parent": {"type": "data_source_id", "data_source_id": self.data_source_id, "database_id": self.database_id},
            "properties": props,
        }

    def _tag_value(self, page: Page) -> dict:
        if self.tag_kind == "select":
            return _select("tags", page.tags[0] if page.tags else None)
        return {"id": "tags", "type": "multi_select", "multi_select": [{"id": t, "name": t, "color": "red"} for t in page.tags]}

    def schema(self) -> dict:
        tag_options = {"options": [{"id": t, "name": t, "color": "red"} for t in (self.tag, "runbook")]}
        return {
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "Tags": {"id": "tags", "name": "Tags", "type": self.tag_kind, self.tag_kind: tag_options},
            "Services": {"id": "svc", "name": "Services", "type": "multi_select", "multi_select": {"options": []}},
            "Date": {"id": "date", "name": "Date", "type": "date", "date": {}},
            "Severity": {"id": "sev", "name": "Severity", "type": "select", "select": {"options": []}},
            "Category": {"id": "cat", "name": "Category", "type": "select", "select": {"options": []}},
        }

    # -- HTTP ----------------------------------------------------------------------------------

    def error(self, status: int, message: str, code: str | None = None) -> web.Response:
        code = code or {
            400: "validation_error",
            401: "unauthorized",
            404: "object_not_found",
            429: "rate_limited",
            500: "internal_server_error",
            503: "service_unavailable",
        }.get(status, "internal_server_error")
        body = {"object": "error", "status": status, "code": code, "message": message, "request_id": str(uuid.uuid4())}
        return web.json_response(body, status=status)

    def routes(self):
        return [
            web.get("/v1/databases/{id}", self._checked(self.get_database)),
            web.get("/v1/data_sources/{id}", self._checked(self.get_data_source)),
            web.post("/v1/data_sources/{id}/query", self._checked(self.query)),
            web.get("/v1/blocks/{id}/children", self._checked(self.children_list)),
        ]

    def _checked(self, handler):
        async def wrapped(request: web.Request):
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return self.error(401, "API token is invalid.")
            if request.headers.get("Notion-Version") != NOTION_VERSION:
                return self.error(400, f"Notion-Version must be {NOTION_VERSION}.", "missing_version")
            return await handler(request)

        return wrapped

    async def get_database(self, request):
        if request.match_info["id"] != self.database_id:
            return self.error(404, "Could not find database.")
        return web.json_response(
            {
                "object": "database",
                "id": self.database_id,
                "title": rich_text_plain("Post-mortems"),
                "data_sources": [{"id": self.data_source_id, "name": "Post-mortems"}],
                "in_trash": False,
            }
        )

    async def get_data_source(self, request):
        if request.match_info["id"] != self.data_source_id:
            return self.error(404, "Could not find data source.")
        return web.json_response({"object": "data_source", "id": self.data_source_id, "properties": self.schema()})

    async def query(self, request):
        if request.match_info["id"] != self.data_source_id:
            return self.error(404, "Could not find data source.")
        body = await request.json()
        filt = body.get("filter")
        pages = [p for p in self.pages.values() if not p.in_trash]
        if filt:
            kind = "multi_select" if "multi_select" in filt else "select" if "select" in filt else None
            if filt.get("property") != "Tags" or kind != self.tag_kind:
                return self.error(400, f"Could not apply filter {filt!r} to this data source.")
            op = filt[kind]
            wanted = op.get("contains", op.get("equals"))
            pages = [p for p in pages if wanted in p.tags]
        return self._paged(request, body.get("start_cursor"), body.get("page_size"), [self.page_object(p) for p in pages], self.page_size, "page_or_data_source")

    async def children_list(self, request):
        bid = request.match_info["id"]
        if bid not in self.children:
            return self.error(404, f"Could not find block with ID: {bid}.")
        results = [self.blocks[c] for c in self.children[bid]]
        q = request.query
        if bid in self.pages and not q.get("start_cursor"):
            self.reads[bid] += 1
        return self._paged(request, q.get("start_cursor"), q.get("page_size"), results, self.block_page_size, "block")

    def _paged(self, request, cursor, size, results, cap, kind):
        start = int(cursor or 0)
        size = min(int(size or 100), cap)
        chunk = results[start : start + size]
        more = start + size < len(results)
        return web.json_response(
            {
                "object": "list",
                "results": chunk,
                "next_cursor": str(start + size) if more else None,
                "has_more": more,
                "type": kind,
                kind: {},
            }
        )


def _select(pid: str, name: str | None) -> dict:
    return {"id": pid, "type": "select", "select": {"id": name, "name": name, "color": "default"} if name else None}


# -- markdown -> Notion blocks ----------------------------------------------------------------


def rich_text_plain(text: str, **annotations) -> list[dict]:
    ann = {"bold": False, "italic": False, "strikethrough": False, "underline": False, "code": False, "color": "default"}
    ann.update(annotations)
    link = ann.pop("link", None)
    return [
        {
            "type": "text",
            "text": {"content": text[i : i + TEXT_LIMIT], "link": {"url": link} if link else None},
            "annotations": dict(ann),
            "plain_text": text[i : i + TEXT_LIMIT],
            "href": link,
        }
        for i in range(0, max(len(text), 1), TEXT_LIMIT)
        if text
    ]


def rich_text(inline: SyntaxTreeNode | None) -> list[dict]:
    out: list[dict] = []

    def walk(node, ann):
        for child in node.children:
            t = child.type
            if t == "text":
                out.extend(rich_text_plain(child.content, **ann))
            elif t in ("softbreak", "hardbreak"):
                out.extend(rich_text_plain("\n", **ann))
            elif t == "code_inline":
                out.extend(rich_text_plain(child.content, **{**ann, "code": True}))
            elif t == "strong":
                walk(child, {**ann, "bold": True})
            elif t == "em":
                walk(child, {**ann, "italic": True})
            elif t == "s":
                walk(child, {**ann, "strikethrough": True})
            elif t == "link":
                walk(child, {**ann, "link": child.attrs.get("href")})
            elif t in ("html_inline", "image"):
                out.extend(rich_text_plain(child.content, **ann))
            else:
                walk(child, ann)

    if inline is not None:
        walk(inline, {})
    return out


def _inline_of(node: SyntaxTreeNode) -> SyntaxTreeNode | None:
    return next((c for c in node.children if c.type == "inline"), None)


def blocks_from_markdown(nodes) -> list[dict]:
    blocks: list[dict] = []
    nodes = list(nodes)
    i = 0
    while i < len(nodes):
        node = nodes[i]
        t = node.type
        if t == "heading":
            level = min(int(node.tag[1]), 3)
            text = rich_text(_inline_of(node))
            block = {"type": f"heading_{level}", f"heading_{level}": {"rich_text": text, "is_toggleable": False, "color": "default"}}
            # Timelines sit in a toggleable heading: its section becomes the heading's children.
            if level == 2 and "timeline" in "".join(r["plain_text"] for r in text).lower():
                j = i + 1
                while j < len(nodes) and not (nodes[j].type == "heading" and int(nodes[j].tag[1]) <= 2):
                    j += 1
                block[f"heading_{level}"]["is_toggleable"] = True
                block["children"] = blocks_from_markdown(nodes[i + 1 : j])
                blocks.append(block)
                i = j
                continue
            blocks.append(block)
        elif t == "paragraph":
            blocks.append({"type": "paragraph", "paragraph": {"rich_text": rich_text(_inline_of(node)), "color": "default"}})
        elif t in ("bullet_list", "ordered_list"):
            for item in node.children:
                blocks.append(_list_item(item, "numbered_list_item" if t == "ordered_list" else "bulleted_list_item"))
        elif t in ("fence", "code_block"):
            lang = (node.info or "").strip().split(" ")[0] or "plain text"
            blocks.append({"type": "code", "code": {"rich_text": rich_text_plain(node.content.rstrip("\n")), "language": lang, "caption": []}})
        elif t == "blockquote":
            inner = blocks_from_markdown(node.children)
            first = inner.pop(0) if inner and inner[0]["type"] == "paragraph" else None
            text = first["paragraph"]["rich_text"] if first else []
            blocks.append({"type": "quote", "quote": {"rich_text": text, "color": "default"}, "children": inner})
        elif t == "table":
            rows = [tr for section in node.children for tr in section.children]
            width = max(len(tr.children) for tr in rows)
            blocks.append(
                {
                    "type": "table",
                    "table": {"table_width": width, "has_column_header": True, "has_row_header": False},
                    "children": [
                        {"type": "table_row", "table_row": {"cells": [rich_text(_inline_of(c)) for c in tr.children]}}
                        for tr in rows
                    ],
                }
            )
        elif t == "hr":
            blocks.append({"type": "divider", "divider": {}})
        elif t == "html_block":
            blocks.append({"type": "paragraph", "paragraph": {"rich_text": rich_text_plain(node.content.strip()), "color": "default"}})
        i += 1
    return blocks


def _list_item(item: SyntaxTreeNode, kind: str) -> dict:
    children = list(item.children)
    first = children.pop(0) if children and children[0].type == "paragraph" else None
    text = rich_text(_inline_of(first)) if first else []
    plain = "".join(r["plain_text"] for r in text)
    box = re.match(r"\[( |x|X)\] ", plain)
    nested = blocks_from_markdown(children)
    if box and kind == "bulleted_list_item":
        text[0] = {**text[0], "plain_text": text[0]["plain_text"][4:], "text": {**text[0]["text"], "content": text[0]["text"]["content"][4:]}}
        return {"type": "to_do", "to_do": {"rich_text": text, "checked": box.group(1) != " ", "color": "default"}, "children": nested}
    return {"type": kind, kind: {"rich_text": text, "color": "default"}, "children": nested}
