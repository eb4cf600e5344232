"""The live server's API, end to end over HTTP, on SQLite and on PostgreSQL (the ``server``
fixture runs every test against both): accounts and sessions, problem+json errors, rooms
and who may see them, the protocols' rules, bots, discussion versus binding acts,
confidential preferences and their commitments, suggestions, post-settlement
improvements, Server-Sent Events with ``Last-Event-ID``, treaty acts signed by their
signers, the exported bundle and the room's log.

Each test drives one or a few rooms through the Python client (``servanda.client``) or
plain httpx where the exact HTTP exchange matters."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from conftest import EXAMPLES, run_cli
from httpx_sse import connect_sse
from live_server import running_server

from servanda.analysis.utilities import red_line_breaches, utilities
from servanda.client import Client
from servanda.crypto import canonical_json, generate_key, public_hex
from servanda.crypto.signing import sign
from servanda.formats import load_scenario
from servanda.formats.native import loads_uncertain_yaml
from servanda.ledger import Ledger, SignedTreeHead, verify_consistency
from servanda.ledger.timestamps import parse_timestamp, utc_timestamp
from servanda.server import Settings
from servanda.store import open_database

JOB = EXAMPLES / "job-offer.yaml"
PROBLEM = "application/problem+json"

#: A package of the job-offer example that breaks no red line and that both sides can
#: improve on (both prefer the title "senior_engineer" to "engineer").
BASE = {"salary": 100000, "start_in_weeks": 4, "vacation_days": 20, "signing_bonus": 0,
        "remote_work": "remote_2_days", "job_title": "engineer"}

#: Three parties, two issues: each wants a different option of x; everyone prefers z=good.
THREE = """
name: Three-way
issues:
  - {name: x, type: categorical, options: [a, b, c]}
  - {name: z, type: categorical, options: [bad, good]}
parties:
  - name: A
    representatives: [{name: Ann, role: other}]
    reservation: 0
    weights: {x: 0.5, z: 0.5}
    values: {x: {a: 1, b: 0.5, c: 0}, z: {bad: 0, good: 1}}
  - name: B
    representatives: [{name: Bob, role: other}]
    reservation: 0
    weights: {x: 0.5, z: 0.5}
    values: {x: {a: 0, b: 1, c: 0.5}, z: {bad: 0, good: 1}}
  - name: C
    representatives: [{name: Cid, role: other}]
    reservation: 0
    weights: {x: 0.5, z: 0.5}
    values: {x: {a: 0.5, b: 0, c: 1}, z: {bad: 0, good: 1}}
"""


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Argon2id at its lowest cost: these tests sign in dozens of people, two hashes each,
    and a hash at the server's real cost takes 0.6 s on a 2-core machine. The server runs
    in this process, so this is the only change to its code."""
    from argon2 import PasswordHasher

    from servanda.rooms import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))



def problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem of ``status`` (naming ``field``, when given); its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert body.get("field") == field, body
    return body


def refused(client: Client, method: str, path: str, status: int, field: str | None = None,
            **options: Any) -> dict[str, Any]:
    """Make a request that must be refused with ``status``; the problem."""
    return problem(client.http.request(method, path, timeout=10, **options), status, field)


def package(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


def job_room(server, **options: Any) -> tuple[Client, Client, Client, str]:
    """A job-offer room (default: 10 rounds), with one person seated for each side."""
    convener, employer, candidate = server.person("convener"), server.person("employer"), server.person("candidate")
    options.setdefault("rounds", 10)
    room = convener.create_room(JOB, **options)
    employer.join(convener.invite(room, "party", "Employer", "Hiring manager"))
    candidate.join(convener.invite(room, "party", "Candidate", "Candidate"))
    return convener, employer, candidate, room


def three_room(server, tmp_path: Path, **options: Any) -> tuple[Client, dict[str, Client], str]:
    path = tmp_path / "three.yaml"
    path.write_text(THREE)
    convener = server.person("convener")
    room = convener.create_room(path, **options)
    people = {}
    for party, representative in (("A", "Ann"), ("B", "Bob"), ("C", "Cid")):
        people[party] = server.person(representative.lower())
        people[party].join(convener.invite(room, "party", party, representative))
    return convener, people, room


def last(client: Client, room: str) -> int:
    return client.room(room)["last_event"]


def event_at(client: Client, room: str, event_id: int) -> dict[str, Any]:
    """Event ``event_id`` of the room, as ``client`` sees it."""
    [event] = client.events(room, after=event_id - 1, limit=1)
    assert event["id"] == event_id
    return event


def has(event: dict[str, Any], **expected: Any) -> bool:
    """Whether ``event`` has these fields with these values (the diff in the message)."""
    wrong = {key: (event.get(key), value) for key, value in expected.items() if event.get(key) != value}
    assert not wrong, (event, wrong)
    return True


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def assert_pareto_improvement(scenario, base: dict[str, Any], better: dict[str, Any]) -> None:
    """``better`` is at least as good as ``base`` for every party and better for one, and
    breaks no red line that ``base`` keeps."""
    rows = np.asarray([scenario.space.parse(base), scenario.space.parse(better)])
    before, after = utilities(scenario, rows)
    broken_before, broken_after = red_line_breaches(scenario, rows)
    assert not np.any(broken_after & ~broken_before), (base, better)
    assert np.all(after >= before - 1e-9), (base, better, before, after)
    assert np.any(after > before + 1e-9), (base, better, before, after)


def numbers_and_keys(value: Any) -> tuple[set[float], set[str]]:
    """Every number and every object key in a JSON value."""
    numbers: set[float] = set()
    keys: set[str] = set()

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            keys.update(item)
            for inner in item.values():
                walk(inner)
        elif isinstance(item, list):
            for inner in item:
                walk(inner)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            numbers.add(float(item))

    walk(value)
    return numbers, keys


def verify_bundle_file(capsys, tmp_path: Path, bundle: dict[str, Any], name: str) -> int:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(bundle))
    code, _, _ = run_cli(capsys, "verify", path)
    return code


# -- accounts ----------------------------------------------------------------------------------


