"""Property-based fuzzing of the live server's API with schemathesis, against its own OpenAPI
document (issue 9, §1 and §6): whatever is sent, no 5xx; every success conforms to its
documented response; every refusal is an RFC 9457 problem (``application/problem+json``)
and leaves the stored data exactly as it was.

Setup: the application in-process (ASGI, schemathesis' transport) on a fresh SQLite
database; a signed-in person ("fuzzer") who is a party in rooms that exist, fresh for each
operation: one open with an offer on the table for the fuzzer to answer, one with an
agreement, one with a drafted text, one under single-text mediation where the fuzzer is the
mediator, and one the fuzzer is not in. Half the examples go *wide*: schemathesis' cases,
valid and invalid for the schema, path parameters generated or pinned to any of those rooms
(their party names, a real invitation token), with any credential (the bearer token, the
browser session with and without its CSRF header, a bad token, none). The other half go
*deep*: schema-valid cases in the fuzzer's own rooms, signed in, with near-valid bodies and
queries built from the room's own issues and options, so that requests get past the schema
into the rooms layer and often succeed. ``derandomize=True``: the same examples every run.

Checks on every response:

- no 5xx (schemathesis ``not_a_server_error``), and nothing but 2xx or 4xx;
- a 2xx conforms to the operation's documentation: status code, content type, body schema,
  headers (``status_code_conformance``, ``content_type_conformance``,
  ``response_schema_conformance``, ``response_headers_conformance``), and no schema-invalid
  request is accepted (``negative_data_rejection``);
- a 4xx is a problem+json document (``type``, ``title``, ``status`` equal to the HTTP status,
  ``detail``; optional ``instance``, ``field``, ``errors``), and every table of the database
  (every table of ``servanda.store.metadata`` and ``alembic_version``: all tables there are)
  reads the same before and after it.

A refusal must also match its documentation: every operation documents 401, 403, 404, 409,
422 and 429 as ``application/problem+json`` (REFUSAL_CHECKS). schemathesis'
``positive_data_acceptance`` is not used: a schema-valid request is rightly refused when it
names no room of the person's, or breaks the protocol.

The event stream (``GET /api/rooms/{room_id}/stream``) never ends on success, so it is not
fuzzed like the others: it is fuzzed only where it must refuse (a room the fuzzer is not in,
a malformed ``Last-Event-ID``), and its successful use is covered by
tests/test_server_confidentiality.py and tests/test_server_smoke.py.

Bugs it found, now fixed, each keep a test at the end: control characters in a scenario's
text or a room's title, booleans taken for options, undocumented refusals and sign-in.

Password hashing (argon2id, ~0.3 s a hash) is made cheap for this module: the fuzzing is
about the handling of requests, not the cost of a hash (tests/test_server_smoke.py and the
accounts tests use the real parameters).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import MetaData, select

from servanda.crypto import generate_key, public_hex
from servanda.crypto.signing import sign
from servanda.formats.files import load_uncertain_scenario
from servanda.formats.native import to_document
from servanda.rooms import accounts
from servanda.server import Settings, create_app
from servanda.store import metadata
from servanda.treaty.statements import Envelope

JOB_OFFER = Path(__file__).resolve().parent.parent / "examples" / "job-offer.yaml"

#: Every operation of the API. A new endpoint fails test_every_operation_is_fuzzed until it
#: is listed here (and so fuzzed).
OPERATIONS = {
    "POST /api/accounts", "POST /api/tokens", "POST /api/session", "DELETE /api/session", "GET /api/me",
    "GET /api/scenarios", "POST /api/scenarios", "GET /api/rooms", "POST /api/rooms",
    "GET /api/rooms/{room_id}", "GET /api/rooms/{room_id}/scenario", "POST /api/rooms/{room_id}/invitations",
    "POST /api/invitations/{token}", "GET /api/rooms/{room_id}/preferences/{party}",
    "PUT /api/rooms/{room_id}/preferences", "PUT /api/rooms/{room_id}/grant", "POST /api/rooms/{room_id}/offers",
    "POST /api/rooms/{room_id}/accept", "POST /api/rooms/{room_id}/reject", "POST /api/rooms/{room_id}/walk-away",
    "POST /api/rooms/{room_id}/comments", "POST /api/rooms/{room_id}/score",
    "POST /api/rooms/{room_id}/improvements", "GET /api/rooms/{room_id}/events",
    "POST /api/rooms/{room_id}/acts/prepare", "POST /api/rooms/{room_id}/acts", "GET /api/rooms/{room_id}/bundle",
    "GET /api/rooms/{room_id}/log/head", "GET /api/rooms/{room_id}/log/consistency",
    "GET /api/rooms/{room_id}/stream",
}
STREAM = "GET /api/rooms/{room_id}/stream"
FUZZED = sorted(OPERATIONS - {STREAM})
MAX_EXAMPLES = 40

#: What a 2xx must satisfy (schemathesis' own checks).
SUCCESS_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                  response_schema_conformance, response_headers_conformance, negative_data_rejection]
REFUSAL_CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]

#: Two packages of the job offer that break no red line of either party.
PACKAGE = {"salary": 110000, "start_in_weeks": 4, "vacation_days": 20, "signing_bonus": 0,
           "remote_work": "remote_2_days", "job_title": "senior_engineer"}
COUNTER = {**PACKAGE, "salary": 115000, "vacation_days": 25}

#: Tables a refused request may change, per operation, and why. Sign-up and sign-in count
#: every attempt against the login and registration limits (in ``rate_counters``, shared by
#: the server's processes) before they look at it: a refused attempt must count, or the
#: limits would stop no one. Nothing else may change on a refusal.
COUNTED_ATTEMPTS = {"POST /api/accounts", "POST /api/tokens", "POST /api/session"}

AUTH = ("bearer",) * 6 + ("none", "bad-token", "not-bearer", "session", "session-csrf", "session-bad-csrf")

# -- the application under test ---------------------------------------------------------------


@dataclass
class Api:
    app: Any
    schema: Any
    engine: Any
    tables: MetaData
    fuzzer: int
    other: int
    token: str
    session: str
    csrf: str

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every table."""
        with self.engine.connect() as connection:
            return {name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
                    for name, table in self.tables.tables.items()}

    def credentials(self, kind: str, fresh: bool = False) -> dict[str, str]:
        """The headers of a request signed in as the fuzzer in the way ``kind`` says (with a
        secret of its own if ``fresh``: for signing out)."""
        token, session, csrf = self.token, self.session, self.csrf
        if fresh:
            token, _ = accounts.issue(self.engine, self.fuzzer, "token")
            session, csrf = accounts.issue(self.engine, self.fuzzer, "session")
        return {
            "bearer": {"Authorization": f"Bearer {token}"},
            "none": {},
            "bad-token": {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"},
            "not-bearer": {"Authorization": f"Basic {token}"},
            "session": {"Cookie": f"servanda_session={session}"},
            "session-csrf": {"Cookie": f"servanda_session={session}", "X-CSRF-Token": csrf},
            "session-bad-csrf": {"Cookie": f"servanda_session={session}", "X-CSRF-Token": "x" * 43},
        }[kind]

    def rooms(self) -> dict[str, str]:
        """Fresh rooms for one operation's fuzzing (and an invitation token)."""
        service, scenario = self.app.state.rooms, load_uncertain_scenario(JOB_OFFER)
        fuzzer, other = self.fuzzer, self.other

        def room(convener: int, employer: int | None, **options: Any) -> str:
            room_id = service.create(convener, scenario, **options)
            if employer is not None:
                token = service.invite(convener, room_id, "party", "Employer", "Hiring manager")
                service.join(employer, "fuzzer", token)
            token = service.invite(convener, room_id, "party", "Candidate", "Candidate")
            service.join(other, "other", token)
            return room_id

        opened = room(fuzzer, fuzzer, rounds=50)
        service.propose(fuzzer, opened, PACKAGE)
        service.propose(other, opened, COUNTER)  # the fuzzer's turn, with an offer to answer
        agreed = room(fuzzer, fuzzer, rounds=50)
        service.propose(fuzzer, agreed, PACKAGE)
        service.accept(other, agreed)
        drafted = room(fuzzer, fuzzer, rounds=50)
        service.propose(fuzzer, drafted, PACKAGE)
        service.accept(other, drafted)
        key = generate_key()
        for act, fields in (("party", {"key": public_hex(key)}), ("draft", {"title": "Offer"})):
            statement = service.prepare(fuzzer, drafted, act, fields)["statement"]
            service.submit(fuzzer, drafted, Envelope(statement=statement, signer=public_hex(key),
                                                     signature=sign(key, statement)))
        mediated = room(other, None, protocol_name="single-text", rounds=50)
        service.join(fuzzer, "fuzzer", service.invite(other, mediated, "mediator"))
        foreign = room(other, None, rounds=50)  # the fuzzer is not in it
        invitation = service.invite(other, foreign, "observer")
        return {"open": opened, "agreed": agreed, "drafted": drafted, "mediated": mediated, "foreign": foreign,
                "invitation": invitation}


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", cheap)
        patch.setattr(accounts, "_DUMMY_HASH", cheap.hash("not a password of anyone"))
        database = tmp_path_factory.mktemp("fuzz") / "servanda.db"
        app = create_app(Settings(database=str(database), login_limit="1000000/minute",
                                  registration_limit="1000000/minute"))
        engine = app.state.engine
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        fuzzer = accounts.register(engine, "fuzzer", "password-of-fuzzer")
        other = accounts.register(engine, "other", "password-of-other")
        token, _ = accounts.issue(engine, fuzzer, "token")
        session, csrf = accounts.issue(engine, fuzzer, "session")
        tables = MetaData()
        tables.reflect(engine)
        assert set(tables.tables) >= set(metadata.tables) | {"alembic_version"}
        yield Api(app, schema, engine, tables, fuzzer, other, token, session, csrf)
        from schemathesis.python import asgi

        asgi.shutdown_lifespans()
        engine.dispose()


# -- near-valid bodies --------------------------------------------------------------------------

_SCENARIO = load_uncertain_scenario(JOB_OFFER).scenario
_JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                  st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
                  st.lists(st.integers(), max_size=2))


