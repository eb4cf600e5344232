"""Alternating offers: Rubinstein's bilateral protocol and, for more parties, the stacked
alternating offers protocol (SAOP; Aydoğan, Festen, Hindriks and Jonker, "Alternating
offers protocols for multilateral negotiation", 2017).

Parties act in a fixed cyclic order. The first proposes; each next party accepts the offer
on the table, rejects it and makes a counter-offer, or walks away. An offer passes when
every other party has accepted it in turn. A round is one full cycle of turns; the session
ends at the deadline (rounds and/or seconds), whichever comes first.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from servanda.negotiation.strategy import Context, Strategy
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Ending, Event, Trace

#: ``reservation(party, round) -> float``: a party's reservation value in a given round.
ReservationSchedule = Callable[[int, int], float]


@dataclass(frozen=True)
class AlternatingOffers:
    """Alternating offers with a deadline of ``rounds`` rounds and/or ``seconds`` seconds."""

    rounds: int | None = 100
    seconds: float | None = None
    name: str = "alternating offers"

    def __post_init__(self) -> None:
        if self.rounds is None and self.seconds is None:
            raise ValueError("a negotiation needs a deadline: rounds, seconds or both")
        if self.rounds is not None and self.rounds < 1:
            raise ValueError("rounds must be at least 1")
        if self.seconds is not None and self.seconds <= 0:
            raise ValueError("seconds must be positive")

    def run(
        self,
        table: OutcomeTable,
        strategies: Sequence[Strategy],
        *,
        seed: int = 0,
        reservation: ReservationSchedule | None = None,
    ) -> Trace:
        """Negotiate once; the same seed gives the same trace (for round deadlines)."""
        scenario = table.scenario
        n = len(strategies)
        if n != len(scenario.parties) or n < 2:
            raise ValueError(f"{len(scenario.parties)} parties but {n} strategies")
        schedule = reservation or (lambda party, _round: scenario.parties[party].reservation)
        rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]
        rankings = [table.ranking[p][~table.breaks[table.ranking[p], p]] for p in range(n)]
        history: list[Event] = []
        started = clock.perf_counter()

        def context(party: int, round_: int) -> Context:
            return Context(
                party=party,
                utilities=table.utilities[:, party],
                forbidden=table.breaks[:, party],
                ranking=rankings[party],
                reservation=schedule(party, round_),
                round=round_,
                time=self._time(round_, started),
                history=history,
                rng=rngs[party],
                discount=scenario.parties[party].discount,
            )

        def finish(ending: Ending, agreement: int | None, rounds: int, why: str) -> Trace:
            if agreement is not None:
                result = tuple(float(u) for u in table.utilities[agreement])
            else:
                result = tuple(schedule(p, rounds - 1) for p in range(n))
            return Trace(
                scenario=scenario.name,
                parties=scenario.party_names,
                strategies=tuple(s.name for s in strategies),
                protocol=self.name,
                events=tuple(history),
                ending=ending,
                agreement=agreement,
                rounds=rounds,
                utilities=result,
                explanation=why,
            )

        turn, offer, accepted = 0, None, 0
        names = scenario.party_names
        while True:
            round_, party = divmod(turn, n)
            if self._expired(round_, started):
                return finish(Ending.DEADLINE, None, round_, "the deadline passed without agreement")
            ctx = context(party, round_)
            if offer is not None:
                action = strategies[party].respond(ctx, offer)
                if action is Action.ACCEPT and table.breaks[offer, party]:
                    action = Action.REJECT  # a red line is never crossed
                history.append(Event(round_, ctx.time, party, action, offer))
                if action is Action.ACCEPT:
                    accepted += 1
                    if accepted == n - 1:
                        return finish(Ending.AGREEMENT, offer, round_ + 1, "every party accepted")
                    turn += 1
                    continue
                if action is Action.END:
                    return finish(Ending.WALK_AWAY, None, round_ + 1, f"{names[party]} walked away")
            proposal = strategies[party].propose(ctx)
            if proposal is None:
                history.append(Event(round_, ctx.time, party, Action.END))
                return finish(Ending.WALK_AWAY, None, round_ + 1, f"{names[party]} walked away")
            if not 0 <= int(proposal) < table.size:
                raise ValueError(
                    f"strategy {strategies[party].name} of {names[party]} proposed outcome "
                    f"{proposal}, outside the space of {table.size} outcomes"
                )
            offer, accepted = int(proposal), 0
            history.append(Event(round_, ctx.time, party, Action.OFFER, offer))
            turn += 1

    def _time(self, round_: int, started: float) -> float:
        shares = []
        if self.rounds is not None:
            shares.append(round_ / self.rounds)
        if self.seconds is not None:
            shares.append((clock.perf_counter() - started) / self.seconds)
        return min(1.0, max(shares))

    def _expired(self, round_: int, started: float) -> bool:
        if self.rounds is not None and round_ >= self.rounds:
            return True
        return self.seconds is not None and clock.perf_counter() - started >= self.seconds
