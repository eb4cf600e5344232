"""Live server under load: acknowledged offers per second and post-to-event latency, SQLite
and PostgreSQL side by side in one run.

Run from the repository root::

    .venv/bin/python benchmarks/bench_server.py          # 10, 100, 200 clients and the target load, both (~4 min)
    .venv/bin/python benchmarks/bench_server.py --quick  # a short smoke run (~1 min)
    .venv/bin/python benchmarks/bench_server.py --databases sqlite --clients 200 --seconds 20
    .venv/bin/python benchmarks/bench_server.py --clients 200 --rate 100  # latency at 100 offers/s

The server
----------
A real ``servanda serve`` subprocess per database (one uvicorn process, as a user starts it:
``python -m servanda serve --db URL --port P --login-limit 100000/minute``, in a session of
its own so that the benchmark ends it and everything it started), on loopback:

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
no room reaches its deadline). Each client is one (room, party): its own bearer token
(``POST /api/tokens``; two accounts, Employer's and Candidate's, each signed in once per
client), its own HTTP connections and its own Server-Sent Events stream of the room. ``N``
clients play ``N / 2`` rooms. The Employer's client opens each room with an offer; from then
on each client waits on its stream for the opponent's offer event, then posts its
counter-offer (``POST /api/rooms/{id}/offers``; the server records it as two events, the
rejection of the offer on the table and the new offer). Every package keeps both parties'
red lines (salary 95,000 to 120,000, one to three remote days) and changes from offer to
offer. Each room has exactly one offer in flight at any time: the load is closed-loop, so
the throughput at 10 clients (5 rooms) is bounded by the latency, and at saturation the
latency is queueing (Little's law: rooms in flight = offers/s x latency; 100 rooms at 200
clients answered within 100 ms would take 1,000 offers/s). ``--rate R`` paces the offers
instead (each room at R / rooms offers per second, the rooms' turns evenly spread; a room
behind its schedule offers at once): the latency at a given load below saturation.

What is measured, per database and number of clients, after ``--warm-up`` seconds of the
same load, for ``--seconds`` seconds:

acknowledged offers / s
    offer POSTs answered 200 within the window, over its length.
post-to-event p50 / p99
    from just before an offer's POST is sent to the arrival of that offer's event on the
    opponent's stream (offers whose event arrived within the window): how long a
    counterpart waits for an offer, the server's write and its fan-out included.
POST round trip p50 / p99
    from sending the offer's POST to receiving its acknowledgement.
CPU
    CPU seconds over wall seconds, within the window, of the server process, of the
    PostgreSQL server processes (postmaster and backends), of the load generator, and of
    everything else on the machine (its busy time from /proc/stat minus those). The load
    generator runs on the same cores as the server and the database: the numbers are
    those of the whole machine under this load, not of the server alone. A load generator
    near 100 % of a core would be the bottleneck; ``--client-processes`` spreads it over
    more processes. Other processes busy during a measurement are reported with a warning:
    they take cores from the server.

The load generator is asyncio with one httpx ``AsyncClient`` per client and httpx-sse, on
uvloop when installed, in ``--client-processes`` worker processes (default 2; a room's two
clients always in the same process, which times the offer between them). With one process,
its own pauses of 90-150 ms (seen as gaps in the requests while the server's event loop was
idle) made p99 latencies of their own. Setting up (accounts,
tokens, rooms, invitations) is outside the clock; every number of clients gets new rooms.

Targets (issue 9): at least 500 acknowledged offers/s on either database, and a post-to-event
p99 under 100 ms, at 200 clients. Closed-loop, 100 rooms answered within 100 ms would take
1,000 offers/s and more, so the two are checked as one load: the most the server sustains
at 200 clients unpaced must reach 500 offers/s, and 200 clients paced at 500 offers/s in all
(2.5 offers/s each, ``--rate 500``; run after the unpaced ones unless ``--rate`` is given)
must see a p99 under 100 ms while the server keeps that pace.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
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

from timing import duration, filesystem, markdown_table

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "examples" / "job-offer.yaml"
PARTIES = (("Employer", "Hiring manager"), ("Candidate", "Candidate"))  # (party, representative)
PASSWORD = "bench-server-password"
ROUNDS = 100_000
TARGET_OFFERS = 500.0  # acknowledged offers per second, on either database
TARGET_P99 = 0.100  # seconds: post-to-event p99 at TARGET_CLIENTS
TARGET_CLIENTS = 200
BUSY_OTHER = 0.15  # warn when other processes and steal took more than this share of a core
START_TIMEOUT = 60.0  # seconds for the server to answer after its start
SETUP_CONCURRENCY = 8  # set-up requests in flight at once
DRAIN_SECONDS = 30.0  # after the window: time for the answers to the offers in flight
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: How the server is started (``serve`` and its options follow); a profiling wrapper may
#: stand in for it.
SERVANDA = [sys.executable, "-m", "servanda"]
#: Server processes for PostgreSQL (`servanda serve --workers`); SQLite serves one process.
POSTGRES_WORKERS = 1
#: What packages cycle through: inside both parties' red lines.
SALARIES = tuple(range(95_000, 120_001, 2_500))
REMOTE = ("remote_1_day", "remote_2_days", "remote_3_days")
TITLES = ("engineer", "senior_engineer", "lead_engineer")


def package(number: int) -> dict[str, Any]:
    """The package of a room's offer ``number``: it keeps both parties' red lines."""
    return {
        "salary": SALARIES[number % len(SALARIES)],
        "start_in_weeks": 2 + 2 * (number % 6),
        "vacation_days": 15 + 5 * (number % 4),
        "signing_bonus": 5000 * (number % 5),
        "remote_work": REMOTE[number % len(REMOTE)],
        "job_title": TITLES[number % len(TITLES)],
    }


# -- processes and CPU -------------------------------------------------------------------


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds of ``pids`` so far (those alive)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _machine_cpu_seconds() -> tuple[float, float]:
    """CPU seconds of the whole machine so far, all cores (/proc/stat): busy in this
    machine, and stolen by the hypervisor for other virtual machines."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


