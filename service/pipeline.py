"""One analysis job: parse the document versions it was started on, map them, store the report.

:class:`AnalysisPipeline` is what a job-runner thread calls. Parsing goes through the ingest
package's cache and sandbox (:class:`~qmsgap.ingest.cache.CachedIngestor`: each file is parsed
once, in worker processes with time and memory limits); the parse each version got is kept in
the :class:`~qmsgap.service.storage.ParsedStore` for the passages, findings and review
endpoints. The mapping engine embeds only passages it has not embedded before (its cache) and
keeps the workspace's FAISS index in ``data_dir/indexes/<workspace id>``.

Progress (step, done, total and an overall fraction) is written to the analysis row; the same
callback raises :class:`~qmsgap.service.errors.JobInterrupted` when the job was cancelled or
the server is stopping, which is how cancellation stops the work between two steps.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qmsgap.errors import DocumentError, NotFound
from qmsgap.ingest.models import IngestFailure, ParsedDocument
from qmsgap.mapping.engine import MappingEngine
from qmsgap.service.catalogs import OrganisationCatalogs
from qmsgap.service.errors import JobInterrupted
from qmsgap.service.models import (
    Analysis,
    AnalysisDocument,
    Document,
    DocumentVersion,
    JobStatus,
    ParseStatus,
    Workspace,
    utcnow,
)
from qmsgap.service.storage import BlobStore, ParsedStore
from qmsgap.settings import Settings

log = logging.getLogger(__name__)

#: Share of the whole job each step stands for: (start, end) of the overall fraction.
STEPS: dict[str, tuple[float, float]] = {
    "parse": (0.0, 0.3),
    "index": (0.3, 0.6),
    "retrieve": (0.6, 0.8),
    "score": (0.8, 0.98),
}
_WRITE_EVERY_SECONDS = 0.5

#: Returns why the job must stop now (cancelled, server stopping), or None to go on.
Interruption = Callable[[], str | None]


@dataclass(frozen=True)
class _Input:
    version_id: str
    sha256: str
    name: str


class ProgressRecorder:
    """The engine's ``progress(step, done, total)``: stores progress, stops a cancelled job."""

    def __init__(
        self, sessions: sessionmaker[Session], analysis_id: str, interruption: Interruption
    ) -> None:
        self.sessions = sessions
        self.analysis_id = analysis_id
        self.interruption = interruption
        self._last_step = ""
        self._last_write = 0.0

    def check(self) -> None:
        """Raises JobInterrupted when the job must stop."""
        reason = self.interruption()
        if reason is not None:
            raise JobInterrupted(reason)

    def __call__(self, step: str, done: int, total: int) -> None:
        self.check()
        now = time.monotonic()
        if (
            step == self._last_step
            and done < total
            and now - self._last_write < _WRITE_EVERY_SECONDS
        ):
            return
        self._last_step, self._last_write = step, now
        low, high = STEPS.get(step, (0.0, 0.0))
        fraction = low + (high - low) * (done / total if total else 1.0)
        with self.sessions.begin() as session:
            analysis = session.get(Analysis, self.analysis_id)
            if analysis is None:
                raise JobInterrupted("the analysis was removed")
            analysis.step, analysis.done, analysis.total = step, done, total
            analysis.progress = round(max(analysis.progress, fraction), 4)
            cancelled = analysis.cancel_requested
        if cancelled:
            raise JobInterrupted("cancelled")


