"""Hostile documents for the ingest loop: one per class of input that once raised, hung or
blew up memory (issue 9), plus an in-memory connector to feed them to `ingest`.

Every text here is written for these tests; sizes are the ones that reproduced each problem."""

from __future__ import annotations

from pipeline.ingest.extractors.base import Listing, RawDocument

# A plain, valid post-mortem that the hostile parts are spliced into, so that a document
# is only excluded when the hostile part makes it so.
BASE = """# Checkout latency spike

## Summary
Checkout requests to cart-api timed out for 20 minutes.

## Root cause
A connection pool limit in cart-api was lowered by a config change, so requests queued.

## Resolution
We reverted the config change and restarted the cart-api pods.

## Timeline
- 10:02 alert fired for checkout latency
- 10:20 rolled back the config change
"""


def _with(section: str, text: str) -> str:
    """BASE with `text` appended to one of its sections."""
    head = f"## {section}\n"
    start = BASE.index(head) + len(head)
    end = BASE.index("\n## ", start) if "\n## " in BASE[start:] else len(BASE)
    return BASE[:end] + "\n" + text + "\n" + BASE[end:]


def _bomb(levels: int = 9) -> str:
    """A YAML alias bomb: each level lists the previous one nine times."""
    rows = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        rows.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    rows.append(f"title: *a{levels}")
    return "---\n" + "\n".join(rows) + "\n---\n" + BASE


