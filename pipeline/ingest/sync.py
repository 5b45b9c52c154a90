"""The ingest loop: a connector's documents -> decode -> scrub -> parse -> storage.

Each document is stored in its own transaction as soon as it is parsed, so a sync that dies
half way keeps what it stored, and the next one skips it by content hash."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from pipeline.ingest.decode import decode
from pipeline.ingest.extractors.base import Extractor, FetchError
from pipeline.ingest.parser import parse
from pipeline.ingest.record import IncidentRecord, content_hash
from pipeline.ingest.scrub import scrub
from pipeline.ingest.taxonomy import Taxonomy
from storage import Database


@dataclass
class SyncSummary:
    source: str
    sync_id: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    excluded: int = 0
    deleted: int = 0
    errors: int = 0
    reasons: Counter = field(default_factory=Counter)
    redactions: Counter = field(default_factory=Counter)
    error_details: list[tuple[str, str]] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return self.new + self.updated + self.unchanged

    def line(self) -> str:
        reasons = ", ".join(f"{r}: {n}" for r, n in self.reasons.most_common())
        text = f"Extracted {self.kept} post-mortems ({self.excluded} excluded" + (
            f": {reasons})" if reasons else ")"
        )
        text += f" from {self.source}: {self.new} new, {self.updated} updated, {self.unchanged} unchanged"
        if self.deleted:
            text += f", {self.deleted} deleted upstream"
        if self.errors:
            text += f", {self.errors} errors"
        if self.redactions:
            text += "; secrets redacted: " + ", ".join(
                f"{k} {v}" for k, v in sorted(self.redactions.items())
            )
        return text

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "sync_id": self.sync_id,
            "kept": self.kept,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "excluded": self.excluded,
            "deleted": self.deleted,
            "errors": self.errors,
            "reasons": dict(self.reasons),
            "redactions": dict(self.redactions),
            "error_details": self.error_details[:20],
        }


def ingest(
    db: Database,
    extractor: Extractor,
    *,
    taxonomy: Taxonomy | None = None,
    progress: bool = False,
    on_document: Callable[[int, int | None], None] | None = None,
) -> SyncSummary:
    taxonomy = taxonomy or Taxonomy.default()
    source = extractor.source
    summary = SyncSummary(source=source)
    summary.sync_id = sync_id = db.start_sync(source)
    try:
        if hasattr(extractor, "since"):
            # Connectors whose upstream versions are coarse (Notion's minute-truncated
            # last_edited_time) re-read what was edited around the last successful sync.
            last = db.last_sync(source)
            extractor.since = last["started_at"] if last else None
        listing = extractor.listing(db.known_versions(source))
        docs = listing.documents
        if progress:
            from tqdm import tqdm

            # disable=False: ours, not a library's (pipeline.logs turns those off through TQDM_DISABLE)
            docs = tqdm(docs, total=listing.total, desc=f"extract {source}", unit="doc", disable=False)
        seen: set[str] = set()
        for i, doc in enumerate(docs, 1):
            seen.add(doc.source_id)
            if isinstance(doc, FetchError):
                summary.errors += 1
                summary.error_details.append((doc.source_id, doc.error))
                db.add_sync_error(sync_id, doc.source_id, doc.error)
            else:
                _store_one(db, source, doc, taxonomy, summary)
            if on_document:
                on_document(i, listing.total)
        if listing.present is not None:
            _count_skipped(db, source, listing.present - seen, summary)
            summary.deleted += db.mark_missing_deleted(source, listing.present)
        if listing.deleted:
            summary.deleted += db.mark_deleted(source, listing.deleted)
    except BaseException as exc:
        db.finish_sync(sync_id, "failed", _counts(summary), error=f"{type(exc).__name__}: {exc}")
        raise
    db.finish_sync(sync_id, "succeeded", _counts(summary))
    return summary


def _store_one(db: Database, source: str, doc, taxonomy: Taxonomy, summary: SyncSummary) -> None:
    digest = content_hash(doc.body)
    stored = db.stored_version(source, doc.source_id)
    if stored and stored["content_hash"] == digest:
        if stored["table"] == "incidents":
            summary.unchanged += 1
        else:
            summary.excluded += 1
            summary.reasons[db_reason(db, source, doc.source_id)] += 1
        return

    text, reason, detail = decode(doc.body)
    if text is not None:
        text, found = scrub(text)
        summary.redactions.update(found)
        meta = {k: scrub(v)[0] if isinstance(v, str) else v for k, v in doc.meta.items()}
        parsed = parse(text, source_id=doc.source_id, meta=meta)
        reason, detail = parsed.reason, parsed.detail
    if reason:
        summary.excluded += 1
        summary.reasons[reason] += 1
        db.record_excluded(
            {
                "source": source,
                "source_id": doc.source_id,
                "url": doc.url,
                "reason": reason,
                "detail": detail,
                "content_hash": digest,
                "version": doc.version,
            }
        )
        return
    fields = parsed.fields
    record = IncidentRecord(
        source=source,
        source_id=doc.source_id,
        url=doc.url,
        incident_title=fields["incident_title"],
        date=fields["date"],
        services_affected=fields["services_affected"],
        timeline=fields["timeline"],
        root_cause=fields["root_cause"],
        fix=fields["fix"],
        action_items=fields["action_items"],
        root_cause_category=taxonomy.classify_incident(
            fields["incident_title"], fields["root_cause"], fields["fix"], hint=fields.get("category_hint")
        ),
        content_hash=digest,
    )
    record.apply_label(db.label_for(source, doc.source_id))
    outcome = db.upsert_incident({**record.to_dict(), "version": doc.version})
    setattr(summary, outcome, getattr(summary, outcome) + 1)


def _count_skipped(db: Database, source: str, skipped: set[str], summary: SyncSummary) -> None:
    """Documents the connector didn't fetch because their upstream version is unchanged
    still count in the summary, as unchanged incidents or as the exclusions they were."""
    for source_id in skipped:
        stored = db.stored_version(source, source_id)
        if stored is None:
            continue
        if stored["table"] == "incidents":
            summary.unchanged += 1
        else:
            summary.excluded += 1
            summary.reasons[db_reason(db, source, source_id)] += 1


def db_reason(db: Database, source: str, source_id: str) -> str:
    rows = db.db["excluded"].rows_where("source = ? and source_id = ?", [source, source_id], select="reason")
    return next(iter(rows), {"reason": "unknown"})["reason"]


def _counts(s: SyncSummary) -> dict:
    return {
        "seen": s.kept + s.excluded + s.errors,
        "new": s.new,
        "updated": s.updated,
        "unchanged": s.unchanged,
        "excluded": s.excluded,
        "deleted": s.deleted,
        "errors": s.errors,
        "redactions": dict(s.redactions),
    }


__all__ = ["ingest", "SyncSummary"]