def test_accounts_tokens_and_browser_sessions_with_csrf(server):
    anonymous = httpx.Client(base_url=server.url, timeout=10)
    with anonymous:
        created = anonymous.post("/api/accounts", json={"username": "alice", "password": "correct horse"})
        assert created.status_code == 201 and created.json()["username"] == "alice"
        problem(anonymous.post("/api/accounts", json={"username": "alice", "password": "another one"}), 409,
                "username")
        problem(anonymous.post("/api/accounts", json={"username": "a b", "password": "correct horse"}), 422,
                "username")
        problem(anonymous.post("/api/accounts", json={"username": "bob", "password": "short"}), 422, "password")
        problem(anonymous.post("/api/accounts", json={"username": "bob"}), 422, "password")
        # none of the refused registrations opened an account
        problem(anonymous.post("/api/tokens", json={"username": "bob", "password": "short"}), 401)

        # bearer tokens
        problem(anonymous.post("/api/tokens", json={"username": "alice", "password": "wrong horse"}), 401)
        token = anonymous.post("/api/tokens", json={"username": "alice", "password": "correct horse"})
        assert token.status_code == 201
        bearer = {"Authorization": f"Bearer {token.json()['token']}"}
        me = anonymous.get("/api/me", headers=bearer)
        assert me.status_code == 200 and me.json() == {"username": "alice", "rooms": []}
        problem(anonymous.get("/api/me"), 401)
        problem(anonymous.get("/api/me", headers={"Authorization": "Bearer not-a-token"}), 401)
        problem(anonymous.get("/api/me", headers={"Authorization": "Basic YWxpY2U6eA=="}), 401)

        # a browser session: an HttpOnly, SameSite cookie and a CSRF token
        session = anonymous.post("/api/session", json={"username": "alice", "password": "correct horse"})
        assert session.status_code == 200
        csrf = session.json()["csrf"]
        [cookie] = session.headers.get_list("set-cookie")
        name, _, rest = cookie.partition("=")
        secret = rest.split(";")[0]
        attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        assert name == "servanda_session" and secret
        assert "httponly" in attributes
        assert attributes["samesite"].lower() in ("samesite=lax", "samesite=strict")
        anonymous.cookies.clear()
        browser = {"Cookie": f"servanda_session={secret}"}
        assert anonymous.get("/api/me", headers=browser).json()["username"] == "alice"

        body = {"scenario": {"text": JOB.read_text()}, "rounds": 5}
        problem(anonymous.post("/api/rooms", json=body, headers=browser), 403)
        problem(anonymous.post("/api/rooms", json=body, headers=browser | {"X-CSRF-Token": "forged"}), 403)
        assert anonymous.get("/api/rooms", headers=browser).json() == []  # nothing was created
        made = anonymous.post("/api/rooms", json=body, headers=browser | {"X-CSRF-Token": csrf})
        assert made.status_code == 201
        assert [room["id"] for room in anonymous.get("/api/rooms", headers=browser).json()] == [made.json()["id"]]
        # the bearer token needs no CSRF header, the session's CSRF token is no bearer token
        assert anonymous.post("/api/rooms", json=body, headers=bearer).status_code == 201
        problem(anonymous.get("/api/me", headers={"Authorization": f"Bearer {csrf}"}), 401)

        # signing out needs the CSRF token too, and ends the session (not the API token)
        problem(anonymous.delete("/api/session", headers=browser), 403)
        assert anonymous.get("/api/me", headers=browser).status_code == 200
        out = anonymous.delete("/api/session", headers=browser | {"X-CSRF-Token": csrf})
        assert out.status_code == 204
        problem(anonymous.get("/api/me", headers=browser), 401)
        problem(anonymous.post("/api/rooms", json=body, headers=browser | {"X-CSRF-Token": csrf}), 401)
        assert anonymous.get("/api/me", headers=bearer).status_code == 200
        assert len(anonymous.get("/api/rooms", headers=bearer).json()) == 2


def test_login_attempts_are_rate_limited(tmp_path):
    settings = Settings(database=str(tmp_path / "limits.db"), login_limit="3/minute")
    with running_server(settings) as url, httpx.Client(base_url=url, timeout=10) as http:
        assert http.post("/api/accounts", json={"username": "eve", "password": "password-of-eve"}).status_code == 201
        for _ in range(3):
            problem(http.post("/api/tokens", json={"username": "eve", "password": "guess-guess"}), 401)
        limited = http.post("/api/tokens", json={"username": "eve", "password": "password-of-eve"})
        assert "try again" in problem(limited, 429)["detail"]
        assert int(limited.headers["Retry-After"]) >= 1
        retry = http.post("/api/session", json={"username": "eve", "password": "password-of-eve"})
        problem(retry, 429)
        assert int(retry.headers["Retry-After"]) >= 1
        # the limit is per address and username: another username is not locked out
        problem(http.post("/api/tokens", json={"username": "mallory", "password": "guess-guess"}), 401)


# -- errors, rooms, access -------------------------------------------------------------------------


