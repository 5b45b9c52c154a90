"""The Notion connector with the real notion-client against the fake Notion API on loopback:
round trip of the sample corpus, incremental sync, deletions, faults, the CLI."""

import time

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.ingest.extractors.base import FetchError, RawDocument
from pipeline.ingest.extractors.local import LocalFolder
from pipeline.ingest.extractors.notion import NotionDatabase
from pipeline.ingest.extractors.retry import SourceUnavailable
from pipeline.ingest.sync import ingest
from tests.fakes.notion import FakeNotion, notion_time
from tests.fakes.samples import SAMPLES

FIELDS = ("date", "services_affected", "timeline", "root_cause", "fix", "action_items", "root_cause_category")


def notion(fake, policy, **kw):
    return NotionDatabase(fake.token, fake.database_id, base_url=fake.url, policy=policy, timeout=0.5, **kw)


def records(db, prefix):
    return {r["incident_title"]: {f: r[f] for f in FIELDS} for r in db.incidents() if r["source"].startswith(prefix)}


def live_ids(db, source):
    return {r["source_id"] for r in db.incidents(source=source)}


def test_pages_become_the_same_records_as_the_markdown_files(db, corpus, fast):
    """Sample markdown -> Notion blocks (fake) -> markdown (connector) -> parser gives what
    the files give: rendering loses nothing the parser uses."""
    for org in sorted({p.path.split("/")[0] for p in corpus}):
        ingest(db, LocalFolder(SAMPLES / org))
    with FakeNotion(corpus) as fake:
        summary = ingest(db, notion(fake, fast))
    files = records(db, "dir:")
    assert summary.errors == 0
    assert summary.new == len(files) > 30
    assert records(db, "notion:") == files


def test_page_properties_fill_meta_and_url(fake_notion, fast):
    listing = notion(fake_notion, fast).listing({})
    docs = list(listing.documents)
    assert all(isinstance(d, RawDocument) for d in docs)
    page = next(p for p in fake_notion.pages.values() if p.props.get("services") and p.props.get("category"))
    doc = next(d for d in docs if d.source_id == page.id)
    assert doc.meta["title"] == page.title
    assert doc.meta["services"] == page.props["services"]
    assert doc.meta["category"] == page.props["category"]
    assert doc.meta["date"] == page.props["date"]
    assert doc.url.startswith("https://www.notion.so/") and doc.url.endswith(page.id.replace("-", ""))
    assert doc.version == page.last_edited_time
    assert doc.body.startswith(f"# {page.title}\n")


