"""Alembic's entry point: migrate the connection that :mod:`servanda.store.migrate` hands
over (``config.attributes["connection"]``), in one transaction."""

from alembic import context

from servanda.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