def test_rooms_from_uploaded_and_stored_scenarios_invitations_and_access(server):
    convener, employer, outsider, observer = (server.person(name) for name in
                                              ("convener", "employer", "outsider", "watcher"))
    # a stored scenario is its owner's
    stored = convener.http.post("/api/scenarios", json={"text": JOB.read_text()})
    assert stored.status_code == 201
    scenario_id = stored.json()["id"]
    assert stored.json()["name"] == "Job offer (New Recruit style)"
    assert [s["id"] for s in convener.http.get("/api/scenarios").json()] == [scenario_id]
    assert outsider.http.get("/api/scenarios").json() == []
    refused(outsider, "POST", "/api/rooms", 404, json={"scenario_id": scenario_id, "rounds": 5})
    made = convener.http.post("/api/rooms", json={"scenario_id": scenario_id, "rounds": 5, "title": "Stored"})
    assert made.status_code == 201
    stored_room = made.json()["id"]
    assert convener.room(stored_room)["title"] == "Stored"

    # bad requests name the field at fault
    refused(convener, "POST", "/api/rooms", 422, "scenario",
            json={"scenario": {"text": JOB.read_text()}, "scenario_id": scenario_id, "rounds": 5})
    refused(convener, "POST", "/api/rooms", 422, "rounds", json={"scenario": {"text": JOB.read_text()}})
    refused(convener, "POST", "/api/rooms", 422, "protocol",
            json={"scenario": {"text": JOB.read_text()}, "rounds": 5, "protocol": "auction"})
    refused(convener, "POST", "/api/rooms", 422, "bots.Nobody",
            json={"scenario": {"text": JOB.read_text()}, "rounds": 5, "bots": {"Nobody": "boulware"}})
    refused(convener, "POST", "/api/rooms", 422, "bots.Employer",
            json={"scenario": {"text": JOB.read_text()}, "rounds": 5, "bots": {"Employer": "no-such-strategy"}})
    assert len(convener.http.get("/api/rooms").json()) == 1

    room = convener.create_room(JOB, rounds=10)  # uploaded
    public = convener.scenario(room)
    assert convener.scenario(stored_room) == public  # the same scenario, either way
    assert [party["name"] for party in public["parties"]] == ["Employer", "Candidate"]
    assert all(set(party) <= {"name", "description", "representatives"} for party in public["parties"])

    refused(convener, "POST", f"/api/rooms/{room}/invitations", 422, "representative",
            json={"role": "party", "party": "Employer", "representative": "Somebody"})
    refused(convener, "POST", f"/api/rooms/{room}/invitations", 422, "party",
            json={"role": "party", "party": "Nobody", "representative": "Somebody"})
    token = convener.invite(room, "party", "Employer", "Hiring manager")
    assert employer.join(token) == room
    refused(outsider, "POST", f"/api/invitations/{token}", 404)  # one-time
    refused(employer, "POST", f"/api/invitations/{token}", 404)
    refused(outsider, "POST", "/api/invitations/never-issued", 404)
    observer.join(convener.invite(room, "observer"))
    assert employer.room(room)["me"] == {"username": "employer", "role": "party", "party": "Employer",
                                         "representative": "Hiring manager", "convener": False}
    refused(employer, "POST", f"/api/rooms/{room}/invitations", 403, json={"role": "observer"})

    # errors are problem+json and name the field at fault; none changes anything
    before = last(employer, room)
    refused(employer, "POST", f"/api/rooms/{room}/offers", 422, "outcome.bonus",
            json={"outcome": package(bonus=1)})
    refused(employer, "POST", f"/api/rooms/{room}/offers", 422, "outcome.job_title",
            json={"outcome": {k: v for k, v in BASE.items() if k != "job_title"}})
    refused(employer, "POST", f"/api/rooms/{room}/offers", 422, "outcome",
            json={"outcome": package(remote_work="on_the_moon")})
    refused(employer, "POST", f"/api/rooms/{room}/offers", 422, "outcome", json={})
    refused(employer, "POST", f"/api/rooms/{room}/offers", 422, "extra", json={"outcome": BASE, "extra": 1})
    refused(employer, "POST", f"/api/rooms/{room}/offers", 422, content=b"{not json",
            headers={"content-type": "application/json"})
    refused(employer, "POST", f"/api/rooms/{room}/comments", 422, "kind", json={"text": "x", "kind": "shout"})
    refused(employer, "POST", f"/api/rooms/{room}/comments", 422, "text", json={"text": ""})
    refused(employer, "GET", f"/api/rooms/{room}/events", 422, "after", params={"after": "soon"})
    assert last(employer, room) == before

    # a person not in the room sees nothing of it: 404 everywhere, as for a room that does not exist
    endpoints = [
        ("GET", "", None), ("GET", "/scenario", None), ("GET", "/preferences/Employer", None),
        ("PUT", "/preferences", {"preferences": {"reservation": 0.1}}), ("PUT", "/grant", {"mediator_may_read": True}),
        ("POST", "/invitations", {"role": "observer"}), ("POST", "/offers", {"outcome": BASE}),
        ("POST", "/accept", None), ("POST", "/reject", None), ("POST", "/walk-away", None),
        ("POST", "/comments", {"text": "hello"}), ("POST", "/score", {"outcome": BASE}),
        ("POST", "/improvements", {"offer": 1}), ("GET", "/events", None), ("GET", "/stream", None),
        ("POST", "/acts/prepare", {"act": "signature", "fields": {}}),
        ("POST", "/acts", {"statement": {"type": "signature"}, "signer": "0" * 64, "signature": "0" * 128}),
        ("GET", "/bundle", None), ("GET", "/log/head", None), ("GET", "/log/consistency?old_size=1", None),
    ]
    with httpx.Client(base_url=server.url, timeout=10) as anonymous:
        for method, path, body in endpoints:
            options = {} if body is None else {"json": body}
            refused(outsider, method, f"/api/rooms/{room}{path}", 404, **options)
            refused(outsider, method, f"/api/rooms/no-such-room{path}", 404, **options)
            problem(anonymous.request(method, f"/api/rooms/{room}{path}", **options), 401)
    assert [r["id"] for r in outsider.http.get("/api/rooms").json()] == []
    assert last(employer, room) == before

    # an observer reads the public record, scored for no one, and takes no part
    events = observer.events(room)
    assert [event["id"] for event in events] == list(range(len(events)))
    assert all("scores" not in event for event in events)
    assert observer.room(room)["me"]["role"] == "observer"
    assert observer.score(room, BASE)["scores"] == {}
    for method, path, body in [("POST", "/offers", {"outcome": BASE}), ("POST", "/accept", None),
                               ("POST", "/reject", None), ("POST", "/walk-away", None),
                               ("POST", "/comments", {"text": "may I?"}), ("POST", "/improvements", None),
                               ("GET", "/preferences/Employer", None), ("PUT", "/grant", {"mediator_may_read": True}),
                               ("POST", "/invitations", {"role": "observer"})]:
        refused(observer, method, f"/api/rooms/{room}{path}", 403, **({} if body is None else {"json": body}))
    # the convener, who did not take a seat, is an observer too
    refused(convener, "POST", f"/api/rooms/{room}/offers", 403, json={"outcome": BASE})
    assert last(employer, room) == before
    assert {r["id"]: r["role"] for r in observer.me()["rooms"]} == {room: "observer"}


# -- alternating offers ------------------------------------------------------------------------


