"""Rich documents -> markdown, so Notion and Confluence pages meet the same parser as files.

Notion: a page's block tree (each block carrying its fetched `children`) -> markdown.
Confluence: storage-format XHTML (macros, panels, tables, task lists, layouts) -> markdown,
read with BeautifulSoup, plus the key/value rows of any Page Properties ("details") macro,
which is where Confluence post-mortem templates keep date, severity and services."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, CData, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

# Page property names (Notion properties, Confluence Page Properties rows) -> RawDocument.meta
# keys. Lower-cased, punctuation-free names as people write them in templates.
FIELD_NAMES = {
    "date": ("date", "incident date", "date of incident", "started", "start date", "occurred", "when"),
    "services": (
        "services", "service", "services affected", "affected services", "service affected",
        "components", "affected components", "systems", "affected systems",
    ),
    "severity": ("severity", "sev", "incident severity", "priority", "impact level"),
    "category": ("category", "root cause category", "cause category", "incident category", "cause type"),
}
_FIELD_BY_NAME = {alias: key for key, aliases in FIELD_NAMES.items() for alias in aliases}
# A rule across the page (<hr>, a Notion divider). Not `---`: a page that opens and ends on one
# would read as a markdown file's front matter around the whole write-up.
THEMATIC_BREAK = "***"


def property_field(name: str) -> str | None:
    """The meta key a page property feeds ('Services affected' -> 'services'), or None."""
    return _FIELD_BY_NAME.get(re.sub(r"[^a-z0-9]+", " ", name.lower()).strip())


def split_list(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"[,;\n]", text) if s.strip()]


# -- Notion ------------------------------------------------------------------------------------


def notion_rich_text(items: list[dict]) -> str:
    out = []
    for item in items or []:
        kind = item.get("type")
        if kind == "equation":
            out.append(f"${item.get('equation', {}).get('expression', item.get('plain_text', ''))}$")
            continue
        text = item.get("plain_text")
        if text is None:
            text = item.get("text", {}).get("content", "")
        if not text:
            continue
        ann = item.get("annotations") or {}
        href = item.get("href") or ((item.get("text") or {}).get("link") or {}).get("url")
        # Markers must hug the text: keep surrounding spaces outside them.
        lead, core, trail = _split_space(text)
        if core:
            if ann.get("code"):
                core = f"`{core}`"
            if ann.get("bold"):
                core = f"**{core}**"
            if ann.get("italic"):
                core = f"*{core}*"
            if ann.get("strikethrough"):
                core = f"~~{core}~~"
            if href:
                core = f"[{core}]({href})"
        out.append(lead + core + trail)
    return "".join(out)


def _split_space(text: str) -> tuple[str, str, str]:
    core = text.strip()
    if not core:
        return text, "", ""
    start = text.index(core)
    return text[:start], core, text[start + len(core) :]


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def notion_blocks_to_markdown(blocks: list[dict]) -> str:
    """Blocks (with nested `children` lists filled in by the connector) -> markdown."""
    parts: list[tuple[str, str]] = []  # (kind, markdown) so list items stay tight
    number = 0
    for block in blocks:
        kind = block.get("type", "")
        number = number + 1 if kind == "numbered_list_item" else 0
        text = _notion_block(block, number)
        if text:
            parts.append((kind, text))
    out = []
    for i, (kind, text) in enumerate(parts):
        if i:
            tight = kind in _LIST_KINDS and parts[i - 1][0] in _LIST_KINDS
            out.append("\n" if tight else "\n\n")
        out.append(text)
    return "".join(out)


_LIST_KINDS = {"bulleted_list_item", "numbered_list_item", "to_do"}


def _notion_block(block: dict, number: int) -> str:
    kind = block.get("type", "")
    data = block.get(kind) or {}
    text = notion_rich_text(data.get("rich_text", []))
    children = notion_blocks_to_markdown(block.get("children") or [])

    if kind == "paragraph":
        return "\n\n".join(p for p in (text, children) if p)
    if kind.startswith("heading_"):
        level = int(kind[-1]) if kind[-1].isdigit() else 3
        return "\n\n".join(p for p in ("#" * level + " " + text if text else "", children) if p)
    if kind in _LIST_KINDS:
        if kind == "to_do":
            marker = "- [x] " if data.get("checked") else "- [ ] "
        elif kind == "numbered_list_item":
            marker = f"{number}. "
        else:
            marker = "- "
        head = marker + text
        return head + ("\n" + _indent(children, " " * len(marker)) if children else "")
    if kind == "toggle":
        return titled(text, children)
    if kind in ("quote", "callout"):
        # A callout's icon is decoration: "🔥 Root cause: ..." is the label "Root cause".
        return _quote("\n\n".join(p for p in (text, children) if p.strip()))
    if kind == "code":
        lang = data.get("language", "")
        lang = "" if lang == "plain text" else lang
        code = "".join(t.get("plain_text", "") for t in data.get("rich_text", []))
        fence = "````" if "```" in code else "```"
        return f"{fence}{lang}\n{code}\n{fence}"
    if kind == "table":
        return _notion_table(block, data)
    if kind == "divider":
        return THEMATIC_BREAK
    if kind == "equation":
        return f"$$\n{data.get('expression', '')}\n$$"
    if kind in ("child_page", "child_database"):
        return f"*{data.get('title', '')}*" if data.get("title") else ""
    if kind in ("bookmark", "embed", "link_preview"):
        caption = notion_rich_text(data.get("caption", []))
        return f"[{caption or data.get('url', '')}]({data.get('url', '')})" if data.get("url") else ""
    if kind in ("image", "file", "pdf", "video", "audio"):
        caption = notion_rich_text(data.get("caption", []))
        return caption
    # Containers (synced blocks, columns) and anything newer: keep their text and children.
    return "\n\n".join(p for p in (text, children) if p)


def _notion_table(block: dict, data: dict) -> str:
    rows = [
        [_cell(notion_rich_text(cell)) for cell in row.get("table_row", {}).get("cells", [])]
        for row in block.get("children") or []
        if row.get("type") == "table_row"
    ]
    return markdown_table(rows, header=bool(data.get("has_column_header", True)))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def markdown_table(rows: list[list[str]], header: bool = True) -> str:
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    if not header:
        rows = [[""] * width] + rows
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


# -- Confluence storage format --------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "pre", "blockquote", "hr",
    "div", "section", "ac:structured-macro", "ac:macro", "ac:task-list", "ac:layout",
    "ac:layout-section", "ac:layout-cell", "ac:rich-text-body", "dl",
    # Plain HTML (exports, Google Docs, docutils and mammoth output) wraps content in these too.
    "article", "main", "body", "html", "aside", "figure", "center", "details",
}
# Macros that sit inside a line of text rather than forming a block.
_INLINE_MACROS = {"status", "jira", "anchor", "emoticon", "mention", "footnote"}
_PANELS = {"info": "Info", "note": "Note", "warning": "Warning", "tip": "Tip", "panel": None, "error": "Error", "success": "Success"}
# Navigation and decoration: no content of the document itself.
# Expand titles that are only a UI hint ("Click here to expand...") carry no content.
# A definition term that is itself a label and its value's first line ("Cause: A Terraform change").
_TERM_LABEL = re.compile(r"^([A-Za-z][A-Za-z /&'-]{0,40}?):\s+(\S.*)$")
_UI_LABEL = re.compile(r"^\s*(click|show|expand|see|view|hide|open)\b", re.I)
_SKIPPED_MACROS = {"toc", "children", "pagetree", "recently-updated", "contentbylabel", "livesearch", "attachments", "gallery", "excerpt-include", "include"}


def confluence_to_markdown(storage: str) -> tuple[str, dict[str, str]]:
    """Storage-format XHTML -> (markdown, Page Properties as {key: value text})."""
    soup = BeautifulSoup(storage or "", "html.parser")
    props: dict[str, str] = {}
    blocks = _Storage(props).blocks(soup)
    return "\n\n".join(b for b in blocks if b.strip()), props


class _Storage:
    def __init__(self, props: dict[str, str]):
        self.props = props

    # Block level: a node's children -> markdown blocks. Inline runs between blocks become
    # paragraphs, so mixed content (text then a list inside <li> or <td>) keeps both.
    def blocks(self, node) -> list[str]:
        out: list[str] = []
        run: list[str] = []

        def flush():
            text = _trimmed_lines("".join(run))
            if text:
                out.append(text)
            run.clear()

        for child in node.children:
            if isinstance(child, Tag) and self._is_block(child):
                flush()
                block = self.block(child)
                if block and block.strip():
                    out.append(block)
            else:
                run.append(self.inline(child))
        flush()
        return out

    def _is_block(self, tag: Tag) -> bool:
        if tag.name in ("ac:structured-macro", "ac:macro"):
            return tag.get("ac:name") not in _INLINE_MACROS
        return tag.name in _BLOCK_TAGS

    def block(self, tag: Tag) -> str:
        name = tag.name
        if name == "p":
            return _trimmed_lines(self.inline_children(tag))
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = self.inline_children(tag).strip()
            return f"{'#' * int(name[1])} {text}" if text else ""
        if name in ("ul", "ol"):
            return self.list(tag, ordered=name == "ol")
        if name == "ac:task-list":
            return self.task_list(tag)
        if name == "table":
            return self.table(tag)
        if name == "pre":
            return fenced_code(tag.get_text())
        if name == "blockquote":
            return _quote("\n\n".join(self.blocks(tag)))
        if name == "hr":
            return THEMATIC_BREAK
        if name == "dl":
            # Its own terms only (HTML5 may wrap each pair in a div): a nested list is rendered
            # inside its definition, not a second time here.
            own = [x for x in tag.find_all(["dt", "dd"]) if x.find_parent("dl") is tag]
            return "\n".join(self.definition(dt, dd) for dt, dd in zip(
                [x for x in own if x.name == "dt"], [x for x in own if x.name == "dd"]))
        if name in ("ac:structured-macro", "ac:macro"):
            return self.macro(tag)
        return "\n\n".join(self.blocks(tag))  # div, section, layouts, rich-text bodies

    def definition(self, dt: Tag, dd: Tag) -> str:
        term = self.inline_children(dt).strip().rstrip(":").strip()
        if dd.find(["ul", "ol", "dl"]):
            # "AFFECTED:" over an indented list (how docutils reads a plain-text report), a
            # comment holding "Cause: ..." and "Fix: ...": the list stays a list, one item a
            # line, instead of one run-on line.
            return f"**{term}:**\n\n" + "\n\n".join(self.blocks(dd)) + "\n"
        labelled = _TERM_LABEL.match(term)
        if labelled:
            # "Cause: A Terraform change (PR-1873)" wrapped onto an indented line: a label whose
            # value goes on below, not a term defined by its second line.
            return f"- **{labelled.group(1)}:** {labelled.group(2)} {self.inline_children(dd).strip()}"
        return f"- **{term}**: {self.inline_children(dd).strip()}"

    def macro(self, tag: Tag) -> str:
        name = (tag.get("ac:name") or "").lower()
        params = {
            p.get("ac:name", ""): p.get_text().strip()
            for p in tag.find_all("ac:parameter", recursive=False)
        }
        body = tag.find("ac:rich-text-body", recursive=False)
        if name in ("code", "noformat"):
            plain = tag.find("ac:plain-text-body", recursive=False)
            return fenced_code(plain.get_text() if plain else "", params.get("language", ""))
        if name in _SKIPPED_MACROS:
            return ""
        inner = "\n\n".join(self.blocks(body)) if body else ""
        if name in _PANELS:
            label = params.get("title") or _PANELS[name]
            text = "\n\n".join(p for p in (f"**{label}:**" if label else "", inner) if p)
            return _quote(text)
        if name == "expand":
            title = params.get("title", "")
            return titled("" if _UI_LABEL.match(title) else title, inner)
        if name == "details":
            return self.properties(body)
        plain = tag.find("ac:plain-text-body", recursive=False)
        return inner or (plain.get_text().strip() if plain else "")

    def properties(self, body: Tag | None) -> str:
        """Collect a Page Properties table into self.props. Rows that name a record field
        reach the parser as meta; the others stay in the text as `- **Key**: value`."""
        if body is None:
            return ""
        rest = []
        for row in body.find_all("tr"):
            cells = row.find_all(["th", "td"], recursive=False)
            if len(cells) != 2:
                continue
            key = self.inline_children(cells[0]).strip().strip(":*").strip()
            value = "; ".join(_cell_lines(self.blocks(cells[1])))
            if key and value:
                self.props.setdefault(key, value)
                if property_field(key) is None:
                    rest.append(f"- **{key}**: {value}")
        return "\n".join(rest)

    def list(self, tag: Tag, ordered: bool) -> str:
        lines = []
        for i, li in enumerate(_list_items(tag), 1):
            marker = f"{i}. " if ordered else "- "
            lines.append(_item(marker, self.blocks(li)))
        return "\n".join(lines)

    def task_list(self, tag: Tag) -> str:
        lines = []
        for task in tag.find_all("ac:task", recursive=False):
            status = task.find("ac:task-status")
            done = status is not None and status.get_text().strip() == "complete"
            body = task.find("ac:task-body")
            lines.append(_item("- [x] " if done else "- [ ] ", self.blocks(body) if body else []))
        return "\n".join(lines)

    def table(self, tag: Tag) -> str:
        # Its own rows' cells: a nested table renders inside its cell. The rows are found among
        # the table's children and its sections' only: a search of the whole subtree from each
        # table of a thousand nested ones is quadratic.
        trs = [
            tr for child in tag.find_all(["tr", "thead", "tbody", "tfoot"], recursive=False)
            for tr in ([child] if child.name == "tr" else child.find_all("tr", recursive=False))
        ]
        rows = [tr.find_all(["th", "td"], recursive=False) for tr in trs]
        if _is_layout(tag, rows):
            # An email's or a newsletter's frame around the message: its cells are the page. A
            # form's rows of label and value cells (a service desk's print view) are its fields.
            return "\n\n".join(
                "\n".join(f"**{label}:** {value}" for label, value in pairs if value) if (pairs := self.label_pairs(cells))
                else "\n\n".join(b for c in cells for b in self.blocks(c) if b.strip())
                for cells in rows
            ).strip()
        blocks = [[self.blocks(c) for c in cells] for cells in rows]
        parts, run = [], []
        for cells in blocks:
            label = "; ".join(_cell_lines(cells[0])) if cells else ""
            written = [b for b in cells[1] if b.strip()] if len(cells) > 1 else []
            if len(written) >= WRITTEN_CELL_BLOCKS and len(label) <= 40 and not any(b.strip() for c in cells[2:] for b in c):
                # A tracker's printable page: "Description" beside the whole write-up, in
                # paragraphs, headed by bold words ("What users saw", "Cause"). Joined into one
                # table cell, its paragraphs and their names were lost; it reads as a section.
                if run:
                    parts.append(markdown_table(_without_sheet_frame(run), header=not parts))
                    run = []
                parts.append("\n\n".join([f"**{label}**", *written]) if label else "\n\n".join(written))
            else:
                run.append([_cell("; ".join(_cell_lines(c))) for c in cells])
        if run:
            # Markdown tables need a header row; Confluence's first row is one in practice.
            parts.append(markdown_table(_without_sheet_frame(run), header=not parts))
        return "\n\n".join(parts)

    def label_pairs(self, cells: list[Tag]) -> list[tuple[str, str]]:
        """A form row's (label, value) pairs: label cells (a `th`, a cell of class "label") each
        before its value's; [] for any other row."""
        labels, values = cells[0::2], cells[1::2]
        if not cells or len(labels) != len(values) or not all(map(_label_cell, labels)) or any(map(_label_cell, values)):
            return []
        return [("; ".join(_cell_lines(self.blocks(k))).rstrip(":"), "; ".join(_cell_lines(self.blocks(v)))) for k, v in zip(labels, values)]

    # Inline level.
    def inline_children(self, tag: Tag) -> str:
        return "".join(self.inline(c) for c in tag.children)

    def inline(self, node) -> str:
        if isinstance(node, (Comment, Declaration, Doctype, ProcessingInstruction)):
            return ""
        if isinstance(node, CData):
            return str(node)
        if isinstance(node, NavigableString):
            return re.sub(r"\s+", " ", str(node))
        if not isinstance(node, Tag):
            return ""
        name = node.name
        if name == "br":
            return "\n"
        if name in ("ac:placeholder", "ac:parameter", "ac:image", "script", "style"):
            return ""
        if name == "time":
            return node.get("datetime", node.get_text())
        if name == "ac:emoticon":
            return node.get("ac:emoji-fallback", "")
        if name == "ac:link":
            return self.link(node)
        if name in ("ac:structured-macro", "ac:macro"):
            return self.inline_macro(node)
        if self._is_block(node):
            return " ".join(self.blocks(node))
        inner = self.inline_children(node)
        lead, core, trail = _split_space(inner)
        if not core:
            return inner
        if name in ("strong", "b"):
            core = f"**{core}**"
        elif name in ("em", "i"):
            core = f"*{core}*"
        elif name in ("s", "del", "strike"):
            core = f"~~{core}~~"
        elif name == "code":
            core = f"`{core}`"
        elif name == "a" and node.get("href"):
            core = f"[{core}]({node['href']})"
        return lead + core + trail

    def link(self, node: Tag) -> str:
        body = node.find(["ac:link-body", "ac:plain-text-link-body"])
        if body is not None and body.get_text().strip():
            return body.get_text()
        target = node.find(["ri:page", "ri:blog-post", "ri:attachment", "ri:space", "ri:user", "ri:url"])
        if target is None:
            return ""
        for attr in ("ri:content-title", "ri:filename", "ri:space-key", "ri:value", "ri:account-id", "ri:userkey"):
            if target.get(attr):
                return target[attr]
        return ""

    def inline_macro(self, node: Tag) -> str:
        name = (node.get("ac:name") or "").lower()
        params = {p.get("ac:name", ""): p.get_text().strip() for p in node.find_all("ac:parameter")}
        if name == "status":
            return f"[{params.get('title', '').upper()}]" if params.get("title") else ""
        if name == "jira":
            return params.get("key", "")
        return ""


