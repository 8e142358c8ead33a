"""Alembic environment: the connection comes from klean.adapters.db.migrate, never a URL in a file."""

from __future__ import annotations

from alembic import context

from klean.adapters.db.base import load_models

target_metadata = load_models()
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through klean.adapters.db.migrate (klean init)")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
