"""Creating users outside the API: the first admin of an organisation (``qmsgap user add
--admin``), and any user from the command line."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qmsgap.errors import NotFound
from qmsgap.service.errors import Conflict, InvalidRequest
from qmsgap.service.models import Organisation, Role, User
from qmsgap.service.schemas import normalize_email
from qmsgap.service.security import Passwords, check_password_policy


@dataclass(frozen=True)
class NewUser:
    id: str
    email: str
    role: str
    organisation: str
    organisation_created: bool


def add_user(
    sessions: sessionmaker[Session],
    passwords: Passwords,
    *,
    email: str,
    name: str,
    role: Role,
    organisation: str,
    password: str,
    create_organisation: bool = False,
) -> NewUser:
    """Create a user in ``organisation`` (created too when ``create_organisation``, which is
    allowed only for an admin).

    Raises:
        InvalidRequest: a malformed e-mail, empty name or organisation.
        WeakPassword: the password is too short.
        NotFound: the organisation does not exist and may not be created.
        Conflict: the e-mail is taken, or a new organisation's name is taken.
    """
    try:
        email = normalize_email(email)
    except ValueError as exc:
        raise InvalidRequest(f"{email!r} is not an e-mail address") from exc
    name, organisation = name.strip(), organisation.strip()
    if not name or not organisation or len(name) > 200 or len(organisation) > 200:
        raise InvalidRequest("the name and the organisation need 1 to 200 characters")
    check_password_policy(password)
    with sessions.begin() as session:
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict(f"a user with the e-mail {email} exists already")
        org = session.scalar(select(Organisation).where(Organisation.name == organisation))
        created = False
        if org is None:
            if not create_organisation:
                raise NotFound(
                    f"no organisation {organisation!r}; create it with its first admin "
                    "(qmsgap user add EMAIL --org NAME --admin)"
                )
            if role is not Role.ADMIN:
                raise InvalidRequest("a new organisation starts with an admin")
            org = Organisation(name=organisation)
            session.add(org)
            session.flush()
            created = True
        user = User(
            organisation_id=org.id,
            email=email,
            name=name,
            role=role.value,
            password_hash=passwords.hash(password),
        )
        session.add(user)
        session.flush()
        return NewUser(user.id, email, role.value, org.name, created)


def list_users(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, str, bool]]:
    """(organisation, email, name, role, active) of every user."""
    with sessions() as session:
        rows = session.execute(
            select(Organisation.name, User.email, User.name, User.role, User.active)
            .join(Organisation, Organisation.id == User.organisation_id)
            .order_by(Organisation.name, User.email)
        ).all()
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
