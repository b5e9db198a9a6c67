"""Two baselines evaluated side by side with qmsgap, on the same documents and labels.

(a) :class:`BM25Baseline`: lexical retrieval alone (bm25s) over the ingested passages; the
    query is the practice title + requirement + keywords; the status comes from two thresholds
    on the top BM25 score. BM25 scores have no fixed scale, so the thresholds are not guessed:
    they are fitted on training folds of the sample gold set by :func:`cross_fit` (every
    reported status uses thresholds fitted on the OTHER fold), and the thresholds fitted on the
    whole sample set are applied unchanged to the real-documents set.
(b) :class:`NaiveRagBaseline`: what a user builds in an afternoon: LangChain's
    ``RecursiveCharacterTextSplitter(1000, 200)`` over each document, FAISS, the bundled MiniLM,
    the practice title as query, and one fixed a-priori threshold pair on the top cosine
    similarity: covered >= 0.50, partial >= 0.35, else gap (never tuned).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from qmsgap.clauses.models import Catalog, Practice
from qmsgap.errors import ConfigurationError
from qmsgap.eval.metrics import status_scores
from qmsgap.eval.systems import (
    EVIDENCE_K,
    EvidenceHit,
    PracticePrediction,
    Predictions,
    practices_of,
    threshold_confidence,
    threshold_status,
)
from qmsgap.ingest.models import ParsedDocument
from qmsgap.mapping.embedders import Embedder

NAIVE_RAG_THRESHOLDS = (0.50, 0.35)
"""(covered, partial) cosine thresholds of the naive RAG, fixed a priori."""


@dataclass(frozen=True)
class Thresholds:
    """Two cut-offs on a practice score: covered >= ``covered``, partial >= ``partial``."""

    covered: float
    partial: float

    def __post_init__(self) -> None:
        if self.partial > self.covered:
            raise ValueError(f"partial threshold {self.partial} above covered {self.covered}")


def apply_thresholds(predictions: Predictions, thresholds: Thresholds) -> Predictions:
    """The same predictions with status and confidence decided by ``thresholds``."""
    return {
        pid: replace(
            pred,
            status=threshold_status(pred.score, thresholds.covered, thresholds.partial),
            confidence=threshold_confidence(pred.score, thresholds.covered, thresholds.partial),
        )
        for pid, pred in predictions.items()
    }


def fit_thresholds(scores: Mapping[str, float], gold: Mapping[str, str]) -> Thresholds:
    """The threshold pair maximising macro-F1 (then accuracy) on the items of ``gold``.

    Candidate cut-offs are the midpoints between consecutive distinct scores (plus one below
    the lowest and one above the highest). Ties prefer the lower thresholds, deterministically.

    Raises:
        ValueError: ``gold`` is empty or holds an item without a score.
    """
    if not gold:
        raise ValueError("cannot fit thresholds on an empty set")
    missing = [pid for pid in gold if pid not in scores]
    if missing:
        raise ValueError(f"no score for {missing[:5]}")
    values = np.unique(np.array([scores[pid] for pid in gold], dtype=np.float64))
    mids = (values[:-1] + values[1:]) / 2 if len(values) > 1 else np.array([], dtype=np.float64)
    candidates = [float(values[0] - 1.0), *map(float, mids), float(values[-1] + 1.0)]
    best: tuple[float, float, float, float] | None = None
    for ci, covered in enumerate(candidates):
        for partial in candidates[: ci + 1]:
            predicted = {pid: threshold_status(scores[pid], covered, partial) for pid in gold}
            result = status_scores(gold, predicted)
            key = (result.macro_f1 or 0.0, result.accuracy.mean or 0.0, -covered, -partial)
            if best is None or key > best:
                best = key
    assert best is not None
    return Thresholds(covered=-best[2], partial=-best[3])


def fold_of(practice_id: str, folds: int = 2) -> int:
    """A stable fold number for a practice (sha256 of its id), the same on every machine."""
    return int(hashlib.sha256(practice_id.encode()).hexdigest(), 16) % folds


@dataclass(frozen=True)
class CrossFit:
    """Predictions whose statuses come from thresholds fitted on the other folds."""

    predictions: Predictions
    thresholds: dict[int, Thresholds]


def cross_fit(predictions: Predictions, gold: Mapping[str, str], folds: int = 2) -> CrossFit:
    """K-fold cross-fitting of the status thresholds on ``gold`` (see :func:`fold_of`).

    Practices without a gold label keep thresholds fitted on all labelled practices.

    Raises:
        ValueError: a fold's training part is empty (too few labels for ``folds``).
    """
    scores = {pid: pred.score for pid, pred in predictions.items()}
    out: Predictions = {}
    fitted: dict[int, Thresholds] = {}
    for fold in range(folds):
        train = {pid: s for pid, s in gold.items() if fold_of(pid, folds) != fold}
        thresholds = fit_thresholds(scores, train)
        fitted[fold] = thresholds
        test = {
            pid: p for pid, p in predictions.items() if pid in gold and fold_of(pid, folds) == fold
        }
        out.update(apply_thresholds(test, thresholds))
    rest = {pid: p for pid, p in predictions.items() if pid not in gold}
    if rest:
        out.update(apply_thresholds(rest, fit_thresholds(scores, gold)))
    return CrossFit(out, fitted)


def bm25_query(practice: Practice) -> str:
    """The BM25 baseline's query: title, requirement and keywords of the practice."""
    return " ".join([practice.title, practice.requirement, *practice.keywords])


