"""Evidence features: the numbers the status model decides from.

Each feature describes how strong a practice's best candidate passages are as evidence. The set
was chosen on the labelled sample QMS by cross-validated macro-F1 (eval/README.md, "How the
status model was chosen"); features that measured no gain there were dropped:

- ``terms_dense``: similarity of the best passage that mentions every concept the practice
  requires (its evidence terms): a passage about the right topic but the wrong object (records
  for user data, production suppliers for software suppliers) does not count;
- ``dense_top3``: mean similarity of the three best passages;
- ``keyword_coverage``: share of the practice's key terms found in its three best passages;
- ``deferral``: the best passages admit that something is not in place ("TBD", "under
  preparation", "no process yet");
- ``supporting_documents``: how many documents the three best passages come from (evidence
  spread thinly over many documents is typical of a practice no document is about);
- ``exclusivity``: how much better this practice explains its best passages than any other
  practice does (negative for a decoy that is another practice's evidence);
- ``clause_support``: mean ``dense_top3`` of the other practices of the same clause (a process
  is usually documented as a whole, or not at all).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qmsgap.mapping.embedders import Vectors
from qmsgap.mapping.index import CorpusIndex
from qmsgap.mapping.queries import PracticeQueries
from qmsgap.mapping.terms import TermMatcher, Tokens

_EXCLUSIVITY_ROWS = 3
_TERMS_SEARCH = 20
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

    def __init__(self, index: CorpusIndex, aspect_min_score: float) -> None:
        self.index = index
        self.aspect_min_score = aspect_min_score
        self.matcher = TermMatcher()
        self._tokens: dict[int, Tokens] = {}
        self._all_terms: dict[tuple[str, int], bool] = {}

    def tokens(self, row: int) -> Tokens:
        found = self._tokens.get(row)
        if found is None:
            found = self.matcher.tokens(self.index.passages[row].passage.text)
            self._tokens[row] = found
        return found

    def mentions_all_terms(self, pq: PracticeQueries, row: int) -> bool:
        """Whether the passage at ``row`` mentions every evidence-term group of the practice."""
        key = (pq.practice.id, row)
        found = self._all_terms.get(key)
        if found is None:
            groups = pq.practice.evidence_terms
            found = bool(groups) and self.matcher.satisfied(groups, self.tokens(row)) == len(groups)
            self._all_terms[key] = found
        return found

    def practice(
        self,
        pq: PracticeQueries,
        ranked: Sequence[Ranked],
        hits_of: dict[str, list[tuple[int, float]]],
    ) -> tuple[dict[str, float], list[str]]:
        """The per-practice features and the expected-evidence items not found (for guidance).

        ``exclusivity`` and ``clause_support`` need every practice and are added by
        :meth:`add_cross_practice`.
        """
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
        if pq.practice.evidence_terms:
            on_topic = [
                c.dense for c in ranked[:_TERMS_SEARCH] if self.mentions_all_terms(pq, c.row)
            ]
            terms_dense = max(on_topic, default=0.0)
        else:  # a catalog without evidence terms: the concept check cannot be made
            terms_dense = dense_sorted[0] if dense_sorted else 0.0
        passages = self.index.passages
        features = {
            "terms_dense": terms_dense,
            "dense_top3": float(np.mean(dense_sorted[:3])) if dense_sorted else 0.0,
            "keyword_coverage": found / len(pq.keywords) if pq.keywords else 0.0,
            "deferral": float(any(_DEFERRAL.search(passages[c.row].passage.text) for c in top)),
            "supporting_documents": len({passages[c.row].document_path for c in top}) / 3.0,
        }
        return features, missing

    def add_cross_practice(
        self,
        practices: Sequence[PracticeQueries],
        ranked: Sequence[Sequence[Ranked]],
        features: Sequence[dict[str, float]],
        query_vectors: Vectors,
        query_row: dict[str, int],
    ) -> None:
        """Add ``exclusivity`` and ``clause_support`` to every practice's features."""
        margins = self._exclusivity(practices, ranked, query_vectors, query_row)
        by_clause: dict[str, list[float]] = {}
        for pq, feats in zip(practices, features, strict=True):
            by_clause.setdefault(pq.clause.id, []).append(feats["dense_top3"])
        for pq, feats, margin in zip(practices, features, margins, strict=True):
            siblings = by_clause[pq.clause.id]
            others = sum(siblings) - feats["dense_top3"]
            feats["exclusivity"] = margin
            feats["clause_support"] = (
                others / (len(siblings) - 1) if len(siblings) > 1 else feats["dense_top3"]
            )

    def _exclusivity(
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
        ordered = np.sort(per_practice, axis=0)
        first, second = ordered[-1], ordered[-2]
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
