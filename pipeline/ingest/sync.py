"""The ingest loop: a connector's documents -> formats (decode, convert) -> scrub -> parse -> storage.

Each document is stored in its own transaction as soon as it is parsed, so a sync that dies
half way keeps what it stored, and the next one skips it by content hash.

`sync()` is the one way in for the CLI, the job runner and training: build the connector,
ingest, and turn any failure into a SyncError whose message is the one line to show. Before
deleting, a sync checks the share it would delete (the mass-delete guard): a source that
suddenly lists nothing (an account that lost access, a wrong --path) is refused, not wiped."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from pipeline.ingest.decode import clean_text
from pipeline.ingest.extractors.base import Extractor, ExtractorConfigError, FetchError
from pipeline.ingest import structure_model
from pipeline.ingest.isolate import PARSE_BUDGET_S, OverBudget, Reader
from pipeline.ingest.record import IncidentRecord, content_hash
from pipeline.ingest.scrub import scrub
from pipeline.ingest.taxonomy import Taxonomy
from storage import Database

DEFAULT_MAX_DELETE_SHARE = 0.2


class SyncError(Exception):
    """A sync that failed or was refused; str() is the one line to show. Nothing stored
    before it was lost."""


class SourceConfigError(SyncError):
    """The source can't be built from these options or this environment (a usage error)."""


class MassDeleteRefused(SyncError):
    """The sync would delete too large a share of a source's live incidents."""


@dataclass
class SyncSummary:
    source: str  # the source's identity (what it reads)
    label: str = ""  # what it is called (a configured name, a folder's base name)
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
    skipped: list[tuple[str, str]] = field(default_factory=list)  # candidates not read: (id, reason)

    @property
    def kept(self) -> int:
        return self.new + self.updated + self.unchanged

    def line(self) -> str:
        reasons = ", ".join(f"{r}: {n}" for r, n in self.reasons.most_common())
        text = f"Extracted {self.kept} post-mortems ({self.excluded} excluded" + (
            f": {reasons})" if reasons else ")"
        )
        text += f" from {self.label or self.source}: {self.new} new, {self.updated} updated, {self.unchanged} unchanged"
        if self.deleted:
            text += f", {self.deleted} deleted upstream"
        if self.errors:
            text += f", {self.errors} errors (" + ", ".join(
                f"{sid}: {error}" for sid, error in self.error_details[:5]
            ) + (", ..." if self.errors > 5 else "") + ")"
        if self.skipped:
            text += f"; {len(self.skipped)} candidates skipped (" + ", ".join(
                f"{sid}: {reason}" for sid, reason in self.skipped[:5]
            ) + (", ..." if len(self.skipped) > 5 else "") + ")"
        if self.redactions:
            text += "; secrets redacted: " + ", ".join(
                f"{k} {v}" for k, v in sorted(self.redactions.items())
            )
        return text

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "label": self.label or self.source,
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
            "skipped": len(self.skipped),
            "skipped_details": self.skipped[:20],
        }


def sync(
    db: Database,
    kind: str,
    options: dict,
    *,
    taxonomy: Taxonomy | None = None,
    progress: bool = False,
    on_document: Callable[[int, int | None], None] | None = None,
    allow_mass_delete: bool = False,
) -> SyncSummary:
    """Sync one source (`kind`: a registered connector; `options`: its config keys). Raises
    SourceConfigError when the source can't be built, SyncError for a known failure of the
    source, MassDeleteRefused for the guard; anything else is a bug and propagates."""
    from pipeline.ingest.extractors import registry

    share = options.get("max_delete_share", DEFAULT_MAX_DELETE_SHARE)
    try:
        extractor = registry.build_extractor(kind, **options)
    except ExtractorConfigError as exc:
        raise SourceConfigError(_scrubbed(str(exc))) from None
    for old in getattr(extractor, "legacy_sources", ()):
        # Stored under an identity an earlier version gave this source: take it over,
        # rather than store every document again and report the old ones deleted.
        if old != extractor.source and db.has_source(old):
            db.adopt_source(old, extractor.source)
    try:
        return ingest(
            db,
            extractor,
            taxonomy=taxonomy,
            progress=progress,
            on_document=on_document,
            max_delete_share=None if allow_mass_delete else share,
        )
    except SyncError:
        raise
    except Exception as exc:
        message = registry.describe_error(exc)
        if message is None:
            raise
        raise SyncError(_scrubbed(message)) from exc


