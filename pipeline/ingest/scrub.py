"""Secret scrubbing, applied to every document before anything is parsed or stored, and again
to everything an answer shows.

Three layers, each a table of rules rather than code:
1. Blocks: private keys (PEM, OpenSSH, PGP; also JSON-escaped on one line) and Kubernetes
   Secret `data:` maps. A BEGIN line without its END redacts only the key material that
   follows it, never the rest of the document.
2. Provider tokens with a recognisable shape (AWS, GitHub, GitLab, Slack, Stripe, Twilio,
   SendGrid, PyPI, npm, Vault, Google, OpenAI/Anthropic, Atlassian, JWTs, ...), credentials in
   URLs, HTTP Basic/Bearer headers and command lines (`curl -u`, `mysql -p`).
3. Assignments: a value given to a secret-named key (`DB_PASSWORD=`, `"SecretAccessKey": `,
   `api_key:`, `AccountKey=`, `sig=`) in .env, JSON, YAML, tables and prose, when the value
   looks like a secret rather than a word; and any assigned value that is random enough
   (Shannon entropy) whatever its key is called.

Every pattern is linear in the input: bounded repetitions, no nested quantifiers, so a
hostile document cannot make scrubbing slow. A secret becomes `[REDACTED:<kind>]`."""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass

MARK = "[REDACTED:"


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern
    group: int = 0  # the part of the match that is the secret; the rest is kept


def _rule(kind: str, pattern: str, group: int = 0, flags: int = 0) -> Rule:
    return Rule(kind, re.compile(pattern, flags), group)


# -- 1. blocks -------------------------------------------------------------------------------

_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
# Lines that can sit inside a key block: base64, PEM/PGP headers ("Proc-Type: 4,ENCRYPTED",
# "Version: GnuPG"), the PGP checksum, optionally quoted or indented (markdown, YAML).
_KEY_LINE = re.compile(
    r"[ \t>\"']{0,12}(?:\|[^|\n]{0,80}\|[ \t]{0,4})?"  # a table row's first cell
    r"(?:[A-Za-z0-9+/]{16,200}={0,2}|[A-Za-z0-9+/]{1,200}={1,2}|=[A-Za-z0-9+/]{4}"
    r"|[A-Za-z-]{1,30}: [^\n]{0,200})[ \t\"',|]{0,4}"
)
# The same block JSON-escaped on one line ("-----BEGIN ...-----\nMIIE...\n-----END ...-----").
_KEY_INLINE = re.compile(
    r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|[A-Za-z0-9+/= :.,\-])*"
    r"(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?"
)


def _private_keys(text: str, found: Counter) -> str:
    text = _KEY_INLINE.sub(lambda m: _count(found, "private-key") if "\\n" in m.group(0) else m.group(0), text)
    if "PRIVATE KEY" not in text:
        return text
    lines = text.split("\n")
    ends = [n for n, line in enumerate(lines) if "PRIVATE KEY" in line and _KEY_END.search(line)]
    out, i = [], 0
    while i < len(lines):
        begin = _KEY_BEGIN.search(lines[i]) if "PRIVATE KEY" in lines[i] else None
        if not begin:
            out.append(lines[i])
            i += 1
            continue
        # The key runs to its END line; without one, to the last line that looks like key
        # material (one blank line is allowed: PGP puts one after its headers).
        later = ends[bisect.bisect_right(ends, i):][:1]
        end_at = later[0] if later and later[0] - i <= 400 else None
        j, last, blanks = i + 1, i, 0
        while end_at is None and j < len(lines):
            line = lines[j]
            if not line.strip():
                blanks += 1
                if blanks > 1:
                    break
            elif _KEY_LINE.fullmatch(line):
                blanks, last = 0, j
            else:
                break
            j += 1
        if end_at is not None:
            last = end_at
        end = _KEY_END.search(lines[last]) if last > i else None
        head = lines[i][: begin.start()]
        tail = lines[last][end.end():] if end else ""
        out.append(head + _count(found, "private-key") + tail)
        i = last + 1
    return "\n".join(out)


_SECRET_KIND = re.compile(r"^[ \t]{0,8}[\"']?kind[\"']?[ \t]*:[ \t]*[\"']?Secret\b", re.M)
_DATA_KEY = re.compile(r"^([ \t]{0,12})[\"']?(?:data|stringData)[\"']?[ \t]*:[ \t]*$", re.M)
_DATA_ENTRY = re.compile(r"^([ \t]{1,24}[\"']?[\w.\-]{1,80}[\"']?[ \t]*:[ \t]*)(\S[^\n]{0,4000})$")


