"""Live rooms: what a person may do in a room, and what each person sees of it.

Every change to a room happens in one write transaction that locks the room's row, checks
the request against the room's rules (:mod:`servanda.rooms.protocol`), the person's place
in the room and their party's own red lines, appends the resulting events to the room's
ledger, and updates the room — all committed together or not at all. A room's events are
the entries of its ledger, so an event's id is its entry's number: gapless and
increasing. Signed acts (party and office registrations, mandates, drafts, signatures,
ratifications) are treaty records in the same ledger, checked by
:class:`~servanda.treaty.record.TreatyRecord`; everything else is a room record whose kind
starts with ``room.``.

Confidentiality: a party's preferences are read only by its members, and by the room's
mediator where the party granted it. Each person sees every event, each scored from
their own side only (:mod:`servanda.rooms.views`).
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Literal, TypeVar

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, insert, select, text, update

from servanda.crypto import canonical_json, parse_json
from servanda.errors import AccessDenied, InvalidRequest, NotFound, RoomError, ServandaError
from servanda.formats.drafts import ClauseDoc, DraftDoc
from servanda.ledger import Ledger
from servanda.ledger.log import read_tail
from servanda.ledger.timestamps import parse_timestamp, utc_timestamp
from servanda.model import Scenario
from servanda.model.parties import Role
from servanda.model.uncertainty import UncertainScenario
from servanda.negotiation.strategies import make_strategy
from servanda.negotiation.strategy import Strategy
from servanda.negotiation.table import OutcomeTable
from servanda.rooms import bots, checks, protocol, scenarios, views
from servanda.rooms.protocol import MEDIATOR, Phase, RoomState
from servanda.store import (
    accounts,
    invitations,
    logs,
    members,
    preferences,
    rooms,
    seats,
    stored_scenarios,
    writing,
)
from servanda.store.writer import AfterCommit, Writer, may_wait
from servanda.treaty.authority import holdings
from servanda.treaty.drafts import implied_outcome
from servanda.treaty.record import ROOM_EVENTS, TreatyRecord
from servanda.treaty.statements import DraftVersion, Envelope, Power, Revocation, parse_statement

_log = logging.getLogger(__name__)

PROTOCOLS = ("alternating", "single-text")
ROLES = ("party", "mediator", "observer")
COMMENT_KINDS = ("comment", "question", "suggestion")
MOVES = ("propose", "accept", "reject", "walk_away", "comment")  # see Rooms.move
RECENT_EVENTS = 64  # per room, kept in memory for its streams
MAX_COMMENT = 4000
POSTGRES_WRITERS = 2  # transactions in flight at once on PostgreSQL (SQLite has one writer)

# The statements of every move and every read, built once (building costs more than running).
_MEMBER = (
    select(members, rooms.c.convener_id, accounts.c.username)
    .join(rooms, rooms.c.id == members.c.room_id)
    .join(accounts, accounts.c.id == members.c.account_id)
    .where(members.c.room_id == bindparam("room"), members.c.account_id == bindparam("account"))
)
_SALTS = (select(preferences.c.party, preferences.c.salt)
          .where(preferences.c.room_id == bindparam("room")).order_by(preferences.c.party))
_ROOM = select(rooms.c.id, rooms.c.state, rooms.c.log_id).where(rooms.c.id == bindparam("room"))
_LOCK_ROOM, _LOCK_ROOM_NOWAIT = _ROOM.with_for_update(of=rooms), _ROOM.with_for_update(of=rooms, nowait=True)
_STATE = select(rooms.c.state).where(rooms.c.id == bindparam("room"))
_NOTIFY = text("SELECT pg_notify('servanda_events', payload) FROM unnest(CAST(:payloads AS text[])) AS payload")
_SET_STATE = update(rooms).where(rooms.c.id == bindparam("room")).values(state=bindparam("state"))

#: ``listener(room_id, last_event_id)``, called after every commit that added events.
Listener = Callable[[str, int], None]

#: Who acts: an account, or how to find it inside the move's transaction (checking a
#: credential there saves the request a connection of its own).
Who = int | Callable[[Connection], int]

T = TypeVar("T")


@dataclass(frozen=True)
class Member:
    """A person's place in a room."""

    account: int
    username: str
    role: str  # "party", "mediator" or "observer"
    party: str | None
    representative: str | None
    convener: bool


@dataclass(frozen=True)
class _Facts:
    """What never changes once a room exists: its public scenario, its seats, its start."""

    public: dict[str, Any]
    seats: dict[str, str | None]  # party -> bot spec (None: people)
    started: datetime


@dataclass
class _Txn:
    """One write transaction on one room."""

    connection: Connection
    room: Any  # the room's row (its id and state), locked
    state: RoomState
    ledger: Ledger
    written: list[tuple[int, str, str, Any]] = field(default_factory=list)  # as records() gives them