class BM25Baseline:
    """BM25 (bm25s, Lucene variant, English stop words) over the ingested passages.

    ``thresholds`` decides the statuses; ``None`` gives every practice the status ``gap`` with
    confidence 0.5 and leaves the decision to :func:`cross_fit` (the evaluation runner does it).
    """

    name = "bm25"

    def __init__(
        self,
        thresholds: Thresholds | None = None,
        evidence_k: int = EVIDENCE_K,
        k1: float = 1.5,
        b: float = 0.75,
    ) -> None:
        self.thresholds = thresholds
        self.fit_on_gold = thresholds is None
        """Tells the evaluation runner to fit the thresholds on training folds of the gold set."""
        self.evidence_k = evidence_k
        self.k1 = k1
        self.b = b

    def run(
        self,
        documents: Sequence[ParsedDocument],
        catalog: Catalog,
        software_type: str,  # noqa: ARG002 - the System protocol; a baseline ignores it
    ) -> Predictions:
        """Rank passages per practice with BM25. ``software_type`` does not change a baseline."""
        import bm25s

        passages = [(doc.path, p) for doc in documents for p in doc.passages]
        practices = practices_of(catalog)
        if not passages:
            return self._finish(
                {p.id: PracticePrediction(p.id, "gap", 0.5, 0.0, ()) for p in practices}
            )
        retriever = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        corpus_tokens = bm25s.tokenize(
            [p.text for _, p in passages], stopwords="en", show_progress=False
        )
        retriever.index(corpus_tokens, show_progress=False)
        vocab: dict[str, int] = corpus_tokens.vocab
        out: Predictions = {}
        for practice in practices:
            query = bm25s.tokenize(
                bm25_query(practice), stopwords="en", show_progress=False, return_ids=False
            )[0]
            known = [t for t in query if t in vocab]
            if not known:
                out[practice.id] = PracticePrediction(practice.id, "gap", 0.5, 0.0, ())
                continue
            scores = np.asarray(retriever.get_scores(known), dtype=np.float64)
            order = np.argsort(-scores, kind="stable")[: self.evidence_k]
            evidence = tuple(
                EvidenceHit(
                    passages[i][0], passages[i][1].start, passages[i][1].end, float(scores[i])
                )
                for i in order
                if scores[i] > 0
            )
            top = evidence[0].score if evidence else 0.0
            out[practice.id] = PracticePrediction(practice.id, "gap", 0.5, top, evidence)
        return self._finish(out)

    def out_of_fold(
        self, predictions: Predictions, gold: Mapping[str, str]
    ) -> tuple[Predictions, list[str]]:
        """Statuses from thresholds cross-fitted on ``gold`` (see :func:`cross_fit`)."""
        fitted = cross_fit(predictions, gold)
        notes = [
            f"fold {fold} thresholds (fitted on the other fold): covered >= {t.covered:.3f}, "
            f"partial >= {t.partial:.3f}"
            for fold, t in fitted.thresholds.items()
        ]
        return fitted.predictions, notes

    def transfer(
        self, predictions: Predictions, sample: Predictions, gold: Mapping[str, str]
    ) -> tuple[Predictions, list[str]]:
        """Statuses from the thresholds fitted on all sample labels (``sample`` predictions)."""
        thresholds = fit_thresholds({pid: p.score for pid, p in sample.items()}, gold)
        note = (
            f"thresholds fitted on all sample labels: covered >= {thresholds.covered:.3f}, "
            f"partial >= {thresholds.partial:.3f}"
        )
        return apply_thresholds(predictions, thresholds), [note]

    def _finish(self, predictions: Predictions) -> Predictions:
        if self.thresholds is None:
            return predictions
        return apply_thresholds(predictions, self.thresholds)


