"""Alembic environment: runs on the connection :mod:`rackforge.service.migrate` passes in."""

from __future__ import annotations

from alembic import context

from rackforge.service.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