def _without_sheet_frame(rows: list[list[str]]) -> list[list[str]]:
    """A spreadsheet saved as a web page (Google Sheets' download, Excel's "Save as Web Page")
    keeps the grid's frame: a row of column letters over the sheet and a column of row numbers
    beside it. The sheet is what is inside."""
    head = rows[0] if rows else []
    framed = len(rows) >= 2 and len(head) >= 2 and head[0] == "" and head[1:] == [chr(65 + k) for k in range(len(head) - 1)]
    if not framed or not all(not r or not r[0] or r[0].isdigit() for r in rows[1:]):
        return rows
    return [r[1:] for r in rows[1:]]


# The paragraphs (or lists, code blocks) a table cell holds before it is a write-up of its own.
WRITTEN_CELL_BLOCKS = 3


def _label_cell(cell: Tag) -> bool:
    return (cell.name == "th" or "label" in (cell.get("class") or [])) and len(cell.get_text(" ", strip=True)) <= 60 and not cell.find(["table", "h1", "h2", "h3", "h4", "h5", "h6"])


def _is_layout(table: Tag, rows: list[list[Tag]]) -> bool:
    """A table that lays out a page rather than holding data: marked as presentation, or with
    a cell of its own (`rows`) that holds a table or a heading, as a mail client's HTML and a
    tracker's notification frame their message. No data table puts a heading in a cell."""
    return (table.get("role") or "").lower() == "presentation" or any(
        cell.find(["table", "h1", "h2", "h3", "h4", "h5", "h6"]) for cells in rows for cell in cells
    )


