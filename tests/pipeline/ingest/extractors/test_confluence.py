"""The Confluence connector with the real atlassian-python-api against the fake Confluence on
loopback, in both flavours (Cloud: v1 search + v2 pages; Server/DC: v1 search + v1 content)."""

import time

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.ingest.extractors.base import FetchError
from pipeline.ingest.extractors.confluence import ConfluencePages, build_cql
from pipeline.ingest.extractors.local import LocalFolder
from pipeline.ingest.extractors.retry import SourceUnavailable
from pipeline.ingest.sync import ingest
from tests.fakes.confluence import FakeConfluence
from tests.fakes.samples import SAMPLES

FIELDS = ("date", "services_affected", "timeline", "root_cause", "fix", "action_items", "root_cause_category")


def confluence(fake, policy, cloud=True, **kw):
    kw.setdefault("space", fake.space)
    return ConfluencePages(fake.url, user=fake.user, token=fake.token, cloud=cloud, policy=policy, timeout=1, **kw)


def live_ids(db, source):
    return {r["source_id"] for r in db.incidents(source=source)}


def page_reads(fake, cloud):
    return fake.count("/api/v2/pages/" if cloud else "/rest/api/content/")


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "server"])
def test_pages_become_the_same_records_as_the_markdown_files(db, corpus, fast, cloud):
    """Sample markdown -> storage XHTML with macros (fake) -> markdown (connector) -> parser
    gives what the files give."""
    for org in sorted({p.path.split("/")[0] for p in corpus}):
        ingest(db, LocalFolder(SAMPLES / org))
    with FakeConfluence(corpus) as fake:
        summary = ingest(db, confluence(fake, fast, cloud))
        assert page_reads(fake, cloud) == len(corpus)
    files = {r["incident_title"]: {f: r[f] for f in FIELDS} for r in db.incidents(source=None) if r["source"].startswith("dir:")}
    pages = {r["incident_title"]: {f: r[f] for f in FIELDS} for r in db.incidents() if r["source"] == summary.source}
    assert summary.errors == 0
    assert summary.new == len(files) > 30
    assert pages == files


