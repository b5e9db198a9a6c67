"""The mapping engine: parsed documents + a catalog -> a coverage report with verified evidence.

    engine = MappingEngine(settings)                 # embedder + cache from settings
    report = engine.analyze(documents, catalog=load_catalog("asqms"), software_type="II")

The engine knows nothing of HTTP or files on disk beyond its caches: the CLI and the service
parse documents with :mod:`qmsgap.ingest` and hand them over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qmsgap import __version__
from qmsgap.clauses import (
    Catalog,
    Clause,
    Crosswalk,
    Obligation,
    Practice,
    ReferenceRouter,
    Tailoring,
    load_crosswalks,
    obligation,
)
from qmsgap.clauses.applicability import normalise_software_type
from qmsgap.errors import NotFound
from qmsgap.ingest.models import IngestFailure, ParsedDocument
from qmsgap.mapping.cache import CachingEmbedder, EmbeddingCache
from qmsgap.mapping.embedders import Embedder, make_embedder
from qmsgap.mapping.evidence import EvidenceBuilder
from qmsgap.mapping.index import CorpusIndex
from qmsgap.mapping.queries import catalog_queries
from qmsgap.mapping.retrieval import (
    CitationRouter,
    PracticeRetrieval,
    RetrievalOptions,
    Retriever,
)
from qmsgap.mapping.rollup import clause_status, gap_list, guidance, summarize, weighted_credit
from qmsgap.mapping.schema import (
    ClauseCoverage,
    CoverageReport,
    DocumentEntry,
    Evidence,
    FrameworkRef,
    PracticeCoverage,
    Status,
)
from qmsgap.mapping.scoring import Calibration, load_calibration
from qmsgap.settings import Settings

#: Reports progress as (step, done, total).
Progress = Callable[[str, int, int], None]

#: Candidates turned into evidence per practice: the evaluation ranks five.
_RANKED_DEPTH = 5


@dataclass
class Analysis:
    """The report, plus what evaluation and reviewers need beyond it."""

    report: CoverageReport
    ranked: dict[str, list[Evidence]] = field(default_factory=dict)
    """Per practice, the best candidate passages regardless of the status decided."""
    features: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per practice, the evidence features the status was decided from (for calibration)."""
    embedded_passages: int = 0


def _no_progress(_step: str, _done: int, _total: int) -> None:
    return None


