"""Evidence features: the numbers the status model decides from.

Every feature describes how strong the best candidate passages are as evidence for one
practice: how similar they are (dense and lexical), whether they use the practice's key terms
and mention every required concept (evidence terms), whether they admit that something is not
in place ("TBD", "under preparation"), whether another practice explains them better (a decoy),
and structural signals (the document's title names the process; a cited standard clause routes
to the practice).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qmsgap.mapping.embedders import Vectors
from qmsgap.mapping.index import CorpusIndex
from qmsgap.mapping.queries import PracticeQueries
from qmsgap.mapping.terms import TermMatcher, Tokens

_BM25_SATURATION = 10.0
_EXCLUSIVITY_ROWS = 3
_TERMS_ROWS = 5
# Words with which documents admit that something is not (yet) in place: an auditor reads
# "rollback: TBD" or "qualification is under preparation" as a weakness, not as evidence.
_DEFERRAL = re.compile(
    r"\b(?:TBD|TBC|to be (?:defined|determined|clarified|decided)|not yet|under preparation|"
    r"in preparation|no process yet|planned for \d{4}|will be (?:defined|introduced|established)|"
    r"open point|open issue|is open|are open|status: open|not (?:covered|addressed|in scope)|"
    r"out of scope|left to the (?:OEM|customer)|not (?:applicable|required) (?:for|to) us)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Ranked:
    """What the extractor needs of one ranked candidate."""

    row: int
    dense: float


class FeatureExtractor:
    """Computes the features of one analysis; passage tokens are made once."""

    def __init__(
        self,
        index: CorpusIndex,
        citations: Sequence[set[str]],
        title_similarity: Callable[[str, str], float],
        aspect_min_score: float,
    ) -> None:
        self.index = index
        self.citations = citations
        self.title_similarity = title_similarity
        self.aspect_min_score = aspect_min_score
        self.matcher = TermMatcher()
        self._tokens: dict[int, Tokens] = {}

    def tokens(self, row: int) -> Tokens:
        found = self._tokens.get(row)
        if found is None:
            found = self.matcher.tokens(self.index.passages[row].passage.text)
            self._tokens[row] = found
        return found

    def terms_satisfied(self, pq: PracticeQueries, row: int) -> float:
        """Share of the practice's evidence-term groups the passage at ``row`` mentions."""
        groups = pq.practice.evidence_terms
        if not groups:
            return 0.0
        return self.matcher.satisfied(groups, self.tokens(row)) / len(groups)

    def practice(
        self,
        pq: PracticeQueries,
        ranked: Sequence[Ranked],
        hits_of: dict[str, list[tuple[int, float]]],
        top_bm25: float,
    ) -> tuple[dict[str, float], list[str]]:
        """The features of one practice and the expected-evidence items not found."""
        top = ranked[:3]
        dense_sorted = sorted((c.dense for c in ranked), reverse=True)
        found = sum(
            1 for k in pq.keywords if any(self.matcher.matches(k, self.tokens(c.row)) for c in top)
        )
        aspect_best = {
            aspect: max((score for _, score in hits_of[query]), default=0.0)
            for aspect, query in pq.aspects
        }
        missing = [a for a, s in aspect_best.items() if s < self.aspect_min_score]
        terms = [self.terms_satisfied(pq, c.row) for c in ranked[:_TERMS_ROWS]]
        targets = {pq.practice.id, pq.clause.id}
        passages = self.index.passages
        title_prior = max(
            (self.title_similarity(passages[c.row].document_title, pq.clause.title) for c in top),
            default=0.0,
        )
        features = {
            "dense_top1": dense_sorted[0] if dense_sorted else 0.0,
            "dense_top3": float(np.mean(dense_sorted[:3])) if dense_sorted else 0.0,
            "lexical_top1": top_bm25 / (top_bm25 + _BM25_SATURATION),
            "keyword_coverage": found / len(pq.keywords) if pq.keywords else 0.0,
            "aspect_coverage": float(np.mean(list(aspect_best.values()))) if aspect_best else 0.0,
            "title_prior": title_prior,
            "citation": float(any(self.citations[c.row] & targets for c in ranked[:5])),
            "supporting_documents": len({passages[c.row].document_path for c in top}) / 3.0,
            "deferral": float(any(_DEFERRAL.search(passages[c.row].passage.text) for c in top)),
            "terms_fraction": max(terms, default=0.0),
            "terms_all": float(any(t == 1.0 for t in terms)),
        }
        return features, missing

    def exclusivity(
        self,
        practices: Sequence[PracticeQueries],
        ranked: Sequence[Sequence[Ranked]],
        query_vectors: Vectors,
        query_row: dict[str, int],
    ) -> list[float]:
        """For each practice, how much better it explains its best passages than any other
        practice does (the best margin over its first few candidates).

        A calibration procedure is the best text a corpus has for "tool validation", but
        "calibration of test equipment" explains it far better: a negative margin tells the
        status model that the passage is another practice's evidence (a decoy).
        """
        rows = sorted({c.row for r in ranked for c in r[:_EXCLUSIVITY_ROWS]})
        if not rows or len(practices) < 2:
            return [0.0] * len(practices)
        column = {row: i for i, row in enumerate(rows)}
        sims = np.asarray(query_vectors @ self.index.vectors(rows).T)  # (queries, rows)
        per_practice = np.stack(
            [sims[[query_row[q] for q in pq.dense]].max(axis=0) for pq in practices]
        )  # (practices, rows): each practice's best query score on each row
        first, second = np.sort(per_practice, axis=0)[-1], np.sort(per_practice, axis=0)[-2]
        out = []
        for i, candidates in enumerate(ranked):
            margins = []
            for cand in candidates[:_EXCLUSIVITY_ROWS]:
                j = column[cand.row]
                own = per_practice[i, j]
                other = second[j] if own >= first[j] else first[j]
                margins.append(float(own - other))
            out.append(max(margins, default=0.0))
        return out
