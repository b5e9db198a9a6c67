"""Analyses: start (background job), list, status, cancel, results, reports, diff."""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import FileResponse
from sqlalchemy import select
from starlette.background import BackgroundTask

from qmsgap.mapping.schema import CoverageReport
from qmsgap.service.access import Action, require
from qmsgap.service.deps import CurrentUser, IdPath, ServicesDep, SessionDep, WorkspaceDep
from qmsgap.service.diff import AnalysisDiff, diff_reports
from qmsgap.service.errors import Conflict, InvalidRequest
from qmsgap.service.models import (
    Analysis,
    AnalysisDocument,
    Document,
    JobStatus,
    utcnow,
)
from qmsgap.service.queries import (
    analysis_public,
    audit,
    chosen_analysis,
    count,
    get_analysis,
    latest_analysis,
    reviewed_report,
)
from qmsgap.service.routes.common import errors
from qmsgap.service.schemas import ID_PATTERN, AnalysesPublic, AnalysisCreate, AnalysisPublic

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["analyses"])


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    HTML = "html"
    DOCX = "docx"
    PDF = "pdf"


_MEDIA_TYPES = {
    ReportFormat.JSON: "application/json",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.HTML: "text/html; charset=utf-8",
    ReportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ReportFormat.PDF: "application/pdf",
}
_ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


@router.post(
    "/analyses",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start an analysis",
    description="Queues a background job on the current versions of the workspace's documents "
    "with its framework, software type and tailoring. Poll GET .../analyses/{id} for progress. "
    "Only new document versions are parsed and only new passages embedded. One analysis per "
    "workspace runs at a time (409 otherwise).",
    responses=errors(401, 403, 404, 409, 422),
)
def start_analysis(
    workspace: WorkspaceDep,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
    body: Annotated[AnalysisCreate | None, Body()] = None,
) -> AnalysisPublic:
    require(user, Action.ANALYZE)
    active = session.scalar(
        select(Analysis.id).where(
            Analysis.workspace_id == workspace.id, Analysis.status.in_(_ACTIVE)
        )
    )
    if active is not None:
        raise Conflict(f"analysis {active} of this workspace is still queued or running")
    documents = session.scalars(
        select(Document).where(Document.workspace_id == workspace.id, Document.deleted_at.is_(None))
    ).all()
    if not documents:
        raise Conflict("the workspace has no documents: upload some first")
    analysis = Analysis(
        workspace_id=workspace.id,
        framework=workspace.framework,
        software_type=workspace.software_type,
        tailoring=dict(workspace.tailoring),
        evidence_k=body.evidence_k if body else None,
        created_by=user.id,
        total=len(documents),
    )
    session.add(analysis)
    session.flush()
    for document in documents:
        session.add(AnalysisDocument(analysis_id=analysis.id, version_id=document.current.id))
    audit(session, workspace.id, user, "analysis.started", target={"analysis_id": analysis.id})
    session.commit()
    session.refresh(analysis)
    services.jobs.submit(analysis.id)
    return analysis_public(session, analysis)


