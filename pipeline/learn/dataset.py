"""Q&A examples from stored incidents: the canonical triage questions, the one prompt format
that training, evaluation and answering all share, and the stored train/held-out split.

Two kinds of example per incident:
- the seed's three questions, asked about the incident's own title and timeline summary. The
  summary leaves out every event that states the root cause or the fix (a "Root cause: ..."
  line, an event that repeats their words), so the answer is never copied from the context;
- the served task: a symptom question written from the incident's early timeline and the
  services it hit (never its cause or fix), the incidents retrieval finds for it with the
  right one among them, and a grounded answer citing the right [n] with its cause and fix.
  Its prompt is the answerer's (pipeline.serve.answer.build_prompt), so the model is trained
  on exactly what it is served.

Every module that builds a prompt imports it from here or from the answerer, so that a model
is always asked questions in exactly the shape it was trained on."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from pipeline.prompts import PROMPT_TEMPLATE
from pipeline.text import jsonl_rows

# The three questions an on-call engineer asks first. Keys are stable identifiers (stored in
# JSONL and eval results); the text is what the model sees.
QUESTIONS = {
    "services": "Which services were affected?",
    "root_cause": "What was the root cause?",
    "fix": "How was it fixed?",
}

# About a third of a short training sequence: enough for the first alert, the turning points
# and the resolution, short enough that the answer dominates the tokens trained on.
TIMELINE_BUDGET = 96
# One event never takes more than this, so a single wordy line can't crowd out the others.
EVENT_BUDGET = 36

HELDOUT_SHARE = 15  # percent of incidents never trained on

# Events that carry the story of an incident: detection, diagnosis, mitigation, recovery.
_SALIENT = re.compile(
    r"alert|page|detect|notic|report|identif|found|cause|suspect|diagnos|roll(ed)?[ -]?back|"
    r"revert|restart|fail(ed)?[ -]?over|mitigat|fix|patch|deploy|scal|disabl|block|"
    r"resolv|restor|recover|back to|normal|baseline|error|outage|down|timeout",
    re.I,
)
_TOKEN = re.compile(r"\d|[A-Za-z]+|[^\sA-Za-z\d]")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]+(\d{1,2}:\d{2}(?::\d{2})?)\s*(?:UTC|Z)?\s*")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")
_BARE_TIME = re.compile(r"^[\d\-/T: ]*\d{1,2}:\d{2}(:\d{2})?\s*(UTC|Z)?$")
_CELL_SEP = re.compile(r"\s*\|\s*|\s+[—–]\s+")
# Words of a timeline table's header row ("Date and Time in CET | Event").
_HEADER_WORDS = {"time", "date", "event", "events", "description", "action", "what", "in", "and",
                 "of", "utc", "cet", "pst", "est"}


def estimate_tokens(text: str) -> int:
    """A tokenizer-free count close to SmolLM2's BPE on incident text: digits are single
    tokens there, common words one token, long words a few."""
    n = 0
    for piece in _TOKEN.findall(text):
        n += 1 + (len(piece) - 1) // 8 if piece.isalpha() else 1
    return n


def timeline_summary(text: str, budget: int = TIMELINE_BUDGET, leave_out: str = "") -> str:
    """Condense a timeline to at most `budget` estimated tokens, deterministically.

    The first and last events (how it started, how it ended) are always kept; the rest are
    chosen by how much of the incident's story they carry, then put back in time order.
    A repeated date is dropped from timestamps, since digits cost a token each. Events that
    give away `leave_out` (the answer a prompt asks for) are dropped first."""
    events = [e for e in _events(text or "") if not (leave_out and gives_away(e, leave_out))]
    if not events:
        return ""
    events = [_clip_tokens(e, EVENT_BUDGET) for e in _compact_dates(events)]
    costs = [estimate_tokens(e) + 1 for e in events]  # +1 for the newline
    if sum(costs) <= budget:
        return "\n".join(events)

    order = [0, len(events) - 1] if len(events) > 1 else [0]
    middle = sorted(
        range(1, len(events) - 1),
        key=lambda i: (-len(_SALIENT.findall(events[i])), i),
    )
    chosen, used = set(), 0
    for i in order + middle:
        if used + costs[i] <= budget:
            chosen.add(i)
            used += costs[i]
    if not chosen:  # even the first event alone is over budget
        return _clip_tokens(events[0], budget)
    return "\n".join(events[i] for i in sorted(chosen))


def _events(text: str) -> list[str]:
    lines = []
    for raw in text.splitlines():
        # Whitespace runs collapsed first: `_CELL_SEP` rescans a long run from each of its spaces.
        line = " ".join(raw.split())
        if not line or _TABLE_RULE.match(line):
            continue
        cells = [c.strip() for c in _CELL_SEP.split(line.strip("|"))]
        cells = [c for c in cells if c]
        if not cells or all(_is_header_cell(c) for c in cells):
            continue  # "Time (UTC) | Event", "Time — Event"
        if "|" in line:
            line = " ".join(cells)
        line = re.sub(r"^([-*+]|\d+[.)])\s+", "", line)  # list markers
        # Bold and code marks cost tokens and say nothing; underscores stay (pg_stat_activity).
        line = " ".join(line.replace("**", "").replace("`", "").split())
        if line:
            lines.append(line)
    lines = _join_bare_times(lines)
    if len(lines) <= 2 and sum(len(l) for l in lines) > 300:
        # Prose, not a list of events: sentences are the events.
        lines = [s for l in lines for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", l) if s]
    return lines


def _join_bare_times(lines: list[str]) -> list[str]:
    """A timestamp alone on its line (definition-list timelines) belongs to the next line."""
    out: list[str] = []
    pending = None
    for line in lines:
        if _BARE_TIME.match(line):
            pending = line  # two stamps in a row: the first one had no event
            continue
        out.append(f"{pending} {line}" if pending else line)
        pending = None
    return out


def _is_header_cell(cell: str) -> bool:
    words = re.findall(r"[a-z]+", cell.lower())
    return bool(words) and not re.search(r"\d", cell) and all(w in _HEADER_WORDS for w in words)


def _compact_dates(events: list[str]) -> list[str]:
    out, last_date = [], None
    for e in events:
        m = _DATETIME.match(e)
        if m:
            date, time = m.group(1), m.group(2)
            rest = e[m.end():].lstrip("-–—: ")
            e = f"{time} {rest}" if date == last_date else f"{date} {time} {rest}"
            last_date = date
        out.append(e.strip())
    return out


def _clip_tokens(text: str, budget: int) -> str:
    """At most `budget` estimated tokens (the prompt budget is in tokens, not characters),
    cut at a word and marked ` …` like pipeline.text.clip."""
    if estimate_tokens(text) <= budget:
        return text
    words, kept = text.split(" "), []
    for w in words:
        if estimate_tokens(" ".join(kept + [w]) + " …") > budget:
            break
        kept.append(w)
    return " ".join(kept) + " …"


# -- what a context must not give away -------------------------------------------------------

# An event that names the answer outright: what the parser leaves in a timeline when a
# document writes its cause or resolution inside it.
_ANSWER_LABEL = re.compile(
    r"^\W*(?:[\d:\-/T ]+(?:UTC|Z)?\s*)?(?:\*\*)?(?:root[ -]?causes?|(?:the )?cause[sd]?(?: by)?|contributing factors?|"
    r"trigger|fix(?:e[sd])?|resolution|resolved by|remediation|permanent fix|lessons? learn(?:ed|t))\b\W*[:\-—–]",
    re.I,
)
_WORD = re.compile(r"[a-z0-9_]+", re.I)
# Words that say nothing about an incident in particular: they never make an event "repeat"
# the cause or the fix.
_COMMON = frozenset(
    """the a an and or of to in on at for from by with was were is are be been had has have it its
    this that these those we our they them their as after before when then than into out not no
    all any some more most also but which while during over under up down via per new old""".split()
)
# A run of this many words shared with the answer means the event quotes it.
_SHARED_RUN = 4
# An event whose distinctive words are mostly the answer's restates it in other order.
_SHARED_SHARE = 0.5


def stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _words(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text or "")]


def gives_away(event: str, answer: str, share: float = _SHARED_SHARE) -> bool:
    """Whether a timeline event states (part of) `answer`: it is labelled as a cause or fix,
    quotes a run of the answer's words, or `share` of its distinctive words are the answer's."""
    if _ANSWER_LABEL.match(event):
        return True
    if not answer.strip():
        return False
    words, answer_words = _words(event), _words(answer)
    runs = {tuple(answer_words[i : i + _SHARED_RUN]) for i in range(len(answer_words) - _SHARED_RUN + 1)}
    if any(tuple(words[i : i + _SHARED_RUN]) in runs for i in range(len(words) - _SHARED_RUN + 1)):
        return True
    distinctive = {w for w in words if w not in _COMMON and len(w) > 2}
    shared = distinctive & {w for w in answer_words if w not in _COMMON}
    return len(distinctive) >= 2 and len(shared) / len(distinctive) >= share


def answer_text(incident: dict) -> str:
    """What the questions ask for and a context must not contain: the cause and the fix.
    (Service names stay: they are how a timeline says where things broke.)"""
    return "\n".join(incident.get(k) or "" for k in ("root_cause", "fix"))


def context_timeline(incident: dict, budget: int = TIMELINE_BUDGET) -> str:
    """The incident's timeline summary without the events that give its cause or fix away."""
    return timeline_summary(incident.get("timeline") or "", budget, leave_out=answer_text(incident))