#: Every option of every issue of the job offer, as JSON values.
OPTIONS: dict[str, list[Any]] = {issue.name: json.loads(json.dumps(list(issue.options), default=float))
                                 for issue in _SCENARIO.issues}


@st.composite
def _outcome(draw) -> dict[str, Any]:
    """A package over the room's issues: mostly valid options, sometimes junk, a missing or
    an unknown issue."""
    outcome = {name: draw(st.sampled_from(options) if draw(st.integers(0, 11)) else _JUNK)
               for name, options in OPTIONS.items()}
    change = draw(st.integers(0, 9))
    if change == 0:
        outcome.pop(draw(st.sampled_from(sorted(outcome))))
    elif change == 1:
        outcome[draw(st.text(min_size=1, max_size=8))] = draw(_JUNK)
    return outcome


def _own_block() -> dict[str, Any]:
    from servanda.rooms.scenarios import split

    return split(load_uncertain_scenario(JOB_OFFER))[1]["Employer"]


@st.composite
def _preferences(draw) -> dict[str, Any]:
    """The fuzzer's party's preferences, one value changed (often left valid)."""
    block = json.loads(json.dumps(_own_block()))
    where = draw(st.sampled_from(["none", "weights", "reservation", "values", "red_lines", "extra"]))
    if where == "none":
        pass
    elif where == "weights":
        block["weights"][draw(st.sampled_from(sorted(block["weights"])))] = draw(_JUNK)
    elif where == "reservation":
        block["reservation"] = draw(st.one_of(st.floats(0, 1), _JUNK))
    elif where == "values":
        block["values"][draw(st.sampled_from(sorted(block["values"])))] = draw(_JUNK)
    elif where == "red_lines":
        block["red_lines"] = draw(st.one_of(st.just([]), _JUNK))
    else:
        block[draw(st.sampled_from(["name", "representatives", "discount", "pressure", "junk"]))] = draw(_JUNK)
    return {"preferences": block}


