"""Lookups and conversions the routers share: scoped fetches that answer 404 for anything
outside the workspace, the reviewed report of an analysis, audit records, ORM -> public."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qmsgap.errors import NotFound
from qmsgap.mapping.schema import CoverageReport, Evidence, Status
from qmsgap.service.errors import Conflict
from qmsgap.service.models import (
    Analysis,
    AuditEvent,
    Document,
    DocumentVersion,
    EvidenceReview,
    JobStatus,
    StatusOverride,
    User,
    Workspace,
)
from qmsgap.service.overlay import EvidenceDecision, ManualStatus, apply_reviews
from qmsgap.service.review_schemas import EvidenceReviewPublic, StatusOverridePublic
from qmsgap.service.schemas import (
    AnalysisDocumentRef,
    AnalysisPublic,
    DocumentPublic,
    DocumentVersionPublic,
    JobError,
    ParseError,
)


class ReportCache:
    """Parsed reports of finished analyses (immutable), least recently used dropped first."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[str, CoverageReport] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, analysis: Analysis) -> CoverageReport:
        """The engine report of a succeeded analysis. Raises Conflict when there is none."""
        if analysis.status != JobStatus.SUCCEEDED.value or analysis.report is None:
            raise Conflict(f"analysis {analysis.id} has no results (status: {analysis.status})")
        with self._lock:
            found = self._items.get(analysis.id)
            if found is not None:
                self._items.move_to_end(analysis.id)
                return found
        report = CoverageReport.model_validate_json(analysis.report)
        with self._lock:
            self._items[analysis.id] = report
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return report


# ------------------------------------------------------------------ scoped lookups


def get_document(session: Session, workspace: Workspace, document_id: str) -> Document:
    """Raises NotFound unless the document belongs to the workspace and is not deleted."""
    document = session.get(Document, document_id)
    if document is None or document.workspace_id != workspace.id or document.deleted_at:
        raise NotFound(f"no document {document_id}")
    return document


def get_version(document: Document, version_id: str | None) -> DocumentVersion:
    """The version ``version_id`` of ``document`` (the current one when None)."""
    if version_id is None:
        return document.current
    for version in document.versions:
        if version.id == version_id:
            return version
    raise NotFound(f"document {document.id} has no version {version_id}")


def get_analysis(session: Session, workspace: Workspace, analysis_id: str) -> Analysis:
    analysis = session.get(Analysis, analysis_id)
    if analysis is None or analysis.workspace_id != workspace.id:
        raise NotFound(f"no analysis {analysis_id}")
    return analysis


def latest_analysis(
    session: Session, workspace_id: str, before: Analysis | None = None
) -> Analysis | None:
    """The newest succeeded analysis (older than ``before`` when given)."""
    query = select(Analysis).where(
        Analysis.workspace_id == workspace_id, Analysis.status == JobStatus.SUCCEEDED.value
    )
    if before is not None:
        query = query.where(
            (Analysis.created_at < before.created_at)
            | ((Analysis.created_at == before.created_at) & (Analysis.id < before.id))
        )
    return session.scalars(query.order_by(Analysis.created_at.desc(), Analysis.id.desc())).first()


def chosen_analysis(session: Session, workspace: Workspace, analysis_id: str | None) -> Analysis:
    """The analysis asked for, or the latest succeeded one. Raises NotFound/Conflict."""
    if analysis_id is not None:
        return get_analysis(session, workspace, analysis_id)
    found = latest_analysis(session, workspace.id)
    if found is None:
        raise Conflict("this workspace has no finished analysis yet: start one first")
    return found


def emails(session: Session, ids: set[str | None]) -> dict[str, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.email).where(User.id.in_(wanted))).all()
    return {row[0]: row[1] for row in rows}


# ------------------------------------------------------------------ reviews


def review_records(
    session: Session, workspace_id: str
) -> tuple[list[EvidenceReview], list[StatusOverride]]:
    evidence = session.scalars(
        select(EvidenceReview)
        .where(EvidenceReview.workspace_id == workspace_id)
        .order_by(EvidenceReview.practice_id, EvidenceReview.updated_at, EvidenceReview.id)
    ).all()
    statuses = session.scalars(
        select(StatusOverride)
        .where(StatusOverride.workspace_id == workspace_id)
        .order_by(StatusOverride.practice_id)
    ).all()
    return list(evidence), list(statuses)


def evidence_of(review: EvidenceReview) -> Evidence:
    return Evidence(
        document_id=review.document_id,
        document=review.document,
        passage_id=review.passage_id,
        page=review.page,
        section=list(review.section),
        quote=review.quote,
        start=review.start,
        end=review.end,
        score=review.score,
        origin="reviewer" if review.origin == "reviewer" else "engine",
    )


