"""The interface every evaluated system implements, and the adapter over qmsgap's own engine.

A system reads the same ingested documents and catalog and answers, per practice: a status, a
confidence in that status (0-1), a practice-level score and the evidence ranked best first as
``(document, start, end, score)`` with offsets into the document's canonical text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from qmsgap.clauses.models import Catalog, Practice
from qmsgap.ingest.models import ParsedDocument

if TYPE_CHECKING:
    from qmsgap.mapping.embedders import Embedder
    from qmsgap.settings import Settings

PredictedStatus = Literal["covered", "partial", "gap", "not_applicable"]
EVIDENCE_K = 5
"""Evidence items every system is asked for (recall@5 and nDCG@5 need five)."""


@dataclass(frozen=True)
class EvidenceHit:
    """One ranked evidence span: ``canonical_text[start:end]`` of ``document``."""

    document: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class PracticePrediction:
    """A system's answer for one practice."""

    practice_id: str
    status: PredictedStatus
    confidence: float
    score: float
    evidence: tuple[EvidenceHit, ...]


Predictions = dict[str, PracticePrediction]


@runtime_checkable
class System(Protocol):
    """Something that maps documents onto a catalog's practices.

    ``run`` returns a prediction for every practice of ``catalog`` (keyed by practice id). It
    raises :class:`~qmsgap.errors.QmsGapError` subclasses for expected failures (e.g.
    ``ModelUnavailable`` when the embedding model cannot be loaded).
    """

    name: str

    def run(
        self, documents: Sequence[ParsedDocument], catalog: Catalog, software_type: str
    ) -> Predictions: ...


@runtime_checkable
class GoldFitted(Protocol):
    """A system whose status decision is (or may be) fitted on the sample gold labels.

    The runner never reports such a system's statuses on the labels it was fitted on:
    ``out_of_fold`` re-decides every labelled practice with a model fitted without it;
    ``transfer`` decides the real-documents set with a model fitted on all sample labels. Both
    return the new predictions and notes saying what was done.
    """

    fit_on_gold: bool

    def out_of_fold(
        self, predictions: Predictions, gold: Mapping[str, str]
    ) -> tuple[Predictions, list[str]]: ...

    def transfer(
        self, predictions: Predictions, sample: Predictions, gold: Mapping[str, str]
    ) -> tuple[Predictions, list[str]]: ...


def practices_of(catalog: Catalog) -> list[Practice]:
    """Every practice of the catalog, in catalog order."""
    return [p for clause in catalog.clauses for p in clause.practices]


def clause_of(catalog: Catalog) -> dict[str, str]:
    """practice id -> the id of the clause (ASQMS process) holding it."""
    return {p.id: clause.id for clause in catalog.clauses for p in clause.practices}


def threshold_status(score: float, covered: float, partial: float) -> PredictedStatus:
    """covered at or above ``covered``, partial at or above ``partial``, else gap."""
    if score >= covered:
        return "covered"
    if score >= partial:
        return "partial"
    return "gap"


def threshold_confidence(score: float, covered: float, partial: float) -> float:
    """Confidence of a status decided by two thresholds: 0.5 on a threshold, rising linearly
    to 1.0 at a distance of (covered - partial) from the nearest threshold.

    A baseline has no calibrated probability; this states "the further from the line, the surer"
    and is the same rule for both baselines (its calibration is measured like any other).
    """
    band = max(covered - partial, 1e-9)
    margin = min(abs(score - covered), abs(score - partial))
    return 0.5 + 0.5 * min(1.0, margin / band)


class QmsgapSystem:
    """qmsgap's mapping engine, as a user runs it (default settings, one fixed embedder).

    When the engine's shipped status model was fitted on labelled practices (its calibration
    provenance counts ``examples``), :meth:`out_of_fold` replaces the statuses and confidences
    of the labelled practices by 5-fold cross-validated ones (``qmsgap.mapping.calibrate``), so
    the sample-set table never scores the model on its own training labels.
    """

    name = "qmsgap"

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        evidence_k: int = EVIDENCE_K,
        tailoring: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.evidence_k = evidence_k
        self.tailoring = tailoring
        self.features: dict[str, dict[str, float]] = {}
        self.provenance: dict[str, object] = {}

    @property
    def fit_on_gold(self) -> bool:
        return "examples" in self.provenance

    def run(
        self, documents: Sequence[ParsedDocument], catalog: Catalog, software_type: str
    ) -> Predictions:
        """Analyze with :class:`~qmsgap.mapping.engine.MappingEngine` and convert the result.

        Status, confidence and score come from the coverage report. The evidence is the
        engine's ranked candidates for the practice regardless of the status it decided (the
        report itself cites nothing for a gap), cut to ``evidence_k``, like the baselines' lists.

        Raises:
            QmsGapError: whatever the engine raises (model unavailable, bad catalog ...).
        """
        from qmsgap.mapping.engine import MappingEngine

        engine = MappingEngine(self.settings, embedder=self.embedder)
        self.provenance = dict(engine.calibration.provenance)
        analysis = engine.run(
            list(documents),
            catalog=catalog,
            software_type=software_type,
            tailoring=self.tailoring,
            evidence_k=self.evidence_k,
        )
        self.features = {pid: dict(f) for pid, f in analysis.features.items()}
        out: Predictions = {}
        for clause in analysis.report.clauses:
            for practice in clause.practices:
                ranked = analysis.ranked.get(practice.id, practice.evidence)
                evidence = tuple(
                    EvidenceHit(e.document, e.start, e.end, float(e.score))
                    for e in ranked[: self.evidence_k]
                )
                out[practice.id] = PracticePrediction(
                    practice.id,
                    practice.status.value,
                    float(practice.confidence),
                    float(practice.score),
                    evidence,
                )
        return out

    def describe(self) -> list[str]:
        """Notes for the report about the status model of the last :meth:`run`."""
        if self.fit_on_gold:
            return []
        how = self.provenance.get("method") or self.provenance.get("status") or "no provenance"
        return [f"shipped status model used as is, not fitted on labels ({how})"]

    def out_of_fold(
        self, predictions: Predictions, gold: Mapping[str, str]
    ) -> tuple[Predictions, list[str]]:
        """Cross-validated statuses for the labelled practices of the last :meth:`run`.

        Raises:
            ValueError: a labelled practice has no features (run was not called on this set).
        """
        from qmsgap.mapping.calibrate import Example, cross_validate
        from qmsgap.mapping.schema import Status

        missing = [pid for pid in gold if pid not in self.features]
        if missing:
            raise ValueError(f"no engine features for {missing[:5]}; run the system first")
        examples = [
            Example(pid, self.features[pid], Status(status)) for pid, status in gold.items()
        ]
        penalty = self.provenance.get("penalty", 1.0)
        cv = cross_validate(
            examples, penalty=float(penalty) if isinstance(penalty, int | float) else 1.0
        )
        out = dict(predictions)
        for pid in gold:
            if pid in out:
                out[pid] = replace(
                    out[pid],
                    status=cv.predictions[pid].value,
                    confidence=float(cv.confidences[pid]),
                )
        note = (
            f"the shipped status model was fitted on {self.provenance.get('examples')} labelled "
            f"practices; statuses shown are {cv.folds}-fold out-of-fold predictions "
            f"(penalty {cv.penalty})"
        )
        return out, [note]

    def transfer(
        self, predictions: Predictions, sample: Predictions, gold: Mapping[str, str]
    ) -> tuple[Predictions, list[str]]:
        """The real-documents set is not training data: the shipped model is used as is."""
        del sample, gold
        return predictions, ["shipped status model (fitted on the sample labels) used as is"]
