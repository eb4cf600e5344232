"""A throwaway PostgreSQL server for the tests, run from the Debian server binaries.

``start_postgres(tmp_dir)`` initialises a fresh cluster in a private directory under
``tmp_dir`` and starts it on a free TCP port of 127.0.0.1 with ``trust`` authentication, so any
local process (e.g. uvicorn workers started as subprocesses) can connect as user ``servanda``.
Durability settings stay at PostgreSQL's defaults (fsync, full-page writes, synchronous
commit), so crash tests (``kill()`` then ``start()``) see what a real crash leaves behind.

initdb and postgres refuse to run as root; as root they run as the ``postgres`` system user
(created by Debian's package), which owns the cluster's directory. The postmaster runs as a
direct child of the test process (not daemonised by pg_ctl), so it is reaped even where init
does not reap orphans. The binaries come from ``scripts/ensure-postgres.sh`` (run by
``make test`` and CI).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

#: The superuser the cluster is initialised with; all test connections use it.
USER = "servanda"
#: The system user the server runs as when the tests run as root.
SERVER_USER = "postgres"
#: Settings for speed and isolation that keep durability (fsync etc. stay on).
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",
    "shared_buffers": "32MB",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "1GB",
    "jit": "off",
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
    "log_min_messages": "warning",
}
ENSURE_HINT = "run `bash scripts/ensure-postgres.sh` (as root or with sudo) to install them"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries (or the user to run them as) are missing."""


def find_bindir() -> Path:
    """The directory with initdb, pg_ctl and postgres: ``$SERVANDA_PG_BINDIR`` if set, else
    the highest version under /usr/lib/postgresql/*/bin."""
    if override := os.environ.get("SERVANDA_PG_BINDIR"):
        candidates = [Path(override)]
    else:

        def version(path: Path) -> tuple[int, ...]:
            return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

        candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    where = candidates[0] if override else "/usr/lib/postgresql/*/bin"
    raise PostgresUnavailable(f"PostgreSQL server binaries not found in {where}; {ENSURE_HINT}")


