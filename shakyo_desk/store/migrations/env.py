"""Alembic environment: always run programmatically with an open connection."""

from alembic import context

from shakyo_desk.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
