"""The corpus index: every passage of an analysis, searchable densely (FAISS) and lexically (BM25).

Passages are embedded with a short context header (document title and section path) in front
of their text, because "7.5.3 Control of documented information" tells the model as much as the
sentences under it. The FAISS index is saved per corpus (atomically: temp file + rename) and on
the next analysis only passages that are new are embedded and added; passages of documents that
were removed are dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from qmsgap.files import atomic_path, file_sha256, write_text_atomic
from qmsgap.ingest.models import DocumentKind, ParsedDocument, Passage
from qmsgap.mapping.embedders import Embedder, Vectors, embedder_id

_MANIFEST = "manifest.json"
_INDEX_FILE = "dense.faiss"
_FORMAT = 1


# Sections that describe the document rather than the process: revision histories, tables of
# contents, distribution lists. They mention every topic a revision touched ("regression
# selection rules added") without being evidence of it.
_BOILERPLATE_SECTION = re.compile(
    r"\b(revision history|revision log|change (log|history|record)|document history|"
    r"history of changes|record of (changes|revisions)|table of contents|contents|"
    r"distribution list|änderungshistorie|änderungsübersicht|inhaltsverzeichnis)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class IndexedPassage:
    """A passage with what retrieval needs to know about its document."""

    passage: Passage
    document_path: str
    document_title: str
    document_kind: DocumentKind
    boilerplate: bool = False
    """Front matter or document-history text: searchable, but weak evidence."""

    @property
    def context(self) -> str:
        """The header embedded in front of the passage text."""
        parts = [self.document_title, *self.passage.section]
        return " > ".join(p for p in parts if p)

    @property
    def embed_text(self) -> str:
        context = self.context
        return f"{context}\n{self.passage.text}" if context else self.passage.text


def indexed_passages(documents: Sequence[ParsedDocument]) -> list[IndexedPassage]:
    """All passages of ``documents`` in a stable order (document path, then ordinal)."""
    out: list[IndexedPassage] = []
    for doc in sorted(documents, key=lambda d: (d.path, d.document_id)):
        title = doc.metadata.title or Path(doc.path).stem.replace("_", " ")
        out.extend(
            IndexedPassage(p, doc.path, title, doc.metadata.kind, _is_boilerplate(p))
            for p in sorted(doc.passages, key=lambda p: p.ordinal)
        )
    return out


def _is_boilerplate(passage: Passage) -> bool:
    """The document's untitled front matter (title block, document-control table) or a
    revision-history / contents section."""
    if not passage.section:
        return passage.ordinal == 0
    return any(_BOILERPLATE_SECTION.search(title) for title in passage.section)


def _faiss() -> Any:
    import faiss

    return faiss


def _stable_id(passage_id: str, embed_text: str) -> int:
    """A positive int64 id that changes when the embedded text changes."""
    digest = hashlib.blake2b(f"{passage_id}\0{embed_text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF


class DenseIndex:
    """Inner-product FAISS index over unit vectors, with ids that survive re-analysis."""

    def __init__(self, dimension: int, threads: int = 2) -> None:
        faiss = _faiss()
        faiss.omp_set_num_threads(threads)
        self.dimension = dimension
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> set[int]:
        faiss = _faiss()
        return set(faiss.vector_to_array(self._index.id_map).tolist())

    def add(self, ids: Sequence[int], vectors: Vectors) -> None:
        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, np.float32), np.asarray(ids, np.int64)
            )

    def reconstruct(self, ids: Sequence[int]) -> Vectors:
        """The stored vectors of ``ids`` (in that order)."""
        if not ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._index.reconstruct_batch(np.asarray(ids, np.int64)), np.float32)

    def remove(self, ids: Sequence[int]) -> None:
        if ids:
            self._index.remove_ids(np.asarray(list(ids), np.int64))

    def search(
        self, queries: Vectors, k: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        k = min(k, self.size)
        if k == 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        scores, ids = self._index.search(np.ascontiguousarray(queries, np.float32), k)
        return scores, ids

    def save(self, path: Path) -> str:
        """Write atomically; returns the sha256 of the written file."""
        faiss = _faiss()
        with atomic_path(path) as tmp:
            faiss.write_index(self._index, str(tmp))
            return file_sha256(tmp)

    @classmethod
    def load(cls, path: Path, dimension: int, threads: int = 2) -> DenseIndex:
        faiss = _faiss()
        faiss.omp_set_num_threads(threads)
        index = cls.__new__(cls)
        index.dimension = dimension
        index._index = faiss.read_index(str(path))
        if index._index.d != dimension:
            raise ValueError(f"saved index has dimension {index._index.d}, expected {dimension}")
        return index


@dataclass
class IndexStats:
    passages: int = 0
    embedded: int = 0
    removed: int = 0
    reused: int = 0
    loaded_from_disk: bool = False


class CorpusIndex:
    """Dense + lexical search over the passages of one analysis."""

    def __init__(
        self,
        passages: list[IndexedPassage],
        dense: DenseIndex,
        ids: list[int],
        lexical: LexicalIndex,
        stats: IndexStats,
    ) -> None:
        self.passages = passages
        self.dense = dense
        self.lexical = lexical
        self.stats = stats
        self._ids = ids
        self._row_of_id = {pid: row for row, pid in enumerate(ids)}

    @classmethod
    def build(
        cls,
        documents: Sequence[ParsedDocument],
        embedder: Embedder,
        *,
        directory: Path | None = None,
        threads: int = 2,
    ) -> CorpusIndex:
        """Index ``documents``, reusing the index saved in ``directory`` when there is one.

        Only passages whose (id, embedded text) is not in the saved index are embedded.
        Raises ModelUnavailable (from the embedder) when new passages need a model that
        cannot be loaded.
        """
        passages = indexed_passages(documents)
        ids = [_stable_id(p.passage.id, p.embed_text) for p in passages]
        stats = IndexStats(passages=len(passages))
        model = embedder_id(embedder)
        dense = _load_saved(directory, model, threads) if directory else None
        if dense is not None:
            stats.loaded_from_disk = True
            wanted = set(ids)
            stale = [i for i in dense.ids() if i not in wanted]
            dense.remove(stale)
            stats.removed = len(stale)
            present = dense.ids()
        else:
            present = set()
        todo = [(i, p) for i, p in zip(ids, passages, strict=True) if i not in present]
        stats.reused = len(passages) - len(todo)
        if todo:
            vectors = embedder.embed_batch([p.embed_text for _, p in todo])
            if dense is None:
                dense = DenseIndex(vectors.shape[1], threads)
            dense.add([i for i, _ in todo], vectors)
            stats.embedded = len(todo)
        if dense is None:  # nothing to index at all
            dense = DenseIndex(_probe_dimension(embedder), threads)
        if directory is not None and (todo or stats.removed or not stats.loaded_from_disk):
            _save(directory, dense, model)
        lexical = LexicalIndex([p.embed_text for p in passages])
        return cls(passages, dense, ids, lexical, stats)

    def vectors(self, rows: Sequence[int]) -> Vectors:
        """The embeddings of the passages at ``rows``."""
        return self.dense.reconstruct([self._ids[row] for row in rows])

    def dense_search(self, queries: Vectors, k: int) -> list[list[tuple[int, float]]]:
        """For each query vector, ``(passage row, cosine)`` best first."""
        scores, ids = self.dense.search(queries, k)
        out: list[list[tuple[int, float]]] = []
        for row_scores, row_ids in zip(scores, ids, strict=True):
            hits = [
                (self._row_of_id[int(i)], float(s))
                for s, i in zip(row_scores, row_ids, strict=True)
                if int(i) in self._row_of_id
            ]
            out.append(hits)
        return out


def _probe_dimension(embedder: Embedder) -> int:
    return int(embedder.embed_batch(["dimension probe"]).shape[1])


def _load_saved(directory: Path, model: str, threads: int) -> DenseIndex | None:
    """The saved index if its manifest matches this model and its checksum; else None."""
    manifest_path = directory / _MANIFEST
    index_path = directory / _INDEX_FILE
    try:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != _FORMAT or manifest.get("model") != model:
            return None
        if file_sha256(index_path) != manifest.get("sha256"):
            return None
        return DenseIndex.load(index_path, int(manifest["dimension"]), threads)
    except (OSError, ValueError, KeyError, RuntimeError):
        return None  # absent or damaged: rebuilt from the embedding cache


def _save(directory: Path, dense: DenseIndex, model: str) -> None:
    checksum = dense.save(directory / _INDEX_FILE)
    manifest = {
        "format": _FORMAT,
        "model": model,
        "dimension": dense.dimension,
        "size": dense.size,
        "sha256": checksum,
    }
    write_text_atomic(directory / _MANIFEST, json.dumps(manifest))


class LexicalIndex:
    """BM25 (bm25s, Lucene variant) over stemmed English tokens."""

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s
        import Stemmer

        # bm25s sets its own logger to DEBUG on import; keep its chatter out of our output.
        logging.getLogger("bm25s").setLevel(logging.WARNING)

        self._stemmer = Stemmer.Stemmer("english")
        self._bm25s = bm25s
        self.size = len(texts)
        self._retriever = bm25s.BM25()
        if texts:
            tokens = bm25s.tokenize(
                list(texts), stopwords="en", stemmer=self._stemmer.stemWords, show_progress=False
            )
            self._retriever.index(tokens, show_progress=False)

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """BM25 score of every passage for ``query`` (zeros when nothing matches)."""
        if self.size == 0:
            return np.zeros(0, dtype=np.float32)
        tokens = self._bm25s.tokenize(
            [query],
            stopwords="en",
            stemmer=self._stemmer.stemWords,
            return_ids=False,
            show_progress=False,
        )[0]
        vocab = self._retriever.vocab_dict
        known = [t for t in tokens if t in vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)
