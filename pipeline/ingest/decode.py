"""Bytes from a connector -> text, or a reason the document can't be read."""

from __future__ import annotations

MAX_BYTES = 2_000_000  # a post-mortem is a few KB; megabytes means a log dump or an export


def decode(body: bytes | str) -> tuple[str | None, str | None, str | None]:
    """Returns (text, None, None) or (None, reason, detail)."""
    if isinstance(body, str):
        data = body.encode("utf-8", "surrogatepass")
        text = body
    else:
        data = body
        text = None
    if not data.strip():
        return None, "empty", "the document is empty"
    if len(data) > MAX_BYTES:
        return None, "too-large", f"{len(data):,} bytes is over the {MAX_BYTES:,}-byte limit"
    if text is None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16"), None, None
        if b"\x00" in data[:8192]:
            return None, "binary", "the file holds NUL bytes: not a text document"
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


def _control_ratio(text: str) -> float:
    sample = text[:8192]
    bad = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f")
    return bad / max(1, len(sample))
