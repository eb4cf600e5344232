"""Live server under load: acknowledged offers per second and post-to-event latency, SQLite
and PostgreSQL side by side in one run.

Run from the repository root::

    .venv/bin/python benchmarks/bench_server.py            # 10, 100, 200 clients x 2 databases (~3 min)
    .venv/bin/python benchmarks/bench_server.py --quick    # a short smoke run (~1 min)
    .venv/bin/python benchmarks/bench_server.py --databases sqlite --clients 200 --seconds 20

The server
----------
A real ``servanda serve`` subprocess per database (one uvicorn process, as a user starts it:
``python -m servanda serve --db URL --port P --login-limit 100000/minute``, in a session of
its own so that the benchmark can end it and everything it started), on loopback:

SQLite
    a new file in a new temporary directory (``--dir``): the embedded default, WAL mode,
    ``synchronous=FULL`` — every acknowledged offer has been synced to disk.
PostgreSQL
    a throwaway cluster from the Debian binaries (``tests/postgres_server.py``: fsync,
    full-page writes and synchronous commit on), a new database migrated with
    ``servanda db upgrade --db URL``.

The load
--------
Rooms of two parties from ``examples/job-offer.yaml`` (alternating offers, 100,000 rounds:
no room reaches its deadline). Each client is one (room, party): a program of its own with
its own bearer token (``POST /api/tokens``; two accounts, Employer's and Candidate's, each
signed in once per client), its own HTTP connections and its own Server-Sent Events stream
of the room. ``N`` clients play ``N / 2`` rooms. The Employer's client opens each room
with an offer; from then on each client waits on its stream for the opponent's offer
event, then posts its counter-offer (``POST /api/rooms/{id}/offers``; the server records it
as two events, the rejection of the offer on the table and the new offer). Every package
keeps both parties' red lines (salary 95,000 to 120,000, one to three remote days) and
changes from offer to offer. So each room has exactly one offer in flight at any time:
the load is closed-loop, and the throughput at 10 clients is bounded by the latency.

What is measured, per database and number of clients, after ``--warm-up`` seconds of the
same load, for ``--seconds`` seconds:

acknowledged offers / s
    offer POSTs answered 200 within the window, over its length.
post-to-event p50 / p99
    from just before an offer's POST is sent to the arrival of that offer's event on the
    opponent's stream (for offers whose event arrived within the window): the time a
    counterpart waits for an offer, the server's write and its fan-out included.
POST round trip p50 / p99
    from sending the offer's POST to receiving its acknowledgement.
CPU
    CPU seconds over wall seconds within the window of the server process, of the
    PostgreSQL server processes (postmaster and backends) and of the load generator. The
    load generator runs on the same two cores as the server and the database: the
    numbers are those of the whole machine under this load, not of the server alone. A
    load generator near 100 % of a core would make it the bottleneck; ``--client-processes``
    spreads it over more processes (each with its own event loop).

The load generator is asyncio with httpx (``AsyncClient`` per client) and httpx-sse, on
uvloop when it is installed, in ``--client-processes`` worker processes (the two clients of
a room always in the same process, which times the offer between them). Setting up (accounts,
tokens, rooms, invitations) is outside the clock; fresh rooms for every number of clients.

Targets (issue 9): at least 500 acknowledged offers/s on either database, and a post-to-event
p99 under 100 ms, at 200 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from timing import duration, markdown_table

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "examples" / "job-offer.yaml"
PARTIES = (("Employer", "Hiring manager"), ("Candidate", "Candidate"))
PASSWORD = "bench-server-password"
ROUNDS = 100_000
TARGET_OFFERS = 500.0  # acknowledged offers per second, on either database
TARGET_P99 = 0.100  # seconds, post-to-event p99 at TARGET_CLIENTS
TARGET_CLIENTS = 200
START_TIMEOUT = 60.0  # seconds for the server to answer after its start
SETUP_CONCURRENCY = 8  # set-up requests in flight at once
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: How the server is started (its arguments follow); a profiling wrapper may stand in.
SERVANDA = [sys.executable, "-m", "servanda"]
#: Salaries and remote days every package cycles through: inside both parties' red lines.
SALARIES = tuple(range(95_000, 120_001, 2_500))
REMOTE = ("remote_1_day", "remote_2_days", "remote_3_days")
TITLES = ("engineer", "senior_engineer", "lead_engineer")


def package(number: int) -> dict[str, Any]:
    """The package of a room's offer ``number``: keeps both parties' red lines."""
    return {
        "salary": SALARIES[number % len(SALARIES)],
        "start_in_weeks": 2 + 2 * (number % 6),
        "vacation_days": 15 + 5 * (number % 4),
        "signing_bonus": 5000 * (number % 5),
        "remote_work": REMOTE[number % len(REMOTE)],
        "job_title": TITLES[number % len(TITLES)],
    }


# -- the server --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds of ``pids`` so far (those still alive)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _children(pid: int) -> list[int]:
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


@dataclass
class Database:
    kind: str  # "sqlite" or "postgresql"
    url: str
    postmaster: int | None = None  # PostgreSQL: the server's pid (its backends are children)
    notes: list[str] = field(default_factory=list)

    def pids(self) -> list[int]:
        return [] if self.postmaster is None else [self.postmaster, *_children(self.postmaster)]


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[Database]:
    """A fresh, migrated database of ``kind``."""
    if kind == "sqlite":
        path = folder / "servanda.db"
        yield Database(kind, str(path), notes=[f"SQLite {sqlite3.sqlite_version} file in {folder} on "
                                              f"{_filesystem(folder)}"])
        return
    sys.path.insert(0, str(ROOT / "tests"))
    from postgres_server import start_postgres

    server = start_postgres(Path(tempfile.gettempdir()))
    try:
        url = server.new_database("bench")
        done = subprocess.run([sys.executable, "-m", "servanda", "db", "upgrade", "--db", url],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"servanda db upgrade failed:\n{done.stdout}{done.stderr}")
        version = subprocess.run([str(server.bindir / "postgres"), "--version"], capture_output=True,
                                 text=True).stdout.strip()
        yield Database(kind, url, server.pid(), notes=[
            f"{version}, a throwaway cluster in {server.base} on {_filesystem(server.base)} "
            "(tests/postgres_server.py: fsync and synchronous_commit on)"])
    finally:
        server.close()


@contextlib.contextmanager
def serve(db: Database, log: Path) -> Iterator[tuple[str, int]]:
    """``servanda serve`` on ``db``: the base URL and the server's pid."""
    port = _free_port()
    command = [*SERVANDA, "serve", "--db", db.url, "--port", str(port),
               "--login-limit", "100000/minute"]
    with open(log, "ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        yield base, process.pid
    finally:
        _stop(process)


def _wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"servanda serve exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"servanda serve did not answer within {START_TIMEOUT:.0f} s:\n{_tail(log)}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    """End the server's process group: SIGTERM (uvicorn shuts down), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(wait)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _filesystem(path: Path) -> str:
    """The type of the file system holding ``path``, from /proc/mounts."""
    best, found = "", "an unknown file system"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return found
    target = str(path.resolve())
    for line in mounts:
        device, point, kind = line.split()[:3]
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
            best, found = point, f"{kind} ({device})"
    return found


# -- setting up (outside the clock) ------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """One client: a party's seat in a room, with the client's own token."""

    room: str
    party: str
    token: str
    opens: bool  # makes the room's first offer


async def _bounded(calls, limit: int = SETUP_CONCURRENCY) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(call):
        async with gate:
            return await call

    return await asyncio.gather(*(one(call) for call in calls))


async def _post(http, path: str, token: str | None = None, **options: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(path, headers=headers, **options)
    if response.status_code >= 400:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
    return response.json()


async def _accounts(base: str, tokens_each: int) -> dict[str, list[str]]:
    """Two accounts (one per party) and ``tokens_each`` bearer tokens for each."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        names = {party: f"bench-{party.lower()}" for party, _ in PARTIES}
        for name in names.values():
            await _post(http, "/api/accounts", json={"username": name, "password": PASSWORD})
        tokens: dict[str, list[str]] = {}
        for party, name in names.items():
            body = {"username": name, "password": PASSWORD}
            answers = await _bounded(
                [_post(http, "/api/tokens", json={**body, "label": f"client {k}"}) for k in range(tokens_each)], 2)
            tokens[party] = [answer["token"] for answer in answers]
    return tokens


async def _rooms(base: str, count: int, tokens: dict[str, list[str]]) -> list[Seat]:
    """``count`` new rooms, each with its two parties joined; a seat per client."""
    import httpx

    employer, candidate = (party for party, _ in PARTIES)
    convener = tokens[employer][0]
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        stored = await _post(http, "/api/scenarios", convener, json={"text": SCENARIO.read_text()})

        async def room(k: int) -> list[Seat]:
            created = await _post(http, "/api/rooms", convener, json={
                "scenario_id": stored["id"], "title": f"bench room {k}", "rounds": ROUNDS})
            room_id = created["id"]
            seats = []
            for party, representative in PARTIES:
                invitation = await _post(http, f"/api/rooms/{room_id}/invitations", convener, json={
                    "role": "party", "party": party, "representative": representative})
                token = tokens[party][k]
                await _post(http, f"/api/invitations/{invitation['token']}", token)
                seats.append(Seat(room_id, party, token, opens=party == employer))
            return seats

        rooms = await _bounded([room(k) for k in range(count)])
    return [seat for seats in rooms for seat in seats]


# -- the load (in worker processes) ------------------------------------------------------


class Shared:
    """What a worker measures, and the room's offers in flight (sent at, by number)."""

    def __init__(self, window: tuple[float, float], stop: float):
        self.begin, self.end = window
        self.stop = stop
        self.sent: dict[tuple[str, int], float] = {}
        self.latencies: list[float] = []
        self.round_trips: list[float] = []
        self.acknowledged = 0
        self.errors: list[str] = []
        self.late = 0  # events whose send time is unknown (should stay 0)
        self.in_flight = 0  # offer POSTs sent and not yet answered

    def within(self, moment: float) -> bool:
        return self.begin <= moment < self.end


async def _client(base: str, seat: Seat, shared: Shared, ready: asyncio.Event, start: asyncio.Event) -> None:
    import httpx
    from httpx_sse import aconnect_sse

    turns: asyncio.Queue[int] = asyncio.Queue()
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    timeout = httpx.Timeout(30.0, read=None)
    headers = {"Authorization": f"Bearer {seat.token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=timeout) as http:

        async def read(source) -> None:
            async for message in source.aiter_sse():
                if message.event != "offer":
                    continue
                arrived = time.monotonic()
                event = message.json()
                if event.get("party") == seat.party:
                    continue
                number = int(event["number"])
                sent = shared.sent.pop((seat.room, number), None)
                if sent is None:
                    shared.late += 1
                elif shared.within(arrived):
                    shared.latencies.append(arrived - sent)
                turns.put_nowait(number + 1)

        async def post() -> None:
            while True:
                number = await turns.get()
                if time.monotonic() >= shared.stop:
                    return
                sent = time.monotonic()
                shared.sent[(seat.room, number)] = sent
                shared.in_flight += 1
                try:
                    response = await http.post(f"/api/rooms/{seat.room}/offers", json={"outcome": package(number)})
                finally:
                    shared.in_flight -= 1
                done = time.monotonic()
                if response.status_code != 200:
                    shared.sent.pop((seat.room, number), None)
                    shared.errors.append(f"{response.status_code} {response.text[:200]}")
                    return  # the room stops here: its turn is lost
                if shared.within(done):
                    shared.acknowledged += 1
                    shared.round_trips.append(done - sent)

        async with aconnect_sse(http, "GET", f"/api/rooms/{seat.room}/stream") as source:
            if source.response.status_code != 200:
                await source.response.aread()
                raise RuntimeError(f"stream: {source.response.status_code} {source.response.text[:200]}")
            reader = asyncio.create_task(read(source))
            ready.set()
            await start.wait()
            if seat.opens:
                turns.put_nowait(1)
            try:
                await post()
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                    await reader


async def _load(base: str, seats: list[Seat], begin_at: float, warm_up: float, seconds: float) -> dict[str, Any]:
    """Run ``seats`` from ``begin_at`` (monotonic): warm up, then measure for ``seconds``."""
    window = (begin_at + warm_up, begin_at + warm_up + seconds)
    shared = Shared(window, window[1])
    start = asyncio.Event()
    readies = [asyncio.Event() for _ in seats]
    tasks = [asyncio.create_task(_client(base, seat, shared, ready, start)) for seat, ready in zip(seats, readies)]
    waiting = asyncio.gather(*(ready.wait() for ready in readies))
    done, _ = await asyncio.wait([asyncio.ensure_future(waiting), *tasks], return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        if task in done and task.exception() is not None:
            raise task.exception()
    await asyncio.sleep(max(0.0, begin_at - time.monotonic()))
    start.set()
    await asyncio.sleep(max(0.0, window[0] - time.monotonic()))
    cpu = time.process_time()
    await asyncio.sleep(max(0.0, window[1] - time.monotonic()))
    cpu = time.process_time() - cpu
    # No new offers after the window: wait for the answers to those in flight, then hang up.
    deadline = time.monotonic() + 30
    while shared.in_flight and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)
                and not isinstance(r, asyncio.CancelledError)]
    return {"latencies": shared.latencies, "round_trips": shared.round_trips, "acknowledged": shared.acknowledged,
            "errors": shared.errors + failures, "late": shared.late, "cpu": cpu}


def _worker(base: str, seats: list[Seat], begin_at: float, warm_up: float, seconds: float, answer) -> None:
    try:
        try:
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass
        answer.send(asyncio.run(_load(base, seats, begin_at, warm_up, seconds)))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        answer.send({"failure": f"{type(exc).__name__}: {exc}"})
    finally:
        answer.close()


@dataclass
class Result:
    offers_per_second: float
    latencies: list[float]
    round_trips: list[float]
    errors: list[str]
    server_cpu: float  # CPU seconds per wall second
    database_cpu: float | None
    client_cpu: float
    late: int

    def percentile(self, which: str, q: float) -> float | None:
        import numpy as np

        values = getattr(self, which)
        return float(np.percentile(values, q)) if values else None


def measure(base: str, server_pid: int, db: Database, seats: list[Seat], processes: int, warm_up: float,
            seconds: float) -> Result:
    """The load of ``seats`` spread over ``processes`` load generators (by room)."""
    rooms = sorted({seat.room for seat in seats})
    share = {room: k % processes for k, room in enumerate(rooms)}
    groups = [[seat for seat in seats if share[seat.room] == p] for p in range(processes)]
    groups = [group for group in groups if group]
    context = multiprocessing.get_context("fork")
    # Time enough for every client to open its stream before the start.
    begin_at = time.monotonic() + 2.0 + 0.01 * len(seats)
    pipes, workers = [], []
    for group in groups:
        receive, send = context.Pipe(duplex=False)
        worker = context.Process(target=_worker, args=(base, group, begin_at, warm_up, seconds, send), daemon=True)
        worker.start()
        send.close()
        pipes.append(receive)
        workers.append(worker)
    window = (begin_at + warm_up, begin_at + warm_up + seconds)
    time.sleep(max(0.0, window[0] - time.monotonic()))
    server_cpu, database_cpu = _cpu_seconds([server_pid]), _cpu_seconds(db.pids())
    time.sleep(max(0.0, window[1] - time.monotonic()))
    server_cpu, database_cpu = _cpu_seconds([server_pid]) - server_cpu, _cpu_seconds(db.pids()) - database_cpu
    answers = []
    for receive, worker in zip(pipes, workers):
        answers.append(receive.recv() if receive.poll(120) else {"failure": "no answer from a load generator"})
        worker.join(10)
    failures = [a["failure"] for a in answers if "failure" in a]
    if failures:
        raise RuntimeError("load generator failed: " + "; ".join(failures))
    return Result(
        offers_per_second=sum(a["acknowledged"] for a in answers) / seconds,
        latencies=[x for a in answers for x in a["latencies"]],
        round_trips=[x for a in answers for x in a["round_trips"]],
        errors=[e for a in answers for e in a["errors"]],
        server_cpu=server_cpu / seconds,
        database_cpu=database_cpu / seconds if db.postmaster is not None else None,
        client_cpu=sum(a["cpu"] for a in answers) / seconds,
        late=sum(a["late"] for a in answers),
    )


# -- report ------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else duration(seconds)


def _ratio(postgres: float | None, sqlite: float | None) -> str:
    if postgres is None or sqlite is None or postgres <= 0 or sqlite <= 0:
        return "-"
    return f"{postgres / sqlite:.2f}x"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def report(results: dict[tuple[str, int], Result], databases: list[str], clients: list[int]) -> list[str]:
    sqlite, postgres = "sqlite" in databases, "postgresql" in databases
    header = ["clients", "measure", *(DATABASE_NAMES[d] for d in databases)]
    if sqlite and postgres:
        header.append("ratio PostgreSQL/SQLite")
    rows = []
    measures = (
        ("acknowledged offers/s", lambda r: r.offers_per_second, lambda v: f"{v:,.0f}"),
        ("post-to-event p50", lambda r: r.percentile("latencies", 50), _ms),
        ("post-to-event p99", lambda r: r.percentile("latencies", 99), _ms),
        ("POST round trip p50", lambda r: r.percentile("round_trips", 50), _ms),
        ("POST round trip p99", lambda r: r.percentile("round_trips", 99), _ms),
    )
    for n in clients:
        for name, value, show in measures:
            values = {d: value(results[(d, n)]) for d in databases}
            row = [str(n), name, *(show(values[d]) for d in databases)]
            if sqlite and postgres:
                row.append(_ratio(values["postgresql"], values["sqlite"]))
            rows.append(row)
    lines = [markdown_table(header, rows), ""]
    cpu_header = ["clients", "database", "server process", "PostgreSQL processes", "load generator",
                  "offers timed", "errors"]
    cpu_rows = []
    for n in clients:
        for d in databases:
            r = results[(d, n)]
            cpu_rows.append([str(n), DATABASE_NAMES[d], _share(r.server_cpu), _share(r.database_cpu),
                             _share(r.client_cpu), f"{len(r.latencies):,}", str(len(r.errors) + r.late)])
    lines += ["CPU within the window (CPU seconds per wall second; 100 % = one core of the two):", "",
              markdown_table(cpu_header, cpu_rows), ""]
    return lines


def verdicts(results: dict[tuple[str, int], Result], databases: list[str], clients: list[int]) -> list[str]:
    at = TARGET_CLIENTS if TARGET_CLIENTS in clients else max(clients)
    lines = [f"Targets at {at} clients: >= {TARGET_OFFERS:.0f} acknowledged offers/s, post-to-event p99 < "
             f"{TARGET_P99 * 1000:.0f} ms{'' if at == TARGET_CLIENTS else ' (the issue asks at 200 clients)'}:"]
    for d in databases:
        r = results[(d, at)]
        p99 = r.percentile("latencies", 99)
        rate_ok = r.offers_per_second >= TARGET_OFFERS
        p99_ok = p99 is not None and p99 < TARGET_P99
        lines.append(f"- {DATABASE_NAMES[d]}: {r.offers_per_second:,.0f} offers/s ({'met' if rate_ok else 'MISSED'}), "
                     f"p99 {_ms(p99)} ({'met' if p99_ok else 'MISSED'})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=None, help="measured seconds per configuration (default 10)")
    parser.add_argument("--warm-up", type=float, default=None, help="seconds of load before measuring (default 3)")
    parser.add_argument("--clients", default=None, help="numbers of concurrent clients, even (default 10,100,200)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both (default)")
    parser.add_argument("--client-processes", type=int, default=1,
                        help="load-generator processes, each with its own event loop (default 1)")
    parser.add_argument("--quick", action="store_true",
                        help="a short smoke run: 10 and 100 clients, 2 s each after 1 s of warm-up")
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite file goes (default: a temporary "
                                                              "directory, removed)")
    args = parser.parse_args()
    seconds = args.seconds if args.seconds is not None else 2.0 if args.quick else 10.0
    warm_up = args.warm_up if args.warm_up is not None else 1.0 if args.quick else 3.0
    clients = [int(n) for n in (args.clients or ("10,100" if args.quick else "10,100,200")).split(",") if n.strip()]
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if any(d not in DATABASE_NAMES for d in databases) or not databases:
        parser.error(f"--databases: a comma-separated list of {', '.join(DATABASE_NAMES)}")
    if not clients or any(n < 2 or n % 2 for n in clients):
        parser.error("--clients: even numbers of at least 2 (two clients per room)")
    if seconds <= 0 or warm_up < 0 or args.client_processes < 1:
        parser.error("--seconds must be positive, --warm-up not negative, --client-processes at least 1")

    import fastapi
    import httpx
    import uvicorn

    try:
        import uvloop

        loop = f"uvloop {uvloop.__version__}"
    except ImportError:
        loop = "asyncio"
    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", "benchmarks/bench_server.py", *sys.argv[1:]])
    print(f"Command: {command}")
    print(f"Python {platform.python_version()}, FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__}, "
          f"httpx {httpx.__version__}, {loop}; {os.cpu_count()} CPUs, {platform.machine()}; "
          f"{seconds:g} s measured after {warm_up:g} s of warm-up per configuration; "
          f"{args.client_processes} load-generator process(es)", flush=True)

    results: dict[tuple[str, int], Result] = {}
    notes: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="bench-server-", dir=args.dir))
    try:
        for kind in databases:
            with database(kind, folder) as db, serve(db, folder / f"serve-{kind}.log") as (base, pid):
                notes += db.notes
                tokens = asyncio.run(_accounts(base, max(clients) // 2))
                for n in clients:
                    seats = asyncio.run(_rooms(base, n // 2, tokens))
                    results[(kind, n)] = result = measure(base, pid, db, seats, args.client_processes, warm_up,
                                                          seconds)
                    print(f"  done: {DATABASE_NAMES[kind]}, {n} clients: {result.offers_per_second:,.0f} offers/s"
                          + (f", {len(result.errors)} errors (first: {result.errors[0]})" if result.errors else ""),
                          file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print("\n".join(report(results, databases, clients)))
    print(f"Rooms of two parties ({SCENARIO.relative_to(ROOT)}), one client per party and room, each with its own "
          "token and event stream; each client counters the opponent's offer as soon as its event arrives.")
    print("Server, database and load generator share the same cores: the load generator's CPU is taken from the "
          "server.")
    print()
    print("\n".join(verdicts(results, databases, clients)))
    print()
    print("\n".join(f"- {note}" for note in notes))


if __name__ == "__main__":
    main()