class AnalysisPipeline:
    """Runs analyses. Options: settings, session factory, stores, engine and catalogs."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        blobs: BlobStore,
        parsed: ParsedStore,
        engine: MappingEngine,
        catalogs: OrganisationCatalogs,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.blobs = blobs
        self.parsed = parsed
        self.engine = engine
        self.catalogs = catalogs
        self._engine_lock = threading.Lock()

    def index_dir(self, workspace_id: str) -> Path:
        return self.settings.data_dir / "indexes" / workspace_id

    def run(self, analysis_id: str, interruption: Interruption) -> None:
        """Run the analysis ``analysis_id`` to the end and store its report.

        Raises:
            JobInterrupted: cancelled or the server is stopping (nothing is stored).
            QmsGapError: a subclass when the analysis cannot be done (no readable document,
                invalid catalog or tailoring, model unavailable ...).
        """
        progress = ProgressRecorder(self.sessions, analysis_id, interruption)
        with self.sessions.begin() as session:
            analysis = session.get(Analysis, analysis_id)
            if analysis is None:
                raise NotFound(f"no analysis {analysis_id}")
            workspace = session.get(Workspace, analysis.workspace_id)
            if workspace is None:
                raise NotFound(f"the workspace of analysis {analysis_id} is gone")
            rows = session.execute(
                select(DocumentVersion.id, DocumentVersion.sha256, Document.name)
                .join(AnalysisDocument, AnalysisDocument.version_id == DocumentVersion.id)
                .join(Document, Document.id == DocumentVersion.document_id)
                .where(AnalysisDocument.analysis_id == analysis_id)
                .order_by(Document.name)
            ).all()
            inputs = [_Input(r[0], r[1], r[2]) for r in rows]
            analysis.status = JobStatus.RUNNING.value
            analysis.started_at = utcnow()
            analysis.attempts += 1
            analysis.step, analysis.done, analysis.total = "parse", 0, len(inputs)
            analysis.progress = 0.0
            analysis.error_code = analysis.error_message = None
            organisation_id = workspace.organisation_id
            workspace_id = workspace.id
            options = (analysis.framework, analysis.software_type, dict(analysis.tailoring))
            evidence_k = analysis.evidence_k
        documents, failures = self._parse(inputs, progress)
        if not documents:
            listed = "; ".join(f"{f.path}: {f.message}" for f in failures[:5])
            raise DocumentError(f"none of the {len(inputs)} documents could be read ({listed})")
        framework, software_type, tailoring = options
        catalog = self.catalogs.load(framework, organisation_id)
        progress.check()
        with self._engine_lock:
            result = self.engine.run(
                documents,
                catalog=catalog,
                software_type=software_type,
                tailoring=tailoring,
                failures=failures,
                evidence_k=evidence_k,
                index_dir=self.index_dir(workspace_id),
                progress=progress,
            )
        progress.check()
        report = result.report
        with self.sessions.begin() as session:
            analysis = session.get(Analysis, analysis_id)
            if analysis is None:
                raise JobInterrupted("the analysis was removed")
            analysis.report = report.to_json(indent=None)
            analysis.summary = report.summary.model_dump(mode="json")
            analysis.embedded_passages = result.embedded_passages
            analysis.status = JobStatus.SUCCEEDED.value
            analysis.step, analysis.done, analysis.total = "done", 1, 1
            analysis.progress = 1.0
            analysis.finished_at = utcnow()

    def _parse(
        self, inputs: list[_Input], progress: ProgressRecorder
    ) -> tuple[list[ParsedDocument], list[IngestFailure]]:
        from qmsgap.ingest.cache import CachedIngestor

        present = [i for i in inputs if self.blobs.exists(i.sha256)]
        failures = [
            IngestFailure(
                path=i.name,
                document_id=i.sha256,
                code="blob_missing",
                message="the uploaded file is missing from the data directory; upload it again",
            )
            for i in inputs
            if i not in present
        ]
        outcomes = CachedIngestor(self.settings).run(
            [self.blobs.path(i.sha256) for i in present],
            progress=lambda done, total: progress("parse", done, total),
        )
        documents: list[ParsedDocument] = []
        seen: set[str] = set()
        for item, outcome in zip(present, outcomes, strict=True):
            if isinstance(outcome, ParsedDocument):
                document = outcome.model_copy(update={"path": item.name})
                self.parsed.put(document)
                if document.document_id not in seen:
                    seen.add(document.document_id)
                    documents.append(document)
            else:
                failures.append(
                    outcome.model_copy(update={"path": item.name, "document_id": item.sha256})
                )
        self._record_parses(inputs, documents, failures)
        return documents, failures

    def _record_parses(
        self,
        inputs: list[_Input],
        documents: list[ParsedDocument],
        failures: list[IngestFailure],
    ) -> None:
        parsed = {d.document_id: d for d in documents}
        failed = {f.document_id: f for f in failures}
        with self.sessions.begin() as session:
            for item in inputs:
                version = session.get(DocumentVersion, item.version_id)
                if version is None:
                    continue
                document = parsed.get(item.sha256)
                if document is not None:
                    version.parse_status = ParseStatus.PARSED.value
                    version.parse_error_code = version.parse_error_message = None
                    meta = document.metadata
                    version.title = meta.title[:500] if meta.title else None
                    version.document_number = (meta.document_number or "")[:200] or None
                    version.revision = (meta.revision or "")[:100] or None
                    version.pages = document.page_count
                    version.passages = len(document.passages)
                    version.findings = len(document.findings)
                elif (failure := failed.get(item.sha256)) is not None:
                    version.parse_status = ParseStatus.FAILED.value
                    version.parse_error_code = failure.code[:50]
                    version.parse_error_message = failure.message
