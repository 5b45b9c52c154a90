"""Which services did an incident affect? A learned second opinion beside the parser's rules.

The rules (`parser.pick_services`) find names written as names: a front-matter or labelled
list, `cart-api`, "the KIAM service", a known component. Writers mostly name what broke as
plain words in passing ("the video player", "course uploads stalled"), which no pattern marks.
This model ranks every short phrase of the write-up (one to three words, no stop word at
either end) by where and how it is written: how often, in the title, under an Impact or Root
cause heading, capitalised mid-sentence, in backticks, inside a longer phrase, how common it is
across other write-ups, its head word and the words around it. A logistic regression over
those, trained on the services gold of the labelled fresh write-ups.

It only adds: a list the writer gave (front matter, properties, an "Affected services" label or
table) stays as written; otherwise the rules' names are kept and the model's best phrases above
the threshold fill the list up to MAX_NAMES, skipping any that overlaps a name already there.
Services F1, each fresh set left out in turn 0.436 -> 0.491; on ../shared/corpus, which it never
trains on, 0.338 -> 0.360, and 0.325 -> 0.318 on the held-out organization (one document's worth);
on two sets written later and never read, 0.385 -> 0.414 and 0.401 -> 0.409 (all measured on
373 training write-ups). Retrained on 1,572 (from 452) with C = 10, chosen with the write-up sets
split five ways (0.494 at the old 0.3, 0.515 at 3, 0.524 at 10, 0.521 at 30): on the 629 b-half
write-ups nobody here has read, 0.413 -> 0.432; on the corpus 0.389 -> 0.387, and 0.350 -> 0.343
on the held-out organization. Below the threshold
its phrases are mostly wrong (a tenth right between 0.05 and 0.25 on the corpus), so where the
rules found nothing and no phrase reaches it the list stays empty: a guess there raised F1
(nothing found scores 0 anyway) but put three wrong names in most records.

Scoring is plain Python over the JSON saved beside this file. Training needs scikit-learn and
the labelled write-ups (the same ones as the draft model):

    python -m pipeline.ingest.services_model train"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.ingest.parser import SERVICE_SUFFIXES, unaffected_parts

MODEL_PATH = Path(__file__).with_name("services_model.json")
# Chosen with each fresh set left out in turn: 0.25 and four names did best there and on the
# corpus alike (0.35: fresh 0.48; five names: no better).
THRESHOLD = 0.25
MAX_NAMES = 4
# What a write-up says about what broke is in its first pages; a 2 MB export is not read whole.
CHARS = 20_000
MAX_WORDS = 3
# Smaller weights are not saved: half the file, and no figure moved.
MIN_WEIGHT = 0.01

STOP_WORDS = frozenset(
    """a an the and or of to in on at for from by with as is was were be been being are it its this that these those
    we our us they their them he she his her you your i my me not no nor but if then than so such into over under
    after before during while when where which who whom what why how all any some each every both few more most other
    can could would should will shall may might must do does did done has have had having also just only very too
    about above below up down out off again further once here there per via vs etc one two three first second new
    old same own between through until against among around across""".split()
)
# A phrase never crosses punctuation, markup or a sentence end.
SEGMENT = re.compile(r"[^\n,;:()!?\"\[\]{}|*#<>=]+")
WORD = re.compile(r"[a-z0-9][a-z0-9_./+-]*[a-z0-9]|[a-z0-9]")
SENTENCE_END = re.compile(r"\.\s")
# Never a service's name: a web address or path (a wiki export's breadcrumb link,
# "display/ops/post-incident+reviews"), a word that names no one thing or a department ("ICT"),
# a date or a number ("2024-03-05": when, not what), a timestamp ("2024-04-17t11:19") or a
# ticket's key ("inc-3391", "chg-20931": which record, not what broke).
NOT_A_NAME = re.compile(
    r"^(?:https?|www|services?|systems?|unknown|ict)$|://|\.[a-z]+/|/[^/]*/|\+|^[\d.:/-]+$|^\d{4}-\d\d-\d\dt\d"
    r"|^(?:inc|incident|chg|prb|ritm|req|ticket|case|pir|sev|ops|sre|jira)-\d{2,}$"
)
# The parser's service suffixes, and the nouns a plain-words name ends on ("merchant dashboard").
SERVICE_HEADS = SERVICE_SUFFIXES | {"database", "dashboard", "portal", "console"}
# The kind of section a line sits under, by its heading's words (first match wins).
SECTION_KINDS = (
    ("impact", re.compile(r"impact|affected|scope|customer|symptom|user experience", re.I)),
    ("summary", re.compile(r"summary|overview|what happened|tl;?dr|description|background|details", re.I)),
    ("cause", re.compile(r"cause|why|trigger|rca|analysis|contributing", re.I)),
    ("fix", re.compile(r"resolution|fix|mitigat|remediat|recover|restor|corrective|what we did", re.I)),
    ("timeline", re.compile(r"timeline|chronolog|sequence|log\b", re.I)),
    ("follow", re.compile(r"action|follow|lesson|next step|learn|went well|went wrong|lucky|prevent", re.I)),
)
PLACES = ("title", "impact", "summary", "cause", "fix", "timeline", "follow", "other")
HEADING = re.compile(r"#{1,6}\s+(.*)|\*\*([^*]{2,60})\*\*\s*:?\s*$")
# Where the rules' names came from when the writer listed them: kept as written.
LISTED_ORIGIN = re.compile(r"^(?:front-matter|properties): (?!product\b)|^(?:label|table|heading)\b")


@dataclass
class Phrase:
    """Where and how one phrase is written in a write-up."""

    count: int = 0
    first: float = 0.0  # where it first appears, as a share of the text
    capitalised: int = 0  # mid-sentence with a capital ("the Ledger service")
    quoted: bool = False  # in backticks
    mentioned: bool = False  # after an @, as a chat handle
    headings: int = 0
    places: dict = field(default_factory=dict)  # section kind -> count
    left: dict = field(default_factory=dict)  # the word before -> count ("^": a segment start)
    right: dict = field(default_factory=dict)  # the word after -> count ("$": a segment end)


def lines_by_section(text: str, title: str) -> list[tuple[str, str]]:
    """(kind, line) for the title and each line of text: the kind of section it sits under,
    `heading` for a heading itself."""
    kind, out = "other", [("title", title)]
    for line in text.split("\n"):
        m = HEADING.match(line.strip())
        if m:
            words = m.group(1) or m.group(2)
            kind = next((k for k, p in SECTION_KINDS if p.search(words)), "other")
            out.append(("heading", words))
        else:
            out.append((kind, line))
    return out


# A chat export's speaker: "**[18:44] Jonas Lindqvist**" on a line of its own, or "[10:02] jonas:"
# before what was said. A person, never what broke.
# The time in brackets, the name in letters only: a timeline's "14:05 payments-api: 500s rising"
# or "[14:05] Payments API errors rising" is no speaker.
# Other exports put the name first ("Kenji Watanabe  [7:12 AM]", "Lucas Ferreira — 10:14 AM"), or
# after a bare time as a handle ("09:31:12 <ravi.s>", "(2025-01-02 08:14) nadia.f:") or a
# person's first and last name ("2024-03-05 10:02  Jonah Pratt: ...", "06:02  Kenji Watanabe   ...").
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?"
_STAMP = rf"(?:\d{{4}}-\d{{2}}-\d{{2}}[ T])?{_TIME}"
_PERSON = r"[A-Z][a-z']+(?:[ \t]+[A-Z][a-z']+){1,2}"
SPEAKER = re.compile(
    rf"^[*_ \t]*\[{_TIME}\][*_ \t]*"
    r"(?:[A-Z][A-Za-z.']*(?:[ \t]+[A-Z][A-Za-z.']*){0,3}[*_ \t]*$|[A-Za-z][A-Za-z.']*(?:[ \t]+[A-Za-z][A-Za-z.']*){0,2}[ \t]*:)"
    rf"|^[ \t]*(?:\[{_STAMP}\]|\({_STAMP}\)|{_STAMP})[ \t]+(?:<[\w.-]+>|[a-z][a-z0-9]*(?:[._][a-z0-9]+)+[ \t]*:|{_PERSON}(?=[ \t]*:|[ \t]{{2}}))"
    rf"|^[ \t]*{_PERSON}[ \t]+(?:\[{_TIME}\]|[—–-][ \t]+{_TIME})"
)


def phrases(text: str, title: str) -> dict[str, Phrase]:
    """Every phrase of one to MAX_WORDS words in the write-up, lower case, with where it was written."""
    text = text[:CHARS]
    lines = lines_by_section(text, title)
    total = sum(len(line) for _, line in lines) or 1
    found: dict[str, Phrase] = {}
    at = 0
    for kind, line in lines:
        speaker = SPEAKER.match(line)
        if speaker:
            line = " " * speaker.end() + line[speaker.end():]  # same length: positions keep their order
        lower = line.lower()
        for seg in SEGMENT.finditer(lower):
            words = [(m.start(), m.end(), m.group(0)) for m in WORD.finditer(seg.group(0))]
            for i in range(len(words)):
                for j in range(i + 1, min(i + MAX_WORDS, len(words)) + 1):
                    if j > i + 1 and SENTENCE_END.search(seg.group(0), words[j - 2][1], words[j - 1][0] + 1):
                        break
                    parts = [w[2].strip("./+-_") for w in words[i:j]]
                    if parts[0] in STOP_WORDS or parts[-1] in STOP_WORDS or parts[0].isdigit() or parts[-1].isdigit():
                        continue
                    if any(len(p) < 2 or NOT_A_NAME.search(p) for p in parts):
                        continue
                    if lower.startswith("::", seg.start() + words[j - 1][1]):
                        continue  # `std::chrono`: a namespace in code
                    phrase = " ".join(parts)
                    p = found.get(phrase)
                    if p is None:
                        p = found[phrase] = Phrase(first=(at + seg.start()) / total)
                    p.count += 1
                    if kind == "heading":
                        p.headings += 1
                    else:
                        p.places[kind] = p.places.get(kind, 0) + 1
                    start = seg.start() + words[i][0]
                    if line[start:start + 1].isupper() and not _sentence_start(line, start):
                        p.capitalised += 1
                    p.quoted = p.quoted or line[start - 1:start] == "`"
                    p.mentioned = p.mentioned or line[start - 1:start] == "@"
                    before = words[i - 1][2] if i else "^"
                    after = words[j][2] if j < len(words) else "$"
                    p.left[before] = p.left.get(before, 0) + 1
                    p.right[after] = p.right.get(after, 0) + 1
        at += len(line)
    # "@katharine" is a person (or a team) in the chat log, never what broke; so is a name the
    # write-up gives a person elsewhere.
    named = people(text)
    return {phrase: p for phrase, p in found.items() if not p.mentioned and not set(phrase.split()) <= named}


# Where a write-up names a person: an email's "Ines Okafor-Lindqvist <ines@...>", a chat
# export's speaker ("[7:48 AM] Castellano, Ben"), a role ("Incident commander: ...",
# "Exported by Ahmed Qureshi", a ticket's "Closed: ... by: j.kalnins"), a work log's entry
# under its author's handle ("[2024-02-09 00:58] j.kalnins"), a signature (a name over its
# role: "Maud Ellery" over "Service Manager, CVREN Network Services").
PERSON = r"([A-Z][\w'.-]+(?:,?[ \t]+[A-Z][\w'.-]+){0,3})"
HANDLE = r"([a-z][a-z0-9]*(?:[._][a-z0-9]+)+)"
ROLE = (
    r"(?:[A-Z][\w&-]*[ \t]+){0,3}(?:Manager|Engineer|Director|Lead|Head|Officer|Analyst|Architect|Specialist|Coordinator|Administrator|Consultant|Supervisor)"
    r"(?:[ \t]+of\b|[ \t]*,|[ \t]*$)"
)
PERSON_NAMED = re.compile(
    rf"{PERSON}[ \t]*<[^<>@\s]+@[^<>\s]+>"
    rf"|^[*_ \t]*\[{_TIME}\][*_ \t]*{PERSON}"
    rf"|(?i:\b(?:incident\s+commander|author|on-?call|(?:reviewed|prepared|exported|written|reported|presented)\s+by))\s*:?[ \t]+{PERSON}"
    rf"|(?i:\bby):[ \t]+(?:{PERSON}|{HANDLE})"
    rf"|^[ \t]*\[{_STAMP}\][ \t]+{HANDLE}[ \t]*$"
    rf"|(?:(?<=\n\n)|(?<=,\n))[ \t]*(?:#{{1,6}}[ \t]+)?({_PERSON})[ \t]*(?:<br\s*/?>)?[ \t]*\n(?:[ \t]*\n)?[ \t]*{ROLE}",
    re.M,
)


def people(text: str) -> set[str]:
    """The words of the names the write-up gives people, lower case."""
    return {w.strip(",.").lower() for m in PERSON_NAMED.finditer(text) for w in next(g for g in m.groups() if g).split()}


def _sentence_start(line: str, at: int) -> bool:
    """Whether `at` opens the line or a sentence. Reads back over the whitespace only: slicing
    the line before every capitalised phrase is quadratic in a long line."""
    while at and line[at - 1].isspace():
        at -= 1
    return not at or line[at - 1] in ".!?"


def features(phrase: str, p: Phrase, found: dict[str, Phrase], rules: set[str], spread: float) -> dict[str, float]:
    """The model's inputs for one phrase: `spread` is its share of other write-ups that hold it
    (log scale); `rules` the rules' names, lower case."""
    words = phrase.split()
    f = {"count": math.log1p(p.count), "first": p.first, "headings": float(p.headings > 0), f"words{len(words)}": 1.0}
    for place in PLACES:
        f[f"in_{place}"] = math.log1p(p.places.get(place, 0))
    f["hyphen"] = float("-" in phrase)
    f["digit"] = float(any(ch.isdigit() for ch in phrase))
    f["capitalised"] = p.capitalised / p.count
    f["quoted"] = float(p.quoted)
    f["service_head"] = float(words[-1] in SERVICE_HEADS)
    f["rules"] = float(phrase in rules)
    f["in_rules_name"] = float(any(phrase != r and f" {phrase} " in f" {r} " for r in rules))
    # Mostly inside a longer phrase ("video" of "video player"): the longer one is the name.
    longer = 0
    for side, words_by in (("left", p.left), ("right", p.right)):
        for w in words_by:
            if w in ("^", "$") or w in STOP_WORDS:
                continue
            other = found.get(f"{w} {phrase}" if side == "left" else f"{phrase} {w}")
            if other:
                longer = max(longer, other.count)
    f["inside_longer"] = longer / p.count
    f["spread"] = spread
    f[f"head={words[-1]}"] = 1.0
    if len(words) > 1:
        f[f"first={words[0]}"] = 1.0
    for w, n in p.left.items():
        f[f"left={w}"] = n / p.count
    for w, n in p.right.items():
        f[f"right={w}"] = n / p.count
    return f


