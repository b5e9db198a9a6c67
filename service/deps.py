"""Dependencies every router uses, as ``Annotated`` aliases: the shared services, a database
session per request, the authenticated user and the workspace named in the path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from qmsgap.service.access import visible_workspace
from qmsgap.service.errors import Unauthorized
from qmsgap.service.models import Token, User, Workspace, utcnow
from qmsgap.service.schemas import ID_PATTERN
from qmsgap.service.state import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(
    auto_error=False,
    description="The access_token from POST /api/v1/auth/login.",
)


def get_token(
    services: ServicesDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Token:
    """The valid token of the request.

    Raises:
        Unauthorized: missing, unknown, expired or revoked token, or a deactivated user.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("log in and send 'Authorization: Bearer <token>'")
    digest = services.tokens.digest(credentials.credentials)
    token = session.scalar(select(Token).where(Token.digest == digest))
    if token is None or token.revoked_at is not None:
        raise Unauthorized("the token is not valid; log in again")
    if token.expires_at <= utcnow():
        raise Unauthorized("the token has expired; log in again")
    return token


TokenDep = Annotated[Token, Depends(get_token)]


def get_current_user(session: SessionDep, token: TokenDep) -> User:
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        raise Unauthorized("this account is disabled")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]

IdPath = Annotated[str, Path(pattern=ID_PATTERN, description="An id (32 hex digits).")]


def get_workspace(workspace_id: IdPath, session: SessionDep, user: CurrentUser) -> Workspace:
    """The workspace in the path, if the user may see it (404 otherwise)."""
    return visible_workspace(session, user, workspace_id)


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
