"""The FAISS index: build, incremental atomic rebuild, deletions, reload by other processes."""

import json

import numpy as np

from pipeline.serve.index import index_path, load_index, rebuild_index
from tests.pipeline.incidents import INCIDENTS, record, seed
from storage import Database


def test_build_holds_every_live_incident_with_normalized_vectors(incident_db, embedder):
    index = load_index(incident_db, build_if_missing=False)
    ids = {r["id"] for r in incident_db.incidents()}
    assert index.size == len(ids) == len(INCIDENTS)
    assert index.embedder_name == embedder.name
    for incident_id in ids:
        assert np.linalg.norm(index.index.reconstruct(incident_id)) == np.float32(1.0) or abs(
            np.linalg.norm(index.index.reconstruct(incident_id)) - 1.0
        ) < 1e-5
    # An incident's own text finds itself first, with cosine similarity ~1.
    from pipeline.serve.embed import incident_text

    row = incident_db.incidents()[2]
    (best_id, score), *_ = index.search(embedder.encode([incident_text(row)])[0], 3)
    assert best_id == row["id"] and score > 0.99


def test_rebuild_embeds_only_changes_and_drops_deleted(incident_db, embedder):
    path = index_path(incident_db)
    meta = json.loads(path.with_name(path.name + ".json").read_text())
    assert meta["embedded"] == len(INCIDENTS)

    # Nothing changed: every vector is reused.
    rebuild_index(incident_db, embedder)
    assert json.loads(path.with_name(path.name + ".json").read_text())["embedded"] == 0

    changed = dict(INCIDENTS[0], fix="Rolled CoreDNS back to 1.10 and pinned its image.")
    assert incident_db.upsert_incident(record(**changed)) == "updated"
    incident_db.mark_deleted("hand", [INCIDENTS[1]["source_id"]])
    deleted_id = [r["id"] for r in incident_db.incidents(include_deleted=True) if r["deleted"]][0]
    rebuild_index(incident_db, embedder)

    meta = json.loads(path.with_name(path.name + ".json").read_text())
    assert meta["embedded"] == 1
    index = load_index(incident_db)
    assert index.size == len(INCIDENTS) - 1
    assert str(deleted_id) not in meta["hashes"]
    assert index.similarity(embedder.encode(["x"])[0], deleted_id) is None
    # Written under temporary names, then renamed: nothing is left behind.
    assert sorted(p.name for p in path.parent.iterdir() if ".tmp" in p.name) == []


def test_a_reader_sees_a_rebuild_by_another_process(incident_db, embedder):
    index = load_index(incident_db)
    assert not index.is_stale()
    incident_db.upsert_incident(
        record(source_id="new-one", incident_title="Redis eviction storm", root_cause="maxmemory reached", fix="raised maxmemory")
    )
    rebuild_index(incident_db, embedder)
    assert index.is_stale()
    assert load_index(incident_db).size == len(INCIDENTS) + 1


def test_missing_index_is_built_on_load_and_empty_database_gives_empty_index(tmp_path, embedder):
    db = Database(tmp_path / "empty.db")
    index = load_index(db)
    assert index.size == 0 and index.search(embedder.encode(["anything"])[0], 3) == []
    seed(db, INCIDENTS[:2])
    assert load_index(db, build_if_missing=False).size == 0
    rebuild_index(db, embedder)
    assert load_index(db, build_if_missing=False).size == 2


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, embedder):
        self.inner, self.name, self.dim = embedder, embedder.name, embedder.dim
        self.texts = 0

    def encode(self, texts):
        self.texts += len(texts)
        return self.inner.encode(texts)


def test_an_index_behind_the_database_catches_up_in_the_background(incident_db, embedder):
    """Incidents stored without a rebuild (a command-line extract, a sync that died first)
    are found by keywords at once and by meaning once the background catch-up is done; the
    answering process never embeds anything but its question."""
    from pipeline.serve.retrieve import Retriever

    counting = CountingEmbedder(embedder)
    retriever = Retriever(incident_db, embedder=counting)
    assert retriever.index.matches(incident_db) and not retriever.refresh()
    incident_db.upsert_incident(
        record(source_id="late", incident_title="Elasticsearch cluster went red after shard allocation stalled",
               root_cause="Shard allocation stalled.", fix="Rerouted shards.")
    )
    assert not retriever.index.matches(incident_db)
    assert load_index(incident_db).size == len(INCIDENTS)  # loading never embeds: as it is on disk

    assert not retriever.refresh()  # the caller goes on with the index it has...
    hits = {h.incident["source_id"]: h for h in retriever.search("elasticsearch shard allocation", k=3)}
    assert hits["late"].vector_rank is None and hits["late"].keyword_rank == 1  # ...found by FTS
    assert counting.texts == 1  # the question, nothing else
    assert retriever.catch_up().wait(timeout=600) == 0

    assert retriever.refresh() and retriever.index.size == len(INCIDENTS) + 1
    assert retriever.index.matches(incident_db) and retriever.index.meta["embedded"] == 1  # only the new one
    hit = retriever.search("elasticsearch cluster red", k=1)[0]
    assert hit.incident["source_id"] == "late" and hit.vector_rank == 1