def titled(title: str, body: str) -> str:
    """A toggle or expand: its title as a bold bullet with ALL its content indented under it, so
    a toggle titled "Root cause" keeps every paragraph, list and table it holds, not the first."""
    if not title.strip():
        return body
    head = f"- **{title.strip()}**"
    return f"{head}\n\n{_indent(body, '  ')}" if body.strip() else head


def _list_items(tag: Tag) -> list[Tag]:
    """A list's items, in order: its own `li` children and those a wrapper holds (a chat export's
    `<ol>` of `<div>`s, one per message, each around its `li`), not a nested list's."""
    items, stack = [], list(reversed([c for c in tag.children if isinstance(c, Tag)]))
    while stack:
        child = stack.pop()
        if child.name == "li":
            items.append(child)
        elif child.name not in ("ul", "ol"):
            stack.extend(reversed([c for c in child.children if isinstance(c, Tag)]))
    return items


def _item(marker: str, blocks: list[str]) -> str:
    text = "\n".join(blocks)
    if not text:
        return marker.rstrip()
    first, _, rest = text.partition("\n")
    return marker + first + ("\n" + _indent(rest, " " * len(marker)) if rest else "")


def _cell_lines(blocks: list[str]) -> list[str]:
    """A table cell holds one line in markdown: its paragraphs and list items, joined."""
    lines = []
    for block in blocks:
        for line in block.splitlines():
            line = re.sub(r"^\s*(?:[-*]|\d+\.)\s+(?=\S)", "", line).strip()
            if line and line not in ("---",):
                lines.append(line)
    return lines


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines()) if text else ""