def _scrubbed(text: str) -> str:
    """`text` without any connector secret's value, and with credentials redacted."""
    from pipeline.ingest.extractors import registry

    for value in registry.secret_values():
        text = text.replace(value, "[REDACTED]").replace(repr(value)[1:-1], "[REDACTED]")
    return scrub(text)[0]


def ingest(
    db: Database,
    extractor: Extractor,
    *,
    taxonomy: Taxonomy | None = None,
    progress: bool = False,
    on_document: Callable[[int, int | None], None] | None = None,
    max_delete_share: float | None = DEFAULT_MAX_DELETE_SHARE,
    parse_budget_s: float = PARSE_BUDGET_S,
) -> SyncSummary:
    """Ingest one connector's listing. `max_delete_share`: refuse (MassDeleteRefused, before
    deleting anything) a sync that would delete more than this share of the source's live
    incidents, or all of them; None allows any deletion. `parse_budget_s`: the time one large
    document may take to read before it is excluded as `too-slow`."""
    taxonomy = taxonomy or Taxonomy.default()
    source = extractor.source
    summary = SyncSummary(source=source, label=getattr(extractor, "label", source))
    summary.sync_id = sync_id = db.begin_sync(source)  # SyncBusy while another one runs
    restore_sigterm = _sigterm_interrupts()
    reader = Reader(parse_budget_s)
    structurer = structure_model.from_settings(taxonomy)
    try:
        if hasattr(extractor, "since"):
            # Connectors whose upstream versions are coarse (Notion's minute-truncated
            # last_edited_time) re-read what was edited around the last successful sync.
            last = db.last_sync(source)
            extractor.since = last["started_at"] if last else None
        listing = extractor.listing(db.known_versions(source))
        summary.skipped = list(listing.skipped)
        docs = listing.documents
        if progress:
            from tqdm import tqdm

            # disable=False: ours, not a library's (pipeline.logs turns those off through TQDM_DISABLE)
            docs = tqdm(docs, total=listing.total, desc=f"extract {summary.label}", unit="doc", disable=False)
        seen: set[str] = set()
        for i, doc in enumerate(docs, 1):
            seen.add(doc.source_id)
            if isinstance(doc, FetchError):
                summary.errors += 1
                summary.error_details.append((doc.source_id, doc.error))
                db.add_sync_error(sync_id, doc.source_id, doc.error)
            else:
                _store_one(db, source, doc, taxonomy, summary, reader, structurer)
            if on_document:
                on_document(i, listing.total)
        inventory = db.inventory(source)
        if listing.present is not None:
            _count_unfetched(inventory, listing.present - seen, summary)
        _guard(source, inventory, listing, max_delete_share)
        if listing.present is not None:
            summary.deleted += db.mark_missing_deleted(source, listing.present)
        if listing.deleted:
            summary.deleted += db.mark_deleted(source, listing.deleted)
    except KeyboardInterrupt as exc:
        db.finish_sync(sync_id, "interrupted", _counts(summary), error=f"interrupted: {exc or 'Ctrl-C'}")
        raise
    except BaseException as exc:
        error = str(exc) if isinstance(exc, SyncError) else f"{type(exc).__name__}: {exc}"
        db.finish_sync(sync_id, "failed", _counts(summary), error=_scrubbed(error))
        raise
    finally:
        restore_sigterm()
        reader.close()
    db.finish_sync(sync_id, "succeeded", _counts(summary))
    return summary


def _guard(source: str, inventory: dict, listing, max_share: float | None) -> None:
    """Refuse, before deleting anything, a sync that would delete more than `max_share` of
    the source's live incidents, or all of them."""
    if max_share is None:
        return
    live = {sid for sid, reason in inventory.items() if reason is None}
    gone = {sid for sid in live if listing.present is not None and sid not in listing.present}
    gone |= live & listing.deleted
    if gone and (len(gone) == len(live) or len(gone) > max_share * len(live)):
        raise MassDeleteRefused(
            f"{source}: this sync would delete {len(gone)} of {len(live)} live incidents "
            f"(more than {max_share:.0%}{' - all of them' if len(gone) == len(live) else ''}); "
            "nothing was deleted. If the source really lost them, sync again with "
            "--allow-mass-delete"
        )


