"""Hybrid retrieval: FAISS cosine similarity and SQLite FTS5 keyword search, fused by
reciprocal rank (RRF).

Embeddings find incidents that mean the same thing in other words; FTS5 finds the exact
tokens embeddings blur: error codes, service and host names. RRF adds 1/(K + rank) from each
list, so an incident near the top of both wins, and one found by only one list still ranks.
`score` is the fused value scaled so that first in both lists = 1.0; `similarity` keeps the
cosine similarity, which says how close the best match really is (the answer confidence
uses it)."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Collection, Iterable

import numpy as np

from pipeline.serve.embed import Embedder, get_embedder
from pipeline.serve.index import VectorIndex, load_index
from storage import Database

# The background catch-up: the index rebuild, niced below the answering process.
CATCH_UP = "import os, sys; os.nice(10); from pipeline.cli import main; main(['index', '--db', sys.argv[1]])"

# The usual RRF constant: damps the difference between neighbouring ranks, so neither list
# dominates on a small corpus.
RRF_K = 60
CANDIDATES = 50

# Function words carry no evidence for keyword search but match nearly every document
# ("what fixed it last time?"); BM25 on short documents would still rank by them.
STOPWORDS = frozenset(
    """a about after again all am an and any are as at be been before being but by can could
    did do does doing down during each few for from had has have having he her here how i if
    in into is it its just last me more most my no not now of off on once only or other our
    out over same she should so some such than that the their them then there these they this
    those time to too under until up very was we were what when where which while who why will
    with would you your again seeing see saw getting got happened happening anyone know""".split()
)


def keyword_query(query: str) -> str:
    """The query without function words, for FTS5."""
    words = re.findall(r"[\w][\w.\-]*", query)
    kept = [w for w in words if w.lower() not in STOPWORDS]
    return " ".join(kept or words)


# "What fixed the last ledger-db outage?", "what happened last time?": the asker wants the most
# recent of equally good matches, not whichever of them happened to rank first.
ASKS_FOR_LATEST = re.compile(r"\b(?:last|latest|most recent|previous|prior)\b", re.I)
# Fused scores closer than this are the same evidence (one rank apart in one list of the
# fusion is 1/61 against 1/62: 1.6%); a clearly better match is never passed over for a newer one.
TIED = 0.02


@dataclass
class Hit:
    incident: dict
    score: float
    similarity: float | None
    vector_rank: int | None
    keyword_rank: int | None

    def summary(self) -> dict:
        """The `similar --json` shape."""
        row = self.incident
        return {
            "source_id": row["source_id"],
            "incident_title": row.get("incident_title") or "",
            "date": row.get("date") or "",
            "url": row.get("url") or "",
            "score": round(self.score, 4),
        }


@dataclass
class Fused:
    score: float = 0.0  # the sum of 1/(RRF_K + rank) over the lists that found it
    similarity: float | None = None  # cosine, where the vector list found it
    vector_rank: int | None = None
    keyword_rank: int | None = None
    keyword_share: float = 0.0  # its keyword score as a share of the best keyword hit's


def fuse(vector_hits: list[tuple[int, float]], keyword_hits: list[tuple[int, float]],
         exclude: Collection[int] = ()) -> dict[int, Fused]:
    """Reciprocal-rank fusion of (id, cosine) and (id, bm25) lists, best first. Equal fused
    scores (first by meaning and second by keywords, or the other way round) go to the one
    further ahead in its lists, not to whichever list was read first."""
    fused: dict[int, Fused] = {}
    for which, hits in (("vector", vector_hits), ("keyword", keyword_hits)):
        rank = 0
        for incident_id, value in hits:
            if incident_id in exclude:
                continue
            rank += 1
            f = fused.setdefault(incident_id, Fused())
            f.score += 1.0 / (RRF_K + rank)
            if which == "vector":
                f.similarity, f.vector_rank = value, rank
            else:
                # bm25 is negative, best first: the share is in (0, 1].
                f.keyword_rank, f.keyword_share = rank, (value / hits[0][1] if hits[0][1] else 0.0)
    order = sorted(fused, key=lambda i: (-fused[i].score, -((fused[i].similarity or 0.0) + fused[i].keyword_share)))
    return {i: fused[i] for i in order}


def latest_first(hits: list["Hit"]) -> list["Hit"]:
    """The hits tied with the best (within TIED) newest first, by their dates (undated last);
    the rest keep their order."""
    if not hits:
        return hits
    tied = [h for h in hits if h.score >= hits[0].score * (1 - TIED)]
    tied.sort(key=lambda h: h.incident.get("date") or "", reverse=True)
    return tied + [h for h in hits if h not in tied]


def best_similarity(hits: Iterable[Hit]) -> float:
    """The closest hit's cosine similarity (0.0 for none): what the match threshold is held to."""
    return max((h.similarity or 0.0 for h in hits), default=0.0)


