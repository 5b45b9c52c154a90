"""Any document a connector hands over (bytes + its name) -> markdown-ish text for the parser.

Teams keep post-mortems as markdown, but also as HTML (Confluence "export to HTML", Google Docs
"web page"), DOCX, PDF, plain text and reStructuredText; and, less often, as what an office suite
or a mail client saves: OpenDocument text (Google Docs and LibreOffice), a PowerPoint deck (a
review presented as slides), RTF, email (`.eml`, with the review attached to it) and mailbox files
(`.mbox`), a Jira issue exported as XML (an RSS item), a Confluence page's storage-format source
(`.xml`), a service desk's problem record kept as XML (an unload, a SOAP response), a tracker's
or a retro board's CSV export, a status page's Atom feed, a data team's Jupyter notebook, a review
meeting's transcript (WebVTT), MIME web archives (`.mht`, and Confluence's "Export to Word", a
`.doc` that is one), AsciiDoc and MDX from docs-as-code sites,
Org mode, a wiki's own markup (MediaWiki source and its XML export, DokuWiki's `.txt` pages,
XWiki's syntax and its page export) and a tracker's (Jira's "h2. Root cause", Redmine's Textile);
a slide deck a web page shows with Remark or reveal.js is read from its markdown. Each is turned
into markdown with its headings, tables and lists kept, so one parser reads them all. The format is
decided by sniffing the content first (a `.txt` that is HTML, a file without an extension) and by
the extension second. Anything else is rejected with reason `unsupported-format`, never dropped.

The HTML path is the hub: DOCX (mammoth), OpenDocument, PowerPoint, reStructuredText
(docutils) and a web archive's page are rendered to HTML and read by the same converter as an HTML export."""

from __future__ import annotations

import bisect
import csv
import datetime
import html
import io
import itertools
import json
import posixpath
import re
import textwrap
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import PurePosixPath

import yaml
from bs4 import BeautifulSoup

from pipeline.ingest.decode import MAX_BYTES, decode, size_limit
from pipeline.ingest.extractors.render import confluence_to_markdown, fenced_code, html_to_markdown, markdown_table, property_field
from pipeline.text import STOPS_MID_SENTENCE, indent_width

# The extensions a write-up is read from. A new format adds its own here: the connectors list
# these files, the sniffer decodes the text ones, and a title taken from a file name drops them.
MARKDOWN_EXTENSIONS = ("md", "mdx", "markdown", "mkd", "mkdn", "mdown", "mdwn", "qmd", "rmd", "md.erb")
TEXT_EXTENSIONS = MARKDOWN_EXTENSIONS + (
    "html", "htm", "xhtml", "txt", "text", "rst", "rest", "adoc", "asciidoc", "org",
    "wiki", "mediawiki", "wikitext", "dokuwiki", "textile", "csv", "tsv", "vtt", "json", "jsonl", "ndjson", "ipynb", "xwiki",
    "yaml", "yml", "toml",
)
# Office files, PDF, mail and web archives (and the .msg we name as unsupported), and web pages
# saved from a wiki under its script's name.
DOCUMENT_EXTENSIONS = TEXT_EXTENSIONS + (
    "aspx", "php", "doc", "docx", "odt", "pptx", "xlsx", "rtf", "eml", "mbox", "mht", "mhtml", "msg", "pdf", "xml",
)


def extension_pattern(extensions: tuple[str, ...]) -> str:
    """A regex for one of `extensions` with its dot, longest first (`md.erb` before `md`)."""
    return r"\.(?:" + "|".join(re.escape(e) for e in sorted(extensions, key=len, reverse=True)) + ")"


# A file with no extension is sniffed. Any other extension (source code, data files, images) is
# not a write-up.
_TEXT_NAME = re.compile(extension_pattern(TEXT_EXTENSIONS) + "$", re.I)
_MARKDOWN_NAME = re.compile(extension_pattern(MARKDOWN_EXTENSIONS) + "$", re.I)
# A message or a web archive: read by the MIME parser, whatever its name says (Confluence names
# its Word export `.doc`); a file named otherwise is one only where its headers declare MIME.
_MIME_NAME = re.compile(r"\.(?:eml|mht|mhtml|doc)$", re.I)
_MIME_HEADERS = re.compile(rb"\A(?:[A-Za-z][\w-]{0,40}:[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*){2,}")
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_HTML_START = re.compile(r"^\s*(?:<\?xml[^>]{0,200}>\s*)?(?:<!--.{0,500}?-->\s*)?<(?:!doctype\s+html|html)\b", re.I | re.S)
# A feed: Jira's "Export XML" of an issue is an RSS item (a status page's feed is one too).
# Confluence's storage format saved to a file (a page's source copied out, a space export's
# page XML): its macros and links are namespaced tags no plain web page has.
_STORAGE_TAG = re.compile(r"<(?:ac|ri):[a-z-]{2,40}[\s/>]")
# An element of an incident's or a problem's record (<cause_notes>, <ns0:Root_Cause_Description>,
# <Resolution>); a build file or an app's config has none.
_RECORD_TAG = re.compile(rb"<(?:[\w.-]{1,40}:)?[\w.-]{0,40}(?:cause|resolution|workaround|fix_notes|incident|problem)[\w.-]{0,40}[\s/>]", re.I)
# A wiki's export of its pages: MediaWiki's Special:Export, XWiki's page export.
_WIKI_EXPORT_START = re.compile(r"^\s*(?:<\?xml[^>]{0,200}>\s*)?(?:<!--.{0,2000}?-->\s*)?<(?:mediawiki|xwikidoc)\b", re.S)
_RSS_START = re.compile(r"^\s*(?:<\?xml[^>]{0,200}>\s*)?(?:<!--.{0,2000}?-->\s*)?<(?:rss|feed)\b", re.I | re.S)
_HTML_TAGS = re.compile(r"<(?:p|div|h[1-6]|table|ul|ol|li|br|span|body|head)\b[^>]{0,300}>", re.I)
# reStructuredText: a title underlined (or over- and underlined) with punctuation, or directives.
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+:.])\1{2,}[ \t]*$", re.M)
_RST_DIRECTIVE = re.compile(r"^\.\. [a-z-]+::", re.M)
# docutils reads a few thousand lines a second: a write-up is a few KB, and anything much larger
# is read as plain text instead so one crafted file can't hold a sync for minutes.
RST_MAX_CHARS = 200_000
# Magic numbers of files people leave next to write-ups (screenshots, spreadsheets).
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .doc/.xls/.ppt
# The XML of a write-up in a Word, OpenDocument or PowerPoint file is tens of KB; a part that
# would inflate past this is no write-up (a zip bomb), and is never inflated.
MAX_XML_PART = 20 * MAX_BYTES


def _refuse_oversized(z: zipfile.ZipFile, name: str) -> None:
    """Raises for a part of an office file that would inflate past MAX_XML_PART, before it is."""
    if z.getinfo(name).file_size > MAX_XML_PART:
        raise ValueError(f"{name} inflates to over {MAX_XML_PART:,} bytes")


def _zip_xml(z: zipfile.ZipFile, name: str):
    """A part of an office file parsed as XML, or None where the file has no such part."""
    from xml.etree import ElementTree

    if name not in z.namelist():
        return None
    _refuse_oversized(z, name)
    return ElementTree.fromstring(z.read(name))


def to_markdown(body: bytes | str, name: str = "") -> tuple[str | None, str | None, str | None]:
    """(markdown, None, None), or (None, reason, detail) for a document we can't read."""
    if isinstance(body, str):
        return decode(body)  # connectors that render their own markdown (Notion, Confluence)
    if not body.strip():
        return decode(body)
    limit = size_limit(name)
    if len(body) > limit:
        return None, "too-large", f"{len(body):,} bytes is over the {limit:,}-byte limit"
    kind = sniff(body, name)
    if kind.startswith("unsupported:"):
        return None, "unsupported-format", kind.split(":", 1)[1]
    try:
        if kind in _BINARY:
            return _finish(_BINARY[kind](body), _NAMES[kind])
        # WordPad ends its RTF with a NUL byte, which is no reason to call the file binary.
        text, reason, detail = decode(body.rstrip(b"\x00") if kind == "rtf" else body)
        if text is None:
            return text, reason, detail
        if kind == "rtf":
            return _finish(_title_first(text_to_markdown(rtf_text(text))), _NAMES[kind])
        return _finish(*_read_text(text, name))
    except Exception as exc:  # noqa: BLE001 - any library error on one bad file becomes its reason
        why = " ".join(str(exc).split())[:160]
        return None, "unreadable", f"{_NAMES.get(kind, kind)} could not be read: {type(exc).__name__}: {why}"


def confluence_file_to_markdown(storage: str) -> str:
    """A storage-format page read from a file: a file has no meta beside it, so the Page
    Properties rows the connector hands over as meta stay in the text as labelled lines."""
    markdown, props = confluence_to_markdown(storage)
    fields = "\n".join(f"- **{key}**: {value}" for key, value in props.items() if property_field(key))
    return f"{fields}\n\n{markdown}" if fields else markdown


def _read_text(text: str, name: str) -> tuple[str, str]:
    """(markdown, what it was read as) for a decoded text document."""
    text = commit_message(text)
    kind = text_kind(text, name)
    if kind in ("text", "rst"):
        text = unquoted_reply(text)
        kind = text_kind(text, name)
    if kind == "html":
        deck = deck_source(text)
        if deck:
            return _markdown_read(deck), "HTML slide deck's markdown"
        return html_to_markdown(text), "HTML"
    if kind == "vtt":
        return text_to_markdown(vtt_to_markdown(text)), "WebVTT transcript"
    if kind == "csv":
        return csv_to_markdown(text), "CSV"
    if kind == "json":
        return json_to_markdown(text), "JSON"
    if kind == "jsonl":
        # A chat tool's bulk export or a tracker's event stream: one record a line, read as a list.
        return data_to_markdown([json.loads(line) for line in text.splitlines() if line.strip()]), "JSON Lines"
    if kind == "yaml":
        return data_to_markdown(yaml_data(text)), "YAML"
    if kind == "xml":
        return data_to_markdown(xml_data(text)), "XML record"
    if kind == "toml":
        import tomllib

        return data_to_markdown(tomllib.loads(text)), "TOML"
    if kind == "notebook":
        return notebook_to_markdown(text), "Jupyter notebook"
    if kind == "confluence":
        return confluence_file_to_markdown(text), "Confluence storage format"
    if kind == "rst" and len(text) <= RST_MAX_CHARS:
        return rst_to_markdown(text), "reStructuredText"
    if kind == "asciidoc":
        return asciidoc_to_markdown(text), "AsciiDoc"
    if kind == "org":
        return org_to_markdown(text), "Org mode"
    if kind == "wikitext":
        return wikitext_to_markdown(text), "wikitext"
    if kind == "xwiki":
        return xwiki_to_markdown(text), "XWiki syntax"
    if kind == "tracker":
        return tracker_markup_to_markdown(text), "tracker markup"
    if kind in ("rst", "text"):
        return text_to_markdown(text), "text"
    if PurePosixPath(name).suffix.lower() == ".mdx":
        return mdx_to_markdown(text), "MDX"
    return _markdown_read(text), "markdown"


def _markdown_read(text: str) -> str:
    return folded_sections(unescaped(_deck_without_running_lines(html_in_markdown(text))))


# A slide deck written in markdown and shown by a script in the page: Remark keeps its slides in
# a <textarea id="source">, reveal.js in a <section data-markdown>'s <textarea> or <script>. The
# page's own HTML is the player; the deck is that source.
_REMARK_SOURCE = re.compile(r"<textarea\b[^>]{0,300}\bid=[\"']source[\"'][^>]{0,300}>", re.I)
_REVEAL_SOURCE = re.compile(r"<section\b[^>]{0,300}\bdata-markdown\b[^>]{0,300}>\s*<(textarea|script)\b[^>]{0,300}>", re.I)
# Remark's own marks: a slide's properties at its top ("class: center, middle"), the presenter
# notes' "???" and the incremental "--" (their text stays), ".small[...]" around words.
_REMARK_PROPERTY = re.compile(r"^(?:class|name|layout|template|count|background-image|exclude|seq):[ \t]*\S.*$")
_REMARK_MARK = re.compile(r"^(?:\?\?\?|--)[ \t]*$")
_REMARK_CLASS = re.compile(r"\.[a-z][\w-]{0,30}\[([^\[\]\n]{0,500})\]")


def _sources(page: str, opener: re.Pattern) -> list[str]:
    """The text from each `opener` to the close of the element it opens. (One search for each
    close, from its opener on: a page of openers never closed is read once, not once each.)"""
    parts, at = [], 0
    while (start := opener.search(page, at)):
        tag = start.group(1) if start.groups() else "textarea"
        close = re.compile(rf"</{tag}\s*>", re.I).search(page, start.end())
        if not close:
            break
        parts.append(page[start.end():close.start()])
        at = close.end()
    return parts


def deck_source(page: str) -> str:
    """The markdown of a slide deck a web page shows with Remark or reveal.js, or ''."""
    parts = _sources(page, _REMARK_SOURCE)[:1] or _sources(page, _REVEAL_SOURCE)
    if not parts:
        return ""
    lines = []
    for part in parts:
        slide_top = True  # a slide's properties come before its text
        for line in textwrap.dedent(html.unescape(part)).split("\n"):
            stripped = line.strip()
            if _REMARK_MARK.match(stripped) or slide_top and _REMARK_PROPERTY.match(stripped):
                continue
            slide_top = _SLIDE_BREAK.match(stripped) is not None or (slide_top and not stripped)
            lines.append(_REMARK_CLASS.sub(r"\1", line))
        lines.append("---")
    return "\n".join(lines[:-1]).strip() + "\n"


# A commit as `git show` prints it ("commit 9c41e07...", "Author:", "Date:", then its message
# indented four spaces), or as `git format-patch` mails it: the message is the write-up; the
# diffstat and the diff after it are code, and the trailers ("Fixes: 9a12bb40", "Signed-off-by:")
# are git's bookkeeping, not a fix or a cause.
_GIT_SHOW = re.compile(r"\A(?:\$ git [^\n]{0,200}\n)?commit [0-9a-f]{7,40}\b[^\n]{0,200}\n((?:[A-Z][\w-]{0,30}:[^\n]{0,300}\n){1,6})\n")
_DIFF_START = re.compile(r"^(?:---[ \t]*\n(?=[ \t]\S[^\n|]{0,300}\|[ \t]+(?:\d+|Bin)\b)|[ \t]\S[^\n|]{0,300}\|[ \t]+\d+ [+-]+[ \t]*\n|diff --git )", re.M)
_TRAILER = re.compile(r"^[ \t]*[A-Z][\w-]{1,30}:[ \t]+\S[^\n]*$")


def commit_message(text: str) -> str:
    """A commit's message, headed by its subject, author and date as an email is; any other
    text as it is."""
    shown = _GIT_SHOW.match(text)
    head = ""
    if shown:
        fields = dict(line.split(":", 1) for line in shown.group(1).strip().split("\n"))
        body = text[shown.end():]
        end = re.search(r"^(?! {4})(?![ \t]*$)", body, re.M)  # the message is indented; the stat is not
        lines = [line[4:] for line in body[:end.start() if end else len(body)].split("\n")]
        at = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
        subject, rest = (lines[at], "\n".join(lines[at + 1:])) if at < len(lines) else ("", "")
        head = "\n".join(f"{key}: {value.strip()}" for key, value in (("Subject", subject), ("From", fields.get("Author", "")), ("Date", fields.get("Date", ""))) if value.strip())
        text = rest
    else:
        diff = re.search(r"^diff --git ", text, re.M)
        # A diff quoted inside a write-up (in a fence, or with the write-up's sections after it)
        # is part of the write-up.
        if not diff or text.count("```", 0, diff.start()) % 2 or re.search(r"^#{1,6} \S", text[diff.start():], re.M):
            return text
    cut = _DIFF_START.search(text)
    text = text[:cut.start()] if cut else text
    paragraphs = re.split(r"\n[ \t]*\n", text.strip())
    if len(paragraphs) > 1 and all(_TRAILER.match(line) for line in paragraphs[-1].split("\n")):
        paragraphs.pop()
    return "\n\n".join([head, *paragraphs]).strip() + "\n"


_NAMES = {"pdf": "PDF", "docx": "DOCX", "odt": "OpenDocument text", "pptx": "PowerPoint deck", "rtf": "RTF", "mime": "MIME message", "mbox": "mailbox", "rss": "XML feed", "html": "HTML", "rst": "reStructuredText", "xlsx": "XLSX workbook", "wiki-export": "wiki export"}


