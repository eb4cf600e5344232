"""Confidentiality of the live server (issue 9, §3 and §6): acting as party A, no response of
any endpoint or event stream contains party B's private numbers or red lines — unless B
granted the room's mediator and the reader is that mediator; an observer sees no party's
numbers; the ledger holds commitments to the preferences, never their values.

The room is a small three-party scenario written here with distinctive numbers (four
decimals that appear nowhere else, e.g. Beta's weight 0.3137) and distinctive red-line
names ("SECRET-REDLINE-B-..."), so that a scan of the serialised bodies has no false
positives: Alpha's own numbers are coarse (multiples of 0.05), and a precondition checks
that no number Alpha may legitimately see equals a number it must not see. Outcome labels
are words, never numbers.

What counts as a number "as the API serialises it": :mod:`servanda.rooms.views` sends
utilities and gains rounded to 9 decimals (``round(x, 9)``) and reservation values, weights
and option values as stored; Python's ``json`` writes a float as its ``repr``. The scan
reads every decimal token of a body and compares its value with the forbidden values (raw,
rounded to 9 decimals, and, for the values themselves and each package's utility and gain,
also rounded to 4 to 8 decimals, should some view round more coarsely).
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from httpx_sse import connect_sse

from servanda.analysis.utilities import utilities
from servanda.client import ApiError, Client
from servanda.crypto import generate_key, public_hex
from servanda.formats.native import loads_yaml
from servanda.ledger import Ledger
from servanda.rooms import scenarios, views
from servanda.server import Settings, create_app
from servanda.store import open_database

JOB_OFFER = Path(__file__).resolve().parent.parent / "examples" / "job-offer.yaml"

SCENARIO = """
name: Harbour accord
description: Three parties share a harbour and negotiate its use.
issues:
  - {name: port_access, type: categorical, options: [closed, seasonal, open]}
  - {name: tariff, type: categorical, options: [high, medium, low]}
  - {name: patrols, type: categorical, options: [none, joint, monitored]}
parties:
  - name: Alpha
    representatives: [{name: Alpha envoy, role: foreign_minister}]
    reservation: 0.35
    weights: {port_access: 0.5, tariff: 0.3, patrols: 0.2}
    values:
      port_access: {closed: 0.0, seasonal: 0.5, open: 1.0}
      tariff: {high: 1.0, medium: 0.5, low: 0.0}
      patrols: {none: 0.5, joint: 1.0, monitored: 0.0}
    red_lines:
      - {name: ALPHA-OWN-REDLINE-PATROLS, never: {patrols: [monitored]}}
  - name: Beta
    representatives: [{name: Beta envoy, role: foreign_minister}]
    reservation: 0.2719
    discount: 0.9617
    weights: {port_access: 0.3137, tariff: 0.4271, patrols: 0.2592}
    values:
      port_access: {closed: 0.8123, seasonal: 0.4637, open: 0.0917}
      tariff: {high: 0.1379, medium: 0.5863, low: 0.9241}
      patrols: {none: 0.2846, joint: 0.7519, monitored: 0.6394}
    red_lines:
      - name: SECRET-REDLINE-B-PORT
        description: SECRET-B-NOTE never an open port
        never: {port_access: [open]}
  - name: Gamma
    representatives: [{name: Gamma envoy, role: foreign_minister}]
    reservation: 0.1847
    weights: {port_access: 0.3571, tariff: 0.2468, patrols: 0.3961}
    values:
      port_access: {closed: 0.1733, seasonal: 0.8429, open: 0.5281}
      tariff: {high: 0.6917, medium: 0.4153, low: 0.2371}
      patrols: {none: 0.0683, joint: 0.9127, monitored: 0.4519}
    red_lines:
      - {name: SECRET-REDLINE-C-PATROLS, never: {patrols: [none]}}
