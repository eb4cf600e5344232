"""Alternating offers: Rubinstein's bilateral protocol and, for more parties, the stacked
alternating offers protocol (SAOP; Aydoğan, Festen, Hindriks and Jonker, "Alternating
offers protocols for multilateral negotiation", 2017).

Parties act in a fixed cyclic order. The first proposes; each next party accepts the offer
on the table, rejects it and makes a counter-offer, or walks away. An offer passes when
every other party has accepted it in turn. A round is one full cycle of turns; the session
ends at the deadline (rounds and/or seconds), whichever comes first.

The planned path
----------------
Asking every strategy turn by turn costs a context, a bid and an acceptance test per turn,
in Python. When nothing a party does can depend on what happens in the session, its whole
bid sequence is known before the first offer, and the session can be computed at once
instead: tournaments of time-dependent strategies (the common benchmark) run several times
faster. :meth:`AlternatingOffers.run` takes this path exactly when

(a) the deadline is in rounds only (no seconds: time is then ``round / rounds``);
(b) no reservation schedule is given and no party has outside pressure, so every
    reservation value is fixed for the whole session;
(c) every strategy opts in — :meth:`BiddingStrategy.plans`: its class declares
    ``plans_ahead`` (its bids depend only on time, its reservation value and its own ranked
    outcomes; :class:`TimeDependent` and :class:`Hardliner` do) and its acceptance condition
    is the default, AC_next and AC_rational — and :meth:`BiddingStrategy.plan` gives a bid
    for every round (it gives None for a party that would walk away).

It then computes every party's bid for every round (one search per party), tests for every
turn and every later responder whether it would accept the offer on the table, follows the
offers to the first one every other party accepts (or to the deadline), and records the
very events, ending, explanation, rounds and utilities the turn-by-turn loop would. Anything
else takes the turn-by-turn loop (as does a strategy whose ``plans_ahead`` is set to
False on the instance); ``tests/test_fast_path.py`` checks that the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from servanda.negotiation.protocols.base import Deadline, ReservationSchedule, Session
from servanda.negotiation.strategies.base import BiddingStrategy
from servanda.negotiation.strategy import Strategy
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Ending, Event, Trace


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
        trace = self._run_planned(session)
        if trace is not None:
            return trace
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

    def _run_planned(self, session: Session) -> Trace | None:
        """The session from every party's planned bids (see the module's docstring), or
        None when a condition fails and the turn-by-turn loop must play it."""
        fixed = session.fixed_reservations  # every party's reservation value, when it never changes
        if self.seconds is not None or None in fixed:
            return None
        strategies = session.strategies
        if not all(isinstance(s, BiddingStrategy) and s.plans() for s in strategies):
            return None
        n, rounds = session.parties, self.rounds
        times = [r / rounds for r in range(rounds)]  # session.time(r), without a clock
        plans = []
        for p, strategy in enumerate(strategies):
            bids = strategy.plan(times, fixed[p], session.rankings[p], session.ranked[p])
            if bids is None:
                return None
            plans.append(bids)
        # bid[t]: what the party acting at turn t (party t % n in round t // n) would offer
        bid = np.stack(plans, axis=1).reshape(-1)
        turns = len(bid)
        acting = np.arange(turns) % n
        u, breaks, floor = session.table.utilities, session.table.breaks, np.array(fixed, float)
        # accepts[j][s]: the party acting at turn s + j would accept the offer made at turn s
        # (AC_next and AC_rational: worth its own next bid and its reservation value, and
        # breaking none of its red lines)
        accepts = [None]
        for j in range(1, n):
            offer, responder = bid[: turns - j], acting[j:]
            worth = u[offer, responder]
            accepts.append(
                (
                    (worth >= u[bid[j:], responder])
                    & ~breaks[offer, responder]
                    & (worth >= floor[responder])
                ).tolist()
            )
        bid = bid.tolist()
        history = session.history
        history.append(Event(0, times[0], 0, Action.OFFER, bid[0]))
        made = 0  # the turn of the offer on the table
        while True:
            for j in range(1, n):
                turn = made + j
                if turn >= turns:
                    return session.finish(
                        Ending.DEADLINE, None, rounds, "the deadline passed without agreement"
                    )
                round_, party = divmod(turn, n)
                if accepts[j][made]:
                    history.append(Event(round_, times[round_], party, Action.ACCEPT, bid[made]))
                    continue
                history.append(Event(round_, times[round_], party, Action.REJECT, bid[made]))
                history.append(Event(round_, times[round_], party, Action.OFFER, bid[turn]))
                made = turn
                break
            else:
                return session.finish(Ending.AGREEMENT, bid[made], round_ + 1, "every party accepted")
