"""Group commit: a store's write transactions run by writer threads, several per commit.

A commit waits for the disk (SQLite syncs its write-ahead log, PostgreSQL flushes its
WAL): one commit per request caps a server at a few hundred writes per second, whatever
the CPU. A :class:`Writer` thread takes every piece of work waiting when it is free, runs
them in one transaction and commits them together: one sync for many writes. Each piece of
work still succeeds or fails alone — one that fails is answered with its error, the
transaction rolled back and the others run again, each in a savepoint — and its caller
hears of its result only once the commit has succeeded: an acknowledged write is durable,
as with a commit of its own.

On PostgreSQL, several writer threads, and several server processes, write at once. Only
the first piece of work of a transaction may wait for a row lock; the others ask for
theirs with ``NOWAIT`` (see :func:`may_wait`), and one that finds a row locked goes back to
start the next transaction. So no transaction waits for a lock while holding others' rows:
writers never deadlock.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from servanda.store.database import writing

T = TypeVar("T")

_log = logging.getLogger(__name__)

#: Execution option set on the connection while a piece of work runs that may not wait
#: for row locks (see :func:`may_wait`).
_NOWAIT = "servanda_nowait"

#: PostgreSQL's SQLSTATE for "could not obtain lock" (``FOR UPDATE NOWAIT``).
_LOCK_NOT_AVAILABLE = "55P03"


class AfterCommit(Exception):  # noqa: N818 - not an error itself: it carries one
    """Raised by work whose writes stand although its caller is refused: what it wrote is
    committed, then its caller gets ``error``."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


def may_wait(connection: Connection) -> bool:
    """Whether work on ``connection`` may wait for a row lock (``FOR UPDATE``) or must
    ask with ``NOWAIT`` (it is not the first of its transaction)."""
    return not connection.get_execution_options().get(_NOWAIT, False)


@dataclass(eq=False)
class _Work:
    """A piece of work, its caller's future, and the callbacks it registered."""

    run: Callable[[Connection], Any]
    future: Future = field(default_factory=Future)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    before_commit: list[tuple[Hashable, Callable[[Connection, list], None], Any]] = field(default_factory=list)

    def forget(self) -> None:
        """Drop the callbacks registered: this run of the work does not count."""
        self.after_commit.clear()
        self.before_commit.clear()