"""

#: Beta's preferences after its update during the negotiation (PUT .../preferences).
BETA_UPDATE: dict[str, Any] = {
    "reservation": 0.3093,
    "discount": 0.9472,
    "weights": {"port_access": 0.2188, "tariff": 0.4459, "patrols": 0.3353},
    "values": {
        "port_access": {"closed": 0.7346, "seasonal": 0.5172, "open": 0.0628},
        "tariff": {"high": 0.1864, "medium": 0.6057, "low": 0.8792},
        "patrols": {"none": 0.3318, "joint": 0.8245, "monitored": 0.5509},
    },
    "red_lines": [
        {"name": "SECRET-REDLINE-B2-PORT", "description": "SECRET-B2-NOTE", "never": {"port_access": ["open"]}},
        {"name": "SECRET-REDLINE-B2-TARIFF", "never": {"tariff": ["high"]}},
    ],
}

RED_LINES = {
    "Alpha": ["ALPHA-OWN-REDLINE-PATROLS"],
    "Beta": ["SECRET-REDLINE-B-PORT", "SECRET-B-NOTE", "SECRET-REDLINE-B2-PORT", "SECRET-B2-NOTE",
             "SECRET-REDLINE-B2-TARIFF"],
    "Gamma": ["SECRET-REDLINE-C-PATROLS"],
}

P1 = {"port_access": "open", "tariff": "high", "patrols": "joint"}  # Alpha's best; breaks Beta's line
P2 = {"port_access": "closed", "tariff": "low", "patrols": "joint"}
P3 = {"port_access": "seasonal", "tariff": "medium", "patrols": "joint"}
P4 = {"port_access": "closed", "tariff": "medium", "patrols": "joint"}  # agreed, then improved on:
P5 = {"port_access": "seasonal", "tariff": "low", "patrols": "joint"}  # better for every party

# -- what each party's preferences are, and every number derived from them ---------------------

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])")


def _scenario(beta_block: dict[str, Any] | None = None):
    """The whole scenario (Beta's block replaced by ``beta_block`` if given)."""
    document = loads_yaml(SCENARIO)
    if beta_block is None:
        return document
    public, private = scenarios.split(document)
    private = dict(private)
    private["Beta"] = json.loads(json.dumps(beta_block))
    return scenarios.assemble(public, private)


def _packages(scenario) -> list[dict[str, Any]]:
    space = scenario.space
    return [space.describe(space.outcome_at(i)) for i in range(space.size)]


def _leaves(value: Any) -> Iterable[float]:
    """Every non-integer number inside a JSON-like value."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, float) and not value.is_integer():
        yield value


def _rounded(values: Iterable[float], coarse: bool) -> set[float]:
    """The values as they may be serialised: raw and to 9 decimals (and 4-8 if ``coarse``)."""
    out: set[float] = set()
    for value in values:
        out |= {value, round(value, 9)}
        if coarse:
            out |= {round(value, digits) for digits in range(4, 9)}
    return {v for v in out if not float(v).is_integer()}


def _numbers_of(party: str, scenario) -> set[float]:
    """Every number ``party``'s preferences put into the world, as the API would write it:
    its own values, each package's utility and gain, and the gains between packages
    (suggestions show a gain over a package)."""
    position = scenario.party_names.index(party)
    public, private = scenarios.split(scenario)
    own = set(_leaves(private[party]))
    digits = np.asarray([scenario.space.parse(p) for p in _packages(scenario)])
    utility = utilities(scenario, digits)[:, position]
    reservation = scenario.parties[position].reservation
    per_package = [float(u) for u in utility] + [float(u - reservation) for u in utility]
    between = [float(a - b) for a, b in itertools.permutations(utility, 2)]
    return _rounded(own, True) | _rounded(per_package, True) | _rounded(between, False)


@dataclass
class Secrets:
    """The numbers and names a reader must not find."""

    numbers: set[float]
    names: list[str]

    def find(self, text: str) -> list[str]:
        """The forbidden things ``text`` contains."""
        found = [name for name in self.names if name in text]
        for token in _NUMBER.findall(text):
            if ("." in token or "e" in token.lower()) and float(token) in self.numbers:
                found.append(token)
        return found


def _secrets(*parties: str) -> Secrets:
    numbers: set[float] = set()
    for party in parties:
        numbers |= _numbers_of(party, _scenario())
        if party == "Beta":
            numbers |= _numbers_of(party, _scenario(BETA_UPDATE))
    return Secrets(numbers, [name for party in parties for name in RED_LINES[party]])


def test_the_scan_has_no_false_positives_on_this_data():
    """Precondition of the scans below: no number Alpha may see (its own values, utilities,
    gains) equals a number of Beta's or Gamma's; and none is an integer-free collision with
    what an observer may see (an observer sees no number at all)."""
    for scenario in (_scenario(), _scenario(BETA_UPDATE)):
        alpha = _numbers_of("Alpha", scenario)
        assert not alpha & _secrets("Beta", "Gamma").numbers
        beta = _numbers_of("Beta", scenario)
        assert not beta & _secrets("Gamma").numbers


# -- recording every response a person receives -----------------------------------------------


@dataclass(frozen=True)
class Body:
    """One response as received: request method and path, status, headers, body."""

    method: str
    path: str
    status: int
    headers: str
    text: str


@dataclass
class Recorder:
    """Every response a person's client received: method, path, status, headers and body."""

    bodies: list[Body] = field(default_factory=list)
    operations: set[tuple[str, str]] = field(default_factory=set)
    templates: list[tuple[str, str, re.Pattern]] = field(default_factory=list)

    def hook(self, response: httpx.Response) -> None:
        request = response.request
        self.note(request.method, request.url.path)
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return  # read by _stream(), never here (the stream does not end)
        response.read()
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.bodies.append(Body(request.method, request.url.path, response.status_code, headers, response.text))

    def note(self, method: str, path: str) -> None:
        for template_method, template, pattern in self.templates:
            if template_method == method and pattern.fullmatch(path):
                self.operations.add((method, template))

    def since(self, mark: int) -> list[Body]:
        return self.bodies[mark:]


@functools.lru_cache(maxsize=1)
def _operations() -> tuple[tuple[str, str], ...]:
    """Every operation of the API, from the application's OpenAPI document."""
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        app = create_app(Settings(database=str(Path(directory) / "openapi.db")))
        document = app.openapi()
        app.state.engine.dispose()
    return tuple((method.upper(), path) for path, item in document["paths"].items() for method in item)


def _pattern(template: str) -> re.Pattern:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))


