"""Storage: the SQL database (SQLite by default, PostgreSQL for a server) holding ledgers,
accounts and rooms, with its schema migrations."""

from servanda.store.database import open_database, writing
from servanda.store.tables import (
    accounts,
    credentials,
    invitations,
    log_entries,
    logs,
    members,
    metadata,
    preferences,
    rate_counters,
    rooms,
    seats,
    stored_scenarios,
)

__all__ = [
    "accounts",
    "credentials",
    "invitations",
    "log_entries",
    "logs",
    "members",
    "metadata",
    "open_database",
    "preferences",
    "rate_counters",
    "rooms",
    "seats",
    "stored_scenarios",
    "writing",
]
