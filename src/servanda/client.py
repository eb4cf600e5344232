"""The Python client of a Servanda server (httpx): everything a person can do in a room,
and :meth:`Client.play`, with which a strategy written for the engine plays a live room
unchanged.

>>> client = Client.login("http://127.0.0.1:8000", "alice", "correct horse battery")
>>> room = client.create_room("examples/moscow-2025.yaml", rounds=20)
>>> for event in client.watch(room):
...     print(event["id"], event["type"])

Signing happens here, with the signer's own key: the server hands out the statement, the
client signs its canonical bytes and uploads signature and public key only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from httpx_sse import connect_sse

from servanda.crypto import public_hex
from servanda.crypto.signing import sign
from servanda.errors import ServandaError
from servanda.formats.files import load_uncertain_scenario
from servanda.formats.native import from_document, to_document
from servanda.model import Scenario
from servanda.model.uncertainty import UncertainScenario
from servanda.negotiation.strategy import Context, Strategy
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Event


class ApiError(ServandaError):
    """The server refused a request: its HTTP status, its explanation, the field at fault."""

    def __init__(self, status: int, detail: str, field: str | None = None):
        self.status, self.detail, self.field = status, detail, field
        super().__init__(f"{status}: {detail}")


class Client:
    """A person signed in to a server with a bearer token."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 30.0,
                 http: httpx.Client | None = None):
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = http or httpx.Client(base_url=self.url, timeout=timeout)
        self.http.headers.update(headers)
        self.token = token

    @classmethod
    def login(cls, url: str, username: str, password: str, label: str = "servanda client", **options: Any) -> Client:
        """Sign in: a new bearer token for ``username``."""
        anonymous = cls(url, **options)
        token = anonymous._call("POST", "/api/tokens", json={"username": username, "password": password,
                                                               "label": label})["token"]
        anonymous.http.headers["Authorization"] = f"Bearer {token}"
        anonymous.token = token
        return anonymous

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- accounts ----------------------------------------------------------------------------

    def register(self, username: str, password: str) -> dict[str, Any]:
        return self._call("POST", "/api/accounts", json={"username": username, "password": password})

    def me(self) -> dict[str, Any]:
        return self._call("GET", "/api/me")

    # -- rooms -------------------------------------------------------------------------------

    def create_room(self, scenario: str | Path | Scenario | UncertainScenario, *, protocol: str = "alternating",
                    rounds: int | None = None, seconds: float | None = None, bots: Mapping[str, str] | None = None,
                    title: str | None = None) -> str:
        """Convene a room from a scenario (a file in any format Servanda reads, or a model)."""
        if isinstance(scenario, str | Path):
            scenario = load_uncertain_scenario(scenario)
        text = json.dumps(to_document(scenario))
        body = {"scenario": {"text": text}, "protocol": protocol, "rounds": rounds, "seconds": seconds,
                "bots": dict(bots or {}), "title": title}
        return self._call("POST", "/api/rooms", json=body)["id"]

    def invite(self, room: str, role: str, party: str | None = None, representative: str | None = None,
               representative_role: str | None = None) -> str:
        """A one-time invitation token."""
        body = {"role": role, "party": party, "representative": representative,
                "representative_role": representative_role}
        return self._call("POST", f"/api/rooms/{room}/invitations", json=body)["token"]

    def join(self, token: str) -> str:
        return self._call("POST", f"/api/invitations/{token}")["room"]

    def room(self, room: str) -> dict[str, Any]:
        return self._call("GET", f"/api/rooms/{room}")

    def scenario(self, room: str) -> dict[str, Any]:
        return self._call("GET", f"/api/rooms/{room}/scenario")

    def preferences(self, room: str, party: str) -> dict[str, Any]:
        return self._call("GET", f"/api/rooms/{room}/preferences/{party}")

    def set_preferences(self, room: str, preferences: Mapping[str, Any]) -> int:
        return self._call("PUT", f"/api/rooms/{room}/preferences", json={"preferences": dict(preferences)})["id"]

    def grant_mediator(self, room: str, allowed: bool = True) -> int:
        return self._call("PUT", f"/api/rooms/{room}/grant", json={"mediator_may_read": allowed})["id"]

    # -- negotiating -------------------------------------------------------------------------

    def propose(self, room: str, outcome: Mapping[str, Any]) -> list[int]:
        return self._call("POST", f"/api/rooms/{room}/offers", json={"outcome": dict(outcome)})["events"]

    def accept(self, room: str) -> list[int]:
        return self._call("POST", f"/api/rooms/{room}/accept")["events"]

    def reject(self, room: str) -> list[int]:
        return self._call("POST", f"/api/rooms/{room}/reject")["events"]

    def walk_away(self, room: str) -> list[int]:
        return self._call("POST", f"/api/rooms/{room}/walk-away")["events"]

    def comment(self, room: str, text: str, kind: str = "comment", outcome: Mapping[str, Any] | None = None) -> int:
        body = {"text": text, "kind": kind, "outcome": dict(outcome) if outcome is not None else None}
        return self._call("POST", f"/api/rooms/{room}/comments", json=body)["id"]

    def score(self, room: str, outcome: Mapping[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"/api/rooms/{room}/score", json={"outcome": dict(outcome)})

    def improvements(self, room: str, offer: int | None = None, top: int = 5) -> list[dict[str, Any]]:
        """Pareto improvements on the offer event ``offer`` (default: the agreement, or else
        the offer on the table), each with your own gain."""
        body = {"offer": offer} if offer is not None else None
        return self._call("POST", f"/api/rooms/{room}/improvements", json=body, params={"top": top})

    # -- the record --------------------------------------------------------------------------

    def events(self, room: str, after: int = -1, limit: int = 500) -> list[dict[str, Any]]:
        return self._call("GET", f"/api/rooms/{room}/events", params={"after": after, "limit": limit})

    def watch(self, room: str, after: int = -1, *, reconnect: bool = True, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """The room's events as they happen (Server-Sent Events), from after event
        ``after``. A dropped connection is resumed with ``Last-Event-ID``: no event is
        missed or repeated. ``timeout`` ends the watch after that many seconds of silence."""
        last = after
        while True:
            headers = {"Last-Event-ID": str(last)}
            try:
                with connect_sse(self.http, "GET", f"/api/rooms/{room}/stream", headers=headers,
                                 timeout=httpx.Timeout(10.0, read=timeout)) as source:
                    if source.response.status_code != 200:
                        source.response.read()
                        _raise_for(source.response)
                    for message in source.iter_sse():
                        if not message.data:
                            continue
                        event = json.loads(message.data)
                        last = event["id"]
                        yield event
                return
            except httpx.ReadTimeout:
                return
            except (httpx.TransportError, httpx.RemoteProtocolError):
                if not reconnect:
                    raise
                time.sleep(0.5)

    def status(self, room: str) -> dict[str, Any] | None:
        return self.room(room)["status"]

    def bundle(self, room: str, version: int | None = None) -> dict[str, Any]:
        params = {"version": version} if version is not None else {}
        return self._call("GET", f"/api/rooms/{room}/bundle", params=params)

    def tree_head(self, room: str) -> dict[str, Any]:
        return self._call("GET", f"/api/rooms/{room}/log/head")

    def consistency(self, room: str, old_size: int, new_size: int | None = None) -> dict[str, Any]:
        params = {"old_size": old_size} | ({"new_size": new_size} if new_size is not None else {})
        return self._call("GET", f"/api/rooms/{room}/log/consistency", params=params)

    # -- signed acts -------------------------------------------------------------------------

    def prepare(self, room: str, act: str, **fields: Any) -> dict[str, Any]:
        """The statement of a treaty act, as the server prepares it for signing."""
        return self._call("POST", f"/api/rooms/{room}/acts/prepare", json={"act": act, "fields": fields})

    def sign(self, room: str, key: Ed25519PrivateKey, act: str = "signature", /, **fields: Any) -> int:
        """Prepare a treaty act, sign it here with ``key`` and submit it; its event id.
        Acts: party (fields: key), office (holder, role, key), mandate (holder, key,
        powers, not_before, not_after, delegable, parent), revocation (target, reason),
        draft (title, requires_ratification, clauses), signature (version, mandate),
        ratification (version, instrument). ``room``, ``key`` and ``act`` are positional, so
        that an act's own ``key`` field (an office's or mandate's public key) can be given."""
        if act == "party" and "key" not in fields:
            fields["key"] = public_hex(key)
        statement = self.prepare(room, act, **fields)["statement"]
        return self.submit(room, statement, key)

    def submit(self, room: str, statement: Mapping[str, Any], key: Ed25519PrivateKey) -> int:
        """Sign ``statement`` with ``key`` and submit it."""
        body = {"statement": dict(statement), "signer": public_hex(key), "signature": sign(key, statement)}
        return self._call("POST", f"/api/rooms/{room}/acts", json=body)["id"]

    # -- a strategy in a live room -----------------------------------------------------------

    def play(self, room: str, strategy: Strategy, *, seed: int = 0, timeout: float | None = 60.0) -> dict[str, Any]:
        """Take this person's seat in ``room`` with an engine strategy, under alternating
        offers: on each of the party's turns the strategy answers the offer on the table or
        proposes, seeing its own preferences and the public record only, as in the engine.
        Returns the room once the negotiation has ended."""
        view = self.room(room)
        party = view["me"]["party"]
        local = _own_table(self.scenario(room), party, self.preferences(room, party)["preferences"])
        rng = np.random.default_rng(seed)
        position = view["parties"].index(party)
        record: list[Event] = []
        offers: dict[int, int] = {}
        space = local.scenario.space
        started = time.monotonic()
        for event in self.watch(room, timeout=timeout):
            _follow(event, view["parties"], space, record, offers)
            if event["id"] < view["last_event"] and view["phase"] == "open":
                continue
            view = self.room(room)
            if view["phase"] != "open":
                return view
            if view["to_act"] != party or event["id"] < view["last_event"]:
                continue
            context = _context(local, position, view, record, rng, started)
            on_table = view["on_table"]
            if on_table is not None and on_table["by"] != party:
                offer = space.index_of(space.parse(on_table["outcome"]))
                action = strategy.respond(context, offer)
                if action is Action.ACCEPT and not local.breaks[offer, 0]:
                    self.accept(room)
                    continue
                if action is Action.END:
                    self.walk_away(room)
                    continue
            proposal = strategy.propose(context)
            if proposal is None:
                self.walk_away(room)
            else:
                self.propose(room, space.describe(space.outcome_at(int(proposal))))
        return self.room(room)

    # -- internals ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, **options: Any) -> Any:
        response = self.http.request(method, path, **options)
        if response.status_code >= 400:
            _raise_for(response)
        return response.json() if response.content else None


def _raise_for(response: httpx.Response) -> None:
    try:
        problem = response.json()
        detail, field = problem.get("detail", response.text), problem.get("field")
    except ValueError:
        detail, field = response.text or response.reason_phrase, None
    raise ApiError(response.status_code, str(detail), field)


def _own_table(public: Mapping[str, Any], party: str, block: Mapping[str, Any]) -> OutcomeTable:
    """The outcome table of a one-party scenario: the room's issues and this party's own
    preferences — all a strategy may see."""
    own = next(doc for doc in public["parties"] if doc["name"] == party)
    document = {**public, "parties": [{**own, **block}]}
    return OutcomeTable.of(from_document(json.loads(json.dumps(document)), source="room").scenario)


def _follow(event: Mapping[str, Any], parties: list[str], space: Any, record: list[Event],
            offers: dict[int, int]) -> None:
    """Add an offer or answer of the room's record to the engine's record."""
    kind = event.get("type")
    who = parties.index(event["party"]) if event.get("party") in parties else -1
    if kind == "offer":
        index = space.index_of(space.parse(event["outcome"]))
        offers[event["id"]] = index
        record.append(Event(event.get("round", 0), 0.0, who, Action.OFFER, index))
    elif kind in ("accept", "reject") and event.get("offer") in offers:
        action = Action.ACCEPT if kind == "accept" else Action.REJECT
        record.append(Event(record[-1].round if record else 0, 0.0, who, action, offers[event["offer"]]))


def _context(table: OutcomeTable, position: int, view: Mapping[str, Any], record: list[Event],
             rng: np.random.Generator, started: float) -> Context:
    party = table.scenario.parties[0]
    utilities, forbidden = table.columns[0]
    rounds = view["rounds"]
    share = view["round"] / rounds if rounds else 0.0
    return Context(position, utilities, forbidden, table.allowed_ranking[0], table.allowed_ranked_utilities[0],
                   party.reservation, view["round"], min(1.0, share), record, rng, party.discount, table.outcomes)


__all__ = ["ApiError", "Client"]