def test_alternating_offers_rules_and_the_record(server):
    convener, employer, candidate, room = job_room(server)
    clock = convener.create_room(JOB, seconds=1)  # a wall-clock deadline, checked at the end
    employer.join(convener.invite(clock, "party", "Employer", "Hiring manager"))

    assert employer.room(room)["to_act"] == "Employer"
    refused(candidate, "POST", f"/api/rooms/{room}/offers", 409, json={"outcome": BASE})  # not its turn
    # an offer binds its proposer: none that breaks the proposer's own red line
    refused(employer, "POST", f"/api/rooms/{room}/offers", 409, "outcome", json={"outcome": package(salary=122500)})
    before = last(employer, room)
    low = package(salary=90000)  # breaks the Candidate's red line, not the Employer's
    [first] = employer.propose(room, low)
    assert first == before + 1
    refused(employer, "POST", f"/api/rooms/{room}/offers", 409, json={"outcome": BASE})  # its turn is over
    refused(employer, "POST", f"/api/rooms/{room}/accept", 409)
    # red lines bind: the Candidate cannot accept a package under its red line
    refused(candidate, "POST", f"/api/rooms/{room}/accept", 409)
    assert last(candidate, room) == first

    # a counter-offer: the rejection of the offer on the table, then the new offer
    counter = package(salary=115000, remote_work="remote_3_days")
    reject_id, offer_id = candidate.propose(room, counter)
    assert (reject_id, offer_id) == (first + 1, first + 2)
    rejection, offer = candidate.events(room, after=first)
    assert rejection["type"] == "reject" and rejection["countered"] is True and rejection["offer"] == first
    assert rejection["party"] == "Candidate" and rejection["category"] == "binding"
    assert offer["type"] == "offer" and offer["party"] == "Candidate" and offer["number"] == 2
    assert offer["outcome"] == counter and offer["by"] == "candidate" and offer["representative"] == "Candidate"
    assert set(offer["scores"]) == {"Candidate"}

    # a bare rejection takes the offer off the table and leaves the turn with the rejecter
    [bare] = employer.reject(room)
    view = employer.room(room)
    assert view["to_act"] == "Employer" and view["on_table"] is None and view["phase"] == "open"
    assert has(event_at(employer, room, bare), type="reject", countered=False, offer=offer_id, party="Employer",
               category="binding")
    refused(employer, "POST", f"/api/rooms/{room}/accept", 409)  # nothing on the table
    refused(candidate, "POST", f"/api/rooms/{room}/offers", 409, json={"outcome": BASE})
    [third] = employer.propose(room, BASE)  # no offer on the table: no rejection recorded
    assert has(event_at(employer, room, third), type="offer", number=3, round=1)
    assert employer.room(room)["on_table"]["outcome"] == BASE

    # discussion is kept apart from binding acts
    comment = candidate.comment(room, "Could we talk about the title?")
    question = employer.comment(room, "What title would you like?", kind="question")
    suggestion = candidate.comment(room, "This one", kind="suggestion", outcome=package(job_title="senior_engineer"))
    refused(candidate, "POST", f"/api/rooms/{room}/comments", 422, "outcome",
            json={"text": "not a suggestion", "kind": "comment", "outcome": BASE})
    refused(candidate, "POST", f"/api/rooms/{room}/comments", 422, "outcome.perks",
            json={"text": "a suggestion", "kind": "suggestion", "outcome": package(perks="gym")})
    by_id = {event["id"]: event for event in candidate.events(room)}
    assert [by_id[i]["kind"] for i in (comment, question, suggestion)] == ["comment", "question", "suggestion"]
    assert all(by_id[i]["category"] == "discussion" and by_id[i]["type"] == "comment"
               for i in (comment, question, suggestion))
    assert by_id[suggestion]["outcome"] == package(job_title="senior_engineer")
    assert set(by_id[suggestion]["scores"]) == {"Candidate"}
    assert by_id[question]["party"] == "Employer" and by_id[comment]["party"] == "Candidate"
    categories = {event["type"]: event["category"] for event in by_id.values()}
    assert categories["offer"] == categories["reject"] == "binding"
    assert categories["joined"] == categories["invited"] == categories["created"] == "procedure"
    assert categories["preferences"] == "procedure"
    assert employer.room(room)["to_act"] == "Candidate"  # discussion takes no turn

    accept_id, agreement_id = candidate.accept(room)
    accepted, agreement = candidate.events(room, after=accept_id - 1)
    assert accepted["type"] == "accept" and accepted["offer"] == third and accepted["category"] == "binding"
    assert agreement["type"] == "agreement" and agreement["outcome"] == BASE and agreement["category"] == "binding"
    assert agreement_id == accept_id + 1
    view = employer.room(room)
    assert view["phase"] == "agreement" and view["agreement"]["outcome"] == BASE and view["to_act"] is None
    assert set(view["agreement"]["scores"]) == {"Employer"}
    refused(candidate, "POST", f"/api/rooms/{room}/walk-away", 409)
    ids = [event["id"] for event in employer.events(room)]
    assert ids == list(range(len(ids)))

    # walking away ends the room (on one's turn only)
    walk = convener.create_room(JOB, rounds=10)
    employer.join(convener.invite(walk, "party", "Employer", "Hiring manager"))
    candidate.join(convener.invite(walk, "party", "Candidate", "Candidate"))
    refused(candidate, "POST", f"/api/rooms/{walk}/walk-away", 409)
    [end] = employer.walk_away(walk)
    assert has(event_at(employer, walk, end), type="end", ending="walked-away", party="Employer")
    assert employer.room(walk)["phase"] == "walked-away"
    refused(candidate, "POST", f"/api/rooms/{walk}/offers", 409, json={"outcome": BASE})

    # a deadline in rounds: the turn that uses up the last round ends the room
    short = convener.create_room(JOB, rounds=1)
    employer.join(convener.invite(short, "party", "Employer", "Hiring manager"))
    candidate.join(convener.invite(short, "party", "Candidate", "Candidate"))
    employer.propose(short, BASE)
    reject_id, offer_id, end_id = candidate.propose(short, package(salary=110000))
    assert has(event_at(candidate, short, end_id), type="end", ending="deadline", category="binding")
    assert has(event_at(candidate, short, reject_id), type="reject", countered=True)
    assert candidate.room(short)["phase"] == "deadline"
    refused(employer, "POST", f"/api/rooms/{short}/accept", 409)

    # a wall-clock deadline: the first move after it is refused, and the ending recorded
    ends_at = parse_timestamp(employer.room(clock)["ends_at"])
    time.sleep(max(0.0, (ends_at - datetime.now(timezone.utc)).total_seconds() + 0.2))
    before = last(employer, clock)
    refused(employer, "POST", f"/api/rooms/{clock}/offers", 409, json={"outcome": BASE})
    [end] = employer.events(clock, after=before)
    assert end["type"] == "end" and end["ending"] == "deadline"
    assert employer.room(clock)["phase"] == "deadline"
    refused(employer, "POST", f"/api/rooms/{clock}/offers", 409, json={"outcome": BASE})
    assert last(employer, clock) == end["id"]  # the ending is recorded once


