"""Q&A examples from stored incidents: the canonical triage questions, the one prompt format
that training, evaluation and answering all share, and the stored train/held-out split.

Every module that builds a prompt imports it from here, so that a model is always asked
questions in exactly the shape it was trained on."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

# The three questions an on-call engineer asks first. Keys are stable identifiers (stored in
# JSONL and eval results); the text is what the model sees.
QUESTIONS = {
    "services": "Which services were affected?",
    "root_cause": "What was the root cause?",
    "fix": "How was it fixed?",
}

PROMPT_TEMPLATE = (
    "### Incident Context:\n{title}\n{timeline}\n\n### Question:\n{question}\n\n### Answer:\n"
)

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


def timeline_summary(text: str, budget: int = TIMELINE_BUDGET) -> str:
    """Condense a timeline to at most `budget` estimated tokens, deterministically.

    The first and last events (how it started, how it ended) are always kept; the rest are
    chosen by how much of the incident's story they carry, then put back in time order.
    A repeated date is dropped from timestamps, since digits cost a token each."""
    events = _events(text or "")
    if not events:
        return ""
    events = [_clip(e, EVENT_BUDGET) for e in _compact_dates(events)]
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
        return _clip(events[0], budget)
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


def _clip(text: str, budget: int) -> str:
    if estimate_tokens(text) <= budget:
        return text
    words, kept = text.split(" "), []
    for w in words:
        if estimate_tokens(" ".join(kept + [w]) + " …") > budget:
            break
        kept.append(w)
    return " ".join(kept) + " …"


# -- prompts and answers ---------------------------------------------------------------------


def build_prompt(incident: dict, question_key: str) -> str:
    """The prompt for one incident and question, up to and including `### Answer:\\n`."""
    return PROMPT_TEMPLATE.format(
        title=(incident.get("incident_title") or "").strip(),
        timeline=timeline_summary(incident.get("timeline") or ""),
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


def category_of(answer: str) -> str | None:
    """The `[category]` a root-cause answer starts with, or None."""
    m = re.match(r"\s*\[([\w-]+)\]", answer)
    return m.group(1).lower() if m else None


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


def build_dataset(db, source: str | None = None) -> dict[str, list[dict]]:
    """{'train': [...], 'heldout': [...]} examples from the live incidents in `db`."""
    incidents = db.incidents(source=source)
    splits = assign_splits(db, incidents)
    out: dict[str, list[dict]] = {"train": [], "heldout": []}
    for incident in incidents:
        out[splits[(incident["source"], incident["source_id"])]].extend(examples_for(incident))
    return out


def heldout_incidents(db) -> list[dict]:
    """The live incidents on the held-out side: what evaluation scores."""
    incidents = db.incidents()
    splits = assign_splits(db, incidents)
    return [i for i in incidents if splits[(i["source"], i["source_id"])] == "heldout"]


def write_dataset(db, out_dir: str | Path) -> dict[str, int]:
    """Write train.jsonl and heldout.jsonl under out_dir; return example counts."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = build_dataset(db)
    for name, rows in data.items():
        with open(out_dir / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {name: len(rows) for name, rows in data.items()}
