"""Reviews: decisions on evidence, attached passages, manual statuses, comments, audit trail.

Decisions are stored per workspace and survive re-analysis (see :mod:`qmsgap.service.overlay`).
Every change appends an audit event with who, when, what, and the state before and after.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import select

from qmsgap.clauses import Clause, Practice
from qmsgap.errors import NotFound
from qmsgap.ingest.models import ParsedDocument, Passage
from qmsgap.mapping.quotes import page_of
from qmsgap.mapping.schema import Evidence
from qmsgap.service.access import Action, require
from qmsgap.service.deps import CurrentUser, IdPath, ServicesDep, SessionDep, WorkspaceDep
from qmsgap.service.errors import InvalidRequest
from qmsgap.service.models import (
    AuditEvent,
    Comment,
    Document,
    EvidenceReview,
    StatusOverride,
    Workspace,
    utcnow,
)
from qmsgap.service.queries import (
    audit,
    count,
    emails,
    evidence_review_public,
    latest_analysis,
    review_records,
    reviewed_report,
    status_public,
)
from qmsgap.service.review_schemas import (
    AttachmentCreate,
    AuditEventPublic,
    AuditEventsPublic,
    CommentCreate,
    CommentPublic,
    CommentsPublic,
    EvidenceDecisionCreate,
    EvidenceReviewPublic,
    PracticeReviewPublic,
    ReviewsPublic,
    StatusOverridePublic,
    StatusOverrideSet,
)
from qmsgap.service.routes.common import errors
from qmsgap.service.schemas import PRACTICE_PATTERN
from qmsgap.service.state import Services

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["reviews"])

PracticePath = Annotated[str, Path(pattern=PRACTICE_PATTERN, examples=["5.5.1"])]
_MAX_ATTACHED_CHARS = 2000


def _practice(
    services: Services, workspace: Workspace, practice_id: str
) -> tuple[Clause, Practice]:
    catalog = services.catalogs.load(workspace.framework, workspace.organisation_id)
    return catalog.locate(practice_id)


def _body_practice(services: Services, workspace: Workspace, practice_id: str) -> None:
    try:
        _practice(services, workspace, practice_id)
    except NotFound as exc:
        raise InvalidRequest(exc.message) from exc


def _snapshot(review: EvidenceReview) -> dict[str, Any]:
    return {
        "decision": review.decision,
        "origin": review.origin,
        "document": review.document,
        "document_id": review.document_id,
        "start": review.start,
        "end": review.end,
        "quote": review.quote,
        "reason": review.reason,
    }


@router.get(
    "/reviews",
    summary="Standing review decisions of the workspace",
    responses=errors(401, 404, 422),
)
def list_reviews(workspace: WorkspaceDep, session: SessionDep) -> ReviewsPublic:
    evidence, statuses = review_records(session, workspace.id)
    names = emails(session, {r.updated_by for r in evidence} | {s.set_by for s in statuses})
    return ReviewsPublic(
        evidence=[evidence_review_public(r, names) for r in evidence],
        statuses=[status_public(s, names) for s in statuses],
        count=len(evidence) + len(statuses),
    )


def _engine_item(
    services: Services, session: SessionDep, workspace: Workspace, body: EvidenceDecisionCreate
) -> Evidence:
    analysis = latest_analysis(session, workspace.id)
    if analysis is not None:
        report = services.reports.get(analysis)
        try:
            practice = report.practice(body.practice_id)
        except KeyError:
            practice = None
        for item in practice.evidence if practice else []:
            if (item.document_id, item.start, item.end) == (body.document_id, body.start, body.end):
                return item
    raise NotFound(
        f"practice {body.practice_id} has no evidence {body.document_id[:12]}:{body.start}-"
        f"{body.end} in the latest analysis"
    )


@router.put(
    "/reviews/evidence",
    summary="Accept or reject an evidence item",
    description="The item is named as the coverage of the latest analysis lists it (practice, "
    "document sha256, start, end). Accepted evidence stays after re-analysis; rejected evidence "
    "does not come "
    "back. Deciding again on the same item replaces the decision (both are in the audit "
    "trail). Consultants and admins.",
    responses=errors(401, 403, 404, 422),
)
def decide_evidence(
    body: EvidenceDecisionCreate,
    workspace: WorkspaceDep,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
) -> EvidenceReviewPublic:
    require(user, Action.REVIEW)
    existing = session.scalar(
        select(EvidenceReview).where(
            EvidenceReview.workspace_id == workspace.id,
            EvidenceReview.practice_id == body.practice_id,
            EvidenceReview.document_id == body.document_id,
            EvidenceReview.start == body.start,
            EvidenceReview.end == body.end,
        )
    )
    before = _snapshot(existing) if existing else None
    if existing is None:
        item = _engine_item(services, session, workspace, body)
        existing = EvidenceReview(
            workspace_id=workspace.id,
            practice_id=body.practice_id,
            document_id=item.document_id,
            document=item.document,
            passage_id=item.passage_id,
            start=item.start,
            end=item.end,
            page=item.page,
            section=list(item.section),
            quote=item.quote,
            score=item.score,
            origin=item.origin,
        )
        session.add(existing)
    existing.decision = body.decision
    existing.reason = body.reason
    existing.updated_by = user.id
    existing.updated_at = utcnow()
    audit(
        session,
        workspace.id,
        user,
        f"evidence.{body.decision}",
        practice_id=body.practice_id,
        target={"document_id": body.document_id, "start": body.start, "end": body.end},
        before=before,
        after=_snapshot(existing),
    )
    session.commit()
    return evidence_review_public(existing, {user.id: user.email})


@router.delete(
    "/reviews/evidence/{review_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Withdraw an evidence decision or attachment",
    description="The engine's own judgement applies again. Consultants and admins.",
    responses=errors(401, 403, 404, 422),
)
def withdraw_evidence(
    review_id: IdPath, workspace: WorkspaceDep, user: CurrentUser, session: SessionDep
) -> None:
    require(user, Action.REVIEW)
    review = session.get(EvidenceReview, review_id)
    if review is None or review.workspace_id != workspace.id:
        raise NotFound(f"no evidence review {review_id}")
    audit(
        session,
        workspace.id,
        user,
        "evidence.withdrawn",
        practice_id=review.practice_id,
        target={"document_id": review.document_id, "start": review.start, "end": review.end},
        before=_snapshot(review),
    )
    session.delete(review)
    session.commit()


def _current_parse(
    services: Services, session: SessionDep, workspace: Workspace, sha_or_prefix: str
) -> ParsedDocument:
    """The parse of a current version of a live document of the workspace whose sha256 is
    (or starts with) ``sha_or_prefix``."""
    documents = session.scalars(
        select(Document).where(Document.workspace_id == workspace.id, Document.deleted_at.is_(None))
    ).all()
    for document in documents:
        if document.current.sha256.startswith(sha_or_prefix):
            parsed = services.parsed.get(document.current.sha256, document.name)
            if parsed is None:
                raise InvalidRequest(f"{document.name} has not been parsed yet: analyze first")
            return parsed
    raise InvalidRequest("no current document version of this workspace matches")


def _span(body: AttachmentCreate, parsed: ParsedDocument) -> tuple[Passage, int, int]:
    if body.passage_id is not None:
        for passage in parsed.passages:
            if passage.id == body.passage_id:
                return passage, passage.start, passage.end
        raise InvalidRequest(f"no passage {body.passage_id}")
    assert body.start is not None and body.end is not None
    start, end = body.start, body.end
    if end > len(parsed.canonical_text):
        raise InvalidRequest(f"the document has {len(parsed.canonical_text)} characters")
    for passage in parsed.passages:
        if passage.start <= start < passage.end:
            return passage, start, end
    raise InvalidRequest("the span does not start inside a passage of the document")


@router.post(
    "/reviews/attachments",
    status_code=status.HTTP_201_CREATED,
    summary="Attach a passage the engine missed",
    description="By passage id, or by document sha256 and character offsets into its "
    "canonical text. The quote is cut from the server's copy of the text, never taken from "
    "the request. The passage shows as accepted evidence with origin 'reviewer' in this and "
    "every later analysis while that document version is analyzed. Consultants and admins.",
    responses=errors(401, 403, 404, 422),
)
def attach_passage(
    body: AttachmentCreate,
    workspace: WorkspaceDep,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
) -> EvidenceReviewPublic:
    require(user, Action.REVIEW)
    _body_practice(services, workspace, body.practice_id)
    prefix = body.document_id or (body.passage_id or "").split(":", 1)[0]
    if len(prefix) < 16:
        raise InvalidRequest("the passage id does not name a document")
    parsed = _current_parse(services, session, workspace, prefix)
    passage, start, end = _span(body, parsed)
    quote = parsed.canonical_text[start:end]
    if not quote.strip():
        raise InvalidRequest("the span holds no text")
    if len(quote) > _MAX_ATTACHED_CHARS:
        raise InvalidRequest(f"attach at most {_MAX_ATTACHED_CHARS} characters at a time")
    existing = session.scalar(
        select(EvidenceReview).where(
            EvidenceReview.workspace_id == workspace.id,
            EvidenceReview.practice_id == body.practice_id,
            EvidenceReview.document_id == parsed.document_id,
            EvidenceReview.start == start,
            EvidenceReview.end == end,
        )
    )
    before = _snapshot(existing) if existing else None
    if existing is None:
        existing = EvidenceReview(
            workspace_id=workspace.id,
            practice_id=body.practice_id,
            document_id=parsed.document_id,
            document=parsed.path,
            passage_id=passage.id,
            start=start,
            end=end,
            page=page_of(parsed, passage, start),
            section=list(passage.section),
            quote=quote,
            score=0.0,
            origin="reviewer",
        )
        session.add(existing)
    existing.decision = "accepted"
    existing.reason = body.reason
    existing.updated_by = user.id
    existing.updated_at = utcnow()
    audit(
        session,
        workspace.id,
        user,
        "evidence.attached",
        practice_id=body.practice_id,
        target={"document_id": parsed.document_id, "start": start, "end": end},
        before=before,
        after=_snapshot(existing),
    )
    session.commit()
    return evidence_review_public(existing, {user.id: user.email})


@router.put(
    "/reviews/practices/{practice_id}/status",
    summary="Set a practice's status by hand",
    description="Wins over the engine's status in this and every later analysis, shown with "
    "status_source 'manual' and the reason. Consultants and admins.",
    responses=errors(401, 403, 404, 422),
)
def set_status(
    *,
    practice_id: PracticePath,
    body: StatusOverrideSet,
    workspace: WorkspaceDep,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
) -> StatusOverridePublic:
    require(user, Action.REVIEW)
    _practice(services, workspace, practice_id)
    override = session.scalar(
        select(StatusOverride).where(
            StatusOverride.workspace_id == workspace.id, StatusOverride.practice_id == practice_id
        )
    )
    before: dict[str, Any] | None
    if override is not None:
        before = {"status": override.status, "reason": override.reason, "source": "manual"}
    else:
        before = _engine_status(services, session, workspace, practice_id)
        override = StatusOverride(workspace_id=workspace.id, practice_id=practice_id)
        session.add(override)
    override.status = body.status.value
    override.reason = body.reason
    override.set_by = user.id
    override.set_at = utcnow()
    audit(
        session,
        workspace.id,
        user,
        "status.set",
        practice_id=practice_id,
        before=before,
        after={"status": body.status.value, "reason": body.reason, "source": "manual"},
    )
    session.commit()
    return status_public(override, {user.id: user.email})


def _engine_status(
    services: Services, session: SessionDep, workspace: Workspace, practice_id: str
) -> dict[str, Any] | None:
    analysis = latest_analysis(session, workspace.id)
    if analysis is None:
        return None
    try:
        practice = services.reports.get(analysis).practice(practice_id)
    except KeyError:
        return None
    return {"status": practice.status.value, "source": "engine", "analysis_id": analysis.id}


@router.delete(
    "/reviews/practices/{practice_id}/status",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Withdraw a manual status",
    description="The engine's status applies again. Consultants and admins.",
    responses=errors(401, 403, 404, 422),
)
def clear_status(
    practice_id: PracticePath,
    workspace: WorkspaceDep,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
) -> None:
    require(user, Action.REVIEW)
    override = session.scalar(
        select(StatusOverride).where(
            StatusOverride.workspace_id == workspace.id, StatusOverride.practice_id == practice_id
        )
    )
    if override is None:
        raise NotFound(f"practice {practice_id} has no manual status")
    before = {"status": override.status, "reason": override.reason, "source": "manual"}
    session.delete(override)
    session.flush()
    audit(
        session,
        workspace.id,
        user,
        "status.cleared",
        practice_id=practice_id,
        before=before,
        after=_engine_status(services, session, workspace, practice_id),
    )
    session.commit()


def _comment_public(comment: Comment) -> CommentPublic:
    return CommentPublic(
        id=comment.id,
        practice_id=comment.practice_id,
        body=comment.body,
        author=comment.author,
        created_at=comment.created_at,
    )


@router.post(
    "/reviews/practices/{practice_id}/comments",
    status_code=status.HTTP_201_CREATED,
    summary="Comment on a practice",
    description="Every role may comment (auditors annotate). Comments are append-only.",
    responses=errors(401, 403, 404, 422),
)
def add_comment(
    *,
    practice_id: PracticePath,
    body: CommentCreate,
    workspace: WorkspaceDep,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
) -> CommentPublic:
    require(user, Action.COMMENT)
    _practice(services, workspace, practice_id)
    comment = Comment(
        workspace_id=workspace.id,
        practice_id=practice_id,
        body=body.body,
        author_id=user.id,
        author=user.email,
    )
    session.add(comment)
    session.flush()
    audit(
        session,
        workspace.id,
        user,
        "comment.added",
        practice_id=practice_id,
        target={"comment_id": comment.id},
        after={"body": body.body},
    )
    session.commit()
    return _comment_public(comment)


def _comments(session: SessionDep, workspace_id: str, practice_id: str) -> list[Comment]:
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.workspace_id == workspace_id, Comment.practice_id == practice_id)
            .order_by(Comment.created_at, Comment.id)
        ).all()
    )


@router.get(
    "/reviews/practices/{practice_id}/comments",
    summary="Comments on a practice, oldest first",
    responses=errors(401, 404, 422),
)
def list_comments(
    practice_id: PracticePath, workspace: WorkspaceDep, session: SessionDep
) -> CommentsPublic:
    comments = _comments(session, workspace.id, practice_id)
    return CommentsPublic(data=[_comment_public(c) for c in comments], count=len(comments))


def _event_public(event: AuditEvent) -> AuditEventPublic:
    return AuditEventPublic(
        id=event.id,
        practice_id=event.practice_id,
        actor=event.actor,
        action=event.action,
        target=event.target,
        before=event.before,
        after=event.after,
        at=event.at,
    )


@router.get(
    "/reviews/practices/{practice_id}",
    summary="Everything about one practice",
    description="Its coverage in the latest analysis (reviews applied), the standing "
    "decisions, the comments and the audit trail.",
    responses=errors(401, 404, 422),
)
def practice_review(
    practice_id: PracticePath,
    workspace: WorkspaceDep,
    services: ServicesDep,
    session: SessionDep,
) -> PracticeReviewPublic:
    clause, practice = _practice(services, workspace, practice_id)
    analysis = latest_analysis(session, workspace.id)
    coverage = None
    if analysis is not None:
        try:
            coverage = reviewed_report(session, services.reports, analysis).practice(practice_id)
        except KeyError:
            coverage = None
    evidence, statuses = review_records(session, workspace.id)
    evidence = [r for r in evidence if r.practice_id == practice_id]
    override = next((s for s in statuses if s.practice_id == practice_id), None)
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.workspace_id == workspace.id, AuditEvent.practice_id == practice_id)
        .order_by(AuditEvent.id)
    ).all()
    names = emails(
        session, {r.updated_by for r in evidence} | {override.set_by if override else None}
    )
    return PracticeReviewPublic(
        practice_id=practice.id,
        clause_id=clause.id,
        title=practice.title,
        requirement=practice.requirement,
        analysis_id=analysis.id if analysis else None,
        coverage=coverage,
        evidence_reviews=[evidence_review_public(r, names) for r in evidence],
        status_override=status_public(override, names) if override else None,
        comments=[_comment_public(c) for c in _comments(session, workspace.id, practice_id)],
        audit=[_event_public(e) for e in events],
    )


@router.get(
    "/audit",
    summary="The workspace's audit trail, oldest first",
    description="Append-only: uploads, deletions, analyses, every review decision, status, "
    "attachment and comment, membership and workspace changes, with actor, time and the state "
    "before and after.",
    responses=errors(401, 404, 422),
)
def audit_trail(
    *,
    workspace: WorkspaceDep,
    session: SessionDep,
    practice_id: Annotated[str | None, Query(pattern=PRACTICE_PATTERN)] = None,
    action: Annotated[str | None, Query(max_length=50, pattern=r"^[a-z_.]+$")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditEventsPublic:
    query = select(AuditEvent).where(AuditEvent.workspace_id == workspace.id)
    if practice_id is not None:
        query = query.where(AuditEvent.practice_id == practice_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    total = count(session, query)
    events = session.scalars(query.order_by(AuditEvent.id).offset(offset).limit(limit)).all()
    return AuditEventsPublic(data=[_event_public(e) for e in events], count=total)