def hostile_documents() -> dict[str, tuple[bytes | str, dict]]:
    """name -> (body, meta), one document per class."""
    utf16 = BASE.encode("utf-16-le")
    return {
        "utf16-le-odd-length": (b"\xff\xfe" + utf16 + b"x", {}),
        "utf16-be-odd-length": (b"\xfe\xff" + BASE.encode("utf-16-be") + b"x", {}),
        "utf16-lone-surrogate": (b"\xff\xfe" + utf16[:40] + b"\x00\xd8" + utf16[40:], {}),
        "surrogate-in-str-body": (_with("Root cause", "The cache node \ud800 dropped \udcff writes."), {}),
        "surrogate-in-meta": (BASE, {"title": "Outage \udc80", "services": ["cart\ud800api"]}),
        "yaml-deeply-nested": ("---\nsummary: " + "[" * 5000 + "]" * 5000 + "\n---\n" + BASE, {}),
        "yaml-deep-mapping": ("---\n" + "".join(" " * i + f"k{i}:\n" for i in range(1500)) + "---\n" + BASE, {}),
        "yaml-alias-bomb": (_bomb(), {}),
        "yaml-bad-date": ("---\ndate: 2024-13-45\n---\n" + BASE, {}),
        "table-rule-spaces": (_with("Root cause", " " * 2000 + "x"), {}),
        "open-brackets": (_with("Root cause", "[" * 20000), {}),
        "open-image-brackets": (_with("Root cause", "![" * 20000), {}),
        "open-link-targets": (_with("Root cause", "[x](" * 10000), {}),
        "open-placeholders": (_with("Root cause", "{{" * 20000 + "[todo" * 5000), {}),
        "open-italic-questions": (_with("Root cause", "_" + "?" * 30000), {}),
        "services-column-headers": (_with("Summary", "| Service | Effect |\n|---|---|\n" * 6000), {}),
        "dashed-summary": (_with("Summary", "a-" * 15000), {}),
        "services-without-sentence-end": ("## Services affected\n" + "cart api " * 9000 + "\n" + BASE, {}),
        "wrapped-item-lines": (BASE + "\n## Action items\n- first item\n" + "  more words on this wrapped line\n" * 20000, {}),
        "dashed-title": ("# " + "b-" * 15000 + "\n" + BASE.split("\n", 1)[1], {}),
        "bold-label-blank-lines": ("- **Root cause**:" + "\n" * 12000 + "The disk filled up because logs were not rotated.\n" + BASE, {}),
        # Line-anchored patterns must not run on across blank lines (a story, then 80,000 of them).
        "blank-lines-then-text": (BASE + "\n" * 80_000 + "end of notes\n", {}),
        "label-blank-continuation": ("- **Resolution**: we restarted it\n" + "\n" * 12000 + "  more\n" + BASE, {}),
        "nested-label-staircase": (
            "\n".join("  " * i + f"- **Root cause**: step {i} of the failure" for i in range(500)) + "\n" + BASE,
            {},
        ),
        "quote-blank-lines": (_with("Root cause", "\n" * 12000 + "> quoted"), {}),
        "timeline-long-spaces": (_with("Timeline", "- 10:30 a" + " " * 5000 + "| b" + " " * 5000 + "— c"), {}),
        "heading-staircase": ("".join("#" * (1 + i % 6) + f" Root cause {i}\nline\n" for i in range(3000)), {}),
        "many-headings": ("# Outage\n" + "## Resolution\nrestarted it\n" * 5000, {}),
        "unclosed-heading-qualifier": (_with("Summary", "### Notes (" + "a" * 3000), {}),
        "letterhead-spaced-service-line": (
            "# ACME MUTUAL\n\nMAJOR INCIDENT REPORT\n\nIncident: x" + " " * 20000 + "y\nService: x" + " " * 20000 + "y\n"
            + BASE.split("\n", 1)[1],
            {},
        ),
        "spaced-service-item": ("## Services affected\n- cart api" + " " * 20000 + "x\n- not affected" + " " * 20000 + "y\n" + BASE, {}),
        "odt-deep-nesting": (_odt("<text:span>" * 100_000 + "x" + "</text:span>" * 100_000), {}),
        "pptx-slide-bomb": (_pptx_bomb(), {}),
        "rtf-open-groups": (b"{\\rtf1 " + b"{\\b " * 200_000, {}),
        "mime-unclosed-parts": (b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n" + b"--x\n" * 50_000, {}),
        "binary-noise": (bytes(range(256)) * 40, {}),
        # Markdown's raw HTML: tables that never close, nested 20,000 deep; comments that never close.
        "markdown-unclosed-tables": (b"<table>\n" * 20_000 + BASE.encode(), {}),
        "markdown-unclosed-comments": (b"<!-- x\n" * 60_000 + BASE.encode(), {}),
        "nul-in-str": (_with("Root cause", "a\x00b"), {}),
        "empty": (b"", {}),
    }


def _odt(body: str) -> bytes:
    """An OpenDocument text around `body` (content.xml markup)."""
    import io
    import zipfile

    ns = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", f"<office:document-content {ns}><office:body><office:text>{body}</office:text></office:body></office:document-content>")
    return buf.getvalue()


def _pptx_bomb() -> bytes:
    """A deck whose one slide inflates past any write-up's size (zeros compress 1000 to 1)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        ns = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
        z.writestr("ppt/presentation.xml", f'<p:presentation {ns}><p:sldIdLst><p:sldId id="256" r:id="rId1"/></p:sldIdLst></p:presentation>')
        z.writestr("ppt/_rels/presentation.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="slides/slide1.xml"/></Relationships>')
        z.writestr("ppt/slides/slide1.xml", "<a>" + "0" * 50_000_000 + "</a>")
    return buf.getvalue()


class ListExtractor:
    """A connector over documents held in memory."""

    def __init__(self, docs: list[RawDocument], source: str = "dir:hostile"):
        self.docs = docs
        self.source = source

    def listing(self, known_versions: dict[str, str]) -> Listing:
        return Listing(
            source=self.source,
            documents=iter(self.docs),
            present={d.source_id for d in self.docs},
            total=len(self.docs),
        )


def raw(name: str, body: bytes | str, meta: dict | None = None) -> RawDocument:
    return RawDocument(source_id=f"{name}.md", url=f"file:///{name}.md", body=body, meta=meta or {})