def fenced_code(code: str, lang: str = "") -> str:
    """Code in a fence longer than any run of backticks inside it."""
    fence = "`" * max([3, *(len(run) + 1 for run in re.findall(r"`{3,}", code))])
    return f"{fence}{lang}\n{code.strip(chr(10))}\n{fence}"


# -- HTML documents (exports) ----------------------------------------------------------------

# Page chrome of exports and saved web pages: no content of the write-up.
_CHROME = ("script", "style", "head", "nav", "footer", "header", "noscript", "template", "svg", "form", "button", "iframe")
_CHROME_IDS = re.compile(
    r"^(?:breadcrumb-section|footer|navigation|attachments|likes-and-labels-container|comments-section"
    # MediaWiki's skins (site notice, "From <wiki>", jump links, contents box, categories, menus)
    # and DokuWiki's contents box.
    r"|siteNotice|siteSub|contentSub|jump-to-nav|toc|catlinks|mw-navigation|mw-head|mw-panel|dw__toc)$"
)
# Furniture marked by class: a wiki's "[edit]" section links, "Jump to navigation", "Retrieved
# from ...", what a wiki marks as never printed, and a tool's bar of links over its page
# ("Beacon Incidents On-call Reports ... signed in as export-bot").
_CHROME_CLASSES = {
    "mw-editsection", "mw-jump-link", "printfooter", "catlinks", "toc", "noprint",
    "topbar", "top-bar", "navbar", "nav-bar", "breadcrumb", "breadcrumbs", "site-header", "site-footer",
}
# What a page marks as its site's header, footer, menus, search box, buttons and pop-ups (a
# cookie notice is a dialog): no write-up lives there.
_CHROME_ROLES = re.compile(r"^(?:navigation|banner|contentinfo|search|button|dialog|alertdialog)$")


