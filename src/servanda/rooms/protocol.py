"""The rules of a live room, as a state machine over JSON-storable state.

The same rules as the engine's protocols (:mod:`servanda.negotiation.protocols`), applied
one request at a time instead of in one run:

- **alternating** — alternating offers, bilateral (Rubinstein) or stacked for more parties
  (SAOP): parties act in a fixed cyclic order; the party whose turn it is accepts the offer
  on the table, rejects it and counters (a proposal on one's turn counters the offer on
  the table; a bare ``reject`` takes it off and leaves the turn with the party, who then
  proposes), or walks away. An offer passes when every other party has accepted it in
  turn. A round is a full cycle of turns.
- **single-text** — single-negotiating-text mediation: the neutral mediator puts texts
  (whole packages); the parties accept or reject each, in any order; the first text every
  party accepts is the agreement. Parties ask for changes in the discussion. A round is
  one text, answered within its round: ``rounds`` texts at most, and the rejection of the
  last one ends the room at its deadline.

Both end at the deadline — ``rounds`` rounds and/or the wall-clock ``ends_at`` — or when
a party walks away. After an agreement and before it is drafted, any party may propose a
post-settlement improvement; it replaces the agreement only if every other party accepts it
(the room does not judge it: that would tell the proposer about the others' preferences).

Red lines and preferences are not this module's business: the room checks them before it
asks these rules (:mod:`servanda.rooms.service`). Every function returns the new state and
the events to record, or raises :class:`RoomError` without changing anything.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from servanda.errors import RoomError
from servanda.ledger.timestamps import parse_timestamp

#: Who puts the texts in single-text mediation (not a party).
MEDIATOR = "mediator"

Outcome = dict[str, Any]  # {issue: option}; options of numeric issues are numbers
Events = list[dict[str, Any]]


class Phase(StrEnum):
    OPEN = "open"
    AGREEMENT = "agreement"
    WALKED_AWAY = "walked-away"
    DEADLINE = "deadline"


class Improvement(BaseModel):
    """A post-settlement proposal awaiting every party's acceptance."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    by: str
    event: int
    accepted_by: list[str]


class RoomState(BaseModel):
    """Where a room's negotiation stands."""

    model_config = ConfigDict(extra="forbid")

    protocol: Literal["alternating", "single-text"]
    order: list[str] = Field(min_length=2)  # the parties, in turn order
    rounds: int | None = Field(default=None, ge=1)
    ends_at: str | None = None  # RFC 3339
    turn: int = 0  # alternating: turns taken so far
    texts: int = 0  # single text: texts put so far
    offers: int = 0  # offers (and texts) so far: the number of the next is offers + 1
    offer: Outcome | None = None  # on the table
    offer_by: str | None = None
    offer_event: int | None = None
    accepted_by: list[str] = []
    rejected_by: list[str] = []
    phase: Phase = Phase.OPEN
    agreement: Outcome | None = None
    agreement_event: int | None = None
    improvement: Improvement | None = None
    drafted: bool = False  # the agreement has become a draft text: it no longer changes
    ending: str = ""
    preferences: int | None = None  # the event committing to the latest preferences set
    joins: int = 0  # people who have joined so far (their places change only then)
    log: tuple[int, str | None] | None = None  # the room ledger's size and last entry's time

    # -- reading ---------------------------------------------------------------------------

    @property
    def parties(self) -> int:
        return len(self.order)

    @property
    def round(self) -> int:
        return self.turn // self.parties if self.protocol == "alternating" else self.texts

    @property
    def to_act(self) -> str | None:
        """The party whose turn it is (alternating offers, while open)."""
        if self.protocol != "alternating" or self.phase is not Phase.OPEN:
            return None
        return self.order[self.turn % self.parties]

    def time(self, now: datetime, started: datetime) -> float:
        """Relative time in [0, 1]: the larger share of rounds or wall-clock time used."""
        shares = [0.0]
        if self.rounds is not None:
            shares.append(self.round / self.rounds)
        if self.ends_at is not None:
            total = (parse_timestamp(self.ends_at) - started).total_seconds()
            shares.append((now - started).total_seconds() / total if total > 0 else 1.0)
        return min(1.0, max(shares))

    def expired(self, now: datetime) -> bool:
        """Whether the deadline has passed. In rounds, for alternating offers: once the
        last round is over. A single text's rounds are its texts, each answered within its
        round: the last text's rejection ends the room (see :func:`reject`)."""
        if self.protocol == "alternating" and self.rounds is not None and self.round >= self.rounds:
            return True
        return self.ends_at is not None and now >= parse_timestamp(self.ends_at)


