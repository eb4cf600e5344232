"""Alternating offers' planned path: for strategies that plan their bids ahead, the session
computed at once is the very session the turn-by-turn loop plays."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import random_scenario
from servanda.negotiation.protocols.alternating import AlternatingOffers
from servanda.negotiation.protocols.base import Session
from servanda.negotiation.strategies.acceptance import ac_next, ac_rational
from servanda.negotiation.strategies.hardliner import Hardliner
from servanda.negotiation.strategies.time_dependent import (
    Boulware,
    Conceder,
    Linear,
    TimeDependent,
)
from servanda.negotiation.table import OutcomeTable

FAMILIES = [
    Boulware,
    Linear,
    Conceder,
    Hardliner,
    lambda: Boulware(0.05),
    lambda: Conceder(2.5),
    lambda: TimeDependent(0.7, k=0.3),
]


def turn_by_turn(strategies):
    """The same strategies, opted out of the planned path."""
    for strategy in strategies:
        strategy.plans_ahead = False
    return strategies


def planned(protocol, table, strategies):
    """The trace of the planned path, or None when it does not apply."""
    return protocol._run_planned(Session(protocol.name, protocol, table, strategies, 0, None))


sessions = st.builds(
    lambda seed, parties, sizes, red_lines, reservations, picks, rounds: (
        seed,
        parties,
        sizes,
        red_lines,
        reservations[:parties],
        picks[:parties],
        rounds,
    ),
    seed=st.integers(0, 10**6),
    parties=st.integers(2, 3),
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple),
    red_lines=st.booleans(),
    reservations=st.lists(st.sampled_from([0.0, 0.2, 0.4, 0.6, 0.9, 1.5]), min_size=3, max_size=3),
    picks=st.lists(st.integers(0, len(FAMILIES) - 1), min_size=3, max_size=3),
    rounds=st.integers(1, 40),
)


@settings(max_examples=300, deadline=None)
@given(sessions)
def test_the_planned_path_plays_the_turn_by_turn_session(session):
    seed, parties, sizes, red_lines, reservations, picks, rounds = session
    scenario = random_scenario(seed, parties, sizes, red_lines)
    scenario = dataclasses.replace(
        scenario,
        parties=tuple(
            dataclasses.replace(party, reservation=r)
            for party, r in zip(scenario.parties, reservations)
        ),
    )
    table = OutcomeTable.of(scenario)
    protocol = AlternatingOffers(rounds=rounds)
    build = lambda: [FAMILIES[i]() for i in picks]  # noqa: E731
    fast = protocol.run(table, build(), seed=3)
    slow = protocol.run(table, turn_by_turn(build()), seed=3)
    assert fast == slow
    # the planned path applies whenever no party walks away (a bid exists for everyone)
    walks = any(
        not len(table.allowed_ranked_utilities[p]) or table.allowed_ranked_utilities[p][0] < r
        for p, r in enumerate(reservations)
    )
    assert (planned(protocol, table, build()) is None) == walks


def test_the_planned_path_is_taken_only_when_every_condition_holds():
    scenario = random_scenario(7, 2, (4, 3, 5))
    table = OutcomeTable.of(scenario)
    rounds = AlternatingOffers(rounds=30)
    assert planned(rounds, table, [Boulware(), Hardliner()]) is not None
    # a deadline in seconds
    assert planned(AlternatingOffers(rounds=30, seconds=5.0), table, [Boulware(), Linear()]) is None
    # an acceptance condition other than the default, even an equivalent one
    assert planned(rounds, table, [Boulware(acceptance=ac_next() & ac_rational()), Linear()]) is None

    class Greedy(TimeDependent):  # changes its bids without planning them: opts out
        def target(self, context):
            return context.best

    assert not Greedy(1.0).plans()
    assert planned(rounds, table, [Greedy(1.0), Linear()]) is None
    # a reservation schedule (or outside pressure) makes reservation values move
    session = Session(rounds.name, rounds, table, [Boulware(), Linear()], 0, lambda p, r, o: 0.1)
    assert rounds._run_planned(session) is None
