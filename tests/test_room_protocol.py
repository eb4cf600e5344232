"""The live rules of a room (servanda.rooms.protocol), as properties.

1. Random sequences of moves (propose / accept / reject / walk away / drafting, by parties,
   the mediator and strangers, on and off turn) against a small reference model of the
   documented rules: a move is refused (RoomError) exactly when the model says so, a refused
   move changes nothing, no function mutates the state it is given, agreements happen
   exactly when every party other than the proposer has accepted (in turn order under
   alternating offers, in any order for a single text), nothing but post-settlement
   improvements happen after an ending, the round counter never passes the deadline, and
   offers are numbered 1, 2, 3, ...
2. The live alternating rules against the engine: for random scenarios and deterministic
   strategies, the engine's AlternatingOffers trace replays move by move through the live
   functions, and bots in every seat of a real room (Rooms on an SQLite file) produce the
   engine's very sequence of offers and answers, to the same ending.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import random_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st
from sqlalchemy import insert

from servanda.errors import RoomError
from servanda.ledger.timestamps import utc_timestamp
from servanda.negotiation.protocols import AlternatingOffers
from servanda.negotiation.session import negotiate
from servanda.negotiation.strategies import make_strategy
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Ending
from servanda.rooms import protocol
from servanda.rooms.protocol import MEDIATOR, Phase, RoomState

NAMES = ["A", "B", "C", "D", "E"]
PACKAGES = [{"x": k, "y": f"o{k % 2}"} for k in range(3)]
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


# -- a reference model of the documented rules ---------------------------------------------------


@dataclass
class Ref:
    """What the rules say the state is, kept apart from the implementation."""

    protocol: str
    order: list[str]
    rounds: int | None
    phase: str = "open"
    turn: int = 0
    texts: int = 0
    offers: int = 0
    offer: dict | None = None
    offer_by: str | None = None
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    agreement: dict | None = None
    improvement: tuple[str, dict, list[str]] | None = None  # (by, outcome, accepted by)
    drafted: bool = False

    @property
    def n(self) -> int:
        return len(self.order)

    @property
    def round(self) -> int:
        return self.turn // self.n if self.protocol == "alternating" else self.texts

    @property
    def to_act(self) -> str | None:
        if self.protocol != "alternating" or self.phase != "open":
            return None
        return self.order[self.turn % self.n]

    def _deadline(self) -> list[str]:
        if self.rounds is not None and self.round >= self.rounds and self.phase == "open":
            self.phase = "deadline"
            return ["end"]
        return []

    def close(self) -> list[str] | None:
        """close_if_expired: the events, or None when nothing changes. Only alternating
        offers run out of rounds here; a single text ends with its last text's rejection."""
        if (self.phase == "open" and self.protocol == "alternating" and self.rounds is not None
                and self.round >= self.rounds):
            self.phase = "deadline"
            return ["end"]
        return None

    def may_answer(self, party: str) -> bool:
        if self.protocol == "alternating" and party != self.to_act:
            return False
        return (party in self.order and self.offer is not None and self.offer_by != party
                and party not in self.accepted and party not in self.rejected)

    def may_answer_improvement(self, party: str) -> bool:
        if self.improvement is None or self.drafted:
            return False
        by, _, accepted = self.improvement
        return party in self.order and party != by and party not in accepted

    # Each move returns the event types it records, or None when the rules refuse it.

    def propose(self, actor: str, outcome: dict) -> list[str] | None:
        if self.phase == "agreement":
            if self.drafted or actor not in self.order or self.improvement is not None:
                return None
            self.improvement = (actor, dict(outcome), [])
            return ["improvement"]
        if self.phase != "open":
            return None
        events = []
        if self.protocol == "single-text":
            if actor != MEDIATOR or (self.rounds is not None and self.texts >= self.rounds):
                return None
            self.texts += 1
            self.accepted, self.rejected = [], []
        else:
            if actor != self.to_act:
                return None
            if self.offer is not None:
                events.append("reject")
            self.turn += 1
            self.accepted = []
        self.offers += 1
        self.offer, self.offer_by = dict(outcome), actor
        events.append("offer")
        if self.protocol == "alternating":
            events += self._deadline()
        return events

    def accept(self, party: str) -> list[str] | None:
        if self.phase == "agreement":
            if not self.may_answer_improvement(party):
                return None
            by, outcome, accepted = self.improvement
            accepted.append(party)
            if len(accepted) == self.n - 1:
                self.agreement, self.improvement = dict(outcome), None
                return ["accept", "agreement"]
            return ["accept"]
        if self.phase != "open" or not self.may_answer(party):
            return None
        self.accepted.append(party)
        if set(self.accepted) == set(self.order) - {self.offer_by}:
            self.phase, self.agreement = "agreement", dict(self.offer)
            return ["accept", "agreement"]
        if self.protocol == "alternating":
            self.turn += 1
            return ["accept"] + self._deadline()
        return ["accept"]

    def reject(self, party: str) -> list[str] | None:
        if self.phase == "agreement":
            if not self.may_answer_improvement(party):
                return None
            self.improvement = None
            return ["reject"]
        if self.phase != "open" or not self.may_answer(party):
            return None
        if self.protocol == "alternating":
            self.offer = self.offer_by = None
            self.accepted = []
        else:
            self.rejected.append(party)
            if self.rounds is not None and self.texts >= self.rounds:
                self.phase = "deadline"
                return ["reject", "end"]
        return ["reject"]

    def walk_away(self, party: str) -> list[str] | None:
        if self.phase != "open":
            return None
        if party != self.to_act if self.protocol == "alternating" else party not in self.order:
            return None
        self.phase = "walked-away"
        return ["end"]


