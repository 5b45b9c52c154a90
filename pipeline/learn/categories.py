"""Human corrections teach the category classifier.

A person's category for an incident (`postmortem label --category`, the Slack correction
button) wins for that incident outright (storage applies it). This module carries it further:
an incident whose category came from the keyword rules takes the corrected category of a past
incident whose cause reads the same, a recurrence. A correction exists because the rules were
wrong on that write-up, so they are likely wrong on its recurrence too.

Why only recurrences and not a general nearest-neighbour vote: measured on ../shared/corpus
(labelled incidents of the same organization as the neighbours, embedded title + opening of the
cause), a neighbour's category is right 37-44% of the time below a cosine similarity of 0.75,
against 60-80% for the rules on the same incidents; at 0.8 and above it fires on 1-5% of
incidents and, over corrections only, nets +0.01 right per new incident. Where it fires the
stored provenance names the corrected incident and the similarity, so a person can see why."""

from __future__ import annotations

from pipeline.ingest.taxonomy import OPENING_CHARS, Taxonomy, opening

# Cosine similarity of the cause texts above which two incidents are the same failure again.
RECURRENCE_SIMILARITY = 0.8
# Categories set from the rules, the category model or by this module: the ones it may (re)decide.
DECIDED_HERE = ("keywords", "category model", "classifier")


def cause_text(row: dict) -> str:
    """What decides the category, as the rules read it: the title and the cause's opening."""
    return f"{row.get('incident_title') or ''}. {opening(row.get('root_cause'))[:OPENING_CHARS]}"


def learn_from_corrections(db, taxonomy: Taxonomy | None = None, embedder=None) -> int:
    """Re-decide the rule-made categories with the human ones; returns how many changed.
    Loads no model while nobody has corrected a category."""
    taxonomy = taxonomy or Taxonomy.default()
    rows = db.incidents()
    corrected = [
        r for r in rows
        if (r.get("provenance") or {}).get("root_cause_category") == "human" and r.get("root_cause_category") in taxonomy.names
    ]
    # With no correction to carry, the rules' categories stand as ingest made them: only what an
    # earlier correction decided is decided again as at ingest (no re-classifying every row per sync).
    decided_here = DECIDED_HERE if corrected else ("classifier",)
    open_rows = [r for r in rows if (r.get("provenance") or {}).get("root_cause_category", "").startswith(decided_here)]
    if not open_rows:
        return 0
    nearest: list[tuple[float, dict | None]] = [(0.0, None)] * len(open_rows)
    if corrected:
        from pipeline.serve.embed import get_embedder

        embedder = embedder or get_embedder()
        sims = embedder.encode([cause_text(r) for r in open_rows]) @ embedder.encode([cause_text(r) for r in corrected]).T
        nearest = [(float(s.max()), corrected[int(s.argmax())]) for s in sims]
    changes = []
    for row, (similarity, like) in zip(open_rows, nearest):
        if like is not None and similarity >= RECURRENCE_SIMILARITY:
            category = like["root_cause_category"]
            origin = f"classifier: recurrence of {like['source_id']} (human label, similarity {similarity:.2f})"
        else:
            # No recurrence (any more): decided as at ingest.
            category, origin = taxonomy.decide(row["incident_title"], row["root_cause"], row["fix"])
        if (category, origin) != (row["root_cause_category"], row["provenance"].get("root_cause_category")):
            changes.append((row["id"], row["root_cause_category"], category, origin))
    return db.set_categories(changes)
