"""Similar-incident search: quality on the sample query set and latency over 10k incidents.

    python -m bench.retrieval [--size 10000] [--rounds 3]

Quality: recall@1, recall@3 and MRR on samples/queries.jsonl over the sample corpus, for the
hybrid retriever and for each of its halves alone (vector only, keywords only), measured in
the same run. Latency: the sample corpus replicated to --size incidents (the copies reuse
the originals' vectors, so building the bench takes seconds, not an embedding run), every
query timed in two parts: embedding it, then the search (FAISS, FTS5, fusion, fetching the
rows), the latter against a baseline without the indexes (a NumPy scan over all vectors and
SQL LIKE over every row's text, ranked by terms matched, fused the same way)."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def sample_db(folder: Path):
    """The three sample orgs ingested into a fresh database, with its index."""
    from pipeline.ingest.extractors.local import LocalFolder
    from pipeline.serve.index import rebuild_index
    from pipeline.ingest.sync import ingest
    from storage import Database

    db = Database(folder / "samples.db")
    for org in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        ingest(db, LocalFolder(org, name=org.name))
    rebuild_index(db)
    return db


def quality(db, queries) -> dict:
    from pipeline.evaluate import metrics
    from pipeline.evaluate.retrieval import evaluate_retrieval
    from pipeline.serve.retrieve import Retriever, keyword_query

    retriever = Retriever(db)
    out = {"hybrid": evaluate_retrieval(db, queries, retriever)}
    ids = {r["source_id"]: r["id"] for r in db.incidents()}
    for name in ("vector only", "keywords only"):
        r1, r3, rr = [], [], []
        for q in queries:
            expected = ids[q["expected_source_id"]]
            if name == "vector only":
                ranked = [i for i, _ in retriever.index.search(retriever.embedder.encode([q["query"]])[0], 10)]
            else:
                ranked = [i for i, _ in db.keyword_search(keyword_query(q["query"]), limit=10)]
            r1.append(metrics.recall_at_k(ranked, expected, 1))
            r3.append(metrics.recall_at_k(ranked, expected, 3))
            rr.append(metrics.reciprocal_rank(ranked, expected))
        out[name] = {"recall@1": metrics.mean(r1), "recall@3": metrics.mean(r3), "mrr": metrics.mean(rr), "n": len(r1)}
    return out


def replicate(db, size: int):
    """Copy the live incidents until there are `size`; returns a VectorIndex over all of
    them built from the originals' vectors."""
    import faiss

    from pipeline.serve.index import VectorIndex, load_index

    base = db.incidents()
    original = load_index(db)
    vectors = {r["id"]: original.index.reconstruct(r["id"]) for r in base}
    rows, copy = [], 0
    while len(base) + len(rows) < size:
        copy += 1
        for r in base:
            if len(base) + len(rows) >= size:
                break
            row = {k: v for k, v in r.items() if k != "id"}
            row.update(source=f"{r['source']}-copy{copy}", source_id=r["source_id"], content_hash=f"{r['content_hash']}-{copy}")
            rows.append((r["id"], row))
    db.insert_incidents(row for _, row in rows)
    all_rows = db.live_incident_keys()
    origin = {(r["source"], r["source_id"]): r["id"] for r in base}
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(original.index.d))
    ids, vecs = [], []
    for incident_id, source, source_id in all_rows:
        root = origin[(source.split("-copy")[0], source_id)]
        ids.append(incident_id)
        vecs.append(vectors[root])
    index.add_with_ids(np.array(vecs, dtype=np.float32), np.array(ids, dtype=np.int64))
    return VectorIndex(index=index, embedder_name=original.embedder_name, path=original.path, meta=original.meta,
                       file_identity=original.file_identity)


def baseline_search(db, matrix, ids, vector, query: str, k: int = 3):
    """No indexes: cosine over every vector with NumPy, LIKE over every row's text, RRF."""
    from pipeline.serve.retrieve import RRF_K, keyword_query

    scores = matrix @ vector
    vector_rank = [ids[i] for i in np.argsort(-scores)[:50]]
    # Ranked like FTS5 would be, but by a full scan: rows by how many query terms they contain.
    keyword = db.scan_search(keyword_query(query).split()[:8], limit=50)
    fused = {}
    for ranking in (vector_rank, keyword):
        for rank, incident_id in enumerate(ranking, start=1):
            fused[incident_id] = fused.get(incident_id, 0.0) + 1 / (RRF_K + rank)
    best = sorted(fused, key=lambda i: -fused[i])[:k]
    return db.incidents_by_ids(best)


def percentile(values, q):
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from pipeline.evaluate.retrieval import read_queries
    from pipeline.serve.retrieve import Retriever

    queries = read_queries(SAMPLES / "queries.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        db = sample_db(Path(tmp))
        n_base = db.count_incidents()
        print(f"sample corpus: {n_base} incidents ingested and indexed in {time.perf_counter() - started:.1f} s")

        print(f"\nQuality on samples/queries.jsonl ({len(queries)} queries, {n_base} incidents)")
        print(f"{'retriever':<16}{'recall@1':>10}{'recall@3':>10}{'MRR':>8}")
        for name, row in quality(db, queries).items():
            print(f"{name:<16}{row['recall@1']:>10.3f}{row['recall@3']:>10.3f}{row['mrr']:>8.3f}")

        started = time.perf_counter()
        index = replicate(db, args.size)
        print(f"\nreplicated to {index.size} incidents in {time.perf_counter() - started:.1f} s")
        retriever = Retriever(db, index=index)
        ids = np.array([int(i) for i in faiss_ids(index)])
        matrix = np.stack([index.index.reconstruct(int(i)) for i in ids])
        texts = [q["query"] for q in queries]
        retriever.search(texts[0])  # warm-up: first FTS and embedder calls
        ours, base, embed = [], [], []
        for _ in range(args.rounds):
            for text in texts:
                t = time.perf_counter()
                vector = retriever.embedder.encode([text])[0]
                embed.append(time.perf_counter() - t)
                t = time.perf_counter()
                retriever.search(text, k=3, query_vector=vector)
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                baseline_search(db, matrix, ids, vector, text)
                base.append(time.perf_counter() - t)

    ms = lambda v: f"{v * 1000:8.1f}"  # noqa: E731
    print(f"\nLatency over {index.size} incidents ({len(ours)} searches, top-3, ms)")
    print(f"{'':<34}{'p50':>8}{'p95':>9}")
    total = [e + o for e, o in zip(embed, ours)]
    print(f"{'query embedding (MiniLM)':<34}{ms(percentile(embed, 50))} {ms(percentile(embed, 95))}")
    print(f"{'search: FAISS + FTS5 + RRF + rows':<34}{ms(percentile(ours, 50))} {ms(percentile(ours, 95))}")
    print(f"{'search baseline: NumPy + LIKE':<34}{ms(percentile(base, 50))} {ms(percentile(base, 95))}")
    print(f"{'end to end (embedding + search)':<34}{ms(percentile(total, 50))} {ms(percentile(total, 95))}")
    print(f"search speed-up over the baseline, p50: {percentile(base, 50) / percentile(ours, 50):.1f}x")


def faiss_ids(index):
    import faiss

    return faiss.vector_to_array(index.index.id_map)


if __name__ == "__main__":
    main()
