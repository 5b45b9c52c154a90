"""Bytes from a connector -> text, or a reason the document can't be read."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

MAX_BYTES = 2_000_000  # a post-mortem is a few KB; megabytes means a log dump or an export
# A Word, PDF, OpenDocument or PowerPoint file, or a web archive or email, carries its
# screenshots: ten of them make a short write-up tens of megabytes. Its text is still held to
# MAX_BYTES once extracted.
MAX_FILE_BYTES = 50_000_000
_WITH_PICTURES = re.compile(r"\.(?:docx?|pdf|odt|pptx|mht|mhtml|eml)$", re.I)
# A post-mortem kept as YAML is a record of a few KB; a quarter of a megabyte is a data dump, and
# YAML's reader takes seconds over a megabyte.
MAX_YAML_BYTES = 250_000
_YAML = re.compile(r"\.ya?ml$", re.I)


def size_limit(name: str) -> int:
    """The most bytes a file of this name may have: the text limit, the larger one for a
    format that carries pictures, or YAML's smaller one."""
    name = PurePosixPath(name).name
    return MAX_FILE_BYTES if _WITH_PICTURES.search(name) else MAX_YAML_BYTES if _YAML.search(name) else MAX_BYTES


def decode(body: bytes | str) -> tuple[str | None, str | None, str | None]:
    """Returns (text, None, None) or (None, reason, detail); never raises."""
    if isinstance(body, str):
        text = clean_text(body)
        data = text.encode("utf-8")
    else:
        data = body
        text = None
    if not data.strip():
        return None, "empty", "the document is empty"
    if len(data) > MAX_BYTES:
        return None, "too-large", f"{len(data):,} bytes is over the {MAX_BYTES:,}-byte limit"
    if text is None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            # A UTF-16 BOM on a file that is not valid UTF-16 (odd length, lone surrogates)
            # is text with a few broken characters, or noise that the checks below reject.
            text = data.decode("utf-16", "replace")
        elif b"\x00" in data[:8192]:
            return None, "binary", "the file holds NUL bytes: not a text document"
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                # Legacy exports (Windows-1252, Latin-1) are still text worth reading; a file that
                # is neither is rejected with the offset of the first bad byte.
                try:
                    text = data.decode("cp1252")
                except UnicodeDecodeError:
                    return None, "not-text", f"not UTF-8 or Windows-1252 text (bad byte at offset {exc.start})"
    if _control_ratio(text) > 0.05:
        return None, "binary", "too many control characters for a text document"
    return text, None, None


def clean_text(value):
    """`value` with lone UTF-16 surrogates (JSON `"\\ud800"` from an API, undecodable file
    names) replaced by U+FFFD, in strings nested in lists and dicts too: SQLite can't store
    them, and one such character must not fail a whole document. Pairs become their character."""
    if isinstance(value, str):
        if value.isascii():
            return value
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(value, list):
        return [clean_text(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k): clean_text(v) for k, v in value.items()}
    return value


def _control_ratio(text: str) -> float:
    sample = text[:8192]
    bad = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f")
    return bad / max(1, len(sample))