def assert_matches(state: RoomState, ref: Ref) -> None:
    assert state.phase.value == ref.phase
    assert (state.turn, state.texts, state.offers) == (ref.turn, ref.texts, ref.offers)
    assert state.round == ref.round
    assert state.to_act == ref.to_act
    assert state.offer == ref.offer and state.offer_by == ref.offer_by
    assert state.accepted_by == ref.accepted and state.rejected_by == ref.rejected
    assert state.agreement == ref.agreement
    if ref.improvement is None:
        assert state.improvement is None
    else:
        by, outcome, accepted = ref.improvement
        assert (state.improvement.by, state.improvement.outcome, state.improvement.accepted_by) == (
            by, outcome, accepted)
    assert state.drafted == ref.drafted


# -- random sequences of moves --------------------------------------------------------------------

# weighted: walking away ends a room at once, so it is rare; answers are common
ACTIONS = ["propose"] * 8 + ["accept"] * 14 + ["reject"] * 3 + ["walk_away"] + ["draft"] * 2


@st.composite
def rooms(draw):
    kind = draw(st.sampled_from(["alternating", "single-text"]))
    order = NAMES[: draw(st.integers(2, 5))]
    rounds = draw(st.none() | st.integers(1, 4))
    # a wall-clock deadline far away changes nothing; one in the past is tested apart
    ends_at = draw(st.none() | st.just(utc_timestamp(NOW + timedelta(days=1))))
    return RoomState(protocol=kind, order=order, rounds=rounds, ends_at=ends_at)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=rooms(), data=st.data())