_HEX = st.text("0123456789abcdef", min_size=64, max_size=64)
_FIELDS = st.fixed_dictionaries({}, optional={
    "key": st.one_of(_HEX, _JUNK), "holder": st.one_of(st.sampled_from(["Hiring manager", "Candidate"]), _JUNK),
    "role": st.one_of(st.sampled_from(["head_of_state", "foreign_minister", "other"]), _JUNK),
    "powers": st.one_of(st.lists(st.sampled_from(["negotiate", "adopt", "sign", "ratify"]), max_size=3), _JUNK),
    "not_before": st.one_of(st.just("2025-01-01T00:00:00Z"), _JUNK),
    "not_after": st.one_of(st.just("2035-01-01T00:00:00Z"), _JUNK),
    "version": st.one_of(st.integers(-2, 3), _JUNK), "title": _JUNK, "requires_ratification": _JUNK,
    "target": _JUNK, "reason": _JUNK, "instrument": _JUNK, "mandate": _JUNK, "parent": _JUNK,
    "delegable": _JUNK, "clauses": st.one_of(st.lists(st.dictionaries(st.text(max_size=5), _JUNK), max_size=2), _JUNK),
})
_ACT = st.sampled_from(["party", "office", "mandate", "revocation", "draft", "signature", "ratification"])