def test_meta_url_and_version(fake_confluence, fast):
    listing = confluence(fake_confluence, fast).listing({})
    docs = {d.source_id: d for d in listing.documents}
    page = next(p for p in fake_confluence.pages.values() if p.props.get("services") and p.props.get("severity"))
    doc = docs[page.id]
    assert doc.url == f"{fake_confluence.url}/wiki/spaces/OPS/pages/{page.id}/" + doc.url.rsplit("/", 1)[1]
    assert doc.version == "1"
    assert doc.meta == {
        "title": page.title,
        "date": page.props["date"],
        "services": page.props["services"],
        "severity": page.props["severity"],
        **({"category": page.props["category"]} if page.props.get("category") else {}),
    }
    assert doc.body.startswith(f"# {page.title}\n")


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "server"])
def test_unchanged_resync_reads_no_page_bodies(db, fake_confluence, fast, cloud):
    first = ingest(db, confluence(fake_confluence, fast, cloud))
    assert first.errors == 0 and first.new + first.excluded == len(fake_confluence.pages)
    fake_confluence.reset_log()
    again = ingest(db, confluence(fake_confluence, fast, cloud))
    assert (again.new, again.updated, again.deleted, again.errors) == (0, 0, 0, 0)
    searches = -(-len(fake_confluence.pages) // fake_confluence.page_size)
    assert fake_confluence.count() == fake_confluence.count("/rest/api/search") == searches


def test_second_sync_reads_only_changes_and_applies_deletions(db, fake_confluence, corpus, some_pages, fast):
    fake = fake_confluence
    source = confluence(fake, fast).source
    ingest(db, confluence(fake, fast))
    before = live_ids(db, source)
    edited, trashed, unlabelled, gone = sorted(before)[:4]
    old_hash = next(r for r in db.incidents(source=source) if r["source_id"] == edited)["content_hash"]
    fake.edit_page(edited)
    fake.trash_page(trashed)
    fake.unlabel_page(unlabelled)
    fake.delete_page(gone)
    added = fake.add_page(next(p for p in corpus if p not in some_pages and "Template" not in p.path))
    elsewhere = fake.add_page(some_pages[0], space="HR")  # another space: not ours
    fake.reads.clear()

    second = ingest(db, confluence(fake, fast), max_delete_share=None)  # 3 of ~11: past the guard
    assert set(fake.reads) == {edited, added}
    assert (second.new, second.updated, second.deleted, second.errors) == (1, 1, 3, 0)
    assert live_ids(db, source) == (before - {trashed, unlabelled, gone}) | {added}
    assert elsewhere not in live_ids(db, source)
    rows = db.incidents(include_deleted=True, source=source)
    assert len(rows) == len({r["source_id"] for r in rows})
    assert next(r for r in rows if r["source_id"] == edited)["content_hash"] != old_hash

    fake.reads.clear()
    third = ingest(db, confluence(fake, fast))  # exact version numbers: nothing to re-read
    assert not fake.reads and (third.new, third.updated, third.deleted) == (0, 0, 0)


def test_rate_limit_waits_for_retry_after(db, fake_confluence, fast):
    fake_confluence.fault("429", "/api/v2/pages/", retry_after=1)
    fake_confluence.fault("429", "/rest/api/search", retry_after=1)
    started = time.monotonic()
    summary = ingest(db, confluence(fake_confluence, fast))
    assert time.monotonic() - started >= 2.0
    assert summary.errors == 0 and summary.new + summary.excluded == len(fake_confluence.pages)
    assert all(f.times == 0 for f in fake_confluence.faults)


def test_server_errors_and_slow_responses_are_retried(db, fake_confluence, fast):
    fake_confluence.fault("500", "/api/v2/pages/", times=2)
    fake_confluence.fault("503", "/rest/api/search", after=1)
    fake_confluence.fault("slow", "/api/v2/pages/", delay=2.5, after=2)  # beyond the 1 s timeout
    summary = ingest(db, confluence(fake_confluence, fast))
    assert summary.errors == 0 and summary.new + summary.excluded == len(fake_confluence.pages)
    assert all(f.times == 0 for f in fake_confluence.faults)


def test_retries_are_bounded_and_one_bad_page_does_not_stop_the_sync(db, fake_confluence, fast):
    bad = sorted(fake_confluence.pages)[3]
    fake_confluence.fault("500", f"/api/v2/pages/{bad}?", times=None)
    summary = ingest(db, confluence(fake_confluence, fast))
    assert fake_confluence.count(f"/api/v2/pages/{bad}?") == fast.attempts
    assert summary.errors == 1 and summary.error_details[0][0] == bad
    assert summary.new + summary.excluded == len(fake_confluence.pages) - 1


def test_malformed_json_page_is_an_error_and_the_next_sync_takes_it(db, fake_confluence, fast):
    bad = sorted(fake_confluence.pages)[1]
    fake_confluence.fault("malformed", f"/api/v2/pages/{bad}?", times=None)
    first = ingest(db, confluence(fake_confluence, fast))
    # A truncated body is retried like any transient failure, then reported for that page.
    assert fake_confluence.count(f"/api/v2/pages/{bad}?") == fast.attempts
    assert first.errors == 1 and first.error_details[0][0] == bad
    assert "not a JSON object" in first.error_details[0][1] and bad in first.line()
    fake_confluence.clear_faults()
    fake_confluence.reads.clear()
    second = ingest(db, confluence(fake_confluence, fast))
    assert set(fake_confluence.reads) == {bad}
    # Unchanged pages are not read again but still count in the summary.
    assert second.new + second.unchanged + second.excluded == len(fake_confluence.pages)


def test_sync_that_dies_half_way_keeps_what_it_stored_and_the_next_completes_it(db, fake_confluence, fast):
    fake = fake_confluence
    source = confluence(fake, fast).source
    fake.fault("503", "/api/v2/pages/", times=None, after=5)
    with pytest.raises(SourceUnavailable):
        ingest(db, confluence(fake, fast))
    kept = live_ids(db, source) | {e["source_id"] for e in db.excluded(source)}
    assert len(kept) == 5 and db.last_sync(source, status="failed")

    fake.clear_faults()
    fake.reads.clear()
    second = ingest(db, confluence(fake, fast))
    assert set(fake.reads) == set(fake.pages) - kept
    assert second.new + second.unchanged + second.excluded == len(fake.pages)
    rows = db.incidents(include_deleted=True, source=source)
    assert len(rows) == len({r["source_id"] for r in rows})


def test_page_deleted_between_search_and_read_counts_as_deleted(fake_confluence, fast):
    listing = confluence(fake_confluence, fast, cloud=False).listing({})
    gone = sorted(fake_confluence.pages)[0]
    fake_confluence.delete_page(gone)
    docs = list(listing.documents)
    assert gone not in {d.source_id for d in docs} and not any(isinstance(d, FetchError) for d in docs)
    assert gone in listing.deleted and gone not in listing.present


def test_custom_cql_narrows_the_space(fake_confluence, fast):
    target = next(iter(fake_confluence.pages.values()))
    extractor = confluence(fake_confluence, fast, cql=f'title ~ "{target.title.split()[-1]}"')
    assert extractor.cql.startswith('space = "OPS" AND (title ~')
    ids = {d.source_id for d in extractor.listing({}).documents}
    assert target.id in ids and len(ids) < len(fake_confluence.pages)


def test_cql_quoting():
    assert build_cql('O"PS', None) == 'space = "O\\"PS" AND label = "postmortem" AND type = page'
    assert build_cql(None, "label = incident") == "label = incident"


def test_cli_extract_confluence(db, fake_confluence):
    out = CliRunner().invoke(main, ["extract", "--source", "confluence", "--space", "OPS", "--db", str(db.path), "--quiet"])
    assert out.exit_code == 0, out.output
    assert "from confluence:OPS:" in out.output  # the label; the identity adds the site


def test_cli_bad_credentials_and_bad_cql_are_one_clear_line(db, fake_confluence, monkeypatch):
    out = CliRunner().invoke(main, ["extract", "--source", "confluence", "--cql", "space == OPS", "--db", str(db.path), "--quiet"])
    assert out.exit_code == 1 and "Confluence rejected the search (400)" in out.output
    monkeypatch.setenv("CONFLUENCE_TOKEN", "wrong-secret-value")
    out = CliRunner().invoke(main, ["extract", "--source", "confluence", "--space", "OPS", "--db", str(db.path), "--quiet"])
    assert out.exit_code == 1 and "401" in out.output
    assert "wrong-secret-value" not in out.output and "Traceback" not in out.output
