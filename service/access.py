"""Who may do what: the permission matrix (roles x actions) and workspace visibility.

Visibility comes first: a workspace exists for a user only if it belongs to the user's
organisation and the user is a member of it (an organisation's admins see all of its
workspaces). Everything else answers 404, exactly like an id that does not exist, so ids of
other organisations reveal nothing. Only then does the role decide (403 ``forbidden``).
docs/api.md shows :data:`PERMISSIONS` as a table; a test keeps the two equal.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from qmsgap.errors import NotFound
from qmsgap.service.errors import Forbidden
from qmsgap.service.models import Role, User, Workspace, WorkspaceMember


class Action(StrEnum):
    READ = "read"
    """See a workspace: documents, passages, analyses, coverage, reviews, audit, reports."""
    COMMENT = "comment"
    UPLOAD = "upload"
    DELETE_DOCUMENT = "delete_document"
    ANALYZE = "analyze"
    """Start and cancel analyses."""
    REVIEW = "review"
    """Accept/reject evidence, attach passages, set or withdraw a practice status."""
    CREATE_WORKSPACE = "create_workspace"
    EDIT_WORKSPACE = "edit_workspace"
    """Name, software type, tailoring."""
    DELETE_WORKSPACE = "delete_workspace"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_USERS = "manage_users"
    IMPORT_CATALOG = "import_catalog"


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.CONSULTANT: frozenset(
        {
            Action.READ,
            Action.COMMENT,
            Action.UPLOAD,
            Action.DELETE_DOCUMENT,
            Action.ANALYZE,
            Action.REVIEW,
            Action.CREATE_WORKSPACE,
            Action.EDIT_WORKSPACE,
            Action.IMPORT_CATALOG,
        }
    ),
    Role.SUPPLIER: frozenset(
        {Action.READ, Action.COMMENT, Action.UPLOAD, Action.DELETE_DOCUMENT, Action.ANALYZE}
    ),
    Role.AUDITOR: frozenset({Action.READ, Action.COMMENT}),
}


def allowed(user: User, action: Action) -> bool:
    return action in PERMISSIONS[Role(user.role)]


def require(user: User, action: Action) -> None:
    """Raises Forbidden when the user's role does not allow ``action``."""
    if not allowed(user, action):
        raise Forbidden(f"the {user.role} role may not {action.value.replace('_', ' ')}")


def visible_workspace(session: Session, user: User, workspace_id: str) -> Workspace:
    """The workspace if ``user`` may see it.

    Raises:
        NotFound: no such workspace, deleted, another organisation's, or not a member.
    """
    workspace = session.get(Workspace, workspace_id)
    if (
        workspace is None
        or workspace.deleted_at is not None
        or workspace.organisation_id != user.organisation_id
    ):
        raise NotFound(f"no workspace {workspace_id}")
    if user.role != Role.ADMIN and not is_member(session, workspace.id, user.id):
        raise NotFound(f"no workspace {workspace_id}")
    return workspace


def is_member(session: Session, workspace_id: str, user_id: str) -> bool:
    found = session.scalar(
        select(WorkspaceMember.user_id).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id
        )
    )
    return found is not None


def visible_workspaces_query(user: User) -> Select[Workspace]:
    """A SELECT of the workspaces ``user`` may see (not deleted, own organisation)."""
    query = select(Workspace).where(
        Workspace.organisation_id == user.organisation_id, Workspace.deleted_at.is_(None)
    )
    if user.role != Role.ADMIN:
        query = query.join(
            WorkspaceMember,
            (WorkspaceMember.workspace_id == Workspace.id) & (WorkspaceMember.user_id == user.id),
        )
    return query.order_by(Workspace.created_at, Workspace.id)
