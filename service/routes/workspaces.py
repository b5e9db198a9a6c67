"""Workspaces (one organisation under assessment) and their members."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import func, select

from qmsgap.clauses import Catalog, Tailoring
from qmsgap.errors import NotFound
from qmsgap.service.access import Action, is_member, require, visible_workspaces_query
from qmsgap.service.deps import CurrentUser, IdPath, ServicesDep, SessionDep, WorkspaceDep
from qmsgap.service.errors import Conflict, InvalidRequest
from qmsgap.service.models import Document, User, Workspace, WorkspaceMember, utcnow
from qmsgap.service.queries import audit, latest_analysis
from qmsgap.service.routes.common import errors
from qmsgap.service.schemas import (
    MemberAdd,
    MemberPublic,
    MembersPublic,
    WorkspaceCreate,
    WorkspacePublic,
    WorkspacesPublic,
    WorkspaceUpdate,
)
from qmsgap.service.state import Services

router = APIRouter(prefix="/workspaces", tags=["workspaces"])


def workspace_public(session: SessionDep, workspace: Workspace) -> WorkspacePublic:
    documents = session.scalar(
        select(func.count(Document.id)).where(
            Document.workspace_id == workspace.id, Document.deleted_at.is_(None)
        )
    )
    latest = latest_analysis(session, workspace.id)
    public = WorkspacePublic.model_validate(workspace)
    return public.model_copy(
        update={"documents": documents or 0, "latest_analysis_id": latest.id if latest else None}
    )


def _catalog(services: Services, framework: str, organisation_id: str) -> Catalog:
    try:
        return services.catalogs.load(framework, organisation_id)
    except NotFound as exc:
        raise InvalidRequest(f"unknown framework: {exc.message}") from exc


def _check_scope(catalog: Catalog, software_type: str, tailoring: dict[str, str]) -> None:
    """Raises InvalidRequest / CatalogError for a software type or tailoring the catalog
    does not allow."""
    if software_type not in catalog.software_types:
        raise InvalidRequest(
            f"software type {software_type!r} is not one of "
            f"{', '.join(catalog.software_types)} for {catalog.id}"
        )
    Tailoring.for_catalog(catalog, tailoring)


@router.get("", summary="Workspaces the user can see", responses=errors(401, 422))
def list_workspaces(user: CurrentUser, session: SessionDep) -> WorkspacesPublic:
    workspaces = session.scalars(visible_workspaces_query(user)).all()
    data = [workspace_public(session, w) for w in workspaces]
    return WorkspacesPublic(data=data, count=len(data))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a workspace",
    description="The creator becomes its first member. Admins and consultants may create.",
    responses=errors(401, 403, 422),
)
def create_workspace(
    body: WorkspaceCreate, user: CurrentUser, services: ServicesDep, session: SessionDep
) -> WorkspacePublic:
    require(user, Action.CREATE_WORKSPACE)
    catalog = _catalog(services, body.framework, user.organisation_id)
    _check_scope(catalog, body.software_type, body.tailoring)
    workspace = Workspace(
        organisation_id=user.organisation_id,
        name=body.name,
        framework=catalog.id,
        software_type=body.software_type,
        tailoring=dict(body.tailoring),
        created_by=user.id,
    )
    session.add(workspace)
    session.flush()
    session.add(WorkspaceMember(workspace_id=workspace.id, user_id=user.id))
    audit(session, workspace.id, user, "workspace.created", after=body.model_dump(mode="json"))
    session.commit()
    return workspace_public(session, workspace)


@router.get("/{workspace_id}", summary="One workspace", responses=errors(401, 404, 422))
def get_workspace(workspace: WorkspaceDep, session: SessionDep) -> WorkspacePublic:
    return workspace_public(session, workspace)


@router.patch(
    "/{workspace_id}",
    summary="Change name, software type or tailoring",
    description="Takes effect for the next analysis. Admins and consultants.",
    responses=errors(401, 403, 404, 422),
)
def update_workspace(
    body: WorkspaceUpdate,
    workspace: WorkspaceDep,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
) -> WorkspacePublic:
    require(user, Action.EDIT_WORKSPACE)
    before = {
        "name": workspace.name,
        "software_type": workspace.software_type,
        "tailoring": dict(workspace.tailoring),
    }
    software_type = body.software_type or workspace.software_type
    tailoring = dict(body.tailoring) if body.tailoring is not None else dict(workspace.tailoring)
    catalog = _catalog(services, workspace.framework, workspace.organisation_id)
    _check_scope(catalog, software_type, tailoring)
    if body.name is not None:
        workspace.name = body.name
    workspace.software_type = software_type
    workspace.tailoring = tailoring
    workspace.updated_at = utcnow()
    after = {"name": workspace.name, "software_type": software_type, "tailoring": tailoring}
    audit(session, workspace.id, user, "workspace.updated", before=before, after=after)
    session.commit()
    return workspace_public(session, workspace)


@router.delete(
    "/{workspace_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a workspace (admin)",
    description="Soft delete: the workspace disappears for everyone; its records are kept.",
    responses=errors(401, 403, 404, 422),
)
def delete_workspace(workspace: WorkspaceDep, user: CurrentUser, session: SessionDep) -> None:
    require(user, Action.DELETE_WORKSPACE)
    workspace.deleted_at = utcnow()
    audit(session, workspace.id, user, "workspace.deleted")
    session.commit()


# ------------------------------------------------------------------ members


def _member_public(member: WorkspaceMember) -> MemberPublic:
    return MemberPublic(
        user_id=member.user_id,
        email=member.user.email,
        name=member.user.name,
        role=member.user.role,  # type: ignore[arg-type]
        added_at=member.added_at,
    )


@router.get(
    "/{workspace_id}/members", summary="Members of a workspace", responses=errors(401, 404, 422)
)
def list_members(workspace: WorkspaceDep, session: SessionDep) -> MembersPublic:
    members = session.scalars(
        select(WorkspaceMember)
        .where(WorkspaceMember.workspace_id == workspace.id)
        .order_by(WorkspaceMember.added_at)
    ).all()
    return MembersPublic(data=[_member_public(m) for m in members], count=len(members))


@router.post(
    "/{workspace_id}/members",
    status_code=status.HTTP_201_CREATED,
    summary="Add a member (admin)",
    description="Only users of the same organisation can be members.",
    responses=errors(401, 403, 404, 409, 422),
)
def add_member(
    body: MemberAdd, workspace: WorkspaceDep, user: CurrentUser, session: SessionDep
) -> MemberPublic:
    require(user, Action.MANAGE_MEMBERS)
    target = session.get(User, body.user_id)
    if target is None or target.organisation_id != workspace.organisation_id:
        raise NotFound(f"no user {body.user_id}")
    if is_member(session, workspace.id, target.id):
        raise Conflict(f"{target.email} is a member already")
    member = WorkspaceMember(workspace_id=workspace.id, user_id=target.id)
    session.add(member)
    audit(session, workspace.id, user, "member.added", target={"user": target.email})
    session.commit()
    session.refresh(member)
    return _member_public(member)


@router.delete(
    "/{workspace_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member (admin)",
    responses=errors(401, 403, 404, 422),
)
def remove_member(
    user_id: IdPath, workspace: WorkspaceDep, user: CurrentUser, session: SessionDep
) -> None:
    require(user, Action.MANAGE_MEMBERS)
    member = session.get(WorkspaceMember, (workspace.id, user_id))
    if member is None:
        raise NotFound(f"user {user_id} is not a member")
    email = member.user.email
    session.delete(member)
    audit(session, workspace.id, user, "member.removed", target={"user": email})
    session.commit()
