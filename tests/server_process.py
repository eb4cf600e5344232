"""Running ``servanda serve`` as a real server process for tests: started with
``python -m servanda serve`` in its own session (process group), so that ``kill9()`` kills
uvicorn's master and every worker process it spawned at once, as a crash would.

>>> with ServerProcess(database, workers=2) as server:
...     httpx.get(server.url + "/openapi.json")
...     server.kill9()      # crash: SIGKILL to the whole process group
...     server.start()      # the same database, the same port
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import weakref

import httpx

from live_server import free_port

ROOT = Path(__file__).resolve().parent.parent


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, pgrp, ...)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError, OSError):
        return None


def _alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def _processes() -> list[tuple[int, int, int]]:
    """Every live process as (pid, parent pid, process group)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and fields[0] not in ("Z", "X"):
                found.append((int(entry.name), int(fields[1]), int(fields[2])))
    return found


#: Every ServerProcess made, so that none outlives the test run (see _kill_all).
_ALL: weakref.WeakSet[ServerProcess] = weakref.WeakSet()


class ServerProcess:
    """``servanda serve --db DATABASE --port PORT [--workers N]`` as a subprocess.

    ``start()`` waits until GET /openapi.json answers; ``stop()`` shuts it down (SIGTERM,
    then SIGKILL); ``kill9()`` SIGKILLs the whole process group; ``start()`` again restarts
    it on the same port and database. Leaving the ``with`` block always ends it."""

    def __init__(self, database: str, *, port: int | None = None, workers: int = 1,
                 login_limit: str = "100000/minute", registration_limit: str = "100000/minute",
                 env: dict[str, str] | None = None) -> None:
        self.database = database
        self.port = port or free_port()
        self.workers = workers
        self.login_limit = login_limit
        self.registration_limit = registration_limit
        self.env = dict(env or {})
        self.log_path = Path(tempfile.mkstemp(prefix="servanda-serve-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        _ALL.add(self)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        command = [sys.executable, "-m", "servanda", "serve", "--db", self.database, "--host", "127.0.0.1",
                   "--port", str(self.port), "--login-limit", self.login_limit,
                   "--registration-limit", self.registration_limit]
        if self.workers != 1:
            command += ["--workers", str(self.workers)]
        return command

    # -- life cycle -----------------------------------------------------------------------

    def start(self, timeout: float = 90) -> Self:
        """Start the server (again) and return once it answers GET /openapi.json."""
        if self.running():
            raise RuntimeError("the server is already running")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== start {self.starts}: {' '.join(self.command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                code = self.process.returncode
                self._reap_group()
                raise RuntimeError(f"servanda serve exited with {code} while starting{self.log_tail()}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=5, verify=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.kill9()
                raise RuntimeError(f"servanda serve did not answer within {timeout} s{self.log_tail()}")
            time.sleep(0.1)
        if self.workers > 1:
            # the master answers once one worker is up: wait for all of them
            while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
                time.sleep(0.1)
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.running() else None

    def group(self) -> list[int]:
        """The live processes of the server's process group (master and workers)."""
        if self.process is None:
            return []
        return [pid for pid, _, pgrp in _processes() if pgrp == self.process.pid]

    def worker_pids(self) -> list[int]:
        """The worker processes: the master's children that serve requests (with
        ``--workers N``; a single-worker server serves in the master itself). The
        multiprocessing helper (resource tracker) is left out."""
        if not self.running():
            return []
        assert self.process is not None
        children = [pid for pid, ppid, _ in _processes() if ppid == self.process.pid]
        workers = []
        for pid in children:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"resource_tracker" not in cmdline:
                workers.append(pid)
        return sorted(workers)

    def kill9(self, timeout: float = 30) -> None:
        """Crash the server: SIGKILL its whole process group (uvicorn's master and its
        workers) and wait until every one of them is gone."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap_group(timeout)

    def stop(self, timeout: float = 20) -> None:
        """Shut the server down cleanly (SIGTERM to the master, which stops its workers);
        SIGKILL the group if that takes longer than ``timeout``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill9()

    def _reap_group(self, timeout: float = 30) -> None:
        assert self.process is not None
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + timeout
        while (left := self.group()) and time.monotonic() < deadline:
            for pid in left:  # workers orphaned meanwhile keep the group's id
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        if left:
            raise RuntimeError(f"server processes {left} survived SIGKILL")

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self.log_path.unlink(missing_ok=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\n--- servanda serve log ---\n" + "\n".join(text)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> Self:
        if not self.running():
            try:
                self.start()
            except BaseException:
                self.close()
                raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@atexit.register
def _kill_all() -> None:
    """At interpreter exit, crash whatever server a test left running."""
    for server in list(_ALL):
        try:
            server.kill9(timeout=5)
        except (RuntimeError, OSError):
            pass


def _established(port: int) -> list[tuple[int, str]]:
    """The established TCP connections whose local port is ``port`` (on this machine's
    loopback): (the peer's port, the socket's inode)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if int(local.rsplit(":", 1)[1], 16) == port and state == "01" and inode != "0":
                found.append((int(remote.rsplit(":", 1)[1], 16), inode))
    return found


def _sockets_of(pid: int) -> set[str]:
    """The inodes of the sockets process ``pid`` holds open."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def server_sockets(server: ServerProcess) -> dict[int, int]:
    """Per process of the server's group, how many established TCP connections it holds on
    the server's port (from /proc/net/tcp and each process's open file descriptors): shows
    which worker serves the connections open now."""
    inodes = {inode for _, inode in _established(server.port)}
    return {pid: len(_sockets_of(pid) & inodes) for pid in server.group()}


def connection_owner(server: ServerProcess, client_port: int) -> int | None:
    """The process of the server that holds the server's end of the connection from local
    port ``client_port`` (None if none does yet: accepting takes a moment)."""
    inodes = {inode for peer, inode in _established(server.port) if peer == client_port}
    for pid in server.group():
        if _sockets_of(pid) & inodes:
            return pid
    return None


def migrate(database: str) -> None:
    """``servanda db upgrade --db DATABASE`` in a subprocess."""
    env = {**os.environ}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-m", "servanda", "db", "upgrade", "--db", database], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"servanda db upgrade failed ({result.returncode}):\n"
                           f"{result.stdout}{result.stderr}")