def rule_names(rules: list[str]) -> set[str]:
    """The rules' names as phrases are written: lower case, single spaces."""
    return {" ".join(r.lower().split()) for r in rules}


def spread_of(documents: int, holding: int) -> float:
    """Log share of the other write-ups that hold a phrase: generic words ("users", "data") are in many."""
    return math.log1p(holding) / math.log1p(max(documents, 1))


@dataclass(frozen=True)
class ServicesModel:
    weights: dict[str, float]
    intercept: float
    documents: int  # the write-ups it was trained on
    holding: dict[str, int]  # phrase -> how many of those hold it, where two or more others do
    threshold: float

    def ranked(self, text: str, title: str, rules: list[str]) -> list[tuple[float, str]]:
        """(probability, phrase), most likely first."""
        found = phrases(text, title)
        names = rule_names(rules)
        scored = []
        for phrase, p in found.items():
            x = features(phrase, p, found, names, spread_of(self.documents, self.holding.get(phrase, 0)))
            z = self.intercept + sum(v * self.weights[k] for k, v in x.items() if k in self.weights)
            scored.append((1.0 / (1.0 + math.exp(-z)), phrase))
        return sorted(scored, reverse=True)

    def complete(self, text: str, title: str, services: list[str], origin: str) -> tuple[list[str], str]:
        """The rules' services with the model's likeliest phrases added, and the provenance."""
        if LISTED_ORIGIN.match(origin or "") or len(services) >= MAX_NAMES:
            return services, origin
        out, taken = list(services), [_spaced(s) for s in services]
        # What the writer rules out ("Driver App and the tracking pages were not affected"), where
        # that is all the writer says of it: "Other Interlink channels were not affected" beside
        # the Interlink engine that failed rules out no Interlink.
        told, ruled_out = map(_spaced, unaffected_parts(text))
        added = []
        for p, phrase in self.ranked(text, title, services):
            if p < self.threshold or len(out) >= MAX_NAMES:
                break
            if len(phrase) < 3:
                continue  # "am", "pm", "mm": a clock's words or someone's initials, never a name here
            key = _spaced(phrase)
            if key in ruled_out and key not in told:
                continue
            # A phrase the model added gives way to a longer one it also believes ("cache" to
            # "artifact cache"): the writer's fuller name says which one.
            shorter = next((i for i in range(len(services), len(out)) if taken[i] in key and taken[i] != key), None)
            if shorter is not None:
                out[shorter], taken[shorter] = phrase, key
                added[shorter - len(services)] = f"{phrase} ({p:.2f})"
                continue
            if any(key in t or t in key for t in taken):
                continue
            out.append(phrase)
            taken.append(key)
            added.append(f"{phrase} ({p:.2f})")
        if not added:
            return services, origin
        told = f"services model: {', '.join(added)}"
        return out, f"{origin}; {told}" if origin else told