# -- prompts and answers ---------------------------------------------------------------------


def build_prompt(incident: dict, question_key: str) -> str:
    """The prompt for one incident and question, up to and including `### Answer:\\n`."""
    return PROMPT_TEMPLATE.format(
        title=(incident.get("incident_title") or "").strip(),
        timeline=context_timeline(incident),
        question=QUESTIONS[question_key],
    )


def answer_for(incident: dict, question_key: str) -> str:
    """The reference answer. The root cause starts with its category in brackets, so that
    a generated answer's category can be read off and scored."""
    if question_key == "services":
        return ", ".join(s.strip() for s in incident.get("services_affected") or [] if s.strip())
    if question_key == "root_cause":
        cause = (incident.get("root_cause") or "").strip()
        category = (incident.get("root_cause_category") or "").strip()
        if not cause:
            return ""
        return f"[{category}] {cause}" if category else cause
    if question_key == "fix":
        return (incident.get("fix") or "").strip()
    raise KeyError(question_key)


# -- the served task: symptom question, retrieved incidents, grounded answer --------------------

# Events that say what people saw: the start of an incident as an engineer reports it.
_SYMPTOM = re.compile(
    r"alert|page|report|error|fail|timeout|time out|latenc|slow|5\d\d|4\d\d|down|unavailab|"
    r"unreachab|spike|drop|stale|lag|crash|restart|oom|full|expire|refus|reject|degrad|missing|"
    r"unable|cannot|can't|stuck|backlog|queue|high|low",
    re.I,
)
# Events that tell how it ended or why: what an engineer cannot know when asking.
_HINDSIGHT = re.compile(
    r"solv|resolv|\bfix|mitigat|restor|roll(?:ed|ing)?[ -]?back|revert|recover|downgrad|upgrad|workaround|"
    r"root cause|caused by|because|due to|identified|turned out|found that|post-?mortem|"
    r"(?:issue|problem) was|^all times",
    re.I,
)
# Markup a person would not type into a channel: HTML tags, images, link targets, bare URLs.
_MARKUP = re.compile(r"<[^>\n]{0,1000}>|!\[[^\]\n]*\]\([^)\n]*\)|\]\([^)\n]*\)|https?://\S+", re.I)
_TIMESTAMP = re.compile(
    r"^(?:(?:\d{4}-\d{2}-\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,?"
    r"(?: \d{4})?,?)[ T]*)?(?:\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)?\s*(?:(?-i:UTC|Z|[A-Z]{2,4}T)\b)?\s*[-–—:]?\s*",
    re.I,
)
# How people type the question in a channel during an incident; chosen per incident by
# hash, so the same incident always gets the same wording.
SYMPTOM_TEMPLATES = (
    "{symptoms} on {services}. Have we seen this before, and what fixed it?",
    "seeing {symptoms} ({services}), what was it last time?",
    "{services}: {symptoms}. Any past incident like this?",
    "we have {symptoms} in {services} right now. What caused this before and how did we fix it?",
)
SYMPTOM_EVENTS = 2
# Each symptom as short as people type it; the whole question stays a chat message.
SYMPTOM_EVENT_WORDS = 14
# Stricter than the seed context: a symptom event that shares even a third of its words with
# the cause or fix paraphrases the diagnosis, not what was seen.
SYMPTOM_SHARED_SHARE = 0.3


