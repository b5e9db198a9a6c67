"""``qmsgap user``: create users (the first admin of an organisation) and list them."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from qmsgap.errors import QmsGapError

user_app = typer.Typer(help="Users of the web service.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")


class InvalidOption(QmsGapError):
    code = "invalid_option"


@user_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="Login e-mail of the new user.")],
    *,
    org: Annotated[str, typer.Option("--org", help="Organisation the user belongs to.")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the e-mail).")] = None,
    role: Annotated[
        str | None, typer.Option(help="admin, supplier, consultant or auditor.")
    ] = None,
    admin: Annotated[
        bool,
        typer.Option(
            "--admin", help="Make the user an admin; creates the organisation if it is new."
        ),
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user. The first user of a new organisation is created with --admin."""
    from qmsgap.service.accounts import add_user
    from qmsgap.service.db import make_engine, migrate, session_factory
    from qmsgap.service.models import Role
    from qmsgap.service.security import Passwords
    from qmsgap.settings import get_settings

    if admin and role not in (None, "admin"):
        raise InvalidOption("--admin makes an admin; leave out --role or use --role admin")
    chosen = "admin" if admin else role
    if chosen is None:
        raise InvalidOption("give --role (supplier, consultant, auditor, admin) or --admin")
    try:
        user_role = Role(chosen)
    except ValueError as exc:
        raise InvalidOption(
            f"unknown role {chosen!r}: use {', '.join(r.value for r in Role)}"
        ) from exc
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = get_settings()
    database = make_engine(settings.resolved_database_url)
    try:
        migrate(database)
        created = add_user(
            session_factory(database),
            Passwords.from_settings(settings),
            email=email,
            name=name or email,
            role=user_role,
            organisation=org,
            password=password,
            create_organisation=admin,
        )
    finally:
        database.dispose()
    note = " (new organisation)" if created.organisation_created else ""
    typer.echo(f"created {created.role} {created.email} in {created.organisation}{note}")


@user_app.command("list")
def list_command() -> None:
    """List every user: organisation, e-mail, name, role, active."""
    from qmsgap.service.accounts import list_users
    from qmsgap.service.db import make_engine, migrate, session_factory
    from qmsgap.settings import get_settings

    database = make_engine(get_settings().resolved_database_url)
    try:
        migrate(database)
        rows = list_users(session_factory(database))
    finally:
        database.dispose()
    for organisation, email, name, role, active in rows:
        state = "" if active else "  (inactive)"
        typer.echo(f"{organisation}\t{email}\t{name}\t{role}{state}")