def _spaced(name: str) -> str:
    """A name's words between spaces: `cart-api` overlaps `the cart api service`."""
    return f" {' '.join(re.findall(r'[a-z0-9]+', name.lower()))} "


@lru_cache(maxsize=1)
def load(path: Path = MODEL_PATH) -> ServicesModel:
    data = json.loads(path.read_text())
    return ServicesModel(data["weights"], data["intercept"], data["documents"], data["holding"], data["threshold"])


def examples(sets: list[tuple[Path, Path]]) -> list[dict]:
    """Each finished labelled write-up the rules store: its text, title, the rules' services (and
    where they came from) and the gold."""
    from pipeline.ingest.formats import to_markdown
    from pipeline.ingest.parser import parse
    from pipeline.ingest.scrub import scrub

    out = []
    for root, labels in sets:
        for line in labels.read_text().splitlines():
            gold = json.loads(line)
            if not gold["parseable"]:
                continue
            text, _, _ = to_markdown((root / gold["path"]).read_bytes(), gold["path"])
            if text is None:
                continue
            text = scrub(text)[0]
            parsed = parse(text, source_id=gold["path"])
            if parsed.reason:
                continue
            out.append({
                "path": gold["path"],
                "text": text,
                "title": parsed.fields["incident_title"],
                "rules": parsed.fields["services_affected"],
                "origin": parsed.provenance.get("services_affected", ""),
                "gold": gold["services_affected"],
            })
    return out