def test_random_moves_follow_the_rules(start, data):
    state = start
    ref = Ref(start.protocol, list(start.order), start.rounds)
    next_id = 10  # the id the next event gets (a room's first events are its creation)
    numbers: list[int] = []  # offer numbers, in order
    drafted_seen = False
    for _ in range(data.draw(st.integers(1, 40), label="moves")):
        # the service ends a room whose deadline has passed before every move
        closed, events = protocol.close_if_expired(state, NOW)
        expected = ref.close()
        assert ([e["type"] for e in events] or None) == expected
        if events:
            assert closed.phase is Phase.DEADLINE and closed is not state
        else:
            assert closed is state
        state = closed
        next_id += len(events)
        assert_matches(state, ref)

        action = data.draw(st.sampled_from(ACTIONS), label="action")
        # mostly the party whose turn it is (or some party / the mediator), else anyone
        likely = ref.to_act or (MEDIATOR if action == "propose" and ref.protocol == "single-text"
                                and ref.phase == "open" else data.draw(st.sampled_from(ref.order)))
        actor = data.draw(st.sampled_from([likely, likely, likely, *ref.order, MEDIATOR, "stranger"]),
                          label="actor")
        outcome = dict(data.draw(st.sampled_from(PACKAGES), label="outcome"))
        before = state.model_dump()
        ended_before = ref.phase != "open"

        if action == "draft":
            if state.phase is not Phase.AGREEMENT:
                continue
            new = protocol.mark_drafted(state)
            assert state.model_dump() == before
            ref.drafted, ref.improvement = True, None
            drafted_seen = True
            state = new
            assert_matches(state, ref)
            continue

        if action == "propose":
            call = lambda: protocol.propose(state, actor, outcome, next_id)  # noqa: E731
            expected = ref.propose(actor, outcome)
        elif action == "accept":
            call = lambda: protocol.accept(state, actor, next_id)  # noqa: E731
            expected = ref.accept(actor)
        elif action == "reject":
            call = lambda: protocol.reject(state, actor)  # noqa: E731
            expected = ref.reject(actor)
        else:
            call = lambda: protocol.walk_away(state, actor)  # noqa: E731
            expected = ref.walk_away(actor)
        offer_before, offer_by_before, accepted_before = state.offer, state.offer_by, list(state.accepted_by)

        try:
            new, events = call()
        except RoomError:
            assert expected is None, f"{action} by {actor} refused, but the rules allow it"
            assert state.model_dump() == before  # refused: nothing changed
            assert_matches(state, ref)
            continue
        assert expected is not None, f"{action} by {actor} allowed in {before}"
        assert state.model_dump() == before, "the move mutated the state it was given"
        assert new is not state
        assert [e["type"] for e in events] == expected

        if ended_before:  # after an ending only post-settlement improvements move
            assert before["phase"] == "agreement" and not drafted_seen
            assert set(expected) <= {"improvement", "accept", "reject", "agreement"}

        ids = {id(e): next_id + k for k, e in enumerate(events)}
        for event in events:
            if event["type"] == "offer":
                numbers.append(event["number"])
                assert new.offer_event == ids[id(event)]
                assert event["round"] == RoomState.model_validate(before).round
                assert event["outcome"] == outcome and event["party"] == actor
            elif event["type"] in ("accept", "reject") and before["phase"] == "open":
                assert event["offer"] == before["offer_event"]
            elif event["type"] == "agreement":
                assert new.agreement_event == ids[id(event)]
                if before["phase"] == "open":
                    # every party but the proposer accepted the offer on the table
                    assert sorted(new.accepted_by) == sorted(p for p in new.order if p != offer_by_before)
                    assert new.agreement == offer_before
                    if new.protocol == "alternating":  # ... in turn order after the proposer
                        i = new.order.index(offer_by_before)
                        assert new.accepted_by == [new.order[(i + k) % new.parties]
                                                   for k in range(1, new.parties)]
                        assert accepted_before == new.accepted_by[:-1]
        if new.phase is Phase.AGREEMENT and before["phase"] == "open":
            assert "agreement" in expected
        next_id += len(events)
        state = new
        assert_matches(state, ref)
        if state.rounds is not None:
            assert state.round <= state.rounds
        if state.phase is Phase.OPEN:
            assert state.ending == ""
        else:
            assert state.ending

    assert numbers == list(range(1, len(numbers) + 1))
    assert state.offers == len(numbers)
    note(f"{state.protocol}: {state.phase.value}" + (", improved" if "improvement" in state.ending else ""))


