"""Waking a room's event streams when its events change.

Streams read events from the store, never from the wake-up itself: a wake-up only says
"look again". In one process, the room service calls :meth:`Broker.notify` after each
commit. With PostgreSQL, every commit also sends ``NOTIFY servanda_events`` in its
transaction, and :class:`PostgresListener` turns those of every server process into
wake-ups here; streams also look again every few seconds, so a wake-up lost while the
database restarts delays an event but never loses it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_log = logging.getLogger(__name__)


class Broker:
    """Per room, the asyncio events of the streams waiting on it (in one event loop), and
    the latest event id announced."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._latest: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def notify(self, room_id: str, last_event: int) -> None:
        """Wake the streams of ``room_id``, whose events up to ``last_event`` have been
        committed; safe to call from any thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake, room_id, last_event)

    def announced(self, room_id: str) -> int | None:
        """The latest event id of ``room_id`` announced while a stream of it was open (None:
        none known), from the event loop's thread."""
        return self._latest.get(room_id)

    def _wake(self, room_id: str, last_event: int) -> None:
        waiting = self._waiting.get(room_id)
        if waiting and last_event > self._latest.get(room_id, -2):  # not heard of already
            self._latest[room_id] = last_event
            for waiter in waiting:
                waiter.set()

    @contextmanager
    def subscribe(self, room_id: str) -> Iterator[asyncio.Event]:
        waiter = asyncio.Event()
        self._waiting.setdefault(room_id, set()).add(waiter)
        try:
            yield waiter
        finally:
            waiting = self._waiting.get(room_id)
            if waiting is not None:
                waiting.discard(waiter)
                if not waiting:
                    del self._waiting[room_id]
                    self._latest.pop(room_id, None)


class PostgresListener(threading.Thread):
    """LISTEN for the commits of every server process on one PostgreSQL database, and
    wake the streams of this one; reconnects when the connection is lost."""

    CHANNEL = "servanda_events"

    def __init__(self, dsn: str, broker: Broker):
        super().__init__(name="servanda-listen", daemon=True)
        self.dsn, self.broker = dsn, broker
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True) as connection:
                    connection.execute(f"LISTEN {self.CHANNEL}")
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=1.0):
                            room_id, _, last = note.payload.partition(" ")
                            if last.isdigit():
                                self.broker.notify(room_id, int(last))
            except Exception as exc:  # noqa: BLE001 - any loss of the connection: retry
                if self._stop.is_set():
                    return
                _log.warning("listening for room events failed (%s); retrying", exc)
                self._stop.wait(1.0)