#: Near-valid bodies per operation (drawn instead of schemathesis' body half the time, for
#: schema-valid cases).
BODIES: dict[str, st.SearchStrategy] = {
    "POST /api/accounts": st.fixed_dictionaries({"username": st.sampled_from(["fuzzer", "other", "new.person"]),
                                                 "password": st.text(min_size=6, max_size=14)}),
    "POST /api/tokens": st.fixed_dictionaries({"username": st.sampled_from(["fuzzer", "nobody"]),
                                               "password": st.sampled_from(["password-of-fuzzer", "wrong"])}),
    "POST /api/session": st.fixed_dictionaries({"username": st.sampled_from(["fuzzer", "nobody"]),
                                                "password": st.sampled_from(["password-of-fuzzer", "wrong"])}),
    "POST /api/scenarios": st.fixed_dictionaries({"text": st.sampled_from(
        [JOB_OFFER.read_text(), JOB_OFFER.read_text().replace("weights:", "weightz:", 1), "{}", "- 1\n"])}),
    "POST /api/rooms": st.fixed_dictionaries(
        {"scenario": st.just({"text": JOB_OFFER.read_text()})},
        optional={"protocol": st.sampled_from(["alternating", "single-text"]), "rounds": st.integers(1, 3),
                  "title": st.text(max_size=5),
                  "bots": st.sampled_from([{}, {"Candidate": "boulware"}, {"Candidate": "no-such-strategy"},
                                           {"Nobody": "boulware"}])}),
    "POST /api/rooms/{room_id}/invitations": st.fixed_dictionaries(
        {"role": st.sampled_from(["party", "mediator", "observer"])},
        optional={"party": st.sampled_from(["Employer", "Candidate", "Nobody"]),
                  "representative": st.sampled_from(["Hiring manager", "Candidate", "Someone"]),
                  "representative_role": st.sampled_from(["other", "envoy", "king"])}),
    "PUT /api/rooms/{room_id}/preferences": _preferences(),
    "POST /api/rooms/{room_id}/offers": st.fixed_dictionaries({"outcome": _outcome()}),
    "POST /api/rooms/{room_id}/score": st.fixed_dictionaries({"outcome": _outcome()}),
    "POST /api/rooms/{room_id}/improvements": st.fixed_dictionaries({}, optional={"offer": st.integers(0, 40)}),
    "POST /api/rooms/{room_id}/comments": st.fixed_dictionaries(
        {"text": st.text(min_size=1, max_size=30)},
        optional={"kind": st.sampled_from(["comment", "question", "suggestion"]), "outcome": _outcome()}),
    "POST /api/rooms/{room_id}/acts/prepare": st.fixed_dictionaries({"act": _ACT, "fields": _FIELDS}),
    "POST /api/rooms/{room_id}/acts": st.fixed_dictionaries({
        "statement": st.fixed_dictionaries({"type": _ACT}, optional={"party": st.just("Employer"), "text": _HEX}),
        "signer": _HEX, "signature": st.text("0123456789abcdef", min_size=128, max_size=128)}),
}


