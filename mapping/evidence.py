"""Evidence: a practice's candidate passages turned into verified quotes.

Every sentence-like segment of a candidate passage is scored against the practice (the best of
its dense queries, plus a little for each key term it contains); the best segment, grown by a
neighbour where that helps, becomes the quote. An item's ``score`` is the passage's cosine
similarity to the practice's best query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

from qmsgap.ingest.models import ParsedDocument
from qmsgap.mapping.embedders import Embedder
from qmsgap.mapping.index import CorpusIndex
from qmsgap.mapping.quotes import Segment, best_span, page_of, segments, verified_quote
from qmsgap.mapping.retrieval import Candidate, PracticeRetrieval
from qmsgap.mapping.schema import Evidence

_KEYWORD_BONUS = 0.05


class EvidenceBuilder:
    """Builds evidence for the practices of one analysis; sentence vectors are made once."""

    def __init__(
        self, index: CorpusIndex, documents: Mapping[str, ParsedDocument], embedder: Embedder
    ) -> None:
        self.index = index
        self.documents = documents
        self.embedder = embedder
        self._segments: dict[int, list[Segment]] = {}
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}

    def prepare(self, retrievals: Iterable[PracticeRetrieval], depth: int) -> None:
        """Embed, in one batch, every sentence the evidence of ``retrievals`` will need
        (one large batch is several times faster than one small batch per practice)."""
        rows: list[int] = []
        queries: list[str] = []
        for found in retrievals:
            rows.extend(c.row for c in found.candidates[:depth])
            queries.extend(found.queries.dense)
        self._prepare(list(dict.fromkeys(rows)), list(dict.fromkeys(queries)))

    def evidence(self, found: PracticeRetrieval, depth: int) -> list[Evidence]:
        """The best ``depth`` candidates as verified evidence, best first."""
        chosen = found.candidates[:depth]
        queries = list(found.queries.dense)
        self._prepare([c.row for c in chosen], queries)
        query_matrix = np.stack([self._vectors[q] for q in queries])
        keywords = [k.lower() for k in found.queries.keywords]
        items: list[Evidence] = []
        for cand in chosen:
            segs = self._segments[cand.row]
            similarity = (np.stack([self._vectors[s.text] for s in segs]) @ query_matrix.T).max(
                axis=1
            )
            bonus = np.array([sum(1 for k in keywords if k in s.text.lower()) for s in segs])
            items.append(self._item(cand, segs, similarity + _KEYWORD_BONUS * bonus))
        return items

    def _prepare(self, rows: list[int], queries: list[str]) -> None:
        texts = [q for q in queries if q not in self._vectors]
        for row in rows:
            if row not in self._segments:
                segs = segments(self.index.passages[row].passage.text)
                self._segments[row] = segs
                texts.extend(s.text for s in segs if s.text not in self._vectors)
        texts = list(dict.fromkeys(texts))
        if texts:
            vectors = self.embedder.embed_batch(texts)
            self._vectors.update(zip(texts, vectors, strict=True))

    def _item(self, cand: Candidate, segs: list[Segment], scores: np.ndarray) -> Evidence:
        passage = self.index.passages[cand.row].passage
        document = self.documents[passage.document_id]
        lo, hi = best_span(segs, scores)
        start, end = passage.start + lo, passage.start + hi
        return Evidence(
            document_id=passage.document_id,
            document=document.path,
            passage_id=passage.id,
            page=page_of(document, passage, start),
            section=list(passage.section),
            quote=verified_quote(document, passage, start, end),
            start=start,
            end=end,
            score=round(min(max(cand.dense, 0.0), 1.0), 4),
        )