def test_stacked_alternating_offers_single_text_and_post_settlement(server, tmp_path):
    convener, people, room = three_room(server, tmp_path, rounds=20)
    a, b, c = people["A"], people["B"], people["C"]
    scenario = loads_uncertain_yaml(THREE).scenario

    # stacked alternating offers: an offer passes only when every other party accepted it, in turn
    [first] = a.propose(room, {"x": "b", "z": "bad"})
    refused(c, "POST", f"/api/rooms/{room}/accept", 409)  # B's turn
    assert b.accept(room) == [first + 1]
    view = c.room(room)
    assert view["phase"] == "open" and view["to_act"] == "C" and view["on_table"]["accepted_by"] == ["B"]
    rejected, countered = c.propose(room, {"x": "c", "z": "bad"})
    assert has(event_at(c, room, rejected), type="reject", countered=True, offer=first, party="C")
    assert has(event_at(c, room, countered), type="offer", party="C", number=2)
    assert a.accept(room) == [countered + 1]
    assert a.room(room)["phase"] == "open"
    accept_id, agreement_id = b.accept(room)
    assert has(event_at(b, room, agreement_id), type="agreement", outcome={"x": "c", "z": "bad"}, offer=countered)

    # suggestions: Pareto improvements on the agreement, each with the caller's own gain only
    for party, person in people.items():
        suggestions = person.improvements(room)
        assert suggestions
        for suggestion in suggestions:
            assert set(suggestion["gains"]) == {party}
            assert suggestion["gains"][party] >= 0
            assert_pareto_improvement(scenario, {"x": "c", "z": "bad"}, suggestion["outcome"])

    # post-settlement: a proposal replaces the agreement only if every other party accepts; the
    # server does not judge it (that would tell the proposer about the others' preferences)
    [worse] = a.propose(room, {"x": "a", "z": "bad"})
    assert b.reject(room) == [worse + 1]
    assert c.room(room)["improvement"] is None
    better = {"x": "c", "z": "good"}
    [proposed] = a.propose(room, better)
    assert has(event_at(a, room, proposed), type="improvement", category="binding", party="A", outcome=better)
    refused(a, "POST", f"/api/rooms/{room}/accept", 409)  # not its own
    refused(b, "POST", f"/api/rooms/{room}/offers", 409, json={"outcome": {"x": "b", "z": "good"}})  # one at a time
    assert b.accept(room) == [proposed + 1]
    view = c.room(room)
    assert view["agreement"]["outcome"] == {"x": "c", "z": "bad"}
    assert view["improvement"]["outcome"] == better and view["improvement"]["accepted_by"] == ["B"]
    [dropped] = c.reject(room)
    view = c.room(room)
    assert view["improvement"] is None and view["agreement"]["outcome"] == {"x": "c", "z": "bad"}
    assert has(event_at(c, room, dropped), type="reject", party="C", offer=proposed)
    [again] = b.propose(room, better)
    a.accept(room)
    accept_id, adopted = c.accept(room)
    assert has(event_at(c, room, adopted), type="agreement", outcome=better, offer=again)
    assert a.room(room)["agreement"]["outcome"] == better
    assert a.improvements(room) == []  # nothing beats it for everyone

    # single negotiating text: only the mediator puts texts; the parties answer in any order
    text_room = convener.create_room(tmp_path / "three.yaml", protocol="single-text", rounds=5)
    for party, representative in (("A", "Ann"), ("B", "Bob"), ("C", "Cid")):
        people[party].join(convener.invite(text_room, "party", party, representative))
    mediator = server.person("mediator")
    mediator.join(convener.invite(text_room, "mediator"))
    refused(convener, "POST", f"/api/rooms/{text_room}/invitations", 422, "party",
            json={"role": "mediator", "party": "A"})
    refused(a, "POST", f"/api/rooms/{text_room}/offers", 409, json={"outcome": {"x": "a", "z": "good"}})
    refused(a, "POST", f"/api/rooms/{text_room}/accept", 409)  # no text yet
    [text1] = mediator.propose(text_room, {"x": "b", "z": "good"})
    put = event_at(mediator, text_room, text1)
    assert has(put, type="offer", party="mediator", by="mediator", category="binding")
    assert "scores" not in put  # no party granted the mediator its preferences
    refused(mediator, "POST", f"/api/rooms/{text_room}/accept", 403)
    c.reject(text_room)
    b.accept(text_room)
    assert a.accept(text_room) == [last(a, text_room)]  # no agreement: C rejected this text
    refused(b, "POST", f"/api/rooms/{text_room}/accept", 409)  # answered already
    assert a.room(text_room)["phase"] == "open"
    mediator.comment(text_room, "A text that gives C its x?")
    [text2] = mediator.propose(text_room, {"x": "c", "z": "good"})
    c.accept(text_room)
    a.accept(text_room)
    accept_id, agreement_id = b.accept(text_room)
    assert has(event_at(b, text_room, agreement_id), type="agreement", outcome={"x": "c", "z": "good"}, offer=text2)
    assert b.room(text_room)["phase"] == "agreement"

    # a round is one text, answered within its round: one round allows one text, and its
    # rejection ends the room
    for ending in ("agreement", "deadline"):
        one = convener.create_room(tmp_path / "three.yaml", protocol="single-text", rounds=1)
        for party, representative in (("A", "Ann"), ("B", "Bob"), ("C", "Cid")):
            people[party].join(convener.invite(one, "party", party, representative))
        mediator.join(convener.invite(one, "mediator"))
        mediator.propose(one, {"x": "c", "z": "good"})
        refused(mediator, "POST", f"/api/rooms/{one}/offers", 409, json={"outcome": {"x": "a", "z": "good"}})
        a.accept(one)
        if ending == "agreement":
            b.accept(one)
            c.accept(one)
        else:
            rejected, end = c.reject(one)
            assert has(event_at(c, one, end), type="end", ending="deadline")
            refused(b, "POST", f"/api/rooms/{one}/accept", 409)
        assert a.room(one)["phase"] == ending


def test_bots_take_seats_and_answer_at_once(server):
    convener, employer, candidate = server.person("convener"), server.person("employer"), server.person("candidate")
    room = convener.create_room(JOB, rounds=10, bots={"Candidate": "boulware"})
    employer.join(convener.invite(room, "party", "Employer", "Hiring manager"))
    candidate.join(convener.invite(room, "party", "Candidate", "Candidate"))
    assert employer.room(room)["seats"] == {"Employer": None, "Candidate": "boulware"}
    [offer] = employer.propose(room, BASE)
    answer = employer.events(room, after=offer)
    assert answer, "the bot did not answer"
    assert all(event["by"] == "bot:boulware" and event["party"] == "Candidate" for event in answer)
    assert types(answer) in (["reject", "offer"], ["accept", "agreement"])
    if types(answer) == ["reject", "offer"]:
        assert answer[0]["countered"] is True and answer[0]["offer"] == offer
        assert employer.room(room)["to_act"] == "Employer"
    # the people of a bot's party discuss, but do not move
    for path in ("/offers", "/accept", "/reject", "/walk-away"):
        refused(candidate, "POST", f"/api/rooms/{room}{path}", 403,
                **({"json": {"outcome": BASE}} if path == "/offers" else {}))
    candidate.comment(room, "Our bot speaks for us")

    # a bot in the first seat opens as soon as the room exists
    opening = convener.create_room(JOB, rounds=10, bots={"Employer": "boulware"})
    events = convener.events(opening)
    assert events[-1]["type"] == "offer" and events[-1]["by"] == "bot:boulware" and events[-1]["party"] == "Employer"
    assert convener.room(opening)["to_act"] == "Candidate"

    # two bots negotiate to the end at once
    both = convener.create_room(JOB, rounds=6, bots={"Employer": "conceder", "Candidate": "conceder"})
    view = convener.room(both)
    assert view["phase"] in ("agreement", "deadline")
    ended = [event for event in convener.events(both) if event["type"] in ("agreement", "end")]
    assert len(ended) == 1


