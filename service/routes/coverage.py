"""Coverage per clause and practice, with evidence and the reviews applied."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qmsgap.mapping.schema import Status
from qmsgap.service.deps import ServicesDep, SessionDep, WorkspaceDep
from qmsgap.service.queries import chosen_analysis, reviewed_report
from qmsgap.service.review_schemas import CoveragePublic
from qmsgap.service.routes.common import errors
from qmsgap.service.schemas import ID_PATTERN

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["coverage"])


@router.get(
    "/coverage",
    summary="Coverage per clause and practice",
    description="Of the given analysis (default: the latest that succeeded), with the "
    "workspace's review decisions applied: rejected evidence removed, accepted and attached "
    "evidence shown (origin 'reviewer' when the engine did not propose it), manual statuses "
    "with status_source 'manual'. Filters combine; clauses without a matching practice are "
    "left out.",
    responses=errors(401, 404, 409, 422),
)
def coverage(
    *,
    workspace: WorkspaceDep,
    services: ServicesDep,
    session: SessionDep,
    analysis_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    chapter: Annotated[str | None, Query(max_length=20, examples=["5"])] = None,
    clause: Annotated[str | None, Query(max_length=50, examples=["5.5"])] = None,
    status: Annotated[Status | None, Query()] = None,
    practice_type: Annotated[
        str | None, Query(alias="type", max_length=20, examples=["BP"])
    ] = None,
    mandatory: Annotated[bool | None, Query()] = None,
) -> CoveragePublic:
    analysis = chosen_analysis(session, workspace, analysis_id)
    report = reviewed_report(session, services.reports, analysis)
    clauses = []
    matched = 0
    for item in report.clauses:
        if chapter is not None and item.chapter != chapter:
            continue
        if clause is not None and item.id != clause:
            continue
        practices = [
            p
            for p in item.practices
            if (status is None or p.status is status)
            and (practice_type is None or p.type == practice_type)
            and (mandatory is None or p.mandatory is mandatory)
        ]
        if practices:
            matched += len(practices)
            clauses.append(item.model_copy(update={"practices": practices}))
    return CoveragePublic(
        analysis_id=analysis.id,
        workspace_id=workspace.id,
        generated_at=report.generated_at,
        framework=report.framework,
        software_type=report.software_type,
        summary=report.summary,
        documents=report.documents,
        clauses=clauses,
        count=matched,
    )