def test_a_past_wall_clock_deadline_ends_the_room_and_refuses_moves():
    state = RoomState(protocol="alternating", order=["A", "B"], ends_at=utc_timestamp(NOW))
    state, _ = protocol.propose(state, "A", PACKAGES[0], 5)
    assert protocol.close_if_expired(state, NOW - timedelta(seconds=1)) == (state, [])
    ended, events = protocol.close_if_expired(state, NOW)
    assert ended.phase is Phase.DEADLINE and [e["type"] for e in events] == ["end"]
    assert state.phase is Phase.OPEN  # not mutated
    for move in (lambda: protocol.accept(ended, "B", 7), lambda: protocol.reject(ended, "B"),
                 lambda: protocol.propose(ended, "B", PACKAGES[1], 7), lambda: protocol.walk_away(ended, "B")):
        with pytest.raises(RoomError):
            move()
    assert ended.time(NOW, NOW - timedelta(hours=1)) == 1.0


def test_single_text_parties_answer_in_any_order():
    state = RoomState(protocol="single-text", order=["A", "B", "C"], rounds=3)
    state, _ = protocol.propose(state, MEDIATOR, PACKAGES[0], 1)
    for party in ("C", "A"):
        state, events = protocol.accept(state, party, 5)
        assert [e["type"] for e in events] == ["accept"]
    state, events = protocol.accept(state, "B", 6)
    assert [e["type"] for e in events] == ["accept", "agreement"]
    assert state.agreement == PACKAGES[0] and state.agreement_event == 7


# -- the live alternating rules against the engine ------------------------------------------------

DETERMINISTIC = ["boulware", "linear", "conceder", "hardliner", "tit-for-tat", "frontier-frequency"]


@st.composite
def engine_cases(draw):
    parties = draw(st.integers(2, 4))
    return dict(
        seed=draw(st.integers(0, 10_000)),
        parties=parties,
        specs=[draw(st.sampled_from(DETERMINISTIC)) for _ in range(parties)],
        rounds=draw(st.integers(1, 12)),
        red_lines=draw(st.booleans()),
        reservation=draw(st.sampled_from([0.0, 0.0, 0.3, 0.7])),
    )


def engine_trace(case):
    scenario = random_scenario(case["seed"], parties=case["parties"], sizes=(3, 2, 2),
                               red_lines=case["red_lines"], reservation=case["reservation"])
    trace = negotiate(scenario, [make_strategy(s) for s in case["specs"]],
                      AlternatingOffers(rounds=case["rounds"]), table=OutcomeTable.of(scenario))
    return scenario, trace


def answers(trace):
    """The engine's events as (party, action, outcome); a rejection that comes right before
    the same party's walking away is left out: the room records walking away alone (the
    offer on the table goes with the room)."""
    events = list(trace.events)
    kept = []
    for k, e in enumerate(events):
        nxt = events[k + 1] if k + 1 < len(events) else None
        if e.action is Action.REJECT and nxt is not None and nxt.action is Action.END and nxt.party == e.party:
            continue
        kept.append((e.party, e.action.value, e.outcome))
    return kept


PHASE_OF = {Ending.AGREEMENT: Phase.AGREEMENT, Ending.DEADLINE: Phase.DEADLINE, Ending.WALK_AWAY: Phase.WALKED_AWAY}


def expected_round(trace) -> int:
    """The live round counter at the end: the engine counts the rounds begun, the room the
    round of its last turn (agreement, walk-away) or the rounds used up (deadline)."""
    return trace.rounds if trace.ending is Ending.DEADLINE else trace.rounds - 1


@settings(max_examples=150, deadline=None)
@given(case=engine_cases())
def test_the_live_rules_accept_every_engine_move(case):
    scenario, trace = engine_trace(case)
    names, space = list(scenario.party_names), scenario.space
    state = RoomState(protocol="alternating", order=names, rounds=case["rounds"])
    next_id = 0
    pending_reject = None
    for e in trace.events:
        party = names[e.party]
        assert state.phase is Phase.OPEN and state.to_act == party
        if e.action is Action.OFFER:
            labels = space.describe(space.outcome_at(e.outcome))
            state, events = protocol.propose(state, party, labels, next_id)
            # a counter-offer records the engine's rejection first
            assert [x["type"] for x in events][: 1 + (pending_reject is not None)] == (
                ["reject", "offer"] if pending_reject is not None else ["offer"])
            pending_reject = None
        elif e.action is Action.ACCEPT:
            assert space.index_of(space.parse(state.offer)) == e.outcome
            state, events = protocol.accept(state, party, next_id)
        elif e.action is Action.REJECT:
            assert space.index_of(space.parse(state.offer)) == e.outcome
            pending_reject = e
            continue  # the counter-offer (or walking away) in the same turn rejects it
        else:
            state, events = protocol.walk_away(state, party)
        next_id += len(events)
    assert state.phase is PHASE_OF[trace.ending], (trace.ending, state.ending)
    assert state.round == expected_round(trace)
    if trace.agreed:
        assert space.index_of(space.parse(state.agreement)) == trace.agreement