def _server_ids() -> tuple[int, int] | None:
    """The uid and gid to run the server binaries as: None (ourselves) unless root, else the
    ``postgres`` user's."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, but there is no {SERVER_USER!r} user to run PostgreSQL as; "
            f"{ENSURE_HINT}"
        ) from None
    return entry.pw_uid, entry.pw_gid


def _run_as(ids: tuple[int, int] | None) -> dict[str, Any]:
    """The ``subprocess`` arguments that run a command as ``ids`` (none for ourselves)."""
    return {} if ids is None else {"user": ids[0], "group": ids[1], "extra_groups": []}


def _free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (the postmaster's backends and workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


class PostgresServer:
    """One throwaway cluster: ``start()``/``stop()``/``kill()`` it, ``new_database()`` in it,
    ``close()`` it (stop and delete its files). Use ``start_postgres`` to make one."""

    def __init__(self, base: Path, bindir: Path, port: int) -> None:
        self.base = base
        self.bindir = bindir
        self.port = port
        self.data_dir = base / "data"
        self.socket_dir = base / "socket"
        self.log_file = base / "postgres.log"
        self._as_server_user = _run_as(_server_ids())
        self._postmaster: subprocess.Popen[bytes] | None = None
        self._databases = 0

    # -- URLs ---------------------------------------------------------------------------------

    def url_for(self, dbname: str) -> str:
        """The SQLAlchemy URL (psycopg 3 driver) of database ``dbname`` on this server."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{dbname}"

    def dsn_for(self, dbname: str) -> str:
        """The plain libpq URL of database ``dbname``, for psycopg or psql."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{dbname}"

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the maintenance database ``postgres``; tests should use
        ``new_database()`` instead."""
        return self.url_for("postgres")

    # -- life cycle ---------------------------------------------------------------------------

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server log, for error messages."""
        try:
            text = self.log_file.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\n--- server log ---\n" + "\n".join(text)

    def init(self) -> None:
        """Create the cluster (trust auth, superuser ``servanda``) and write its settings."""
        command = [
            str(self.bindir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
        ]
        result = subprocess.run(
            command,
            cwd=self.base,
            env=self._env(),
            capture_output=True,
            check=False,
            text=True,
            timeout=300,
            **self._as_server_user,
        )
        if result.returncode != 0:
            output = result.stdout + result.stderr
            raise RuntimeError(f"initdb failed ({result.returncode}):\n{output}")
        settings = {
            **SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
        }
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write("\n# tests/postgres_server.py\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def start(self, timeout: float = 120) -> None:
        """Start the server (again) on its data directory and port; return once it accepts
        connections (after crash recovery, if any)."""
        if self.pid() is not None:
            raise RuntimeError("the server is already running")
        with open(self.log_file, "ab") as log:
            # A new session: a Ctrl-C meant for pytest does not reach the server, whose
            # shutdown the fixtures manage.
            self._postmaster = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(self.data_dir)],
                cwd=self.base,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self._as_server_user,
            )
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self._postmaster.poll() is not None:
                raise RuntimeError(
                    f"postgres exited with {self._postmaster.returncode} while starting"
                    f"{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"postgres did not start in {timeout}s{self.log_tail()}")
            time.sleep(0.02)

    def _ready(self) -> bool:
        """Whether the postmaster we started says it accepts connections (postmaster.pid's
        status line, as pg_ctl checks it)."""
        assert self._postmaster is not None
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return (
            len(lines) >= 8
            and lines[0].strip() == str(self._postmaster.pid)
            and lines[7].strip() == "ready"
        )

    def _env(self) -> dict[str, str]:
        """The environment of the server binaries."""
        return {**os.environ, "LC_ALL": "C", "TZ": "UTC"}

    def pid(self) -> int | None:
        """The postmaster's process id, or None when it is not running."""
        if self._postmaster is None or self._postmaster.poll() is not None:
            return None
        return self._postmaster.pid

    def stop(self, timeout: float = 60) -> None:
        """Shut the server down cleanly (``fast`` mode, as ``pg_ctl stop -m fast``: disconnect
        the clients, checkpoint)."""
        if self._postmaster is None or self._postmaster.poll() is not None:
            return
        self._postmaster.send_signal(signal.SIGINT)
        try:
            self._postmaster.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"postgres did not stop in {timeout}s{self.log_tail()}") from None

    def kill(self, timeout: float = 30) -> None:
        """Crash the server: SIGKILL the postmaster and then its backends and workers (which
        would otherwise outlive it for a moment), and wait until they are all gone."""
        pid = self.pid()
        if pid is None or self._postmaster is None:
            return
        pids = [pid, *children(pid)]
        for victim in pids:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._postmaster.wait(timeout)
        deadline = time.monotonic() + timeout
        while any(process_alive(victim) for victim in pids):
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL processes {pids} survived SIGKILL")
            time.sleep(0.01)

    def close(self) -> None:
        """Stop the server (killing it if a clean stop fails) and delete its files."""
        try:
            self.stop()
        except RuntimeError:
            self.kill()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- databases ----------------------------------------------------------------------------

    def new_database(self, name: str | None = None) -> str:
        """Create an empty database (named ``name``, or a fresh ``test_<n>``) and return its
        SQLAlchemy URL."""
        import psycopg
        from psycopg import sql

        self._databases += 1
        name = name or f"test_{self._databases}"
        with psycopg.connect(self.dsn_for("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, disconnecting whoever is still connected to it."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn_for("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def start_postgres(tmp_dir: Path | None = None) -> PostgresServer:
    """Initialise and start a throwaway server in a new private directory under ``tmp_dir``
    (default: the system temp directory), on a free port of 127.0.0.1.

    As root, ``tmp_dir`` must be reachable by the ``postgres`` user: pytest's ``tmp_path``
    is not (its parents are 0700 root), so pass a directory under /tmp or nothing. The
    server is stopped and its files deleted by ``close()`` (or leaving its ``with`` block),
    and at interpreter exit at the latest. Raises ``PostgresUnavailable`` when the binaries
    or the ``postgres`` user are missing."""
    bindir = find_bindir()
    ids = _server_ids()
    base = Path(tempfile.mkdtemp(prefix="servanda-pg-", dir=tmp_dir))
    try:
        server = PostgresServer(base, bindir, _free_port())
        server.socket_dir.mkdir()
        if ids is not None:
            for path in (base, server.socket_dir):
                os.chown(path, *ids)
            reachable = subprocess.run(["test", "-w", str(base)], check=False, **_run_as(ids))
            if reachable.returncode != 0:
                raise PostgresUnavailable(
                    f"{base} is not reachable by the {SERVER_USER!r} user; "
                    "start_postgres() needs a tmp_dir it can enter, e.g. under /tmp"
                )
        server.init()
        for attempt in range(3):
            try:
                server.start()
                break
            except RuntimeError:
                # Another process may have taken the port meanwhile: retry on a new one.
                if attempt == 2 or "Address already in use" not in server.log_tail():
                    raise
                server.port = _free_port()
                with open(server.data_dir / "postgresql.conf", "a") as conf:
                    conf.write(f"port = {server.port}\n")
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise
    atexit.register(_close_quietly, server)
    return server


def _close_quietly(server: PostgresServer) -> None:
    """atexit hook: make sure no server outlives the test run."""
    if server.base.exists():
        with contextlib.suppress(RuntimeError, OSError):
            server.close()