def symptom_question(incident: dict) -> str:
    """A question an on-call engineer could type at the start of this incident: its first
    symptom events and the services hit, never its cause or fix (events that give them away,
    or tell how it ended or why, are left out) and without markup. Empty when the timeline
    says nothing usable."""
    leave_out = answer_text(incident)
    events = [_TIMESTAMP.sub("", _MARKUP.sub(" ", e).replace("[", "")).strip(" .;:") for e in _events(incident.get("timeline") or "")]
    events = [re.sub(r"\s+", " ", e) for e in events if len(e) > 3 and not _HINDSIGHT.search(e)]
    events = [e for e in events if not gives_away(e, leave_out, SYMPTOM_SHARED_SHARE)]
    symptoms = [e for e in events if _SYMPTOM.search(e)][:SYMPTOM_EVENTS] or events[:1]
    if not symptoms:
        return ""
    text = "; ".join(_first_sentence(e, SYMPTOM_EVENT_WORDS).rstrip(" .") for e in symptoms)
    text = text[0].lower() + text[1:] if text[:2].istitle() else text
    services = ", ".join(s.strip() for s in (incident.get("services_affected") or [])[:2] if s.strip())
    template = SYMPTOM_TEMPLATES[_pick(incident, len(SYMPTOM_TEMPLATES))]
    question = template.format(symptoms=text, services=services)
    if not services or gives_away(question, leave_out, share=1.1):  # the names run into a quote
        template = template.replace(" on {services}", "").replace(" ({services})", "").replace(
            "{services}: ", "").replace(" in {services}", "")
        question = template.format(symptoms=text, services="")
    return question