def _finish(markdown: str, what: str) -> tuple[str | None, str | None, str | None]:
    if not markdown.strip():
        return None, "empty", f"the {what} document holds no text"
    if len(markdown) > MAX_BYTES:
        return None, "too-large", f"the {what} document's text is {len(markdown):,} characters, over the {MAX_BYTES:,} limit"
    return markdown, None, None


# Formats read from their bytes, not decoded as text first (each converter looked up when
# called: they are defined further down).
_BINARY = {
    "pdf": lambda data: text_to_markdown(pdf_text(data)),
    "docx": lambda data: docx_to_markdown(data),
    "odt": lambda data: odt_to_markdown(data),
    "pptx": lambda data: pptx_to_markdown(data),
    "mime": lambda data: mime_to_markdown(data),
    "rss": lambda data: rss_to_markdown(data),
    "mbox": lambda data: mbox_to_markdown(data),
    "xlsx": lambda data: xlsx_to_markdown(data),
    "wiki-export": lambda data: wiki_export_to_markdown(data),
}


# An email reply that quotes the write-up ("On Thu, 21 Nov 2024 at 16:05, Marta wrote:" over
# "> ROOT CAUSE"): the quoted message is as much the document as the reply, and its headings
# and labels are only seen without the quote marks.
_REPLY_INTRO = re.compile(r"^On\b[^\n]{5,160}\bwrote:[ \t]*$|^-{2,}[ \t]*Original Message[ \t]*-{2,}", re.M | re.I)
_QUOTE_MARKS = re.compile(r"^(?:>[ \t]?)+", re.M)


def unquoted_reply(text: str) -> str:
    intro = _REPLY_INTRO.search(text)
    if not intro or len(_QUOTE_MARKS.findall(text, intro.end())) < 5:
        return text
    return text[: intro.end()] + _QUOTE_MARKS.sub("", text[intro.end():])


def sniff(data: bytes, name: str) -> str:
    """'pdf', 'docx', 'odt', 'pptx', 'rtf', 'mime', 'text' (decoded and told apart later) or
    'unsupported:<why>'."""
    ext = PurePosixPath(name).suffix.lower()
    head = data[:8]
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
                mimetype = z.read("mimetype")[:100].strip() if "mimetype" in names else b""
        except zipfile.BadZipFile:
            return "unsupported:a damaged zip archive"
        if "word/document.xml" in names:
            return "docx"
        if mimetype == _ODT_MIMETYPE and "content.xml" in names:
            return "odt"
        if "ppt/presentation.xml" in names:
            return "pptx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        kind = next((k for k, v in _ZIP_KINDS.items() if v in names), "a zip archive")
        return f"unsupported:{kind} ({ext or 'no extension'}), not a format we read"
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return f"unsupported:an image ({ext or 'no extension'}), not a post-mortem document"
    if head.startswith(_OLE_MAGIC) and ext == ".msg":
        return "unsupported:an Outlook message (.msg); save it as .eml or PDF"
    if head.startswith(_OLE_MAGIC):
        return f"unsupported:a legacy Office file ({ext or 'no extension'}); save it as DOCX or PDF"
    if data.lstrip()[:5] == b"{\\rtf":
        return "rtf"
    if _MBOX_SEPARATOR.match(data[:2000]):
        return "mbox"
    headers = _MIME_HEADERS.match(data[:20_000])
    if headers and (_MIME_NAME.search(name) or re.search(rb"(?im)^MIME-Version:", headers.group())):
        return "mime"
    if _RSS_START.match(data[:4000].decode("latin-1")):
        return "rss"
    if _WIKI_EXPORT_START.match(data[:4000].decode("latin-1")):
        return "wiki-export"
    if _HTML_START.match(data[:4000].decode("latin-1")):
        # A web page whatever its name: saved from a wiki as .aspx or .php, or as .doc by older
        # Confluence and wiki exports.
        return "text"
    if ext == ".xml" and (_STORAGE_TAG.search(data[:4000].decode("latin-1")) or _RECORD_TAG.search(data)):
        return "text"  # a Confluence page's storage format, or an incident's record kept as XML
    if not _TEXT_NAME.search(name) and re.fullmatch(r"\.[a-z0-9]{1,8}", ext):
        return f"unsupported:{ext} files are not a post-mortem format we read"
    return "text"


_ZIP_KINDS = {
    "an OpenDocument file": "mimetype",
}


# Jira's own marks: a {noformat} or {code} block, {{monospace}}, a [~user] mention, a panel.
_TRACKER_SIGN = re.compile(r"^\{(?:code|noformat|panel|quote|info|note)\b|\{\{[^{}\n]{1,200}\}\}|\[~[\w.-]{1,60}\]", re.M)
_STAR_LABEL_LINE = re.compile(r"^\*[A-Za-z][^*\n]{1,60}\*[ \t]*$", re.M)


def _tracker_markup(head: str) -> bool:
    """Tracker wiki markup: two "h2." headings, or headings and "*Root cause*" lines beside
    Jira's own marks (a ticket written under bold labels, its steps a "#" list)."""
    headings = len(re.findall(r"^h[1-6]\.[ \t]+\S", head, re.M))
    return headings >= 2 or headings + len(_STAR_LABEL_LINE.findall(head)) >= 2 and bool(_TRACKER_SIGN.search(head))


def text_kind(text: str, name: str) -> str:
    """'markdown', 'html', 'confluence', 'csv', 'vtt', 'rst', 'asciidoc', 'org', 'wikitext',
    'tracker' or 'text' for a decoded document."""
    ext = PurePosixPath(name).suffix.lower()
    head = text[:4000]
    if _HTML_START.match(head):
        return "html"  # even a `.md` that is really a saved web page
    if ext == ".xml":
        return "confluence" if _STORAGE_TAG.search(head) else "xml"
    if ext in (".csv", ".tsv"):
        return "csv"
    if ext == ".json":
        return "json"
    if ext in (".jsonl", ".ndjson"):
        return "jsonl"
    if ext in (".yaml", ".yml"):
        return "yaml"
    if ext == ".toml":
        return "toml"
    if ext == ".ipynb":
        return "notebook"
    if ext == ".xwiki":
        return "xwiki"
    if ext == ".vtt" or head.startswith("WEBVTT"):
        return "vtt"
    if _MARKDOWN_NAME.search(name):
        # A plain-text report saved as `.md` ("1. SUMMARY", "2. ROOT CAUSE" and no markup at
        # all): read as the text it is, where its numbered sections become headings.
        plain = not _MARKDOWN_MARKUP.search(text) and sum(bool(_NUMBERED_CAPS.match(line)) for line in text.splitlines()) >= 2
        return "text" if plain else "markdown"
    if ext in (".adoc", ".asciidoc"):
        return "asciidoc"
    if ext == ".org":
        return "org"
    if ext in (".txt", ".text", ".textile", ".wiki", "") and _tracker_markup(head):
        # Jira's and Confluence's wiki markup is saved as .wiki too: its "h2." headings and
        # {{monospace}} are no MediaWiki (whose {{...}} is a template, dropped).
        return "tracker"
    if ext in (".wiki", ".mediawiki", ".wikitext", ".dokuwiki") or (
        ext in (".txt", ".text", "") and sum(len(m[0]) >= 2 for m in _WIKI_HEADING.findall(head)) >= 2
    ):
        return "wikitext"
    if ext in (".html", ".htm", ".xhtml") or len(_HTML_TAGS.findall(head)) >= 3:
        return "html"
    if ext in (".rst", ".rest"):
        return "rst"
    if ext in (".txt", ".text", ""):
        if _RST_DIRECTIVE.search(head) or _rst_headings(head) >= 2:
            return "rst"
        # Markdown saved as .txt still has `#` headings or `**label**` bullets: read it as such.
        if re.search(r"^#{1,6} \S|^\s*[-*] \*\*[^*\n]{2,60}\*\*", head, re.M):
            return "markdown"
        return "text"
    return "markdown"


# Any markdown of its own: a heading, emphasis, a table row, code, a link or a setext underline.
_MARKDOWN_MARKUP = re.compile(r"^#{1,6}[ \t]|\*\*|__|^[ \t]*\||`|\]\(|^[=-]{3,}[ \t]*$", re.M)


def _rst_headings(text: str) -> int:
    """Title lines underlined by a run of one punctuation character of (at least) their length.
    Markdown's setext headings (=== and ---) count too, which is harmless: both readers agree."""
    lines = text.splitlines()
    found = 0
    for i, line in enumerate(lines[1:], 1):
        title = lines[i - 1].strip()
        # A rule under a block of "Key:   value" lines closes a report's header box; it underlines
        # no title.
        closes_box = i >= 2 and _KEY_VALUE.match(title) and _KEY_VALUE.match(lines[i - 2].strip())
        # An indented line is a title only under an overline (an inset title); under a box of
        # fields it is a wrapped value ("Close notes    reverted to" / "     the old profile.").
        hangs = lines[i - 1][:1].isspace() and not (i >= 2 and _RST_UNDERLINE.match(lines[i - 2]))
        if _RST_UNDERLINE.match(line) and title and not _RST_UNDERLINE.match(title) and len(line.strip()) >= len(title) and not closes_box and not hangs:
            found += 1
    return found


# -- converters --------------------------------------------------------------------------------


def docx_to_markdown(data: bytes) -> str:
    import mammoth

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        _refuse_oversized(z, "word/document.xml")

    # Word's Title and List Bullet paragraph styles carry structure mammoth leaves out by default.
    style_map = "p[style-name='Title'] => h1:fresh\np[style-name='List Bullet'] => ul > li:fresh"
    # Pictures are not read (mammoth would inline each as a data URI): only their alt text.
    no_pictures = mammoth.images.img_element(lambda image: {"alt": image.alt_text or ""})
    result = mammoth.convert_to_html(io.BytesIO(data), style_map=style_map, convert_image=no_pictures)
    return html_to_markdown(result.value)


def rst_to_markdown(text: str) -> str:
    from docutils.core import publish_parts

    parts = publish_parts(
        _keep_label_lines(_letterhead_apart(_one_field_a_line(_items_aligned(_caps_titles_underlined(text))))),
        writer="html5",
        # Untrusted input: no file inclusion or raw HTML, and no error text inside the document.
        settings_overrides={
            "file_insertion_enabled": False,
            "raw_enabled": False,
            "report_level": 5,
            "halt_level": 5,
            "doctitle_xform": True,
            "initial_header_level": 2,
            # A `.. contents::` table would make every section title a link back to it, and the
            # parser reads a heading's text, not a link.
            "toc_backlinks": "none",
        },
    )
    title = BeautifulSoup(parts.get("title") or "", "html.parser").get_text().strip()
    # Field lists right under the title (":Date:", ":Status:") come out as the docinfo part.
    body = html_to_markdown(parts.get("docinfo", "") + parts["body"])
    return f"# {title}\n\n{body}" if title else body


_CAPS_TITLE = re.compile(r"^(?=[^a-z]*[A-Z]{2})[A-Z][A-Z'&/ -]{1,48}$")
_LIST_START = re.compile(r"^[ \t]*[-*+•][ \t]+\S")


def _caps_titles_underlined(text: str) -> str:
    """A capitals title right over its list ("WHAT WENT RIGHT" over "- Synthetic probe ..."),
    in a document whose other titles are underlined, underlined as they are: unmarked, docutils
    reads it and the list as one paragraph, and the list's wrapped lines as a quotation."""
    lines = text.split("\n")
    rules = [m.group(1) for m in _RST_UNDERLINE.finditer(text)]
    if not rules:
        return text
    rule = max(set(rules), key=rules.count)
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        if (_CAPS_TITLE.match(line) and (i == 0 or not lines[i - 1].strip()) and i + 1 < len(lines)
                and _LIST_START.match(lines[i + 1])):
            out.extend([rule * len(line), ""])
    return "\n".join(out)


# OpenDocument's XML namespaces, by the prefixes its documents use.
_ODF = {
    prefix: f"urn:oasis:names:tc:opendocument:xmlns:{ns}:1.0"
    for prefix, ns in (("office", "office"), ("text", "text"), ("table", "table"), ("style", "style"), ("fo", "xsl-fo-compatible"))
}


def odt_to_markdown(data: bytes) -> str:
    """OpenDocument text (LibreOffice, Google Docs' "Download as ODT") as HTML, for the hub:
    headings by outline level or by a Title/Heading paragraph style, paragraphs, lists, tables,
    and bold where the document's styles make it so ("Root cause:" set in bold is a label the
    parser reads)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root, common = _zip_xml(z, "content.xml"), _zip_xml(z, "styles.xml")
    styles = _OdfStyles([r for r in (common, root) if r is not None])
    body = root.find(f"{{{_ODF['office']}}}body")
    return html_to_markdown(_odf_html(body, styles) if body is not None else "")


class _OdfStyles:
    """Which paragraph and text styles are bold, and which make a paragraph a title or heading,
    following each style's parents (automatic styles in content.xml derive from the common
    ones in styles.xml: "P3" from "Title", "T1" bold)."""

    HEADING = re.compile(r"^(?:Heading_20_|heading_20_)([1-6])$")

    def __init__(self, roots: list):
        self.parent: dict[str, str] = {}
        self.bold: dict[str, bool] = {}
        for root in roots:
            for style in root.iter(f"{{{_ODF['style']}}}style"):
                name = style.get(f"{{{_ODF['style']}}}name")
                self.parent[name] = style.get(f"{{{_ODF['style']}}}parent-style-name") or ""
                weight = next((p.get(f"{{{_ODF['fo']}}}font-weight") for p in style.iter(f"{{{_ODF['style']}}}text-properties")), None)
                if weight:
                    self.bold[name] = weight in ("bold", "600", "700", "800", "900")

    def chain(self, name: str | None):
        for _ in range(10):  # a style's ancestry is a few levels; a loop in a damaged file ends here
            if not name:
                return
            yield name
            name = self.parent.get(name)

    def is_bold(self, name: str | None) -> bool:
        return next((self.bold[n] for n in self.chain(name) if n in self.bold), False)

    def heading_level(self, name: str | None) -> int:
        for n in self.chain(name):
            if n == "Title":
                return 1
            level = self.HEADING.match(n)
            if level:
                return int(level.group(1))
        return 0


def _odf_html(element, styles: _OdfStyles) -> str:
    tag = element.tag.rsplit("}", 1)[-1]
    space = element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""
    if tag in ("note", "tracked-changes", "sequence-decls", "table-columns", "table-column", "forms", "annotation"):
        return ""  # footnotes, revision marks and declarations are not the text
    if tag == "s":
        return " " * int(element.get(f"{{{_ODF['text']}}}c", "1") or 1)
    if tag == "tab":
        return " "
    if tag == "line-break":
        return "<br>"
    inner = html.escape(element.text or "") + "".join(_odf_html(child, styles) + html.escape(child.tail or "") for child in element)
    style = element.get(f"{{{_ODF['text']}}}style-name")
    if space == _ODF["text"] and tag in ("h", "p"):
        level = int(element.get(f"{{{_ODF['text']}}}outline-level", "1") or 1) if tag == "h" else styles.heading_level(style)
        if level and inner.strip():
            level = min(6, max(1, level))
            return f"<h{level}>{inner}</h{level}>"
        return f"<p><b>{inner}</b></p>" if styles.is_bold(style) and inner.strip() else f"<p>{inner}</p>"
    if tag == "span":
        return f"<b>{inner}</b>" if styles.is_bold(style) and inner.strip() else inner
    wrap = {"list": "ul", "list-item": "li", "list-header": "li", "table": "table", "table-row": "tr", "table-cell": "td"}.get(tag)
    return f"<{wrap}>{inner}</{wrap}>" if wrap else inner


# PowerPoint's XML namespaces: DrawingML (text, tables), PresentationML (slides, shapes) and the
# package relationships that give the slides' order.
_PPT = {
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def pptx_to_markdown(data: bytes) -> str:
    """A PowerPoint deck (a review presented as slides) as HTML, for the hub: each slide's title
    a heading (the first slide's the document's title), its text boxes' paragraphs with their
    bullet levels and bold runs, its tables, then the speaker's notes, which often tell the
    story the bullets only name."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for i, slide_path in enumerate(_slide_order(z)):
            slide = _zip_xml(z, slide_path)
            if slide is None:
                continue
            title, body = _pptx_slide(slide)
            level = 1 if i == 0 else 2
            parts.append(f"<h{level}>{html.escape(title)}</h{level}>" if title else "")
            parts.append(body)
            folder, name = slide_path.rsplit("/", 1)
            rels = _zip_xml(z, f"{folder}/_rels/{name}.rels")
            for rel in rels if rels is not None else []:
                if rel.get("Type", "").endswith("/notesSlide"):
                    notes = _zip_xml(z, posixpath.normpath(posixpath.join(folder, rel.get("Target", ""))))
                    if notes is not None:
                        parts.append(_pptx_notes(notes))
    return html_to_markdown("".join(parts))