#: Near-valid queries per operation.
QUERIES: dict[str, st.SearchStrategy] = {
    "GET /api/rooms/{room_id}/log/consistency": st.fixed_dictionaries(
        {"old_size": st.integers(1, 30)}, optional={"new_size": st.integers(1, 30)}),
    "GET /api/rooms/{room_id}/bundle": st.fixed_dictionaries({}, optional={"version": st.integers(1, 3)}),
    "GET /api/rooms/{room_id}/events": st.fixed_dictionaries(
        {}, optional={"after": st.integers(-1, 30), "limit": st.integers(1, 40)}),
    "POST /api/rooms/{room_id}/improvements": st.fixed_dictionaries({}, optional={"top": st.integers(1, 50)}),
}


# -- the checks -----------------------------------------------------------------------------------


def _require_problem(response) -> None:
    """A refusal is an RFC 9457 problem document naming its status."""
    assert response.headers.get("content-type", [""])[0].split(";")[0] == "application/problem+json", \
        response.headers
    body = json.loads(response.content)
    assert isinstance(body, dict), body
    assert set(body) <= {"type", "title", "status", "detail", "instance", "field", "errors"}, body
    assert all(isinstance(body.get(key), str) for key in ("type", "title", "detail")), body
    assert body["status"] == response.status_code, body
    assert isinstance(body.get("instance", ""), str) and isinstance(body.get("field") or "", str), body
    for error in body.get("errors", []):
        assert set(error) == {"field", "message"} and isinstance(error["message"], str), body


def _validate(case, response, headers, checks=None) -> None:
    try:
        case.validate_response(response, checks=checks or SUCCESS_CHECKS, headers=headers)
    except BaseExceptionGroup as failures:  # schemathesis' FailureGroup: report it as a test failure
        raise AssertionError(str(failures)) from None


