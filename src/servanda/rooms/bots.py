"""Bots: an engine strategy taking a party's seat in a live room, server-side.

A bot sees exactly what the strategy would see in a simulated session — a
:class:`~servanda.negotiation.strategy.Context` of its own party: its utilities, red
lines, reservation value, the public record of offers and replies, and the time — built
from the room's record instead of a session's. Red lines bind as in the engine: an
acceptance of an outcome that breaks one of the bot's own red lines becomes a rejection.

Strategies may learn as they go (opponent models); each server process keeps one strategy
object per seat, created when the seat first acts in that process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from servanda.negotiation.strategy import Context, Strategy
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Event
from servanda.rooms.protocol import MEDIATOR, RoomState


@dataclass(frozen=True)
class Move:
    """What a bot does: ``"propose"`` (``outcome``), ``"accept"``, ``"reject"`` or ``"walk"``."""

    kind: str
    outcome: int | None = None


def history(table: OutcomeTable, records: Sequence[tuple[int, dict]], state: RoomState) -> list[Event]:
    """The room's offers and replies as engine events (outcomes as indices, parties as
    positions, the mediator as -1)."""
    names = list(table.scenario.party_names)
    space = table.scenario.space
    by_offer: dict[int, int] = {}
    events: list[Event] = []
    for seq, record in records:
        kind = record["type"]
        party = -1 if record.get("party") == MEDIATOR else names.index(record["party"]) if "party" in record else -1
        if kind == "offer":
            index = space.index_of(space.parse(record["outcome"]))
            by_offer[seq] = index
            events.append(Event(record.get("round", 0), 0.0, party, Action.OFFER, index))
        elif kind in ("accept", "reject") and record.get("offer") in by_offer:
            action = Action.ACCEPT if kind == "accept" else Action.REJECT
            events.append(Event(state.round, 0.0, party, action, by_offer[record["offer"]]))
        elif kind == "end" and "party" in record:
            events.append(Event(state.round, 0.0, party, Action.END))
    return events


def decide(strategy: Strategy, table: OutcomeTable, party: str, state: RoomState, record: list[Event],
           now: datetime, started: datetime, rng: np.random.Generator) -> Move:
    """The bot's move now: under alternating offers on its turn; in single-text mediation,
    its answer to the text on the table."""
    position = list(table.scenario.party_names).index(party)
    context = _context(table, position, state, record, now, started, rng)
    on_table = state.offer
    if on_table is not None and state.offer_by != party:
        space = table.scenario.space
        offer = space.index_of(space.parse(on_table))
        action = strategy.respond(context, offer)
        if action is Action.ACCEPT and table.breaks[offer, position]:
            action = Action.REJECT  # red lines bind
        if action is Action.ACCEPT:
            return Move("accept")
        if action is Action.END:
            return Move("walk")
        if state.protocol == "single-text":
            return Move("reject")
    proposal = strategy.propose(context)
    return Move("walk") if proposal is None else Move("propose", int(proposal))


def _context(table: OutcomeTable, position: int, state: RoomState, record: list[Event], now: datetime,
             started: datetime, rng: np.random.Generator) -> Context:
    party = table.scenario.parties[position]
    utilities, forbidden = table.columns[position]
    return Context(
        position, utilities, forbidden, table.allowed_ranking[position],
        table.allowed_ranked_utilities[position], party.reservation, state.round,
        state.time(now, started), record, rng, party.discount, table.outcomes,
    )
