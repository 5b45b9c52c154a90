"""Writes the binary samples of this folder: a Word document, an OpenDocument text (as Google
Docs' "Download as ODT" saves one), a PowerPoint deck, a PDF and a screenshot-like PNG.

    python samples/formats/generate.py

Built with the standard library only (zip/XML for DOCX, ODT and PPTX, PDF operators by hand), so
the files are reproducible and need no writer library; the project reads them with mammoth, its
own OpenDocument and PowerPoint readers and pypdf."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent

DOCX_TITLE = "Checkout requests timing out after connection pool change"
DOCX_BODY = [
    ("table", [("Date", "2025-03-11"), ("Services affected", "checkout-api, orders-db"), ("Status", "Final")]),
    ("Heading1", "Summary"),
    ("p", "For 55 minutes about one checkout in six failed with a timeout. Card payments that did go "
          "through were not affected."),
    ("Heading1", "Root cause"),
    ("p", "A configuration change lowered the checkout-api database pool from 40 to 4 connections per pod; "
          "the value was meant for the staging environment and was merged into the production overlay."),
    ("p", "Under the lunchtime peak, requests waited for a free connection longer than the 5-second "
          "gateway timeout."),
    ("Heading1", "Resolution"),
    ("p", "Reverted the pool size to 40 and restarted the checkout-api pods, after which timeouts "
          "stopped within two minutes."),
    ("Heading1", "Lessons learned"),
    ("p", "We learned that the outage was caused by review fatigue as much as by the value itself."),
    ("Heading1", "Action items"),
    ("li", "Validate pool sizes per environment in CI."),
    ("li", "Alert on pool wait time above 500 ms."),
]

PDF_LINES = [
    "Nightly data export filled the shared NFS volume",
    "",
    "Date: 2025-08-19",
    "Services affected: reporting-exporter, shared-nfs",
    "",
    "Summary",
    "Reports and the document upload service stopped writing files for two hours overnight.",
    "",
    "Root cause",
    "Release 2.7 of reporting-exporter changed the default of its incremental flag, so the nightly",
    "job wrote an uncompressed full export instead of the usual incremental one, and the 1.2 TB",
    "file filled the shared-nfs volume that the upload service also writes to.",
    "",
    "Resolution",
    "Deleted the oversized export, restored the incremental flag in the job definition, and",
    "moved exports to their own volume with a quota.",
    "",
    "Action items",
    "- Give each writer of shared-nfs its own quota.",
    "- Alert at 80% volume usage.",
]


def write_docx(path: Path) -> None:
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

    def run(text: str) -> str:
        return f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'

    def para(text: str, style: str = "") -> str:
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        return f"<w:p>{ppr}{run(text)}</w:p>"

    body = [para(DOCX_TITLE, "Title")]
    for kind, value in DOCX_BODY:
        if kind == "table":
            rows = "".join(
                f"<w:tr><w:tc>{para(k)}</w:tc><w:tc>{para(v)}</w:tc></w:tr>" for k, v in value
            )
            body.append(f"<w:tbl>{rows}</w:tbl>")
        elif kind == "li":
            body.append(para(value, "ListBullet"))
        elif kind == "p":
            body.append(para(value))
        else:
            body.append(para(value, kind))
    document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {w}><w:body>{"".join(body)}</w:body></w:document>'
    styles = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles {w}>'
        + "".join(
            f'<w:style w:type="paragraph" w:styleId="{sid}"><w:name w:val="{name}"/></w:style>'
            for sid, name in (("Title", "Title"), ("Heading1", "heading 1"), ("ListBullet", "List Bullet"))
        )
        + "</w:styles>"
    )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="word/document.xml"/></Relationships>'
        ),
        "word/_rels/document.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/styles" Target="styles.xml"/></Relationships>'
        ),
        "word/document.xml": document,
        "word/styles.xml": styles,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            # A fixed timestamp keeps the file byte-identical across runs.
            z.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), data)


ODT_TITLE = "Support tickets lost while the helpdesk queue was full"
ODT_BODY = [
    ("table", [("Incident date", "2025-10-07"), ("Severity", "SEV2"), ("Services affected", "helpdesk-intake, ticket-queue")]),
    ("h2", "What happened"),
    ("p", "Between 09:10 and 10:25 customer emails to support were accepted by the mail gateway but "
          "never became tickets; 312 requests had to be recovered by hand."),
    ("h2", "Why it happened"),
    ("label", "Root cause: ", "the ticket-queue retention limit had been cut to 10,000 messages to save "
                              "storage, and the Monday backlog filled it, so new messages were dropped."),
    ("h2", "How we fixed it"),
    ("p", "Raised the retention limit back to 200,000 messages and replayed the gateway's archive into "
          "helpdesk-intake, which created the missing tickets."),
    ("h2", "Follow-up"),
    ("li", "Alert when the queue is 80% full."),
    ("li", "Review storage savings with the owning team before applying them."),
]


def write_odt(path: Path) -> None:
    ns = {
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
        "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
        "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
        "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
        "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    }
    # Google Docs sets the title as a paragraph in the Title style, by way of an automatic style.
    body = [f'<text:p text:style-name="P1">{escape(ODT_TITLE)}</text:p>']
    for kind, *value in ODT_BODY:
        if kind == "table":
            rows = "".join(
                f"<table:table-row><table:table-cell><text:p>{escape(k)}</text:p></table:table-cell>"
                f"<table:table-cell><text:p>{escape(v)}</text:p></table:table-cell></table:table-row>"
                for k, v in value[0]
            )
            body.append(f'<table:table table:name="Facts"><table:table-column table:number-columns-repeated="2"/>{rows}</table:table>')
        elif kind == "h2":
            body.append(f'<text:h text:outline-level="2">{escape(value[0])}</text:h>')
        elif kind == "label":
            # Google Docs writes a bold run as a span with an automatic style.
            body.append(f'<text:p><text:span text:style-name="T1">{escape(value[0])}</text:span>{escape(value[1])}</text:p>')
        elif kind == "li":
            body.append(f"<text:list><text:list-item><text:p>{escape(value[0])}</text:p></text:list-item></text:list>")
        else:
            body.append(f"<text:p>{escape(value[0])}</text:p>")
    declarations = " ".join(f'xmlns:{k}="{v}"' for k, v in ns.items())
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {declarations} office:version="1.3">'
        '<office:automatic-styles><style:style style:name="P1" style:family="paragraph" style:parent-style-name="Title"/>'
        '<style:style style:name="T1" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>'
        '</office:automatic-styles>'
        f'<office:body><office:text>{"".join(body)}</office:text></office:body></office:document-content>'
    )
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {declarations} office:version="1.3"><office:styles>'
        '<style:style style:name="Title" style:family="paragraph"><style:text-properties fo:font-size="26pt"/></style:style>'
        "</office:styles></office:document-styles>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        # The mimetype entry comes first and uncompressed, as the OpenDocument package format asks.
        z.writestr(zipfile.ZipInfo("mimetype", date_time=(2025, 1, 1, 0, 0, 0)), "application/vnd.oasis.opendocument.text",
                   compress_type=zipfile.ZIP_STORED)
        for name, data in (("META-INF/manifest.xml", manifest), ("styles.xml", styles), ("content.xml", content)):
            z.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), data)


PPTX_SLIDES = [
    ("Mobile push notifications delayed by up to 40 minutes", ["Post-incident review · 2025-05-06 · SEV2"], None),
    ("What happened", [
        (0, "Between 18:05 and 18:52 order updates reached phones up to 40 minutes late."),
        (1, "Services affected: push-gateway, order-notifier"),
        (1, "About 120,000 notifications were delayed; none were lost."),
    ], "Support saw the first complaints at 18:20, when couriers' arrival messages came after the couriers."),
    ("Root cause", [
        (0, "The push-gateway's connection pool to the notification provider was capped at 20 after a library upgrade reset it to its default."),
    ], "The upgrade to the HTTP client 5.x changed the setting's name, so our value of 400 was silently ignored."),
    ("How we fixed it", [
        (0, "We set the pool size under its new name, redeployed the push-gateway, and the queue drained in twelve minutes."),
    ], None),
]


def write_pptx(path: Path) -> None:
    ns_a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    ns_p = "http://schemas.openxmlformats.org/presentationml/2006/main"
    ns_r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rel_type = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'

    def shape(kind: str, paragraphs: list[tuple[int, str]]) -> str:
        ph = f'<p:ph type="{kind}"/>' if kind else '<p:ph idx="1"/>'
        level = '<a:pPr lvl="{}"/>'
        paras = "".join(
            f'<a:p>{level.format(lvl) if lvl else ""}<a:r><a:rPr lang="en-GB"/><a:t>{escape(text)}</a:t></a:r></a:p>'
            for lvl, text in paragraphs
        )
        return (f'<p:sp><p:nvSpPr><p:cNvPr id="2" name="{kind or "Content"}"/><p:cNvSpPr/><p:nvPr>{ph}</p:nvPr></p:nvSpPr>'
                f"<p:spPr/><p:txBody><a:bodyPr/>{paras}</p:txBody></p:sp>")

    files = {
        "[Content_Types].xml": (
            f'{head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>'
            + "".join(
                f'<Override PartName="/ppt/slides/slide{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/>'
                for i in range(1, len(PPTX_SLIDES) + 1)
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel_type}/officeDocument" Target="ppt/presentation.xml"/></Relationships>'
        ),
    }
    # The deck's order is presentation.xml's list, not the file names: slide 4 was moved to
    # the end in the editor, as happens, so its file is slide2.xml.
    order = [1, 3, 4, 2]
    files["ppt/presentation.xml"] = (
        f'{head}<p:presentation xmlns:a="{ns_a}" xmlns:p="{ns_p}" xmlns:r="{ns_r}"><p:sldIdLst>'
        + "".join(f'<p:sldId id="{255 + n}" r:id="rId{n}"/>' for n in order)
        + "</p:sldIdLst></p:presentation>"
    )
    files["ppt/_rels/presentation.xml.rels"] = (
        f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{n}" Type="{rel_type}/slide" Target="slides/slide{n}.xml"/>' for n in range(1, 5))
        + "</Relationships>"
    )
    for position, (title, body, notes) in enumerate(PPTX_SLIDES):
        n = order[position]
        paragraphs = [(0, text) for text in body] if body and isinstance(body[0], str) else body
        shapes = shape("ctrTitle" if position == 0 else "title", [(0, title)]) + shape("subTitle" if position == 0 else "", paragraphs)
        files[f"ppt/slides/slide{n}.xml"] = (
            f'{head}<p:sld xmlns:a="{ns_a}" xmlns:p="{ns_p}" xmlns:r="{ns_r}"><p:cSld><p:spTree>{shapes}</p:spTree></p:cSld></p:sld>'
        )
        if notes:
            files[f"ppt/slides/_rels/slide{n}.xml.rels"] = (
                f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId2" Type="{rel_type}/notesSlide" Target="../notesSlides/notesSlide{n}.xml"/></Relationships>'
            )
            files[f"ppt/notesSlides/notesSlide{n}.xml"] = (
                f'{head}<p:notes xmlns:a="{ns_a}" xmlns:p="{ns_p}" xmlns:r="{ns_r}"><p:cSld><p:spTree>'
                + shape("sldImg", [])
                + shape("body", [(0, notes)])
                + "</p:spTree></p:cSld></p:notes>"
            )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), data)


def write_pdf(path: Path) -> None:
    def literal(text: str) -> str:
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

    ops = ["BT", "/F1 10 Tf", "14 TL", "50 800 Td"]
    for line in PDF_LINES:
        ops.append(f"{literal(line)} Tj T*" if line else "T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (" + PDF_LINES[0].encode("latin-1") + b") >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def write_png(path: Path) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00\xff\x00\x00"  # one red pixel
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    path.write_bytes(png + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    write_docx(HERE / "checkout-pool-timeouts.docx")
    write_odt(HERE / "helpdesk-queue-full.odt")
    write_pptx(HERE / "push-notifications-delayed.pptx")
    write_pdf(HERE / "nfs-volume-full.pdf")
    write_png(HERE / "grafana-screenshot.png")
