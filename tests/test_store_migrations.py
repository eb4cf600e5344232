"""Schema migrations of the store (servanda.store.migrate, Alembic): SQLite migrates itself
on open, a ledger made before migrations is adopted, PostgreSQL is migrated on purpose with
`servanda db upgrade` and refuses to serve before, a newer schema is refused; the migrated
schema is the one servanda.store.tables describes, on both databases."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy
from conftest import run_cli
from live_server import free_port
from sqlalchemy import create_engine, inspect, text

from servanda.errors import LedgerError
from servanda.ledger import Ledger
from servanda.store import log_entries, logs, metadata, migrate, open_database


def version_of(engine: sqlalchemy.Engine) -> str | None:
    with engine.connect() as connection:
        return migrate.revision(connection)


def schema(engine: sqlalchemy.Engine) -> dict:
    """Every table but Alembic's, with its columns (type, nullable), primary key, foreign
    keys, indexes and unique constraints."""
    inspector = inspect(engine)
    described = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        described[table] = dict(
            columns={c["name"]: (str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)},
            primary_key=sorted(inspector.get_pk_constraint(table)["constrained_columns"]),
            foreign_keys=sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                                for f in inspector.get_foreign_keys(table)),
            indexes=sorted((tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)),
            unique=sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
        )
    return described


def names(described: dict) -> dict[str, set[str]]:
    return {table: set(d["columns"]) for table, d in described.items()}


def expected_names() -> dict[str, set[str]]:
    return {table.name: set(table.columns.keys()) for table in metadata.sorted_tables}


# -- SQLite ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("empty_file", [False, True], ids=["missing", "zero-bytes"])
def test_an_empty_sqlite_store_migrates_itself_to_head(tmp_path, empty_file):
    path = tmp_path / "store.db"
    if empty_file:
        path.touch()
    engine = open_database(path)
    try:
        assert version_of(engine) == migrate.head()
        assert names(schema(engine)) == expected_names()
        reference = create_engine("sqlite://")
        metadata.create_all(reference)
        assert schema(engine) == schema(reference)  # the migrations build exactly the metadata
        reference.dispose()
    finally:
        engine.dispose()
    again = open_database(path)  # opening a current store again changes nothing
    assert version_of(again) == migrate.head()
    again.dispose()


def test_a_ledger_from_before_migrations_is_stamped_and_upgraded(tmp_path):
    path = tmp_path / "old.db"
    old = create_engine(f"sqlite:///{path}")
    metadata.create_all(old, tables=[logs, log_entries])  # what the code before migrations made
    ledger = Ledger.create(old, "negotiation")
    written = [ledger.append("note", f"entry {k}".encode()) for k in range(5)]
    head_before = ledger.tree_head()
    old.dispose()
    with sqlite3.connect(path) as raw:
        assert {row[0] for row in raw.execute("select name from sqlite_master where type='table'")} == {
            "logs", "log_entries"}

    engine = open_database(path)
    try:
        assert version_of(engine) == migrate.head()
        assert names(schema(engine)) == expected_names()
        kept = Ledger.open(engine, "negotiation")
        assert [(e.seq, e.kind, e.data, e.leaf_hash) for e in kept.entries()] == [
            (e.seq, e.kind, e.data, e.leaf_hash) for e in written]
        kept.check()
        assert kept.tree_head().root == head_before.root
        kept.append("note", b"after the upgrade")
        assert kept.size == 6
    finally:
        engine.dispose()


def test_a_database_of_other_tables_is_not_taken_for_a_store(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as raw:
        raw.execute("create table customers (id integer primary key)")
    with pytest.raises(LedgerError, match="not a Servanda store"):
        open_database(path)
    with sqlite3.connect(path) as raw:  # left as it was
        assert [row[0] for row in raw.execute("select name from sqlite_master where type='table'")] == ["customers"]


def test_a_sqlite_store_of_a_newer_version_is_refused(tmp_path, capsys):
    path = tmp_path / "newer.db"
    open_database(path).dispose()
    with sqlite3.connect(path) as raw:
        raw.execute("update alembic_version set version_num = '9999'")
    with pytest.raises(LedgerError, match=r"revision 9999.*newer version"):
        open_database(path)
    code, out, err = run_cli(capsys, "db", "upgrade", "--db", path)
    assert code == 1 and "newer version" in err and "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1
    with sqlite3.connect(path) as raw:
        assert raw.execute("select version_num from alembic_version").fetchall() == [("9999",)]


def test_db_upgrade_of_a_sqlite_file(tmp_path, capsys):
    path = tmp_path / "cli.db"
    for _ in range(2):
        code, out, err = run_cli(capsys, "db", "upgrade", "--db", path)
        assert code == 0, err
        assert f"schema at revision {migrate.head()}" in out
    engine = open_database(path)
    assert version_of(engine) == migrate.head()
    engine.dispose()


# -- PostgreSQL ------------------------------------------------------------------------------------


def one_clear_line(code: int, out: str, err: str) -> str:
    assert code == 1, (out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_postgresql_before_upgrade_gives_one_clear_message(postgres_url, capsys, monkeypatch):
    import uvicorn

    def must_not_serve(*args, **kwargs):
        raise AssertionError("serve started a server on an un-migrated database")

    monkeypatch.setattr(uvicorn, "run", must_not_serve)
    line = one_clear_line(*run_cli(capsys, "serve", "--db", postgres_url, "--port", free_port()))
    assert "servanda db upgrade" in line and "no Servanda schema" in line
    with pytest.raises(LedgerError, match="servanda db upgrade") as refused:
        open_database(postgres_url)
    assert len(str(refused.value).splitlines()) == 1
    engine = create_engine(postgres_url)  # and nothing was created
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_db_upgrade_migrates_postgresql_and_is_harmless_twice(postgres_server, postgres_url, capsys):
    for _ in range(2):
        code, out, err = run_cli(capsys, "db", "upgrade", "--db", postgres_url)
        assert code == 0, err
        assert f"schema at revision {migrate.head()}" in out
    engine = open_database(postgres_url)  # now it opens
    try:
        assert version_of(engine) == migrate.head()
        migrated = schema(engine)
        assert names(migrated) == expected_names()
        ledger = Ledger.create(engine, "on postgres")
        ledger.append("note", b"works")
        assert ledger.size == 1
    finally:
        engine.dispose()
    reference_url = postgres_server.new_database()
    reference = create_engine(reference_url)
    try:
        metadata.create_all(reference)
        assert migrated == schema(reference)  # the migrations build exactly the metadata
    finally:
        reference.dispose()
        postgres_server.drop_database(reference_url.rsplit("/", 1)[1])
    # a third upgrade, with data in the store, keeps it
    assert run_cli(capsys, "db", "upgrade", "--db", postgres_url)[0] == 0
    engine = open_database(postgres_url)
    assert Ledger.open(engine, "on postgres").size == 1
    engine.dispose()


def test_a_postgresql_store_of_a_newer_version_is_refused(postgres_url, capsys):
    assert run_cli(capsys, "db", "upgrade", "--db", postgres_url)[0] == 0
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("update alembic_version set version_num = '9999'"))
    engine.dispose()
    line = one_clear_line(*run_cli(capsys, "db", "upgrade", "--db", postgres_url))
    assert "9999" in line and "newer version" in line
    with pytest.raises(LedgerError, match="9999"):
        open_database(postgres_url)
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        assert migrate.revision(connection) == "9999"
    engine.dispose()


def test_db_upgrade_of_an_unreachable_database_is_one_line(capsys):
    url = f"postgresql+psycopg://servanda@127.0.0.1:{free_port()}/nowhere?connect_timeout=5"
    line = one_clear_line(*run_cli(capsys, "db", "upgrade", "--db", url))
    assert "cannot migrate" in line


def test_serving_a_newer_postgresql_store_says_it_is_newer(postgres_url, capsys, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("served a newer store"))
    assert run_cli(capsys, "db", "upgrade", "--db", postgres_url)[0] == 0
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("update alembic_version set version_num = '9999'"))
    engine.dispose()
    line = one_clear_line(*run_cli(capsys, "serve", "--db", postgres_url, "--port", free_port()))
    # the advice must not be the command that cannot help (it refuses a newer schema)
    assert "newer version" in line and "servanda db upgrade" not in line