class Retriever:
    def __init__(
        self,
        db: Database,
        *,
        embedder: Embedder | None = None,
        index: VectorIndex | None = None,
        candidates: int = CANDIDATES,
    ):
        self.db = db
        self.index = index or load_index(db)
        self.embedder = embedder or get_embedder(self.index.embedder_name)
        self.candidates = candidates
        self._catching_up: subprocess.Popen | None = None

    def refresh(self) -> bool:
        """Pick up an index another process (a sync job, a catch-up) rebuilt: True if
        reloaded. An index behind the database (incidents stored without a rebuild) is
        brought up to date by a background process, never in the caller's: answering goes on
        with the index it has, and keyword search (FTS5, always current) finds the incidents
        stored since."""
        if self.index.is_stale():
            self.index = load_index(self.db)
            return True
        if not self.index.matches(self.db):
            self.catch_up()
        return False

    def catch_up(self) -> subprocess.Popen:
        """Start (or return the running) `postmortem index` for this database, at low CPU
        priority: measured while a 300-document extract ran, embedding in a thread of the
        answering process made a question's own embedding wait up to 28 s."""
        if self._catching_up is None or self._catching_up.poll() is not None:
            self._catching_up = subprocess.Popen(
                [sys.executable, "-c", CATCH_UP, str(self.db.path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # outlives a one-shot `ask`, so the next one finds it done
            )
        return self._catching_up

    def search(
        self,
        query: str,
        k: int = 3,
        exclude_ids: Iterable[int] = (),
        query_vector: np.ndarray | None = None,
        sources: Collection[str] | None = None,
    ) -> list[Hit]:
        """Top-k incidents for `query`. `query_vector`: its embedding, when already computed.
        `sources`: only incidents of these sources are candidates (None: all). Both lists are
        restricted before ranking, so an incident the asker may not see never takes a slot. A
        question about the last time puts the newest of the tied best matches first."""
        exclude = set(exclude_ids)
        want = self.candidates + len(exclude)
        if query_vector is None:
            query_vector = self.embedder.encode([query])[0]
        only_ids = None if sources is None else self.db.incident_ids(sources)
        vector_hits = self.index.search(query_vector, want, only_ids=only_ids)
        keyword_hits = self.db.keyword_search(keyword_query(query), limit=want, sources=sources)

        fused = fuse(vector_hits, keyword_hits, exclude)
        best = list(fused)
        top = 2.0 / (RRF_K + 1)
        hits = []
        for incident_id, row in self._live_rows(best, k):
            if sources is not None and row["source"] not in sources:
                continue  # stored after the id list was read: still not the asker's to see
            hits.append(
                Hit(
                    incident=row,
                    score=fused[incident_id].score / top,
                    similarity=fused[incident_id].similarity
                    # found by keywords only: still say how close it is in meaning
                    or self.index.similarity(query_vector, incident_id),
                    vector_rank=fused[incident_id].vector_rank,
                    keyword_rank=fused[incident_id].keyword_rank,
                )
            )
            if len(hits) == k:
                break
        return latest_first(hits) if ASKS_FOR_LATEST.search(query) else hits

    def _live_rows(self, ranked: list[int], k: int):
        """(id, row) in rank order, fetched a few at a time. The index can lag the database
        by one sync, so incidents deleted since are skipped."""
        for start in range(0, len(ranked), 2 * k):
            chunk = ranked[start : start + 2 * k]
            rows = self.db.incidents_by_ids(chunk)
            for incident_id in chunk:
                row = rows.get(incident_id)
                if row is not None and not row.get("deleted"):
                    yield incident_id, row
