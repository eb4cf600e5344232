"""Adversarial review of the live server's security and confidentiality (issue 9, §3).

Most checks drive a :class:`~servanda.rooms.Rooms` service on a temporary SQLite file
(fast); the HTTP-level ones (CSRF, login limits) use the FastAPI app in-process through
Starlette's TestClient. The defects it found (a Pareto oracle for mediators and while an improvement is pending,
login limits per address and user only) are fixed; their tests stay.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from servanda.crypto import generate_key, public_hex
from servanda.crypto.signing import sign
from servanda.errors import AccessDenied, NotFound, ServandaError
from servanda.formats.native import loads_yaml
from servanda.rooms import Rooms
from servanda.rooms import accounts as people
from servanda.server import Settings, create_app
from servanda.store import open_database
from servanda.treaty.statements import Envelope

# Two parties whose interests are not zero-sum, so that a post-settlement improvement
# exists: on the agreement {x: b, y: b} (A 0.5, B 0.5), {x: a, y: a} is an improvement
# (A 0.5, B 0.8) and {x: c, y: c} is not (A 0.5, B 0.2). B's numbers are distinctive.
SCENARIO = """
name: Review room
issues:
  - {name: x, type: categorical, options: [a, b, c]}
  - {name: y, type: categorical, options: [a, b, c]}
parties:
  - name: A
    representatives: [{name: A envoy, role: foreign_minister}]
    reservation: 0.0
    weights: {x: 0.5, y: 0.5}
    values:
      x: {a: 0.0, b: 0.5, c: 1.0}
      y: {a: 1.0, b: 0.5, c: 0.0}
  - name: B
    representatives: [{name: B envoy, role: foreign_minister}]
    reservation: 0.0731
    weights: {x: 0.8, y: 0.2}
    values:
      x: {a: 1.0, b: 0.5, c: 0.0}
      y: {a: 0.0, b: 0.5, c: 1.0}
    red_lines:
      - {name: SECRET-B-LINE, never: {x: [c], y: [a]}}
