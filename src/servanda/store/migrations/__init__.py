"""Alembic migrations of the store's schema (run by :mod:`servanda.store.migrate`)."""