class Writer:
    """The write transactions of one engine, run with group commit by ``threads`` threads:
    one for SQLite (it has one writer at a time anyway); on PostgreSQL, more keep several
    transactions in flight while each waits for the server. The threads start with the
    first piece of work, and again after :meth:`close`."""

    def __init__(self, engine: Engine, threads: int = 1, batch: int = 64, name: str = "servanda-writer"):
        self.engine = engine
        self.batch = batch
        self.name = name
        self._count = threads
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._local = threading.local()  # .current: the work a writer thread is running
        self._threads: list[threading.Thread] = []
        self._starting = threading.Lock()

    def submit(self, work: Callable[[Connection], T]) -> Future[T]:
        """Run ``work(connection)`` in a write transaction; its future is resolved once that
        has committed (or with the exception that ``work`` or the commit raised)."""
        if threading.current_thread() in self._threads:
            raise RuntimeError("work of the writer cannot wait for other work of the writer")
        if not self._threads:
            self._start()
        item = _Work(work)
        self._queue.put(item)
        return item.future

    def run(self, work: Callable[[Connection], T]) -> T:
        """:meth:`submit` ``work`` and wait for its result."""
        return self.submit(work).result()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """From inside a piece of work: call ``callback`` once the transaction has committed
        (not at all if this piece of work fails or the commit does), before its future is
        resolved."""
        self._running("after_commit").after_commit.append(callback)

    def before_commit(self, key: Hashable, callback: Callable[[Connection, list], None], value: Any) -> None:
        """From inside a piece of work: just before the transaction commits, call
        ``callback(connection, values)`` once per ``key``, with the values registered under
        it by the work that succeeded, in order (one statement for many pieces of work)."""
        self._running("before_commit").before_commit.append((key, callback, value))

    @contextmanager
    def savepoint(self, connection: Connection) -> Iterator[None]:
        """From inside a piece of work: a savepoint, for a part of it that may fail alone.
        On an exception its writes roll back, and so do the callbacks registered in it."""
        item = self._running("savepoint")
        after, before = len(item.after_commit), len(item.before_commit)
        try:
            with connection.begin_nested():
                yield
        except BaseException:
            del item.after_commit[after:], item.before_commit[before:]
            raise

    def close(self) -> None:
        """Finish the work queued so far, then stop the threads."""
        with self._starting:
            threads, self._threads = self._threads, []
            if threads:
                self._queue.put(None)  # each thread puts it back for the next as it stops
                for thread in threads:
                    thread.join()
                # Take the stop token out; work that came in meanwhile waits for a restart.
                waiting = []
                while not self._queue.empty():
                    waiting.append(self._queue.get())
                for item in waiting:
                    if item is not None:
                        self._queue.put(item)

    def _start(self) -> None:
        with self._starting:
            if not self._threads:
                self._threads = [threading.Thread(target=self._serve, name=f"{self.name}-{k}", daemon=True)
                                 for k in range(self._count)]
                for thread in self._threads:
                    thread.start()

    def _running(self, what: str) -> _Work:
        item = getattr(self._local, "current", None)
        if item is None:
            raise RuntimeError(f"{what} is for work running in the writer")
        return item

    def _serve(self) -> None:
        again: list[_Work] = []  # work to run first: its transaction was rolled back
        careful = False
        while True:
            batch, again = again[:self.batch], again[self.batch:]
            if not batch:
                first = self._queue.get()
                if first is None:
                    self._queue.put(None)  # for the next thread to stop too
                    return
                batch.append(first)
            while len(batch) < self.batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop once this batch is done
                    break
                batch.append(item)
            retry, careful = self._commit(batch, careful)
            again = retry + again

    def _commit(self, batch: list[_Work], careful: bool) -> tuple[list[_Work], bool]:
        """Run ``batch`` in one transaction: the work to run again in the next one, and
        whether that one should be careful.

        A careful transaction gives each piece of work a savepoint: one that fails rolls
        back alone. Savepoints cost two statements each, and work rarely fails, so the
        first try goes without: when a piece of work fails there, it is answered, the
        transaction is rolled back and the rest of the batch runs again, carefully."""
        done: list[tuple[_Work, Any]] = []
        failed: list[tuple[_Work, BaseException]] = []
        refused: list[tuple[_Work, BaseException]] = []  # written, and answered with an error
        again: list[_Work] = []
        try:
            with writing(self.engine) as connection:
                for position, item in enumerate(batch):
                    connection.execution_options(**{_NOWAIT: position > 0})
                    self._local.current = item
                    try:
                        with connection.begin_nested() if careful else nullcontext():
                            try:
                                done.append((item, item.run(connection)))
                            except AfterCommit as kept:
                                refused.append((item, kept.error))
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller, or tried again
                        item.forget()
                        if position > 0 and _lock_not_available(exc):
                            again.append(item)  # first in the next transaction, which may wait
                        else:
                            failed.append((item, exc))
                        if not careful:
                            raise _RollBack() from exc
                    finally:
                        self._local.current = None
                connection.execution_options(**{_NOWAIT: False})
                _call_before_commit(connection, [item for item, _ in done + refused])
        except _RollBack:
            for item, exc in failed:
                _fail(item, exc)
            rest = [item for item in batch if item not in again and not item.future.done()]
            for item in rest:
                item.forget()
            return again + rest, True
        except BaseException as exc:  # noqa: BLE001 - the commit failed: nothing of the batch counts
            for item in batch:
                _fail(item, exc)
            return [], False
        for item, _ in done + refused:
            for callback in item.after_commit:
                try:
                    callback()
                except Exception:  # noqa: BLE001 - committed already; logged with its traceback
                    _log.exception("a callback after a commit failed")
        for item, result in done:
            item.future.set_result(result)
        for item, exc in failed + refused:
            _fail(item, exc)
        return again, False


def _call_before_commit(connection: Connection, items: list[_Work]) -> None:
    calls: dict[Hashable, tuple[Callable[[Connection, list], None], list]] = {}
    for item in items:
        for key, callback, value in item.before_commit:
            calls.setdefault(key, (callback, []))[1].append(value)
    for callback, values in calls.values():
        callback(connection, values)


class _RollBack(Exception):  # noqa: N818 - a signal, not an error
    """A piece of work failed in a transaction without savepoints: roll it all back."""


def _lock_not_available(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE


def _fail(item: _Work, exc: BaseException) -> None:
    if not item.future.done():
        item.future.set_exception(exc)
