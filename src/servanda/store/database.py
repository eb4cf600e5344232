"""Opening a Servanda store: an SQLite file by default, or any SQLAlchemy URL.

SQLite is set up for a log that several processes append to: write-ahead logging with a
full sync on every commit (an acknowledged append survives a crash), foreign keys, waiting
for locks instead of failing, and write transactions that take the write lock when they
begin, so that two writers never both read the same "next sequence number".
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError

from servanda.errors import LedgerError
from servanda.store import migrate

#: Per SQLite engine, the lock its writing threads queue on (see :func:`writing`).
_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()

#: Execution option of a connection whose transactions will write (see :func:`writing`).
_WRITE = "servanda_write"

#: Settings of each SQLite connection (the journal mode is a setting of the file instead).
_PRAGMAS = (
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
)


def open_database(location: str | Path) -> Engine:
    """An engine for the store at ``location``.

    A location containing ``"://"`` is an SQLAlchemy URL, used as is; anything else is the
    path of an SQLite file, created if missing (its directory must exist). An SQLite store
    migrates itself to the current schema; any other database must already be migrated
    (``servanda db upgrade``). A file that is not an SQLite database, a database holding
    other tables but not a store's, or one not migrated, raises :class:`LedgerError`.
    """
    text = str(location)
    if "://" in text:
        engine = create_engine(text)
        text = shown(text)
    else:
        path = Path(location)
        if not path.parent.is_dir():
            raise LedgerError(f"{path}: the directory {path.parent} does not exist")
        if path.is_dir():
            raise LedgerError(f"{path}: is a directory, not a database file")
        engine = create_engine(URL.create("sqlite+pysqlite", database=str(path)))
    if engine.dialect.name == "sqlite":
        _WRITERS[engine] = threading.RLock()
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
    try:
        _prepare(engine, text)
        if engine.dialect.name == "sqlite":
            _use_write_ahead_log(engine)
    except DBAPIError as exc:
        engine.dispose()
        what = "an SQLite database" if engine.dialect.name == "sqlite" else "a usable database"
        raise LedgerError(f"{text}: not {what} ({exc.orig})") from None
    except LedgerError:
        engine.dispose()
        raise
    return engine


def shown(location: str) -> str:
    """A database location as messages may show it: a URL without its password."""
    if "://" not in location:
        return location
    try:
        return make_url(location).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: show only its scheme
        return location.split("://", 1)[0] + "://..."


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it holds the write lock from its start, so
    what it reads cannot change before it commits. Commits on leaving without error.

    SQLite has one writer at a time; the threads of one process queue for it on a lock
    here, in order, instead of polling the database file's lock with growing sleeps
    (``busy_timeout``), which still arbitrates between processes."""
    lock = _WRITERS.get(engine) if engine.dialect.name == "sqlite" else None
    with lock if lock is not None else nullcontext(), engine.connect() as connection:
        connection.execution_options(**{_WRITE: True})
        with connection.begin():
            yield connection


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own implicit BEGIN would be deferred; take over transaction control.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    # A deferred BEGIN asks for the write lock only at the first write, after reading: two
    # appenders would read the same next sequence number, and the second one's upgrade
    # fails at once (SQLITE_BUSY, no waiting). IMMEDIATE locks at BEGIN, where busy_timeout
    # makes the other writer wait its turn.
    immediate = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _use_write_ahead_log(engine: Engine) -> None:
    # WAL is persistent in the file, so setting it once serves every later connection in
    # every process. It is set only here, once the file is known to be a store: a pragma
    # on connect would rewrite the header of any SQLite file opened by mistake.
    connection = engine.raw_connection()
    try:
        connection.driver_connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def _prepare(engine: Engine, location: str) -> None:
    """SQLite: bring the store's schema up to date (creating it in an empty database).
    Any other database must have been migrated with ``servanda db upgrade``."""
    if engine.dialect.name != "sqlite":
        migrate.require_current(engine, location)
        return
    with engine.connect() as connection:
        if migrate.revision(connection) == migrate.head():
            return
    # Again under the write lock: another process may be migrating now.
    with writing(engine) as connection:
        migrate.upgrade(connection, location)
