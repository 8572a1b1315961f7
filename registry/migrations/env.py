"""Alembic environment for the registry store; driven by :func:`registry.migrate.upgrade`."""

from __future__ import annotations

from alembic import context

from registry.migrate import VERSION_TABLE
from registry.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
