"""The evaluation runner behind ``qmsgap eval``: every system, the same documents and labels.

Two gold sets:

- ``sample``: the sample supplier QMS with practice-level labels. Per practice: evidence
  recall@1/3/5, MRR, nDCG@5 (hit rule in :mod:`qmsgap.eval.spans`), status accuracy and per-class
  P/R/F1, macro-F1, confusion matrix, clause-level scores and calibration (ECE, Brier).
- ``real``: public QMS documents labelled with the ASQMS processes they serve. A system predicts
  that document D serves process P when D is among the top :data:`DOCUMENT_EVIDENCE_K` evidence
  items of a practice of P whose status is covered or partial; scored as micro/macro P/R/F1
  over (process, document) pairs. Per process, documents are ranked by their best evidence
  score for any practice of P (any status), scored by average precision (mean = MAP).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qmsgap.clauses.models import Catalog
from qmsgap.errors import ConfigurationError
from qmsgap.eval.corpus_cache import CorpusLoader, IngestedCorpus
from qmsgap.eval.gold import DocumentGoldSet, GoldSet, load_document_labels, load_labels
from qmsgap.eval.metrics import (
    Calibration,
    ClauseScores,
    GroupedSetScores,
    ItemScores,
    StatusScores,
    average_precision,
    calibration,
    clause_scores,
    grouped_set_scores,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    status_scores,
)
from qmsgap.eval.spans import IRView, LocatedGold, PassageWidener, ir_view, judge, locate_gold
from qmsgap.eval.systems import GoldFitted, Predictions, System, clause_of, practices_of
from qmsgap.ingest.models import ParsedDocument

if TYPE_CHECKING:
    from qmsgap.mapping.embedders import Embedder
    from qmsgap.settings import Settings

EVAL_DIR = Path(__file__).resolve().parent
REPO_ROOT = EVAL_DIR.parent
DEFAULT_GOLD_DIR = EVAL_DIR / "gold"
DEFAULT_SAMPLE_CORPUS = EVAL_DIR / "corpus" / "sample-supplier-qms"
DOCUMENT_EVIDENCE_K = 3
"""Evidence items per practice that count for the document-level evaluation (what a user sees)."""
RETRIEVAL_KS = (1, 3, 5)


@dataclass(frozen=True)
class SampleResult:
    """One system's scores on the sample gold set."""

    system: str
    seconds: float
    predictions: Predictions
    retrieval: dict[str, ItemScores]
    status: StatusScores
    clauses: ClauseScores
    calibration: Calibration
    evidence_chars: float | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SampleEvaluation:
    """The sample gold set, what became of its quotes, and every system's result."""

    gold: GoldSet
    corpus: IngestedCorpus
    located: LocatedGold
    ir: IRView
    results: list[SampleResult]


@dataclass(frozen=True)
class RealResult:
    """One system's document-level scores on the real-documents set."""

    system: str
    seconds: float
    pairs: GroupedSetScores
    ranking: ItemScores
    predicted: dict[str, list[str]]
    ranked: dict[str, list[str]]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RealEvaluation:
    gold: DocumentGoldSet
    corpus: IngestedCorpus
    results: list[RealResult]


def retrieval_scores(
    predictions: Predictions,
    located: LocatedGold,
    documents: Sequence[ParsedDocument] = (),
) -> dict[str, ItemScores]:
    """recall@1/3/5, MRR and nDCG@5 per practice with at least one located gold span.

    With ``documents``, also ``passage_recall@5``: recall@5 after widening every evidence item
    to the ingested passages it overlaps (:class:`PassageWidener`), which separates "found the
    right passage" from "quoted the labelled sentences".
    """
    judgements = {}
    widened = {}
    widen = PassageWidener(documents)
    for pid, spans in located.spans.items():
        if not spans:
            continue
        pred = predictions.get(pid)
        ranked = [(e.document, e.start, e.end) for e in pred.evidence] if pred else []
        judgements[pid] = judge(ranked, spans)
        widened[pid] = judge([widen(*item) for item in ranked], spans)
    out = {f"recall@{k}": recall_at_k(judgements, k) for k in RETRIEVAL_KS}
    out["mrr"] = reciprocal_rank(judgements)
    out["ndcg@5"] = ndcg_at_k(judgements, 5)
    if documents:
        out["passage_recall@5"] = recall_at_k(widened, 5)
    return out


def _unit(value: float) -> float:
    """Clamp float noise (|excess| <= 1e-6) into [0, 1]; larger errors reach the metric check."""
    if -1e-6 <= value <= 1 + 1e-6:
        return min(1.0, max(0.0, value))
    return value