def _changes(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict[str, Any]:
    return {name: {"gone": [row for row in rows if row not in after[name]][:3],
                   "new": [row for row in after[name] if row not in rows][:3]}
            for name, rows in before.items() if after[name] != rows}


def _exchange(api: Api, case, headers: dict[str, str], **options: Any):
    """Send ``case``; check the response; a refusal must change nothing (but count the
    attempt, for sign-up and sign-in: COUNTED_ATTEMPTS)."""
    before = api.snapshot()
    response = case.call(headers=headers, **options)
    status = response.status_code
    assert status < 500, f"{status}: {response.content[:500]!r}\n{case.as_curl_command(headers)}"
    if 200 <= status < 300:
        _validate(case, response, headers)
    else:
        assert 400 <= status < 500, f"unexpected status {status}"
        _require_problem(response)
        _validate(case, response, headers, REFUSAL_CHECKS)
        changes = _changes(before, api.snapshot())
        operation = f"{case.operation.method.upper()} {case.operation.path}"
        if operation in COUNTED_ATTEMPTS and "rate_counters" in changes:
            counted = changes.pop("rate_counters")
            # the attempt per address, and per address and username when one is given
            assert 1 <= len(counted["new"]) <= 2 and all(row[0].startswith(("LIMITER/", "ADDRESS/"))
                                                         for row in counted["new"]), counted
        assert not changes, f"a refused request ({status}) changed stored data: {changes}\n" \
                            f"{case.as_curl_command(headers)}"
    return response


MEMBER_ROOMS = ("open", "agreed", "drafted", "mediated")


def _path_parameters(operation, rooms: dict[str, str], member: bool) -> list[dict[str, str] | None]:
    """Path parameters pinned to the rooms the fuzzer is in, their parties and a real
    invitation (``member``); or else generated, and pinned to every room, a foreign one too."""
    names = {parameter.name for parameter in operation.path_parameters}
    pinned: list[dict[str, str] | None] = [] if member else [None]
    if "room_id" in names:
        for key in MEMBER_ROOMS if member else (*MEMBER_ROOMS, "foreign"):
            if "party" in names:
                pinned += [{"room_id": rooms[key], "party": party} for party in ("Employer", "Candidate")]
            pinned.append({"room_id": rooms[key]})
    if "token" in names:
        pinned.append({"token": rooms["invitation"]})
    return pinned or [None]


# -- the tests ------------------------------------------------------------------------------------


def test_every_operation_is_fuzzed(api):
    """The list above is every operation of the OpenAPI document, no more, no less."""
    documented = {f"{method.upper()} {path}" for path, item in api.app.openapi()["paths"].items()
                  for method in item}
    assert documented == OPERATIONS


@pytest.mark.parametrize("operation", FUZZED)
def test_fuzz_operation(api, operation):
    """Schemathesis' cases (valid and invalid for the schema) and near-valid bodies, with
    every kind of credential, on real and made-up rooms: no 5xx, a success conforms to the
    documentation, a refusal is problem+json and changes nothing."""
    method, path = operation.split(" ", 1)
    endpoint = api.schema[path][method]
    rooms = api.rooms()
    # half the examples go deep: schema-valid, near-valid bodies and queries, the fuzzer's own
    # rooms, signed in; the other half go wide: anything schemathesis makes, anywhere, any credential
    deep_cases = st.one_of([endpoint.as_strategy(GenerationMode.POSITIVE, path_parameters=pinned)
                            for pinned in _path_parameters(endpoint, rooms, member=True)])
    wide_cases = st.one_of([endpoint.as_strategy(mode, path_parameters=pinned)
                            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                            for pinned in _path_parameters(endpoint, rooms, member=False)])
    signing_out = operation == "DELETE /api/session"
    statuses: list[int] = []

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(deep=st.booleans(), data=st.data())
    def exchange(deep, data):
        case = data.draw(deep_cases if deep else wide_cases)
        if case.meta.generation.mode.is_positive and (deep or data.draw(st.booleans())):
            if operation in BODIES:
                case.body = data.draw(BODIES[operation])
            if operation in QUERIES:
                case.query = data.draw(QUERIES[operation])
        kind = data.draw(st.sampled_from(("bearer", "session-csrf") if deep else AUTH))
        statuses.append(_exchange(api, case, api.credentials(kind, fresh=signing_out)).status_code)

    exchange()
    assert statuses and all(status < 500 for status in statuses)
    if operation not in ("GET /api/me", "GET /api/scenarios", "GET /api/rooms", "DELETE /api/session"):
        assert any(400 <= status < 500 for status in statuses)  # the fuzzing got refusals to check


def test_fuzz_stream_where_it_must_refuse(api):
    """The event stream never ends when it answers, so it is fuzzed where it must refuse: a
    room the fuzzer is not in (or none), and a malformed Last-Event-ID on the fuzzer's own
    room. Each refusal is problem+json and changes nothing."""
    endpoint = api.schema["/api/rooms/{room_id}/stream"]["GET"]
    rooms = api.rooms()
    statuses: list[int] = []

    def malformed(value: str) -> bool:
        try:
            return not -1 <= int(value) <= 2**31
        except ValueError:
            return bool(value.strip())

    printable = st.characters(min_codepoint=33, max_codepoint=126)
    last_event_ids = st.text(printable, min_size=1, max_size=12).filter(malformed)

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(endpoint.as_strategy(GenerationMode.POSITIVE, path_parameters={"room_id": rooms["foreign"]}),
                          endpoint.as_strategy(GenerationMode.NEGATIVE, path_parameters={"room_id": rooms["foreign"]}),
                          endpoint.as_strategy(GenerationMode.POSITIVE, path_parameters={"room_id": "no-such-room"})),
           own=st.booleans(), last_event_id=last_event_ids, data=st.data())
    def exchange(case, own, last_event_id, data):
        headers = api.credentials(data.draw(st.sampled_from(AUTH)))
        if own:  # the fuzzer's own room: only with a malformed Last-Event-ID, and signed in
            case.path_parameters = {"room_id": rooms["open"]}
            case.query = {}
            case.headers = {"Last-Event-ID": last_event_id}
            headers = api.credentials("bearer")
        response = _exchange(api, case, headers, timeout=60)  # guards against a stream that answers
        assert 400 <= response.status_code < 500
        statuses.append(response.status_code)

    exchange()
    assert {401, 404, 422} <= set(statuses)


# -- bugs found ---------------------------------------------------------------------------------