def close_if_expired(state: RoomState, now: datetime) -> tuple[RoomState, Events]:
    """The state with the room ended at its deadline, if it is open and the deadline has
    passed; otherwise unchanged, with no events."""
    if state.phase is not Phase.OPEN or not state.expired(now):
        return state, []
    return _end(state, Phase.DEADLINE, "the deadline passed without agreement")


def propose(state: RoomState, actor: str, outcome: Outcome, event: int) -> tuple[RoomState, Events]:
    """``actor`` (a party, or :data:`MEDIATOR`) puts ``outcome`` on the table; its offer
    event will be number ``event`` (a counter-offer's rejection comes first)."""
    if state.phase is Phase.AGREEMENT:
        return _propose_improvement(state, actor, outcome, event)
    _require_open(state)
    new = state.model_copy(deep=True)
    events: Events = []
    if state.protocol == "single-text":
        if actor != MEDIATOR:
            raise RoomError(
                "in single-text mediation only the mediator puts texts; ask for a change with "
                "a comment of kind 'suggestion'"
            )
        if state.rounds is not None and state.texts >= state.rounds:
            raise RoomError(f"the deadline allows {state.rounds} texts, and all have been put")
        new.texts += 1
        new.accepted_by, new.rejected_by = [], []
    else:
        _require_turn(state, actor)
        if state.offer is not None:  # a counter-offer rejects the offer on the table
            events.append({"type": "reject", "party": actor, "offer": state.offer_event, "countered": True})
            event += 1
        new.turn += 1
        new.accepted_by = []
    new.offers += 1
    new.offer, new.offer_by, new.offer_event = dict(outcome), actor, event
    events.append({"type": "offer", "party": actor, "number": new.offers, "round": state.round,
                   "outcome": dict(outcome)})
    return _after_turn(new, events)


def accept(state: RoomState, party: str, event: int) -> tuple[RoomState, Events]:
    """``party`` accepts what is on the table (the offer, the text, or a post-settlement
    improvement); its acceptance will be event ``event``."""
    if state.phase is Phase.AGREEMENT:
        return _answer_improvement(state, party, accepted=True, event=event)
    _require_open(state)
    _require_offer(state, party)
    new = state.model_copy(deep=True)
    new.accepted_by.append(party)
    events: Events = [{"type": "accept", "party": party, "offer": state.offer_event}]
    others = [p for p in state.order if p != state.offer_by]
    if sorted(new.accepted_by) == sorted(others):
        new.phase, new.agreement, new.agreement_event = Phase.AGREEMENT, dict(state.offer), event + 1
        new.ending = f"offer {state.offers} accepted by every party"
        events.append({"type": "agreement", "offer": state.offer_event, "outcome": dict(state.offer)})
        return new, events
    if state.protocol == "alternating":
        new.turn += 1
    return _after_turn(new, events)


def reject(state: RoomState, party: str) -> tuple[RoomState, Events]:
    """``party`` rejects what is on the table. Under alternating offers the offer leaves
    the table and the turn stays with ``party``, who proposes next (or walks away)."""
    if state.phase is Phase.AGREEMENT:
        return _answer_improvement(state, party, accepted=False, event=0)
    _require_open(state)
    _require_offer(state, party)
    new = state.model_copy(deep=True)
    events: Events = [{"type": "reject", "party": party, "offer": state.offer_event, "countered": False}]
    if state.protocol == "alternating":
        new.offer = new.offer_by = new.offer_event = None
        new.accepted_by = []
    else:
        new.rejected_by.append(party)
        if state.rounds is not None and state.texts >= state.rounds:  # the last text failed
            ended, more = _end(new, Phase.DEADLINE, f"the last text the deadline allows was rejected by {party}")
            return ended, events + more
    return new, events