def score_sample(
    name: str,
    seconds: float,
    predictions: Predictions,
    *,
    gold: GoldSet,
    located: LocatedGold,
    clause_map: Mapping[str, str],
    notes: Sequence[str] = (),
    documents: Sequence[ParsedDocument] = (),
) -> SampleResult:
    """All sample-set metrics of one system's predictions."""
    gold_status = gold.statuses
    predicted = {pid: p.status for pid, p in predictions.items() if pid in gold_status}
    status = status_scores(gold_status, predicted)
    conf = {pid: _unit(predictions[pid].confidence) for pid in gold_status if pid in predictions}
    correct = {pid: predicted[pid] == gold_status[pid] for pid in conf}
    lengths = [
        e.end - e.start
        for pid in gold_status
        if pid in predictions
        for e in predictions[pid].evidence
    ]
    return SampleResult(
        name,
        seconds,
        predictions,
        retrieval_scores(predictions, located, documents),
        status,
        clause_scores(gold_status, predicted, clause_map),
        calibration(conf, correct),
        sum(lengths) / len(lengths) if lengths else None,
        tuple(notes),
    )


def document_predictions(
    predictions: Predictions, clause_map: Mapping[str, str], k: int = DOCUMENT_EVIDENCE_K
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(predicted documents per process, documents ranked per process), see the module doc."""
    predicted: dict[str, set[str]] = {}
    best: dict[str, dict[str, float]] = {}
    for pid, pred in predictions.items():
        process = clause_map.get(pid)
        if process is None:
            continue
        if pred.status in ("covered", "partial"):
            for item in pred.evidence[:k]:
                predicted.setdefault(process, set()).add(item.document)
        for item in pred.evidence:
            scores = best.setdefault(process, {})
            scores[item.document] = max(scores.get(item.document, float("-inf")), item.score)
    ranked = {
        process: [doc for doc, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]
        for process, scores in best.items()
    }
    return {p: sorted(d) for p, d in predicted.items()}, ranked


def score_real(
    name: str,
    seconds: float,
    predictions: Predictions,
    *,
    gold: DocumentGoldSet,
    clause_map: Mapping[str, str],
    notes: Sequence[str] = (),
) -> RealResult:
    """Document-level scores of one system's predictions on the real-documents set."""
    predicted, ranked = document_predictions(predictions, clause_map)
    relevant = gold.documents_of_process()
    return RealResult(
        name,
        seconds,
        grouped_set_scores(relevant, predicted),
        average_precision(ranked, relevant),
        predicted,
        ranked,
        tuple(notes),
    )


SystemFactory = Callable[[], System]


@dataclass
class EvaluationRunner:
    """Runs the chosen systems on the chosen gold sets.

    ``systems`` are built lazily by their factories (so the model loads once, only if needed).
    A :class:`GoldFitted` system with ``fit_on_gold`` (BM25; qmsgap when its shipped status
    model was fitted on labels) is scored on the sample set with out-of-fold statuses, and on
    the real set through its ``transfer`` rule.
    """

    settings: Settings
    systems: dict[str, SystemFactory]
    catalog: Catalog
    gold_dir: Path = DEFAULT_GOLD_DIR
    sample_corpus: Path = DEFAULT_SAMPLE_CORPUS
    real_corpus: Path | None = None
    software_type: str = "II"
    use_cache: bool = True
    progress: Callable[[str], None] = field(default=lambda _msg: None)
    _built: dict[str, System] = field(default_factory=dict, init=False, repr=False)
    _sample: SampleEvaluation | None = field(default=None, init=False, repr=False)
    _sample_scores: dict[str, Predictions] = field(default_factory=dict, init=False, repr=False)

    def system(self, name: str) -> System:
        if name not in self._built:
            self._built[name] = self.systems[name]()
        return self._built[name]

    def load_sample(self) -> tuple[GoldSet, IngestedCorpus, LocatedGold]:
        """Load and validate the sample gold set, ingest its corpus and locate every quote.

        Raises:
            GoldLabelError: the labels are invalid.
            DocumentError: the corpus folder is missing.
        """
        gold = load_labels(
            self.gold_dir / "sample-supplier-qms" / "labels.jsonl", self.catalog, self.sample_corpus
        )
        self.progress(f"ingesting {self.sample_corpus}")
        corpus = CorpusLoader(self.settings, self.use_cache).run(self.sample_corpus)
        return gold, corpus, locate_gold(gold, corpus.documents)

    def _run_system(self, name: str, corpus: IngestedCorpus) -> tuple[Predictions, float]:
        self.progress(f"running {name} on {len(corpus.documents)} documents")
        system = self.system(name)
        started = time.perf_counter()
        predictions = system.run(corpus.documents, self.catalog, self.software_type)
        return predictions, time.perf_counter() - started

    def run_sample(self) -> SampleEvaluation:
        """Every system on the sample gold set.

        Raises:
            GoldLabelError, DocumentError: see :meth:`load_sample`; QmsGapError from a system.
        """
        gold, corpus, located = self.load_sample()
        clause_map = clause_of(self.catalog)
        queries = {p.id: f"{p.title}. {p.requirement}" for p in practices_of(self.catalog)}
        results = []
        for name in self.systems:
            predictions, seconds = self._run_system(name, corpus)
            self._sample_scores[name] = predictions
            notes: list[str] = []
            system = self.system(name)
            if isinstance(system, GoldFitted) and system.fit_on_gold:
                predictions, notes = system.out_of_fold(predictions, gold.statuses)
            describe = getattr(system, "describe", None)
            if callable(describe):
                notes.extend(describe())
            results.append(
                score_sample(
                    name,
                    seconds,
                    predictions,
                    gold=gold,
                    located=located,
                    clause_map=clause_map,
                    notes=notes,
                    documents=corpus.documents,
                )
            )
        evaluation = SampleEvaluation(
            gold, corpus, located, ir_view(queries, located, corpus.documents), results
        )
        self._sample = evaluation
        return evaluation

    def _sample_predictions(self, name: str) -> tuple[Predictions, dict[str, str]]:
        """The system's raw predictions on the sample set (run now if not run yet)."""
        if name not in self._sample_scores or self._sample is None:
            gold, corpus, _ = self.load_sample()
            self._sample_scores[name] = self._run_system(name, corpus)[0]
            return self._sample_scores[name], gold.statuses
        return self._sample_scores[name], self._sample.gold.statuses

    def run_real(self) -> RealEvaluation:
        """Every system on the real-documents set (document-level evaluation).

        Raises:
            GoldLabelError: the labels are invalid or the corpus cannot be found.
            QmsGapError: from a system.
        """
        gold = load_document_labels(
            self.gold_dir / "real-qms" / "documents.yaml",
            self.catalog,
            REPO_ROOT,
            self.real_corpus,
        )
        files = [gold.corpus_root / name for name in gold.documents]
        self.progress(f"ingesting {gold.corpus_root}")
        corpus = CorpusLoader(self.settings, self.use_cache).run(gold.corpus_root, files)
        clause_map = clause_of(self.catalog)
        results = []
        for name in self.systems:
            predictions, seconds = self._run_system(name, corpus)
            notes: list[str] = []
            system = self.system(name)
            if isinstance(system, GoldFitted) and system.fit_on_gold:
                sample, statuses = self._sample_predictions(name)
                predictions, notes = system.transfer(predictions, sample, statuses)
            results.append(
                score_real(
                    name, seconds, predictions, gold=gold, clause_map=clause_map, notes=notes
                )
            )
        return RealEvaluation(gold, corpus, results)


def naive_rag_embedder(settings: Settings) -> Embedder:
    """The naive RAG's model: the bundled MiniLM through sentence-transformers (torch), as a
    user's afternoon build would load it, whatever runtime qmsgap itself is configured with."""
    from qmsgap.mapping.embedders import make_embedder

    plain = settings.embedding.model_copy(update={"backend": "sentence-transformers"})
    return make_embedder(settings.model_copy(update={"embedding": plain}))


def build_systems(names: Sequence[str], settings: Settings) -> dict[str, SystemFactory]:
    """Factories for the named systems sharing one embedder (loaded on first use).

    Raises:
        ConfigurationError: an unknown system name.
    """
    from qmsgap.eval.baselines import BM25Baseline, NaiveRagBaseline
    from qmsgap.eval.systems import QmsgapSystem
    from qmsgap.mapping.cache import CachingEmbedder, EmbeddingCache
    from qmsgap.mapping.embedders import make_embedder

    shared: dict[str, Embedder] = {}

    def embedder() -> Embedder:
        if "model" not in shared:
            shared["model"] = make_embedder(settings)
        return shared["model"]

    def bm25() -> System:
        return BM25Baseline()

    def naive_rag() -> System:
        cache = EmbeddingCache(settings.cache_dir / "eval-embeddings.sqlite3")
        return NaiveRagBaseline(CachingEmbedder(naive_rag_embedder(settings), cache))

    def qmsgap() -> System:
        return QmsgapSystem(settings, embedder())

    known: dict[str, SystemFactory] = {"bm25": bm25, "naive-rag": naive_rag, "qmsgap": qmsgap}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigurationError(f"unknown systems {unknown}; choose from {sorted(known)}")
    return {n: known[n] for n in names}