@router.get(
    "/analyses",
    summary="Analyses of the workspace, newest first",
    responses=errors(401, 404, 422),
)
def list_analyses(
    workspace: WorkspaceDep,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AnalysesPublic:
    query = select(Analysis).where(Analysis.workspace_id == workspace.id)
    total = count(session, query)
    rows = session.scalars(
        query.order_by(Analysis.created_at.desc(), Analysis.id.desc()).offset(offset).limit(limit)
    ).all()
    return AnalysesPublic(data=[analysis_public(session, a) for a in rows], count=total)


@router.get(
    "/analyses/{analysis_id}",
    summary="Status and progress of an analysis",
    responses=errors(401, 404, 422),
)
def get_analysis_route(
    analysis_id: IdPath, workspace: WorkspaceDep, session: SessionDep
) -> AnalysisPublic:
    return analysis_public(session, get_analysis(session, workspace, analysis_id))


@router.post(
    "/analyses/{analysis_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Cancel an analysis",
    description="A queued analysis is cancelled at once; a running one stops at its next "
    "progress step (poll until status is 'cancelled'). Finished analyses answer 409.",
    responses=errors(401, 403, 404, 409, 422),
)
def cancel_analysis(
    analysis_id: IdPath,
    workspace: WorkspaceDep,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
) -> AnalysisPublic:
    require(user, Action.ANALYZE)
    analysis = get_analysis(session, workspace, analysis_id)
    if analysis.status not in _ACTIVE:
        raise Conflict(f"analysis {analysis_id} has finished already ({analysis.status})")
    analysis.cancel_requested = True
    if analysis.status == JobStatus.QUEUED.value:
        analysis.status = JobStatus.CANCELLED.value
        analysis.step = "cancelled"
        analysis.error_message = "cancelled by a user"
        analysis.finished_at = utcnow()
    audit(session, workspace.id, user, "analysis.cancelled", target={"analysis_id": analysis.id})
    session.commit()
    services.jobs.cancel(analysis.id)
    return analysis_public(session, analysis)


@router.get(
    "/analyses/{analysis_id}/results",
    summary="The full coverage report (reviews applied)",
    description="Schema qmsgap.coverage/1 (docs/coverage-schema.md) with the workspace's "
    "standing review decisions applied. 409 while the analysis has not succeeded.",
    responses=errors(401, 404, 409, 422),
)
def results(
    analysis_id: IdPath, workspace: WorkspaceDep, services: ServicesDep, session: SessionDep
) -> CoverageReport:
    analysis = get_analysis(session, workspace, analysis_id)
    return reviewed_report(session, services.reports, analysis)


@router.get(
    "/analyses/{analysis_id}/report/{report_format}",
    summary="Download a report",
    description="JSON, CSV, XLSX, HTML, DOCX (an editable Stage 1 pre-screen report) or PDF, "
    "with the review decisions applied; each lists the document versions (sha256) it is "
    "based on.",
    response_class=FileResponse,
    responses={
        200: {"content": {m: {} for m in _MEDIA_TYPES.values()}, "description": "The report."},
        **errors(401, 404, 409, 422),
    },
)
def report(
    analysis_id: IdPath,
    report_format: ReportFormat,
    workspace: WorkspaceDep,
    services: ServicesDep,
    session: SessionDep,
) -> FileResponse:
    from qmsgap.mapping.reports import WRITERS, write_report

    analysis = get_analysis(session, workspace, analysis_id)
    reviewed = reviewed_report(session, services.reports, analysis)
    if report_format.value not in WRITERS:
        raise InvalidRequest(f"the {report_format.value} report is not available in this build")
    folder = Path(tempfile.mkdtemp(prefix="report-", dir=services.blobs.tmp))
    name = f"qmsgap-{_slug(workspace.name)}-{analysis.id[:8]}.{report_format.value}"
    path = write_report(reviewed, report_format.value, folder / name)
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES[report_format],
        filename=name,
        background=BackgroundTask(_remove, folder),
        headers={"X-Content-Type-Options": "nosniff"},
    )


def _slug(name: str) -> str:
    kept = "".join(ch if ch.isalnum() else "-" for ch in name.lower())
    return "-".join(part for part in kept.split("-") if part)[:40] or "workspace"


def _remove(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink(missing_ok=True)
    folder.rmdir()


@router.get(
    "/diff",
    summary="What changed between two analyses",
    description="Per clause and practice: status before/after, score delta, evidence added "
    "and removed, and which documents changed. Both sides have the current review decisions "
    "applied. Defaults: head = the latest succeeded analysis, base = the one before it.",
    responses=errors(401, 404, 409, 422),
)
def diff(
    *,
    workspace: WorkspaceDep,
    services: ServicesDep,
    session: SessionDep,
    base: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    head: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    all_practices: Annotated[
        bool, Query(alias="all", description="Include unchanged practices.")
    ] = False,
) -> AnalysisDiff:
    head_analysis = chosen_analysis(session, workspace, head)
    if base is not None:
        base_analysis = get_analysis(session, workspace, base)
    else:
        found = latest_analysis(session, workspace.id, before=head_analysis)
        if found is None:
            raise Conflict("there is no earlier finished analysis to compare with")
        base_analysis = found
    return diff_reports(
        reviewed_report(session, services.reports, base_analysis),
        reviewed_report(session, services.reports, head_analysis),
        base_id=base_analysis.id,
        head_id=head_analysis.id,
        include_unchanged=all_practices,
    )
