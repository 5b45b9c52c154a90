"""Hybrid retrieval: FAISS + FTS5 fused by reciprocal rank."""

import json

from click.testing import CliRunner

from pipeline.serve.index import rebuild_index
from pipeline.serve.retrieve import Hit, Retriever, fuse, keyword_query, latest_first
from tests.pipeline.incidents import record


def test_top_k_with_scores_and_the_similar_shape(incident_db):
    hits = Retriever(incident_db).search("kafka broker ran out of disk space", k=3)
    assert len(hits) == 3
    assert hits[0].incident["source_id"] == "kafka-disk"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0 < h.score <= 1 for h in hits)
    assert set(hits[0].summary()) == {"source_id", "incident_title", "date", "url", "score"}
    assert hits[0].similarity > 0.5


def test_an_error_code_only_keywords_see_still_ranks_first(incident_db, embedder):
    """The code sits deep in a long timeline, past what the embedder reads, and the query's
    words are about something else: FTS5 finds it, fusion puts it first."""
    filler = "\n".join(f"0{h}:00 batch step {h} finished normally" for h in range(1, 9)) * 3
    incident_db.upsert_incident(
        record(
            source_id="search-indexer",
            incident_title="Search indexer stopped",
            timeline=filler + "\n09:10 indexer exited with status QX9-77B",
            root_cause="A schema change left the indexer unable to read new documents.",
            fix="Reverted the schema change.",
            root_cause_category="configuration",
        )
    )
    rebuild_index(incident_db, embedder)
    retriever = Retriever(incident_db)
    query = "seeing QX9-77B again, what is it?"
    target = [r["id"] for r in incident_db.incidents() if r["source_id"] == "search-indexer"][0]

    vector_only = [i for i, _ in retriever.index.search(embedder.encode([query])[0], 10)]
    assert vector_only.index(target) >= 2  # the embeddings disagree
    assert incident_db.keyword_search(keyword_query(query))[0][0] == target
    best = retriever.search(query, k=3)[0]
    assert best.incident["id"] == target and best.keyword_rank == 1 and best.vector_rank > 1


def test_exclusions_and_deletions(incident_db):
    retriever = Retriever(incident_db)
    first = retriever.search("DNS lookups timing out", k=1)[0].incident
    assert first["source_id"] == "dns-timeouts"
    assert all(h.incident["id"] != first["id"] for h in retriever.search("DNS lookups timing out", exclude_ids={first["id"]}))
    # Deleted since the last index rebuild: the index still has it, results don't.
    incident_db.mark_deleted("hand", ["dns-timeouts"])
    assert all(h.incident["source_id"] != "dns-timeouts" for h in retriever.search("DNS lookups timing out", k=5))


