"""Alembic environment: run by :func:`qmsgap.service.db.migrate` with an open connection.

There is no alembic.ini: the service configures Alembic in code and passes the connection in
``config.attributes["connection"]``, so the same migrations run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from alembic import context

from qmsgap.service.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through qmsgap.service.db.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
