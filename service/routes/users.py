"""Users of the organisation (admins manage them)."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from qmsgap.errors import NotFound
from qmsgap.service.access import Action, require
from qmsgap.service.deps import CurrentUser, IdPath, ServicesDep, SessionDep
from qmsgap.service.errors import Conflict, InvalidRequest
from qmsgap.service.models import Role, Token, User, utcnow
from qmsgap.service.routes.common import errors
from qmsgap.service.schemas import UserCreate, UserPublic, UsersPublic, UserUpdate
from qmsgap.service.security import check_password_policy

router = APIRouter(prefix="/users", tags=["users"])


@router.get(
    "",
    summary="List the organisation's users",
    description="Every role may list the users of its organisation (to see who reviewed what).",
    responses=errors(401, 422),
)
def list_users(user: CurrentUser, session: SessionDep) -> UsersPublic:
    users = session.scalars(
        select(User).where(User.organisation_id == user.organisation_id).order_by(User.email)
    ).all()
    return UsersPublic(data=[UserPublic.model_validate(u) for u in users], count=len(users))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (admin)",
    responses=errors(401, 403, 409, 422),
)
def create_user(
    body: UserCreate, user: CurrentUser, services: ServicesDep, session: SessionDep
) -> UserPublic:
    require(user, Action.MANAGE_USERS)
    check_password_policy(body.password)
    created = User(
        organisation_id=user.organisation_id,
        email=body.email,
        name=body.name,
        role=body.role.value,
        password_hash=services.passwords.hash(body.password),
    )
    session.add(created)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"a user with the e-mail {body.email} exists already") from exc
    return UserPublic.model_validate(created)


def _own_user(session: SessionDep, user: User, user_id: str) -> User:
    found = session.get(User, user_id)
    if found is None or found.organisation_id != user.organisation_id:
        raise NotFound(f"no user {user_id}")
    return found


@router.get("/{user_id}", summary="One user of the organisation", responses=errors(401, 404, 422))
def get_user(user_id: IdPath, user: CurrentUser, session: SessionDep) -> UserPublic:
    return UserPublic.model_validate(_own_user(session, user, user_id))


@router.patch(
    "/{user_id}",
    summary="Change a user (admin)",
    description="Name, role, active flag or password. Deactivating a user or changing their "
    "password revokes their tokens. An admin cannot remove their own admin role or "
    "deactivate themselves (the organisation would lose its last way in).",
    responses=errors(401, 403, 404, 422),
)
def update_user(
    user_id: IdPath,
    body: UserUpdate,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
) -> UserPublic:
    require(user, Action.MANAGE_USERS)
    target = _own_user(session, user, user_id)
    if target.id == user.id and (
        body.active is False or (body.role is not None and body.role is not Role.ADMIN)
    ):
        raise InvalidRequest("you cannot deactivate yourself or give up your own admin role")
    revoke = False
    if body.name is not None:
        target.name = body.name
    if body.role is not None:
        target.role = body.role.value
    if body.active is not None:
        revoke = revoke or (target.active and not body.active)
        target.active = body.active
    if body.password is not None:
        check_password_policy(body.password)
        target.password_hash = services.passwords.hash(body.password)
        revoke = True
    if revoke:
        session.execute(
            update(Token)
            .where(Token.user_id == target.id, Token.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    session.commit()
    return UserPublic.model_validate(target)