def _slide_order(z: zipfile.ZipFile) -> list[str]:
    """Slide parts in the deck's order (presentation.xml's list), not their file names' order,
    which a moved slide keeps."""
    presentation, rels = _zip_xml(z, "ppt/presentation.xml"), _zip_xml(z, "ppt/_rels/presentation.xml.rels")
    if presentation is None or rels is None:
        return []
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    order = [
        targets.get(s.get(f"{{{_PPT['r']}}}id"), "")
        for s in presentation.iter(f"{{{_PPT['p']}}}sldId")
    ]
    return [posixpath.normpath(posixpath.join("ppt", t)) for t in order if t]


def _pptx_slide(slide) -> tuple[str, str]:
    """(title, HTML of the rest) of one slide, shapes in document order."""
    title, body = "", []
    for shape in slide.iter():
        tag = shape.tag.rsplit("}", 1)[-1]
        if tag == "sp":
            placeholder = shape.find(f".//{{{_PPT['p']}}}ph")
            kind = placeholder.get("type", "") if placeholder is not None else ""
            text_body = shape.find(f"{{{_PPT['p']}}}txBody")
            if text_body is None:
                continue
            if kind in ("title", "ctrTitle") and not title:
                title = " ".join(_pptx_text(p) for p in text_body.iter(f"{{{_PPT['a']}}}p")).strip()
            else:
                body.append(_pptx_paragraphs(text_body))
        elif tag == "tbl":
            rows = "".join(
                "<tr>" + "".join(f"<td>{_pptx_paragraphs(tc)}</td>" for tc in tr.iter(f"{{{_PPT['a']}}}tc")) + "</tr>"
                for tr in shape.iter(f"{{{_PPT['a']}}}tr")
            )
            body.append(f"<table>{rows}</table>")
    return title, "".join(body)


def _pptx_paragraphs(text_body) -> str:
    out = []
    for p in text_body.iter(f"{{{_PPT['a']}}}p"):
        text = _pptx_text(p, bold=True)
        if not text.strip():
            continue
        props = p.find(f"{{{_PPT['a']}}}pPr")
        level = int(props.get("lvl", "0") or 0) if props is not None else 0
        out.append(f"<ul><li>{text}</li></ul>" if level else f"<p>{text}</p>")
    return "".join(out)


def _pptx_text(paragraph, bold: bool = False) -> str:
    runs = []
    for node in paragraph:
        tag = node.tag.rsplit("}", 1)[-1]
        if tag == "br":
            runs.append("<br>" if bold else " ")
        elif tag in ("r", "fld"):
            text = "".join(t.text or "" for t in node.iter(f"{{{_PPT['a']}}}t"))
            props = node.find(f"{{{_PPT['a']}}}rPr")
            strong = bold and props is not None and props.get("b") in ("1", "true")
            runs.append(f"<b>{html.escape(text)}</b>" if strong and text.strip() else html.escape(text) if bold else text)
    return "".join(runs)


def _pptx_notes(notes) -> str:
    """A notes slide's body placeholder (not its slide image or number)."""
    for shape in notes.iter(f"{{{_PPT['p']}}}sp"):
        placeholder = shape.find(f".//{{{_PPT['p']}}}ph")
        text_body = shape.find(f"{{{_PPT['p']}}}txBody")
        if placeholder is not None and placeholder.get("type") == "body" and text_body is not None:
            return _pptx_paragraphs(text_body)
    return ""


def rtf_text(text: str) -> str:
    """RTF (Word's and Google Docs' "Rich Text") as plain text for the plain-text reader; a
    table's rows, which come out as `cell|cell|`, as markdown table rows."""
    from striprtf.striprtf import rtf_to_text

    out: list[str] = []
    in_table = False
    for line in rtf_to_text(text, errors="replace").split("\n"):
        row = line.rstrip()
        if row.endswith("|") and row.count("|") >= 2:
            cells = [c.strip() for c in row[:-1].split("|")]
            out.extend(["", "| " + " | ".join(cells) + " |", "|" + " --- |" * len(cells)] if not in_table else ["| " + " | ".join(cells) + " |"])
            in_table = True
        else:
            if in_table:
                out.append("")  # a blank line ends the table
            out.append(line)
            in_table = False
    return "\n".join(out)


_CSV_DELIMITERS = ",;\t"
# Jira names a custom field's column "Custom field (Root Cause)".
_CUSTOM_FIELD = re.compile(r"^Custom field \((.{1,80})\)$")


def _pipes_escaped(rows: list[list[str]]) -> list[list[str]]:
    """Cells a markdown table can hold: a '|' in a cell's text is no column break."""
    return [[cell.replace("|", "\\|") for cell in row] for row in rows]


def csv_to_markdown(text: str) -> str:
    """A sheet saved as CSV (a tracker's or a retro board's export, a timeline), read as its
    rows are laid out (rows_to_markdown)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    # The delimiter the first row uses most: a sniffer guessing from quote patterns can take
    # a comma inside the prose of a cell for one.
    delimiter = max(_CSV_DELIMITERS, key=first.count)
    return rows_to_markdown(csv.reader(io.StringIO(text), delimiter=delimiter))


def rows_to_markdown(rows: Iterable[list[str]]) -> str:
    """A sheet's rows: each run of rows between empty ones is read as it is laid out. One cell a
    row is a paragraph; two cells are `**Key:** value` lines; a header over a single record (one
    ticket exported) is that record's fields, one a line; anything wider is a table."""
    runs: list[list[list[str]]] = [[]]
    for row in rows:
        cells = [" ".join(cell.split()) if len(row) > 2 else cell.strip() for cell in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            runs[-1].append(cells)
        elif runs[-1]:
            runs.append([])
    blocks = []
    for run in filter(None, runs):
        width = max(map(len, run))
        if width == 1:
            blocks.extend(cells[0] for cells in run)
        elif width == 2 or len(run) == 2:
            pairs = [(r[0], r[1] if len(r) > 1 else "") for r in run] if width == 2 else zip(*run)
            blocks.append(_field_lines(pairs))
        else:
            blocks.append(_sectioned_fields(run) or _record_and_entries(run) or markdown_table(_pipes_escaped(run)))
    return "\n\n".join(blocks)


def _field_lines(pairs) -> str:
    return "\n".join(f"**{_column_label(key)}:** {value}" if key else value for key, value in pairs if value)


# A form kept as a sheet of three columns, "Section | Field | Value": its fields under their
# sections' headings, as the form reads.
_SECTION_COLUMN = re.compile(r"^(?:section|group|part|area|heading|stage|category)$", re.I)
_FIELD_COLUMN = re.compile(r"^(?:field|item|key|name|attribute|question|label|property)$", re.I)
_VALUE_COLUMN = re.compile(r"^(?:values?|details?|content|answer|response|text|entry)$", re.I)


def _sectioned_fields(run: list[list[str]]) -> str:
    """A run headed "Section | Field | Value" as headings and `**Field:** value` lines; '' for any other."""
    header = [cell.strip() for cell in run[0]]
    if len(header) != 3 or not (_SECTION_COLUMN.match(header[0]) and _FIELD_COLUMN.match(header[1]) and _VALUE_COLUMN.match(header[2])):
        return ""
    out, section = [], None
    for row in run[1:]:
        name, key, value = (row + ["", ""])[:3]
        if name and name != section:
            section = name
            out.append(f"\n## {name}\n")
        out.append(_field_lines([(key, value)]))
    return "\n".join(o for o in out if o).strip()


def _record_and_entries(run: list[list[str]]) -> str:
    """One record exported a row per entry of its journal (a problem tool's grid: the record's
    fields repeated on every row beside each work note): its fields once, as a single record's
    are read, then its entries as a table. '' for a table of rows that differ."""
    header, rows = run[0], run[1:]
    if len(rows) < 2 or any(len(r) > len(header) for r in rows):
        return ""
    rows = [r + [""] * (len(header) - len(r)) for r in rows]
    same = [i for i, _ in enumerate(header) if len({r[i] for r in rows}) == 1]
    apart = [i for i, _ in enumerate(header) if i not in same]
    if len(same) < 3 or not apart or len(apart) > len(same):
        return ""
    entries = [[header[i] for i in apart], *([r[i] for i in apart] for r in rows)]
    return f"{_field_lines((header[i], rows[0][i]) for i in same)}\n\n{markdown_table(_pipes_escaped(entries))}"


# The namespaces of a workbook's parts (SpreadsheetML, and the relationships that name each
# sheet's part).
_XL = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_XL_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Built-in number formats that show a serial number as a date (14-17, 22) or a time (18-21, 45-47).
_DATE_FORMATS, _TIME_FORMATS = {14, 15, 16, 17, 22}, {18, 19, 20, 21, 45, 46, 47}
_CELL_COLUMN = re.compile(r"^([A-Z]{1,3})\d")


def xlsx_to_markdown(data: bytes) -> str:
    """A workbook (an incident form laid out in a sheet, a tracker's row, a timeline tab): each
    sheet read as a CSV export of it is (rows_to_markdown). Dates and times show as the sheet
    shows them, not as serial numbers."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        shared = _xlsx_shared_strings(z)
        kinds = _xlsx_cell_kinds(z)
        sheets = _xlsx_sheets(z)
        out = []
        for title, part in sheets:
            body = rows_to_markdown(_xlsx_rows(_zip_xml(z, part), shared, kinds))
            # The first tab is the write-up; a tab's name ("Summary", "Form") is no title, and
            # the tabs after it ("Timeline", "Actions") are its sections.
            if body:
                out.append(f"## {title}\n\n{body}" if out else body)
    return "\n\n".join(out)


def _xlsx_sheets(z: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(tab name, part name) of each sheet, in the workbook's order."""
    book, rels = _zip_xml(z, "xl/workbook.xml"), _zip_xml(z, "xl/_rels/workbook.xml.rels")
    targets = {r.get("Id"): r.get("Target", "") for r in (rels.iter(f"{_PKG_REL}Relationship") if rels is not None else [])}
    sheets = []
    for sheet in book.iter(f"{_XL}sheet"):
        target = targets.get(sheet.get(f"{_XL_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if part in z.namelist():
            sheets.append((sheet.get("name", ""), part))
    return sheets


def _xlsx_shared_strings(z: zipfile.ZipFile) -> list[str]:
    table = _zip_xml(z, "xl/sharedStrings.xml")
    if table is None:
        return []
    # A string with runs of formatting keeps its text in each run's <t>; phonetic hints (<rPh>) are no text.
    return [
        "".join(t.text or "" for t in [si.find(f"{_XL}t"), *(r.find(f"{_XL}t") for r in si.findall(f"{_XL}r"))] if t is not None)
        for si in table.iter(f"{_XL}si")
    ]


def _xlsx_cell_kinds(z: zipfile.ZipFile) -> list[str]:
    """For each cell style, 'date', 'time' or '' (a number shown as a number)."""
    styles = _zip_xml(z, "xl/styles.xml")
    if styles is None:
        return []
    custom = {int(f.get("numFmtId", "0")): f.get("formatCode", "").lower() for f in styles.iter(f"{_XL}numFmt")}
    kinds = []
    xfs = styles.find(f"{_XL}cellXfs")
    for xf in (xfs if xfs is not None else []):
        fmt = int(xf.get("numFmtId", "0"))
        code = re.sub(r'"[^"]*"|\[[^\]]*\]', "", custom.get(fmt, ""))
        if fmt in _DATE_FORMATS or re.search(r"[dy]", code):
            kinds.append("date")
        elif fmt in _TIME_FORMATS or re.search(r"h", code):
            kinds.append("time")
        else:
            kinds.append("")
    return kinds


# A write-up's sheet holds a few hundred cells; a sheet of more is data, and one of empty cells
# spread over 16,384 columns would make a list of millions.
MAX_SHEET_CELLS = 100_000


def _xlsx_rows(sheet, shared: list[str], kinds: list[str]) -> list[list[str]]:
    """A sheet's rows as lists of cell texts, each cell in its column; a row number the sheet
    skips is an empty row (runs of rows are told apart by one)."""
    rows: list[list[str]] = []
    count = last = 0
    for row in sheet.iter(f"{_XL}row"):
        at = int(row.get("r")) if row.get("r", "").isdigit() else last + 1
        if at > last + 1:
            rows.append([])
        last = at
        cells: list[str] = []
        for c in row.iter(f"{_XL}c"):
            m = _CELL_COLUMN.match(c.get("r", ""))
            column = _column_number(m.group(1)) if m else len(cells)
            count += max(column - len(cells), 0) + 1
            if count > MAX_SHEET_CELLS:
                raise ValueError(f"a sheet of over {MAX_SHEET_CELLS:,} cells is data, not a write-up")
            cells.extend("" for _ in range(column - len(cells)))
            cells.append(_xlsx_value(c, shared, kinds))
        rows.append(cells)
    return rows


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _xlsx_value(c, shared: list[str], kinds: list[str]) -> str:
    kind, v = c.get("t", "n"), c.find(f"{_XL}v")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in c.iter(f"{_XL}t"))
    text = v.text or "" if v is not None else ""
    if kind == "s":
        return shared[int(text)] if text.isdigit() and int(text) < len(shared) else ""
    if kind == "b":
        return "TRUE" if text == "1" else "FALSE"
    style = int(c.get("s", "0"))
    shown = kinds[style] if style < len(kinds) else ""
    if kind == "n" and shown and re.fullmatch(r"\d{1,7}(?:\.\d+)?", text) and float(text) < 2_958_466:  # 9999-12-31
        serial = float(text)
        moment = datetime.datetime(1899, 12, 30) + datetime.timedelta(days=serial)
        if shown == "time":
            return moment.strftime("%H:%M")
        return moment.strftime("%Y-%m-%d %H:%M" if serial % 1 else "%Y-%m-%d")
    return text


# A WebVTT cue's timing line ("00:01:04.980 --> 00:01:09.200 align:start"), a voice span
# ("<v Hana Kowalczyk>"), and the other markup a cue's text may hold (<c>, <i>, <00:01:05.100>).
_VTT_TIMING = re.compile(r"^(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}[ \t]+-->[ \t]+\S")
_VTT_VOICE = re.compile(r"^<v(?:\.[\w.-]{1,40})?[ \t]+([^<>\n]{1,80})>")
_VTT_TAG = re.compile(r"</?[a-z][^<>\n]{0,80}>|<\d[\d:.]{4,14}>", re.I)
# A turn of a transcript: "Hana Kowalczyk: Yeah, and to be fair ...".
SPEAKER_TURN = re.compile(r"([A-Z][\w.'-]{0,30}(?:[ \t][A-Z][\w.'-]{0,30}){0,3}):[ \t]+(?=\S)")


def vtt_to_markdown(text: str) -> str:
    """A meeting recording's transcript (Zoom's and Teams' `.vtt`): its cues as what each person
    said, one paragraph a turn; the header, cue numbers, timings and notes are the player's."""
    turns: list[list[str]] = []  # [speaker, words]
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = block.strip().splitlines()
        timing = next((i for i, line in enumerate(lines) if _VTT_TIMING.match(line)), None)
        if timing is None:
            continue  # the WEBVTT header, a NOTE, STYLE or REGION block
        cue = " ".join(line.strip() for line in lines[timing + 1:])
        voice = _VTT_VOICE.match(cue)
        speaker = voice.group(1).strip() if voice else ""
        cue = _VTT_TAG.sub("", cue).strip()
        said = SPEAKER_TURN.match(cue)
        if not speaker and said:
            speaker, cue = said.group(1), cue[said.end():].strip()
        if turns and (speaker == turns[-1][0] or not speaker):
            turns[-1][1] += " " + cue
        elif cue:
            turns.append([speaker, cue])
    return "\n\n".join(f"{who}: {words}" if who else words for who, words in turns)


def _column_label(key: str) -> str:
    custom = _CUSTOM_FIELD.match(key)
    key = (custom.group(1) if custom else key).rstrip(":")
    # A tool's column names as a person reads them: "cause_notes" is "Cause notes".
    return _json_label(key) if re.fullmatch(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+", key) else key


def _title_first(markdown: str) -> str:
    """A word processor's document opens on its title, set large or bold, which plain text
    loses: a short first line that is no label and no sentence is the title again."""
    lines = markdown.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return markdown
    line = lines[first].strip()
    if line.startswith("#") or len(line) > 150 or line.endswith((".", ":")) or _KEY_VALUE.match(line) or line.startswith(("|", "- ")):
        return markdown
    lines[first] = f"# {line}"
    return "\n".join(lines)


# What a Jira issue's XML says of itself, as the label lines its page shows: the workflow's
# Resolution ("Done") and the version a bug was found in say nothing of the incident's fix.
_RSS_FIELDS = (("status", "Status"), ("component", "Components"), ("created", "Created"))
_MARKUP = re.compile(r"<[a-zA-Z][^<>]{0,300}>")


def rss_to_markdown(data: bytes) -> str:
    """A feed's items (Jira's "Export XML" of an issue, a search's issues, a status page's
    incidents), each through the HTML hub: its summary or title as the heading, its fields as
    label lines, its description, each custom field (a text field such as "Root Cause" as a
    section of that name, a one-line value as a label) and each comment under its author's
    "commented" line, which the parser reads as a tracker's thread. An Atom feed's entries
    come first (a feed has one kind or the other)."""
    from xml.etree import ElementTree

    feed = ElementTree.fromstring(data)
    parts = _atom_entries(feed)
    for item in feed.iter("item"):
        title = item.findtext("summary") or re.sub(r"^\[[A-Z][A-Z0-9]*-\d+\]\s*", "", item.findtext("title") or "")
        parts.append(f"<h1>{html.escape(title.strip())}</h1>")
        for tag, label in _RSS_FIELDS:
            values = [v.text.strip() for v in item.iter(tag) if v.text and v.text.strip()]
            if values:
                parts.append(f"<p><strong>{label}:</strong> {html.escape(', '.join(values))}</p>")
        fields = []
        for field in item.iter("customfield"):
            name = (field.findtext("customfieldname") or "").strip()
            values = [v.text.strip() for v in field.iter("customfieldvalue") if v.text and v.text.strip()]
            if not name or not values:
                continue
            value = "\n".join(values)
            if _MARKUP.search(value) or "\n" in value or len(value) > 120:
                fields.append(f"<h2>{html.escape(name)}</h2>{_as_html(value)}")
            else:
                parts.append(f"<p><strong>{html.escape(name)}:</strong> {html.escape(value)}</p>")
        parts.append(_as_html(item.findtext("description") or ""))
        parts.extend(fields)
        for comment in item.iter("comment"):
            # One word, as a tracker's page names a commenter: the parser knows a thread by it.
            author = "_".join((comment.get("author") or "someone").split())
            parts.append(f"<p>{html.escape(author)} commented on {html.escape(comment.get('created') or '')}</p>{_as_html(comment.text or '')}")
    return html_to_markdown("\n".join(parts))


_ATOM = "{http://www.w3.org/2005/Atom}"


def _atom_entries(feed) -> list[str]:
    """An Atom feed's entries (a status page's incident history) as HTML: each one's title as
    the heading, when it was published, and its content (or its summary) as the page shows it."""
    parts = []
    for entry in feed.iter(f"{_ATOM}entry"):
        parts.append(f"<h1>{html.escape((entry.findtext(f'{_ATOM}title') or '').strip())}</h1>")
        when = (entry.findtext(f"{_ATOM}published") or entry.findtext(f"{_ATOM}updated") or "").strip()
        if when:
            parts.append(f"<p><strong>Published:</strong> {html.escape(when)}</p>")
        body = next((b for b in (entry.find(f"{_ATOM}content"), entry.find(f"{_ATOM}summary")) if b is not None), None)
        if body is not None:
            parts.append(_atom_html(body))
    return parts


def _local_names(element):
    """An XML tree with its tags' namespaces dropped ("{http://www.w3.org/1999/xhtml}p" -> "p"),
    in place: as the HTML reader knows tags, and as an export names them whatever its version."""
    for node in element.iter():
        node.tag = node.tag.rpartition("}")[2]
    return element


def _atom_html(element) -> str:
    """An Atom text construct as HTML: escaped HTML, inline XHTML (its namespace dropped) or
    plain text."""
    from xml.etree import ElementTree

    kind = element.get("type", "text")
    if kind == "html":
        return element.text or ""
    if kind == "xhtml":
        return "".join(ElementTree.tostring(child, encoding="unicode") for child in _local_names(element))
    return _as_html(element.text or "")


def _as_html(value: str) -> str:
    """A field's value as HTML: Jira renders text fields to HTML; a plain value is escaped."""
    if _MARKUP.search(value):
        return value
    return "".join(f"<p>{html.escape(p)}</p>" for p in re.split(r"\n\s*\n", value) if p.strip())


# A JSON export's keys that hold its title, what a comment says, who said it and when; and keys
# whose values are bookkeeping (ids, links, addresses), not the write-up.
_JSON_TITLE_KEYS = ("title", "subject", "summary", "short_description", "name", "description")
_JSON_BODY_KEYS = ("body", "plain_body", "text", "comment", "content", "message")
_JSON_AUTHOR_KEYS = ("author", "author_name", "from", "user", "created_by", "submitter")
_JSON_WHEN_KEYS = ("created_at", "created", "date", "timestamp", "time")
_JSON_BOOKKEEPING = re.compile(r"(?:^|[_\s-])(?:id|ids|url|uri|href|email|avatar|token|etag|self)$", re.I)
# A value longer than a line reads as a section under its key's name, not a label.
_JSON_SECTION_CHARS = 120


# How deep a write-up's export (JSON, YAML, TOML, XML) nests its record: deeper is data.
RECORD_DEPTH = 12


def json_to_markdown(text: str) -> str:
    return data_to_markdown(json.loads(text))


def data_to_markdown(data) -> str:
    """A ticket or an incident kept as data (a helpdesk's ticket with its comments exported as
    JSON, an incident tool's record, a team's YAML or TOML post-mortem kept in its repository),
    laid out as a tracker's page is: its title as the heading, its short values as a table of
    fields under their keys' names ("root_cause" is "Root cause"), each long one as a section, and
    a list of comments as a thread under each author's "commented" line."""
    data = _one_record(_dates_as_text(data, 0))
    rows: list[list[str]] = []
    parts: list[str] = []
    _json_parts(data, "", rows, parts, 0)
    title = _json_title(data)
    # The short values as one table of fields, as a tracker's page shows them: particulars, not
    # sentences of the story.
    table = markdown_table(_pipes_escaped([["Field", "Value"], *rows])) if rows else ""
    return "\n\n".join(p for p in (f"# {title}" if title else "", table, *parts) if p)


def _one_record(data):
    """An export's envelope around its one record ({"export_info": {...}, "records": [{...}]},
    no title of its own): the record, whose keys then name its fields without the envelope's."""
    if not isinstance(data, dict) or _json_title(data):
        return data
    lists = [v for v in data.values() if isinstance(v, list)]
    if len(lists) == 1 and len(lists[0]) == 1 and isinstance(lists[0][0], dict) and _json_title(lists[0][0]):
        return lists[0][0]
    return data


def notebook_to_markdown(text: str) -> str:
    """A Jupyter notebook (a data team's post-mortem written beside its queries): its markdown
    cells are the write-up, in order; a code cell and what it printed are code blocks between
    them, the evidence the prose talks about, never read as prose."""
    cells = json.loads(text).get("cells")
    if not isinstance(cells, list):
        raise ValueError("no cells: not a Jupyter notebook of format 4")
    parts = []
    for cell in cells:
        source = _notebook_text(cell.get("source"))
        if cell.get("cell_type") == "markdown":
            parts.append(source)
        elif cell.get("cell_type") == "code":
            printed = [_notebook_output(out) for out in cell.get("outputs") or []]
            parts.extend(fenced_code(block) for block in (source, *printed) if block.strip())
    return "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def _notebook_text(value) -> str:
    """A notebook's text: one string, or a list of its lines (as Jupyter saves it)."""
    return "".join(value) if isinstance(value, list) else str(value or "")


def _notebook_output(out: dict) -> str:
    """What a code cell printed, returned (as plain text) or raised."""
    if out.get("output_type") == "error":
        return f"{out.get('ename', '')}: {out.get('evalue', '')}"
    return _notebook_text(out.get("text") or (out.get("data") or {}).get("text/plain"))


def yaml_data(text: str):
    """A YAML file's data, one document or a list of them, read without aliases or deep nesting."""
    try:
        documents = [d for d in yaml.load_all(text, Loader=SafeYamlLoader) if d is not None]
    except RefusedYaml as exc:
        raise ValueError(f"the YAML file {exc}") from None
    return documents[0] if len(documents) == 1 else documents


def xml_data(text: str):
    """A record kept as XML (a service desk's unload, a problem tool's SOAP response) as data:
    each element under its own name, without its namespace; the envelopes around the record
    (<unload>, <soapenv:Body>, a response's list) unwrapped. (The standard library's parser
    resolves no external entity and, with the expat it ships, refuses an entity bomb.)"""
    from xml.etree import ElementTree

    data = _xml_node(ElementTree.fromstring(text), 0)
    while isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), dict):
        data = next(iter(data.values()))
    return data


def _xml_node(element, depth: int):
    children = list(element)
    if not children or depth > RECORD_DEPTH:  # deeper, an element is read as its text
        text = "".join(element.itertext()).strip()
        # A reference field's shown value (ServiceNow's display_value="Integration Platform")
        # over the id it stores; an empty element's attributes as its fields.
        shown = element.get("display_value") or element.get("displayValue")
        return shown or text or ({k.rpartition("}")[2]: v for k, v in element.attrib.items()} if element.attrib else "")
    grouped: dict[str, list] = {}
    for child in children:
        grouped.setdefault(child.tag.rpartition("}")[2], []).append(_xml_node(child, depth + 1))
    # Repeated elements (a work log's <Entry>s) are a list, as JSON keeps them.
    return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}