def test_unchanged_resync_reads_no_page_content(db, fake_notion, fast):
    first = ingest(db, notion(fake_notion, fast))
    assert first.errors == 0 and first.new + first.excluded == len(fake_notion.pages)
    assert set(fake_notion.reads) == set(fake_notion.pages)
    fake_notion.reads.clear()
    fake_notion.reset_log()
    again = ingest(db, notion(fake_notion, fast))
    assert (again.new, again.updated, again.deleted, again.errors) == (0, 0, 0, 0)
    assert not fake_notion.reads
    # database + data source schema + the paginated query (page_size 4): nothing else.
    queries = -(-len(fake_notion.pages) // fake_notion.page_size)
    assert fake_notion.count() == 2 + queries
    assert fake_notion.count("/blocks/") == 0


def test_second_sync_reads_only_changes_and_applies_deletions(db, fake_notion, corpus, some_pages, fast):
    source = notion(fake_notion, fast).source
    ingest(db, notion(fake_notion, fast))
    before = live_ids(db, source)
    edited, trashed, untagged, gone = sorted(before)[:4]
    old_hash = next(r for r in db.incidents(source=source) if r["source_id"] == edited)["content_hash"]
    fake_notion.edit_page(edited)
    fake_notion.trash_page(trashed)
    fake_notion.untag_page(untagged)
    fake_notion.delete_page(gone)
    newcomer = next(p for p in corpus if p not in some_pages and "Template" not in p.path)
    added = fake_notion.add_page(newcomer, edited=notion_time())
    fake_notion.reads.clear()

    second = ingest(db, notion(fake_notion, fast), max_delete_share=None)  # 3 of ~11: past the guard
    assert set(fake_notion.reads) == {edited, added}  # only what changed was read
    assert (second.new, second.updated, second.deleted, second.errors) == (1, 1, 3, 0)
    assert live_ids(db, source) == (before - {trashed, untagged, gone}) | {added}
    rows = db.incidents(include_deleted=True, source=source)
    assert len(rows) == len({r["source_id"] for r in rows})  # nothing duplicated
    assert next(r for r in rows if r["source_id"] == edited)["content_hash"] != old_hash
    assert {r["source_id"] for r in rows if r["deleted"]} == {trashed, untagged, gone}


def test_edit_in_the_same_minute_as_the_last_read_is_not_missed(db, fake_notion, fast):
    """Notion's last_edited_time has minute precision: an edit made in the minute the page
    was read leaves the version unchanged. Pages edited around the last sync are re-read."""
    pid = next(iter(fake_notion.pages))
    fake_notion.set_edited(pid, notion_time())
    ingest(db, notion(fake_notion, fast))
    fake_notion.edit_page(pid, keep_time=True)
    fake_notion.reads.clear()
    second = ingest(db, notion(fake_notion, fast))
    assert set(fake_notion.reads) == {pid}
    assert second.updated == 1


def test_rate_limit_waits_for_retry_after(db, fake_notion, fast):
    fake_notion.fault("429", "/blocks/", retry_after=1)
    fake_notion.fault("429", "/query", retry_after=1)
    started = time.monotonic()
    summary = ingest(db, notion(fake_notion, fast))
    assert time.monotonic() - started >= 2.0  # both waits honoured
    assert summary.errors == 0 and summary.new + summary.excluded == len(fake_notion.pages)
    assert all(f.times == 0 for f in fake_notion.faults)


def test_server_errors_and_slow_responses_are_retried(db, fake_notion, fast):
    fake_notion.fault("500", "/blocks/", times=2)
    fake_notion.fault("503", "/databases/")
    fake_notion.fault("slow", "/blocks/", delay=1.5, after=3)  # beyond the 0.5 s client timeout
    summary = ingest(db, notion(fake_notion, fast))
    assert summary.errors == 0 and summary.new + summary.excluded == len(fake_notion.pages)
    assert all(f.times == 0 for f in fake_notion.faults)


def test_retries_are_bounded_and_one_bad_page_does_not_stop_the_sync(db, fake_notion, fast):
    bad = sorted(fake_notion.pages)[2]
    fake_notion.fault("500", f"/blocks/{bad}/", times=None)
    summary = ingest(db, notion(fake_notion, fast))
    assert fake_notion.count(f"/blocks/{bad}/") == fast.attempts
    assert summary.errors == 1 and summary.error_details[0][0] == bad
    assert summary.new + summary.excluded == len(fake_notion.pages) - 1
    assert db.last_sync(summary.source)["errors"] == 1


def test_malformed_json_page_is_an_error_and_the_next_sync_takes_it(db, fake_notion, fast):
    bad = sorted(fake_notion.pages)[1]
    fake_notion.fault("malformed", f"/blocks/{bad}/", times=None)
    first = ingest(db, notion(fake_notion, fast))
    # A truncated body is retried like any transient failure, then reported for that page.
    assert first.errors == 1 and "not valid JSON" in first.error_details[0][1]
    assert fake_notion.count(f"/blocks/{bad}/") == fast.attempts and bad in first.line()
    fake_notion.clear_faults()
    fake_notion.reads.clear()
    second = ingest(db, notion(fake_notion, fast))
    assert set(fake_notion.reads) == {bad}
    # Unchanged pages are not read again but still count in the summary.
    assert second.new + second.unchanged + second.excluded == len(fake_notion.pages)


def test_sync_that_dies_half_way_keeps_what_it_stored_and_the_next_completes_it(db, fake_notion, fast):
    source = notion(fake_notion, fast).source
    # The service goes down after a few page reads, and stays down.
    fake_notion.fault("500", "/blocks/", times=None, after=25)
    with pytest.raises(SourceUnavailable):
        ingest(db, notion(fake_notion, fast))
    failed = db.last_sync(source, status="failed")
    kept = live_ids(db, source) | {e["source_id"] for e in db.excluded(source)}
    assert failed and 0 < len(kept) < len(fake_notion.pages)

    fake_notion.clear_faults()
    fake_notion.reads.clear()
    second = ingest(db, notion(fake_notion, fast))
    assert set(fake_notion.reads) == set(fake_notion.pages) - kept  # stored pages not read again
    assert second.new + second.unchanged + second.excluded == len(fake_notion.pages)
    rows = db.incidents(include_deleted=True, source=source)
    assert len(rows) == len({r["source_id"] for r in rows}) == second.new + len(live_ids(db, source) & kept)


def test_page_deleted_between_listing_and_read_counts_as_deleted(fake_notion, fast):
    listing = notion(fake_notion, fast).listing({})
    gone = sorted(fake_notion.pages)[0]
    fake_notion.delete_page(gone)
    docs = list(listing.documents)
    assert gone not in {d.source_id for d in docs}
    assert not any(isinstance(d, FetchError) for d in docs)
    assert gone in listing.deleted and gone not in listing.present


def test_select_tag_property_filters_pages(some_pages, fast):
    with FakeNotion(some_pages[:5], tag_kind="select") as fake:
        other = fake.add_page(some_pages[5], tags=("runbook",))
        listing = notion(fake, fast).listing({})
        ids = {d.source_id for d in listing.documents}
    assert len(ids) == 5 and other not in ids and other not in listing.present


def test_unknown_tag_is_a_clear_error_not_an_empty_listing(db, fake_notion, fast):
    """Listing nothing would mark every stored page deleted: refuse instead."""
    ingest(db, notion(fake_notion, fast))
    extractor = notion(fake_notion, fast, tag="post-mortem")
    with pytest.raises(Exception, match="no select or multi-select property"):
        ingest(db, extractor)
    assert len(db.incidents(source=extractor.source)) > 0


def test_cli_extract_notion(db, fake_notion, tmp_path):
    runner = CliRunner()
    out = runner.invoke(main, ["extract", "--source", "notion", "--database", fake_notion.database_id, "--db", str(db.path), "--quiet"])
    assert out.exit_code == 0, out.output
    assert f"from notion:{fake_notion.database_id}" in out.output and "new" in out.output


def test_cli_bad_token_is_one_clear_line_without_the_token(db, fake_notion, monkeypatch):
    monkeypatch.setenv("NOTION_TOKEN", "secret_wrong_token_value")
    out = CliRunner().invoke(main, ["extract", "--source", "notion", "--database", fake_notion.database_id, "--db", str(db.path), "--quiet"])
    assert out.exit_code == 1
    assert "Notion rejected $NOTION_TOKEN" in out.output
    assert "secret_wrong_token_value" not in out.output and "Traceback" not in out.output


def test_cli_needs_a_database_and_a_token(db, monkeypatch):
    monkeypatch.delenv("NOTION_TOKEN", raising=False)
    out = CliRunner().invoke(main, ["extract", "--source", "notion", "--database", "abc", "--db", str(db.path)])
    assert out.exit_code == 2 and "NOTION_TOKEN" in out.output
    out = CliRunner().invoke(main, ["extract", "--source", "notion", "--db", str(db.path)])
    assert out.exit_code == 2 and "--database" in out.output


def test_toggle_keeps_every_child_and_callout_icon_is_not_part_of_the_label(db, fast):
    """A "Root cause" toggle holding two paragraphs and a list gives all three; a callout
    with a 🔥 icon whose text starts "Resolution:" is read as the resolution label."""
    from tests.fakes.notion import rich_text_plain

    def blk(kind, text="", children=(), **data):
        return {"type": kind, kind: {"rich_text": rich_text_plain(text) if text else [], "color": "default", **data},
                "children": list(children)}

    blocks = [
        blk("heading_2", "Summary", is_toggleable=False),
        blk("paragraph", "Uploads failed for 20 minutes."),
        blk("toggle", "Root cause", children=[
            blk("paragraph", "The upload-api disk filled with temporary chunks."),
            blk("paragraph", "A cleanup cron had been disabled during the March migration."),
            blk("bulleted_list_item", "Nobody re-enabled it afterwards."),
        ]),
        blk("callout", "Resolution: we deleted the stale chunks and re-enabled the cleanup cron.",
            icon={"type": "emoji", "emoji": "🔥"}),
    ]
    with FakeNotion() as fake:
        fake.add_block_page("Upload failures", blocks, {"date": "2025-03-30"})
        summary = ingest(db, notion(fake, fast))
    assert summary.new == 1, summary.line()
    row = db.incidents()[0]
    assert "temporary chunks" in row["root_cause"] and "disabled during the March migration" in row["root_cause"]
    assert "Nobody re-enabled it" in row["root_cause"]
    assert row["fix"].startswith("we deleted the stale chunks")
    assert row["provenance"]["root_cause"] == "label: Root cause"
    assert row["provenance"]["fix"] == "label: Resolution"
