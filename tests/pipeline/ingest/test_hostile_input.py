"""Hostile and broken input: every document is stored or excluded with a reason, nothing
escapes the ingest loop, the rest of the sync goes on, and nothing is read whole that is
too large (issue 9)."""

import os
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest.decode import MAX_BYTES, decode
from pipeline.ingest.extractors.local import LocalFolder
from pipeline.ingest.isolate import ISOLATE_OVER_SIZE, Reader, read_document
from pipeline.ingest.parser import MAX_FRONT_MATTER, classify_label, parse, services_in, strip_markdown
from pipeline.ingest.sync import ingest
from storage import Database
from tests.pipeline.ingest.hostile_docs import BASE, ListExtractor, hostile_documents, raw


def stored_or_excluded(db: Database, source: str) -> dict[str, str]:
    """source_id -> "stored" or the exclusion reason, for everything the sync recorded."""
    out = {r["source_id"]: "stored" for r in db.db["incidents"].rows_where("source = ? and deleted = 0", [source])}
    for r in db.db["excluded"].rows_where("source = ?", [source]):
        out[r["source_id"]] = r["reason"]
    return out


@pytest.mark.timeout(300)  # a hang guard only: every class is linear, each takes well under a second
def test_every_hostile_class_is_stored_or_excluded_and_the_sync_goes_on(tmp_path):
    docs = hostile_documents()
    db = Database(tmp_path / "pm.db")
    # A good document after the hostile ones: nothing before it may stop the sync.
    batch = [raw(name, body, meta) for name, (body, meta) in docs.items()] + [raw("good", BASE)]
    summary = ingest(db, ListExtractor(batch))

    outcome = stored_or_excluded(db, "dir:hostile")
    assert set(outcome) == {d.source_id for d in batch}
    assert summary.kept + summary.excluded == len(batch) and summary.errors == 0
    assert db.last_sync("dir:hostile")["status"] == "succeeded"
    assert outcome["good.md"] == "stored"
    for name in ("yaml-alias-bomb", "yaml-deeply-nested", "yaml-deep-mapping", "yaml-bad-date"):
        assert outcome[f"{name}.md"] == "bad-front-matter", name
    # Broken encodings lose a character, not the document.
    for name in ("utf16-le-odd-length", "utf16-be-odd-length", "utf16-lone-surrogate", "surrogate-in-str-body",
                 "surrogate-in-meta", "table-rule-spaces", "open-brackets", "dashed-summary",
                 "bold-label-blank-lines", "blank-lines-then-text", "nested-label-staircase", "services-without-sentence-end",
                 "wrapped-item-lines", "unclosed-heading-qualifier", "letterhead-spaced-service-line",
                 "spaced-service-item"):
        assert outcome[f"{name}.md"] == "stored", name
    # An HTML comment never closed hides the rest of the page, as a markdown renderer shows it:
    # the "<!-- x" lines are no story to take a cause from.
    assert outcome["markdown-unclosed-comments.md"] == "no-root-cause"
    row = next(db.db["incidents"].rows_where("source_id = ?", ["surrogate-in-meta.md"]))
    assert row["incident_title"] == "Outage \ufffd"
    row = next(db.db["incidents"].rows_where("source_id = ?", ["surrogate-in-str-body.md"]))
    assert "\ufffd dropped \ufffd writes" in row["root_cause"]


def test_a_bad_alias_or_nesting_says_why():
    bomb, _ = hostile_documents()["yaml-alias-bomb"]
    assert "alias" in parse(bomb).detail
    deep, _ = hostile_documents()["yaml-deeply-nested"]
    assert "nested more than" in parse(deep).detail
    huge = "---\nsummary: " + "x" * MAX_FRONT_MATTER + "\n---\n" + BASE
    assert parse(huge).reason == "bad-front-matter"
    # Anchors without aliases, and ordinary front matter, still read.
    ok = parse("---\ntitle: &t Checkout outage\nservices: [cart-api]\n---\n" + BASE)
    assert ok.reason is None and ok.fields["incident_title"] == "Checkout outage"