def _refused_cleanly(api: Api, case, status: int = 422) -> None:
    """``case`` is refused with ``status``, as problem+json, and changes nothing."""
    before = api.snapshot()
    try:
        response = case.call(headers=api.credentials("bearer"))
    except Exception as exc:  # the in-process transport re-raises what the server did not catch: a 500
        raise AssertionError(f"the server failed (500): {exc!r}") from None
    assert response.status_code == status, response.content
    _require_problem(response)
    assert api.snapshot() == before


@pytest.mark.parametrize("path,body", [
    ("/api/scenarios", {"text": "\x1f"}),
    ("/api/rooms", {"scenario": {"text": "name: x\x07"}, "rounds": 3}),
])
def test_scenario_text_with_control_characters(api, path, body):
    _refused_cleanly(api, api.schema[path]["POST"].Case(body=body))


def _with_name(name: str) -> str:
    document = json.loads(json.dumps(to_document(load_uncertain_scenario(JOB_OFFER))))
    document["name"] = name
    return json.dumps(document)  # JSON is YAML: the escape \u001b reaches the scenario's name


@pytest.mark.parametrize("body", [
    {"scenario": {"text": JOB_OFFER.read_text()}, "rounds": 1, "title": "\x1b"},
    {"scenario": {"text": JOB_OFFER.read_text()}, "rounds": 1, "title": "Cafe\u0301"},
    {"scenario": {"text": _with_name("Job\x1boffer")}, "rounds": 1},  # the title defaults to the scenario's name
], ids=["control-character", "not-NFC", "scenario-name"])
def test_room_title_with_control_characters(api, body):
    _refused_cleanly(api, api.schema["/api/rooms"]["POST"].Case(body=body))


@pytest.mark.parametrize("operation", ["score", "offers", "improvements"])
def test_a_boolean_is_not_an_option(api, operation):
    rooms = api.rooms()
    case = api.schema[f"/api/rooms/{{room_id}}/{operation}"]["POST"].Case(
        path_parameters={"room_id": rooms["open"]}, body={"outcome": {**PACKAGE, "signing_bonus": False}})
    _refused_cleanly(api, case)


# -- the documentation of refusals ----------------------------------------------------------


def _refusals(api: Api) -> list[tuple[Any, dict[str, str]]]:
    """Minimal refused requests: not signed in (401), a room that is not one's own (404), a
    move against the protocol (409), a body the schema refuses (422)."""
    rooms = api.rooms()
    bearer = api.credentials("bearer")
    me = api.schema["/api/me"]["GET"]
    room = api.schema["/api/rooms/{room_id}"]["GET"]
    reject = api.schema["/api/rooms/{room_id}/reject"]["POST"]
    create = api.schema["/api/rooms"]["POST"]
    return [
        (me.Case(), {}),
        (room.Case(path_parameters={"room_id": rooms["foreign"]}), bearer),
        (reject.Case(path_parameters={"room_id": rooms["agreed"]}), bearer),
        (create.Case(body={"rounds": 0}), bearer),
    ]


def test_refusal_status_codes_are_documented(api):
    for case, headers in _refusals(api):
        response = case.call(headers=headers)
        assert response.status_code in (401, 404, 409, 422)
        try:
            case.validate_response(response, checks=[status_code_conformance], headers=headers)
        except BaseExceptionGroup as failures:
            raise AssertionError(str(failures)) from None


def test_422_refusals_match_their_documentation(api):
    case, headers = _refusals(api)[-1]
    response = case.call(headers=headers)
    assert response.status_code == 422
    try:
        case.validate_response(response, checks=[content_type_conformance, response_schema_conformance],
                               headers=headers)
    except BaseExceptionGroup as failures:
        raise AssertionError(str(failures)) from None


def test_openapi_declares_how_to_sign_in(api):
    """Bearer token or session cookie for every operation (the document's default), none to
    sign up or sign in."""
    document = api.app.openapi()
    assert set(document["components"]["securitySchemes"]) == {"bearer", "session"}
    assert document["paths"]["/api/me"]["get"].get("security", document["security"]) == [
        {"bearer": []}, {"session": []}]
    for path in ("/api/accounts", "/api/tokens", "/api/session"):
        assert document["paths"][path]["post"]["security"] == []