# -- confidentiality ---------------------------------------------------------------------------


def test_preferences_are_confidential_committed_and_granted(server):
    convener, employer, candidate, room = job_room(server)
    mediator = server.person("mediator")
    mediator.join(convener.invite(room, "mediator"))

    own = employer.preferences(room, "Employer")
    assert own["party"] == "Employer" and own["mediator_may_read"] is False
    assert own["preferences"]["reservation"] == 0.4 and "weights" in own["preferences"]
    expected = hashlib.sha256(canonical_json({"party": "Employer", "preferences": own["preferences"],
                                              "salt": own["salt"]})).hexdigest()
    assert own["commitment"] == expected
    commitments = {event["party"]: event["commitment"] for event in employer.events(room)
                   if event["type"] == "preferences"}
    assert commitments["Employer"] == expected
    refused(employer, "GET", f"/api/rooms/{room}/preferences/Candidate", 403)
    refused(candidate, "GET", f"/api/rooms/{room}/preferences/Employer", 403)
    refused(employer, "GET", f"/api/rooms/{room}/preferences/Nobody", 404)
    refused(mediator, "GET", f"/api/rooms/{room}/preferences/Employer", 403)
    refused(mediator, "PUT", f"/api/rooms/{room}/preferences", 403, json={"preferences": own["preferences"]})

    # replacing them: validated, naming the field; then a new commitment, never the values
    before = last(employer, room)
    negative = {**own["preferences"], "weights": {**own["preferences"]["weights"], "salary": -1}}
    body = refused(employer, "PUT", f"/api/rooms/{room}/preferences", 422, json={"preferences": negative})
    assert body["field"].startswith("preferences.weights")
    missing = {**own["preferences"], "weights": {"salary": 1.0}}
    body = refused(employer, "PUT", f"/api/rooms/{room}/preferences", 422, json={"preferences": missing})
    assert body["field"].startswith("preferences.weights")
    refused(employer, "PUT", f"/api/rooms/{room}/preferences", 422, "preferences.name",
            json={"preferences": {**own["preferences"], "name": "Candidate"}})
    assert last(employer, room) == before
    assert employer.preferences(room, "Employer") == own

    secret_reservation = 0.41357
    secret_value = 0.87654
    replaced = {**own["preferences"], "reservation": secret_reservation,
                "values": {**own["preferences"]["values"],
                           "job_title": {"engineer": secret_value, "senior_engineer": 1, "lead_engineer": 0}}}
    event_id = employer.set_preferences(room, replaced)
    now = employer.preferences(room, "Employer")
    assert now["preferences"]["reservation"] == secret_reservation and now["salt"] != own["salt"]
    event = event_at(employer, room, event_id)
    assert event["type"] == "preferences" and event["party"] == "Employer" and event["category"] == "procedure"
    assert event["commitment"] == hashlib.sha256(canonical_json(
        {"party": "Employer", "preferences": now["preferences"], "salt": now["salt"]})).hexdigest()
    assert now["commitment"] == event["commitment"]
    assert employer.score(room, BASE)["scores"]["Employer"]["reservation"] == secret_reservation

    # the mediator reads a party's preferences, and sees its scores, only once the party grants it
    employer.propose(room, BASE)
    grant = employer.grant_mediator(room, True)
    assert has(event_at(employer, room, grant), type="grant", party="Employer", mediator_may_read=True)
    assert mediator.preferences(room, "Employer")["preferences"] == now["preferences"]
    refused(mediator, "GET", f"/api/rooms/{room}/preferences/Candidate", 403)
    refused(candidate, "GET", f"/api/rooms/{room}/preferences/Employer", 403)
    assert set(mediator.room(room)["on_table"]["scores"]) == {"Employer"}
    assert set(candidate.room(room)["on_table"]["scores"]) == {"Candidate"}
    suggestions = mediator.improvements(room)
    assert suggestions and all(set(suggestion["gains"]) == {"Employer"} for suggestion in suggestions)
    employer.grant_mediator(room, False)
    refused(mediator, "GET", f"/api/rooms/{room}/preferences/Employer", 403)
    assert mediator.room(room)["on_table"]["scores"] == {}

    # the ledger itself (read straight from the database) holds commitments, never the values
    candidate_secret = candidate.preferences(room, "Candidate")["preferences"]["reservation"]
    engine = open_database(server.database)
    try:
        entries = Ledger.open(engine, f"room:{room}").entries(0)
    finally:
        engine.dispose()
    assert len(entries) == last(employer, room) + 1
    for entry in entries:
        numbers, keys = numbers_and_keys(json.loads(entry.data))
        assert not numbers & {secret_reservation, secret_value, 0.4, candidate_secret}, entry.data
        assert not keys & {"weights", "values", "reservation", "red_lines", "preferences"}, entry.data
    # nor does what anyone but the Employer reads (the mediator's grant has been withdrawn)
    for person in (candidate, mediator, convener):
        text = json.dumps([person.events(room), person.room(room), person.improvements(room)
                           if person is not convener else []])
        assert str(secret_reservation) not in text and str(secret_value) not in text
        assert "red_lines" not in text and "weights" not in text
    assert str(secret_reservation) in json.dumps(employer.events(room))  # its own scores


