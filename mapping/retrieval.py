"""Retrieval: for every practice, the passages that could be its evidence, best first.

Dense (FAISS) and lexical (BM25) hits are fused per passage; structural signals add to them:
a passage that cites a standard clause which the crosswalks route to this practice, a document
whose title names the practice's process (a "Change Control Procedure" for change request
management), a passage that mentions every concept the practice requires (its evidence terms).
Front matter and revision histories are ranked down: they mention topics without being
evidence of them. The features the status model decides from come from
:mod:`qmsgap.mapping.features`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qmsgap.mapping.embedders import Embedder, Vectors
from qmsgap.mapping.features import FeatureExtractor, Ranked
from qmsgap.mapping.index import CorpusIndex
from qmsgap.mapping.queries import PracticeQueries

#: Maps a passage text to the catalog ids (practice or clause) its citations route to.
CitationRouter = Callable[[str], set[str]]


@dataclass(frozen=True)
class RetrievalOptions:
    """How candidates are gathered and ranked (chosen on the gold set: see eval/)."""

    pool: int = 40
    lexical_weight: float = 0.8
    title_weight: float = 0.10
    title_floor: float = 0.5
    citation_bonus: float = 0.05
    terms_bonus: float = 0.3
    boilerplate_penalty: float = 0.15
    same_document_penalty: float = 0.03


@dataclass
class Candidate:
    """One passage considered as evidence for one practice."""

    row: int
    dense: float
    lexical: float
    bonus: float = 0.0
    concepts: float = 0.0
    """Bonus for naming every required concept; it orders evidence but stays out of the
    features (``terms_dense`` measures it once)."""
    signals: list[str] = field(default_factory=list)

    @property
    def fused(self) -> float:
        return self.dense + self.lexical + self.bonus + self.concepts

    @property
    def plain(self) -> float:
        """The fused score without the concept bonus."""
        return self.dense + self.lexical + self.bonus


@dataclass
class PracticeRetrieval:
    """What retrieval found for one practice."""

    queries: PracticeQueries
    candidates: list[Candidate]
    features: dict[str, float]
    signals: list[str]
    missing_aspects: list[str]


class Retriever:
    """Runs every practice's queries against one corpus index."""

    def __init__(
        self,
        index: CorpusIndex,
        embedder: Embedder,
        *,
        options: RetrievalOptions | None = None,
        citation_router: CitationRouter | None = None,
        aspect_min_score: float = 0.45,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.options = options or RetrievalOptions()
        self.aspect_min_score = aspect_min_score
        self._citations = (
            [citation_router(p.passage.text) for p in index.passages]
            if citation_router
            else [set() for _ in index.passages]
        )
        self._doc_titles = sorted({p.document_title for p in index.passages})
        self._title_sim: dict[tuple[str, str], float] = {}

    def run(self, practices: Sequence[PracticeQueries]) -> list[PracticeRetrieval]:
        """Retrieve for all practices at once (one embedding batch, one FAISS search)."""
        texts = list(dict.fromkeys(q for pq in practices for q in pq.dense))
        clause_titles = sorted({pq.clause.title for pq in practices})
        vectors = self.embedder.embed_batch(texts + self._doc_titles + clause_titles)
        query_vectors = vectors[: len(texts)]
        self._title_sim = _similarities(
            self._doc_titles,
            vectors[len(texts) : len(texts) + len(self._doc_titles)],
            clause_titles,
            vectors[len(texts) + len(self._doc_titles) :],
        )
        hits = self.index.dense_search(query_vectors, self.options.pool)
        hits_of = dict(zip(texts, hits, strict=True))
        extractor = FeatureExtractor(self.index, self.aspect_min_score)
        results = []
        plain_rankings = []
        for pq in practices:
            candidates = self._candidates(pq, hits_of, extractor)
            plain = [Ranked(c.row, c.dense) for c in sorted(candidates, key=_by_plain)]
            features, missing = extractor.practice(pq, plain, hits_of)
            signals = list(dict.fromkeys(s for c in candidates[:3] for s in c.signals))
            results.append(PracticeRetrieval(pq, candidates, features, signals, missing))
            plain_rankings.append(plain)
        extractor.add_cross_practice(
            practices,
            plain_rankings,
            [r.features for r in results],
            query_vectors,
            {text: i for i, text in enumerate(texts)},
        )
        return results

    def _candidates(
        self,
        pq: PracticeQueries,
        hits_of: dict[str, list[tuple[int, float]]],
        extractor: FeatureExtractor,
    ) -> list[Candidate]:
        """The practice's candidates, fused and ranked best first."""
        opts = self.options
        dense: dict[int, float] = {}
        for query in pq.dense:
            for row, score in hits_of[query]:
                dense[row] = max(dense.get(row, -1.0), score)
        bm25 = self.index.lexical.scores(pq.lexical)
        top_bm25 = float(bm25.max()) if bm25.size else 0.0
        lexical_rows = np.argsort(-bm25)[: opts.pool].tolist() if top_bm25 > 0 else []
        rows = set(dense) | {int(r) for r in lexical_rows if bm25[r] > 0}
        targets = {pq.practice.id, pq.clause.id}
        candidates = []
        for row in rows:
            passage = self.index.passages[row]
            cand = Candidate(
                row=row,
                dense=max(dense.get(row, 0.0), 0.0),
                lexical=opts.lexical_weight * (float(bm25[row]) / top_bm25 if top_bm25 else 0.0),
            )
            if passage.boilerplate:
                cand.bonus -= opts.boilerplate_penalty
                cand.signals.append("front matter or revision history")
            tsim = self._title_sim.get((passage.document_title, pq.clause.title), 0.0)
            if tsim > opts.title_floor:
                cand.bonus += opts.title_weight * (tsim - opts.title_floor) / (1 - opts.title_floor)
                cand.signals.append(f"document title: {passage.document_title}")
            if self._citations[row] & targets:
                cand.bonus += opts.citation_bonus
                cand.signals.append("cites a standard clause routed here by the crosswalks")
            if opts.terms_bonus and extractor.mentions_all_terms(pq, row):
                cand.concepts = opts.terms_bonus
            candidates.append(cand)
        candidates.sort(key=lambda c: (-c.fused, c.row))
        return self._diverse(candidates)

    def _diverse(self, candidates: list[Candidate]) -> list[Candidate]:
        """Drop candidates whose span overlaps a better candidate of the same document, and
        rank each further passage of an already cited document a little lower, so the first
        items come from the different documents that address the practice."""
        kept: list[Candidate] = []
        spans: dict[str, list[tuple[int, int]]] = {}
        for cand in candidates:
            p = self.index.passages[cand.row].passage
            taken = spans.setdefault(p.document_id, [])
            if any(p.start < end and start < p.end for start, end in taken):
                continue
            cand.bonus -= self.options.same_document_penalty * len(taken)
            taken.append((p.start, p.end))
            kept.append(cand)
        kept.sort(key=lambda c: (-c.fused, c.row))
        return kept


def _by_plain(candidate: Candidate) -> tuple[float, int]:
    return (-candidate.plain, candidate.row)


def _similarities(
    docs: list[str], doc_vectors: Vectors, clauses: list[str], clause_vectors: Vectors
) -> dict[tuple[str, str], float]:
    """Cosine of every (document title, clause title) pair."""
    if not len(doc_vectors) or not len(clause_vectors):
        return {}
    sims = np.asarray(doc_vectors @ clause_vectors.T)
    return {
        (doc, clause): float(sims[i, j])
        for i, doc in enumerate(docs)
        for j, clause in enumerate(clauses)
    }