MAX_YAML_DEPTH = 20


class RefusedYaml(yaml.YAMLError):
    """YAML built to do harm (an alias bomb, nesting past the limit): never read."""


class SafeYamlLoader(yaml.SafeLoader):
    """safe_load that refuses aliases and deep nesting before building anything: an alias
    bomb of a few hundred bytes expands to gigabytes when its value is printed, and deep
    nesting overflows the composer's recursion."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise RefusedYaml("uses an alias (*name); aliases are not supported")
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise RefusedYaml(f"is nested more than {MAX_YAML_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _dates_as_text(node, depth: int):
    """YAML's and TOML's dates and times as the text they were written as ("2024-03-05"): a
    record's date is a field like any other. Deeper than a write-up nests, the data is left as it is."""
    if depth > RECORD_DEPTH:
        return node
    if isinstance(node, dict):
        return {k: _dates_as_text(v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_dates_as_text(v, depth + 1) for v in node]
    if isinstance(node, (datetime.date, datetime.time)):
        return node.isoformat()
    return node


def _json_text(value: str) -> str:
    """A value as markdown: a helpdesk's HTML body through the HTML reader, plain text as it is."""
    return html_to_markdown(value) if _MARKUP.search(value) else value


def _json_title(data) -> str:
    """The first title-like value at the top of the export or one level down."""
    for node in [data, *(v for v in data.values() if isinstance(v, dict))] if isinstance(data, dict) else []:
        # Whatever the case its tool writes the key in ("Description", "short_description").
        named = {str(k).lower(): v for k, v in node.items()}
        for key in _JSON_TITLE_KEYS:
            value = named.get(key)
            if isinstance(value, str) and 0 < len(value) <= 200:
                return value.strip()
    return ""


def _json_label(key: str) -> str:
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize()


def _json_field(key: str, value: str, rows: list[list[str]], parts: list[str]) -> None:
    value = value.strip()
    if not value or not key or _JSON_BOOKKEEPING.search(key) or re.match(r"https?://|mailto:", value):
        return
    if "\n" in value or len(value) > _JSON_SECTION_CHARS:
        parts.append(f"## {_json_label(key)}\n\n{_json_text(value)}")
    else:
        # A field among the record's particulars goes by its own name ("services", not
        # "Impact / services"), as a tracker's page shows it.
        rows.append([_json_label(key.rpartition(" / ")[2]), value])


def _json_name(value) -> str:
    if isinstance(value, dict):
        value = next((value[k] for k in ("name", "display_name", "displayName", "login", "email") if isinstance(value.get(k), str)), "")
    return value if isinstance(value, str) else ""


def _json_parts(node, key: str, rows: list[list[str]], parts: list[str], depth: int) -> None:
    if depth > RECORD_DEPTH:
        return  # deeper is data
    if isinstance(node, dict):
        named = _custom_field_name(node)
        if named is not None:
            # A custom field as trackers export them: {"name": "Root cause", "value": "..."}.
            value = node["value"]
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                _json_field(named, str(value), rows, parts)
            return
        body = next((node[k] for k in _JSON_BODY_KEYS if isinstance(node.get(k), str) and node[k].strip()), None)
        if body is not None and key and any(k in node for k in _JSON_AUTHOR_KEYS):
            # One comment of a thread: under its author's "commented" line, as a tracker's page
            # names a commenter in one word.
            author = "_".join(_json_name(next(node[k] for k in _JSON_AUTHOR_KEYS if k in node)).split()) or "someone"
            when = next((str(node[k]) for k in _JSON_WHEN_KEYS if isinstance(node.get(k), str)), "")
            parts.append(f"{author} commented on {when}\n\n{_json_text(body)}")
            return
        wrapper = depth == 0 and len(node) == 1 and isinstance(next(iter(node.values())), dict)
        for k, v in node.items():
            # A nested record's keys are read with its own ("requester" "name" is the requester's
            # name), a part's under the part's name (a TOML `[cause]` table's "primary" is
            # "Cause / primary"); the export's wrapper ({"ticket": {...}}) names nothing of the
            # write-up.
            child = f"{key} / {k}" if depth == 1 and key else f"{key} {k}" if depth >= 2 and key else "" if wrapper else str(k)
            _json_parts(v, child, rows, parts, depth + 1)
    elif isinstance(node, list):
        if all(isinstance(v, str) for v in node):
            _json_field(key, ", ".join(v for v in node if v.strip()), rows, parts)
        elif key and not all(_custom_field_name(v) for v in node) and (table := _records_table(node)):
            parts.append(f"## {_json_label(key)}\n\n{table}")
        else:
            for item in node:
                _json_parts(item, key, rows, parts, depth + 1)
    elif isinstance(node, str):
        _json_field(key, node, rows, parts)


def _custom_field_name(node) -> str | None:
    """A custom field's name, as trackers export one: {"id": 360001, "title": "Root cause", "value": "..."}."""
    if not isinstance(node, dict) or "value" not in node or len(node) > 5:
        return None
    return next((node[k] for k in ("name", "label", "field", "title") if isinstance(node.get(k), str)), None)


def _records_table(items: list) -> str:
    """A list of records of a few plain values each (a timeline's `{at, what}` entries, an
    action list's `{owner, due, action}`) as one table under their keys, as a page lays them
    out; '' for anything else, a comment thread among them."""
    if len(items) < 2 or not all(isinstance(i, dict) and 0 < len(i) <= 6 for i in items):
        return ""
    if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for i in items for v in i.values()):
        return ""
    if any(any(k in i for k in _JSON_BODY_KEYS) and any(k in i for k in _JSON_AUTHOR_KEYS) for i in items):
        return ""
    keys = [k for k in dict.fromkeys(k for i in items for k in i) if not _JSON_BOOKKEEPING.search(str(k))]
    rows = [[_json_label(str(k)) for k in keys], *([str(i.get(k, "")) for k in keys] for i in items)]
    return markdown_table(_pipes_escaped([[" ".join(c.split()) for c in row] for row in rows])) if keys else ""


# A mailbox file's "From sender date" line over a message's headers: where each message starts
# (a body's own "From " lines are written ">From ").
_MBOX_SEPARATOR = re.compile(rb"^From [^\r\n]{1,300}\r?\n(?=[A-Za-z][\w-]{0,40}:)", re.M)


def mbox_to_markdown(data: bytes) -> str:
    """A mailbox file (a list's archive, a thread saved from a mail client): its messages in
    order, each read as an email is."""
    starts = [m.start() for m in _MBOX_SEPARATOR.finditer(data)] + [len(data)]
    messages = [data[a:b] for a, b in zip(starts, starts[1:])]
    return "\n\n".join(mime_to_markdown(m.split(b"\n", 1)[1]) for m in messages if b"\n" in m)


# (Not <pre>: a client's HTML copy may be the text part in a fixed-width block, read as code.)
_HTML_STRUCTURE = re.compile(r"<(?:h[1-6]|li|table|strong|b|th|dt)\b", re.I)


