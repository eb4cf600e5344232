"""A storage for the ``limits`` package in the store's own database, so that every server
process counts the same attempts (an in-memory count would give each worker its own)."""

from __future__ import annotations

import time

from limits.storage import Storage
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from servanda.store.database import writing
from servanda.store.tables import rate_counters


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``rate_counters`` table (use with
    :class:`limits.strategies.FixedWindowRateLimiter`)."""

    STORAGE_SCHEME = ["servanda-database"]

    def __init__(self, engine: Engine):
        super().__init__()
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        for _ in range(3):  # a new window's row may be inserted by another process meanwhile
            try:
                return self._incr(key, expiry, amount)
            except IntegrityError:
                continue
        return self._incr(key, expiry, amount)

    def _incr(self, key: str, expiry: int, amount: int) -> int:
        now = time.time()
        with writing(self.engine) as connection:
            row = connection.execute(
                select(rate_counters.c.count, rate_counters.c.expires_at)
                .where(rate_counters.c.key == key).with_for_update()
            ).first()
            if row is None:
                connection.execute(insert(rate_counters).values(key=key, count=amount, expires_at=now + expiry))
                return amount
            if row.expires_at <= now:
                count, ends = amount, now + expiry
            else:
                count, ends = row.count + amount, row.expires_at
            connection.execute(update(rate_counters).where(rate_counters.c.key == key)
                               .values(count=count, expires_at=ends))
            return count

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.count if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row is not None else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with writing(self.engine) as connection:
            return connection.execute(delete(rate_counters)).rowcount

    def clear(self, key: str) -> None:
        with writing(self.engine) as connection:
            connection.execute(delete(rate_counters).where(rate_counters.c.key == key))

    def _row(self, key: str):
        with self.engine.connect() as connection:
            return connection.execute(
                select(rate_counters.c.count, rate_counters.c.expires_at).where(rate_counters.c.key == key)
            ).first()