class Rooms:
    """The rooms of one store. Every change to a room goes through one :class:`Writer`
    (group commit: the moves waiting are committed together); :meth:`close` stops it."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._writer = Writer(engine, threads=POSTGRES_WRITERS if self.postgres else 1)
        self._listeners: list[Listener] = []
        self._ledgers: dict[str, Ledger] = {}
        self._records: dict[str, TreatyRecord] = {}
        self._strategies: dict[tuple[str, str], Strategy] = {}
        self._facts: dict[str, _Facts] = {}
        self._scenarios: dict[str, tuple[Any, Scenario]] = {}  # room -> (key, scenario)
        self._members: dict[tuple[str, int], tuple[int, Member]] = {}  # (room, account) -> (joins, place)
        self._recent: dict[str, list[tuple[int, str, str, Any]]] = {}  # room -> its latest events
        self._lock = threading.Lock()

    def close(self) -> None:
        """Finish the changes under way and stop the writer."""
        self._writer.close()

    def listen(self, listener: Listener) -> None:
        """Call ``listener`` after every commit in this process that adds events."""
        self._listeners.append(listener)

    # -- rooms and people -------------------------------------------------------------------

    def create(self, account: int, scenario: Scenario | UncertainScenario, *, title: str | None = None,
               protocol_name: str = "alternating", rounds: int | None = None, seconds: float | None = None,
               bots_by_party: Mapping[str, str] | None = None) -> str:
        """A new room from ``scenario``, convened by ``account``; its id."""
        model = scenario.scenario if isinstance(scenario, UncertainScenario) else scenario
        title = checks.title(title if title is not None else model.name, given=title is not None)
        if protocol_name not in PROTOCOLS:
            raise InvalidRequest(f"unknown protocol; expected one of {', '.join(PROTOCOLS)}", field="protocol")
        if rounds is None and seconds is None:
            raise InvalidRequest("a room needs a deadline: rounds, seconds or both", field="rounds")
        if rounds is not None and not 1 <= rounds <= 100_000:
            raise InvalidRequest("rounds must be between 1 and 100000", field="rounds")
        if seconds is not None and not 0 < seconds <= 366 * 86400:
            raise InvalidRequest("seconds must be positive and at most a year", field="seconds")
        bots_by_party = dict(bots_by_party or {})
        for party, spec in bots_by_party.items():
            if party not in model.party_names:
                raise InvalidRequest(f"no party '{party}' in the scenario", field=f"bots.{party}")
            try:
                make_strategy(spec)
            except (ValueError, ServandaError) as exc:
                raise InvalidRequest(f"{exc}", field=f"bots.{party}") from None
        if protocol_name == "alternating":
            # bots need the whole table of outcomes; refuse a space too large for them now
            _require_table(model, bots_by_party)
        public, private = scenarios.split(scenario)
        now = datetime.now(timezone.utc)
        state = RoomState(
            protocol=protocol_name, order=list(model.party_names), rounds=rounds,
            ends_at=utc_timestamp(now + timedelta(seconds=seconds)) if seconds else None,
        )
        room_id = _new_id(12)

        def work(connection: Connection) -> None:
            ledger = Ledger.create(self.engine, f"room:{room_id}", connection=connection)
            TreatyRecord.open_new(ledger, title, ledger.stored_key)
            connection.execute(insert(rooms).values(
                id=room_id, title=title, convener_id=account, log_id=_log_id(connection, ledger),
                scenario=canonical_json(public).decode(), protocol=protocol_name,
                state=state.model_dump_json(), created_at=utc_timestamp(now),
            ))
            for party in model.party_names:
                connection.execute(insert(seats).values(room_id=room_id, party=party, bot=bots_by_party.get(party)))
                connection.execute(insert(preferences).values(
                    room_id=room_id, party=party, document=canonical_json(private[party]).decode(),
                    salt=scenarios.new_salt(), mediator_may_read=False, updated_at=utc_timestamp(now),
                ))
            connection.execute(insert(members).values(
                room_id=room_id, account_id=account, role="observer", party=None, representative=None,
                joined_at=utc_timestamp(now),
            ))
            txn = _Txn(connection, None, state, ledger)
            txn.room = connection.execute(select(rooms).where(rooms.c.id == room_id)).first()
            self._append(txn, {
                "type": "created", "title": title, "protocol": protocol_name, "rounds": rounds,
                "ends_at": state.ends_at, "parties": list(model.party_names),
                "bots": {party: spec for party, spec in bots_by_party.items()},
            }, by=None)
            commitments = [_commitment_event(row) for row in
                           connection.execute(select(preferences).where(preferences.c.room_id == room_id))]
            latest = self._extend(txn, commitments, by=None)[-1]
            opened = state.model_copy(update={"preferences": latest, "log": ledger.tail})
            connection.execute(_SET_STATE, {"room": room_id, "state": opened.model_dump_json()})
            self._after_commit(room_id, txn.written)

        self._writer.run(work)
        self._writer.run(lambda connection: self._bots_in(connection, room_id))
        return room_id

    def store_scenario(self, account: int, scenario: Scenario | UncertainScenario) -> str:
        """Keep a scenario for ``account`` to create rooms from later; its id."""
        model = scenario.scenario if isinstance(scenario, UncertainScenario) else scenario
        scenario_id = _new_id(12)
        with writing(self.engine) as connection:
            connection.execute(insert(stored_scenarios).values(
                id=scenario_id, owner_id=account, name=model.name[:200],
                document=canonical_json(scenarios.document_of(scenario)).decode(), created_at=utc_timestamp(),
            ))
        return scenario_id

    def stored_scenario(self, account: int, scenario_id: str) -> UncertainScenario:
        """A scenario ``account`` stored."""
        with self.engine.connect() as connection:
            document = connection.execute(select(stored_scenarios.c.document).where(
                stored_scenarios.c.id == scenario_id, stored_scenarios.c.owner_id == account)).scalar_one_or_none()
        if document is None:
            raise NotFound(f"no stored scenario '{scenario_id}' of yours")
        return scenarios.from_json(document)

    def stored_scenarios(self, account: int) -> list[dict[str, str]]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(stored_scenarios.c.id, stored_scenarios.c.name, stored_scenarios.c.created_at)
                                      .where(stored_scenarios.c.owner_id == account)).all()
        return [dict(row._mapping) for row in rows]

    def invite(self, account: int, room_id: str, role: str, party: str | None = None,
               representative: str | None = None, representative_role: str | None = None) -> str:
        """A one-time invitation token to ``room_id`` (only its convener invites)."""
        member = self.member(account, room_id)
        if not member.convener:
            raise AccessDenied("only the room's convener invites people")
        if role not in ROLES:
            raise InvalidRequest(f"unknown role; expected one of {', '.join(ROLES)}", field="role")
        public = self._public(room_id)
        if role == "party":
            party_doc = checks.party_doc(public, party)
            representative, representative_role = checks.representative(party_doc, representative, representative_role)
        elif party is not None or representative is not None:
            raise InvalidRequest(f"a {role} acts for no party", field="party")
        token = _new_id(24)

        def step(txn: _Txn) -> None:
            txn.connection.execute(insert(invitations).values(
                digest=_digest(token), room_id=room_id, role=role, party=party,
                representative=representative, created_at=utc_timestamp(),
            ))
            event = {"type": "invited", "role": role}
            if party is not None:
                event |= {"party": party, "representative": representative, "representative_role": representative_role}
            self._append(txn, event, by=member)

        self._write(room_id, step)
        return token

    def join(self, account: int, username: str, token: str) -> str:
        """Redeem an invitation: ``account`` joins its room in its role; the room's id."""
        with self.engine.connect() as connection:
            found = connection.execute(select(invitations).where(invitations.c.digest == _digest(token))).first()
            if found is None or found.used_by is not None:
                raise NotFound("no such invitation, or it has been used")

        def step(txn: _Txn) -> None:
            again = txn.connection.execute(
                select(invitations.c.used_by).where(invitations.c.digest == _digest(token))
            ).scalar_one()
            if again is not None:
                raise NotFound("no such invitation, or it has been used")
            existing = txn.connection.execute(select(members).where(
                members.c.room_id == found.room_id, members.c.account_id == account)).first()
            if existing is not None and existing.role != "observer":
                raise RoomError("you are already in this room; one person takes one place")
            now = utc_timestamp()
            txn.connection.execute(update(invitations).where(invitations.c.digest == _digest(token))
                                   .values(used_by=account, used_at=now))
            values = dict(role=found.role, party=found.party, representative=found.representative, joined_at=now)
            if existing is None:
                txn.connection.execute(insert(members).values(room_id=found.room_id, account_id=account, **values))
            else:
                txn.connection.execute(update(members).where(
                    members.c.room_id == found.room_id, members.c.account_id == account).values(**values))
            event = {"type": "joined", "username": username, "role": found.role}
            if found.party is not None:
                event |= {"party": found.party, "representative": found.representative}
            self._append(txn, event, by=None)
            txn.state = txn.state.model_copy(update={"joins": txn.state.joins + 1})

        self._write(found.room_id, step)
        return found.room_id

    def member(self, account: int, room_id: str) -> Member:
        """``account``'s place in the room; NotFound for anyone not in it (a room is
        invisible to outsiders)."""
        with self.engine.connect() as connection:
            return _member(connection, room_id, account)

    def rooms_of(self, account: int) -> list[dict[str, Any]]:
        """The rooms ``account`` is in."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(rooms.c.id, rooms.c.title, rooms.c.protocol, rooms.c.state, members.c.role, members.c.party)
                .join(members, members.c.room_id == rooms.c.id)
                .where(members.c.account_id == account).order_by(rooms.c.created_at)
            ).all()
        return [{"id": row.id, "title": row.title, "protocol": row.protocol, "role": row.role,
                 "party": row.party, "phase": RoomState.model_validate_json(row.state).phase.value} for row in rows]

    # -- preferences -------------------------------------------------------------------------

    def preferences(self, account: int, room_id: str, party: str) -> dict[str, Any]:
        """``party``'s confidential preferences, for its own members and a granted mediator."""
        member = self.member(account, room_id)
        with self.engine.connect() as connection:
            row = self._preference_row(connection, room_id, party)
        if not _may_read(member, party, row.mediator_may_read):
            raise AccessDenied(f"only {party} (and a mediator it allows) reads its preferences")
        return {"party": party, "preferences": parse_json(row.document.encode()), "salt": row.salt,
                "commitment": scenarios.commitment(party, parse_json(row.document.encode()), row.salt),
                "mediator_may_read": row.mediator_may_read}

    def set_preferences(self, account: int, room_id: str, block: Any) -> int:
        """Replace the preferences of the person's own party; the commitment event's id."""
        member = self.member(account, room_id)
        party = _own_party(member)
        public, private = self._scenario_parts(room_id)
        checked = scenarios.check_block(public, private, party, block)

        def step(txn: _Txn) -> int:
            _require_phase(txn.state, Phase.OPEN)
            txn.connection.execute(update(preferences).where(
                preferences.c.room_id == room_id, preferences.c.party == party
            ).values(document=canonical_json(checked).decode(), salt=scenarios.new_salt(), updated_at=utc_timestamp()))
            row = self._preference_row(txn.connection, room_id, party)
            event = self._append(txn, _commitment_event(row), by=member)
            txn.state = txn.state.model_copy(update={"preferences": event})
            return event

        return self._write(room_id, step)

    def grant_mediator(self, account: int, room_id: str, allowed: bool) -> int:
        """Let the room's mediator read the person's party's preferences (or stop it)."""
        member = self.member(account, room_id)
        party = _own_party(member)

        def step(txn: _Txn) -> int:
            txn.connection.execute(update(preferences).where(
                preferences.c.room_id == room_id, preferences.c.party == party).values(mediator_may_read=allowed))
            return self._append(txn, {"type": "grant", "party": party, "mediator_may_read": allowed}, by=member)

        return self._write(room_id, step)

    def scenario(self, room_id: str) -> Scenario:
        """The whole scenario, every party's preferences included: for computations only,
        never to be shown whole. Cached until a party's preferences change."""
        with self.engine.connect() as connection:
            state = connection.execute(_STATE, {"room": room_id}).scalar_one_or_none()
            if state is None:
                raise NotFound(f"no room '{room_id}'")
            return self._scenario_of(connection, room_id, RoomState.model_validate_json(state))

    def _scenario_of(self, connection: Connection, room_id: str, state: RoomState) -> Scenario:
        """The scenario in force in ``state``: every change of preferences is an event, and
        the room's state names the latest (a room from before it did: their salts, each
        drawn afresh by a change)."""
        key = (state.preferences if state.preferences is not None
               else tuple(connection.execute(_SALTS, {"room": room_id}).all()))
        cached = self._scenarios.get(room_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        public, private = self._scenario_parts(room_id, connection)
        scenario = scenarios.assemble(public, private)
        self._scenarios[room_id] = (key, scenario)
        return scenario

    def public_scenario(self, account: int, room_id: str) -> dict[str, Any]:
        self.member(account, room_id)
        return self._public(room_id)

    # -- negotiating -------------------------------------------------------------------------

    def propose(self, account: int, room_id: str, outcome: Mapping[str, Any]) -> list[int]:
        """Put ``outcome`` on the table (an offer, a counter-offer, a mediator's text, or
        a post-settlement improvement); the ids of the events recorded."""
        return self.move(account, "propose", room_id, outcome=outcome).result()

    def accept(self, account: int, room_id: str) -> list[int]:
        """Accept what is on the table (an offer, a text, a post-settlement improvement)."""
        return self.move(account, "accept", room_id).result()

    def reject(self, account: int, room_id: str) -> list[int]:
        """Reject what is on the table."""
        return self.move(account, "reject", room_id).result()

    def walk_away(self, account: int, room_id: str) -> list[int]:
        """End the negotiation without agreement."""
        return self.move(account, "walk_away", room_id).result()

    def comment(self, account: int, room_id: str, body: str, kind: str = "comment",
                outcome: Mapping[str, Any] | None = None) -> int:
        """A discussion message (not binding): a comment, a question, or a suggestion,
        which may carry a package; its event's id."""
        return self.move(account, "comment", room_id, body=body, kind=kind, outcome=outcome).result()

    def move(self, who: Who, name: str, room_id: str, **fields: Any) -> Future:
        """``who`` makes the move ``name`` (``propose``, ``accept``, ``reject``,
        ``walk_away`` or ``comment``, with that method's fields) without waiting: a future of
        what the method returns, resolved once the move is committed, together with the
        answers of the room's bots. Everything, the person's place included, is checked in
        the move's transaction, the room locked."""
        if name not in MOVES:
            raise ValueError(f"no move '{name}'; expected one of {', '.join(MOVES)}")
        make = getattr(self, f"_{name}")

        def work(connection: Connection) -> Any:
            account = who if isinstance(who, int) else who(connection)
            done = make(connection, account, room_id, **fields)
            self._bots_in(connection, room_id)
            return done

        return self._writer.submit(work)

    def _propose(self, connection: Connection, account: int, room_id: str, outcome: Mapping[str, Any]) -> list[int]:
        def step(txn: _Txn, actor: str, member: Member) -> list[int]:
            scenario = self._scenario_of(connection, room_id, txn.state)
            labels = checks.package(scenario, outcome)
            if actor != MEDIATOR:
                broken = checks.broken_red_lines(scenario, actor, labels)
                if broken:
                    raise RoomError(f"this offer breaks your red line '{broken[0]}'; an offer binds its proposer",
                                    field="outcome")
            return self._apply(txn, *protocol.propose(txn.state, actor, labels, self._next_id(txn)), member)

        return self._act(connection, room_id, account, step)

    def _accept(self, connection: Connection, account: int, room_id: str) -> list[int]:
        def step(txn: _Txn, party: str, member: Member) -> list[int]:
            scenario = self._scenario_of(connection, room_id, txn.state)
            on_table = txn.state.improvement.outcome if txn.state.improvement else txn.state.offer
            broken = checks.broken_red_lines(scenario, party, on_table) if on_table is not None else []
            if broken:
                raise RoomError(f"this offer breaks your red line '{broken[0]}'; red lines bind")
            return self._apply(txn, *protocol.accept(txn.state, party, self._next_id(txn)), member)

        return self._act(connection, room_id, account, step, party_only=True)

    def _reject(self, connection: Connection, account: int, room_id: str) -> list[int]:
        return self._act(connection, room_id, account, lambda txn, party, member: self._apply(
            txn, *protocol.reject(txn.state, party), member), party_only=True)

    def _walk_away(self, connection: Connection, account: int, room_id: str) -> list[int]:
        return self._act(connection, room_id, account, lambda txn, party, member: self._apply(
            txn, *protocol.walk_away(txn.state, party), member), party_only=True)

    def _comment(self, connection: Connection, account: int, room_id: str, body: str, kind: str = "comment",
                 outcome: Mapping[str, Any] | None = None) -> int:
        def step(txn: _Txn) -> int:
            member = self._member_of(txn, account)
            if member.role == "observer":
                raise AccessDenied("observers read the record; they do not speak in the room")
            if kind not in COMMENT_KINDS:
                raise InvalidRequest(f"unknown kind; expected one of {', '.join(COMMENT_KINDS)}", field="kind")
            if not isinstance(body, str) or not body.strip() or len(body) > MAX_COMMENT:
                raise InvalidRequest(f"a message has 1 to {MAX_COMMENT} characters", field="text")
            if any(ord(c) < 32 and c not in "\n\t" for c in body):
                raise InvalidRequest("a message may not contain control characters", field="text")
            event: dict[str, Any] = {"type": "comment", "kind": kind, "text": body}
            if member.party is not None:
                event["party"] = member.party
            if outcome is not None:
                if kind != "suggestion":
                    raise InvalidRequest("only a suggestion carries a package", field="outcome")
                event["outcome"] = checks.package(self._scenario_of(connection, room_id, txn.state), outcome)
            return self._append(txn, event, by=member)

        return self._in_room(connection, room_id, step)

    def state(self, account: int, room_id: str) -> tuple[Member, RoomState, dict[str, Any]]:
        """The person's place, the room's state and its row's public fields."""
        member = self.member(account, room_id)
        with self.engine.connect() as connection:
            row = connection.execute(select(rooms).where(rooms.c.id == room_id)).one()
            people = connection.execute(
                select(accounts.c.username, members.c.role, members.c.party, members.c.representative)
                .join(accounts, accounts.c.id == members.c.account_id).where(members.c.room_id == room_id)
            ).all()
        info = {"id": row.id, "title": row.title, "protocol": row.protocol, "created_at": row.created_at,
                "seats": dict(self._facts_of(room_id).seats), "people": [dict(p._mapping) for p in people]}
        return member, RoomState.model_validate_json(row.state), info

    def view(self, account: int, room_id: str) -> dict[str, Any]:
        """The room as ``account`` sees it: its rules and state, what is on the table and
        the agreement scored from their side, its people, and the agreement's status."""
        member, state, info = self.state(account, room_id)
        viewer = self.viewer(member, room_id)
        scenario = self.scenario(room_id)

        def on_table(outcome: Mapping[str, Any] | None, event: int | None, by: str | None,
                     accepted: list[str]) -> dict[str, Any] | None:
            if outcome is None:
                return None
            return {"event": event, "by": by, "outcome": outcome, "accepted_by": accepted,
                    "scores": views.scores(scenario, viewer, outcome)}

        improvement = state.improvement
        record = self._record(room_id)
        status = record.status().as_dict() if record.evidence().draft() is not None else None
        return {
            "id": room_id, "title": info["title"], "protocol": state.protocol, "phase": state.phase.value,
            "ending": state.ending, "round": state.round, "rounds": state.rounds, "ends_at": state.ends_at,
            "to_act": state.to_act, "offers": state.offers,
            "on_table": on_table(state.offer, state.offer_event, state.offer_by, state.accepted_by),
            "agreement": None if state.agreement is None else
            {"outcome": state.agreement, "scores": views.scores(scenario, viewer, state.agreement)},
            "improvement": None if improvement is None else
            on_table(improvement.outcome, improvement.event, improvement.by, improvement.accepted_by),
            "drafted": state.drafted, "parties": state.order, "seats": info["seats"], "people": info["people"],
            "me": {"username": member.username, "role": member.role, "party": member.party,
                   "representative": member.representative, "convener": member.convener},
            "status": status, "last_event": self.last_event(room_id),
        }

    def events(self, account: int, room_id: str, after: int = -1, limit: int | None = None) -> list[dict[str, Any]]:
        """The events after id ``after``, as ``account`` sees them."""
        return self.events_for(self.member(account, room_id), room_id, after, limit)

    def events_for(self, member: Member, room_id: str, after: int = -1, limit: int | None = None) -> list[dict[str, Any]]:
        """The events after id ``after``, as ``member`` (already checked) sees them; the
        scenario is read only when some event has a package to score."""
        viewer = self.viewer(member, room_id)
        records = self.records(room_id, after, limit)
        scenario = self._scoring(room_id, viewer, records)
        if scenario is False:
            scenario = self.scenario(room_id)
        return views.events(records, scenario, viewer)

    def recent_events_for(self, member: Member, room_id: str, after: int = -1,
                          limit: int | None = None) -> list[dict[str, Any]] | None:
        """:meth:`events_for` from memory alone, without waiting for the store: None when it
        must be read (the events are not among the latest this process keeps, or the viewer
        is a mediator, whose grants are read afresh, or the preferences to score with are
        not at hand)."""
        if member.role == "mediator":
            return None
        records = self._recent_run(room_id, after, limit)
        if not records:
            return None
        viewer = self.viewer(member, room_id)  # no read: not a mediator
        scenario = self._scoring(room_id, viewer, records)
        return None if scenario is False else views.events(records, scenario, viewer)

    def _scoring(self, room_id: str, viewer: views.Viewer, records: list[tuple[int, str, str, Any]]
                 ) -> Scenario | None | Literal[False]:
        """The scenario to score ``records`` with for ``viewer``: None if nothing is to be
        scored, False if it must be read from the store."""
        if not viewer.readable or not any(kind.startswith(ROOM_EVENTS) and "outcome" in payload
                                          for _, kind, _, payload in records):
            return None
        # A stream scores with the preferences its own record says are in force: every
        # change of them is a "preferences" event, so one in the batch means read them again.
        cached = self._scenarios.get(room_id)
        changed = any(kind == ROOM_EVENTS + "preferences" for _, kind, _, _ in records)
        return cached[1] if cached is not None and not changed else False

    def score(self, account: int, room_id: str, outcome: Mapping[str, Any]) -> dict[str, Any]:
        """A package scored for the parties ``account`` may read (the proposal composer)."""
        member = self.member(account, room_id)
        scenario = self.scenario(room_id)
        labels = checks.package(scenario, outcome)
        return {"outcome": labels, "scores": views.scores(scenario, self.viewer(member, room_id), labels)}

    def improvements(self, account: int, room_id: str, offer: int | None = None, top: int = 5) -> list[dict[str, Any]]:
        """Efficient Pareto improvements on a package of the record — the offer (or text)
        event ``offer``, by default the agreement, or else the offer on the table — each with
        the viewer's own gain only. Only packages put on the table can be asked about: a
        question about any package would tell whether it is efficient for the room, an
        aggregate of everyone's preferences."""
        member = self.member(account, room_id)
        if member.role == "observer":
            raise AccessDenied("suggestions are for the parties and the mediator")
        scenario = self.scenario(room_id)
        if offer is None:
            with self.engine.connect() as connection:
                state = RoomState.model_validate_json(
                    connection.execute(select(rooms.c.state).where(rooms.c.id == room_id)).scalar_one())
            outcome = state.agreement if state.agreement is not None else state.offer
            if outcome is None:
                raise RoomError("there is no offer on the table to improve; name an offer of the record")
        else:
            found = self.records(room_id, offer - 1, 1) if offer >= 0 else []
            payload = found[0][3] if found and found[0][1].startswith(ROOM_EVENTS) else {}
            if payload.get("type") not in ("offer", "improvement", "agreement"):
                raise InvalidRequest(f"event {offer} puts no package on the table", field="offer")
            outcome = payload["outcome"]
        return views.improvements(scenario, outcome, self.viewer(member, room_id), top)

    # -- reading events ----------------------------------------------------------------------

    def records(self, room_id: str, after: int = -1, limit: int | None = None) -> list[tuple[int, str, str, Any]]:
        """The room's events after id ``after``: ``(id, kind, appended_at, payload)`` with
        the payload parsed (a room record, or a treaty record's envelope).

        The latest events this process committed are kept in memory: the streams of a room
        read each new event once from there rather than once each from the database (an
        entry never changes; events committed by other processes are read from the store)."""
        run = self._recent_run(room_id, after, limit)
        if run:
            return run
        ledger = self._ledger(room_id)
        stop = None if limit is None else after + 1 + limit
        return [_record_of(entry) for entry in ledger.entries(after + 1, stop)]

    def _recent_run(self, room_id: str, after: int, limit: int | None) -> list[tuple[int, str, str, Any]]:
        """The events after ``after`` among the latest kept in memory, as far as they run
        without a gap (none: the store must be read)."""
        with self._lock:
            recent = self._recent.get(room_id, ())
            start = bisect.bisect_left(recent, after + 1, key=lambda record: record[0])
            run = []
            for record in recent[start:start + limit if limit is not None else None]:
                if record[0] != after + 1 + len(run):
                    break
                run.append(record)
        return run

    def last_event(self, room_id: str) -> int:
        return self._ledger(room_id).size - 1

    # -- treaty acts -------------------------------------------------------------------------

    def prepare(self, account: int, room_id: str, act: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The statement of a treaty act for the person to sign where they keep their key."""
        member = self.member(account, room_id)
        party = _own_party(member)
        record = self._record(room_id)
        values = dict(fields)
        try:
            if act == "party":
                statement = record.party_statement(party, checks.key_hex(values, "key"))
            elif act == "office":
                role = Role(values.get("role", ""))
                statement = record.office_statement(party, checks.required_text(values, "holder"), role, checks.key_hex(values, "key"))
            elif act == "mandate":
                powers = values.get("powers", [])
                if not isinstance(powers, list):
                    raise InvalidRequest("expected a list of powers: negotiate, adopt, sign, ratify",
                                         field="fields.powers")
                powers = [Power(p) for p in powers]
                statement = record.mandate_statement(
                    party, checks.required_text(values, "holder"), checks.key_hex(values, "key"), powers,
                    checks.time_field(values, "not_before"), checks.time_field(values, "not_after"), checks.flag(values, "delegable"),
                    checks.optional_text(values, "parent"),
                )
            elif act == "revocation":
                statement = record.revocation_statement(checks.required_text(values, "target"), str(values.get("reason", "")))
            elif act == "draft":
                statement = record.draft_statement(self._draft_doc(room_id, values), party, member.representative)
            elif act == "signature":
                statement = record.signature_statement(party, member.representative, checks.version(values),
                                                       checks.optional_text(values, "mandate"))
            elif act == "ratification":
                statement = record.ratification_statement(party, checks.version(values),
                                                          str(values.get("instrument", "")))
            else:
                raise InvalidRequest("unknown act; expected party, office, mandate, revocation, draft, "
                                     "signature or ratification", field="act")
        except (ValueError, TypeError) as exc:
            raise InvalidRequest(str(exc).splitlines()[0], field="fields") from None
        payload = statement.payload()
        return {"statement": payload, "canonical": canonical_json(payload).decode()}

    def submit(self, account: int, room_id: str, envelope: Envelope) -> int:
        """Record a treaty act signed by the person's key; the event's id."""
        member = self.member(account, room_id)
        party = _own_party(member)
        try:
            statement = parse_statement(envelope.statement)
        except ValueError as exc:
            raise InvalidRequest(f"not a valid statement: {str(exc).splitlines()[0]}", field="statement") from None
        acting_for = self._acting_party(room_id, statement)
        if acting_for != party:
            raise AccessDenied(f"you act for {party}, and this act is {acting_for}'s")
        named = getattr(statement, "representative", None) or getattr(getattr(statement, "editor", None),
                                                                      "representative", None)
        if named is not None and named != member.representative:
            raise AccessDenied(f"you are {member.representative}; this act names {named}")

        def step(txn: _Txn) -> int:
            record = self._record(room_id).bound(txn.connection, txn.ledger)
            if isinstance(statement, DraftVersion):
                self._require_draft_of_agreement(room_id, txn.state, statement)
            act = record.submit(envelope)
            txn.written.append(_record_of(txn.ledger.entry(act.seq)))
            if isinstance(statement, DraftVersion):
                txn.state = protocol.mark_drafted(txn.state)
            return act.seq

        return self._write(room_id, step)

    def viewer(self, member: Member, room_id: str) -> views.Viewer:
        """How the room shows itself to ``member`` (whose preferences they may read)."""
        if member.role == "party":
            readable = frozenset({member.party})
        elif member.role == "mediator":
            with self.engine.connect() as connection:
                readable = frozenset(connection.execute(select(preferences.c.party).where(
                    preferences.c.room_id == room_id, preferences.c.mediator_may_read.is_(True))).scalars())
        else:
            readable = frozenset()
        return views.Viewer(member.role, member.party, readable)

    def treaty(self, room_id: str) -> TreatyRecord:
        """The room's treaty record (read only: acts go through :meth:`submit`)."""
        return self._record(room_id)

    def powers(self, account: int, room_id: str) -> list[dict[str, Any]]:
        """Who holds which powers for each party now, from the room's signed record: offices
        (with or without full powers) and valid mandates (:func:`~servanda.treaty.authority.holdings`)."""
        self.member(account, room_id)
        evidence = self._record(room_id).evidence()
        return [holding.as_dict() for holding in holdings(evidence, datetime.now(timezone.utc))]

    # -- internals ---------------------------------------------------------------------------

    def _write(self, room_id: str, step: Callable[[_Txn], T]) -> T:
        """Run ``step`` on the room in a transaction of the writer, and wait for its commit."""
        return self._writer.run(lambda connection: self._in_room(connection, room_id, step))

    def _in_room(self, connection: Connection, room_id: str, step: Callable[[_Txn], T]) -> T:
        """Run ``step`` on the room, its row locked, in the writer's transaction
        ``connection``; listeners hear of the events appended once it has committed."""
        lock = _LOCK_ROOM if may_wait(connection) else _LOCK_ROOM_NOWAIT
        row = connection.execute(lock, {"room": room_id}).first()
        if row is None:
            raise NotFound(f"no room '{room_id}'")
        state = RoomState.model_validate_json(row.state)
        # The room's lock keeps others from appending to its ledger, and its state keeps the
        # ledger's tail (a room from before it did: read now, under the lock).
        tail = state.log if state.log is not None else read_tail(connection, row.log_id)
        txn = _Txn(connection, row, state, self._ledger(room_id).bound(connection, tail))
        done = step(txn)
        if txn.ledger.tail != tail:
            txn.state = txn.state.model_copy(update={"log": txn.ledger.tail})
        if txn.state is not state:
            connection.execute(_SET_STATE, {"room": room_id, "state": txn.state.model_dump_json()})
        if txn.written and self.postgres:  # delivered to every listening process on commit
            self._writer.before_commit(_NOTIFY, _notify, f"{room_id} {txn.written[-1][0]}")
        self._after_commit(room_id, txn.written)
        return done

    def _after_commit(self, room_id: str, written: list[tuple[int, str, str, Any]]) -> None:
        if written:
            self._writer.after_commit(lambda: (self._remember(room_id, written), self._announce(room_id, written)))

    def _remember(self, room_id: str, written: list[tuple[int, str, str, Any]]) -> None:
        """Keep the events just committed (in order of their ids: two transactions may
        finish in either order) among the room's latest."""
        with self._lock:
            recent = self._recent.setdefault(room_id, [])
            known = {record[0] for record in recent}
            recent.extend(record for record in written if record[0] not in known)
            recent.sort(key=lambda record: record[0])
            del recent[:-RECENT_EVENTS]

    def _apply(self, txn: _Txn, state: RoomState, events: list[dict[str, Any]], member: Member | None) -> list[int]:
        ids = self._extend(txn, events, by=member)
        txn.state = state
        return ids

    def _append(self, txn: _Txn, event: dict[str, Any], by: Member | None) -> int:
        return self._extend(txn, [event], by)[0]

    def _extend(self, txn: _Txn, events: list[dict[str, Any]], by: Member | None) -> list[int]:
        """Append room records of ``events``, made by ``by`` (None: the room itself)."""
        records = []
        for event in events:
            record = {"room": txn.room.id, **event}
            if by is not None:
                record["by"] = by.username
                if by.representative is not None:
                    record["representative"] = by.representative
            records.append(record)
        entries = txn.ledger.extend([(ROOM_EVENTS + record["type"], canonical_json(record)) for record in records])
        txn.written.extend((entry.seq, entry.kind, entry.appended_at, record)
                           for entry, record in zip(entries, records))
        return [entry.seq for entry in entries]

    def _announce(self, room_id: str, written: list[tuple[int, str, str, Any]]) -> None:
        for listener in self._listeners:
            listener(room_id, written[-1][0])

    def _next_id(self, txn: _Txn) -> int:
        return txn.ledger.lock()

    def _act(self, connection: Connection, room_id: str, account: int,
             step: Callable[[_Txn, str, Member], list[int]], party_only: bool = False) -> list[int]:
        """Run one move of ``account`` on the room: ``step(txn, actor, member)`` once the
        person's place allows the move and unless the deadline has passed (the room's
        ending is then recorded, and the move refused)."""
        def checked(txn: _Txn) -> list[int] | None:
            member = self._member_of(txn, account)
            actor = self._actor(member, room_id, party_only)
            state, events = protocol.close_if_expired(txn.state, datetime.now(timezone.utc))
            if events:
                self._apply(txn, state, events, None)
                return None
            return step(txn, actor, member)

        ids = self._in_room(connection, room_id, checked)
        if ids is None:
            raise AfterCommit(RoomError("the deadline has passed; the negotiation has ended without agreement"))
        return ids

    def _member_of(self, txn: _Txn, account: int) -> Member:
        """``account``'s place in the room locked by ``txn``. Places change only when
        someone joins, which the room's state counts: cached until the count changes."""
        key = (txn.room.id, account)
        cached = self._members.get(key)
        if cached is not None and cached[0] == txn.state.joins:
            return cached[1]
        member = _member(txn.connection, txn.room.id, account)
        with self._lock:
            self._members[key] = (txn.state.joins, member)
        return member

    def _actor(self, member: Member, room_id: str, party_only: bool = False) -> str:
        if member.role == "mediator" and not party_only:
            return MEDIATOR
        if member.role != "party":
            raise AccessDenied(f"a {member.role} does not make offers or answer them")
        bot = self._facts_of(room_id).seats.get(member.party)
        if bot is not None:
            raise AccessDenied(f"{member.party}'s seat is played by the bot '{bot}'")
        return member.party

    def _ledger(self, room_id: str) -> Ledger:
        with self._lock:
            ledger = self._ledgers.get(room_id)
        if ledger is None:
            try:
                ledger = Ledger.open(self.engine, f"room:{room_id}")
            except ServandaError:
                raise NotFound(f"no room '{room_id}'") from None
            with self._lock:
                ledger = self._ledgers.setdefault(room_id, ledger)
        return ledger

    def _record(self, room_id: str) -> TreatyRecord:
        with self._lock:
            record = self._records.get(room_id)
        if record is None:
            record = TreatyRecord(self._ledger(room_id))
            with self._lock:
                record = self._records.setdefault(room_id, record)
        return record

    def _public(self, room_id: str) -> dict[str, Any]:
        return self._facts_of(room_id).public

    def _facts_of(self, room_id: str, connection: Connection | None = None) -> _Facts:
        facts = self._facts.get(room_id)
        if facts is None:
            with nullcontext(connection) if connection is not None else self.engine.connect() as reader:
                row = reader.execute(select(rooms.c.scenario, rooms.c.created_at)
                                     .where(rooms.c.id == room_id)).first()
                if row is None:
                    raise NotFound(f"no room '{room_id}'")
                seated = dict(reader.execute(select(seats.c.party, seats.c.bot)
                                             .where(seats.c.room_id == room_id)).all())
            facts = _Facts(parse_json(row.scenario.encode()), seated, parse_timestamp(row.created_at))
            with self._lock:
                facts = self._facts.setdefault(room_id, facts)
        return facts

    def _scenario_parts(self, room_id: str, connection: Connection | None = None
                        ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        with nullcontext(connection) if connection is not None else self.engine.connect() as reader:
            rows = reader.execute(select(preferences.c.party, preferences.c.document)
                                  .where(preferences.c.room_id == room_id)).all()
        return self._public(room_id), {row.party: parse_json(row.document.encode()) for row in rows}

    @staticmethod
    def _preference_row(connection: Connection, room_id: str, party: str) -> Any:
        row = connection.execute(select(preferences).where(
            preferences.c.room_id == room_id, preferences.c.party == party)).first()
        if row is None:
            raise NotFound(f"no party '{party}' in this room")
        return row

    def _acting_party(self, room_id: str, statement: Any) -> str:
        if isinstance(statement, DraftVersion):
            return statement.editor.party
        if isinstance(statement, Revocation):
            target = self._record(room_id).evidence().by_id.get(statement.target)
            if target is None:
                raise InvalidRequest("the revocation names no act of this room", field="statement.target")
            return target.statement.party
        party = getattr(statement, "party", None)
        if party is None:
            raise InvalidRequest("this act cannot be submitted to a room", field="statement.type")
        return party

    def _draft_doc(self, room_id: str, values: Mapping[str, Any]) -> DraftDoc:
        """The agreement as a text: the clauses given, or one clause per issue."""
        with self.engine.connect() as connection:
            state = RoomState.model_validate_json(
                connection.execute(select(rooms.c.state).where(rooms.c.id == room_id)).scalar_one())
        if state.agreement is None:
            raise RoomError("there is no agreement to draft yet")
        public = self._public(room_id)
        clauses = values.get("clauses") or [
            {"id": issue, "text": f"{issue.replace('_', ' ').capitalize()}: {option}.", "issue": issue,
             "option": str(option)}
            for issue, option in state.agreement.items()
        ]
        return DraftDoc(
            title=str(values.get("title") or public["name"]),
            parties=list(state.order),
            requires_ratification=checks.flag(values, "requires_ratification"),
            clauses=[ClauseDoc.model_validate(clause) for clause in clauses],
        )

    def _require_draft_of_agreement(self, room_id: str, state: RoomState, draft: DraftVersion) -> None:
        if state.agreement is None:
            raise RoomError("there is no agreement to draft yet")
        scenario = self.scenario(room_id)
        try:
            implied = scenario.space.describe(implied_outcome(draft, scenario))
        except ServandaError as exc:
            raise RoomError(f"the text does not settle the agreement: {exc}") from None
        if {k: str(v) for k, v in implied.items()} != {k: str(v) for k, v in state.agreement.items()}:
            raise RoomError("the text settles the issues differently from the agreement reached in the room")
        if sorted(draft.parties) != sorted(state.order):
            raise RoomError("the text must name every party of the room")

    def _bots_in(self, connection: Connection, room_id: str) -> None:
        """Let bots act, in the writer's transaction ``connection``, while it is a bot's turn
        (alternating offers) or a text awaits a bot's answer (single text). Each bot move
        has a savepoint of its own: a bot's failure is logged and undone, never reported to
        the person whose move woke it as theirs."""
        if not any(bot is not None for bot in self._facts_of(room_id, connection).seats.values()):
            return
        try:
            while True:
                with self._writer.savepoint(connection):
                    if not self._in_room(connection, room_id, self._bot_move):
                        return
        except Exception:  # noqa: BLE001 - logged with its traceback
            _log.exception("a bot failed to move in room %s", room_id)

    def _bot_move(self, txn: _Txn) -> bool:
        """One bot's move, if a bot is to move: whether one moved."""
        room_id, state = txn.room.id, txn.state
        facts = self._facts_of(room_id, txn.connection)
        bot_seats = {party: bot for party, bot in facts.seats.items() if bot is not None}
        party = _bot_to_move(state, bot_seats)
        if party is None:
            return False
        scenario = self._scenario_of(txn.connection, room_id, state)
        bot = Member(0, f"bot:{bot_seats[party]}", "party", party, None, False)
        if state.phase is Phase.AGREEMENT:
            # A post-settlement proposal: a bot accepts what leaves it at least as well off
            # as the agreement without breaking its own red lines, and rejects the rest.
            if _no_worse(scenario, party, state.agreement, state.improvement.outcome):
                self._apply(txn, *protocol.accept(state, party, self._next_id(txn)), bot)
            else:
                self._apply(txn, *protocol.reject(state, party), bot)
            return True
        ended, events = protocol.close_if_expired(state, datetime.now(timezone.utc))
        if events:
            self._apply(txn, ended, events, None)
            return False
        table = _table(scenario)
        room_records = [(seq, payload) for seq, kind, _, payload in self._room_records(txn)]
        record = bots.history(table, room_records, state)
        strategy = self._strategy(room_id, party, bot_seats[party])
        seed = int.from_bytes(hashlib.sha256(f"{room_id}:{party}:{len(record)}".encode()).digest()[:8], "big")
        move = bots.decide(strategy, table, party, state, record, datetime.now(timezone.utc), facts.started,
                           np.random.default_rng(seed))
        if move.kind == "propose":
            labels = scenario.space.describe(scenario.space.outcome_at(move.outcome))
            new, events = protocol.propose(state, party, labels, self._next_id(txn))
        elif move.kind == "accept":
            new, events = protocol.accept(state, party, self._next_id(txn))
        elif move.kind == "reject":
            new, events = protocol.reject(state, party)
        else:
            new, events = protocol.walk_away(state, party)
        self._apply(txn, new, events, bot)
        return True

    def _room_records(self, txn: _Txn) -> list[tuple[int, str, str, Any]]:
        return [_record_of(entry) for entry in txn.ledger.entries(0) if entry.kind.startswith(ROOM_EVENTS)]

    def _strategy(self, room_id: str, party: str, spec: str) -> Strategy:
        key = (room_id, party)
        with self._lock:
            strategy = self._strategies.get(key)
            if strategy is None:
                strategy = self._strategies[key] = make_strategy(spec)
        return strategy


# -- helpers -------------------------------------------------------------------------------


def _notify(connection: Connection, payloads: list[str]) -> None:
    """PostgreSQL: tell every listening server process, on commit, of each ``"room last-id"``."""
    connection.execute(_NOTIFY, {"payloads": payloads})


def _member(connection: Connection, room_id: str, account: int) -> Member:
    row = connection.execute(_MEMBER, {"room": room_id, "account": account}).first()
    if row is None:
        raise NotFound(f"no room '{room_id}' that you are in")
    return Member(account, row.username, row.role, row.party, row.representative, row.convener_id == account)


def _record_of(entry: Any) -> tuple[int, str, str, Any]:
    """A ledger entry as a room event: ``(id, kind, appended_at, parsed payload)``."""
    return entry.seq, entry.kind, entry.appended_at, parse_json(entry.data)


def _own_party(member: Member) -> str:
    if member.role != "party" or member.party is None:
        raise AccessDenied("only a party's representatives do this")
    return member.party


def _may_read(member: Member, party: str, granted: bool) -> bool:
    return (member.role == "party" and member.party == party) or (member.role == "mediator" and granted)


def _require_phase(state: RoomState, phase: Phase) -> None:
    if state.phase is not phase:
        raise RoomError(f"the negotiation has ended ({state.ending})")


def _bot_to_move(state: RoomState, bot_seats: Mapping[str, str]) -> str | None:
    pending = state.improvement
    if state.phase is Phase.AGREEMENT and pending is not None and not state.drafted:
        for party in state.order:
            if party in bot_seats and party != pending.by and party not in pending.accepted_by:
                return party
        return None
    if state.phase is not Phase.OPEN or not bot_seats:
        return None
    if state.protocol == "alternating":
        return state.to_act if state.to_act in bot_seats else None
    if state.offer is None:
        return None
    for party in state.order:
        if party in bot_seats and party not in state.accepted_by and party not in state.rejected_by:
            return party
    return None


def _no_worse(scenario: Scenario, party: str, agreed: Mapping[str, Any], proposed: Mapping[str, Any]) -> bool:
    """Whether ``proposed`` is at least as good as ``agreed`` for ``party`` and breaks none of
    its red lines."""
    own = views.score(scenario, party, proposed)
    return not own["breaks"] and own["utility"] >= views.score(scenario, party, agreed)["utility"]


def _commitment_event(row: Any) -> dict[str, Any]:
    block = parse_json(row.document.encode())
    return {"type": "preferences", "party": row.party, "commitment": scenarios.commitment(row.party, block, row.salt)}


def _log_id(connection: Connection, ledger: Ledger) -> int:
    return connection.execute(select(logs.c.id).where(logs.c.name == ledger.name)).scalar_one()


@lru_cache(maxsize=16)
def _table(scenario: Scenario) -> OutcomeTable:
    return OutcomeTable.of(scenario)


def _require_table(scenario: Scenario, bots_by_party: Mapping[str, str]) -> None:
    if bots_by_party:
        try:
            _table(scenario)
        except ServandaError as exc:
            raise InvalidRequest(f"bots cannot play this scenario: {exc}", field="bots") from None


def _new_id(size: int) -> str:
    """A random URL-safe id of ``size`` bytes that does not start with '-' (a command line
    would read it as an option)."""
    while True:
        value = secrets.token_urlsafe(size)
        if not value.startswith("-"):
            return value


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

