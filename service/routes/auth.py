"""Log in (bearer tokens), log out, the current user."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status
from sqlalchemy import select, update

from qmsgap.service.deps import CurrentUser, ServicesDep, SessionDep, TokenDep
from qmsgap.service.errors import Unauthorized
from qmsgap.service.models import Organisation, Token, User, utcnow
from qmsgap.service.routes.common import AUTHED, errors
from qmsgap.service.schemas import (
    LoginRequest,
    OrganisationPublic,
    PasswordChange,
    TokenPublic,
    UserPublic,
)
from qmsgap.service.security import check_password_policy

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    summary="Log in",
    description="Exchange e-mail and password for a bearer token (valid for "
    "server.token_ttl_minutes). Wrong e-mail and wrong password get the same answer.",
    responses=errors(401, 422),
)
def login(body: LoginRequest, services: ServicesDep, session: SessionDep) -> TokenPublic:
    user = session.scalar(select(User).where(User.email == body.email))
    stored = user.password_hash if user is not None and user.active else None
    if not services.passwords.verify(stored, body.password) or user is None:
        raise Unauthorized("wrong e-mail or password")
    if services.passwords.needs_rehash(user.password_hash):
        user.password_hash = services.passwords.hash(body.password)
    issued = services.tokens.issue()
    expires = utcnow() + timedelta(minutes=services.settings.server.token_ttl_minutes)
    session.add(Token(user_id=user.id, digest=issued.digest, expires_at=expires))
    session.commit()
    return TokenPublic(
        access_token=issued.token, expires_at=expires, user=UserPublic.model_validate(user)
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out",
    description="Revoke the token of this request.",
    responses=AUTHED,
)
def logout(session: SessionDep, token: TokenDep) -> None:
    token.revoked_at = utcnow()
    session.commit()


@router.get("/me", summary="The current user", responses=AUTHED)
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)


@router.get("/organisation", summary="The current user's organisation", responses=AUTHED)
def organisation(user: CurrentUser, session: SessionDep) -> OrganisationPublic:
    return OrganisationPublic.model_validate(session.get(Organisation, user.organisation_id))


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change the current user's password",
    description="Needs the current password; every other token of the user is revoked.",
    responses=errors(401, 422),
)
def change_password(
    body: PasswordChange,
    user: CurrentUser,
    token: TokenDep,
    services: ServicesDep,
    session: SessionDep,
) -> None:
    if not services.passwords.verify(user.password_hash, body.current_password):
        raise Unauthorized("the current password is wrong")
    check_password_policy(body.new_password)
    user.password_hash = services.passwords.hash(body.new_password)
    session.execute(
        update(Token)
        .where(Token.user_id == user.id, Token.id != token.id, Token.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()