def test_suggested_improvements_are_pareto_improvements_with_own_gains_only(server):
    convener, employer, candidate, room = job_room(server)
    scenario = load_scenario(JOB)
    refused(employer, "POST", f"/api/rooms/{room}/improvements", 409)  # nothing on the table yet
    [offer] = employer.propose(room, BASE)
    for person, party in ((employer, "Employer"), (candidate, "Candidate")):
        suggestions = person.improvements(room, top=5)  # default: the offer on the table
        assert 1 <= len(suggestions) <= 5
        for suggestion in suggestions:
            assert set(suggestion["gains"]) == {party}
            assert_pareto_improvement(scenario, BASE, suggestion["outcome"])
    # the same packages for both sides, each with its own gain
    assert [s["outcome"] for s in employer.improvements(room, offer)] == \
           [s["outcome"] for s in candidate.improvements(room, offer)]
    # only packages put on the table: a question about any package would say whether it is
    # efficient for the room, which depends on everyone's preferences
    refused(employer, "POST", f"/api/rooms/{room}/improvements", 422, "offer", json={"offer": 0})
    refused(employer, "POST", f"/api/rooms/{room}/improvements", 422, "outcome", json={"outcome": BASE})
    candidate.accept(room)

    # post-settlement in a bilateral room: a suggested improvement, adopted when the other accepts
    better = employer.improvements(room)[0]["outcome"]
    [proposed] = employer.propose(room, better)
    assert candidate.room(room)["improvement"]["outcome"] == better
    assert set(candidate.room(room)["improvement"]["scores"]) == {"Candidate"}
    accept_id, agreement_id = candidate.accept(room)
    assert candidate.room(room)["agreement"]["outcome"] == better
    assert has(event_at(employer, room, agreement_id), type="agreement", outcome=better, offer=proposed)
    assert_pareto_improvement(scenario, BASE, better)


# -- events ------------------------------------------------------------------------------------


def _read_stream(server, client: Client, room: str, until: int, **headers: str) -> list[dict[str, Any]]:
    """The events of a fresh SSE connection (with ``headers``), read up to event ``until``."""
    received = []
    with httpx.Client(base_url=server.url, timeout=httpx.Timeout(10.0)) as http:
        with connect_sse(http, "GET", f"/api/rooms/{room}/stream",
                         headers={"Authorization": f"Bearer {client.token}", **headers}) as source:
            assert source.response.status_code == 200
            assert source.response.headers["content-type"].startswith("text/event-stream")
            for message in source.iter_sse():
                if not message.data:
                    continue
                event = json.loads(message.data)
                assert message.id == str(event["id"]) and message.event == event["type"]
                received.append(event)
                if event["id"] >= until:
                    break
    return received


def test_server_sent_events_resume_with_last_event_id(server):
    convener, employer, candidate, room = job_room(server)
    employer.propose(room, BASE)
    candidate.comment(room, "thinking")
    candidate.propose(room, package(salary=110000))
    recorded = candidate.events(room)
    top = recorded[-1]["id"]

    stream = candidate.watch(room, timeout=10)
    try:
        seen = [next(stream) for _ in recorded]
        assert seen == recorded
        # a new event reaches the open stream
        comment = employer.comment(room, "a new event")
        fresh = next(stream)
        assert fresh["id"] == comment == top + 1 and fresh["text"] == "a new event"
        assert fresh == candidate.events(room, after=top)[0]
    finally:
        stream.close()

    # reconnecting with Last-Event-ID: exactly the events after it, in order, no gaps, no repeats
    everything = candidate.events(room)
    for after in (0, 5, top - 1):
        resumed = _read_stream(server, candidate, room, comment, **{"Last-Event-ID": str(after)})
        assert [event["id"] for event in resumed] == list(range(after + 1, comment + 1))
        assert resumed == everything[after + 1:]
    assert _read_stream(server, candidate, room, comment) == everything
    # each viewer's stream is scored from its own side
    assert {party for e in _read_stream(server, employer, room, comment) for party in e.get("scores", {})} == \
           {"Employer"}
    refused(candidate, "GET", f"/api/rooms/{room}/stream", 422, "Last-Event-ID", headers={"Last-Event-ID": "soon"})
    # a watch that starts after an event resumes from there
    stream = employer.watch(room, after=top, timeout=10)
    try:
        assert next(stream)["id"] == comment
    finally:
        stream.close()


# -- treaty acts, the bundle and the log ---------------------------------------------------------


