"""The live server under load, crashed, and as several processes — each against a real
``servanda serve`` process (tests/server_process.py), on SQLite and on PostgreSQL.

- Load: 200 concurrent clients on loopback (100 job-offer rooms, one client per party and
  room) post offers and comments, each following its room's own event stream to know when
  it is its turn: every acknowledged write is stored as what it was, event ids are gapless,
  and each client's stream delivered its room's events in order, without gaps or repeats.
- Crash: kill -9 of the whole server (and, on PostgreSQL, of the database server too) in
  the middle of such a load, then a restart on the same database and port: every write
  acknowledged before the crash is there, the ledger's consistency proof from the last tree
  head seen before the crash to the new one verifies (same log key), and the room goes on.
- Racing writers: clients of both parties posting at once into one room get exactly one
  offer per turn through, the others a 409, never a 5xx.
- Several processes on PostgreSQL: subscribers of one server process see the events posted
  through another (two `servanda serve` processes on two ports, and `--workers 2`); the
  login limit under two workers.

Throughput is printed (run with ``-s`` to see it), never asserted.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse
from server_process import ServerProcess, connection_owner, migrate, server_sockets

from servanda.client import Client
from servanda.formats.files import load_uncertain_scenario
from servanda.formats.native import to_document
from servanda.ledger.merkle import verify_consistency
from servanda.ledger.treehead import SignedTreeHead

ROOT = Path(__file__).resolve().parent.parent
JOB_OFFER = ROOT / "examples" / "job-offer.yaml"
PARTIES = ("Employer", "Candidate")  # the turn order of examples/job-offer.yaml
REPRESENTATIVES = {"Employer": "Hiring manager", "Candidate": "Candidate"}
PASSWORD = "a password for load tests"
#: Salaries and remote-work options inside both parties' red lines (Employer: salary at most
#: 120,000 and never fully remote; Candidate: at least 95,000 and never office_5_days).
SALARIES = list(range(95000, 120001, 2500))
REMOTE = ["remote_1_day", "remote_2_days", "remote_3_days"]
#: Generous limits that only keep a broken server from hanging the suite; never asserted.
WAIT = 120.0


def _http(url: str, token: str | None = None, read: float | None = 60) -> httpx.Client:
    """An HTTP client of the server (plain HTTP on loopback: no TLS context to build)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=httpx.Timeout(60, read=read), verify=False)


def package(room: int, party: int, number: int) -> dict[str, object]:
    """A different package for every offer, breaking neither party's red lines."""
    return {
        "salary": SALARIES[(room + 3 * number + party) % len(SALARIES)],
        "start_in_weeks": [2, 4, 6, 8, 10, 12][(number + party) % 6],
        "vacation_days": [15, 20, 25, 30][(room + number) % 4],
        "signing_bonus": [0, 5000, 10000, 15000, 20000][(number * 2 + party) % 5],
        "remote_work": REMOTE[(room + number + party) % 3],
        "job_title": ["engineer", "senior_engineer"][(room + party) % 2],
    }


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    """A fresh database for `servanda serve`: an SQLite file, or a new PostgreSQL database
    migrated with `servanda db upgrade` (run as a subprocess)."""
    if request.param == "sqlite":
        return str(tmp_path / "servanda.db")
    url = request.getfixturevalue("postgres_url")
    migrate(url)
    return url


@pytest.fixture
def postgres_database(postgres_url: str) -> str:
    migrate(postgres_url)
    return postgres_url