@pytest.fixture(scope="module")
def bot_rooms():
    from servanda.rooms.service import Rooms
    from servanda.store import accounts, open_database, writing

    with tempfile.TemporaryDirectory() as folder:
        engine = open_database(Path(folder) / "rooms.db")
        with writing(engine) as connection:
            convener = connection.execute(insert(accounts).values(
                username="convener", password_hash="-", created_at=utc_timestamp(NOW))).inserted_primary_key[0]
        yield Rooms(engine), convener
        engine.dispose()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=engine_cases())
def test_bots_in_every_seat_replay_the_engine(bot_rooms, case):
    rooms_, convener = bot_rooms
    scenario, trace = engine_trace(case)
    names, space = list(scenario.party_names), scenario.space
    room = rooms_.create(convener, scenario, rounds=case["rounds"], bots_by_party=dict(zip(names, case["specs"])))
    offers: dict[int, int] = {}
    live = []
    for seq, _, _, record in rooms_.records(room):
        kind = record.get("type")
        if kind == "offer":
            offers[seq] = space.index_of(space.parse(record["outcome"]))
            live.append((names.index(record["party"]), "offer", offers[seq]))
        elif kind in ("accept", "reject"):
            live.append((names.index(record["party"]), kind, offers[record["offer"]]))
        elif kind == "end" and "party" in record:
            live.append((names.index(record["party"]), "end", None))
    assert live == answers(trace)
    note(f"{case['parties']} parties: {trace.ending.value}")
    _, state, _ = rooms_.state(convener, room)
    assert state.phase is PHASE_OF[trace.ending]
    assert state.round == expected_round(trace)
    if trace.agreed:
        assert space.index_of(space.parse(state.agreement)) == trace.agreement
    ids = [seq for seq, *_ in rooms_.records(room)]
    assert ids == list(range(len(ids)))


# -- the deadline of single-text mediation ---------------------------------------------------------


def test_single_text_with_one_round_can_agree(bot_rooms):
    """A single-text room with ``rounds=1`` ("a round is one text"): the mediator puts its
    one text, and the parties must be able to answer it. The service closes the room at
    the deadline before every move (close_if_expired), and putting text number ``rounds``
    already makes ``round == rounds``: the room ends before any party can accept."""
    rooms_, _ = bot_rooms
    from servanda.store import accounts, writing

    with writing(rooms_.engine) as connection:
        ids = {name: connection.execute(insert(accounts).values(
            username=f"st-{name}-{id(object())}", password_hash="-", created_at=utc_timestamp(NOW)
        )).inserted_primary_key[0] for name in ("convener", "mediator", "a", "b")}
    scenario = random_scenario(1, parties=2, sizes=(2, 2))
    room = rooms_.create(ids["convener"], scenario, protocol_name="single-text", rounds=1)
    rooms_.join(ids["mediator"], "mediator", rooms_.invite(ids["convener"], room, "mediator"))
    rooms_.join(ids["a"], "a", rooms_.invite(ids["convener"], room, "party", "p0", "A", "foreign_minister"))
    rooms_.join(ids["b"], "b", rooms_.invite(ids["convener"], room, "party", "p1", "B", "foreign_minister"))
    rooms_.propose(ids["mediator"], room, {"i0": "o0", "i1": "o1"})
    rooms_.accept(ids["a"], room)  # RoomError: the deadline has passed
    rooms_.accept(ids["b"], room)
    _, state, _ = rooms_.state(ids["a"], room)
    assert state.phase is Phase.AGREEMENT