def test_signed_agreement_statuses_bundle_and_log(server, tmp_path, capsys):
    convener, employer, candidate, room = job_room(server)
    employer.propose(room, BASE)
    candidate.accept(room)
    head0 = employer.tree_head(room)
    assert head0["size"] == len(employer.events(room))
    assert SignedTreeHead.from_dict(head0).verify()

    employer_root, employer_rep = generate_key(), generate_key()
    candidate_root, candidate_rep = generate_key(), generate_key()
    registered = employer.sign(room, employer_root, "party")
    assert has(event_at(employer, room, registered), type="party", signed=True, party="Employer",
               category="binding", signer=public_hex(employer_root))
    candidate.sign(room, candidate_root, "party")
    count = last(employer, room)
    # a party's root key cannot be replaced; someone else's party is not yours to act for
    again = employer.prepare(room, "party", key=public_hex(employer_rep))["statement"]
    refused(employer, "POST", f"/api/rooms/{room}/acts", 422,
            json={"statement": again, "signer": public_hex(employer_rep), "signature": sign(employer_rep, again)})
    statement = employer.prepare(room, "mandate", holder="Hiring manager", key=public_hex(employer_rep),
                                 powers=["negotiate", "adopt", "sign", "ratify"],
                                 not_before=utc_timestamp(datetime.now(timezone.utc) - timedelta(hours=1)),
                                 not_after=utc_timestamp(datetime.now(timezone.utc) + timedelta(days=30)))["statement"]
    refused(candidate, "POST", f"/api/rooms/{room}/acts", 403, json={
        "statement": statement, "signer": public_hex(employer_root), "signature": sign(employer_root, statement)})
    # an office registered by a key that is not the party's root key is refused
    office = candidate.prepare(room, "office", holder="Candidate", role="foreign_minister",
                               key=public_hex(candidate_rep))["statement"]
    refused(candidate, "POST", f"/api/rooms/{room}/acts", 422, json={
        "statement": office, "signer": public_hex(candidate_rep), "signature": sign(candidate_rep, office)})
    refused(candidate, "POST", f"/api/rooms/{room}/acts/prepare", 422, "fields.key",
            json={"act": "office", "fields": {"holder": "Candidate", "role": "foreign_minister", "key": "xyz"}})
    assert last(employer, room) == count

    employer.submit(room, statement, employer_root)  # the mandate, signed by the root key
    candidate.submit(room, office, candidate_root)  # the office, signed by the root key
    assert employer.room(room)["status"] is None  # no text yet

    # a draft by a key the party stands behind (not a stranger's key), of the agreement reached
    count = last(employer, room)
    draft = employer.prepare(room, "draft", title="Offer letter", requires_ratification=True)["statement"]
    stranger = generate_key()
    refused(employer, "POST", f"/api/rooms/{room}/acts", 422,
            json={"statement": draft, "signer": public_hex(stranger), "signature": sign(stranger, draft)})
    assert last(employer, room) == count
    drafted = employer.submit(room, draft, employer_rep)
    draft_event = event_at(employer, room, drafted)
    assert has(draft_event, type="draft", signer=public_hex(employer_rep), category="binding")
    assert draft_event["statement"]["editor"] == {"party": "Employer", "representative": "Hiring manager"}
    view = employer.room(room)
    assert view["drafted"] is True and view["status"]["status"] == "informal deal"
    assert view["status"]["requires_ratification"] is True
    refused(employer, "POST", f"/api/rooms/{room}/offers", 409,
            json={"outcome": package(job_title="senior_engineer")})  # drafted: no more changes
    assert verify_bundle_file(capsys, tmp_path, employer.bundle(room), "draft") == 3

    # signatures: one party signed is still an informal deal
    employer.sign(room, employer_rep, "signature")
    assert candidate.status(room)["status"] == "informal deal"
    count = last(employer, room)
    signature = candidate.prepare(room, "signature")["statement"]
    good = sign(candidate_rep, signature)
    tampered = ("0" if good[0] != "0" else "1") + good[1:]
    refused(candidate, "POST", f"/api/rooms/{room}/acts", 422,
            json={"statement": signature, "signer": public_hex(candidate_rep), "signature": tampered})
    for_employer = {**signature, "party": "Employer"}  # someone else's party
    refused(candidate, "POST", f"/api/rooms/{room}/acts", 403,
            json={"statement": for_employer, "signer": public_hex(candidate_rep),
                  "signature": sign(candidate_rep, for_employer)})
    refused(employer, "POST", f"/api/rooms/{room}/acts", 403,
            json={"statement": signature, "signer": public_hex(candidate_rep), "signature": good})
    assert last(employer, room) == count
    assert candidate.status(room)["status"] == "informal deal"
    candidate.submit(room, signature, candidate_rep)
    status = employer.status(room)
    assert status["status"] == "signed"
    assert [party["signed"] for party in status["parties"]] == [True, True]
    assert verify_bundle_file(capsys, tmp_path, candidate.bundle(room), "signed") == 4

    # ratification by each party's root key puts it in force
    employer.sign(room, employer_root, "ratification", instrument="board resolution")
    assert employer.status(room)["status"] == "signed"
    candidate.sign(room, candidate_root, "ratification")
    assert employer.status(room)["status"] == "in force"
    assert convener.status(room)["status"] == "in force"
    bundle = convener.bundle(room)
    assert verify_bundle_file(capsys, tmp_path, bundle, "in-force") == 0
    forged = json.loads(json.dumps(bundle).replace("Offer letter", "Offer letter!"))
    assert verify_bundle_file(capsys, tmp_path, forged, "forged") == 5

    # the log: a signed tree head over every event, consistent with the earlier one
    events = employer.events(room)
    head = employer.tree_head(room)
    assert head["size"] == len(events) == events[-1]["id"] + 1
    assert head["log_key"] == head0["log_key"]
    assert SignedTreeHead.from_dict(head).verify()
    proof = employer.consistency(room, head0["size"], head["size"])
    assert (proof["old_size"], proof["new_size"]) == (head0["size"], head["size"])
    nodes = [bytes.fromhex(node) for node in proof["proof"]]
    assert verify_consistency(head0["size"], head["size"], bytes.fromhex(head0["root"]),
                              bytes.fromhex(head["root"]), nodes)
    assert not verify_consistency(head0["size"], head["size"], bytes.fromhex(head["root"]),
                                  bytes.fromhex(head["root"]), nodes)
    refused(employer, "GET", f"/api/rooms/{room}/log/consistency", 422, "old_size", params={"old_size": 0})
    # the convener, an observer, reads the signed record and the status, scored for no one
    view = convener.room(room)
    assert view["agreement"]["scores"] == {} and view["status"]["status"] == "in force"


# -- found by review and fixed: bots and post-settlement improvements, act fields -----------------


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_bots_answer_post_settlement_improvements(server):
    convener, employer = server.person("convener"), server.person("employer")
    room = convener.create_room(JOB, rounds=4, bots={"Candidate": "conceder"})
    employer.join(convener.invite(room, "party", "Employer", "Hiring manager"))
    generous = package(salary=120000, start_in_weeks=8, vacation_days=30, signing_bonus=20000,
                       remote_work="remote_3_days", job_title="senior_engineer")
    for _ in range(3):  # the bot counters its first answer, then accepts
        if employer.room(room)["phase"] != "open":
            break
        employer.propose(room, generous)
    assert employer.room(room)["agreement"]["outcome"] == generous
    better = {**generous, "start_in_weeks": 6}  # the Employer gains, the Candidate loses nothing
    assert_pareto_improvement(load_scenario(JOB), generous, better)
    [proposed] = employer.propose(room, better)
    answers = [event for event in employer.events(room, after=proposed) if event["type"] in ("accept", "reject")]
    assert answers and answers[0]["by"] == "bot:conceder"
    assert employer.room(room)["improvement"] is None


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_a_mandate_with_a_numeric_parent_is_a_4xx(server):
    _, employer, _, room = job_room(server)
    response = employer.http.post(f"/api/rooms/{room}/acts/prepare", json={"act": "mandate", "fields": {
        "holder": "Hiring manager", "key": "a" * 64, "powers": ["sign"], "not_before": "2025-01-01T00:00:00.000Z",
        "not_after": "2030-01-01T00:00:00.000Z", "parent": 7}})
    assert 400 <= response.status_code < 500, response.text
    problem(response, response.status_code)


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_mandate_times_accept_rfc3339(server):
    _, employer, _, room = job_room(server)
    prepared = employer.prepare(room, "mandate", holder="Hiring manager", key="a" * 64, powers=["sign"],
                                not_before="2025-12-02T18:00:00Z", not_after="2030-01-01T00:00:00+00:00")
    assert prepared["statement"]["not_before"] == "2025-12-02T18:00:00.000Z"
    assert prepared["statement"]["not_after"] == "2030-01-01T00:00:00.000Z"


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_a_draft_requires_ratification_is_a_boolean(server):
    _, employer, candidate, room = job_room(server)
    employer.propose(room, BASE)
    candidate.accept(room)
    response = employer.http.post(f"/api/rooms/{room}/acts/prepare",
                                  json={"act": "draft", "fields": {"title": "Offer", "requires_ratification": "false"}})
    if response.status_code == 200:
        assert response.json()["statement"]["requires_ratification"] is False
    else:
        problem(response, 422, "fields.requires_ratification")
