"""The store's writer (group commit) and appends that wait for a lock, on SQLite and a real
PostgreSQL: every piece of work gets its own answer, failures roll back alone, callbacks
run only for what was committed, and a writer that waited for a log reads its tail afresh."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest
from sqlalchemy import Engine, insert, select

from conftest import migrate_postgres
from servanda.ledger import Ledger
from servanda.store import open_database, rate_counters, writing
from servanda.store.writer import AfterCommit, Writer


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path) -> Engine:
    if request.param == "sqlite":
        engine = open_database(tmp_path / "store.db")
    else:
        url = request.getfixturevalue("postgres_url")
        migrate_postgres(url)
        engine = open_database(url)
    yield engine
    engine.dispose()


def _count(key: str):
    def work(connection):
        connection.execute(insert(rate_counters).values(key=key, count=1, expires_at=0.0))
        return key
    return work


def _stored(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(rate_counters.c.key)).scalars())


def test_a_batch_answers_each_piece_of_work_and_a_failure_rolls_back_alone(engine):
    writer = Writer(engine)
    gate = threading.Event()
    blocker = writer.submit(lambda connection: gate.wait(10))  # the next ones queue up behind it
    committed: list[str] = []

    def failing(connection):
        connection.execute(insert(rate_counters).values(key="failed", count=1, expires_at=0.0))
        writer.after_commit(lambda: committed.append("failed"))
        raise ValueError("refused")

    def counted(key):
        def work(connection):
            _count(key)(connection)
            writer.after_commit(lambda: committed.append(key))
            return key
        return work

    futures: list[Future] = [writer.submit(counted(f"k{n}")) for n in range(3)]
    futures.insert(1, writer.submit(failing))
    gate.set()
    assert blocker.result(10)
    assert [f.exception(10) is None for f in futures] == [True, False, True, True]
    assert isinstance(futures[1].exception(), ValueError)
    assert [f.result() for k, f in enumerate(futures) if k != 1] == ["k0", "k1", "k2"]
    assert _stored(engine) == {"k0", "k1", "k2"}
    assert sorted(committed) == ["k0", "k1", "k2"]
    writer.close()


def test_after_commit_error_keeps_the_writes_and_refuses_the_caller(engine):
    writer = Writer(engine)

    def refused(connection):
        _count("kept")(connection)
        raise AfterCommit(PermissionError("too late"))

    with pytest.raises(PermissionError, match="too late"):
        writer.run(refused)
    assert _stored(engine) == {"kept"}
    writer.close()


def test_a_savepoint_inside_work_rolls_back_its_part_and_its_callbacks(engine):
    writer = Writer(engine)
    heard: list[str] = []

    def work(connection):
        _count("outer")(connection)
        with pytest.raises(RuntimeError), writer.savepoint(connection):
            _count("inner")(connection)
            writer.after_commit(lambda: heard.append("inner"))
            raise RuntimeError("inner part fails")
        writer.after_commit(lambda: heard.append("outer"))
        return "done"

    assert writer.run(work) == "done"
    assert _stored(engine) == {"outer"}
    assert heard == ["outer"]
    writer.close()


def test_before_commit_is_called_once_per_key_with_the_values_of_committed_work(engine):
    writer = Writer(engine)
    gate = threading.Event()
    calls: list[list[str]] = []
    writer.submit(lambda connection: gate.wait(10))

    def work(value, fail=False):
        def run(connection):
            writer.before_commit("key", lambda _c, values: calls.append(values), value)
            if fail:
                raise ValueError(value)
        return run

    futures = [writer.submit(work("a")), writer.submit(work("b", fail=True)), writer.submit(work("c"))]
    gate.set()
    for future in futures:
        future.exception(10)
    assert ["a", "c"] in calls and all("b" not in values for values in calls)
    writer.close()


def test_the_writer_restarts_after_close_and_refuses_work_from_its_own_thread(engine):
    writer = Writer(engine)
    assert writer.run(_count("before")) == "before"
    writer.close()
    assert writer.run(_count("after")) == "after"
    with pytest.raises(RuntimeError, match="cannot wait"):
        writer.run(lambda connection: writer.run(_count("nested")))
    writer.close()


def test_an_append_that_waited_for_the_log_gets_the_next_number(engine):
    """Two transactions append to one log; the second waits for the first's lock, then
    must read the tail the first committed (not the one before it waited)."""
    ledger = Ledger.create(engine, "waiting")
    ledger.append("first", b"0")
    first_locked, first_done = threading.Event(), threading.Event()
    numbers: list[int] = []

    def first():
        with writing(engine) as connection:
            bound = ledger.bound(connection)
            bound.lock()
            first_locked.set()
            numbers.append(bound.append("a", b"a").seq)
            first_done.wait(0.5)  # the other transaction is now waiting for the lock

    def second():
        first_locked.wait(10)
        with writing(engine) as connection:
            numbers.append(ledger.bound(connection).append("b", b"b").seq)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(numbers) == [1, 2]
    assert [entry.seq for entry in ledger.entries(0)] == [0, 1, 2]