def _trimmed_lines(text: str) -> str:
    """Inline text as its lines show in a browser: a line a <br> opens starts at its first word
    (the source's newline after the <br> is no indent: "...<br>\nThe review was held"). Line by
    line: `[ \t]+\n` over the text rescans a long run of spaces from each one."""
    return "\n".join(line.strip(" \t") for line in text.split("\n")).strip()


def html_to_markdown(html: str) -> str:
    """A whole HTML document (Confluence "export to HTML", Google Docs "web page", the HTML
    that mammoth and docutils produce) -> markdown, through the same reader as storage format.
    The page title becomes the H1 when the body has none."""
    soup = BeautifulSoup(_defuse(html or ""), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    # Confluence exports title pages "Space : Page"; the page is what names the incident.
    title = page_title(title.split(" : ", 1)[-1].strip())
    _bold_by_style(soup)
    for tag in soup.find_all(_is_chrome):  # one walk of the tree for every kind of furniture
        tag.decompose()
    for tag in soup.find_all(True):
        if vars(tag).get("_decomposed"):
            # (bs4's `decomposed` property looks the flag up with getattr, which on a Tag that
            # never had it searches the whole subtree for a "<_decomposed>" child: quadratic.)
            continue
        classes = set(tag.get("class") or [])
        if "title" in classes and tag.name == "p":  # Google Docs' Title paragraph style
            tag.name = "h1"
        elif tag.name in ("p", "div") and tag.get("role") == "heading":
            # Word Online's heading: a paragraph marked as one for screen readers.
            level = str(tag.get("aria-level", ""))
            tag.name = f"h{level if re.fullmatch('[1-6]', level) else 2}"
        elif "pagetitle" in classes:  # Confluence's page heading repeats "Space : Page"
            tag.string = tag.get_text(" ", strip=True).split(" : ", 1)[-1]
        elif "expand-container" in classes:
            _as_expand(soup, tag, tag.find(class_="expand-control-text"), tag.find(class_="expand-content"))
        elif "confluence-information-macro" in classes:
            _as_expand(soup, tag, tag.find(class_="title"), tag.find(class_="confluence-information-macro-body"))
        elif "panel" in classes and tag.find(class_="panelContent"):
            _as_expand(soup, tag, tag.find(class_="panelHeader"), tag.find(class_="panelContent"))
        elif tag.name == "details":
            _as_expand(soup, tag, tag.find("summary"), None)
        elif tag.name == "ul" and "toggle" in classes:
            # Notion wraps each toggle in a one-item list of its own: the toggle is the block,
            # not an item of a list ("- - **Corrected root cause**").
            for item in tag.find_all("li", recursive=False):
                item.unwrap()
            tag.unwrap()
    md = "\n\n".join(b for b in _Storage({}).blocks(soup) if b.strip())
    # A heading of the body's own is the title, even under a breadcrumb: the page title adds
    # the site's name ("... | Nimbara Cloud").
    if title and not re.search(r"^#\s", md, re.M):
        md = f"# {title}\n\n{md}"
    return md


def _is_chrome(tag) -> bool:
    return (
        tag.name in _CHROME
        or bool(_CHROME_IDS.match(tag.get("id") or ""))
        or not _CHROME_CLASSES.isdisjoint(tag.get("class") or ())
        or bool(_CHROME_ROLES.match(tag.get("role") or ""))
    )


# A saved page's <title> adds its site's name, before or after the page's ("Portal outage -
# OpsWiki", "ITS Incident Reviews - Exam submissions failing"): a short part that names a wiki, a
# tool or a collection of write-ups is the site's.
_SITE_PART = re.compile(
    r"\b(?:wiki|confluence|slab|notion|sharepoint|google\s+sites|intranet|handbook|knowledge\s*base|docs|documentation"
    r"|blog|status\s+page|incident\s+(?:reviews|reports|log)|post-?mortems)\b|\w\.(?:com|io|org|net|dev|app)\b|wiki\b",
    re.I,
)
_TITLE_SEPARATOR = re.compile(r"\s+[|\u2013\u2014\u00b7-]\s+")


def page_title(title: str) -> str:
    parts = [part for part in _TITLE_SEPARATOR.split(title) if part.strip()]
    kept = [part for part in parts if len(part.split()) > 4 or not _SITE_PART.search(part)]
    return " - ".join(kept) if kept and len(kept) < len(parts) else title


# Google Docs' "web page" export marks bold with CSS (a class whose rule says font-weight:700,
# or an inline style), never <b>: its bold "Root cause" paragraphs are the document's headings.
_BOLD_RULE = re.compile(r"\.([\w-]+)\s*\{[^}]*?font-weight\s*:\s*(?:bold|[6-9]00)\b", re.I)
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)\b", re.I)
# A mail client's or a tracker's struck-through word ("~~In Review~~ Closed", the status a
# change left behind) is marked with CSS too.
_STRUCK_STYLE = re.compile(r"text-decoration(?:-line)?\s*:[^;\"]{0,40}\bline-through\b", re.I)


