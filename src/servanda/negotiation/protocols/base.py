"""What every protocol shares: the deadline, and the running state of one session (the
parties' views, their random generators, the record, the red-line rule, the ending)."""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from servanda.negotiation.strategy import Context, Strategy
from servanda.negotiation.table import OutcomeTable, allowed_order
from servanda.negotiation.trace import Action, Ending, Event, Trace

#: ``reservation(party, round, on_table) -> float``: a party's reservation value in a round,
#: given the outcome on the table (the latest offer or text; None before the first).
ReservationSchedule = Callable[[int, int, "int | None"], float]


def pressure_schedule(table: OutcomeTable) -> ReservationSchedule:
    """The reservation values the scenario's outside pressure implies: each party's own
    value plus the changes of its :class:`~servanda.model.Pressure` events in force."""
    scenario = table.scenario
    conditional = table.pressure_conditions  # computed once per table, not per session

    def reservation(party: int, round_: int, on_table: int | None) -> float:
        value = scenario.parties[party].reservation
        for k, event in enumerate(scenario.parties[party].pressure):
            if not event.in_round(round_):
                continue
            held = conditional.get((party, k))
            if held is None or (on_table is not None and held[on_table]):
                value += event.change
        return value

    return reservation


class NegotiationProtocol(Protocol):
    """What every protocol offers: a name and ``run``, one session from a table."""

    name: str

    def run(
        self,
        table: OutcomeTable,
        strategies: Sequence[Strategy],
        *,
        seed: int = 0,
        reservation: ReservationSchedule | None = None,
    ) -> Trace: ...


@dataclass(frozen=True)
class Deadline:
    """``rounds`` rounds and/or ``seconds`` seconds, whichever comes first."""

    rounds: int | None = 100
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.rounds is None and self.seconds is None:
            raise ValueError("a negotiation needs a deadline: rounds, seconds or both")
        if self.rounds is not None and self.rounds < 1:
            raise ValueError("rounds must be at least 1")
        if self.seconds is not None and self.seconds <= 0:
            raise ValueError("seconds must be positive")

    def time(self, round_: int, started: float) -> float:
        """Relative time in [0, 1]: the larger share of rounds or seconds used."""
        shares = []
        if self.rounds is not None:
            shares.append(round_ / self.rounds)
        if self.seconds is not None:
            shares.append((clock.perf_counter() - started) / self.seconds)
        return min(1.0, max(shares))

    def expired(self, round_: int, started: float) -> bool:
        """True once round ``round_`` (from 0) may no longer begin."""
        if self.rounds is not None and round_ >= self.rounds:
            return True
        return self.seconds is not None and clock.perf_counter() - started >= self.seconds