def _pick(incident: dict, n: int, salt: str = "") -> int:
    key = f"{incident.get('source')}\x00{incident.get('source_id')}\x00{salt}"
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big") % n


def _first_sentence(text: str, max_words: int = 30) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", text, maxsplit=1)[0]
    words = sentence.split()
    if len(words) > max_words:
        sentence = " ".join(words[:max_words]) + " …"
    return sentence.rstrip()


def grounded_answer(incident: dict, number: int) -> str:
    """The served task's reference answer: which retrieved incident this is, citing it as
    [number], with its cause and fix exactly as the prompt shows them (the answerer's
    `condense`), so that every word the model learns to write is in front of it."""
    from pipeline.serve.answer import condense

    shown = condense(number, incident).splitlines()
    title = (incident.get("incident_title") or "a past incident").strip().rstrip(".")
    parts = [f"This looks like [{number}] {title}."]
    for label in ("Cause", "Fix"):
        value = next((line[len(label) + 2:] for line in shown if line.startswith(f"{label}: ")), "")
        value = value.removesuffix(" …").rstrip(" .,;:")  # a clipped field ends at its last whole word
        if value:
            parts.append(f"{label}: {value} [{number}].")
    return " ".join(parts)


def served_hits(incident: dict, hits: list, k: int = 3) -> tuple[list, int]:
    """The retrieved incidents with the right one among them, at a position chosen per
    incident and the distractors in retrieval order around it. Retrieval finds the right one
    first for most symptom questions (measured on ../shared/corpus: 160 of 193); left there,
    the model would learn to cite [1] rather than to read. Returns (hits, its 1-based [n])."""
    from pipeline.serve.retrieve import Hit

    found = [h for h in hits if h.incident.get("id") == incident.get("id")]
    right = found[0] if found else Hit(incident=incident, score=0.0, similarity=None, vector_rank=None, keyword_rank=None)
    others = [h for h in hits if h is not right][: k - 1]
    position = _pick(incident, len(others) + 1, "position")
    return others[:position] + [right] + others[position:], position + 1


def served_example(incident: dict, hits: list) -> dict | None:
    """One retrieval-augmented example: the answerer's prompt for the incident's symptom
    question over `hits` (what retrieval returned for it), answered from the right one."""
    from pipeline.serve.answer import build_prompt as served_prompt

    question = symptom_question(incident)
    if not question or not ((incident.get("root_cause") or "").strip() or (incident.get("fix") or "").strip()):
        return None
    hits, number = served_hits(incident, hits)
    return {
        "prompt": served_prompt(question, hits),
        "completion": grounded_answer(incident, number),
        "question": "served",
        "incident_id": incident.get("id"),
        "source": incident["source"],
        "source_id": incident["source_id"],
        "cited": number,
    }


def examples_for(incident: dict) -> list[dict]:
    """Prompt/completion examples for one incident; a question whose answer is empty is
    skipped rather than taught as an empty answer."""
    out = []
    for key in QUESTIONS:
        answer = answer_for(incident, key)
        if not answer:
            continue
        out.append(
            {
                "prompt": build_prompt(incident, key),
                "completion": answer,
                "question": key,
                "incident_id": incident.get("id"),
                "source": incident["source"],
                "source_id": incident["source_id"],
            }
        )
    return out


