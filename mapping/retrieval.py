"""Retrieval: for every practice, the passages that could be its evidence, and the features
that say how strong that evidence is.

Dense (FAISS) and lexical (BM25) hits are fused per passage; structural signals add to them:
a passage that cites a standard clause which the crosswalks route to this practice, and a
document whose title names the practice's process (a "Change Control Procedure" for change
request management).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qmsgap.mapping.embedders import Embedder, Vectors
from qmsgap.mapping.index import CorpusIndex
from qmsgap.mapping.queries import PracticeQueries

#: Maps a passage text to the catalog ids (practice or clause) its citations route to.
CitationRouter = Callable[[str], set[str]]

_TOKEN = re.compile(r"[a-z0-9]+")
_BM25_SATURATION = 10.0
# Words with which documents admit that something is not (yet) in place: an auditor reads
# "rollback: TBD" or "qualification is under preparation" as a weakness, not as evidence.
_DEFERRAL = re.compile(
    r"\b(?:TBD|TBC|to be (?:defined|determined|clarified|decided)|not yet|under preparation|"
    r"in preparation|no process yet|planned for \d{4}|will be (?:defined|introduced|established)|"
    r"open point|open issue|is open|are open|status: open|not (?:covered|addressed|in scope)|"
    r"out of scope|left to the (?:OEM|customer)|not (?:applicable|required) (?:for|to) us)\b",
    re.IGNORECASE,
)
_EXCLUSIVITY_ROWS = 3


@dataclass(frozen=True)
class RetrievalOptions:
    pool: int = 40
    lexical_weight: float = 0.15
    title_weight: float = 0.10
    title_floor: float = 0.5
    citation_bonus: float = 0.05
    boilerplate_penalty: float = 0.15
    keyword_passages: int = 3


@dataclass
class Candidate:
    """One passage considered as evidence for one practice."""

    row: int
    dense: float
    lexical: float
    bonus: float = 0.0
    signals: list[str] = field(default_factory=list)

    @property
    def fused(self) -> float:
        return self.dense + self.lexical + self.bonus


@dataclass
class PracticeRetrieval:
    """What retrieval found for one practice."""

    queries: PracticeQueries
    candidates: list[Candidate]
    features: dict[str, float]
    signals: list[str]
    missing_aspects: list[str]


class _Stems:
    """Stemmed token lists, cached per passage row and per phrase."""

    def __init__(self) -> None:
        import Stemmer

        self._stem = Stemmer.Stemmer("english").stemWords
        self._cache: dict[str, tuple[str, ...]] = {}

    def __call__(self, text: str) -> tuple[str, ...]:
        found = self._cache.get(text)
        if found is None:
            found = tuple(self._stem(_TOKEN.findall(text.lower())))
            self._cache[text] = found
        return found


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    if not needle or len(needle) > len(haystack):
        return False
    first = needle[0]
    return any(
        haystack[i] == first and haystack[i : i + len(needle)] == needle
        for i in range(len(haystack) - len(needle) + 1)
    )


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
        self._stems = _Stems()
        self._citations = self._route_citations(citation_router)
        self._doc_titles = sorted({p.document_title for p in index.passages})

    def _route_citations(self, router: CitationRouter | None) -> list[set[str]]:
        if router is None:
            return [set() for _ in self.index.passages]
        return [router(p.passage.text) for p in self.index.passages]

    def run(self, practices: Sequence[PracticeQueries]) -> list[PracticeRetrieval]:
        """Retrieve for all practices at once (one embedding batch, one FAISS search)."""
        texts = list(dict.fromkeys(q for pq in practices for q in pq.dense))
        self._query_row = {text: i for i, text in enumerate(texts)}
        clause_titles = sorted({pq.clause.title for pq in practices})
        vectors = self.embedder.embed_batch(texts + self._doc_titles + clause_titles)
        query_vectors = vectors[: len(texts)]
        title_sim = self._title_similarity(
            vectors[len(texts) : len(texts) + len(self._doc_titles)],
            vectors[len(texts) + len(self._doc_titles) :],
            clause_titles,
        )
        hits = self.index.dense_search(query_vectors, self.options.pool)
        hits_of = dict(zip(texts, hits, strict=True))
        results = [self._one(pq, hits_of, title_sim) for pq in practices]
        self._add_exclusivity(results, query_vectors)
        return results

    def _add_exclusivity(self, results: list[PracticeRetrieval], query_vectors: Vectors) -> None:
        """How much better each practice explains its best passages than any other practice.

        A calibration procedure is the best text the corpus has for "tool validation", but it
        is explained far better by "calibration of test equipment": a negative margin tells the
        status model that the passage is another practice's evidence (a decoy).
        """
        rows = sorted({c.row for r in results for c in r.candidates[:_EXCLUSIVITY_ROWS]})
        if not rows:
            for r in results:
                r.features["exclusivity"] = 0.0
            return
        column = {row: i for i, row in enumerate(rows)}
        sims = np.asarray(query_vectors @ self.index.vectors(rows).T)  # (queries, rows)
        per_practice = np.stack(
            [sims[[self._query_row[q] for q in r.queries.dense]].max(axis=0) for r in results]
        )  # (practices, rows): each practice's best query score on each row
        best_two = np.sort(per_practice, axis=0)[-2:] if len(results) > 1 else None
        for i, result in enumerate(results):
            margins = []
            for cand in result.candidates[:_EXCLUSIVITY_ROWS]:
                j = column[cand.row]
                own = per_practice[i, j]
                if best_two is None:
                    margins.append(0.0)
                    continue
                other = best_two[0, j] if own >= best_two[1, j] else best_two[1, j]
                margins.append(float(own - other))
            result.features["exclusivity"] = max(margins, default=0.0)

    def _title_similarity(
        self, doc_vectors: Vectors, clause_vectors: Vectors, clause_titles: list[str]
    ) -> dict[tuple[str, str], float]:
        if not len(doc_vectors) or not len(clause_vectors):
            return {}
        sims = np.asarray(doc_vectors @ clause_vectors.T)
        return {
            (doc, clause): float(sims[i, j])
            for i, doc in enumerate(self._doc_titles)
            for j, clause in enumerate(clause_titles)
        }

    def _one(
        self,
        pq: PracticeQueries,
        hits_of: dict[str, list[tuple[int, float]]],
        title_sim: dict[tuple[str, str], float],
    ) -> PracticeRetrieval:
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
            tsim = title_sim.get((passage.document_title, pq.clause.title), 0.0)
            if tsim > opts.title_floor:
                cand.bonus += opts.title_weight * (tsim - opts.title_floor) / (1 - opts.title_floor)
                cand.signals.append(f"document title: {passage.document_title}")
            if self._citations[row] & targets:
                cand.bonus += opts.citation_bonus
                cand.signals.append("cites a standard clause routed here by the crosswalks")
            candidates.append(cand)
        candidates.sort(key=lambda c: (-c.fused, c.row))
        candidates = self._diverse(candidates)
        features, missing = self._features(pq, candidates, hits_of, title_sim, top_bm25)
        signals = list(dict.fromkeys(s for c in candidates[:3] for s in c.signals))
        return PracticeRetrieval(pq, candidates, features, signals, missing)

    def _diverse(self, candidates: list[Candidate]) -> list[Candidate]:
        """Drop candidates whose span overlaps a better candidate of the same document."""
        kept: list[Candidate] = []
        spans: dict[str, list[tuple[int, int]]] = {}
        for cand in candidates:
            p = self.index.passages[cand.row].passage
            taken = spans.setdefault(p.document_id, [])
            if any(p.start < end and start < p.end for start, end in taken):
                continue
            taken.append((p.start, p.end))
            kept.append(cand)
        return kept

    def _features(
        self,
        pq: PracticeQueries,
        candidates: list[Candidate],
        hits_of: dict[str, list[tuple[int, float]]],
        title_sim: dict[tuple[str, str], float],
        top_bm25: float,
    ) -> tuple[dict[str, float], list[str]]:
        top = candidates[:3]
        dense_sorted = sorted((c.dense for c in candidates), reverse=True)
        stems = [self._stems(self.index.passages[c.row].passage.text) for c in top]
        keywords = [self._stems(k) for k in pq.keywords]
        found = sum(1 for k in keywords if any(_contains(s, k) for s in stems))
        aspect_best = {
            aspect: max((score for _, score in hits_of[query]), default=0.0)
            for aspect, query in pq.aspects
        }
        missing = [a for a, s in aspect_best.items() if s < self.aspect_min_score]
        part_best = [
            max((score for _, score in hits_of[part]), default=0.0) for part in pq.requirement_parts
        ] or [dense_sorted[0] if dense_sorted else 0.0]
        documents = {self.index.passages[c.row].document_path for c in top}
        tail = dense_sorted[5:15]
        features = {
            "dense_top1": dense_sorted[0] if dense_sorted else 0.0,
            "dense_top3": float(np.mean(dense_sorted[:3])) if dense_sorted else 0.0,
            "lexical_top1": top_bm25 / (top_bm25 + _BM25_SATURATION),
            "keyword_coverage": found / len(keywords) if keywords else 0.0,
            "aspect_coverage": (float(np.mean(list(aspect_best.values()))) if aspect_best else 0.0),
            "title_prior": max(
                (
                    title_sim.get((self.index.passages[c.row].document_title, pq.clause.title), 0.0)
                    for c in top
                ),
                default=0.0,
            ),
            "citation": float(
                any(self._citations[c.row] & {pq.practice.id, pq.clause.id} for c in candidates[:5])
            ),
            "supporting_documents": len(documents) / 3.0,
            "deferral": float(
                any(_DEFERRAL.search(self.index.passages[c.row].passage.text) for c in top)
            ),
            "peak": (dense_sorted[0] - float(np.mean(tail))) if tail else 0.0,
            "requirement_min": min(part_best),
            "requirement_mean": float(np.mean(part_best)),
        }
        return features, missing