def _kubernetes_secrets(text: str, found: Counter) -> str:
    """Values under `data:` / `stringData:` of a manifest that says `kind: Secret`."""
    if not _SECRET_KIND.search(text):
        return text
    lines = text.split("\n")
    in_data, indent = False, 0
    for n, line in enumerate(lines):
        head = _DATA_KEY.match(line)
        if head:
            in_data, indent = True, len(head.group(1))
            continue
        if not in_data:
            continue
        entry = _DATA_ENTRY.match(line)
        if entry and len(line) - len(line.lstrip()) > indent and MARK not in entry.group(2):
            lines[n] = entry.group(1) + _count(found, "kubernetes-secret")
        elif line.strip():
            in_data = False
    return "\n".join(lines)


# -- 2. shaped tokens ------------------------------------------------------------------------

TOKEN_RULES: list[Rule] = [
    _rule("url-password", r"(?<=://)[^\s:/@'\"`]{0,256}:[^\s@/'\"`]{1,256}(?=@)"),
    _rule("aws-access-key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    _rule("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"),
    _rule("gitlab-token", r"\bgl(?:pat|dt|ptt|rt|cbt|soat|ffct|imt|oas|agent)-[A-Za-z0-9_\-]{20,255}"),
    _rule("slack-token", r"\bxox[abposre]-[A-Za-z0-9-]{10,255}|\bxapp-\d-[A-Za-z0-9-]{10,255}"),
    _rule("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]{8,255}"),
    _rule("discord-webhook", r"https://(?:canary\.)?discord(?:app)?\.com/api/webhooks/\d{5,30}/[\w\-]{20,255}"),
    _rule("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,255}|\bwhsec_[A-Za-z0-9]{24,255}"),
    _rule("twilio-key", r"\bSK[0-9a-fA-F]{32}\b"),
    _rule("sendgrid-key", r"\bSG\.[A-Za-z0-9_\-]{16,64}\.[A-Za-z0-9_\-]{16,64}"),
    _rule("pypi-token", r"\bpypi-AgE[A-Za-z0-9_\-]{50,1000}"),
    _rule("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    _rule("vault-token", r"\bhv[sbr]\.[A-Za-z0-9_\-]{20,255}"),
    _rule("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    _rule("openai-key", r"\bsk-(?:proj-|svcacct-|admin-|ant-(?:api\d{2}-)?)?[A-Za-z0-9_\-]{20,255}"),
    _rule("huggingface-token", r"\bhf_[A-Za-z0-9]{30,40}\b"),
    _rule("atlassian-token", r"\bAT(?:ATT|CTT)3[A-Za-z0-9_\-=]{30,255}"),
    _rule("digitalocean-token", r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
    _rule("shopify-token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    _rule("databricks-token", r"\bdapi[a-f0-9]{32}(?:-\d)?\b"),
    _rule("mailgun-key", r"\bkey-[0-9a-zA-Z]{32}\b"),
    _rule("square-token", r"\bsq0(?:atp|csp)-[0-9A-Za-z_\-]{22,64}"),
    _rule("newrelic-key", r"\bNR(?:AK|AA|II)-[A-Z0-9]{27}\b"),
    _rule("grafana-token", r"\bgl(?:sa|c)_[A-Za-z0-9_+/=\-]{32,255}"),
    _rule("telegram-token", r"\b\d{8,10}:AA[0-9A-Za-z_\-]{33}\b"),
    _rule("jwt", r"\beyJ[A-Za-z0-9_\-]{8,4000}\.eyJ[A-Za-z0-9_\-]{8,8000}\.[A-Za-z0-9_\-]{0,2000}"),
    _rule("basic-auth", r"(?i)\bauthorization\b[\"']?[ \t]*[:=][ \t]*[\"']?basic[ \t]+([A-Za-z0-9+/]{6,1000}={0,2})", 1),
    _rule("bearer-token", r"(?i)\bbearer[ \t]+([A-Za-z0-9\-._~+/]{16,4000}=*)", 1),
    _rule("password", r"(?:^|[ \t])(?:-u|--user)[ \t]+['\"]?[^\s:'\"]{1,128}:([^\s'\"@]{1,256})", 1, re.M),
    _rule("password", r"\bmysql(?:dump|admin)?\b[^\n]{0,400}?[ \t]-p([^\s'\"-][^\s'\"]{2,255})", 1),
    _rule("azure-sas", r"(?i)[?&]sig=([A-Za-z0-9%+/=]{16,512})", 1),
    _rule("docker-auth", r"\\?[\"']auth\\?[\"'][ \t]*:[ \t]*\\?[\"']([A-Za-z0-9+/]{12,1000}={0,2})\\?[\"']", 1),
]

# -- 3. assignments ------------------------------------------------------------------------

# A key that names a secret, with any prefix or suffix (DB_PASSWORD, stripe_secret_key,
# SecretAccessKey, _authToken, AccountKey, client-secret).
_SECRET_WORDS = (
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_\-.]?key|apikey|access[_\-.]?key|private[_\-.]?key|"
    r"account[_\-.]?key|shared[_\-.]?access[_\-.]?key|signing[_\-.]?key|encryption[_\-.]?key|"
    r"session[_\-.]?key|master[_\-.]?key|credentials?|auth[_\-.]?code"
)
_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z0-9_.\-]{0,40}(?:" + _SECRET_WORDS + r")[A-Za-z0-9_.\-]{0,40})"
    # Quotes may be escaped: JSON logged inside a JSON string.
    r"((?:\\?[\"'])?[ \t]{0,8}(?:=>|:=|=|:|\|)[ \t]{0,8}(?:\\?[\"'`])?)"
    # A value followed by its own separator is the next key (`| api_key | api_key: ... |`).
    r"((?:[^\s\"'`,;|<>()\[\]{}\\:]|:(?=\S)){4,4000}+)(?![ \t]{0,8}[:=])",
    re.I,
)
# A value assigned to any key, when it is random enough to be a credential.
# Not a path or a URL (`file:///…`, `s3://bucket/…`): the value may not start with a slash.
_ANY_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9])([\w.\-]{1,80}[\"']?[ \t]{0,8}[=:][ \t]{0,8}[\"']?)(?!/)([A-Za-z0-9+/_\-]{24,4000}={0,2})"
)
_PLACEHOLDER = re.compile(
    r"(?i)^(?:\$\{?[\w.]+\}?|%[\w]+%|\*+|x+|\.{3}|<[^>]*>|\{\{[^}]*\}\}|null|none|true|false|"
    r"changeme|redacted|example|placeholder|required|optional|string|your[\w\-]*|env\.[\w.]+)$"
)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def _looks_secret(value: str, strict_key: bool) -> bool:
    """Whether a value given to a secret-named key is a credential rather than prose
    ("password: rotated", "token: see the runbook")."""
    value = value.strip(".")
    if len(value) < 6 or MARK in value or _PLACEHOLDER.match(value):
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    if strict_key:  # KEY=value in a .env / shell line: any non-word value counts
        return classes >= 2 or len(value) >= 16
    return classes >= 2 and not value.isalpha() or entropy(value) >= 3.5 and len(value) >= 12


def _kind_of(key: str) -> str:
    key = key.lower()
    if re.search(r"pass|pwd", key):
        return "password"
    if "token" in key:
        return "token"
    if re.search(r"key", key):
        return "api-key"
    return "secret"


def _assignments(text: str, found: Counter) -> str:
    def replace(m: re.Match) -> str:
        key, sep, value = m.groups()
        strict = "=" in sep and key.isupper()
        if not _looks_secret(value, strict):
            return m.group(0)
        return key + sep + _count(found, _kind_of(key))

    text = _ASSIGNMENT.sub(replace, text)

    def random_value(m: re.Match) -> str:
        value = m.group(2)
        if MARK in value or re.fullmatch(r"[0-9a-fA-F]+", value):  # commit shas, digests
            return m.group(0)
        mixed = re.search(r"[a-z]", value) and re.search(r"[A-Z]", value) and re.search(r"\d", value)
        if mixed and entropy(value) >= 4.0:
            return m.group(1) + _count(found, "high-entropy")
        return m.group(0)

    return _ANY_ASSIGNMENT.sub(random_value, text)


# -------------------------------------------------------------------------------------------


def _count(found: Counter, kind: str) -> str:
    found[kind] += 1
    return f"{MARK}{kind}]"


def _apply(rule: Rule, text: str, found: Counter) -> str:
    def replace(m: re.Match) -> str:
        start, end = m.span(rule.group)
        if start < 0 or MARK in m.group(rule.group):
            return m.group(0)
        whole = m.group(0)
        return whole[: start - m.start()] + _count(found, rule.kind) + whole[end - m.start():]

    return rule.pattern.sub(replace, text)


def scrub(text: str) -> tuple[str, Counter]:
    """Replace secrets with `[REDACTED:<kind>]`. Returns the text and counts per kind."""
    found: Counter = Counter()
    text = _private_keys(text, found)
    text = _kubernetes_secrets(text, found)
    for rule in TOKEN_RULES:
        text = _apply(rule, text, found)
    text = _assignments(text, found)
    return text, found
