"""Alternating offers: turn order, deadlines, agreements acceptable to all, determinism."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, random_scenario
from servanda.formats import load_yaml
from servanda.negotiation.protocols.alternating import AlternatingOffers
from servanda.negotiation.strategies.hardliner import Hardliner
from servanda.negotiation.strategies.time_dependent import Boulware, Conceder, Linear, TimeDependent
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Ending

FAMILIES = [Boulware, Linear, Conceder, Hardliner]


def run(scenario, strategies, rounds=50, seed=0):
    return AlternatingOffers(rounds=rounds).run(OutcomeTable.of(scenario), strategies, seed=seed)


sessions = st.builds(
    lambda seed, parties, sizes, red_lines, reservation, picks, rounds: (
        random_scenario(seed, parties, sizes, red_lines, reservation),
        [FAMILIES[i % len(FAMILIES)]() for i in picks[:parties]],
        rounds,
    ),
    seed=st.integers(0, 10**6),
    parties=st.integers(2, 4),
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple),
    red_lines=st.booleans(),
    reservation=st.sampled_from([0.0, 0.3, 0.6]),
    picks=st.lists(st.integers(0, 3), min_size=4, max_size=4),
    rounds=st.integers(1, 30),
)


@settings(max_examples=80, deadline=None)
@given(sessions)
def test_protocol_rules_hold_in_every_session(session):
    scenario, strategies, rounds = session
    table = OutcomeTable.of(scenario)
    trace = AlternatingOffers(rounds=rounds).run(table, strategies, seed=1)
    n = len(scenario.parties)
    # nobody acts out of turn: turns cycle through the parties in order; a party that
    # rejects goes on, in the same turn, to a counter-offer (or walks away)
    turn = 0
    for k, event in enumerate(trace.events):
        previous = trace.events[k - 1] if k else None
        if previous is not None and previous.action is Action.REJECT:
            assert event.party == previous.party and event.action in (Action.OFFER, Action.END)
            continue
        assert event.party == turn % n
        turn += 1
    # a deadline always ends the session
    assert trace.rounds <= rounds and all(e.round < rounds for e in trace.events)
    if trace.agreed:
        offer = trace.agreement
        last_offer = max(k for k, e in enumerate(trace.events) if e.action is Action.OFFER)
        accepters = {e.party for e in trace.events[last_offer + 1 :] if e.action is Action.ACCEPT}
        proposer = trace.events[last_offer].party
        assert accepters | {proposer} == set(range(n))
        for party in accepters:  # acceptable to everyone who accepted it
            assert not table.breaks[offer, party]
            assert table.utilities[offer, party] >= scenario.parties[party].reservation
        np.testing.assert_array_equal(trace.utilities, table.utilities[offer])
    else:
        assert trace.ending in (Ending.DEADLINE, Ending.WALK_AWAY)


def test_same_seed_same_trace():
    scenario = random_scenario(4, 3, (4, 4, 3))
    a = run(scenario, [Boulware(), Conceder(), Linear()], seed=7)
    b = run(scenario, [Boulware(), Conceder(), Linear()], seed=7)
    assert a == b


def test_red_lines_are_never_crossed_in_the_moscow_example():
    scenario = load_yaml(EXAMPLES / "moscow-2025.yaml")
    trace = run(scenario.without_pressure(), [Boulware(), Conceder(), Conceder(), Conceder()], rounds=100)
    assert trace.ending is Ending.DEADLINE and trace.agreement is None
    assert trace.utilities == tuple(p.reservation for p in scenario.parties)


def test_time_dependent_targets_follow_faratin():
    scenario = random_scenario(2, 2, (5, 5, 5))
    table = OutcomeTable.of(scenario)
    trace = AlternatingOffers(rounds=40).run(table, [Boulware(), Conceder()], seed=0)
    own = [table.utilities[e.outcome, e.party] for e in trace.offers(0)]
    # the Boulware party's own utility of its offers never rises
    assert all(b <= a + 1e-12 for a, b in zip(own, own[1:]))
    with pytest.raises(ValueError):
        TimeDependent(e=0)


def test_a_deadline_needs_rounds_or_seconds():
    with pytest.raises(ValueError, match="deadline"):
        AlternatingOffers(rounds=None, seconds=None)


class _AcrossOwnRedLine(Hardliner):
    """Offers the first outcome, whatever its own red lines say."""

    name = "reckless"
    plans_ahead = False

    def bid(self, context):
        return 0


def test_a_proposer_may_not_offer_across_its_own_red_line():
    scenario = random_scenario(3, 2, (2, 2), red_lines=True)
    table = OutcomeTable.of(scenario)
    party = int(np.flatnonzero(table.breaks[0])[0]) if table.breaks[0].any() else None
    if party is None:
        pytest.skip("outcome 0 breaks no red line in this scenario")
    strategies = [Hardliner(), Hardliner()]
    strategies[party] = _AcrossOwnRedLine()
    if party == 1:  # party 1 proposes only after rejecting; make party 0 offer something else
        strategies[0] = Boulware()
    with pytest.raises(ValueError, match="breaks one of .* own red lines"):
        AlternatingOffers(rounds=5).run(table, strategies)


def test_discounting_applies_to_the_result_and_the_reservation():
    scenario = load_yaml(EXAMPLES / "job-offer.yaml")
    discounted = scenario.__class__(
        scenario.name,
        scenario.issues,
        tuple(replace(p, discount=0.5) for p in scenario.parties),
        scenario.description,
    )
    plain = run(scenario, [Boulware(), Conceder()], rounds=100)
    trace = run(discounted, [Boulware(), Conceder()], rounds=100)
    assert trace.agreement == plain.agreement
    factor = 0.5 ** ((trace.rounds - 1) / 100)
    np.testing.assert_allclose(trace.utilities, np.array(plain.utilities) * factor)
    np.testing.assert_allclose(trace.reservations, scenario.reservations * factor)