"""
AGREED = {"x": "b", "y": "b"}
IMPROVES = {"x": "a", "y": "a"}  # as good for A, better for B
WORSE_FOR_B = {"x": "c", "y": "c"}  # as good for A, worse for B


class Room:
    """A room with people in every role: convener (observer), A, B, mediator, observer."""

    def __init__(self, tmp_path, protocol: str = "alternating", rounds: int = 50):
        self.engine = open_database(str(tmp_path / "review.db"))
        self.rooms = Rooms(self.engine)
        self.ids = {name: people.register(self.engine, name, f"password-of-{name}")
                    for name in ("convener", "alice", "alice2", "bob", "mia", "olga", "outsider")}
        self.id = self.rooms.create(self.ids["convener"], loads_yaml(SCENARIO), protocol_name=protocol, rounds=rounds)
        self.join("alice", "party", "A", "A envoy")
        self.join("alice2", "party", "A", "A envoy")
        self.join("bob", "party", "B", "B envoy")
        self.join("mia", "mediator")
        self.join("olga", "observer")

    def invite(self, role: str, party: str | None = None, rep: str | None = None) -> str:
        return self.rooms.invite(self.ids["convener"], self.id, role, party, rep)

    def join(self, name: str, role: str, party: str | None = None, rep: str | None = None) -> None:
        self.rooms.join(self.ids[name], name, self.invite(role, party, rep))

    def __getattr__(self, action):  # room.propose("alice", {...}) -> rooms.propose(id_of_alice, room, {...})
        method = getattr(self.rooms, action)
        return lambda name, *args, **kw: method(self.ids[name], self.id, *args, **kw)

    def size(self) -> int:
        return self.rooms.last_event(self.id) + 1

    def agree(self) -> None:
        self.propose("alice", AGREED)
        self.accept("bob")


def _refused(call) -> ServandaError:
    with pytest.raises(ServandaError) as caught:
        call()
    return caught.value


# -- defects ------------------------------------------------------------------------------


def test_ungranted_mediator_gets_no_pareto_oracle_after_agreement(tmp_path):
    room = Room(tmp_path)
    room.agree()
    good = str(_refused(lambda: room.propose("mia", IMPROVES)))
    bad = str(_refused(lambda: room.propose("mia", WORSE_FOR_B)))
    assert good == bad  # the refusal must not depend on the parties' preferences


def test_no_pareto_oracle_while_an_improvement_is_pending(tmp_path):
    room = Room(tmp_path)
    room.agree()
    room.propose("bob", IMPROVES)  # pending: A must answer
    good = str(_refused(lambda: room.propose("alice", IMPROVES)))
    bad = str(_refused(lambda: room.propose("alice", WORSE_FOR_B)))
    assert good == bad


def test_login_limit_bounds_attempts_from_one_address(tmp_path):
    """Ten times the per-user limit per address: trying many usernames is bounded too."""
    app = create_app(Settings(database=str(tmp_path / "http.db"), login_limit="1/minute",
                              registration_limit="100/minute"))
    with TestClient(app) as http:
        codes = [http.post("/api/tokens", json={"username": f"user{i:03d}", "password": "wrong-password"}).status_code
                 for i in range(11)]
    assert codes == [401] * 10 + [429]


# -- what holds ---------------------------------------------------------------------------


def test_login_limit_per_username_and_no_enumeration(tmp_path):
    app = create_app(Settings(database=str(tmp_path / "http.db"), login_limit="3/minute",
                              registration_limit="100/minute"))
    with TestClient(app) as http:
        assert http.post("/api/accounts", json={"username": "alice", "password": "password-a"}).status_code == 201
        unknown = http.post("/api/tokens", json={"username": "nobody", "password": "password-a"})
        wrong = http.post("/api/tokens", json={"username": "alice", "password": "password-x"})
        assert unknown.status_code == wrong.status_code == 401
        assert unknown.json()["detail"] == wrong.json()["detail"]
        codes = [http.post("/api/tokens", json={"username": "alice", "password": "password-x"}).status_code
                 for _ in range(3)]
        assert codes[-1] == 429


def test_csrf_required_for_every_unsafe_cookie_request(tmp_path):
    app = create_app(Settings(database=str(tmp_path / "http.db"), login_limit="100/minute",
                              registration_limit="100/minute"))
    with TestClient(app) as http:
        http.post("/api/accounts", json={"username": "alice", "password": "password-a"})
        csrf = http.post("/api/session", json={"username": "alice", "password": "password-a"}).json()["csrf"]
        assert http.get("/api/me").status_code == 200  # safe: the cookie is enough
        room = http.post("/api/rooms", json={"scenario": {"text": SCENARIO}, "rounds": 5},
                         headers={"X-CSRF-Token": csrf})
        assert room.status_code == 201
        rid = room.json()["id"]
        unsafe = [
            ("POST", "/api/rooms", {"scenario": {"text": SCENARIO}, "rounds": 5}),
            ("POST", f"/api/rooms/{rid}/invitations", {"role": "observer"}),
            ("POST", f"/api/rooms/{rid}/comments", {"text": "hi"}),
            ("PUT", f"/api/rooms/{rid}/grant", {"mediator_may_read": True}),
            ("POST", "/api/scenarios", {"text": SCENARIO}),
            ("DELETE", "/api/session", None),
        ]
        for token in (None, "", "wrong-" + csrf):
            headers = {} if token is None else {"X-CSRF-Token": token}
            for method, path, body in unsafe:
                answer = http.request(method, path, json=body, headers=headers)
                assert answer.status_code == 403, (method, path, token, answer.text)
        assert http.get("/api/me").status_code == 200  # the session survived the forged sign-out
        assert len(http.get("/api/rooms").json()) == 1  # and no forged room was created
        assert http.request("DELETE", "/api/session", headers={"X-CSRF-Token": csrf}).status_code == 204
        assert http.get("/api/me").status_code == 401


def test_outsider_sees_nothing_of_a_room(tmp_path):
    room = Room(tmp_path)
    for call in (lambda: room.view("outsider"), lambda: room.events("outsider"),
                 lambda: room.preferences("outsider", "A"), lambda: room.public_scenario("outsider"),
                 lambda: room.improvements("outsider"), lambda: room.score("outsider", AGREED),
                 lambda: room.comment("outsider", "hello")):
        assert isinstance(_refused(call), NotFound)


def test_roles_cannot_make_each_others_moves(tmp_path):
    room = Room(tmp_path)
    before = room.size()
    room.propose("alice", AGREED)
    after_offer = room.size()
    for name in ("mia", "olga", "convener"):  # mediator, observer, convener: no party moves
        for call in (lambda: room.accept(name), lambda: room.reject(name), lambda: room.walk_away(name),
                     lambda: room.set_preferences(name, {"reservation": 0.5}),
                     lambda: room.grant_mediator(name, True),
                     lambda: room.prepare(name, "party", {"key": public_hex(generate_key())})):
            assert isinstance(_refused(call), AccessDenied), name
    assert isinstance(_refused(lambda: room.improvements("olga")), AccessDenied)
    assert isinstance(_refused(lambda: room.comment("olga", "observers speak?")), AccessDenied)
    assert isinstance(_refused(lambda: room.rooms.invite(room.ids["alice"], room.id, "observer")), AccessDenied)
    assert isinstance(_refused(lambda: room.preferences("bob", "A")), AccessDenied)
    assert isinstance(_refused(lambda: room.preferences("mia", "B")), AccessDenied)
    assert isinstance(_refused(lambda: room.preferences("olga", "B")), AccessDenied)
    assert room.size() == after_offer > before  # refusals recorded nothing


def test_invitation_is_one_time_and_room_bound(tmp_path):
    room = Room(tmp_path)
    token, mediator = room.invite("observer"), room.invite("mediator")
    room.rooms.join(room.ids["outsider"], "outsider", token)
    size = room.size()
    with pytest.raises(NotFound):
        room.rooms.join(room.ids["outsider"], "outsider", token)
    with pytest.raises(NotFound):
        room.rooms.join(room.ids["bob"], "bob", token)
    with pytest.raises(ServandaError):  # already a party: cannot become something else
        room.rooms.join(room.ids["bob"], "bob", mediator)
    assert room.size() == size


def test_acts_for_another_party_or_representative_refused(tmp_path):
    room = Room(tmp_path)
    key = generate_key()
    statement = room.prepare("alice", "party", {"key": public_hex(key)})["statement"]
    envelope = Envelope(statement=statement, signer=public_hex(key), signature=sign(key, statement))
    size = room.size()
    assert isinstance(_refused(lambda: room.submit("bob", envelope)), AccessDenied)
    assert isinstance(_refused(lambda: room.submit("mia", envelope)), AccessDenied)
    assert room.size() == size
    room.submit("alice", envelope)  # its own party's act counts
    assert room.size() == size + 1


def test_scores_only_from_own_side_and_ledger_holds_no_values(tmp_path):
    room = Room(tmp_path)
    room.propose("alice", AGREED)
    room.comment("bob", "what about this", "suggestion", IMPROVES)
    assert set(room.view("alice")["on_table"]["scores"]) == {"A"}
    assert room.view("mia")["on_table"]["scores"] == {}
    assert room.view("olga")["on_table"]["scores"] == {}
    for name, own in (("alice", {"A"}), ("bob", {"B"}), ("mia", set()), ("olga", set())):
        for event in room.events(name):
            assert set(event.get("scores", {})) <= own
        for suggestion in (room.improvements(name) if name != "olga" else []):
            assert set(suggestion["gains"]) == own
    # the records' payloads (their times, such as 12:00:30.8..., would match "0.8" by chance)
    text = json.dumps([payload for _, _, _, payload in room.rooms.records(room.id)])
    for secret in ("0.0731", "SECRET-B-LINE", "0.8", "0.2"):
        assert secret not in text
    after = room.events("alice")
    text = json.dumps([room.view("alice"), after, room.score("alice", WORSE_FOR_B),
                       room.improvements("alice"), room.public_scenario("alice")])
    assert "0.0731" not in text and "SECRET-B-LINE" not in text
    # the mediator reads B's numbers once B grants it, and not after B withdraws the grant
    room.grant_mediator("bob", True)
    assert set(room.view("mia")["on_table"]["scores"]) == {"B"}
    room.grant_mediator("bob", False)
    assert room.view("mia")["on_table"]["scores"] == {}
    assert isinstance(_refused(lambda: room.preferences("mia", "B")), AccessDenied)


def test_scenario_cache_follows_new_preferences(tmp_path):
    room = Room(tmp_path)
    first = room.score("bob", IMPROVES)["scores"]["B"]["reservation"]
    room.set_preferences("bob", {**room.preferences("bob", "B")["preferences"], "reservation": 0.4})
    assert first == 0.0731
    assert room.score("bob", IMPROVES)["scores"]["B"]["reservation"] == 0.4
    # a second room of the same scenario keeps its own preferences
    other = Room.__new__(Room)
    other.__dict__.update(room.__dict__)
    other.id = room.rooms.create(room.ids["convener"], loads_yaml(SCENARIO), rounds=5)
    other.join("bob", "party", "B", "B envoy")
    assert other.score("bob", IMPROVES)["scores"]["B"]["reservation"] == 0.0731


def test_concurrent_double_acceptance_counts_once(tmp_path):
    room = Room(tmp_path, protocol="single-text")
    room.propose("mia", AGREED)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda name: _try(lambda: room.accept(name)), ["alice", "alice2"]))
    assert sum(1 for r in results if r is None) == 1
    accepts = [e for e in room.events("olga") if e.get("type") == "accept"]
    assert len(accepts) == 1


def _try(call):
    try:
        call()
    except ServandaError as exc:
        return exc
    return None


def test_event_ids_gapless_through_refusals(tmp_path):
    room = Room(tmp_path)
    _refused(lambda: room.accept("alice"))  # nothing on the table
    room.propose("alice", AGREED)
    _refused(lambda: room.propose("alice", AGREED))  # not A's turn
    _refused(lambda: room.accept("alice"))
    room.reject("bob")
    room.comment("mia", "try again")
    room.propose("bob", IMPROVES)
    ids = [event["id"] for event in room.events("olga")]
    assert ids == list(range(len(ids)))
    assert room.size() == len(ids)
    assert [e["id"] for e in room.events("alice", 3)] == ids[4:]