def test_decode_never_raises_on_a_utf16_bom():
    assert decode(b"\xff\xfe" + "ok".encode("utf-16-le") + b"x")[0].startswith("ok")
    assert decode(b"\xfe\xff" + "ok".encode("utf-16-be"))[0] == "ok"
    assert decode(b"\xff\xfe\x00\xd8a\x00")[0] == "\ufffda"
    assert decode("lone \udc80 surrogate")[0] == "lone \ufffd surrogate"


def test_linear_patterns_keep_their_meaning():
    assert strip_markdown("see [the runbook](https://x/y) and ![graph](g.png) now") == "see the runbook and   now"
    assert strip_markdown("| a |\n|---|:--:|\n   \n> quoted\n- item") == "| a |\n\n\nquoted\nitem"
    # A dotted name in backticks is code or a file name: neither it nor its tail is a service.
    assert services_in("cart-api-v2 and ledger-db, `foo.bar-api`, x_pay-api, billing-api_x") == ["cart-api", "ledger-db"]
    assert services_in("payments-api-gateway-west") == ["payments-api-gateway"]
    # A terse note's arrow after its label, read back from the end of the label.
    assert [classify_label(x) for x in ("Resolution ->", "Root cause =>", "fix -->")] == ["fix", "root_cause", "fix"]


def test_unreadable_too_large_and_oddly_named_files_are_excluded_and_the_sync_goes_on(tmp_path):
    folder = tmp_path / "postmortems"
    folder.mkdir()
    (folder / "2024-01-01-good.md").write_text(BASE)
    (folder / "2024-01-02-vanishes.md").write_text(BASE)
    with open(folder / "2024-01-03-huge.md", "wb") as f:  # sparse: no disk, but a 1 GB size
        f.truncate(1 << 30)
    with open(os.fsencode(folder) + b"/2024-01-04-caf\xe9.md", "w") as f:  # Latin-1 name, not UTF-8
        f.write(BASE)

    class Vanishing(LocalFolder):
        """A file deleted between the listing and its read (an editor saving, a git checkout)."""

        def listing(self, known_versions):
            listing = super().listing(known_versions)
            (self.root / "2024-01-02-vanishes.md").unlink()
            return listing

    db = Database(tmp_path / "pm.db")
    tracemalloc.start()
    extractor = Vanishing(folder, name="pm")
    summary = ingest(db, extractor)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    outcome = stored_or_excluded(db, extractor.source)
    assert outcome == {
        "2024-01-01-good.md": "stored",
        "2024-01-02-vanishes.md": "unreadable",
        "2024-01-03-huge.md": "too-large",
        "2024-01-04-caf\\xe9.md": "stored",
    }
    assert summary.reasons == {"unreadable": 1, "too-large": 1}
    assert peak < 20 * MAX_BYTES // 2, f"the 1 GB file was read: peak {peak:,} bytes"
    detail = next(db.db["excluded"].rows_where("reason = 'too-large'"))["detail"]
    assert detail.startswith("1,073,741,824 bytes")


def test_an_unreadable_file_keeps_its_stored_incident(tmp_path):
    folder = tmp_path / "postmortems"
    folder.mkdir()
    (folder / "2024-01-01-flaky.md").write_text(BASE)
    db = Database(tmp_path / "pm.db")
    assert ingest(db, LocalFolder(folder, name="pm")).new == 1

    class Unreadable(LocalFolder):
        def listing(self, known_versions):
            listing = super().listing(known_versions)
            (self.root / "2024-01-01-flaky.md").unlink()
            return listing

    extractor = Unreadable(folder, name="pm")
    summary = ingest(db, extractor)
    assert summary.errors == 1 and summary.excluded == 0
    assert stored_or_excluded(db, extractor.source) == {"2024-01-01-flaky.md": "stored"}


# -- fuzzing -----------------------------------------------------------------------------------

