"""Alembic environment: the connection is handed in by ``shared.db.migrate``."""

from __future__ import annotations

from alembic import context

from shared.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `dateline migrate`")

context.configure(connection=connection, target_metadata=metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
