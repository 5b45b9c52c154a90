"""Secret scrubbing, applied to every document before anything is parsed or stored."""

from __future__ import annotations

import re
from collections import Counter

# Order matters: whole private-key blocks and URLs with credentials go before the narrower
# token patterns that could match inside them.
PATTERNS: list[tuple[str, re.Pattern]] = [
    (
        "private-key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)",
            re.S,
        ),
    ),
    ("url-password", re.compile(r"(?<=://)[^\s:/@'\"`]+:[^\s@/'\"`]+(?=@)")),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b")),
    (
        "aws-secret-key",
        re.compile(r"(?i)(?<=aws_secret_access_key)(\s*[=:]\s*['\"]?)[A-Za-z0-9/+=]{40}"),
    ),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("slack-webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/]+")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("bearer-token", re.compile(r"(?i)(?<=bearer )[A-Za-z0-9\-._~+/]{16,}=*")),
    (
        "password",
        re.compile(
            r"(?i)(?<![\w-])((?:password|passwd|pwd|secret|api[_-]?key|token)\s*[=:]\s*)(['\"]?)[^\s'\"`,;]{4,}\2"
        ),
    ),
]


def scrub(text: str) -> tuple[str, Counter]:
    """Replace secrets with `[REDACTED:<kind>]`. Returns the text and counts per kind."""
    found: Counter = Counter()
    for kind, pattern in PATTERNS:
        def replace(m: re.Match, kind=kind) -> str:
            if "[REDACTED:" in m.group(0):
                return m.group(0)
            found[kind] += 1
            if kind == "password":
                return f"{m.group(1)}[REDACTED:{kind}]"
            if kind == "aws-secret-key":
                return f"{m.group(1)}[REDACTED:{kind}]"
            return f"[REDACTED:{kind}]"

        text = pattern.sub(replace, text)
    return text, found