def reviewed_report(session: Session, reports: ReportCache, analysis: Analysis) -> CoverageReport:
    """The analysis's report with the workspace's standing review decisions applied."""
    report = reports.get(analysis)
    evidence, statuses = review_records(session, analysis.workspace_id)
    names = emails(session, {s.set_by for s in statuses})
    return apply_reviews(
        report,
        [EvidenceDecision(r.practice_id, r.decision, evidence_of(r)) for r in evidence],
        [
            ManualStatus(
                s.practice_id,
                Status(s.status),
                s.reason,
                names.get(s.set_by or "", "a reviewer"),
                s.set_at,
            )
            for s in statuses
        ],
    )


def evidence_review_public(review: EvidenceReview, names: dict[str, str]) -> EvidenceReviewPublic:
    return EvidenceReviewPublic(
        id=review.id,
        practice_id=review.practice_id,
        document_id=review.document_id,
        document=review.document,
        passage_id=review.passage_id,
        start=review.start,
        end=review.end,
        page=review.page,
        section=list(review.section),
        quote=review.quote,
        origin="reviewer" if review.origin == "reviewer" else "engine",
        decision="accepted" if review.decision == "accepted" else "rejected",
        reason=review.reason,
        updated_by=names.get(review.updated_by or ""),
        updated_at=review.updated_at,
    )


def status_public(override: StatusOverride, names: dict[str, str]) -> StatusOverridePublic:
    return StatusOverridePublic(
        practice_id=override.practice_id,
        status=Status(override.status),
        reason=override.reason,
        set_by=names.get(override.set_by or ""),
        set_at=override.set_at,
    )


def audit(
    session: Session,
    workspace_id: str,
    user: User | None,
    action: str,
    *,
    practice_id: str | None = None,
    target: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (committed with the change it records)."""
    event = AuditEvent(
        workspace_id=workspace_id,
        practice_id=practice_id,
        actor_id=user.id if user else None,
        actor=user.email if user else "system",
        action=action,
        target=target or {},
        before=before,
        after=after,
    )
    session.add(event)
    return event


# ------------------------------------------------------------------ documents and analyses


def version_public(version: DocumentVersion, names: dict[str, str]) -> DocumentVersionPublic:
    error = None
    if version.parse_error_message:
        error = ParseError(
            code=version.parse_error_code or "document_error", message=version.parse_error_message
        )
    return DocumentVersionPublic(
        id=version.id,
        number=version.number,
        sha256=version.sha256,
        filename=version.filename,
        size=version.size,
        format=version.format,  # type: ignore[arg-type]
        uploaded_by=names.get(version.uploaded_by or ""),
        uploaded_at=version.uploaded_at,
        parse_status=version.parse_status,  # type: ignore[arg-type]
        parse_error=error,
        title=version.title,
        document_number=version.document_number,
        revision=version.revision,
        pages=version.pages,
        passages=version.passages,
        findings=version.findings,
    )


def document_public(document: Document, names: dict[str, str]) -> DocumentPublic:
    return DocumentPublic(
        id=document.id,
        workspace_id=document.workspace_id,
        name=document.name,
        created_at=document.created_at,
        current_version=version_public(document.current, names),
        versions=len(document.versions),
    )


def analysis_public(session: Session, analysis: Analysis) -> AnalysisPublic:
    rows = session.execute(
        select(DocumentVersion, Document.name)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(DocumentVersion.id.in_([v.version_id for v in analysis.versions]))
        .order_by(Document.name)
    ).all()
    names = emails(session, {analysis.created_by})
    error = None
    if analysis.error_message and analysis.status != JobStatus.SUCCEEDED.value:
        error = JobError(code=analysis.error_code, message=analysis.error_message)
    return AnalysisPublic(
        id=analysis.id,
        workspace_id=analysis.workspace_id,
        status=JobStatus(analysis.status),
        step=analysis.step,
        done=analysis.done,
        total=analysis.total,
        progress=analysis.progress,
        cancel_requested=analysis.cancel_requested,
        attempts=analysis.attempts,
        error=error,
        framework=analysis.framework,
        software_type=analysis.software_type,
        tailoring=dict(analysis.tailoring),
        created_by=names.get(analysis.created_by or ""),
        created_at=analysis.created_at,
        started_at=analysis.started_at,
        finished_at=analysis.finished_at,
        embedded_passages=analysis.embedded_passages,
        summary=analysis.summary,  # type: ignore[arg-type]
        documents=[
            AnalysisDocumentRef(
                document_id=version.document_id,
                version_id=version.id,
                name=name,
                number=version.number,
                sha256=version.sha256,
            )
            for version, name in rows
        ],
    )


def count(session: Session, query: Any) -> int:
    return int(
        session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    )
