"""Schema migrations: bring a store's database to the schema this version expects.

The migrations are Alembic scripts (:mod:`servanda.store.migrations`). An SQLite store
migrates itself when opened; a server database (PostgreSQL) is migrated on purpose, with
``servanda db upgrade``, and refuses to be used before.

A store made before migrations existed holds the ledger tables without Alembic's version
table; it is recognised by those tables and marked as being at the first revision.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from servanda.errors import LedgerError
from servanda.store.tables import log_entries, logs

_SCRIPTS = Path(__file__).with_name("migrations")
_LEDGER_TABLES = {logs.name: logs, log_entries.name: log_entries}


@cache
def head() -> str:
    """The revision of the schema this version of Servanda expects."""
    return ScriptDirectory(str(_SCRIPTS)).get_current_head()


def revision(connection: Connection) -> str | None:
    """The revision the database is at (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, location: str) -> None:
    """Migrate the database behind ``connection`` (inside its transaction) to :func:`head`.
    A database holding anything but a Servanda store raises :class:`LedgerError`."""
    present = set(inspect(connection).get_table_names())
    current = revision(connection)
    if current is None and present:
        _require_ledger_tables(connection, present, location)
        _run(connection, "stamp", "0001")
    elif current is not None and current not in _known():
        raise LedgerError(
            f"{location}: the store's schema is at revision {current}, which this version of "
            "Servanda does not know (it was made by a newer version); use that version"
        )
    _run(connection, "upgrade", "head")


def require_current(bind: Engine | Connection, location: str) -> None:
    """Raise :class:`LedgerError` with the command to run unless the schema is at head."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return require_current(connection, location)
    current = revision(bind)
    if current is not None and current not in _known():
        raise LedgerError(
            f"{location}: the store's schema is at revision {current}, which this version of "
            "Servanda does not know (it was made by a newer version); use that version"
        )
    if current != head():
        state = "has no Servanda schema yet" if current is None else f"is at revision {current}"
        raise LedgerError(
            f"{location}: the database {state}, not {head()}; run "
            f"`servanda db upgrade --db {location}` first"
        )
    return None


@cache
def _known() -> frozenset[str]:
    return frozenset(script.revision for script in ScriptDirectory(str(_SCRIPTS)).walk_revisions())


def _run(connection: Connection, what: str, target: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = connection
    getattr(command, what)(config, target)


def _require_ledger_tables(connection: Connection, present: set[str], location: str) -> None:
    """A database without Alembic's table is a store from before migrations only if it
    holds exactly the ledger's tables, with their columns."""
    if present != set(_LEDGER_TABLES):
        raise LedgerError(
            f"{location}: not a Servanda store (it holds the tables {', '.join(sorted(present))})"
        )
    inspector = inspect(connection)
    for name, table in _LEDGER_TABLES.items():
        columns = {column["name"] for column in inspector.get_columns(name)}
        lacking = sorted(set(table.columns.keys()) - columns)
        if lacking:
            raise LedgerError(f"{location}: not a Servanda store (table {name} lacks {', '.join(lacking)})")
