"""Storage: the SQL database (SQLite by default) holding ledgers and, later, rooms."""

from servanda.store.database import open_database, writing
from servanda.store.tables import log_entries, logs, metadata

__all__ = ["log_entries", "logs", "metadata", "open_database", "writing"]