# -- split -----------------------------------------------------------------------------------


def split_of(source: str, source_id: str) -> str:
    """'train' or 'heldout', from a hash of the incident's identity: the same incident lands
    on the same side on every machine and every run."""
    digest = hashlib.sha256(f"{source}\x00{source_id}".encode("utf-8")).digest()
    return "heldout" if int.from_bytes(digest[:8], "big") % 100 < HELDOUT_SHARE else "train"


def assign_splits(db, incidents: list[dict]) -> dict[tuple[str, str], str]:
    """The stored split of each incident, storing split_of() for incidents seen for the
    first time. Once stored, an incident never changes sides (even if the rule changes), so
    evaluation never scores an incident some earlier model was trained on."""
    stored = db.splits()
    new = [
        {"source": i["source"], "source_id": i["source_id"], "split": split_of(i["source"], i["source_id"])}
        for i in incidents
        if (i["source"], i["source_id"]) not in stored
    ]
    if new:
        db.add_splits(new)
        stored.update({(r["source"], r["source_id"]): r["split"] for r in new})
    return {(i["source"], i["source_id"]): stored[(i["source"], i["source_id"])] for i in incidents}


def build_dataset(db, source: str | None = None, retriever=None) -> dict[str, list[dict]]:
    """{'train': [...], 'heldout': [...]} examples from the live incidents in `db`.

    With a `retriever` (pipeline.serve.retrieve.Retriever), each training incident also gets
    its served-task example. Its distractors come from the training side only: a held-out
    incident's cause and fix never appear in a training prompt."""
    incidents = db.incidents(source=source)
    splits = assign_splits(db, incidents)
    out: dict[str, list[dict]] = {"train": [], "heldout": []}
    heldout_ids = {i["id"] for i in incidents if splits[(i["source"], i["source_id"])] == "heldout"}
    for incident in incidents:
        side = splits[(incident["source"], incident["source_id"])]
        out[side].extend(examples_for(incident))
        if retriever is not None and side == "train":
            question = symptom_question(incident)
            if question:
                example = served_example(incident, retriever.search(question, k=3, exclude_ids=heldout_ids))
                if example:
                    out[side].append(example)
    return out


def heldout_incidents(db) -> list[dict]:
    """The live incidents on the held-out side: what evaluation scores."""
    incidents = db.incidents()
    splits = assign_splits(db, incidents)
    return [i for i in incidents if splits[(i["source"], i["source_id"])] == "heldout"]


def training_set(db, served_examples: bool = True) -> dict[str, list[dict]]:
    """What `postmortem train` trains on and `postmortem dataset` writes: `build_dataset`
    with the served-task examples retrieved as the answerer retrieves (the index is brought
    up to date with the database first), unless `served_examples` is False."""
    if not served_examples:
        return build_dataset(db)
    from pipeline.serve.retrieve import Retriever

    return build_dataset(db, retriever=Retriever(db))


def write_dataset(db, out_dir: str | Path, served_examples: bool = True) -> dict[str, int]:
    """Write the training set (`training_set`) as train.jsonl and heldout.jsonl under
    out_dir; return example counts."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = training_set(db, served_examples)
    for name, rows in data.items():
        with open(out_dir / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {name: len(rows) for name, rows in data.items()}


class DatasetError(ValueError):
    """A dataset folder that cannot be trained on; the message is one line."""


def read_dataset(out_dir: str | Path) -> dict[str, list[dict]]:
    """What `write_dataset` wrote to out_dir: {'train': [...], 'heldout': [...]}. A missing
    heldout.jsonl reads as none; a missing train.jsonl or a row without a prompt and a
    completion is a DatasetError naming the file and line."""
    out_dir = Path(out_dir)
    if not (out_dir / "train.jsonl").is_file():
        raise DatasetError(f"no train.jsonl in {out_dir}: write one with `postmortem dataset --out {out_dir}`")
    data: dict[str, list[dict]] = {"train": [], "heldout": []}
    for name in data:
        path = out_dir / f"{name}.jsonl"
        if not path.is_file():
            continue
        for n, row in jsonl_rows(path, DatasetError):
            if not isinstance(row, dict) or not isinstance(row.get("prompt"), str) or not isinstance(row.get("completion"), str):
                raise DatasetError(f"{path}:{n}: an example needs a 'prompt' and a 'completion' string")
            data[name].append(row)
    return data