@pytest.fixture
def serve(request) -> Iterator[Callable[..., ServerProcess]]:
    """``serve(database, workers=1)``: a started ServerProcess; every one is ended after
    the test, whatever happens in it (and its log shown if the test failed)."""
    started: list[ServerProcess] = []
    failed_before = request.session.testsfailed

    def start(database: str, **options) -> ServerProcess:
        server = ServerProcess(database, **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        try:
            server.kill9()  # quicker than a clean stop, which nothing here needs
            if request.session.testsfailed > failed_before:
                print(server.log_tail())
        finally:
            server.close()


# -- the load -----------------------------------------------------------------------------


@dataclass
class Ack:
    """A write the server acknowledged (HTTP 200/201): an event id it returned."""

    room: str
    event: int
    type: str
    party: str
    content: dict | None = None  # fields the stored event must have: the offer's outcome, the text


@dataclass
class Seat:
    """One client of the load: a party in a room, with a bearer token of its account."""

    room_index: int
    room: str
    party: int
    token: str
    seen: list[tuple[int, str]] = field(default_factory=list)  # (id, type) as streamed
    acks: list[Ack] = field(default_factory=list)
    error: str | None = None


class Load:
    """Rooms of examples/job-offer.yaml, one account per party (with several bearer
    tokens), and the clients that negotiate in them."""

    def __init__(self, url: str, rooms: int, tokens: int = 6, prefix: str = "load") -> None:
        self.url, self.room_count, self.token_count = url, rooms, tokens
        self.names = {"convener": f"{prefix}-convener", "Employer": f"{prefix}-employer",
                      "Candidate": f"{prefix}-candidate"}
        self.scenario_text = json.dumps(to_document(load_uncertain_scenario(JOB_OFFER)))
        self.tokens: dict[str, list[str]] = {}
        self.rooms: list[str] = []
        self.acks: list[Ack] = []
        self._lock = threading.Lock()

    # -- setting up -------------------------------------------------------------------------

    def setup(self, rounds: int = 10_000) -> None:
        with _http(self.url) as http:
            for name in self.names.values():
                _ok(http.post("/api/accounts", json={"username": name, "password": PASSWORD}))
        with ThreadPoolExecutor(2) as pool:
            counts = {"convener": 1, "Employer": self.token_count, "Candidate": self.token_count}
            logins = {who: [pool.submit(self._login, name) for _ in range(counts[who])]
                      for who, name in self.names.items()}
            self.tokens = {who: [f.result() for f in futures] for who, futures in logins.items()}
            self.rooms = list(pool.map(lambda i: self._room(i, rounds), range(self.room_count)))

    def _login(self, username: str) -> str:
        with _http(self.url) as http:
            answer = _ok(http.post("/api/tokens", json={"username": username, "password": PASSWORD,
                                                        "label": "load test"}))
        return answer["token"]

    def client(self, who: str, index: int = 0) -> httpx.Client:
        return _http(self.url, self.tokens[who][index % len(self.tokens[who])])

    def _room(self, index: int, rounds: int) -> str:
        with self.client("convener") as convener:
            room = _ok(convener.post("/api/rooms", json={"scenario": {"text": self.scenario_text},
                                                         "protocol": "alternating", "rounds": rounds,
                                                         "title": f"load room {index}"}))["id"]
            for party in PARTIES:
                invitation = _ok(convener.post(f"/api/rooms/{room}/invitations", json={
                    "role": "party", "party": party, "representative": REPRESENTATIVES[party]}))["token"]
                with self.client(party, index) as person:
                    _ok(person.post(f"/api/invitations/{invitation}"))
        return room

    def seats(self) -> list[Seat]:
        return [Seat(i, room, p, self.tokens[party][i % self.token_count])
                for i, room in enumerate(self.rooms) for p, party in enumerate(PARTIES)]

    # -- negotiating ------------------------------------------------------------------------

    def play(self, seat: Seat, offers: int, comments: tuple[int, ...],
             crash: threading.Event | None = None) -> None:
        """One client: follow the room's stream; on each of its turns post an offer (and,
        after the offers numbered in ``comments``, a comment); stop once the stream has shown
        every offer and comment of both clients of the room. With ``crash``, the first failed
        request ends the client (the server is being killed)."""
        party = PARTIES[seat.party]
        expected_offers, expected_comments = 2 * offers, 2 * len(comments)
        made = offers_seen = comments_seen = 0
        try:
            with _http(self.url, seat.token, read=WAIT) as http:
                with connect_sse(http, "GET", f"/api/rooms/{seat.room}/stream") as source:
                    if source.response.status_code != 200:
                        raise AssertionError(f"stream: HTTP {source.response.status_code}")
                    for message in source.iter_sse():
                        if not message.data:
                            continue
                        event = json.loads(message.data)
                        seat.seen.append((event["id"], event["type"]))
                        offers_seen += event["type"] == "offer"
                        comments_seen += event["type"] == "comment"
                        if offers_seen == expected_offers and comments_seen == expected_comments:
                            return
                        if made < offers and offers_seen == 2 * made + seat.party:
                            body = {"outcome": package(seat.room_index, seat.party, made)}
                            ids = self._write(http, f"/api/rooms/{seat.room}/offers", body)["events"]
                            self._ack(seat, [Ack(seat.room, i, "reject", party) for i in ids[:-1]]
                                      + [Ack(seat.room, ids[-1], "offer", party, body)])
                            if made in comments:
                                body = {"text": f"{party} on offer {made} in room {seat.room_index}"}
                                answer = self._write(http, f"/api/rooms/{seat.room}/comments", body)
                                self._ack(seat, [Ack(seat.room, answer["id"], "comment", party, body)])
                            made += 1
                    raise AssertionError("the stream ended before the room's last event")
        except (httpx.HTTPError, _Refused) as exc:
            seat.error = f"{type(exc).__name__}: {exc}"
            if crash is None or not crash.is_set():
                raise
        except Exception as exc:
            seat.error = f"{type(exc).__name__}: {exc}"
            raise

    def _write(self, http: httpx.Client, path: str, body: dict) -> dict:
        response = http.post(path, json=body)
        if response.status_code not in (200, 201):
            raise _Refused(f"POST {path}: HTTP {response.status_code} {response.text[:300]}")
        return response.json()

    def _ack(self, seat: Seat | None, acks: list[Ack]) -> None:
        if seat is not None:
            seat.acks.extend(acks)
        with self._lock:
            self.acks.extend(acks)

    def run(self, seats: list[Seat], offers: int, comments: tuple[int, ...],
            crash: threading.Event | None = None) -> list[threading.Thread]:
        def client(seat: Seat) -> None:
            try:
                self.play(seat, offers, comments, crash)
            except BaseException:  # noqa: BLE001 - in seat.error, checked by the test
                pass

        threads = [threading.Thread(target=client, args=(seat,), daemon=True) for seat in seats]
        for thread in threads:
            thread.start()
        return threads

    # -- checking ---------------------------------------------------------------------------

    def stored(self, room_index: int) -> list[dict]:
        with self.client("Employer", room_index) as http:
            return _ok(http.get(f"/api/rooms/{self.rooms[room_index]}/events", params={"limit": 5000}))

    def check_stored(self, acks: list[Ack]) -> dict[str, list[dict]]:
        """Every room's events are numbered 0..n-1, and every acknowledged write is among
        them with its type and party; the stored events by room."""
        by_room = {room: self.stored(i) for i, room in enumerate(self.rooms)}
        for room, events in by_room.items():
            assert [event["id"] for event in events] == list(range(len(events))), f"gaps in room {room}"
        missing = []
        for ack in acks:
            events = by_room[ack.room]
            found = events[ack.event] if ack.event < len(events) else None
            if (found is None or found["type"] != ack.type or found.get("party") != ack.party
                    or any(found.get(key) != value for key, value in (ack.content or {}).items())):
                missing.append((ack, found))
        assert not missing, f"{len(missing)} acknowledged writes not stored as acknowledged: {missing[:3]}"
        return by_room


class _Refused(Exception):
    """The server answered a write with something other than 200/201."""


def _ok(response: httpx.Response) -> dict:
    if response.status_code not in (200, 201):
        raise AssertionError(f"{response.request.method} {response.request.url.path}: "
                             f"HTTP {response.status_code} {response.text[:300]}")
    return response.json()


def _join(threads: list[threading.Thread]) -> None:
    """Wait for the clients; the limit only keeps a hung server from hanging the suite (each
    client's own reads give up after WAIT seconds of silence)."""
    deadline = time.monotonic() + 5 * WAIT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [thread for thread in threads if thread.is_alive()]
    assert not stuck, f"{len(stuck)} clients never finished"


# -- subscribers ------------------------------------------------------------------------


SENTINEL = "the last message of this test"


class Subscriber(threading.Thread):
    """One SSE subscription of a room on its own connection, until the comment SENTINEL."""

    def __init__(self, url: str, token: str, room: str, sentinel: str = SENTINEL) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.room, self.sentinel = url, token, room, sentinel
        self.seen: list[int] = []
        self.arrived: dict[int, float] = {}
        self.connected = threading.Event()
        self.error: str | None = None

    def run(self) -> None:
        try:
            with _http(self.url, self.token, read=WAIT) as http:
                with connect_sse(http, "GET", f"/api/rooms/{self.room}/stream") as source:
                    assert source.response.status_code == 200
                    self.connected.set()
                    for message in source.iter_sse():
                        if not message.data:
                            continue
                        event = json.loads(message.data)
                        self.seen.append(event["id"])
                        self.arrived[event["id"]] = time.monotonic()
                        if event["type"] == "comment" and event.get("text") == self.sentinel:
                            return
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = f"{type(exc).__name__}: {exc}"
            self.connected.set()


def _listeners(database: str) -> int:
    """How many sessions LISTEN for room events on this database (one per server process)."""
    import psycopg

    dsn = database.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as connection:
        return connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND query = 'LISTEN servanda_events' AND pid <> pg_backend_pid()").fetchone()[0]


def _await_listeners(database: str, count: int) -> int:
    """The number of listening sessions, once it has reached ``count`` (each server process
    starts listening in the background, right after it starts)."""
    deadline = time.monotonic() + WAIT
    while (found := _listeners(database)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _post_offers(url_of: Callable[[int], str], load: Load, room: str, count: int,
                 sentinel: str = SENTINEL) -> dict[int, float]:
    """``count`` offers (and a comment after each), alternately by each party, each through
    a fresh connection to ``url_of(n)``; the acknowledged event ids with the time of their
    acknowledgement."""
    acknowledged: dict[int, float] = {}
    for number in range(count):
        party = PARTIES[number % 2]
        token = load.tokens[party][number % load.token_count]
        with _http(url_of(number), token) as http:
            ids = _ok(http.post(f"/api/rooms/{room}/offers",
                                json={"outcome": package(0, number % 2, number)}))["events"]
            acknowledged.update(dict.fromkeys(ids, time.monotonic()))
        with _http(url_of(number), token) as http:
            text = sentinel if number == count - 1 else f"after offer {number}"
            comment = _ok(http.post(f"/api/rooms/{room}/comments", json={"text": text}))["id"]
            acknowledged[comment] = time.monotonic()
    return acknowledged


def _await_all(subscribers: list[Subscriber], room_events: list[dict]) -> list[int]:
    for subscriber in subscribers:
        subscriber.join(WAIT)
    assert not [s for s in subscribers if s.is_alive()], "a subscriber never saw the last event"
    assert not [s.error for s in subscribers if s.error], [s.error for s in subscribers if s.error]
    ids = [event["id"] for event in room_events]
    for subscriber in subscribers:
        assert subscriber.seen == ids, "a subscriber missed, repeated or reordered events"
    return ids


# -- 1. load -------------------------------------------------------------------------------

ROOMS, OFFERS, COMMENTS = 100, 3, (1,)  # 200 clients, 4 acknowledged writes each


def test_200_concurrent_clients_every_acknowledged_write_is_stored_and_streamed_in_order(database, serve):
    server = serve(database)
    load = Load(server.url, ROOMS)
    started = time.monotonic()
    load.setup()
    setup = time.monotonic() - started
    seats = load.seats()
    assert len(seats) == 200
    started = time.monotonic()
    threads = load.run(seats, OFFERS, COMMENTS)
    _join(threads)
    elapsed = time.monotonic() - started
    failed = [(seat.room_index, seat.party, seat.error) for seat in seats if seat.error]
    assert not failed, f"{len(failed)} clients failed, e.g. {failed[:3]}"

    writes = sum(1 for ack in load.acks if ack.type != "reject")  # requests acknowledged
    assert writes == len(seats) * (OFFERS + len(COMMENTS))
    by_room = load.check_stored(load.acks)
    for seat in seats:
        events = by_room[seat.room]
        # the client's own stream: every event of its room, in id order, once each
        assert seat.seen == [(event["id"], event["type"]) for event in events], \
            f"room {seat.room_index}, {PARTIES[seat.party]}: the stream differs from the record"
        offers = [event for event in events if event["type"] == "offer"]
        assert [event["party"] for event in offers] == list(PARTIES) * OFFERS
    print(f"\n[load {server.database.split(':')[0]}] setup of {ROOMS} rooms {setup:.1f} s; "
          f"{writes} acknowledged writes ({len(load.acks)} events) by {len(seats)} clients "
          f"in {elapsed:.1f} s: "
          f"{writes / elapsed:.0f} writes/s, {len(load.acks) / elapsed:.0f} events/s")


def test_racing_writers_of_both_parties_get_one_offer_per_turn_and_no_server_error(database, serve):
    """16 clients, 8 per party, all posting offers (and comments) at once into one room:
    the room's lock lets exactly one offer through per turn, the others are refused with a
    409 (never a 5xx); every acknowledged offer is stored, in strict turn order, and a
    stream opened before the race shows exactly the record."""
    server = serve(database)
    load = Load(server.url, 1, tokens=4, prefix="race")
    load.setup()
    room, target = load.rooms[0], 40
    watcher = Subscriber(server.url, load.tokens["convener"][0], room, sentinel=SENTINEL)
    watcher.start()
    watcher.connected.wait(WAIT)
    statuses: list[int] = []
    errors: list[str] = []
    done = threading.Event()

    def racer(number: int) -> None:
        party = PARTIES[number % 2]
        try:
            with load.client(party, number // 2) as http:
                attempt = 0
                while not done.is_set():
                    attempt += 1
                    if attempt % 5 == 0:
                        body = {"text": f"racer {number}, attempt {attempt}"}
                        response = http.post(f"/api/rooms/{room}/comments", json=body)
                        statuses.append(response.status_code)
                        if response.status_code == 200:
                            load._ack(None, [Ack(room, response.json()["id"], "comment", party, body)])
                        continue
                    body = {"outcome": package(number, number % 2, attempt)}
                    response = http.post(f"/api/rooms/{room}/offers", json=body)
                    statuses.append(response.status_code)
                    if response.status_code == 200:
                        ids = response.json()["events"]
                        load._ack(None, [Ack(room, i, "reject", party) for i in ids[:-1]]
                                  + [Ack(room, ids[-1], "offer", party, body)])
                        if sum(ack.type == "offer" for ack in list(load.acks)) >= target:
                            done.set()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(f"{type(exc).__name__}: {exc}")
            done.set()

    racers = [threading.Thread(target=racer, args=(n,), daemon=True) for n in range(16)]
    for thread in racers:
        thread.start()
    _join(racers)
    with load.client("Candidate") as http:
        _ok(http.post(f"/api/rooms/{room}/comments", json={"text": SENTINEL}))
    watcher.join(WAIT)
    assert not errors, errors[:3]
    assert set(statuses) <= {200, 409}, sorted(set(statuses))
    by_room = load.check_stored(load.acks)
    events = by_room[room]
    offers = [event for event in events if event["type"] == "offer"]
    assert len(offers) == sum(ack.type == "offer" for ack in load.acks) >= target
    assert [event["party"] for event in offers] == [PARTIES[i % 2] for i in range(len(offers))]
    assert watcher.error is None and watcher.seen == [event["id"] for event in events]
    print(f"\n[race {server.database.split(':')[0]}] {len(statuses)} writes: {statuses.count(200)} accepted, "
          f"{statuses.count(409)} refused as out of turn; {len(offers)} offers in turn order")


# -- 2. crash ------------------------------------------------------------------------------

CRASH_ROOMS, CRASH_OFFERS, CRASH_COMMENTS = 20, 40, (2, 7, 12)
AFTER_CRASH = "still here after the crash"


def _crash_and_check(load: Load, server: ServerProcess, kill: Callable[[], None], restart: Callable[[], None],
                     after_acks: int) -> None:
    seats = load.seats()
    crash = threading.Event()
    # a watcher of the first room through servanda.client, which resumes with Last-Event-ID
    watched: list[int] = []
    watcher_failed: list[str] = []

    def watch() -> None:
        try:
            with Client(server.url, load.tokens["convener"][0]) as convener:
                for event in convener.watch(load.rooms[0]):
                    watched.append(event["id"])
                    if event["type"] == "comment" and event.get("text") == AFTER_CRASH:
                        return
        except Exception as exc:  # noqa: BLE001 - reported by the test
            watcher_failed.append(f"{type(exc).__name__}: {exc}")

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    threads = load.run(seats, CRASH_OFFERS, CRASH_COMMENTS, crash)
    while len(load.acks) < after_acks and any(thread.is_alive() for thread in threads):
        assert all(seat.error is None for seat in seats), [seat.error for seat in seats if seat.error][:3]
        time.sleep(0.01)
    assert all(seat.error is None for seat in seats), [seat.error for seat in seats if seat.error][:3]
    # the last tree heads seen before the crash, taken while the clients keep writing
    with load.client("Employer") as http:  # the Employer's account is in every room
        heads = {index: _ok(http.get(f"/api/rooms/{room}/log/head")) for index, room in enumerate(load.rooms)}
    crash.set()
    kill()
    acknowledged = list(load.acks)  # every answer received before the crash
    _join(threads)
    late = load.acks[len(acknowledged):]  # answers already on their way when the server died
    assert len(acknowledged) < len(seats) * (2 * CRASH_OFFERS + len(CRASH_COMMENTS)), "the crash came too late"
    restart()

    load.check_stored(load.acks)
    for index, old in heads.items():
        room = load.rooms[index]
        with load.client("Employer", index) as http:
            new = _ok(http.get(f"/api/rooms/{room}/log/head"))
            before, after = SignedTreeHead.from_dict(old), SignedTreeHead.from_dict(new)
            assert before.verify() and after.verify()
            assert after.log_key == before.log_key, "the room's log key changed across the crash"
            assert after.size >= before.size
            proof = _ok(http.get(f"/api/rooms/{room}/log/consistency",
                                 params={"old_size": before.size, "new_size": after.size}))
        path = [bytes.fromhex(node) for node in proof["proof"]]
        old_root, new_root = bytes.fromhex(before.root), bytes.fromhex(after.root)
        assert verify_consistency(before.size, after.size, old_root, new_root, path), \
            f"room {index}: no consistent history across the crash"

    # the rooms still work: whoever's turn it is makes a further offer, and anyone comments
    for index in (0, len(load.rooms) - 1):
        room = load.rooms[index]
        with load.client("Employer", index) as http:
            to_act = _ok(http.get(f"/api/rooms/{room}"))["to_act"]
        with load.client(to_act, index) as http:
            ids = _ok(http.post(f"/api/rooms/{room}/offers",
                                json={"outcome": package(index, PARTIES.index(to_act), 99)}))["events"]
            comment = _ok(http.post(f"/api/rooms/{room}/comments", json={"text": AFTER_CRASH}))
        load.check_stored([Ack(room, ids[-1], "offer", to_act), Ack(room, comment["id"], "comment", to_act)])
    # the watcher resumed after the restart: the whole record, each event once, in order
    watcher.join(WAIT)
    assert not watcher_failed and not watcher.is_alive(), watcher_failed
    assert watched == [event["id"] for event in load.stored(0)]
    print(f"\n[crash {server.database.split(':')[0]}] {len(acknowledged)} events acknowledged before the kill "
          f"(+{len(late)} answers in flight), all present after restart; heads at sizes "
          f"{sorted(SignedTreeHead.from_dict(h).size for h in heads.values())[:5]}... verified consistent")


def test_kill_9_of_the_server_during_load_loses_no_acknowledged_write(database, serve):
    server = serve(database)
    load = Load(server.url, CRASH_ROOMS, tokens=4, prefix="crash")
    load.setup()
    _crash_and_check(load, server, server.kill9, server.start, after_acks=200)


def test_kill_9_of_server_and_postgresql_during_load_loses_no_acknowledged_write(postgres_server,
                                                                                 postgres_database, serve):
    server = serve(postgres_database)
    load = Load(server.url, CRASH_ROOMS, tokens=4, prefix="pgcrash")
    load.setup()

    def kill() -> None:
        postgres_server.kill()  # the database first, in the middle of commits
        server.kill9()

    def restart() -> None:
        postgres_server.start()
        server.start()

    try:
        _crash_and_check(load, server, kill, restart, after_acks=200)
    finally:
        if postgres_server.pid() is None:  # the other tests need it
            postgres_server.start()


# -- 3. several server processes on PostgreSQL ---------------------------------------------


def test_a_subscriber_of_one_server_process_sees_events_posted_through_another(postgres_database, serve):
    first = serve(postgres_database)
    second = serve(postgres_database)
    assert _await_listeners(postgres_database, 2) == 2  # each process listens for the other's commits
    load = Load(first.url, 1, tokens=4, prefix="pair")
    load.setup()
    room = load.rooms[0]
    servers = (first, second)
    latencies = []
    for listening, posting in ((0, 1), (1, 0)):
        sentinel = f"{SENTINEL}, posted through server {posting}"
        subscribers = [Subscriber(servers[listening].url, load.tokens[who][n % len(load.tokens[who])], room,
                                  sentinel) for n in range(2) for who in ("convener", "Employer", "Candidate")]
        for subscriber in subscribers:
            subscriber.start()
            subscriber.connected.wait(WAIT)
        acknowledged = _post_offers(lambda _n: servers[posting].url, load, room, 4, sentinel)
        events = load.stored(0)
        _await_all(subscribers, events)
        assert set(acknowledged) <= {event["id"] for event in events}
        latencies += [s.arrived[i] - at for s in subscribers for i, at in acknowledged.items()]
    latencies.sort()
    print(f"\n[two processes] {len(latencies)} deliveries across processes, post-to-event latency "
          f"median {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")


def test_with_two_workers_every_subscriber_sees_every_event(postgres_database, serve):
    server = serve(postgres_database, workers=2)
    workers = server.worker_pids()
    assert len(workers) == 2 and server.pid not in workers
    assert _await_listeners(postgres_database, 2) == 2  # one per worker
    load = Load(server.url, 1, tokens=4, prefix="workers")
    load.setup()
    room = load.rooms[0]
    # subscribe until both workers hold subscriptions (the kernel hands out the connections)
    subscribers: list[Subscriber] = []
    while len(subscribers) < 6 or (len(subscribers) < 40 and min(_held(server, workers)) == 0):
        who = ("convener", "Employer", "Candidate")[len(subscribers) % 3]
        subscriber = Subscriber(server.url, load.tokens[who][len(subscribers) % len(load.tokens[who])], room)
        subscriber.start()
        subscriber.connected.wait(WAIT)
        subscribers.append(subscriber)
    held = _held(server, workers)
    acknowledged = _post_offers(lambda _n: server.url, load, room, 6)
    events = load.stored(0)
    _await_all(subscribers, events)
    assert set(acknowledged) <= {event["id"] for event in events}
    print(f"\n[--workers 2] workers {workers} held {held} of {len(subscribers)} subscriptions; "
          f"every one saw all {len(events)} events")
    assert min(held) > 0, f"every subscription landed on one worker ({held}): nothing crossed workers"


def _held(server: ServerProcess, workers: list[int]) -> list[int]:
    counts = server_sockets(server)
    return [counts.get(pid, 0) for pid in workers]


def _raw_post(connection: socket.socket, path: str, body: dict) -> int:
    """POST ``body`` as JSON over an open keep-alive connection; the status of the answer
    (read whole, so that the connection can carry the next request)."""
    data = json.dumps(body).encode()
    connection.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        assert chunk, "the server closed the connection"
        received += chunk
    head, rest = received.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    while len(rest) < length:
        rest += connection.recv(65536)
    return int(lines[0].split()[1])


def test_with_two_workers_the_login_limit_still_holds_per_address_and_user(postgres_database, serve):
    """--login-limit 3/minute with two workers: the fourth wrong password from one address
    for one user is refused with a 429, whichever worker it reaches. Each attempt goes over
    a keep-alive connection whose serving worker is known (from /proc), alternating between
    the two workers."""
    server = serve(postgres_database, workers=2, login_limit="3/minute")
    workers = server.worker_pids()
    with _http(server.url) as http:
        _ok(http.post("/api/accounts", json={"username": "alice", "password": PASSWORD}))
    by_worker: dict[int, socket.socket] = {}
    opened = []
    try:
        while len(by_worker) < 2 and len(opened) < 40:
            connection = socket.create_connection(("127.0.0.1", server.port))
            opened.append(connection)
            deadline = time.monotonic() + WAIT
            while (owner := connection_owner(server, connection.getsockname()[1])) is None \
                    and time.monotonic() < deadline:
                time.sleep(0.01)
            if owner in workers:
                by_worker.setdefault(owner, connection)
        if len(by_worker) < 2:
            pytest.skip(f"every connection reached one worker: {len(opened)} tries")
        statuses = [_raw_post(by_worker[workers[attempt % 2]], "/api/tokens",
                              {"username": "alice", "password": "not the password", "label": "guess"})
                    for attempt in range(8)]
    finally:
        for connection in opened:
            connection.close()
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) == 3, f"{statuses.count(401)} wrong passwords tried under a limit of 3: {statuses}"