class MappingEngine:
    """Maps documents onto a catalog. Heavy objects (model, cache) are made once, here."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        calibration: Calibration | None = None,
        citation_router: CitationRouter | None = None,
        cache: EmbeddingCache | None = None,
        retrieval: RetrievalOptions | None = None,
    ) -> None:
        self.settings = settings
        self.retrieval = retrieval or RetrievalOptions()
        inner = embedder if embedder is not None else make_embedder(settings)
        if cache is None:
            cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite3")
        self.embedder = CachingEmbedder(inner, cache)
        self.calibration = calibration or load_calibration(settings.mapping.calibration_path)
        self.citation_router = citation_router

    def analyze(
        self,
        documents: Sequence[ParsedDocument],
        *,
        catalog: Catalog,
        software_type: str = "II",
        tailoring: Mapping[str, str] | None = None,
    ) -> CoverageReport:
        """The coverage report alone: ``run(...).report``."""
        return self.run(
            documents, catalog=catalog, software_type=software_type, tailoring=tailoring
        ).report

    def run(
        self,
        documents: Sequence[ParsedDocument],
        *,
        catalog: Catalog,
        software_type: str = "II",
        tailoring: Mapping[str, str] | None = None,
        failures: Sequence[IngestFailure] = (),
        evidence_k: int | None = None,
        index_dir: Path | None = None,
        progress: Progress = _no_progress,
    ) -> Analysis:
        """Map ``documents`` onto ``catalog``.

        ``tailoring`` maps clause ids declared not applicable to their justification.
        ``index_dir`` keeps the corpus's FAISS index between runs. Raises CatalogError for an
        unknown software type or an invalid tailoring, ModelUnavailable when the model is needed
        but cannot be loaded.
        """
        software_type = normalise_software_type(catalog, software_type)
        tailored = Tailoring.for_catalog(catalog, tailoring or {})
        justifications = {t.clause_id: t.justification for t in tailored.clauses}
        router = self.citation_router or ReferenceRouter(catalog, self._crosswalks(catalog))
        k = evidence_k or self.settings.mapping.evidence_per_practice
        progress("index", 0, 1)
        misses_before = self.embedder.stats.misses
        index = CorpusIndex.build(
            documents,
            self.embedder,
            directory=index_dir,
            threads=self.settings.embedding.threads,
        )
        progress("index", 1, 1)
        queries = [q for q in catalog_queries(catalog) if not tailored.excludes(q.clause.id)]
        progress("retrieve", 0, len(queries))
        retriever = Retriever(
            index,
            self.embedder,
            citation_router=router,
            aspect_min_score=self.calibration.aspect_min_score,
            options=self.retrieval,
        )
        retrievals = {r.queries.id: r for r in retriever.run(queries)}
        progress("retrieve", len(queries), len(queries))
        evidence = EvidenceBuilder(index, {d.document_id: d for d in documents}, self.embedder)
        evidence.prepare(retrievals.values(), max(k, _RANKED_DEPTH))
        run = _Run(
            catalog=catalog,
            software_type=software_type,
            tailoring=tailored,
            retrievals=retrievals,
            quoter=evidence,
            calibration=self.calibration,
            evidence_k=k,
        )
        clauses: list[ClauseCoverage] = []
        for position, clause in enumerate(catalog.clauses):
            progress("score", position, len(catalog.clauses))
            clauses.append(run.clause(clause))
        progress("score", len(catalog.clauses), len(catalog.clauses))
        report = CoverageReport(
            qmsgap_version=__version__,
            embedder=self.embedder.model_id,
            framework=FrameworkRef(id=catalog.id, version=catalog.version, title=catalog.title),
            software_type=software_type,
            tailoring=justifications,
            documents=_document_entries(documents, failures),
            clauses=clauses,
            gaps=gap_list(clauses),
            summary=summarize(clauses),
        )
        return Analysis(
            report,
            run.ranked,
            {pid: r.features for pid, r in retrievals.items()},
            self.embedder.stats.misses - misses_before,
        )

    def _crosswalks(self, catalog: Catalog) -> tuple[Crosswalk, ...]:
        """The crosswalks onto ``catalog``; none for a catalog the store does not know (one
        built in code, as tests do)."""
        try:
            return tuple(load_crosswalks(catalog.id, self.settings))
        except NotFound:
            return ()


@dataclass
class _Run:
    """One analysis in progress: decides practices and clauses from the retrieval results."""

    catalog: Catalog
    software_type: str
    tailoring: Tailoring
    retrievals: Mapping[str, PracticeRetrieval]
    quoter: EvidenceBuilder
    calibration: Calibration
    evidence_k: int
    ranked: dict[str, list[Evidence]] = field(default_factory=dict)

    def clause(self, clause: Clause) -> ClauseCoverage:
        practices = [self.practice(clause, p) for p in clause.practices]
        credit = weighted_credit(practices)
        return ClauseCoverage(
            id=clause.id,
            chapter=clause.chapter,
            title=clause.title,
            status=clause_status(practices),
            score=round(credit, 4) if credit is not None else 0.0,
            not_applicable_reason=self.tailoring.justification(clause.id),
            practices=practices,
        )

    def practice(self, clause: Clause, practice: Practice) -> PracticeCoverage:
        mandatory = obligation(self.catalog, practice, self.software_type) is Obligation.MANDATORY
        reason = self.tailoring.justification(clause.id)
        if reason is not None:
            return PracticeCoverage(
                id=practice.id,
                title=practice.title,
                type=practice.type,
                mandatory=mandatory,
                status=Status.NOT_APPLICABLE,
                score=0.0,
                confidence=1.0,
                guidance="",
                rationale=f"Process {clause.id} is tailored out: {reason}",
            )
        found = self.retrievals[practice.id]
        ranked = self.quoter.evidence(found, max(self.evidence_k, _RANKED_DEPTH))
        status, confidence, score = self.calibration.decide(found.features)
        self.ranked[practice.id] = ranked
        floor = self.calibration.evidence_min_score
        evidence = (
            []
            if status is Status.GAP
            else [e for e in ranked[: self.evidence_k] if e.score >= floor]
        )
        return PracticeCoverage(
            id=practice.id,
            title=practice.title,
            type=practice.type,
            mandatory=mandatory,
            status=status,
            score=round(score, 4),
            confidence=round(confidence, 4),
            guidance=guidance(practice, status, found.missing_aspects),
            rationale=_rationale(status, found, evidence),
            signals=found.signals,
            evidence=evidence,
        )


def _rationale(status: Status, found: PracticeRetrieval, evidence: list[Evidence]) -> str:
    f = found.features
    strength = (
        f"best passage naming every required concept {f['terms_dense']:.2f}, "
        f"key terms found {f['keyword_coverage']:.0%}"
    )
    if status is Status.GAP:
        return f"No passage addresses this practice convincingly ({strength})."
    where = sorted({e.document for e in evidence})
    return f"{status.value.capitalize()}: {strength}; cited from {', '.join(where) or 'none'}."


def _document_entries(
    documents: Sequence[ParsedDocument], failures: Sequence[IngestFailure]
) -> list[DocumentEntry]:
    entries = [
        DocumentEntry(
            id=d.document_id,
            document=d.path,
            format=d.format,
            kind=d.metadata.kind,
            title=d.metadata.title,
            document_number=d.metadata.document_number,
            revision=d.metadata.revision,
            pages=d.page_count,
            passages=len(d.passages),
            errors=list(d.warnings),
            findings=list(d.findings),
        )
        for d in documents
    ]
    entries.extend(
        DocumentEntry(id=f.document_id or "", document=f.path, errors=[f"{f.code}: {f.message}"])
        for f in failures
    )
    return sorted(entries, key=lambda e: e.document)