# -- the database and the server ---------------------------------------------------------


@dataclass
class Database:
    kind: str  # "sqlite" or "postgresql"
    url: str
    postmaster: int | None = None  # PostgreSQL: its pid (the backends are its children)
    notes: list[str] = field(default_factory=list)

    def pids(self) -> list[int]:
        if self.postmaster is None:
            return []
        from postgres_server import children

        return [self.postmaster, *children(self.postmaster)]


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[Database]:
    """A new, migrated database of ``kind``."""
    if kind == "sqlite":
        note = f"SQLite {sqlite3.sqlite_version}, a new file in {folder} on {filesystem(folder)}"
        yield Database(kind, str(folder / "servanda.db"), notes=[note])
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
        version = subprocess.run([str(server.bindir / "postgres"), "--version"],
                                 capture_output=True, text=True).stdout.strip()
        yield Database(kind, url, server.pid(), notes=[
            f"{version}, a throwaway cluster in {server.base} on {filesystem(server.base)} "
            "(tests/postgres_server.py: fsync and synchronous_commit on)"])
    finally:
        server.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serve(db: Database, log: Path) -> Iterator[tuple[str, int]]:
    """``servanda serve`` on ``db`` in a session of its own: the base URL and its pid."""
    port = _free_port()
    command = [*SERVANDA, "serve", "--db", db.url, "--port", str(port),
               "--login-limit", "100000/minute"]
    if db.url.startswith("postgresql") and POSTGRES_WORKERS > 1:
        command += ["--workers", str(POSTGRES_WORKERS)]
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
            raise RuntimeError(f"servanda serve did not answer in {START_TIMEOUT:.0f} s:\n"
                               f"{_tail(log)}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    """End the server's process group: SIGTERM (uvicorn shuts down), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -- setting up (outside the clock) ------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """One client: a party's seat in a room, with the client's own token."""

    room: str
    party: str
    token: str
    opens: bool  # makes the room's first offer


async def _bounded(calls: list[Any], limit: int = SETUP_CONCURRENCY) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(call):
        async with gate:
            return await call

    return await asyncio.gather(*(one(call) for call in calls))


async def _post(http: Any, path: str, token: str | None = None, **options: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(path, headers=headers, **options)
    if response.status_code >= 400:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
    return response.json()


async def _accounts(base: str, tokens_each: int) -> dict[str, list[str]]:
    """Two accounts (one per party) and ``tokens_each`` bearer tokens of each."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        tokens: dict[str, list[str]] = {}
        for party, _ in PARTIES:
            credentials = {"username": f"bench-{party.lower()}", "password": PASSWORD}
            await _post(http, "/api/accounts", json=credentials)
            signed_in = await _bounded([
                _post(http, "/api/tokens", json={**credentials, "label": f"client {k}"})
                for k in range(tokens_each)
            ], 2)  # argon2id: two at a time keep both cores busy
            tokens[party] = [answer["token"] for answer in signed_in]
    return tokens


async def _rooms(base: str, count: int, tokens: dict[str, list[str]]) -> list[Seat]:
    """``count`` new rooms, both parties joined in each; a seat per client."""
    import httpx

    opener = PARTIES[0][0]
    convener = tokens[opener][0]
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        stored = await _post(http, "/api/scenarios", convener, json={"text": SCENARIO.read_text()})

        async def room(k: int) -> list[Seat]:
            created = await _post(http, "/api/rooms", convener, json={
                "scenario_id": stored["id"], "title": f"bench room {k}", "rounds": ROUNDS})
            seats = []
            for party, representative in PARTIES:
                invitation = await _post(http, f"/api/rooms/{created['id']}/invitations", convener,
                                         json={"role": "party", "party": party,
                                               "representative": representative})
                await _post(http, f"/api/invitations/{invitation['token']}", tokens[party][k])
                seats.append(Seat(created["id"], party, tokens[party][k], opens=party == opener))
            return seats

        rooms = await _bounded([room(k) for k in range(count)])
    return [seat for seats in rooms for seat in seats]


# -- the load (in worker processes) ------------------------------------------------------


class Shared:
    """What one load generator measures, and its rooms' offers in flight (sent at, by
    room and offer number)."""

    def __init__(self, window: tuple[float, float], started: float,
                 pacing: tuple[float, dict[str, float]] | None):
        self.begin, self.end = window
        self.started = started
        # offers per second and room, and each room's phase (None: as fast as they come)
        self.pacing = pacing
        self.sent: dict[tuple[str, int], float] = {}
        self.latencies: list[float] = []
        self.round_trips: list[float] = []
        self.acknowledged = 0
        self.errors: list[str] = []
        self.unmatched = 0  # offer events of no offer sent here (should stay 0)
        self.in_flight = 0  # offer POSTs sent and not answered yet

    def within(self, moment: float) -> bool:
        return self.begin <= moment < self.end


async def _client(base: str, seat: Seat, shared: Shared, ready: asyncio.Event,
                  start: asyncio.Event) -> None:
    """One client: read the room's stream; on the opponent's offer, post a counter-offer."""
    import httpx
    from httpx_sse import aconnect_sse

    turns: asyncio.Queue[int] = asyncio.Queue()  # numbers of the offers to make
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    headers = {"Authorization": f"Bearer {seat.token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits,
                                 timeout=httpx.Timeout(30.0, read=None)) as http:

        async def read(source: Any) -> None:
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
                    shared.unmatched += 1
                elif shared.within(arrived):
                    shared.latencies.append(arrived - sent)
                turns.put_nowait(number + 1)

        async def post() -> None:
            while True:
                number = await turns.get()
                if shared.pacing is not None:  # offer n of a room: not before its time
                    room_rate, phases = shared.pacing
                    due = shared.started + phases[seat.room] + (number - 1) / room_rate
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                sent = time.monotonic()
                if sent >= shared.end:
                    return
                shared.sent[(seat.room, number)] = sent
                shared.in_flight += 1
                try:
                    response = await http.post(f"/api/rooms/{seat.room}/offers",
                                               json={"outcome": package(number)})
                finally:
                    shared.in_flight -= 1
                done = time.monotonic()
                if response.status_code != 200:
                    shared.sent.pop((seat.room, number), None)
                    shared.errors.append(f"{response.status_code} {response.text[:200]}")
                    return  # the room stops here
                if shared.within(done):
                    shared.acknowledged += 1
                    shared.round_trips.append(done - sent)

        async with aconnect_sse(http, "GET", f"/api/rooms/{seat.room}/stream") as source:
            if source.response.status_code != 200:
                await source.response.aread()
                raise RuntimeError(f"stream: {source.response.status_code} "
                                   f"{source.response.text[:200]}")
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


async def _load(base: str, seats: list[Seat], begin_at: float, warm_up: float, seconds: float,
                pacing: tuple[float, dict[str, float]] | None) -> dict[str, Any]:
    """Open every client's stream, start at ``begin_at`` (monotonic), warm up, measure."""
    window = (begin_at + warm_up, begin_at + warm_up + seconds)
    shared = Shared(window, begin_at, pacing)
    start = asyncio.Event()
    readies = [asyncio.Event() for _ in seats]
    tasks = [asyncio.create_task(_client(base, seat, shared, ready, start))
             for seat, ready in zip(seats, readies)]
    all_ready = asyncio.ensure_future(asyncio.gather(*(ready.wait() for ready in readies)))
    await asyncio.wait([all_ready, *tasks], return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        if task.done() and task.exception() is not None:
            raise task.exception()
    await asyncio.sleep(max(0.0, begin_at - time.monotonic()))
    start.set()
    await asyncio.sleep(max(0.0, window[0] - time.monotonic()))
    cpu = time.process_time()
    await asyncio.sleep(max(0.0, window[1] - time.monotonic()))
    cpu = time.process_time() - cpu
    # No offers after the window: wait for the answers to those in flight, then hang up.
    deadline = time.monotonic() + DRAIN_SECONDS
    while shared.in_flight and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    all_ready.cancel()
    for task in tasks:
        task.cancel()
    ended = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [f"{type(e).__name__}: {e}" for e in ended
                if isinstance(e, BaseException) and not isinstance(e, asyncio.CancelledError)]
    return {"latencies": shared.latencies, "round_trips": shared.round_trips,
            "acknowledged": shared.acknowledged, "errors": shared.errors + failures,
            "unmatched": shared.unmatched, "cpu": cpu}


def _worker(base: str, seats: list[Seat], begin_at: float, warm_up: float, seconds: float,
            pacing: tuple[float, dict[str, float]] | None, answer: Any) -> None:
    try:
        try:
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass
        # The load generator's own collector pauses would count as the server's latency:
        # as in the server, what exists now is frozen, and collections are rarer.
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 20, 20)
        answer.send(asyncio.run(_load(base, seats, begin_at, warm_up, seconds, pacing)))
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
    other_cpu: float  # the rest of the machine: processes not part of this benchmark
    stolen_cpu: float  # taken by the hypervisor (steal): the machine's cores ran someone else

    def percentile(self, which: str, q: float) -> float | None:
        import numpy as np

        values = getattr(self, which)
        return float(np.percentile(values, q)) if values else None


def measure(base: str, server_pid: int, db: Database, seats: list[Seat], processes: int,
            warm_up: float, seconds: float, rate: float | None = None) -> Result:
    """The load of ``seats``, spread by room over ``processes`` load generators; ``rate``:
    offers per second in all (paced evenly over the rooms), or None: as fast as they come."""
    rooms = sorted({seat.room for seat in seats})
    # paced: each room at rate / rooms offers per second, the rooms' offers evenly spread
    pacing = None if rate is None else (rate / len(rooms),
                                        {room: k / rate for k, room in enumerate(rooms)})
    share = {room: k % processes for k, room in enumerate(rooms)}
    groups = [[seat for seat in seats if share[seat.room] == p] for p in range(processes)]
    groups = [group for group in groups if group]
    context = multiprocessing.get_context("fork")
    begin_at = time.monotonic() + 2.0 + 0.01 * len(seats)  # time to open every stream
    window = (begin_at + warm_up, begin_at + warm_up + seconds)
    pipes, workers = [], []
    for group in groups:
        receive, send = context.Pipe(duplex=False)
        worker = context.Process(target=_worker, daemon=True,
                                 args=(base, group, begin_at, warm_up, seconds, pacing, send))
        worker.start()
        send.close()
        pipes.append(receive)
        workers.append(worker)
    time.sleep(max(0.0, window[0] - time.monotonic()))
    server, data = _cpu_seconds([server_pid]), _cpu_seconds(db.pids())
    machine = _machine_cpu_seconds()
    time.sleep(max(0.0, window[1] - time.monotonic()))
    server = _cpu_seconds([server_pid]) - server
    data = max(0.0, _cpu_seconds(db.pids()) - data)  # backends may have ended meanwhile
    (busy, stolen), (busy_before, stolen_before) = _machine_cpu_seconds(), machine
    busy, stolen = busy - busy_before, stolen - stolen_before
    answers = []
    for receive, worker in zip(pipes, workers):
        timely = receive.poll(DRAIN_SECONDS + 60)
        answers.append(receive.recv() if timely else {"failure": "a load generator hung"})
        worker.join(10)
    failures = [answer["failure"] for answer in answers if "failure" in answer]
    if failures:
        raise RuntimeError("load generator failed: " + "; ".join(failures))
    client = sum(answer["cpu"] for answer in answers)
    return Result(
        offers_per_second=sum(answer["acknowledged"] for answer in answers) / seconds,
        latencies=[x for answer in answers for x in answer["latencies"]],
        round_trips=[x for answer in answers for x in answer["round_trips"]],
        errors=[e for answer in answers for e in answer["errors"]]
        + [f"{answer['unmatched']} offer events matched no offer sent"
           for answer in answers if answer["unmatched"]],
        server_cpu=server / seconds,
        database_cpu=data / seconds if db.postmaster is not None else None,
        client_cpu=client / seconds,
        other_cpu=max(0.0, busy - server - data - client) / seconds,
        stolen_cpu=stolen / seconds,
    )


# -- report ------------------------------------------------------------------------------


def _time(seconds: float | None) -> str:
    return "-" if seconds is None else duration(seconds)


def _ratio(postgres: float | None, sqlite: float | None) -> str:
    if postgres is None or sqlite is None or postgres <= 0 or sqlite <= 0:
        return "-"
    return f"{postgres / sqlite:.2f}x"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


MEASURES = (
    ("acknowledged offers/s", lambda r: r.offers_per_second, lambda v: f"{v:,.0f}"),
    ("post-to-event p50", lambda r: r.percentile("latencies", 50), _time),
    ("post-to-event p99", lambda r: r.percentile("latencies", 99), _time),
    ("POST round trip p50", lambda r: r.percentile("round_trips", 50), _time),
    ("POST round trip p99", lambda r: r.percentile("round_trips", 99), _time),
)


def report(results: dict[tuple[str, int], Result], databases: list[str],
           clients: list[int]) -> list[str]:
    both = len(databases) == 2
    header = ["clients", "measure", *(DATABASE_NAMES[d] for d in databases)]
    header += ["ratio PostgreSQL/SQLite"] if both else []
    rows = []
    for n in clients:
        for name, value, show in MEASURES:
            values = {d: value(results[(d, n)]) for d in databases}
            row = [str(n), name, *(show(values[d]) for d in databases)]
            rows.append(row + ([_ratio(values["postgresql"], values["sqlite"])] if both else []))
    cpu_header = ["clients", "database", "server process", "PostgreSQL processes",
                  "load generator", "other processes", "stolen", "offers timed", "errors"]
    cpu_rows = [
        [str(n), DATABASE_NAMES[d], _share(r.server_cpu), _share(r.database_cpu),
         _share(r.client_cpu), _share(r.other_cpu), _share(r.stolen_cpu), f"{len(r.latencies):,}", str(len(r.errors))]
        for n in clients for d in databases for r in [results[(d, n)]]
    ]
    lines = [
        markdown_table(header, rows), "",
        f"CPU within the window, in CPU seconds per wall second (100 % = one core of "
        f"{os.cpu_count()}); other processes: the machine's busy time (/proc/stat) that is "
        "none of this benchmark's; stolen: time the hypervisor gave this virtual machine's "
        "cores to others (steal):", "",
        markdown_table(cpu_header, cpu_rows), "",
    ]
    busiest = max(results.values(), key=lambda r: r.other_cpu + r.stolen_cpu)
    if busiest.other_cpu + busiest.stolen_cpu > BUSY_OTHER:
        lines += [f"WARNING: other processes and the hypervisor took up to "
                  f"{_share(busiest.other_cpu + busiest.stolen_cpu)} of a core during a "
                  "measurement; they took it from the server: run again on a quiet machine.", ""]
    errors = [e for r in results.values() for e in r.errors]
    if errors:
        lines += [f"ERRORS: {len(errors)}, the first: {errors[0]}", ""]
    return lines


def target_report(paced: dict[str, Result], databases: list[str]) -> list[str]:
    """The table of the runs at the target load."""
    header = ["measure", *(DATABASE_NAMES[d] for d in databases)]
    rows = [[name, *(show(value(paced[d])) for d in databases)] for name, value, show in MEASURES]
    rows.append(["server process CPU", *(_share(paced[d].server_cpu) for d in databases)])
    rows.append(["errors", *(str(len(paced[d].errors)) for d in databases)])
    return [f"At the target load: {TARGET_CLIENTS} clients paced at {TARGET_OFFERS:.0f} offers/s in all:", "",
            markdown_table(header, rows), ""]


def verdicts(results: dict[tuple[str, int], Result], paced: dict[str, Result], databases: list[str],
             clients: list[int], rate: float | None) -> list[str]:
    at = TARGET_CLIENTS if TARGET_CLIENTS in clients else max(clients)
    lines = [f"Targets at {at} clients: at least {TARGET_OFFERS:.0f} acknowledged offers/s (unpaced), and a "
             f"post-to-event p99 under {TARGET_P99 * 1000:.0f} ms at {TARGET_OFFERS:.0f} offers/s"
             + ("" if at == TARGET_CLIENTS else f" (the targets are for {TARGET_CLIENTS} clients)")
             + ("" if rate is None else f"; paced at {rate:g} offers/s, so offers/s shows the pace "
                "asked, not the most the server sustains (run without --rate for that)")
             + ":"]
    for d in databases:
        r = results[(d, at)]
        most = "met" if r.offers_per_second >= TARGET_OFFERS else "MISSED"
        line = f"- {DATABASE_NAMES[d]}: {r.offers_per_second:,.0f} offers/s ({most})"
        timed = paced.get(d, r if rate == TARGET_OFFERS else None)
        if timed is None:
            line += "; latency at the target load not measured"
        else:
            p99 = timed.percentile("latencies", 99)
            kept = timed.offers_per_second >= 0.98 * TARGET_OFFERS
            met = kept and p99 is not None and p99 < TARGET_P99
            line += (f"; at {TARGET_OFFERS:.0f} offers/s: p99 {_time(p99)}, {timed.offers_per_second:,.0f} "
                     f"offers/s kept ({'met' if met else 'MISSED'})")
        lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=None,
                        help="measured seconds per configuration (default 10; --quick 2)")
    parser.add_argument("--warm-up", type=float, default=None,
                        help="seconds of the same load before measuring (default 3; --quick 1)")
    parser.add_argument("--clients", default=None,
                        help="numbers of concurrent clients, even (default 10,100,200; "
                             "--quick 10,100)")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="sqlite, postgresql or both (default)")
    parser.add_argument("--client-processes", type=int, default=2,
                        help="load-generator processes, each with its own event loop (default 2: "
                             "one process's own stalls showed up as p99 latency)")
    parser.add_argument("--rate", type=float, default=None,
                        help="offers per second in all, paced evenly over the rooms: latency at "
                             "a given load (default: every client counters at once, the most "
                             "the server sustains)")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes on PostgreSQL (servanda serve --workers; default 1)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where the SQLite file goes (default: a new temporary directory)")
    args = parser.parse_args()
    global POSTGRES_WORKERS
    POSTGRES_WORKERS = max(1, args.workers)
    seconds = args.seconds if args.seconds is not None else 2.0 if args.quick else 10.0
    warm_up = args.warm_up if args.warm_up is not None else 1.0 if args.quick else 3.0
    wanted = args.clients or ("10,100" if args.quick else "10,100,200")
    try:
        clients = sorted({int(n) for n in wanted.split(",") if n.strip()})
    except ValueError:
        parser.error("--clients: a comma-separated list of even numbers")
    databases = [d for d in DATABASE_NAMES if d in {x.strip() for x in args.databases.split(",")}]
    if not databases or {x.strip() for x in args.databases.split(",")} - set(DATABASE_NAMES):
        parser.error(f"--databases: a comma-separated list of {', '.join(DATABASE_NAMES)}")
    if not clients or any(n < 2 or n % 2 for n in clients):
        parser.error("--clients: even numbers of at least 2 (two clients per room)")
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be positive")
    if seconds <= 0 or warm_up < 0 or args.client_processes < 1:
        parser.error("--seconds must be positive, --warm-up not negative, "
                     "--client-processes at least 1")

    import fastapi
    import httpx
    import uvicorn

    try:
        import uvloop

        loop = f"uvloop {uvloop.__version__}"
    except ImportError:
        loop = "asyncio"
    command = shlex.join([".venv/bin/python", "benchmarks/bench_server.py", *sys.argv[1:]])
    print(f"Command: {command}")
    print(f"Python {platform.python_version()}, FastAPI {fastapi.__version__}, uvicorn "
          f"{uvicorn.__version__}, httpx {httpx.__version__}, {loop}; {os.cpu_count()} CPUs, "
          f"{platform.machine()}, load average {os.getloadavg()[0]:.2f} at the start; "
          f"{seconds:g} s measured after {warm_up:g} s of warm-up per configuration; "
          f"{args.client_processes} load-generator process(es); "
          + (f"paced at {args.rate:g} offers/s in all" if args.rate else "unpaced (closed loop)"),
          flush=True)

    results: dict[tuple[str, int], Result] = {}
    paced: dict[str, Result] = {}  # by database: at the target load
    notes: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="bench-server-", dir=args.dir))
    try:
        for kind in databases:
            log = folder / f"serve-{kind}.log"
            with database(kind, folder) as db, serve(db, log) as (base, pid):
                notes += db.notes
                tokens = asyncio.run(_accounts(base, max(clients) // 2))
                for n in clients:
                    seats = asyncio.run(_rooms(base, n // 2, tokens))
                    result = measure(base, pid, db, seats, args.client_processes, warm_up, seconds,
                                     args.rate)
                    results[(kind, n)] = result
                    print(f"  done: {DATABASE_NAMES[kind]}, {n} clients: "
                          f"{result.offers_per_second:,.0f} offers/s", file=sys.stderr, flush=True)
                if args.rate is None and TARGET_CLIENTS in clients:
                    seats = asyncio.run(_rooms(base, TARGET_CLIENTS // 2, tokens))
                    paced[kind] = measure(base, pid, db, seats, args.client_processes, warm_up, seconds,
                                          TARGET_OFFERS)
                    print(f"  done: {DATABASE_NAMES[kind]}, {TARGET_CLIENTS} clients paced at "
                          f"{TARGET_OFFERS:.0f} offers/s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print("\n".join(report(results, databases, clients)))
    if paced:
        print("\n".join(target_report(paced, databases)))
    print(f"Rooms of two parties ({SCENARIO.relative_to(ROOT)}): a client per party and room, "
          "each with its own token and event stream, countering the opponent's offer as soon "
          "as its event arrives. Server, database and load generator share the machine's cores. "
          "Ratio PostgreSQL/SQLite: above 1, PostgreSQL has more offers/s or takes longer.")
    print()
    print("\n".join(verdicts(results, paced, databases, clients, args.rate)))
    print()
    print("\n".join(f"- {note}" for note in notes))


if __name__ == "__main__":
    main()