def test_similar_cli_json(incident_db):
    from pipeline.cli import main

    result = CliRunner().invoke(main, ["similar", "certificate expired on the tokenizer", "--db", str(incident_db.path), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 3 and rows[0]["source_id"] == "cert-expiry"
    assert set(rows[0]) == {"source_id", "incident_title", "date", "url", "score"}
    text = CliRunner().invoke(main, ["similar", "certificate expired", "--db", str(incident_db.path)])
    assert "[1] Card tokenizer certificate expired  (2023-11-27)  score" in text.output


def test_keyword_query_drops_function_words():
    assert keyword_query("what fixed it last time? QX9-77B again") == "fixed QX9-77B"
    assert keyword_query("what is it") == "what is it"  # nothing else left: keep the words


def test_empty_query_is_a_usage_error(incident_db):
    from pipeline.cli import main

    for command in ("similar", "ask"):
        result = CliRunner().invoke(main, [command, "  ", "--db", str(incident_db.path)])
        assert result.exit_code == 2 and "is empty" in result.output


def test_sources_restrict_both_lists_before_ranking(incident_db, embedder):
    """An incident of a source the asker may not see is never a candidate, in the vector list
    or the keyword list, and the allowed ones still fill k."""
    incident_db.upsert_incident(
        record(
            source="dir:security",
            source_id="kafka-disk-secret",
            incident_title="Kafka broker disk full during month-end (security copy)",
            timeline="17:12 kafka-2 hit ENOSPC and shut down",
            root_cause="Month-end traffic filled the broker disks.",
            fix="Grew the EBS volumes.",
            root_cause_category="capacity",
        )
    )
    rebuild_index(incident_db, embedder)
    retriever = Retriever(incident_db)
    query = "kafka broker ENOSPC disk full month-end"
    everywhere = [h.incident["source"] for h in retriever.search(query, k=3)]
    assert "dir:security" in everywhere

    public = [s for s in incident_db.sources() if s != "dir:security"]
    hits = retriever.search(query, k=3, sources=public)
    assert len(hits) == 3 and {h.incident["source"] for h in hits} <= set(public)
    assert hits[0].incident["source_id"] == "kafka-disk"
    assert retriever.search(query, k=3, sources=[]) == []
    secret_only = retriever.search(query, k=3, sources=["dir:security"])
    assert [h.incident["source_id"] for h in secret_only] == ["kafka-disk-secret"]


def test_fusion_breaks_a_tie_by_how_far_ahead_each_is():
    # 7 is first by meaning and 9 first by keywords: equal reciprocal-rank scores. 9's keyword
    # score is far ahead (bm25 -17 against -10), 7's cosine barely (0.81 against 0.80).
    fused = fuse([(7, 0.81), (9, 0.80), (4, 0.5)], [(9, -17.0), (7, -10.0)])
    assert fused[7].score == fused[9].score
    assert list(fused) == [9, 7, 4]
    assert (fused[9].vector_rank, fused[9].keyword_rank, fused[4].keyword_rank) == (2, 1, None)
    # Far ahead by meaning instead: the vector's first wins the tie.
    assert list(fuse([(7, 0.95), (9, 0.40)], [(9, -10.0), (7, -9.5)]))[:2] == [7, 9]
    # An excluded incident takes no rank in either list.
    assert fuse([(7, 0.9), (9, 0.8)], [(7, -5.0)], exclude={7})[9].vector_rank == 1


def test_asked_for_the_last_time_the_newest_of_tied_matches_comes_first():
    def hit(name, date, score):
        return Hit({"source_id": name, "date": date}, score, 0.6, 1, 1)

    old, new, undated, weaker = hit("old", "2023-04-18", 0.99), hit("new", "2024-03-09", 0.99), hit("x", "", 0.985), hit("w", "2025-01-14", 0.93)
    assert [h.incident["source_id"] for h in latest_first([old, undated, new, weaker])] == ["new", "old", "x", "w"]
    # A clearly better match is never passed over for a newer one.
    assert latest_first([hit("best", "2020-01-01", 1.0), weaker]) == [hit("best", "2020-01-01", 1.0), weaker]


def test_a_question_about_the_last_time_prefers_the_newer_of_two_equal_incidents(incident_db, embedder):
    """Two ledger-db outages told in the same words: 'the last' one is whichever is newer."""
    def store(dates):
        for source_id, date in zip(("ledger-a", "ledger-b"), dates):
            incident_db.upsert_incident(record(
                source_id=source_id, incident_title="Ledger-db outage", date=date, services_affected=["ledger-db"],
                timeline="ledger-db stopped accepting writes", root_cause="The ledger-db primary ran out of disk.",
                fix="Grew the volume.", root_cause_category="capacity",
            ))
        rebuild_index(incident_db, embedder)
        return [h.incident["source_id"] for h in Retriever(incident_db).search("what fixed the last ledger-db outage?", k=3)]

    assert store(["2022-05-01", "2024-05-01"])[:2] == ["ledger-b", "ledger-a"]
    assert store(["2025-05-01", "2024-05-01"])[:2] == ["ledger-a", "ledger-b"]