def _store_one(
    db: Database, source: str, doc, taxonomy: Taxonomy, summary: SyncSummary, reader: Reader, structurer=None
) -> None:
    if doc.problem:
        _store_problem(db, source, doc, summary)
        return
    digest = content_hash(doc.body)
    stored = db.stored_version(source, doc.source_id)
    if stored and stored["content_hash"] == digest:
        if stored["table"] == "incidents":
            summary.unchanged += 1
        else:
            summary.excluded += 1
            summary.reasons[db.excluded_reason(source, doc.source_id)] += 1
        return

    try:
        record, reason, detail = _read_one(source, doc, taxonomy, summary, digest, reader, structurer)
    except OverBudget as exc:
        record, reason, detail = None, exc.reason, str(exc)
    except Exception as exc:  # noqa: BLE001 - one document's failure must never stop a sync
        record, reason, detail = None, "parse-error", f"{type(exc).__name__}: {exc}"[:300]
    if record is None:
        _exclude(db, source, doc, summary, reason, detail, digest)
        return
    record.apply_label(db.label_for(source, doc.source_id))
    outcome = db.upsert_incident({**record.to_dict(), "version": doc.version})
    setattr(summary, outcome, getattr(summary, outcome) + 1)


def _read_one(source: str, doc, taxonomy: Taxonomy, summary: SyncSummary, digest: str, reader: Reader, structurer=None):
    """convert -> scrub -> parse (-> a configured model's values) -> record. Returns (record,
    None, None) or (None, reason, detail)."""
    found, parsed = reader.read(doc.body, doc.source_id, clean_text(doc.meta))
    summary.redactions.update(found)
    if structurer is not None:
        parsed = structurer.improve(doc.body, doc.source_id, parsed)
    if parsed.reason:
        return None, parsed.reason, parsed.detail
    fields = parsed.fields
    provenance = {k: v for k, v in parsed.provenance.items() if k != "category_hint"}
    category, origin = taxonomy.decide(fields["incident_title"], fields["root_cause"], fields["fix"], hint=fields.get("category_hint"))
    # The category is the document's own when one of its hints names a taxonomy category.
    provenance["root_cause_category"] = parsed.provenance.get("category_hint", "") if origin == "hint" else origin
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
        root_cause_category=category,
        content_hash=digest,
        provenance=provenance,
    )
    return record, None, None


def _store_problem(db: Database, source: str, doc, summary: SyncSummary) -> None:
    """A document the connector could not read (too large, unreadable)."""
    reason, detail = doc.problem
    stored = db.stored_version(source, doc.source_id)
    if reason == "unreadable" and stored and stored["table"] == "incidents":
        # A file that was readable before (a permission flip, a file being replaced) keeps its
        # incident: a transient fault must not delete what is stored.
        summary.errors += 1
        summary.error_details.append((doc.source_id, detail))
        db.add_sync_error(summary.sync_id, doc.source_id, f"{reason}: {detail}")
        return
    # No content hash: the next sync reads it again, in case it was fixed.
    _exclude(db, source, doc, summary, reason, detail, "")


def _exclude(db: Database, source: str, doc, summary: SyncSummary, reason: str, detail: str | None, digest: str) -> None:
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


def _count_unfetched(inventory: dict, unfetched: set[str], summary: SyncSummary) -> None:
    """Documents the connector didn't fetch because their upstream version is unchanged
    still count in the summary, as unchanged incidents or as the exclusions they were."""
    for source_id in unfetched & inventory.keys():
        reason = inventory[source_id]
        if reason is None:
            summary.unchanged += 1
        else:
            summary.excluded += 1
            summary.reasons[reason] += 1


def _sigterm_interrupts() -> Callable[[], None]:
    """Make SIGTERM (a `kill`, a container stop) raise KeyboardInterrupt like Ctrl-C, so the
    sync is closed as interrupted rather than left `running`; returns what puts the previous
    handler back. Signals reach only the main thread: elsewhere nothing changes (begin_sync
    and reap_syncs close a sync whose process is gone)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    previous = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


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


__all__ = ["sync", "ingest", "SyncSummary", "SyncError", "SourceConfigError", "MassDeleteRefused"]
