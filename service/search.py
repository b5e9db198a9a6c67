"""Passage search over a workspace's parsed documents, for reviewers who attach a passage the
engine missed: the engine's own dense (FAISS) and lexical (BM25) indexes, fused as retrieval
fuses them. Vectors come from the engine's embedding cache (the analysis embedded them), so a
search embeds only the query. Indexes are kept for the few most recent document sets."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from qmsgap.ingest.models import ParsedDocument, Passage
from qmsgap.mapping.embedders import Embedder
from qmsgap.mapping.index import CorpusIndex

_LEXICAL_WEIGHT = 0.15
_POOL = 50


@dataclass(frozen=True)
class Hit:
    passage: Passage
    document_path: str
    score: float


class PassageSearch:
    """Options: the embedder (the engine's caching one) and how many indexes to keep."""

    def __init__(self, embedder: Embedder, keep: int = 4) -> None:
        self.embedder = embedder
        self.keep = keep
        self._indexes: OrderedDict[tuple[str, ...], CorpusIndex] = OrderedDict()
        self._lock = threading.Lock()

    def _index(self, documents: Sequence[ParsedDocument]) -> CorpusIndex:
        key = tuple(sorted(d.document_id for d in documents))
        with self._lock:
            found = self._indexes.get(key)
            if found is not None:
                self._indexes.move_to_end(key)
                return found
        index = CorpusIndex.build(documents, self.embedder)
        with self._lock:
            self._indexes[key] = index
            while len(self._indexes) > self.keep:
                self._indexes.popitem(last=False)
        return index

    def search(self, documents: Sequence[ParsedDocument], query: str, limit: int) -> list[Hit]:
        """The ``limit`` best passages for ``query``, best first.

        Raises:
            ModelUnavailable: the embedding model is needed but cannot be loaded.
        """
        if not documents or not any(d.passages for d in documents):
            return []
        index = self._index(documents)
        vector = self.embedder.embed_batch([query])
        dense = dict(index.dense_search(vector, _POOL)[0])
        bm25 = index.lexical.scores(query)
        top = float(bm25.max()) if bm25.size else 0.0
        rows = set(dense)
        if top > 0:
            rows |= {int(r) for r in bm25.argsort()[::-1][:_POOL] if bm25[r] > 0}
        scored = [
            (
                max(dense.get(row, 0.0), 0.0)
                + (_LEXICAL_WEIGHT * float(bm25[row]) / top if top > 0 else 0.0),
                row,
            )
            for row in rows
        ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [
            Hit(
                index.passages[row].passage,
                index.passages[row].document_path,
                round(min(max(score, 0.0), 1.0), 4),
            )
            for score, row in scored[:limit]
        ]