class _LangChainEmbeddings:
    """Our :class:`Embedder` seen through LangChain's ``Embeddings`` interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.embedder.embed_batch(texts).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self.embedder.embed_batch([text])[0].tolist()
        return vector


def _as_langchain(embedder: Embedder) -> Any:
    """Wrap ``embedder`` in a real ``langchain_core.embeddings.Embeddings`` subclass."""
    from langchain_core.embeddings import Embeddings

    class _Wrapped(_LangChainEmbeddings, Embeddings):
        pass

    return _Wrapped(embedder)


class NaiveRagBaseline:
    """Recursive character chunks (1000/200) + FAISS + MiniLM, title as query, fixed thresholds."""

    name = "naive-rag"

    def __init__(
        self,
        embedder: Embedder,
        chunk_size: int = 1000,
        chunk_overlap: int = 200,
        thresholds: Thresholds = Thresholds(*NAIVE_RAG_THRESHOLDS),
        evidence_k: int = EVIDENCE_K,
    ) -> None:
        self.embedder = embedder
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.thresholds = thresholds
        self.evidence_k = evidence_k

    def chunks(self, documents: Sequence[ParsedDocument]) -> list[tuple[str, int, str]]:
        """``(document path, start offset, text)`` of every chunk, offsets into canonical text."""
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap, add_start_index=True
        )
        out: list[tuple[str, int, str]] = []
        for doc in documents:
            if not doc.canonical_text.strip():
                continue
            for chunk in splitter.create_documents([doc.canonical_text]):
                start = int(chunk.metadata["start_index"])
                if start < 0:  # the splitter could not find the chunk again; locate it ourselves
                    start = doc.canonical_text.find(chunk.page_content)
                if start < 0:
                    raise ConfigurationError(
                        f"text splitter produced a chunk not found in {doc.path}"
                    )
                out.append((doc.path, start, chunk.page_content))
        return out

    def run(
        self,
        documents: Sequence[ParsedDocument],
        catalog: Catalog,
        software_type: str,  # noqa: ARG002 - the System protocol; a baseline ignores it
    ) -> Predictions:
        """Retrieve the top chunks per practice title from FAISS; threshold the top cosine.

        Raises:
            ModelUnavailable: the embedding model cannot be loaded.
        """
        practices = practices_of(catalog)
        chunks = self.chunks(documents)
        if not chunks:
            empty = {p.id: PracticePrediction(p.id, "gap", 1.0, 0.0, ()) for p in practices}
            return apply_thresholds(empty, self.thresholds)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from langchain_community.vectorstores import FAISS
            from langchain_community.vectorstores.utils import DistanceStrategy

        embeddings = _as_langchain(self.embedder)
        store = FAISS.from_texts(
            [text for _, _, text in chunks],
            embeddings,
            metadatas=[{"document": d, "start": s} for d, s, _ in chunks],
            distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
        )
        query_vectors = self.embedder.embed_batch([p.title for p in practices])
        out: Predictions = {}
        for practice, vector in zip(practices, query_vectors, strict=True):
            found = store.similarity_search_with_score_by_vector(vector.tolist(), k=self.evidence_k)
            evidence = tuple(
                EvidenceHit(
                    str(doc.metadata["document"]),
                    int(doc.metadata["start"]),
                    int(doc.metadata["start"]) + len(doc.page_content),
                    float(score),
                )
                for doc, score in found
            )
            top = evidence[0].score if evidence else 0.0
            out[practice.id] = PracticePrediction(practice.id, "gap", 0.5, top, evidence)
        return apply_thresholds(out, self.thresholds)
