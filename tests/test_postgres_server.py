"""The throwaway PostgreSQL server the store tests run against (tests/postgres_server.py)."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy
from postgres_server import PostgresServer, process_alive, start_postgres


def test_server_starts_on_loopback(postgres_server: PostgresServer) -> None:
    assert postgres_server.pid() is not None
    engine = sqlalchemy.create_engine(postgres_server.url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(sqlalchemy.text("show listen_addresses")) == "127.0.0.1"
            assert conn.scalar(sqlalchemy.text("show fsync")) == "on"
            assert conn.scalar(sqlalchemy.text("select current_user")) == "servanda"
    finally:
        engine.dispose()


def test_fresh_database_accepts_sqlalchemy(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg://servanda@127.0.0.1:")
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(sqlalchemy.text("select 1")) == 1
            tables = conn.scalar(
                sqlalchemy.text("select count(*) from pg_tables where schemaname = 'public'")
            )
            assert tables == 0
    finally:
        engine.dispose()


def test_databases_are_separate(postgres_server: PostgresServer) -> None:
    first, second = postgres_server.new_database(), postgres_server.new_database()
    assert first != second
    engine = sqlalchemy.create_engine(first)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("create table t (x int)"))
    engine.dispose()
    engine = sqlalchemy.create_engine(second)
    with engine.connect() as conn:
        assert conn.scalar(sqlalchemy.text("select to_regclass('t')")) is None
    engine.dispose()


def test_other_processes_can_connect(postgres_url: str) -> None:
    """Subprocesses (like the uvicorn workers the server tests start) reach it over TCP."""
    code = (
        "import sqlalchemy, sys\n"
        "engine = sqlalchemy.create_engine(sys.argv[1])\n"
        "with engine.connect() as conn:\n"
        "    print(conn.scalar(sqlalchemy.text('select 41 + 1')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, postgres_url],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"


def test_committed_data_survives_kill() -> None:
    with start_postgres() as server:
        url = server.new_database("crash")
        port, pid = server.port, server.pid()
        assert pid is not None
        engine = sqlalchemy.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("create table ledger (n int primary key)"))
            conn.execute(sqlalchemy.text("insert into ledger select generate_series(1, 1000)"))
        # An open transaction at the moment of the crash must be rolled back.
        open_conn = engine.connect()
        open_conn.execute(sqlalchemy.text("insert into ledger values (1001)"))

        server.kill()
        assert server.pid() is None
        assert not process_alive(pid)
        open_conn.invalidate()
        engine.dispose()

        server.start()
        assert server.port == port and server.pid() not in (None, pid)
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as conn:
            assert conn.scalar(sqlalchemy.text("select count(*) from ledger")) == 1000
            assert conn.scalar(sqlalchemy.text("select max(n) from ledger")) == 1000
        engine.dispose()

        server.stop()
        assert server.pid() is None
    assert not server.base.exists()
