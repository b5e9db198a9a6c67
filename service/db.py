"""The database: engine factory (SQLite by default, PostgreSQL by URL), Alembic migrations run
programmatically, and the session factory.

SQLite lives in the data directory with WAL journaling, foreign keys on and a busy timeout, so
the request threads and the analysis worker can share it. A ``postgresql+psycopg://`` URL
selects PostgreSQL (the ``postgres`` extra). Both get the same schema from the same migrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from qmsgap.errors import ConfigurationError, MissingExtra

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_SQLITE_BUSY_MS = 30_000


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite (file or memory) or PostgreSQL through psycopg 3.

    Raises:
        ConfigurationError: the URL is malformed or names an unsupported database.
        MissingExtra: PostgreSQL is selected but psycopg is not installed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"the database URL cannot be parsed: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": _SQLITE_BUSY_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ConfigurationError(
                "use the psycopg 3 driver for PostgreSQL: postgresql+psycopg://user@host/db"
            )
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise MissingExtra("PostgreSQL", "postgres") from exc
        return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise ConfigurationError(
        f"unsupported database '{backend}': use SQLite (default) or postgresql+psycopg://"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
    finally:
        cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose loaded objects stay readable after commit (responses are built after);
    their flushes refuse to change or delete audit events."""
    from qmsgap.service.models import refuse_audit_changes

    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "before_flush", refuse_audit_changes)
    return factory


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (``alembic upgrade head``).

    Raises:
        ConfigurationError: the database cannot be reached or a migration fails.
    """
    from alembic import command

    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # two servers starting at once must not migrate concurrently
                connection.execute(text("SELECT pg_advisory_xact_lock(7071234501)"))
            command.upgrade(_alembic_config(connection), "head")
    except SQLAlchemyError as exc:
        raise ConfigurationError(f"the database cannot be migrated: {exc}") from exc


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str | None

    @property
    def at_head(self) -> bool:
        return self.current is not None and self.current == self.head


def schema_state(engine: Engine) -> SchemaState:
    """The revision the database is at and the newest one shipped.

    Raises:
        SQLAlchemyError: the database cannot be reached.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
    return SchemaState(current=current, head=head)