class Session:
    """The running state of one session under some protocol.

    Seeds one generator per party from ``seed`` (the same for every protocol), ranks each
    party's outcomes once, keeps the public record, and enforces that red lines bind.

    A party whose outside pressure changes its issue weights sees, in each round, the
    utilities and ranking of the preferences in force in that round; each distinct set of
    preferences is evaluated and ranked once per session, when first needed."""

    def __init__(
        self,
        protocol: str,
        deadline: Deadline,
        table: OutcomeTable,
        strategies: Sequence[Strategy],
        seed: int,
        reservation: ReservationSchedule | None,
    ):
        scenario = table.scenario
        n = len(strategies)
        if n != len(scenario.parties) or n < 2:
            raise ValueError(f"{len(scenario.parties)} parties but {n} strategies")
        self.protocol, self.deadline, self.table, self.strategies = protocol, deadline, table, strategies
        self.names = scenario.party_names
        self.schedule = reservation or pressure_schedule(table)
        self.rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]
        # computed once per table, shared by every session played on it
        self.rankings, self.ranked = table.allowed_ranking, table.allowed_ranked_utilities
        # each party's constant part of its Context, prepared once per session
        self._views = [
            (p, *table.columns[p], self.rankings[p], self.ranked[p])
            for p in range(n)
        ]
        self._discounts = [party.discount for party in scenario.parties]
        self._outcomes = table.outcomes  # public: issues and options, no preferences
        # per party whose pressure changes its weights: those events (by index), and the
        # views of the preference states met so far (keyed by the events in force)
        self._weight_events = [
            tuple(k for k, event in enumerate(party.pressure) if event.weights)
            for party in scenario.parties
        ]
        self._weighted = any(self._weight_events)
        self._states: dict[tuple[int, tuple[int, ...]], tuple] = {}
        self._digits: np.ndarray | None = None
        # a party's reservation value when it never changes (no schedule given, no
        # pressure): the schedule need not be asked every turn
        self.fixed_reservations = [
            party.reservation if reservation is None and not party.pressure else None
            for party in scenario.parties
        ]
        self.history: list[Event] = []
        self.started = clock.perf_counter()

    @property
    def parties(self) -> int:
        return len(self.strategies)

    def time(self, round_: int) -> float:
        if self.deadline.seconds is None:  # rounds only: no clock to read
            return min(1.0, round_ / self.deadline.rounds)
        return self.deadline.time(round_, self.started)

    def expired(self, round_: int) -> bool:
        return self.deadline.expired(round_, self.started)

    def view(self, party: int, round_: int) -> tuple:
        """``(party, utilities, forbidden, ranking, ranked_utilities)`` of ``party`` under
        the preferences in force in round ``round_``."""
        events = self._weight_events[party]
        if not events:
            return self._views[party]
        pressure = self.table.scenario.parties[party].pressure
        active = tuple(k for k in events if pressure[k].in_round(round_))
        if not active:
            return self._views[party]
        key = (party, active)
        view = self._states.get(key)
        if view is None:
            view = self._states[key] = self._preference_view(party, active)
        return view

    def _preference_view(self, party: int, active: tuple[int, ...]) -> tuple:
        """The view of ``party`` when the weight changes of events ``active`` hold (a later
        event's weight for an issue overrides an earlier one's)."""
        scenario = self.table.scenario
        prefs = scenario.parties[party].preferences
        weights = prefs.weights.copy()
        for k in active:
            for issue, weight in scenario.parties[party].pressure[k].weights:
                weights[issue] = weight
        if self._digits is None:
            self._digits = scenario.space.all(self.table.size)
        column = self.table.columns[party][0].copy()
        for issue in np.flatnonzero(weights != prefs.weights):
            shift = weights[issue] - prefs.weights[issue]
            column += shift * prefs.tables[issue][self._digits[:, issue]]
        column.setflags(write=False)
        breaks = self.table.columns[party][1]
        return (party, column, breaks, *allowed_order(column, breaks))

    def context(self, party: int, round_: int, record: Sequence[Event] | None = None) -> Context:
        """What ``party`` sees in round ``round_`` (the live record unless given one)."""
        reservation = self.fixed_reservations[party]
        if reservation is None:
            reservation = self.schedule(party, round_, self.on_table(record))
        # positional, in the order of Context's fields (the cheapest way to build one)
        return Context(
            # party, utilities, forbidden, ranking, ranked_utilities
            *(self.view(party, round_) if self._weighted else self._views[party]),
            reservation,
            round_,
            self.time(round_),
            self.history if record is None else record,
            self.rngs[party],
            self._discounts[party],
            self._outcomes,
        )

    def on_table(self, record: Sequence[Event] | None = None) -> int | None:
        """The outcome of the latest offer (a party's or the mediator's) in ``record`` (the
        live record by default), if any."""
        for event in reversed(self.history if record is None else record):
            if event.action is Action.OFFER:
                return event.outcome
        return None

    def propose(
        self,
        party: int,
        round_: int,
        record: Sequence[Event] | None = None,
        context: Context | None = None,
        binding: bool = True,
    ) -> int | None:
        """Ask ``party`` for an offer and record it (or its walking away, as END). A
        protocol passes the ``context`` of the party's turn when it already built one (a
        counter-offer made in the turn that rejected an offer). A ``binding`` offer is one
        its proposer stands by (alternating offers): it may not break the proposer's own
        red lines; a mediation request for changes is not binding."""
        ctx = context or self.context(party, round_, record)
        proposal = self.strategies[party].propose(ctx)
        if proposal is None:
            self.history.append(Event(round_, ctx.time, party, Action.END))
            return None
        if not 0 <= int(proposal) < self.table.size:
            raise ValueError(
                f"strategy {self.strategies[party].name} of {self.names[party]} proposed outcome "
                f"{proposal}, outside the space of {self.table.size} outcomes"
            )
        if binding and self.table.breaks[int(proposal), party]:
            # a proposer stands by its offer: offering across its own red line would accept it
            raise ValueError(
                f"strategy {self.strategies[party].name} of {self.names[party]} proposed outcome "
                f"{proposal}, which breaks one of {self.names[party]}'s own red lines"
            )
        self.history.append(Event(round_, ctx.time, party, Action.OFFER, int(proposal)))
        return int(proposal)

    def respond(
        self, party: int, round_: int, offer: int, context: Context | None = None
    ) -> Action:
        """Ask ``party`` about ``offer`` and record the answer; red lines bind, so an
        ACCEPT of an outcome breaking one of its own red lines counts as a REJECT."""
        ctx = context or self.context(party, round_)
        action = self.strategies[party].respond(ctx, offer)
        if action is Action.ACCEPT and self.table.breaks[offer, party]:
            action = Action.REJECT
        self.history.append(Event(round_, ctx.time, party, action, offer))
        return action

    def finish(self, ending: Ending, agreement: int | None, rounds: int, why: str) -> Trace:
        """The trace. Each party's reservation value is the one in force at the end, with
        nothing on the table (relief conditional on a deal on the table stops when the talks
        end). With agreement, each party gets its utility under the preferences in force in
        the round of agreement; without, its reservation value. A party with a discount
        factor ``d`` gets both multiplied by ``d ** t``, ``t`` the relative time at the end
        (as GENIUS discounts)."""
        last = max(rounds - 1, 0)
        reservations = [self.schedule(p, last, None) for p in range(self.parties)]
        if agreement is None:
            result = list(reservations)
        elif not self._weighted:
            result = [float(u) for u in self.table.utilities[agreement]]
        else:
            result = [float(self.view(p, last)[1][agreement]) for p in range(self.parties)]
        t = self.time(last)
        for p, discount in enumerate(self._discounts):
            if discount is not None:
                result[p] *= discount**t
                reservations[p] *= discount**t
        return Trace(
            scenario=self.table.scenario.name,
            parties=self.names,
            strategies=tuple(s.name for s in self.strategies),
            protocol=self.protocol,
            events=tuple(self.history),
            ending=ending,
            agreement=agreement,
            rounds=rounds,
            utilities=tuple(result),
            explanation=why,
            reservations=tuple(reservations),
        )

    def walked_away(self, party: int, rounds: int) -> Trace:
        return self.finish(Ending.WALK_AWAY, None, rounds, f"{self.names[party]} walked away")