# Pieces of real post-mortems and of the hostile classes, at sizes that keep an example fast;
# hypothesis splices, repeats and mutates them.
FRAGMENTS = [
    "# Checkout outage\n", "## Root cause\n", "## Resolution\n", "## Timeline\n", "## Summary\n",
    "- **Root cause**: ", "  - **Resolution**: ", "**Impact**:", "The cache was full because eviction stopped.\n",
    "We restarted the workers and rolled back the deploy.\n", "| 10:00 | alert |\n|---|---|\n", "```\nlog\n",
    "---\n", "title: x\n", "a: &a [1]\nb: *a\n", "[", "![", "](", "{{", "[todo", "a-", " ", "\n", "\t", "> ",
    "\ud800", "\udcff", "\x00", "\ufeff", "é", "cart-api", "`x.y-db`", "#", "|", ":", "-", "*", "_",
]


@st.composite
def documents(draw):
    parts = draw(st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.integers(1, 400)), max_size=12))
    text = "".join(fragment * times for fragment, times in parts) + draw(st.text(max_size=200))
    kind = draw(st.sampled_from(["str", "utf-8", "utf-16", "bytes"]))
    if kind == "str":
        return text
    if kind == "bytes":
        return draw(st.binary(max_size=2000))
    data = text.encode("utf-8" if kind == "utf-8" else "utf-16", "surrogatepass")
    cut = draw(st.integers(0, 3))  # a truncated tail: odd-length UTF-16, a split UTF-8 character
    return data[: len(data) - cut] if cut < len(data) else data


@pytest.mark.timeout(300)  # a hang guard only
@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(st.tuples(documents(), st.dictionaries(st.sampled_from(["title", "services", "date"]),
                                                             st.text(max_size=20), max_size=2)),
                      min_size=1, max_size=4))
def test_fuzzed_documents_never_escape_the_ingest_loop(batch):
    db = Database(":memory:")
    docs = [raw(f"doc{i}", body, meta) for i, (body, meta) in enumerate(batch)]
    summary = ingest(db, ListExtractor(docs))  # raises if anything escapes
    outcome = stored_or_excluded(db, "dir:hostile")
    assert set(outcome) == {d.source_id for d in docs}
    assert summary.kept + summary.excluded == len(docs) and summary.errors == 0


# -- time budget -------------------------------------------------------------------------------


def large_document(secret: str = "") -> str:
    """A real post-mortem padded past the in-process size with a long timeline."""
    rows = "".join(f"- 10:{i % 60:02d} checked shard {i}, still degraded\n" for i in range(ISOLATE_OVER_SIZE // 30))
    return BASE.replace("## Timeline\n", "## Timeline\n" + rows) + secret


def test_a_large_document_is_read_in_the_worker_like_any_other(tmp_path):
    body = large_document("\npassword=Sup3rS3cretValue\n")
    assert len(body) > ISOLATE_OVER_SIZE
    db = Database(tmp_path / "pm.db")
    summary = ingest(db, ListExtractor([raw("large", body), raw("small", BASE)]))
    assert summary.new == 2 and summary.redactions == {"password": 1}
    stored = {r["source_id"]: r for r in db.db["incidents"].rows}
    expected = read_document(body, "large.md", {})[1].fields
    assert stored["large.md"]["root_cause"] == expected["root_cause"]
    assert "Sup3rS3cret" not in stored["large.md"]["timeline"]


def test_a_document_over_the_time_budget_is_excluded_as_too_slow_and_the_sync_goes_on(tmp_path):
    db = Database(tmp_path / "pm.db")
    # A budget no machine can meet for a large document; the small one is read in-process.
    docs = [raw("large", large_document()), raw("small", BASE), raw("large-2", large_document() + "x")]
    summary = ingest(db, ListExtractor(docs), parse_budget_s=0.0001)
    assert stored_or_excluded(db, "dir:hostile") == {"large.md": "too-slow", "small.md": "stored", "large-2.md": "too-slow"}
    assert summary.reasons == {"too-slow": 2}
    detail = next(db.db["excluded"].rows_where("source_id = 'large.md'"))["detail"]
    assert detail == "reading it took over 0.0001 s"


def test_a_large_file_rejected_unread_starts_no_worker():
    reader = Reader()
    try:
        _, parsed = reader.read(b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * ISOLATE_OVER_SIZE), "shot.png", {})
        assert parsed.reason == "unsupported-format"
        assert reader._proc is None  # a folder's screenshots and data files cost no process start
    finally:
        reader.close()