def mime_to_markdown(data: bytes) -> str:
    """An email (`.eml`) or a web archive (`.mht`, Confluence's "Export to Word" `.doc`): its
    HTML part through the hub, else its text part as a text file is read. An email keeps its
    subject, sender and date on top, as a mail client shows them (the subject may be the only
    title); a web archive's headers are the browser's or exporter's, not the document's."""
    import email
    from email import policy

    message = email.message_from_bytes(data, policy=policy.default)
    html_part = plain = None
    attached = []
    for part in message.walk():
        if part.get_content_disposition() == "attachment" and not part.is_multipart():
            # "Please find attached the post-incident review": the review itself, read as the
            # file it is (never another message, which could nest without end).
            name, payload = part.get_filename() or "", part.get_payload(decode=True) or b""
            kind = sniff(payload, name) if name and payload else "unsupported:"
            if kind not in ("mime", "mbox", "rss") and not kind.startswith("unsupported:"):
                text, _, _ = to_markdown(payload, name)
                attached.extend([text] if text else [])
            continue
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        if kind == "text/html" and html_part is None:
            html_part = part.get_content()
        elif kind == "text/plain" and plain is None:
            plain = part.get_content()
    # A mail client's HTML copy of a plain-text message (paragraphs and line breaks, nothing
    # more) loses the text's layout, its headings on lines of their own above their paragraphs:
    # the text part says the same and keeps it.
    body = html_to_markdown(html_part) if html_part is not None and (not plain or _HTML_STRUCTURE.search(html_part)) else None
    if body is not None and plain and len(plain.split()) > 2 * len(body.split()):
        # A notification's HTML copy that only announces the text ("the full article is in the
        # plain-text version of this message"): the text part is the document.
        body = None
    if body is None:
        # The subject names the message; the text's opening line is its greeting or its first
        # sentence, not a title the text reader should make of it.
        body = re.sub(r"^# ", "## ", _read_text(plain or "", "message.txt")[0], count=1)
    body = "\n\n".join([body, *attached])
    if message.get_content_type() == "multipart/related":
        return body
    header = "\n".join(f"{key}: {' '.join(str(message[key]).split())}" for key in ("Subject", "From", "Date") if message[key])
    return f"{header}\n\n{body}" if header else body


_ADOC_HEADING = re.compile(r"^(={1,6})[ \t]+(\S.*)$")
_ADOC_ATTRIBUTE = re.compile(r"^:([\w-]+):[ \t]*(.*)$")
# AsciiDoc's and a tracker's bold: one pair of stars around words ("*Fix:*"), markdown's ** not.
_STAR_BOLD = re.compile(r"(?<![*\w])\*(?=\S)([^*\n]{1,200}?)(?<=\S)\*(?![*\w])")
# Struck-through words, "[.line-through]#as first written#": markdown's ~~...~~.
_ADOC_STRIKE = re.compile(r"\[\.line-through\]#([^#\n]+(?:\n[^#\n]+){0,20})#")
_ADOC_DELIMITER = re.compile(r"^(?:={4,}|\*{4,}|_{4,}|\+{4,}|/{4,})$")
# An ordered list's item, one or two levels; a line opening on "... " is a writer's ellipsis.
_ADOC_ORDERED = re.compile(r"^[ \t]*(\.{1,2})[ \t]+(\S.*)$")


def _outside_code(text: str, is_fence, out: list[str]):
    """The lines of a markup's text outside its code blocks, each with its stripped form. A block
    (between two lines is_fence accepts: AsciiDoc's `----`, a tracker's `{code}`) goes straight
    to out as a markdown fence, its lines as written."""
    fenced = False
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if is_fence(stripped):
            fenced = not fenced
            out.append("```")
        elif fenced:
            out.append(line)
        else:
            yield line, stripped


def asciidoc_to_markdown(text: str) -> str:
    """AsciiDoc (docs-as-code sites) as markdown: `== Section` headings, `*bold*`, `|===` tables,
    `----` listings, `.Block titles`, and `:status: draft`-style attributes as label lines. The
    rest of the syntax reads the same in both."""
    out: list[str] = []
    cells: list[str] | None = None
    columns = 0
    numbers: list[int] = []  # the open ordered list's item number at each level
    text = _ADOC_STRIKE.sub(r"~~\1~~", text)
    for line, stripped in _outside_code(text, lambda s: s in ("----", "...."), out):
        if stripped == "|===":
            if cells is None:
                cells, columns = [], 0
            else:
                out.extend(_adoc_table(cells, columns or 2))
                cells = None
            continue
        if cells is not None:
            if stripped and not stripped.startswith("|") and cells:
                cells[-1] = f"{cells[-1]} {stripped}"  # a cell's text goes on over its lines
                continue
            row = [c.strip() for c in stripped.split("|")[1:]] if stripped.startswith("|") else []
            columns = columns or (len(row) if len(row) > 1 else 0)
            cells.extend(row)
            continue
        heading = _ADOC_HEADING.match(stripped)
        attribute = _ADOC_ATTRIBUTE.match(stripped)
        if heading:
            out.append(f"{'#' * len(heading.group(1))} {heading.group(2)}")
        elif attribute:
            if attribute.group(2):
                out.append(f"{attribute.group(1).replace('-', ' ').capitalize()}: {attribute.group(2)}")
        elif stripped.startswith("//") or _ADOC_DELIMITER.match(stripped) or re.fullmatch(r"\[[^\]]*\]", stripped):
            continue  # comments, block delimiters and block attributes ("[source,bash]")
        elif re.match(r"^\.[A-Za-z]", stripped):
            out.append(f"**{stripped[1:]}**")
        elif item := _ADOC_ORDERED.match(line):
            # ". Re-route the cable", ".. its sub-step": numbered by the reader, in order.
            level = len(item.group(1))
            numbers = numbers[:level - 1] + [numbers[level - 1] + 1 if len(numbers) >= level else 1]
            out.append("   " * (level - 1) + f"{numbers[-1]}. " + _STAR_BOLD.sub(r"**\1**", item.group(2)))
            continue
        else:
            out.append(_STAR_BOLD.sub(r"**\1**", line))
        if stripped:
            numbers = []
    if cells:
        out.extend(_adoc_table(cells, columns or 2))
    return "\n".join(out)


def _adoc_table(cells: list[str], columns: int) -> list[str]:
    rows = [cells[i:i + columns] for i in range(0, len(cells), columns)]
    lines = ["", *("| " + " | ".join(r) + " |" for r in rows[:1]), "|" + " --- |" * columns]
    return [*lines, *("| " + " | ".join(r) + " |" for r in rows[1:]), ""]


# Org mode (Emacs users' notes and reviews): "* Heading" stars, "#+TITLE:" keywords, property
# drawers, #+BEGIN_SRC blocks, /italic/, =code=, [[link][text]].
_ORG_HEADING = re.compile(r"^(\*{1,6})[ \t]+(?:(?:TODO|DONE|WAITING|NEXT|CANCELL?ED)[ \t]+)?(?:\[#[A-Z]\][ \t]+)?(.*)$")
_ORG_TAGS = re.compile(r":[\w@#%:]+:")
_ORG_KEYWORD = re.compile(r"^#\+(\w+):[ \t]*(.*)$")
_ORG_PROPERTY = re.compile(r"^:([\w-]+):[ \t]+(\S.*)$")
_ORG_BLOCK = re.compile(r"^#\+(BEGIN|END)_(\w+)", re.I)
_ORG_LINK = re.compile(r"\[\[([^\[\]\n]{1,500})\](?:\[([^\[\]\n]{1,200})\])?\]")
_ORG_CODE = re.compile(r"(?<![\w=~])([=~])(?=\S)([^=~\n]{1,200}?)(?<=\S)\1(?![\w=~])")
_ORG_ITALIC = re.compile(r"(?<![\w/:])/(?=[A-Za-z])([^/\n]{1,200}?)(?<=[\w.!?])/(?![\w/])")


def org_to_markdown(text: str) -> str:
    """Org mode as markdown: its title keyword the title, star headings one level below it, other
    keywords and drawer properties ("#+DATE:", ":STATUS: draft") as label lines, source and
    example blocks as code, quotes as quotes, its tables' +-rules as markdown's, and its inline
    markup (*bold*, /italic/, =code=, ~code~, links)."""
    out: list[str] = []
    block = ""
    titled = False
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        marker = _ORG_BLOCK.match(stripped)
        if marker:
            kind = marker.group(2).upper()
            if kind != "QUOTE":
                out.append("```")
            block = "" if marker.group(1).upper() == "END" else kind
            continue
        if block and block != "QUOTE":
            out.append(line)
            continue
        keyword = _ORG_KEYWORD.match(stripped)
        heading = _ORG_HEADING.match(line)
        prop = _ORG_PROPERTY.match(stripped)
        if keyword:
            key, value = keyword.group(1).lower(), keyword.group(2).strip()
            if key == "title" and value and not titled:
                out.append(f"# {value}")
                titled = True
            elif value and key not in ("options", "startup", "setupfile", "html_head", "latex_header", "property", "todo", "tags"):
                out.append(f"{key.replace('_', ' ').capitalize()}: {value}")
        elif heading and heading.group(2).strip():
            # Its tags (":cause:ops:") are the writer's filing, not the heading's words.
            name, _, tags = heading.group(2).strip().rpartition(" ")
            name = name.rstrip() if name and _ORG_TAGS.fullmatch(tags) else heading.group(2).strip()
            out.extend(["", f"{'#' * min(6, len(heading.group(1)) + titled)} {name}", ""])
        elif stripped == ":END:":
            out.append("")  # a drawer's properties are fields of their own, not the text below
        elif stripped in (":PROPERTIES:", ":LOGBOOK:") or stripped.startswith("# ") or stripped == "#":
            continue  # drawers' fences and comments
        elif prop:
            out.append(f"{prop.group(1).replace('_', ' ').capitalize()}: {prop.group(2)}")
        elif re.fullmatch(r"\|[-+|: ]+\|?", stripped) and "-" in stripped:
            out.append(stripped.replace("+", "|"))
        else:
            line = re.sub(r"^(\s*)\+(?=\s)", r"\1-", line)  # "+ item" is a list item
            line = _ORG_LINK.sub(lambda m: f"[{m.group(2)}]({m.group(1)})" if m.group(2) else m.group(1), line)
            line = _ORG_CODE.sub(lambda m: f"`{m.group(2)}`", line)
            line = _ORG_ITALIC.sub(r"*\1*", _STAR_BOLD.sub(r"**\1**", line))
            out.append(f"> {line}" if block == "QUOTE" else line)
    return "\n".join(out)


# A wiki's own markup: MediaWiki ("== Root cause ==", '''bold''', {| tables |}) and DokuWiki
# ("====== Title ======", **bold**, ^ header ^ tables, pages kept as .txt files).
_WIKI_HEADING = re.compile(r"^(={1,6})[ \t]{0,20}([^=\n][^\n]{0,200}?)[ \t]{0,20}\1[ \t]*$", re.M)
_WIKI_LINK = re.compile(r"\[\[(?:[^\[\]|\n]{0,200}\|)?([^\[\]|\n]{0,200})\]\]")
_WIKI_EXTERNAL = re.compile(r"\[(?:https?|ftp)://[^\s\]]{1,500}[ \t]+([^\]\n]{1,200})\]")
_WIKI_TEMPLATE = re.compile(r"\{\{[^{}\n]{0,300}\}\}")
_WIKI_REF = re.compile(r"<ref[^>]{0,200}/>|<ref[^>]{0,200}>[^<]{0,1000}</ref>|<references\s*/>", re.I)