def train(docs: list[dict], c: float = 10.0, min_count: int = 5, threshold: float = THRESHOLD) -> dict:
    """Fit on `examples(...)`; returns the model as saved. A phrase is a positive when it is one of
    the gold names (normalized as the benchmark compares them). Word features seen in fewer than
    min_count phrases are dropped; min_count was chosen with each fresh set left out in turn, c with
    the sets split five ways."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    from pipeline.evaluate.metrics import normalize_service

    found = [phrases(d["text"], d["title"]) for d in docs]
    holding: dict[str, int] = {}
    for f in found:
        for phrase in f:
            holding[phrase] = holding.get(phrase, 0) + 1
    # Counted as a new write-up will be: the others that hold it, and only where two or more do.
    others = {phrase: n - 1 for phrase, n in holding.items() if n - 1 >= 2}
    rows, positive = [], []
    for d, f in zip(docs, found):
        gold = {normalize_service(g) for g in d["gold"]}
        names = rule_names(d["rules"])
        for phrase, p in f.items():
            rows.append(features(phrase, p, f, names, spread_of(len(docs), others.get(phrase, 0))))
            positive.append(int(normalize_service(phrase) in gold))
    seen: dict[str, int] = {}
    for x in rows:
        for k in x:
            if "=" in k:
                seen[k] = seen.get(k, 0) + 1
    rows = [{k: v for k, v in x.items() if "=" not in k or seen[k] >= min_count} for x in rows]
    vectorizer = DictVectorizer()
    model = LogisticRegression(C=c, max_iter=3000).fit(vectorizer.fit_transform(rows), positive)
    return {
        "documents": len(docs),
        "threshold": threshold,
        "intercept": round(float(model.intercept_[0]), 6),
        "weights": {
            k: round(float(model.coef_[0][i]), 4)
            for k, i in sorted(vectorizer.vocabulary_.items())
            if abs(model.coef_[0][i]) >= MIN_WEIGHT
        },
        "holding": dict(sorted(others.items())),
    }


def main(argv: list[str] | None = None) -> None:
    import argparse

    from pipeline.ingest.draft_model import TRAINING

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["train"])
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    saved = train(examples(TRAINING))
    args.out.write_text(json.dumps(saved, separators=(",", ":")) + "\n")
    print(f"{saved['documents']} write-ups, {len(saved['weights'])} weights, {len(saved['holding'])} phrases -> {args.out}")


if __name__ == "__main__":
    main()
