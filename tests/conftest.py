"""Shared fixtures: small random scenarios built directly from the model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

from servanda.model import CategoricalIssue, Party, Preferences, RedLine, Scenario

# CI runs the property tests with fixed seeds, so that a submission's result does not depend
# on luck; everywhere else hypothesis draws new examples on every run and keeps failures.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: Real GENIUS/ANAC domains: the project's shared data beside the repository (as in CI),
#: or wherever SERVANDA_GENIUS_DATA points.
GENIUS_DATA = Path(os.environ.get("SERVANDA_GENIUS_DATA", ROOT.parent / "shared" / "data" / "genius"))


def random_scenario(
    seed: int,
    parties: int = 2,
    sizes: tuple[int, ...] = (3, 4, 2),
    red_lines: bool = False,
    reservation: float = 0.0,
    integer_values: bool = False,
    joint_red_line: bool = False,
) -> Scenario:
    """A seeded random scenario with categorical issues and linear-additive preferences;
    ``joint_red_line`` gives the first party a red line over the first two issues together
    (which the issue-by-issue algorithm cannot handle)."""
    rng = np.random.default_rng(seed)
    issues = tuple(
        CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(n))) for k, n in enumerate(sizes)
    )
    members = []
    for p in range(parties):
        weights = rng.random(len(sizes))
        weights /= weights.sum()
        if integer_values:
            tables = tuple(rng.integers(0, 4, n) / 3 for n in sizes)
        else:
            tables = tuple(rng.random(n) for n in sizes)
        lines: tuple[RedLine, ...] = ()
        if red_lines:
            issue = int(rng.integers(len(sizes)))
            mask = np.zeros(sizes[issue], dtype=bool)
            mask[int(rng.integers(sizes[issue]))] = True
            lines = (RedLine(f"p{p} never i{issue}", (((issue, mask),),)),)
        if joint_red_line and p == 0:
            first = np.zeros(sizes[0], dtype=bool)
            first[0] = True
            second = np.zeros(sizes[1], dtype=bool)
            second[0] = True
            lines += (RedLine("p0 never o0 and o0", (((0, first), (1, second)),)),)
        members.append(
            Party(f"p{p}", Preferences(weights, tables), reservation=reservation, red_lines=lines)
        )
    return Scenario(f"random-{seed}", issues, tuple(members))


@pytest.fixture
def moscow_path() -> Path:
    return EXAMPLES / "moscow-2025.yaml"


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """Run the ``servanda`` command in this process: (exit code, stdout, stderr)."""
    from servanda.cli import main

    try:
        main([str(arg) for arg in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


# -- PostgreSQL ----------------------------------------------------------------------------------
# One throwaway server (tests/postgres_server.py) for the whole session, started on first use;
# each test asking for ``postgres_url`` gets a fresh empty database on it.

from collections.abc import Iterator

from postgres_server import PostgresServer, PostgresUnavailable, start_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server; fails (never skips) when PostgreSQL is missing."""
    try:
        server: PostgresServer | None = start_postgres()
    except PostgresUnavailable as exc:
        server, reason = None, str(exc)
    if server is None:
        pytest.fail(reason, pytrace=False)
    with server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The SQLAlchemy URL (``postgresql+psycopg://...``) of a new empty database, dropped after
    the test."""
    url = postgres_server.new_database()
    yield url
    postgres_server.drop_database(url.rsplit("/", 1)[1])


# -- Live server ---------------------------------------------------------------------------------
# ``server`` runs the API (uvicorn in a thread, tests/live_server.py) on a fresh database, once on
# SQLite and once on PostgreSQL (migrated first with `servanda db upgrade`'s code): every test that
# uses it runs against both databases.

from dataclasses import dataclass


@dataclass
class LiveServer:
    url: str
    database: str
    kind: str  # "sqlite" or "postgresql"

    def person(self, username: str, password: str | None = None):
        """A new account, signed in with a bearer token: a servanda.client.Client."""
        from servanda.client import Client

        password = password or f"password-of-{username}"
        with Client(self.url) as anonymous:
            anonymous.register(username, password)
        return Client.login(self.url, username, password)


def migrate_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    from servanda.store import migrate

    engine = create_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection, url)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, tmp_path) -> Iterator[LiveServer]:
    from live_server import running_server

    from servanda.server import Settings

    if request.param == "sqlite":
        database = str(tmp_path / "server.db")
    else:
        database = request.getfixturevalue("postgres_url")
        migrate_postgres(database)
    settings = Settings(database=database, login_limit="1000/minute", registration_limit="1000/minute")
    with running_server(settings) as url:
        yield LiveServer(url, database, request.param)