def wikitext_to_markdown(text: str) -> str:
    """MediaWiki or DokuWiki markup as markdown. DokuWiki counts its heading levels down (six
    `=` is the page title), MediaWiki up (two is a section); links keep their text, templates
    and references go."""
    text = text.replace("\r\n", "\n")
    levels = [len(m.group(1)) for m in _WIKI_HEADING.finditer(text)]
    doku = bool(levels) and (max(levels) >= 5 or bool(re.search(r"^\^.*\^[ \t]*$", text, re.M)))
    if doku:  # its plugin lines go, and a forced line break (`\\` at a line's end) is the line's end
        text = re.sub(r"[ \t]*\\\\[ \t]*$", "", _DOKU_MARKUP_LINE.sub("", text), flags=re.M)
    out: list[str] = []
    rows: list[list[str]] | None = None  # the MediaWiki table being read
    lines = text.split("\n")
    skip = 0  # the lines of a template read as fields
    for i, line in enumerate(lines):
        stripped = line.strip()
        if skip:
            skip -= 1
            continue
        end = _template_end(lines, i) if not doku else None
        if end:
            # An infobox ("{{Incident", "|title=...", "|status=resolved", "}}"): its named
            # parameters are the page's fields.
            out.extend(["", *_template_fields("".join(x.strip() for x in lines[i:end + 1]).removesuffix("}}")), ""])
            skip = end - i
            continue
        if not doku and _WIKI_CATEGORY.fullmatch(stripped):
            continue  # where the page is filed, not its text (nor a root-cause category)
        if not doku:
            # "~~~~" saved: "[[User:hm|Helen]] ([[User talk:hm|talk]]) 16:02, 6 February 2024 (GMT)"
            # says who wrote the line and when, and is none of its words.
            signed = _WIKI_SIGNATURE.search(line)
            if signed:
                line = _WIKI_SIGNATURE.sub("", line).rstrip()
                stripped = line.strip()
                if not stripped:
                    continue
        heading = _WIKI_HEADING.match(stripped)
        if heading:
            n = len(heading.group(1))
            out.extend(["", f"{'#' * (7 - n if doku else n)} {_wiki_inline(heading.group(2), doku)}", ""])
            continue
        if not doku and stripped.startswith("{|"):  # a MediaWiki table: rows after |-, cells split by || or !!
            rows = []
            continue
        if rows is not None:
            if stripped.startswith("|}"):
                out.extend(_wiki_table(rows))
                rows = None
            elif stripped.startswith("|-"):
                rows.append([])
            elif stripped[:1] in ("|", "!") and not stripped.startswith("|+"):
                # "style=... | text": a cell's attributes come before its last single bar
                cells = [c.split("|")[-1] if "=" in c.split("|")[0] else c for c in re.split(r"\|\||!!", stripped[1:])]
                if not rows:
                    rows.append([])
                rows[-1].extend(_wiki_inline(c.strip(), doku) for c in cells)  # cells may come one to a line
            continue
        if doku and len(stripped) > 1 and stripped[0] in "^|" and stripped[-1] in "^|":
            cells = [_wiki_inline(c.strip(), doku) for c in re.split(r"[|^]", stripped[1:-1])]
            if not (out and out[-1].startswith("|")):
                out.extend(["", "| " + " | ".join(cells) + " |", "|" + " --- |" * len(cells)])
            else:
                out.append("| " + " | ".join(cells) + " |")
            continue
        item = re.match(r"^( {2,})([*-])[ \t]+(.*)$", line) if doku else re.match(r"^([*#]+)[ \t]*(.*)$", stripped)
        if item:
            depth, mark, rest = (len(item.group(1)) // 2 - 1, item.group(2), item.group(3)) if doku else (len(item.group(1)) - 1, item.group(1)[-1], item.group(2))
            out.append(f"{'  ' * depth}{'1.' if mark in '#-' else '-'} {_wiki_inline(rest, doku)}")
            continue
        out.append(_wiki_inline(line, doku))
    if rows:
        out.extend(_wiki_table(rows))  # a table never closed
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


def wiki_export_to_markdown(data: bytes) -> str:
    """A wiki's XML export of its pages, each page's text under its title: MediaWiki's
    (Special:Export; of a page's revisions, the latest) and XWiki's (a page's content in its
    own syntax). A subpage is named by its last part ("Incidents/2024-04-16 Geocoder stale
    results"), without the wiki's namespace ("IT:")."""
    from xml.etree import ElementTree

    root = _local_names(ElementTree.fromstring(data))  # the export schema's version is in its namespace
    if root.tag == "xwikidoc":
        pages = [(root.findtext("title") or root.findtext("name") or "", xwiki_to_markdown(root.findtext("content") or ""))]
    else:
        pages = []
        for page in root.iter("page"):
            revisions = page.findall("revision")
            latest = max(revisions, key=lambda r: r.findtext("timestamp") or "", default=None)
            pages.append((page.findtext("title") or "", wikitext_to_markdown(latest.findtext("text") or "") if latest is not None else ""))
    titles = [re.sub(r"^[^:/]{1,40}:", "", title.strip().rpartition("/")[2]) for title, _ in pages]
    return "\n\n".join(f"# {title}\n\n{text}" if title else text for title, (_, text) in zip(titles, pages)).strip() + "\n"


# XWiki 2.x syntax: "= Title =" headings, "|=Header|=Header" and "|cell|cell" table rows,
# "{{info}} ... {{/info}}" macros around text, "{{code}} ... {{/code}}" around code.
_XWIKI_MACRO_LINE = re.compile(r"^\{\{/?[a-zA-Z][\w.-]*(?:[ \t][^{}\n]*)?/?\}\}$")
_XWIKI_CODE = re.compile(r"^\{\{(?:code|noformat)\b[^{}\n]*\}\}$")
_XWIKI_ITEM = re.compile(r"^(\*+|1+\*?\.)[ \t]+(.*)$")
_XWIKI_LINK = re.compile(r"\[\[(?:([^\[\]\n]*?)>>)?([^\[\]\n]*?)\]\]")
# (Their text runs to the next mark at most: an opener with no closer is never searched for one
# to the end of a long line.)
_XWIKI_ITALIC = re.compile(r"(?<![:/])//(?=\S)((?:(?!//).)+?)(?<=\S)//")
_XWIKI_MONOSPACE = re.compile(r"##(?=\S)((?:(?!##).)+?)(?<=\S)##")
_XWIKI_INLINE_MACRO = re.compile(r"\{\{[^{}\n]{0,200}\}\}")


def xwiki_to_markdown(text: str) -> str:
    """XWiki 2.x markup as markdown. An infobox's rows of a header cell and a value ("|=Systems|
    refill-scheduler, ...") are the page's fields; a macro's markers go and its text stays; code
    stays code."""
    out: list[str] = []
    rows: list[list[str]] = []
    code: list[str] | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if code is not None:
            if stripped == "{{/code}}" or stripped == "{{/noformat}}":
                out.append(fenced_code("\n".join(code)))
                code = None
            else:
                code.append(line)
            continue
        if stripped[:1] in ("|", "!") and (stripped[:2] != "!!"):
            rows.append(re.split(r"(?<!~)\|", stripped.lstrip("!").removeprefix("|")))
            continue
        if rows:
            out.extend(["", *_xwiki_table(rows), ""])
            rows = []
        if _XWIKI_CODE.match(stripped):
            code = []
            continue
        if _XWIKI_MACRO_LINE.match(stripped):
            continue
        level = len(stripped) - len(stripped.lstrip("="))
        if 1 <= level <= 6 and stripped.strip("= \t"):
            out.extend(["", f"{'#' * level} {_xwiki_inline(stripped.strip('= ').strip())}", ""])
            continue
        item = _XWIKI_ITEM.match(stripped)
        if item:
            marks = item.group(1)
            depth = marks.count("*") if marks.startswith("*") else marks.count("1")
            out.append(f"{'  ' * (depth - 1)}{'-' if marks.startswith('*') else '1.'} {_xwiki_inline(item.group(2))}")
            continue
        out.append("---" if re.fullmatch(r"-{4,}", stripped) else _xwiki_inline(line))
    if code is not None:
        out.append(fenced_code("\n".join(code)))
    if rows:
        out.extend(["", *_xwiki_table(rows)])
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


def _xwiki_table(rows: list[list[str]]) -> list[str]:
    """Rows of a header cell and its value as "**Header:** value" fields; any other rows as a
    table whose first row is its header."""
    cells = [[_xwiki_inline(c.removeprefix("=").strip()) for c in row] for row in rows]
    if all(len(row) == 2 and row[0].startswith("=") and not row[1].startswith("=") for row in rows):
        return [f"**{name}:** {value}" for name, value in cells]
    return [markdown_table(_pipes_escaped(cells))]


def _xwiki_inline(text: str) -> str:
    text = _XWIKI_LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = _XWIKI_MONOSPACE.sub(r"`\1`", _XWIKI_ITALIC.sub(r"*\1*", text))
    return _XWIKI_INLINE_MACRO.sub("", text).replace("\\\\", " ")


_WIKI_SIGNATURE = re.compile(
    r"(?:(?:--|—)[ \t]?)?\[\[User:[^\]\n]{1,100}\]\](?:[ \t]*\(\[\[User[ _]talk:[^\]\n]{1,100}\]\]\))?"
    r"[ \t]*\d{1,2}:\d{2},[ \t]+\d{1,2}[ \t]+[A-Za-z]{3,9}[ \t]+\d{4}[ \t]+\([A-Z]{2,5}\)", re.I
)
_WIKI_CATEGORY = re.compile(r"(?:\[\[Category:[^\]\n]{1,200}\]\][ \t]*)+", re.I)
_TEMPLATE_PARAMETER = re.compile(r"^[ \t]*([A-Za-z][\w -]{0,40}?)[ \t]*=[ \t]*(\S.*)$", re.S)


def _template_end(lines: list[str], i: int) -> int | None:
    """Where a template opened on line `i` closes, if each line between is one of its "|key=value"
    parameters; None for any other line (a brace that never closes keeps the page's text)."""
    if not lines[i].lstrip().startswith("{{") or "}}" in lines[i]:
        return None
    for j in range(i + 1, min(i + 60, len(lines))):
        stripped = lines[j].strip()
        if stripped.startswith("}}") or stripped.startswith("|") and stripped.endswith("}}"):
            return j
        if not stripped.startswith("|"):
            return None
    return None


def _template_fields(template: str) -> list[str]:
    """A template's named parameters as `Key: value` lines ("services" as "Services: ...")."""
    fields = []
    # A link's own bar ("[[User:tk|Tomasz]]") divides no parameters.
    for part in _WIKI_LINK.sub(r"\1", template).split("|")[1:]:
        named = _TEMPLATE_PARAMETER.match(part)
        if named:
            key = named.group(1).replace("_", " ").strip()
            fields.append(f"{key[:1].upper()}{key[1:]}: {_wiki_inline(named.group(2).strip(), False)}")
    return fields


def _wiki_table(rows: list[list[str]]) -> list[str]:
    rows = [r for r in rows if r]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    lines = ["| " + " | ".join(r + [""] * (width - len(r))) + " |" for r in rows]
    return ["", lines[0], "|" + " --- |" * width, *lines[1:], ""]


# DokuWiki's plugin and macro lines (<WRAP info>, ~~DISCUSSION~~, ~~NOTOC~~) are no text.
_DOKU_MARKUP_LINE = re.compile(r"^[ \t]*(?:</?(?:WRAP|wrap|note|box)\b[^<>\n]{0,200}>|~~[A-Z]{2,20}(?::[^~\n]{0,100})?~~)[ \t]*$", re.M)


def _wiki_inline(text: str, doku: bool) -> str:
    text = _WIKI_REF.sub("", _WIKI_TEMPLATE.sub("", text))
    text = _WIKI_EXTERNAL.sub(r"\1", _WIKI_LINK.sub(r"\1", text))
    if doku:  # //italic// and ''monospace''
        text = re.sub(r"''([^'\n]{1,200}?)''", r"`\1`", text)
        return re.sub(r"(?<![:/])//([^/\n]{1,200}?)//", r"*\1*", text)
    return re.sub(r"''([^'\n]{1,200}?)''", r"*\1*", re.sub(r"'''([^'\n]{1,200}?)'''", r"**\1**", text))


# Jira's and Confluence's wiki markup, and Redmine's Textile, which tracker exports and
# comments are written in: "h2. Root cause", *bold*, ||header|| and |cell| tables, {code}
# and {noformat} blocks, {panel:title=...} and {quote} macros.
_TRACKER_HEADING = re.compile(r"^h([1-6])\.[ \t]+(\S.*)$")
_TRACKER_MACRO = re.compile(r"^\{(?:code|noformat)(?::[^}\n]{0,200})?\}$|^<pre>$|^</pre>$")
_TRACKER_PANEL = re.compile(r"\{(?:panel|info|note|warning|tip|expand)(?::(?:[^}\n]{0,200}?\btitle=([^|}\n]{1,100}))?[^}\n]{0,200})?\}|\{quote\}")


# "[INC-4412] Credit bureau pulls timing out  Created: 05/Mar/24  Updated: 11/Mar/24".
_TICKET_LINE = re.compile(r"^\[[A-Z][A-Z0-9]{0,15}-\d{1,9}\][ \t]+\S")


def _without_dates(line: str) -> str:
    """The ticket line without the export's "  Created: ..." tail (found, not matched: a pattern
    would retry at every space of a long gap)."""
    cut = line.find("Created:")
    return line[:cut].rstrip() if cut > 0 and line[cut - 2:cut].isspace() else line


def tracker_markup_to_markdown(text: str) -> str:
    """Tracker wiki markup as markdown. Only what the parser reads is rewritten: headings, bold
    labels, tables and code blocks; a panel's title is a label line over its text."""
    out: list[str] = []
    opening = True
    for line, stripped in _outside_code(text, lambda s: bool(_TRACKER_MACRO.match(s)), out):
        if opening and stripped:
            opening = False
            if _TICKET_LINE.match(stripped):
                # A printable export opens on the ticket's key and summary: the incident's name,
                # above any heading its description has.
                out.extend([f"# {_without_dates(stripped)}", ""])
                continue
        heading = _TRACKER_HEADING.match(stripped)
        if heading:
            out.extend(["", f"{'#' * int(heading.group(1))} {heading.group(2)}", ""])
            continue
        if stripped.startswith("||"):
            cells = [c.strip() for c in stripped.strip("|").split("||")]
            out.extend(["", "| " + " | ".join(_STAR_BOLD.sub(r"**\1**", c) for c in cells) + " |", "|" + " --- |" * len(cells)])
            continue
        numbered = _TRACKER_NUMBERED.match(stripped)
        if numbered:
            # Jira's "# item" is a numbered list's item, never a markdown heading.
            line = f"{'   ' * (len(numbered.group(1)) - 1)}1. {numbered.group(2)}"
        line = _TRACKER_PANEL.sub(lambda m: f"\n**{m.group(1).strip()}**\n" if m.group(1) else "", line)
        out.append(_TRACKER_MONOSPACE.sub(r"`\1`", _STAR_BOLD.sub(r"**\1**", line)))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


_TRACKER_NUMBERED = re.compile(r"^(#{1,6})[ \t]+(\S.*)$")
# "{{orders-ro-2}}": monospace, as markdown's backticks.
_TRACKER_MONOSPACE = re.compile(r"\{\{([^{}\n]{1,200})\}\}")


# Markdown dialects' blocks: GitHub, GitLab and Outline fold a section into <details> with its
# title in <summary>; Notion's export writes callouts as <aside>; Outline and Docusaurus fence
# notices with `:::info` (a title may follow); GitHub marks alerts `> [!NOTE]`; GitLab puts a
# `[[_TOC_]]` where its table of contents goes; Wiki.js styles a quote with `{.is-info}`.
_SUMMARY = re.compile(r"<summary>[ \t\n]{0,20}([^<>]{0,300}?)[ \t\n]{0,20}</summary>", re.I)
_BLOCK_TAG_LINE = re.compile(r"^[ \t]*</?(?:details|aside)\b[^<>\n]{0,200}>[ \t]*$", re.M | re.I)
_NOTICE_FENCE = re.compile(r"^[ \t]*:::[ \t]*[\w-]{0,20}(?:[ \t]+([^\n]{1,200}?))?[ \t]*$", re.M)
_MARKER_LINE = re.compile(
    r"^[ \t]*(?:>[ \t]*\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]|\[\[_TOC_\]\]|\[TOC\]|\{\.is-(?:info|success|warning|danger)\})[ \t]*$",
    re.M | re.I,
)
# MDX is markdown with JSX: `import`/`export` lines and component tags are the site's code.
_MDX_CODE = re.compile(r"^(?:import|export)\s.*$", re.M)
_MDX_TAG = re.compile(r"</?(?:[A-Z][\w.]*|details|summary|div)\b[^<>]{0,500}/?>")


# Converters escape markdown's punctuation in plain text (Google Docs' "Download as Markdown",
# pandoc, turndown): "checkout\_api", "PR \#1184", "\(staging\)". A field shows it as written
# and a service's name breaks on it. A table cell's "\|", an "\*" and a line-opening "\#" or
# "\-" stay escaped: there the escape still means something (no emphasis, no heading, no list).
_ESCAPED = re.compile(r"(`[^`\n]*`)|(?<!^)\\([!\"$%&'()+,\-./:;<=>?@\[\]^_{}~#])", re.M)


_FENCE_MARK = re.compile(r"^[ \t]*(`{3,}|~{3,})")


def unescaped(text: str) -> str:
    out, fence = [], ""
    for line in text.split("\n"):
        marker = _FENCE_MARK.match(line)
        if marker and (not fence or marker.group(1)[0] == fence[0]):
            fence = "" if fence else marker.group(1)
        elif not fence and "\\" in line:
            line = _ESCAPED.sub(lambda m: m.group(1) or m.group(2), line)
        out.append(line)
    return "\n".join(out)


_TABLE_TAG = re.compile(r"<(/?)table\b", re.I)
# An issue's or a merge request's quick actions, one a line: commands, not text.
_QUICK_ACTION = re.compile(
    r"^/(?:label|unlabel|relabel|assign|unassign|reassign|milestone|remove_milestone|estimate|spend|due|remove_due_date|weight"
    r"|relate|close|reopen|cc|todo|confidential|lock|unlock|severity|epic|iteration|health_status|copy_metadata|duplicate|award)\b[^\n]*$"
)


def html_in_markdown(text: str) -> str:
    """Markdown as its site renders it: a raw HTML table (kept as HTML where the grid needs
    rowspan) as a markdown table; an HTML comment and a GitLab quick action ("/label ~sev2")
    gone. Inside a code fence all stay."""
    lines, out, fence, i = text.split("\n"), [], "", 0
    # The lines that close a comment, found once: a search from each opening line would be
    # quadratic in a page of unclosed ones.
    closes = [j for j, line in enumerate(lines) if "-->" in line]
    while i < len(lines):
        line = lines[i]
        marker = _FENCE_MARK.match(line)
        if marker and (not fence or marker.group(1)[0] == fence[0]):
            fence = "" if fence else marker.group(1)
        elif not fence and line.lstrip().startswith("<!--"):
            at = bisect.bisect_left(closes, i)
            end = closes[at] if at < len(closes) else None
            if end is not None:  # unclosed, it would hide the rest of the page: keep it
                out.append(lines[end].split("-->", 1)[1])
                i = end + 1
                continue
        elif not fence and _QUICK_ACTION.match(line):
            i += 1  # GitLab runs "/label ~incident" and "/assign @ana" and shows neither
            continue
        elif not fence and _TABLE_TAG.match(line.lstrip()):
            depth, j = 0, i
            while j < len(lines):
                depth += sum(-1 if m.group(1) else 1 for m in _TABLE_TAG.finditer(lines[j]))
                if depth <= 0:
                    break
                j += 1
            out += ["", html_to_markdown("\n".join(lines[i : j + 1])), ""]
            i = j + 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def folded_sections(text: str) -> str:
    """A folded section's or a notice's title ("Root cause") as a bold label line over its text,
    which the parser reads as it reads "**Root cause**"; the dialects' tag and marker lines go,
    so none of them ends up in a field a person reads."""
    text = _SUMMARY.sub(lambda m: f"\n**{m.group(1)}**\n", text)
    text = _NOTICE_FENCE.sub(lambda m: f"**{m.group(1)}**" if m.group(1) else "", text)
    return _MARKER_LINE.sub("", _BLOCK_TAG_LINE.sub("", text))


_SLIDE_BREAK = re.compile(r"^---[ \t]*$")


def _deck_without_running_lines(text: str) -> str:
    """A markdown slide deck (Marp, reveal.js: slides between `---` lines) without the line
    every slide repeats ("Internal - Confidential", "ACME · slide 3"), and without its slide
    breaks once it has one: in the text they end the cause and the fix. A running line is a short
    line on at least half of the slides (three at least), its numbers aside."""
    lines = text.split("\n")
    start = 0
    if lines and _SLIDE_BREAK.match(lines[0]):  # front matter is no slide
        start = next((i + 1 for i in range(1, len(lines)) if _SLIDE_BREAK.match(lines[i])), 0)
    breaks = [i for i in range(start, len(lines)) if _SLIDE_BREAK.match(lines[i])]
    if len(breaks) < 3:
        return text
    bounds = [start, *[b + 1 for b in breaks], len(lines) + 1]
    seen = _units_with([lines[a:b - 1] for a, b in zip(bounds, bounds[1:])])
    slides = len(bounds) - 1
    running = {key for key, n in seen.items() if n >= max(3, slides / 2) and len(key.split()) <= 12 and not key.startswith(("#", "|", "-", "*"))}
    if not running:
        return text
    drop = set(breaks) | {i for i in range(start, len(lines)) if _running_key(lines[i]) in running}
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def _running_key(line: str) -> str:
    """A line as a running footer repeats it: its numbers aside ("slide 3", "slide 4")."""
    return re.sub(r"\d+", "#", line.strip())


def _units_with(units: list[list[str]]) -> Counter:
    """For each line's running key, how many of the units (a PDF's pages, a deck's slides) have
    it: a running header or footer is on most of them."""
    return Counter(key for unit in units for key in {_running_key(line) for line in unit if line.strip()})


def mdx_to_markdown(text: str) -> str:
    """An MDX page as markdown: folded sections as above, and the components' tags go, their
    text stays."""
    return _MDX_TAG.sub("", folded_sections(_MDX_CODE.sub("", text)))


def _letterhead_apart(text: str) -> str:
    """A document that opens on a letterhead of several lines with an underline below
    ("KESTREL BROADCASTING SERVICE" / "INCIDENT REVIEW" / "======") keeps them as lines of their
    own: docutils would join them, underline and all, into one line of text. The underline goes
    too: a report's kind is no section holding the whole report."""
    lines = text.split("\n")
    top = next((i for i, line in enumerate(lines) if line.strip()), None)
    if top is None:
        return text
    end = next((i for i in range(top, len(lines)) if not lines[i].strip()), len(lines))
    block = lines[top:end]
    if len(block) < 3 or not _RST_UNDERLINE.match(block[-1]) or any(_RST_UNDERLINE.match(line) for line in block[:-1]):
        return text
    return "\n".join([*lines[:top], "\n\n".join(block[:-1]), *lines[end:]])


# A tracker's text export lays its fields out in columns ("Type:   Incident      Priority:   High",
# "Resolution:   Fixed     Votes:   0"): each field goes on a line of its own, or the first
# field's value runs on into the next ones.
_FIELD_KEY = r"[A-Za-z][\w/&()-]*(?: [\w/&()-]+){0,4}"
_NEXT_FIELD = re.compile(rf"(?<![ \t])[ \t]{{2,}}(?={_FIELD_KEY}:[ \t]+\S)")


# A form's fields padded to a column with dot leaders ("Title .......... OTP SMS not delivered",
# "Incident Commander . Fiona M."): a label and its value. An ellipsis in a sentence is no
# leader: the line needs four dots, or a neighbour padded the same way.
# A form may mark its mandatory fields with a bullet and pad to a colon ("* Priority ..... : P1").
_DOT_LEADER = re.compile(rf"^([ \t]*(?:[-*][ \t]+)?{_FIELD_KEY})[ \t]*(?:[ \t](\.+)|(\.{{4,}}))(?:[ \t]*:)?[ \t]+(?=\S)")


def _dot_leaders(lines: list[str]) -> list[str]:
    found = [_DOT_LEADER.match(line) for line in lines]
    out = []
    for i, (line, m) in enumerate(zip(lines, found)):
        padded = m and (m.group(3) or len(m.group(2) or "") >= 4 or any(0 <= j < len(found) and found[j] for j in (i - 1, i + 1)))
        out.append(f"{m.group(1)}: {line[m.end():]}" if padded else line)
    return out


# A ticket's fields laid out in two columns, with no colon ("Short description    EDI files
# rejected", "Priority             2 - High"): a label and its value where three lines or more
# start their values at one column. A table's row has a further gap ("Monitor expiry   Infra   2024-06-01").
# Its label is words ("PLAT-2412   Run a synthetic login" is an action's key and its text), and
# a colon padded to the column ("Service      : MyTamar") is a label already.
_COLUMN_FIELD = re.compile(r"^([ \t]*[A-Za-z][A-Za-z/&()'-]*(?: [A-Za-z/&()'-]+){0,4})[ \t]{2,}(?=[^\s:.])")
_FURTHER_GAP = re.compile(r"\S[ \t]{2,}\S")
# A field left empty ("Problem ID" with nothing in its column) between two of the run's fields.
_EMPTY_FIELD = re.compile(r"^[ \t]*[A-Za-z][A-Za-z/&()'-]*(?: [A-Za-z/&()'-]+){0,4}[ \t]*$")


def _field_rows(lines: list[str]) -> tuple[list, set[int]]:
    """Each line's field match where its value starts at a value column (else None), and the
    lines of fields left empty."""
    found = [m if m and ":" not in m.group(1) and not _FURTHER_GAP.search(line[m.end():]) else None
             for line, m in zip(lines, map(_COLUMN_FIELD.match, lines))]
    columns, empty = set(), set()
    i = 0
    while i < len(lines):
        if not found[i]:
            i += 1
            continue
        column, rows, blanks, j = found[i].end(), 0, [], i
        margin = indent_width(lines[i])
        # The run: fields at one value column, their values wrapped under that column, and
        # fields left empty at the labels' margin.
        while j < len(lines):
            if found[j] and found[j].end() == column:
                rows += 1
            elif (rows and indent_width(lines[j]) == margin and _EMPTY_FIELD.match(lines[j])
                  and j + 1 < len(lines) and found[j + 1] and found[j + 1].end() == column):
                blanks.append(j)
            elif not (rows and len(lines[j]) - len(lines[j].lstrip()) == column):
                break
            j += 1
        if rows >= 3:
            columns.add(column)
            # An empty field says nothing, and as a line of its own it reads as a heading or joins
            # the next field's line.
            empty.update(blanks)
        i = max(j, i + 1)
    # Once the export has shown its value column, a field there stands alone too (a closing
    # "Cause code          Supplier release" under the notes).
    return [m if m and m.end() in columns else None for m in found], empty


def _column_fields(lines: list[str]) -> list[str]:
    fields, empty = _field_rows(lines)
    out = list(lines)
    for r, m in enumerate(fields):
        if m:
            out[r] = f"{m.group(1).strip()}: {lines[r][m.end():]}"
            # A value of names, one a line ("Online Booking Engine" over "Contact Centre
            # Booking", a CI's hosts): a list, where a wrapped sentence is one line again.
            below = list(itertools.takewhile(lambda k: not fields[k] and indent_width(lines[k]) == m.end() and lines[k].strip(), range(r + 1, len(lines))))
            if below and all(_NAME_LINE.match(lines[k].strip()) for k in below) and _NAME_LINE.match(lines[r][m.end():].strip()):
                out[r] += "".join(f", {lines[k].strip()}" for k in below)
                empty.update(below)
    return [line for r, line in enumerate(out) if r not in empty]


# A name in capitals' case ("Contact Centre Booking", "Terminal Check-in (Ennisvik)", "POS-SYNC-SHORE-02"):
# each word opens on a capital or a digit, a joining word aside.
_NAME_LINE = re.compile(r"^(?:[A-Z0-9(][\w().&/'-]*|and|of|for|the|&)(?:[ \t]+(?:[A-Z0-9(][\w().&/'-]*|and|of|for|the|&)){0,7}$")


def _one_field_a_line(text: str) -> str:
    out = []
    lines = _column_fields(_dot_leaders(text.split("\n")))
    for i, line in enumerate(lines):
        # A banner's line between rules ("Exported by: x   Export date: y" over "=====") is
        # part of a title, which stays one line.
        under = i + 1 < len(lines) and _RST_UNDERLINE.match(lines[i + 1])
        parts = _NEXT_FIELD.split(line.strip()) if _KEY_VALUE.match(line.lstrip()) and not under else []
        if len(parts) > 1 and all(_KEY_VALUE.match(p) for p in parts):
            out.extend(line[: indent_width(line)] + p for p in parts)
        else:
            out.append(line)
    return "\n".join(out)


# A list item's markers, nested ones too ("* - Action" in a list table), up to its text.
_ITEM_START = re.compile(r"^([ \t]*(?:(?:[-*+]|\d{1,2}[.)])[ \t]+)+)\S")


def _items_aligned(text: str) -> str:
    """A list item's wrapped lines under the column its text starts at. Plain text hangs them
    deeper ("- 16:58  A-side output lost; network" over "         in row F stabilizes."),
    where reStructuredText would read the item as a term with its definition."""
    lines = text.split("\n")
    column = None  # the open item's text column
    for i, line in enumerate(lines):
        item = _ITEM_START.match(line)
        if item:
            column = len(item.group(1))
        elif not line.strip():
            column = None
        elif column is not None and indent_width(line) > column:
            lines[i] = " " * column + line.strip()
        else:
            column = None
    return "\n".join(lines)


def _keep_label_lines(text: str) -> str:
    """A run of `KEY: value` lines (a report's header block) as an rst line block: as a plain
    paragraph docutils joins them into one line, and the parser reads no label in it. For the
    same reason a label that opens a line after a finished sentence ("... changed.", then "Fix:
    Carrowline put a filter ...") and a numbered section title ("3.3 Cause / fix") open
    paragraphs of their own."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        near = [lines[j] for j in (i - 1, i + 1) if 0 <= j < len(lines)]
        prev = out[-1] if out else ""
        if _KEY_VALUE.match(line) and any(_KEY_VALUE.match(n) for n in near):
            if prev.strip() and not prev.startswith("| "):
                out.append("")  # right under a title line ("[OPS-4471] ETAs shown late"), not part of it
            line = f"| {line}"
        elif prev.strip() and indent_width(prev) == indent_width(line) and (
            (_KEY_VALUE.match(line.lstrip()) and prev.rstrip().endswith((".", "!", "?"))) or _NUMBERED_SUBTITLE.match(prev.strip())
        ):
            out.append("")
        out.append(line)
    return "\n".join(out)


# "3.3 Cause / fix (short version for the day shift)": a report's numbered subsection title.
_NUMBERED_SUBTITLE = re.compile(r"^\d{1,2}\.\d{1,2}\.?\s+[A-Z][^.!?]{0,80}$")


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = _without_running_lines([_fields_marked(page) for page in reader.pages])
    title = ((reader.metadata or {}).get("/Title") or "").strip() if reader.metadata else ""
    text = ""
    seen: set[str] = set()  # the lines of the pages so far
    for page in (p.strip() for p in pages if p.strip()):
        first, _, rest = page.partition("\n")
        # A table that runs over the break repeats its header row on the new page ("Time
        # Event"): said once, where the table starts. On its own it would read as a heading.
        repeated = bool(rest) and bool(text) and not text.endswith((".", "!", "?", ":")) and first.strip() in seen
        seen.update(line.strip() for line in page.split("\n"))
        if repeated:
            text = f"{text}\n{rest.strip()}"
            continue
        # A sentence that runs on over the page break ("... normal by" / "19:58. The ...") is one.
        # A page that opens on a numbered paragraph ("5.1 At 12:05 ...") starts one of its own.
        runs_on = text and not text.endswith((".", "!", "?", ":")) and re.match(r"(?!\d{1,2}(?:[.)]|(?:\.\d{1,2})+\.?)[ \t]+[A-Z])[a-z0-9(]", page)
        separator = " " if runs_on else "\n\n" if text else ""
        text = f"{text}{separator}{page}"
    if title and not text.lstrip().startswith(title):
        text = f"{title}\n\n{text}"
    return text


def _fields_marked(page) -> str:
    """The page's text, a two-column table of fields ("Event | Loss of routes to BGP
    customers") said as "Event: Loss of routes to BGP customers", a field a line. The text runs
    a row's cells together with a space, or puts the label on a line of its own, and breaks a
    value where its cell wraps: nothing tells the label from its value. The page's layout shows
    the value column, as in a plain-text ticket."""
    lines = (page.extract_text() or "").split("\n")
    layout = page.extract_text(extraction_mode="layout").split("\n")
    fields, _ = _field_rows(layout)
    at = 0  # fields come in the text's order: a label's words later on are not its row
    for r, m in enumerate(fields):
        if not m:
            continue
        wrapped = itertools.takewhile(
            lambda k: not fields[k] and layout[k].strip() and indent_width(layout[k]) == m.end(), range(r + 1, len(layout)))
        label = " ".join(m.group(1).split())
        value = " ".join(" ".join([layout[r][m.end():], *(layout[k] for k in wrapped)]).split())
        if _TABLE_HEADER.match(label) and " " not in value:
            continue  # the table's header row ("Item | Detail")
        # Near its place in the layout: a search of the whole page for each row is quadratic.
        span = _lines_saying(lines, max(at, r - _NEAR), r + _NEAR, f"{label} {value}".split())
        if span:
            lines[span[0]:span[1]] = [f"{label}: {value}"]
            at = span[0] + 1
    return "\n".join(lines)


_TABLE_HEADER = re.compile(r"^(?:item|field|section|heading|attribute|property|key|parameter|question)$", re.I)


_NEAR = 60  # lines: how far apart a row may be in the layout and in the text


def _lines_saying(lines: list[str], start: int, stop: int, words: list[str]) -> tuple[int, int] | None:
    """The first run of whole lines that says these words, starting from `start` up to `stop`:
    (first, past the last)."""
    for i in range(start, min(stop, len(lines))):
        said, j = [], i
        while j < len(lines) and said == words[:len(said)] and len(said) < len(words):
            said += lines[j].split()
            j += 1
        if said == words:
            return i, j
    return None


# A page number on its own ("3", "Page 3 of 7", "- 3 -", "3 / 7").
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?[-\u2013]?\s*\d{1,4}\s*[-\u2013]?(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)


def _without_running_lines(pages: list[str]) -> list[str]:
    """Pages without their running header and footer ("Acme - Confidential - Internal" at the
    foot of every page, a page number): in the text they fall between a section's sentences,
    and into the cause or the fix. A running line is one of a page's first or last three lines
    that recurs so on at least half of the pages (two at least). The first page keeps its top,
    where nothing comes before it: a letterhead over the title is read as one."""
    split = [[line for line in page.split("\n")] for page in pages]

    def edges(lines: list[str]) -> list[int]:
        filled = [i for i, line in enumerate(lines) if line.strip()]
        return sorted(set(filled[:3] + filled[-3:]))

    seen = _units_with([[lines[i] for i in edges(lines)] for lines in split])
    running = {key for key, n in seen.items() if len(pages) >= 2 and n >= max(2, len(pages) / 2)}
    out = []
    for n, lines in enumerate(split):
        filled = [i for i, line in enumerate(lines) if line.strip()]
        candidates = set(filled[-3:]) | (set(filled[:3]) if n else set())
        drop = {i for i in candidates if _running_key(lines[i]) in running or _PAGE_NUMBER.match(lines[i].strip())}
        out.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return out


# Plain text (and PDF text) has no markup: a short line on its own, or one ending in a colon,
# is a heading; `•` bullets are list items. "Label: value" lines are left to the parser.
# A PDF's bullet glyph comes out as what its font maps it to: a Symbol font's private-use
# character (U+F0B7), or a control character (DEL) where it maps to none.
_BULLET_GLYPHS = "•◦▪‣●\x7f\uf0a7\uf0b7\uf0d8"
_BULLET = re.compile(rf"^(\s*)[{_BULLET_GLYPHS}○■□–]\s+")
# The glyph on a line of its own, its item's text on the next: the extractor broke them apart.
_LONE_BULLET = re.compile(rf"^([ \t]*)[{_BULLET_GLYPHS}][ \t]*\n(?:[ \t]*\n)?[ \t]*(?=\S)", re.M)
_KEY_VALUE = re.compile(r"^[A-Za-z][\w /&-]{1,40}:\s+\S")
_LIST_OR_TIME = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|\d{1,2}[:.]\d{2}\b|\d{4}-\d{2}-\d{2}\b)")


_GRID_BORDER = re.compile(r"^[ \t]*\+(?:[-=]+\+)+[ \t]*$")


def _grid_tables(text: str) -> str:
    """Tables drawn with `+----+----+` borders (a tracker's text export, psql, Emacs) as markdown
    tables, one row per row: a cell's text wrapped over several lines is one cell again, read
    as one value. Between borders, or, where only the frame has them, a line whose first cell
    is empty goes on with the row above."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        if not _GRID_BORDER.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j + 1 < len(lines) and (_GRID_BORDER.match(lines[j + 1]) or lines[j + 1].lstrip().startswith("|")):
            j += 1
        block = lines[i : j + 1]
        ruled = sum(bool(_GRID_BORDER.match(line)) for line in block) > 2
        rows: list[list[str]] = []
        fresh = True
        for line in block:
            if _GRID_BORDER.match(line):
                fresh = True
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if rows and (not fresh if ruled else not cells[0]) and len(cells) == len(rows[-1]):
                rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
            else:
                rows.append(cells)
            fresh = False
        if rows:
            out += ["", markdown_table(rows), ""]
        i = j + 1
    return "\n".join(out)


# A column table's rule under its header row: one run of dashes (or '=') per column.
_COLUMN_RULE = re.compile(r"^[ \t]*[-=]{2,}(?:[ \t]+[-=]{2,})+[ \t]*$")


def _column_tables(text: str) -> str:
    """Tables laid out in aligned columns, a rule of dashes under the header (a report's
    "Service   Impact   Restored" over "-------   ------   --------"), as markdown tables: each
    row cut where the rule's columns start; a line whose first cell is empty wraps the row above."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        if not (_COLUMN_RULE.match(lines[i]) and out and out[-1].strip() and not _COLUMN_RULE.match(out[-1])):
            out.append(lines[i])
            i += 1
            continue
        starts = [m.start() for m in re.finditer(r"[-=]+", lines[i])]
        rows = [_column_cells(out.pop(), starts)]
        i += 1
        while i < len(lines) and lines[i].strip() and not _COLUMN_RULE.match(lines[i]):
            cells = _column_cells(lines[i], starts)
            if not cells[0] and len(rows) > 1:
                rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
            else:
                rows.append(cells)
            i += 1
        if i < len(lines) and _COLUMN_RULE.match(lines[i]):
            i += 1  # the rule that closes the table
        out += ["", markdown_table(_pipes_escaped(rows)), ""]
    return "\n".join(out)


def _column_cells(line: str, starts: list[int]) -> list[str]:
    """A column table's line cut at its columns' starts; where a cell's text runs past its
    column into the next one's start, cut at its gaps of two spaces instead, if they give the
    columns."""
    bounds = [0, *starts[1:], None]  # the first cell from the line's start: text may stand left of its rule
    cells = [line[a:b].strip() for a, b in zip(bounds, bounds[1:])]
    if any(0 < s < len(line) and not line[s - 1].isspace() and not line[s].isspace() for s in starts[1:]):
        gaps = re.split(r"[ \t]{2,}", line.strip())
        if len(gaps) == len(starts):
            return gaps
    return cells


# A table of contents as a printed report has it: an entry with its dot leader and page number
# on its line, or the leader on a line of its own under (or over) it.
_PAGE_NUMBER_END = re.compile(r"\d{1,3}[ \t]*$")
_CONTENTS_NAME = re.compile(r"^[ \t]*(?:#+[ \t]*)?(?:table[ \t]+of[ \t]+)?contents[ \t]*$", re.I)
# "7 Sign-off": a numbered entry whose leader the page lost.
_NUMBERED_ENTRY = re.compile(r"^[ \t]*\d{1,2}(?:\.\d{1,2})*\.?[ \t]+[A-Z][\w'/&,() -]{0,60}$")


def _contents_line(line: str) -> str | None:
    """A contents line's entry ('' for a leader on its own line), or None for any other line.
    Read back from the end: a pattern searching for the leader retries at every dot of a run."""
    page = _PAGE_NUMBER_END.search(line, max(0, len(line) - 12))
    if not page:
        return None
    before = line[: page.start()]
    entry = before.rstrip(". \t")
    if before[len(entry):].count(".") < 4 or len(entry) > 80:
        return None
    return entry.strip()


def _without_contents(text: str) -> str:
    """The text without its table of contents: its entries name the sections before they start,
    and read as headings they would be the report's sections out of place."""
    lines = text.split("\n")
    drop: set[int] = set()
    for i, line in enumerate(lines):
        entry = _contents_line(line)
        if entry == "":
            drop.add(i)
            # The entry is the short line over its leader.
            if i and lines[i - 1].strip() and i - 1 not in drop and len(lines[i - 1].split()) <= 10:
                drop.add(i - 1)
        elif entry:
            drop.add(i)
    if len(drop) < 4:
        return text  # a dotted line or two is no table of contents
    first, last = min(drop), max(drop)
    above = next((j for j in range(first - 1, -1, -1) if lines[j].strip()), None)
    if above is not None and _CONTENTS_NAME.match(lines[above]):
        drop.add(above)
    below = next((j for j in range(last + 1, len(lines)) if lines[j].strip()), None)
    if below is not None and _NUMBERED_ENTRY.match(lines[below]):
        drop.add(below)
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def text_to_markdown(text: str) -> str:
    text = _column_tables(_grid_tables(text.replace("\r\n", "\n")))
    text = _LONE_BULLET.sub(r"\1- ", _without_contents(text))
    lines = [_BULLET.sub(r"\1- ", line.rstrip()) for line in _one_field_a_line(text).split("\n")]
    out: list[str] = []
    first = True
    in_label = False  # on a "Key: value" line, whose wrapped value may hang under it
    section = 0  # the number of the last numbered section heading ("2. Business impact")
    subsection_no = 0  # and of its last subsection heading ("2.3 Customer impact")
    headed = False  # the last line was a heading ("4. Causal analysis" over "4.1 Root cause")
    # The next non-blank line after each line, found once from the end: a search forward from
    # every line was quadratic (60,000 "Key: value" lines took 3.7 s).
    following = [""] * len(lines)
    for i in range(len(lines) - 2, -1, -1):
        following[i] = lines[i + 1].strip() or following[i + 1]
    wrapped_title = None  # the line a title ending in a colon went on to
    ruled: set[int] = set()  # a section name's line and the rule under it, read with the rule above
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i == wrapped_title or i in ruled:
            continue
        name = _ruled_name(lines, i)
        if name:
            # A mail's or a form's section name set between two rules ("━━━━" / "■4. 原因 / Cause" / "━━━━").
            out.extend([f"# {name}"] if first else ["", f"## {name}", ""])
            ruled.update((i + 1, i + 2))
            first, headed = False, True
            continue
        if _PAGE_OF.match(stripped):
            continue  # "Page 2 of 3" from a printed or exported report, between its sentences
        if _RULE_LINE.fullmatch(stripped) and (_boxed(lines, i) or i and lines[i - 1].rstrip().endswith((".", "!", "?")) or not following[i]):
            # Rules above and below lines frame them (a form's boxed instructions), and a rule
            # under a finished sentence closes a block (a write-up pasted into a mail between
            # rules), as the rule under a report's last line closes it ("Closed by: ..."):
            # none is an underline, which would make the lines above one heading.
            out.extend(["", "---", ""])
            continue
        if stripped.startswith("#"):
            # Plain text's "#" is a character ("#  Action   Status" over a table's rows, a chat
            # channel's name), never a markdown heading: escaped, as markdown writes it.
            line = line.replace("#", "\\#", 1)
        prev = lines[i - 1].strip() if i else ""
        # PDF text has no blank lines: a heading follows a finished sentence or a `Key: value` line.
        # A field's value that leaves off mid-sentence ("Reason for Outage: loss of power in Hall
        # 2 on") goes on in this line, whatever it looks like ("Wednesday 6 March 2024").
        prev_ends = not prev or prev.endswith((".", "!", "?", ":")) or bool(_KEY_VALUE.match(prev)) and not STOPS_MID_SENTENCE.search(prev)
        # A form's rule between its sections ("-----" over "1. SERVICES AFFECTED") ends one too.
        prev_ends = prev_ends or bool(_RULE_LINE.fullmatch(prev))
        nxt = following[i]
        # A list's last item needs no full stop: a capitalised line after it, over a paragraph
        # rather than the next item, opens a section ("- no data lost" / "Fix (done first)").
        # Over the next list ("Timeline" over "- 07:58 ..."), only a section's short name is one:
        # a longer capitalised line there is the item above wrapped.
        prev_ends = prev_ends or bool(_BULLET_ITEM.match(prev)) and stripped[:1].isupper() and (
            not _BULLET_ITEM.match(nxt) or bool(_SECTION_NAME.fullmatch(stripped))
        )
        framed = _FRAMED.match(stripped)
        if framed and nxt and _is_heading_line(framed.group(2)):
            out.extend(["", f"## {framed.group(2)}", ""])
            first = False
            headed = True
            continue
        numbered = _NUMBERED_TITLE.match(stripped)
        numbered_sub = _SUBSECTION_TITLE.match(stripped)
        subsection = bool(numbered_sub)
        numbered_title = (bool(numbered) or subsection) and (
            nxt.startswith(("- ", "* ")) or (not _LIST_OR_TIME.match(nxt) and not _SUBSECTION_TITLE.match(nxt) and len(nxt.split()) > 8)
        )
        # A section over its own first subsection ("2   Scope and Impact" over "2.1   Services affected").
        below = _SUBSECTION_TITLE.match(nxt)
        numbered_title = numbered_title or bool(numbered and below) and below.group(1) == numbered.group(1) and below.group(2) == "1"
        # The section after the last one ("4. Timeline" after "3. Detection"), whatever comes
        # above or below it; not an item of a numbered list that runs on from it.
        in_sequence = bool(numbered) and section > 0 and int(numbered.group(1)) == section + 1 and not (
            _NUMBERED_ITEM.match(prev) or _NUMBERED_ITEM.match(nxt)
        ) or bool(_EIGHT_D_TITLE.match(stripped))
        # Likewise the subsection after the last one ("3.2 What happened" after "3.1 Overview"),
        # where the line above is a table's last row rather than a finished sentence. A run of
        # short numbered lines ("4.1 Replace the UPS" over "4.2 Route alerts") is a list.
        in_sequence = in_sequence or subsection and not _SUBSECTION_TITLE.match(prev) and not _SUBSECTION_TITLE.match(nxt) and (
            (int(numbered_sub.group(1)), int(numbered_sub.group(2))) == (section, subsection_no + 1)
        )
        # A line indented under the one above goes on with it ("cause:  a layer-2 loop; no loop
        # protection on" over "        the edge ports"): never a heading. A PDF's text often
        # opens a line on one space where nothing was indented: one space more is no indent there.
        deeper = indent_width(line) - indent_width(lines[i - 1]) if i else 0
        hanging = deeper > 0 and bool(prev)
        if hanging and in_label and out:
            # A field's value wrapped under its value column (a folded mail header, a note's
            # "cause:" over two lines): one line again.
            out[-1] = f"{out[-1]} {stripped}"
            continue
        # A form's field may be a list item, indented or bulleted ("* Incident title: Staff unable").
        in_label = bool(stripped) and bool(_KEY_VALUE.match(stripped[2:] if _BULLET_ITEM.match(stripped) else stripped))
        # A sentence hard-wrapped near the page's width onto a line that goes on in lower case
        # ("Quayside Pay (our card acquirer/gateway) had degraded authorisation" over "latency
        # from about 19:40 ...") is the paragraph's first line, whatever it looks like. A short
        # line over lower-case text ("what people saw" over "handheld scanners ...") heads it.
        wraps_on = len(stripped) >= 50 and not stripped.isupper() and i + 1 < len(lines) and lines[i + 1].strip()[:1].islower()
        if stripped and nxt and not (hanging and deeper > 1) and not _RST_UNDERLINE.match(nxt) and (
            in_sequence or (prev_ends or headed and subsection) and (numbered_title or _is_heading_line(stripped) and not wraps_on)
            or first and _opens_as_title(stripped, nxt)
        ):
            if (number := re.match(r"(\d{1,2})(?:[.)]\s|[ \t]{2,})", stripped)):
                section, subsection_no = int(number.group(1)), 0
            elif numbered_sub and int(numbered_sub.group(1)) == section:
                subsection_no = int(numbered_sub.group(2))
            if first and stripped.endswith(":") and nxt[:1].islower() and len(nxt.split()) <= 10 and not nxt.endswith((".", ":")):
                # A slide's or a cover's title wrapped after its colon ("Mortgage Application
                # Portal:" over "slow responses and timeouts"): one title.
                out.append(f"# {stripped} {nxt}")
                wrapped_title = next(j for j in range(i + 1, len(lines)) if lines[j].strip())
            elif first:
                out.append(f"# {stripped.rstrip(':')}")
            else:
                # A subsection ("3.1 Normal operation") sits inside its section ("3. Root cause").
                level = "###" if subsection else "##"
                out.extend(["", f"{level} {stripped.rstrip(':')}", ""])
            first = False
            headed = True
            continue
        if stripped:
            first = headed = False
        out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


# A bulleted item's line, stripped (the other bullets are "- " by now: _BULLET).
_BULLET_ITEM = re.compile(r"[-*\u2022]\s")
_SECTION_NAME = re.compile(r"[A-Z][a-z]+(?: [a-z]+){0,2}")
# "--- Cause ---", "*** Fix ***": a plain-text section's name between runs of the same marks,
# spaced from them ("-----Original Message-----" is a mail's quote, not a section); a tracker's
# export runs the marks on to its page's width ("-- Resolution -----------").
_FRAMED = re.compile(r"^([-=*~])\1{1,9}[ \t]+(\S.{0,60}?)[ \t]+\1{2,}$")
_PAGE_OF = re.compile(r"^page\s+\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)
# "3. Root cause" over a paragraph: a report's numbered section, where a list item would be
# followed by the next item.
# Its aside in brackets too: "4. Root cause (revised 2 September)", "3. Timeline (BST)"; its
# kind before the name: "3. Featured review: DC2 storage array outage (INC0048812)".
# A word processor's numbered heading printed to PDF puts a tab, not a full stop, after its
# number: "3   TIMELINE".
_NUMBERED_TITLE = re.compile(r"^(\d{1,2})(?:[.)]\s+|[ \t]{2,})[A-Z][\w'/&-]*(?::?\s+[\w'/&-]+){0,7}(?:\s+\([\w' ,/&-]{1,30}\))?$")
_NUMBERED_ITEM = re.compile(r"^\d{1,3}(?:[.)]\s|[ \t]{2,}\S)")
# An 8D report's discipline, whatever comes above it: "D4 Root cause", "D3 - Containment actions".
_EIGHT_D_TITLE = re.compile(r"^D[1-8]\s*(?:[-–—:.]\s*)?[A-Z][\w'/&-]*(?:\s+[\w'/&()-]+){0,6}$")
# "4.1 Root cause" over its paragraph: a report's numbered subsection.
_SUBSECTION_TITLE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s+[A-Z][\w'/&-]*(?:\s+[\w'/&()-]+){0,5}$")
# "3. RESOLUTION": a numbered line in capitals is a section of a letter or a report, not a list item.
_RULE_LINE = re.compile(r"([-=_*~━─═])\1{4,}")
_NUMBERED_CAPS = re.compile(r"^\d{1,2}[.)]\s+[A-Z][A-Z0-9 &/,'()-]{2,60}\??$")


def _opens_as_title(line: str, nxt: str) -> bool:
    """A plain-text report's first line names it, longer than a section's name ("Loss of IPv6 for
    broadband customers after BNG software upgrade"), where the line under it starts anew rather
    than running on with the same sentence (a line that stops on "on" or "the" runs on, whatever
    the next one starts with: "... release 2024.09.3 on" over "Wednesday ...")."""
    return (
        ":" not in line and nxt[:1].isupper() and not _COLUMN_GAP.search(line) and not STOPS_MID_SENTENCE.search(line)
        and _is_heading_line(line, max_chars=120, max_words=16)
    )


# "QUILLPAY, INC.        CONFIDENTIAL": a letterhead laid out in columns, not a title.
_COLUMN_GAP = re.compile(r"\S[ \t]{3,}\S")


# A section name's mark in a Japanese or Chinese business document: "■4. 原因", "【対応状況】".
_NAME_MARK = re.compile(r"^[■□◆◇●○▶▷★☆]\s*|^【(.+)】$")


def _ruled_name(lines: list[str], rule: int) -> str:
    """The short line between this rule and a rule two lines down, as a section's name; '' for none."""
    if not (rule + 2 < len(lines) and _RULE_LINE.fullmatch(lines[rule].strip()) and _RULE_LINE.fullmatch(lines[rule + 2].strip())):
        return ""
    name = _NAME_MARK.sub(lambda m: m.group(1) or "", lines[rule + 1].strip()).strip()
    return name if name and len(name) <= 80 and not _RULE_LINE.fullmatch(name) and not name.endswith((".", ",", ";", "。")) else ""


def _boxed(lines: list[str], rule: int) -> bool:
    """The two or more lines over this rule have a rule over them too. (The walk up stops at the
    rule or blank line above, so each line is passed once.)"""
    top = rule
    while top > 0 and lines[top - 1].strip() and not _RULE_LINE.fullmatch(lines[top - 1].strip()):
        top -= 1
    return rule - top >= 2 and top > 0 and bool(_RULE_LINE.fullmatch(lines[top - 1].strip()))


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _is_heading_line(line: str, max_chars: int = 70, max_words: int = 8) -> bool:
    if _NUMBERED_CAPS.match(line):
        return True
    if len(line) > max_chars or _LIST_OR_TIME.match(line) or not line[0].isalpha():
        return False
    if line.endswith((".", ",", ";", "!", "。", "、")) or (":" in line.rstrip(":")):
        return False
    if len(_CJK.findall(line)) > 20:
        return False  # a line of Japanese or Chinese prose, wrapped anywhere, has no spaces to count
    if " = " in line or re.search(r"[{};]", line):
        return False  # a setting or a line of code set off on its own ("logging.level = DEBUG")
    return len(line.split()) <= max_words


__all__ = ["to_markdown", "sniff", "text_kind"]