def _person(server, username: str, recorder: Recorder | None = None) -> Client:
    """A signed-in person whose every response is recorded."""
    signed_in = server.person(username)
    token = signed_in.token
    signed_in.close()
    hooks = {"response": [recorder.hook]} if recorder is not None else {}
    return Client(server.url, token, http=httpx.Client(base_url=server.url, timeout=30.0, event_hooks=hooks))


def _stream(client: Client, recorder: Recorder | None, room: str, last: int, after: int = -1) -> list[Body]:
    """Every event of the room's SSE stream after ``after``, up to event ``last``, as read
    from the wire (id and type as "headers", the data as the body)."""
    events: list[Body] = []
    with connect_sse(client.http, "GET", f"/api/rooms/{room}/stream", headers={"Last-Event-ID": str(after)},
                     timeout=httpx.Timeout(10.0, read=10.0)) as source:
        assert source.response.status_code == 200
        if recorder is not None:
            recorder.note("GET", f"/api/rooms/{room}/stream")
        for message in source.iter_sse():
            if not message.data:
                continue
            events.append(Body("SSE", f"/api/rooms/{room}/stream", 200, f"id: {message.id}\nevent: {message.event}",
                               message.data))
            if int(message.id) >= last:
                break
    assert [int(json.loads(event.text)["id"]) for event in events] == list(range(after + 1, last + 1))
    return events