def _bold_by_style(soup: BeautifulSoup) -> None:
    css = " ".join(tag.get_text() for tag in soup.find_all("style"))
    bold = set(_BOLD_RULE.findall(css))
    for span in soup.find_all("span"):
        if bold.intersection(span.get("class") or []) or _BOLD_STYLE.search(span.get("style") or ""):
            span.name = "strong"
        elif _STRUCK_STYLE.search(span.get("style") or ""):
            span.name = "del"


# Python's html.parser rescans to the end of the text for every `<` that never closes, which
# is quadratic on hostile input ("<p <p <p ..."). Inline data URIs (the one legitimate kind of
# very long tag) are cut first; a `<` with no `>` in the next 2,000 characters is then text.
_DATA_URI = re.compile(r"data:[^\"'\s>]{64,}")
_UNCLOSED_TAG = re.compile(r"<(?=[^>]{2000})")


def _defuse(html: str) -> str:
    return _UNCLOSED_TAG.sub("&lt;", _DATA_URI.sub("data:", html))


def _as_expand(soup: BeautifulSoup, tag: Tag, title_tag: Tag | None, body: Tag | None) -> None:
    """Rewrite an exported expand, titled panel or <details> into the storage-format expand
    macro, so every titled container renders the one way (`titled`)."""
    title = title_tag.get_text(" ", strip=True) if title_tag is not None else ""
    if title_tag is not None:
        title_tag.extract()
    macro = soup.new_tag("ac:structured-macro", attrs={"ac:name": "expand"})
    param = soup.new_tag("ac:parameter", attrs={"ac:name": "title"})
    param.string = title
    rich = soup.new_tag("ac:rich-text-body")
    for child in list((body if body is not None else tag).children):
        rich.append(child.extract())
    macro.append(param)
    macro.append(rich)
    tag.replace_with(macro)