def walk_away(state: RoomState, party: str) -> tuple[RoomState, Events]:
    """``party`` ends the negotiation (on its turn, under alternating offers)."""
    _require_open(state)
    if state.protocol == "alternating":
        _require_turn(state, party)
    elif party not in state.order:
        raise RoomError(f"{party} is not a party to this negotiation")
    return _end(state, Phase.WALKED_AWAY, f"{party} walked away", party)


def mark_drafted(state: RoomState) -> RoomState:
    """The agreement has become a draft text: no more post-settlement changes."""
    return state.model_copy(update={"drafted": True, "improvement": None})


# -- internals ---------------------------------------------------------------------------


def _require_open(state: RoomState) -> None:
    if state.phase is not Phase.OPEN:
        raise RoomError(f"the negotiation has ended ({state.ending})")


def _require_turn(state: RoomState, party: str) -> None:
    if party not in state.order:
        raise RoomError(f"{party} does not take part in the turns of this negotiation")
    if state.to_act != party:
        raise RoomError(f"it is {state.to_act}'s turn, not {party}'s")


def _require_offer(state: RoomState, party: str) -> None:
    if state.protocol == "alternating":
        _require_turn(state, party)
    elif party not in state.order:
        raise RoomError(f"{party} is not a party to this negotiation")
    if state.offer is None:
        raise RoomError("there is no offer on the table")
    if state.offer_by == party:
        raise RoomError("a party does not answer its own offer")
    if party in state.accepted_by or party in state.rejected_by:
        raise RoomError(f"{party} has already answered this text")


def _after_turn(state: RoomState, events: Events) -> tuple[RoomState, Events]:
    """End the room when the turn just taken used up the rounds."""
    if state.rounds is not None and state.round >= state.rounds and state.phase is Phase.OPEN:
        if state.protocol == "alternating":
            ended, more = _end(state, Phase.DEADLINE, "the deadline passed without agreement")
            return ended, events + more
    return state, events


def _end(state: RoomState, phase: Phase, why: str, party: str | None = None) -> tuple[RoomState, Events]:
    new = state.model_copy(update={"phase": phase, "ending": why})
    event: dict[str, Any] = {"type": "end", "ending": phase.value, "explanation": why}
    if party is not None:
        event["party"] = party
    return new, [event]


def _propose_improvement(state: RoomState, party: str, outcome: Outcome, event: int) -> tuple[RoomState, Events]:
    if state.drafted:
        raise RoomError("the agreement has been drafted; it no longer changes")
    if party not in state.order:
        raise RoomError("only a party proposes a post-settlement improvement")
    if state.improvement is not None:
        raise RoomError("a post-settlement improvement is already awaiting answers")
    new = state.model_copy(deep=True)
    new.improvement = Improvement(outcome=dict(outcome), by=party, event=event, accepted_by=[])
    return new, [{"type": "improvement", "party": party, "outcome": dict(outcome)}]


def _answer_improvement(state: RoomState, party: str, accepted: bool, event: int) -> tuple[RoomState, Events]:
    pending = state.improvement
    if pending is None or state.drafted:
        raise RoomError(f"the negotiation has ended ({state.ending}); nothing awaits an answer")
    if party not in state.order or party == pending.by or party in pending.accepted_by:
        raise RoomError(f"{party} does not answer this improvement")
    new = state.model_copy(deep=True)
    answer = "accept" if accepted else "reject"
    events: Events = [{"type": answer, "party": party, "offer": pending.event}]
    if not accepted:
        new.improvement = None
        return new, events
    new.improvement.accepted_by.append(party)
    if len(new.improvement.accepted_by) == state.parties - 1:
        new.agreement, new.agreement_event, new.improvement = dict(pending.outcome), event + 1, None
        new.ending = "a post-settlement improvement accepted by every party"
        events.append({"type": "agreement", "offer": pending.event, "outcome": dict(pending.outcome)})
    return new, events