def _scores_keys(value: Any) -> set[str]:
    """The parties named in every ``scores`` and ``gains`` object inside a JSON value."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("scores", "gains") and isinstance(item, dict):
                found |= set(item)
            found |= _scores_keys(item)
    elif isinstance(value, list):
        for item in value:
            found |= _scores_keys(item)
    return found


def _json_bodies(bodies: Iterable[Body]) -> Iterable[Any]:
    for body in bodies:
        if body.text:
            try:
                yield json.loads(body.text)
            except ValueError:
                pass


def _leaks(secrets: Secrets, bodies: Iterable[Body]) -> list[str]:
    return [f"{body.method} {body.path} ({body.status}): {found}" for body in bodies
            if (found := secrets.find(body.headers + "\n" + body.text))]


# -- the room -------------------------------------------------------------------------------------


@dataclass
class Room:
    id: str
    alpha: Client
    beta: Client
    gamma: Client
    mediator: Client
    observer: Client
    convener: Client
    keys: dict[str, Any]
    seen: dict[str, Recorder]


def _play(server, tmp_path) -> Room:
    seen = {name: Recorder() for name in ("alpha", "mediator", "observer")}
    templates = [(method, template, _pattern(template)) for method, template in _operations()]
    for recorder in seen.values():
        recorder.templates = templates
    convener = _person(server, "convener", seen["observer"])
    alpha = _person(server, "alpha", seen["alpha"])
    beta, gamma = _person(server, "beta"), _person(server, "gamma")
    mediator = _person(server, "mediator", seen["mediator"])
    observer = _person(server, "observer", seen["observer"])
    path = tmp_path / "harbour.yaml"
    path.write_text(SCENARIO)
    room = convener.create_room(path, rounds=20, title="Harbour accord")
    for client, party in ((alpha, "Alpha"), (beta, "Beta"), (gamma, "Gamma")):
        client.join(convener.invite(room, "party", party, f"{party} envoy"))
    mediator.join(convener.invite(room, "mediator"))
    observer.join(convener.invite(room, "observer"))

    # the negotiation: offers, counter-offers, a bare rejection, discussion, a preference update
    alpha.propose(room, P1)
    beta.comment(room, "Can the tariff move?", kind="question")
    beta.propose(room, P2)
    gamma.reject(room)
    gamma.propose(room, P3)
    alpha.comment(room, "What about a seasonal port?", kind="suggestion", outcome=P3)
    mediator.comment(room, "A possible middle ground.", kind="suggestion", outcome=P4)
    beta.comment(room, "We revisited our position.")
    beta.set_preferences(room, BETA_UPDATE)
    with pytest.raises(ApiError) as refused:
        alpha.propose(room, {"port_access": "open", "tariff": "high", "patrols": "monitored"})
    assert refused.value.status == 409  # Alpha's own red line
    alpha.propose(room, P4)
    beta.accept(room)
    gamma.accept(room)
    view = alpha.room(room)
    assert view["phase"] == "agreement" and view["agreement"]["outcome"] == P4

    # a post-settlement improvement (Alpha sees only the package and its own gain), accepted
    [better] = alpha.improvements(room)
    assert better["outcome"] == P5 and set(better["gains"]) == {"Alpha"}
    alpha.propose(room, P5)
    beta.accept(room)
    gamma.accept(room)
    assert alpha.room(room)["agreement"]["outcome"] == P5

    # the text, signed by each party's foreign minister, registered by the party's root key
    keys = {}
    for client, party in ((alpha, "Alpha"), (beta, "Beta"), (gamma, "Gamma")):
        root, minister = generate_key(), generate_key()
        keys[party] = minister
        client.sign(room, root, "party")
        client.sign(room, root, "office", holder=f"{party} envoy", role="foreign_minister", key=public_hex(minister))
    alpha.sign(room, keys["Alpha"], "draft", title="Harbour accord", requires_ratification=False)
    for client, party in ((alpha, "Alpha"), (beta, "Beta"), (gamma, "Gamma")):
        client.sign(room, keys[party], "signature")
    assert alpha.room(room)["status"]["status"] == "in force"
    return Room(room, alpha, beta, gamma, mediator, observer, convener, keys, seen)


def _sweep(room: Room, who: Client, recorder: Recorder, party: str | None, accounts: bool = True) -> None:
    """Call every operation of the API as ``who`` (a member of the room), successes and
    refusals alike; every response lands in ``recorder``. ``accounts=False`` leaves out the
    operations on accounts and sign-in (nothing of a room in them; argon2 is slow)."""

    def attempt(call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except ApiError:
            return None

    http, rid = who.http, room.id
    name = who.me()["username"]
    scenario = _scenario()
    if accounts:
        attempt(who.register, f"{name}-extra", "a long enough password")
        password = f"password-of-{name}"
        login = {"username": name, "password": password, "label": "sweep"}
        token = http.post("/api/tokens", json=login).json()["token"]
        http.post("/api/tokens", json={**login, "password": "wrong password"})
        http.post("/api/session", json={"username": name, "password": password})
        http.delete("/api/session", headers={"Authorization": f"Bearer {token}"})
    who.me()
    # scenarios and rooms of one's own
    stored = http.post("/api/scenarios", json={"text": "name: mine\nissues: []\nparties: []\n"})
    stored = http.post("/api/scenarios", json={"text": JOB_OFFER.read_text()})
    http.get("/api/scenarios")
    own = http.post("/api/rooms", json={"scenario_id": stored.json()["id"], "rounds": 5}).json()["id"]
    http.get("/api/rooms")
    own_token = who.invite(own, "party", "Employer", "Hiring manager")
    who.join(own_token)
    attempt(who.join, own_token)  # used already
    attempt(who.invite, rid, "observer")  # not the convener
    # the room itself
    who.room(rid)
    who.scenario(rid)
    for other in (*scenario.party_names, "Nobody"):
        attempt(who.preferences, rid, other)
    if party is not None:
        own_block = who.preferences(rid, party)["preferences"]
        attempt(who.set_preferences, rid, own_block)  # refused: the negotiation has ended
        attempt(who.set_preferences, rid, {"weights": {"port_access": 2}})
    attempt(who.grant_mediator, rid, False)
    attempt(who.propose, rid, P1)
    attempt(who.propose, rid, {"port_access": "closed"})
    attempt(who.accept, rid)
    attempt(who.reject, rid)
    attempt(who.walk_away, rid)
    attempt(who.comment, rid, "A last word.")
    attempt(who.comment, rid, "A package.", kind="suggestion", outcome=P2)
    for package in _packages(scenario):
        attempt(who.score, rid, package)
    attempt(who.improvements, rid)
    for offer in range(_last(room) + 2):  # every event: offers are improved, others refused
        attempt(who.improvements, rid, offer, top=50)
    who.events(rid)
    who.events(rid, after=5, limit=3)
    for act, fields in (("signature", {}), ("ratification", {}), ("draft", {"title": "Another text"}),
                        ("mandate", {"holder": "Someone", "key": "00" * 32, "powers": ["sign"],
                                     "not_before": "2025-01-01T00:00:00Z", "not_after": "2035-01-01T00:00:00Z"})):
        attempt(who.prepare, rid, act, **fields)
    prepared = attempt(who.prepare, rid, "signature")
    if prepared is not None:
        attempt(who.submit, rid, prepared["statement"], generate_key())  # a key of no one
    http.post(f"/api/rooms/{rid}/acts", json={"statement": {"type": "signature"}, "signer": "0" * 64,
                                                "signature": "0" * 128})
    attempt(who.bundle, rid)
    attempt(who.bundle, rid, version=99)
    who.tree_head(rid)
    attempt(who.consistency, rid, 1)
    attempt(who.consistency, rid, 3, 2)
    # a room one is not in
    attempt(who.room, "no-such-room")


# -- the tests ------------------------------------------------------------------------------------


def _parties_scored(bodies: Iterable[Body]) -> set[str]:
    return set().union(*map(_scores_keys, _json_bodies(bodies)))


def test_party_a_sees_nothing_of_party_b_on_any_endpoint_or_stream(server, tmp_path):
    """Acting as Alpha, on every operation of the API and on the event stream: no number of
    Beta's (nor Gamma's) preferences, no utility or gain of theirs, no red line of theirs; every
    score and gain is Alpha's own. The mediator sees Beta's numbers only once Beta granted it,
    then exactly Beta's scores; an observer never sees a number or a red line of anyone; the
    ledger holds commitments, never values."""
    room = _play(server, tmp_path)
    alpha_seen, mediator_seen, observer_seen = (room.seen[k] for k in ("alpha", "mediator", "observer"))

    # the mediator, before Beta grants: nothing of anyone
    _sweep(room, room.mediator, mediator_seen, None, accounts=False)
    with pytest.raises(ApiError) as refused:
        room.mediator.preferences(room.id, "Beta")
    assert refused.value.status == 403
    before_grant = mediator_seen.since(0) + _stream(room.mediator, mediator_seen, room.id, _last(room))
    leaks = _leaks(_secrets("Beta", "Gamma"), before_grant)
    assert not leaks, leaks
    assert not _parties_scored(before_grant), "the mediator saw scores before any party granted it"

    # Alpha, on every operation and on its stream (read whole, then resumed half-way)
    _sweep(room, room.alpha, alpha_seen, "Alpha")
    room.beta.grant_mediator(room.id)
    last = _last(room)
    alpha_bodies = alpha_seen.bodies + _stream(room.alpha, alpha_seen, room.id, last)
    alpha_bodies += _stream(room.alpha, alpha_seen, room.id, last, after=last // 2)
    missing = sorted(set(_operations()) - alpha_seen.operations)
    assert not missing, f"operations Alpha's sweep did not call: {missing}"
    forbidden = _secrets("Beta", "Gamma")
    leaks = _leaks(forbidden, alpha_bodies)
    assert not leaks, leaks
    assert _parties_scored(alpha_bodies) == {"Alpha"}
    # refusals included (Alpha asking for Beta's preferences, among others)
    refusals = [body for body in alpha_bodies if body.status >= 400]
    assert any(body.path.endswith("/preferences/Beta") and body.status == 403 for body in refusals)
    assert len({body.status for body in refusals}) >= 4  # 401, 403, 404, 409, 422: each kind of refusal

    # the mediator, once Beta granted: Beta's preferences and scores, nothing of Gamma's or Alpha's
    mark = len(mediator_seen.bodies)
    granted = room.mediator.preferences(room.id, "Beta")
    assert granted["preferences"]["weights"] == BETA_UPDATE["weights"] and granted["mediator_may_read"]
    scored = room.mediator.score(room.id, P5)
    assert scored["scores"] == {"Beta": views.score(_scenario(BETA_UPDATE), "Beta", P5)}
    assert _secrets("Beta").find(json.dumps(scored)), "the scan finds Beta's numbers where they are"
    _sweep(room, room.mediator, mediator_seen, None, accounts=False)
    after_grant = mediator_seen.since(mark) + _stream(room.mediator, mediator_seen, room.id, _last(room))
    assert _parties_scored(after_grant) == {"Beta"}
    leaks = _leaks(_secrets("Gamma"), after_grant)
    assert not leaks, leaks
    assert not any(name in body.text for body in after_grant for name in RED_LINES["Alpha"])

    # the observer (and the convener, an observer too): nothing of anyone, ever
    _sweep(room, room.observer, observer_seen, None, accounts=False)
    observer_bodies = observer_seen.bodies + _stream(room.observer, observer_seen, room.id, _last(room))
    everyone = _secrets("Alpha", "Beta", "Gamma")
    leaks = _leaks(everyone, observer_bodies)
    assert not leaks, leaks
    assert not _parties_scored(observer_bodies), "an observer saw scores"

    # the ledger itself: a commitment per preferences block, never a value or a red line
    engine = open_database(server.database)
    try:
        entries = Ledger.open(engine, f"room:{room.id}").entries()
    finally:
        engine.dispose()
    commitments = [json.loads(entry.data) for entry in entries if entry.kind == "room.preferences"]
    assert [c["party"] for c in commitments] == ["Alpha", "Beta", "Gamma", "Beta"]
    own = room.beta.preferences(room.id, "Beta")
    assert own["preferences"]["weights"] == BETA_UPDATE["weights"]
    assert commitments[-1]["commitment"] == own["commitment"] == scenarios.commitment(
        "Beta", own["preferences"], own["salt"])
    recorded = [Body("ledger", entry.kind, entry.seq, "", entry.data.decode("utf-8", "replace")) for entry in entries]
    leaks = _leaks(everyone, recorded)
    assert not leaks, leaks
    for client in (room.alpha, room.beta, room.gamma, room.mediator, room.observer, room.convener):
        client.close()


def _last(room: Room) -> int:
    return room.beta.room(room.id)["last_event"]
