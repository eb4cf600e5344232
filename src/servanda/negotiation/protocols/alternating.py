"""Alternating offers: Rubinstein's bilateral protocol and, for more parties, the stacked
alternating offers protocol (SAOP; Aydoğan, Festen, Hindriks and Jonker, "Alternating
offers protocols for multilateral negotiation", 2017).

Parties act in a fixed cyclic order. The first proposes; each next party accepts the offer
on the table, rejects it and makes a counter-offer, or walks away. An offer passes when
every other party has accepted it in turn. A round is one full cycle of turns; the session
ends at the deadline (rounds and/or seconds), whichever comes first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from servanda.negotiation.protocols.base import Deadline, ReservationSchedule, Session
from servanda.negotiation.strategy import Strategy
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Ending, Trace


@dataclass(frozen=True)
class AlternatingOffers(Deadline):
    """Alternating offers with a deadline of ``rounds`` rounds and/or ``seconds`` seconds."""

    name: str = "alternating offers"

    def run(
        self,
        table: OutcomeTable,
        strategies: Sequence[Strategy],
        *,
        seed: int = 0,
        reservation: ReservationSchedule | None = None,
    ) -> Trace:
        """Negotiate once; the same seed gives the same trace (for round deadlines)."""
        session = Session(self.name, self, table, strategies, seed, reservation)
        n = session.parties
        turn, offer, accepted = 0, None, 0
        while True:
            round_, party = divmod(turn, n)
            if session.expired(round_):
                return session.finish(
                    Ending.DEADLINE, None, round_, "the deadline passed without agreement"
                )
            # one context per turn: the answer to the offer and the counter-offer are one
            # decision, so a strategy sees the same view for both (and bids once)
            context = session.context(party, round_)
            if offer is not None:
                action = session.respond(party, round_, offer, context)
                if action is Action.ACCEPT:
                    accepted += 1
                    if accepted == n - 1:
                        return session.finish(Ending.AGREEMENT, offer, round_ + 1, "every party accepted")
                    turn += 1
                    continue
                if action is Action.END:
                    return session.walked_away(party, round_ + 1)
            offer, accepted = session.propose(party, round_, context=context), 0
            if offer is None:
                return session.walked_away(party, round_ + 1)
            turn += 1
