"""Strategy properties: Boulware concedes less early than a conceder, a hardliner never
concedes, tit-for-tat mirrors, random-acceptable stays acceptable and reproducible; the
acceptance conditions; a user-written strategy; the registry of built-in strategies."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import random_scenario
from servanda.negotiation.protocols.alternating import AlternatingOffers
from servanda.negotiation.strategies import (
    DEFAULT_ACCEPTANCE,
    STRATEGIES,
    AbsoluteTitForTat,
    Boulware,
    Conceder,
    Hardliner,
    RandomAcceptable,
    RelativeTitForTat,
    TimeDependent,
    ac_const,
    ac_next,
    ac_rational,
    ac_time,
    make_strategy,
)
from servanda.negotiation.strategy import Context, Strategy
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Ending, Event

NEVER = ac_const(float("inf"))  # an acceptance condition that accepts nothing


class SplitTheDifference(Strategy):
    """Asks for the midpoint, in its own utility, between its best outcome and the best
    offer it has received so far; accepts an offer worth as much as its own next demand,
    and near the deadline anything better than no agreement."""

    name = "split-the-difference"
    properties = {"stochastic": False, "concedes": True, "uses_opponent_offers": True}

    def propose(self, context: Context) -> int | None:
        if context.best < context.reservation:
            return None  # walk away: nothing it may accept beats no agreement
        received = [
            context.utility(e.outcome)
            for e in context.history
            if e.action is Action.OFFER and e.party != context.party
        ]
        floor = max([context.reservation, *received])
        return context.outcome_near((context.best + floor) / 2)

    def respond(self, context: Context, offer: int) -> Action:
        if not context.acceptable(offer):  # breaks a red line, or worse than no agreement
            return Action.REJECT
        demand = context.utility(self.propose(context))
        if context.utility(offer) >= demand or context.time >= 0.9:
            return Action.ACCEPT
        return Action.REJECT


class Scripted(Strategy):
    """Offers the given outcomes in turn (then the last one again); accepts everything or
    nothing."""

    name = "scripted"

    def __init__(self, script, accepts: bool = False):
        self.script, self.accepts, self.turn = [int(o) for o in script], accepts, 0

    def propose(self, context: Context) -> int | None:
        offer = self.script[min(self.turn, len(self.script) - 1)]
        self.turn += 1
        return offer

    def respond(self, context: Context, offer: int) -> Action:
        return Action.ACCEPT if self.accepts else Action.REJECT


class Recorder(Strategy):
    """Negotiates as ``inner`` (a tit-for-tat or time-dependent strategy) and records the
    target it aims for each time it proposes."""

    def __init__(self, inner):
        self.inner, self.targets = inner, []
        self.name = inner.name

    def propose(self, context: Context) -> int | None:
        self.targets.append(self.inner.target(context))
        return self.inner.propose(context)

    def respond(self, context: Context, offer: int) -> Action:
        return self.inner.respond(context, offer)


def context(
    utilities, *, reservation=0.0, time=0.0, forbidden=None, party=0, history=(), round_=0, seed=0
):
    """A hand-made context for one party over a small space."""
    u = np.asarray(utilities, dtype=float)
    forbidden = np.zeros(u.size, bool) if forbidden is None else np.asarray(forbidden, bool)
    order = np.lexsort((np.arange(u.size), -u))
    ranking = order[~forbidden[order]]
    return Context(
        party=party,
        utilities=u,
        forbidden=forbidden,
        ranking=ranking,
        ranked_utilities=u[ranking],
        reservation=reservation,
        round=round_,
        time=time,
        history=list(history),
        rng=np.random.default_rng(seed),
    )


def run(scenario, strategies, rounds=40, seed=0, table=None):
    table = OutcomeTable.of(scenario) if table is None else table
    return AlternatingOffers(rounds=rounds).run(table, strategies, seed=seed)


def allowed(table, party):
    """The party's outcomes from best to worst, its red lines excluded."""
    return table.ranking[party][~table.breaks[table.ranking[party], party]]


def own(table, trace, party):
    """The party's own utility of each of its offers."""
    return [float(table.utilities[e.outcome, party]) for e in trace.offers(party)]


scenarios = st.builds(
    random_scenario,
    seed=st.integers(0, 10**6),
    parties=st.just(2),
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple),
    red_lines=st.booleans(),
    reservation=st.sampled_from([0.0, 0.3, 0.6]),
)
opponents = st.sampled_from(
    ["boulware", "linear", "conceder", "hardliner", "tit-for-tat", "absolute-tit-for-tat", "random"]
)


# Time-dependent concession ------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    utilities=st.lists(st.floats(0, 1), min_size=1, max_size=30),
    share=st.floats(-1, 0.99),
    t=st.floats(0.01, 0.99),
    boulware_e=st.floats(0.05, 0.95),
    conceder_e=st.floats(1.05, 20),
)
def test_boulware_aims_higher_than_a_conceder_before_the_deadline(
    utilities, share, t, boulware_e, conceder_e
):
    assume(max(utilities) >= 0.01)
    reservation = share * (max(utilities) - 0.01)  # at least 0.01 below its best
    boulware, conceder = Boulware(boulware_e), Conceder(conceder_e)
    now = context(utilities, reservation=reservation, time=t)
    assert boulware.target(now) > conceder.target(now)
    for edge, aim in ((0.0, max(utilities)), (1.0, reservation)):  # both start and end alike
        then = context(utilities, reservation=reservation, time=edge)
        assert boulware.target(then) == pytest.approx(aim)
        assert conceder.target(then) == pytest.approx(aim)


@settings(max_examples=60, deadline=None)
@given(scenario=scenarios, opponent=opponents, rounds=st.integers(2, 40))
def test_boulware_offers_are_worth_more_to_itself_than_a_conceders(scenario, opponent, rounds):
    table = OutcomeTable.of(scenario)
    boulware = run(scenario, [Boulware(), make_strategy(opponent)], rounds, table=table)
    conceder = run(scenario, [Conceder(), make_strategy(opponent)], rounds, table=table)
    # round by round, for as long as both sessions last (the same time in both)
    for b, c in zip(own(table, boulware, 0), own(table, conceder, 0)):
        assert b >= c


def test_boulware_concedes_strictly_less_in_a_rich_space():
    scenario = random_scenario(11, 2, (5, 5, 5))
    table = OutcomeTable.of(scenario)
    # nobody accepts anything, so both sessions last all 40 rounds
    sessions = [[s(acceptance=NEVER), Hardliner(acceptance=NEVER)] for s in (Boulware, Conceder)]
    boulware, conceder = (own(table, run(scenario, s, table=table), 0) for s in sessions)
    assert len(boulware) == len(conceder) == 40
    assert all(b >= c for b, c in zip(boulware, conceder))
    assert sum(boulware) > sum(conceder)
    assert boulware[0] == conceder[0] == table.utilities[allowed(table, 0)[0], 0]


# Hardliner --------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(scenario=scenarios, opponent=opponents, rounds=st.integers(1, 30), first=st.booleans())
def test_a_hardliner_never_concedes(scenario, opponent, rounds, first):
    table = OutcomeTable.of(scenario)
    strategies = [Hardliner(), make_strategy(opponent)]
    party = 0 if first else 1
    trace = run(scenario, strategies if first else strategies[::-1], rounds, table=table)
    ranked = allowed(table, party)
    best = ranked[0] if len(ranked) else None  # with everything a red line, it walks away
    assert all(e.outcome == best for e in trace.offers(party))
    if trace.agreed:  # it accepted only what is worth its best to it
        assert table.utilities[trace.agreement, party] >= table.utilities[best, party]


# Tit-for-tat ------------------------------------------------------------------------


def climbing_script(table, party, positions):
    """Outcomes at the given positions of the party's ranking from worst to best: offers
    whose worth to it rises (or falls) by known steps."""
    return allowed(table, party)[::-1][list(positions)]


@pytest.mark.parametrize("tft", [RelativeTitForTat, AbsoluteTitForTat])
def test_tit_for_tat_mirrors_a_bilateral_opponent(tft):
    scenario = random_scenario(5, 2, (5, 5, 4))
    table = OutcomeTable.of(scenario)
    positions = [0, 3, 7, 12, 18, 14, 25, 25, 31]  # concessions, one retraction, a pause
    script = climbing_script(table, 1, positions)
    recorder = Recorder(tft(acceptance=NEVER))
    trace = run(scenario, [Scripted(script), recorder], rounds=len(script), table=table)
    u = table.utilities[script, 1]  # what each scripted offer is worth to the tit-for-tat
    best, targets = table.utilities[allowed(table, 1)[0], 1], np.array(recorder.targets)
    assert len(targets) == len(script) and targets[0] == best  # it opens with its best
    if tft is AbsoluteTitForTat:  # its target falls by as much as the offers rose
        np.testing.assert_allclose(np.diff(targets), -np.diff(u), atol=1e-12)
    else:  # it gives up the share of its demand that the opponent closed of the gap
        np.testing.assert_allclose(targets[1:] / targets[:-1], (best - u[1:]) / (best - u[:-1]))
    # and each offer reaches the target, as closely as the space allows
    offers = np.array(own(table, trace, 1))
    assert np.all(offers >= targets - 1e-12)


@settings(max_examples=60, deadline=None)
@given(scenarios, st.sampled_from([RelativeTitForTat, AbsoluteTitForTat]), st.data())
def test_tit_for_tat_follows_faratin_against_any_script(scenario, tft, data):
    table = OutcomeTable.of(scenario)
    ranked, reservation = allowed(table, 1), scenario.parties[1].reservation
    assume(len(ranked) >= 2 and table.utilities[ranked[0], 1] >= reservation)
    best = table.utilities[ranked[0], 1]
    positions = data.draw(st.lists(st.integers(0, len(ranked) - 2), min_size=1, max_size=15))
    script = climbing_script(table, 1, positions)
    assume(not table.breaks[script, 0].any())  # a proposer never offers across its red lines
    u = table.utilities[script, 1]
    assume(best - u.max() > 1e-9)  # the script never offers its best
    recorder = Recorder(tft(acceptance=NEVER))
    run(scenario, [Scripted(script), recorder], rounds=len(script), table=table)
    expected = [best]  # Faratin's imitative tactics, kept within [reservation, best]
    for before, after in zip(u, u[1:]):
        aim = expected[-1]
        if tft is AbsoluteTitForTat:
            aim -= after - before
        else:
            aim = reservation + (aim - reservation) * (best - after) / (best - before)
        expected.append(min(max(aim, reservation), best))
    np.testing.assert_allclose(recorder.targets, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("last", ["counter-offers", "accepts"])
def test_tit_for_tat_mirrors_whoever_offered_last_in_a_multilateral_session(last):
    scenario = random_scenario(8, 3, (5, 4, 5))
    table = OutcomeTable.of(scenario)
    slow = climbing_script(table, 2, [0, 1, 2, 3, 4, 5])
    fast = climbing_script(table, 2, [0, 10, 20, 30, 40, 50])
    # parties 0 and 1 offer in turn; when 1 accepts 0's offers, 0 is the last to offer
    one = Scripted(fast, accepts=True) if last == "accepts" else Scripted(fast)
    recorder = Recorder(AbsoluteTitForTat(acceptance=NEVER))
    run(scenario, [Scripted(slow), one, recorder], rounds=6, table=table)
    mirrored = slow if last == "accepts" else fast
    steps = np.diff(table.utilities[mirrored, 2])
    np.testing.assert_allclose(np.diff(recorder.targets), -steps, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(scenario=scenarios, opponent=opponents, rounds=st.integers(1, 30))
def test_tit_for_tat_opens_with_its_best_and_stays_acceptable(scenario, opponent, rounds):
    table = OutcomeTable.of(scenario)
    for tft in (RelativeTitForTat(), AbsoluteTitForTat()):
        trace = run(scenario, [tft, make_strategy(opponent)], rounds, table=table)
        offers = [e.outcome for e in trace.offers(0)]
        if offers:
            assert offers[0] == allowed(table, 0)[0]
        for offer in offers:
            assert not table.breaks[offer, 0]
            assert table.utilities[offer, 0] >= scenario.parties[0].reservation


@pytest.mark.parametrize("tft", [RelativeTitForTat, AbsoluteTitForTat])
def test_tit_for_tat_does_not_move_against_a_hardliner(tft):
    scenario = random_scenario(3, 2, (4, 4, 4))
    table = OutcomeTable.of(scenario)
    trace = run(scenario, [Hardliner(), tft()], table=table)
    assert trace.ending is Ending.DEADLINE
    assert {e.outcome for e in trace.offers(1)} == {allowed(table, 1)[0]}


def test_tit_for_tat_reads_its_history_once_per_turn():
    # respond and propose in the same turn see the same history: no double concession
    u = [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]
    history = [Event(0, 0.0, 1, Action.OFFER, 5), Event(0, 0.1, 1, Action.OFFER, 4)]
    tft = AbsoluteTitForTat()
    now = context(u, history=history)
    assert tft.target(now) == pytest.approx(0.8)
    assert tft.target(now) == pytest.approx(0.8)
    assert tft.bid(now) == 1
    # texts put forward by no party (a mediator: party -1) are not concessions to mirror
    history += [Event(1, 0.2, -1, Action.OFFER, 5), Event(1, 0.2, -1, Action.OFFER, 1)]
    assert tft.target(context(u, history=history, round_=1)) == pytest.approx(0.8)


@pytest.mark.parametrize("name", ["tit-for-tat", "absolute-tit-for-tat", "random", "boulware"])
def test_offers_respect_a_reservation_value_that_rises_during_the_session(name):
    scenario = random_scenario(9, 2, (5, 5, 4))
    table = OutcomeTable.of(scenario)
    pressure = lambda party, round_, _on_table: 0.7 if party == 0 and round_ >= 10 else 0.0  # noqa: E731
    strategies = [STRATEGIES[name](acceptance=NEVER), Conceder(acceptance=NEVER)]
    trace = AlternatingOffers(rounds=30).run(table, strategies, reservation=pressure)
    assert len(trace.offers(0)) == 30
    for e in trace.offers(0):
        assert table.utilities[e.outcome, 0] >= pressure(0, e.round, None)


# Random-acceptable ------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(scenario=scenarios, opponent=opponents, rounds=st.integers(1, 30), seed=st.integers(0, 99))
def test_random_acceptable_offers_only_acceptable_outcomes(scenario, opponent, rounds, seed):
    table = OutcomeTable.of(scenario)
    trace = run(scenario, [RandomAcceptable(), make_strategy(opponent)], rounds, seed, table)
    reservation = scenario.parties[0].reservation
    for e in trace.offers(0):
        assert not table.breaks[e.outcome, 0] and table.utilities[e.outcome, 0] >= reservation
    acceptable = ~table.breaks[:, 0] & (table.utilities[:, 0] >= reservation)
    if not acceptable.any():  # nothing to offer: it walks away at its first turn
        assert trace.ending is Ending.WALK_AWAY
        assert trace.events[-1].party == 0 and trace.events[-1].action is Action.END


def test_random_acceptable_is_reproducible_from_the_seed():
    scenario = random_scenario(6, 2, (5, 5, 4))
    strategies = lambda: [RandomAcceptable(), Hardliner(acceptance=NEVER)]  # noqa: E731
    state = np.random.get_state()[1].copy()
    first, again = run(scenario, strategies(), seed=1), run(scenario, strategies(), seed=1)
    other = run(scenario, strategies(), seed=2)
    assert first == again
    assert first.offers(0) != other.offers(0)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # no global randomness


def test_random_acceptable_draws_uniformly_among_acceptable_outcomes():
    u = [0.9, 0.1, 0.5, 0.7, 0.3, 0.95, 0.6]
    forbidden = [False, False, False, False, False, True, False]
    strategy, rng = RandomAcceptable(), np.random.default_rng(0)
    now = context(u, reservation=0.5, forbidden=forbidden)
    bids = [strategy.bid(replace(now, round=r, rng=rng)) for r in range(4000)]
    counts = np.bincount(bids, minlength=len(u))
    assert set(np.flatnonzero(counts)) == {0, 2, 3, 6}
    assert counts[[0, 2, 3, 6]].min() > 900  # 1000 expected each
    # one bid per round, so AC_next compares an offer with the bid it then makes
    assert len({strategy.bid(replace(now, round=4000, rng=rng)) for _ in range(20)}) == 1
    # above its best, it walks away
    assert RandomAcceptable().bid(context(u, reservation=0.91, forbidden=forbidden)) is None
    # and by default it accepts anything acceptable
    assert strategy.respond(context(u, reservation=0.5), 3) is Action.ACCEPT
    assert strategy.respond(context(u, reservation=0.5), 4) is Action.REJECT
    assert strategy.respond(context(u, reservation=0.5, forbidden=forbidden), 5) is Action.REJECT


def test_the_properties_are_declared():
    assert RandomAcceptable.properties["stochastic"]
    for cls in (RelativeTitForTat, AbsoluteTitForTat):
        assert cls.properties["uses_opponent_offers"] and not cls.properties["stochastic"]
    assert not Hardliner.properties["concedes"]


# Acceptance conditions -----------------------------------------------------------------

U = [0.9, 0.5, 0.2, 0.7]  # outcome 3 breaks a red line
FORBIDDEN = [False, False, False, True]


@pytest.mark.parametrize(
    ("condition", "offer", "next_bid", "time", "accept"),
    [
        (ac_next(), 1, 0, 0.0, False),  # 0.5 < 0.9, what it would ask next
        (ac_next(), 1, 2, 0.0, True),  # 0.5 >= 0.2
        (ac_next(), 1, 1, 0.0, True),  # as good as its own bid
        (ac_next(), 2, None, 0.0, True),  # it would walk away instead
        (ac_next(alpha=1.0, beta=0.4), 1, 0, 0.0, True),  # 0.5 + 0.4 >= 0.9
        (ac_next(alpha=0.5), 0, 1, 0.0, False),  # 0.45 < 0.5
        (ac_const(0.5), 1, 0, 0.0, True),
        (ac_const(0.5), 2, 0, 0.0, False),
        (ac_time(0.8), 2, 0, 0.79, False),
        (ac_time(0.8), 2, 0, 0.8, True),
        (ac_rational(), 1, 0, 0.0, True),  # 0.5 >= reservation 0.3
        (ac_rational(), 2, 0, 0.0, False),  # 0.2 < 0.3
        (ac_rational(), 3, 0, 0.0, False),  # worth 0.7, but a red line
        (ac_time(0.8) | ac_const(0.5), 2, 0, 0.9, True),
        (ac_time(0.8) | ac_const(0.5), 2, 0, 0.5, False),
        (ac_time(0.8) | ac_const(0.5), 1, 0, 0.5, True),
        (ac_time(0.8) & ac_const(0.5), 1, 0, 0.5, False),
        (ac_time(0.8) & ac_const(0.5), 1, 0, 0.9, True),
        (DEFAULT_ACCEPTANCE, 3, 2, 0.0, False),  # AC_next holds, the red line does not
        (DEFAULT_ACCEPTANCE, 1, 2, 0.0, True),
        (DEFAULT_ACCEPTANCE, 2, None, 0.0, False),  # walking away beats an irrational offer
    ],
)
def test_acceptance_conditions(condition, offer, next_bid, time, accept):
    now = context(U, reservation=0.3, time=time, forbidden=FORBIDDEN)
    assert bool(condition(now, offer, next_bid)) is accept


def test_acceptance_conditions_name_themselves():
    assert (ac_time(0.8) | ac_const(0.5)).name == "(AC_time(0.8) or AC_const(0.5))"
    assert (ac_next() & ac_rational()).name == "(AC_next and AC_rational)"


def test_any_acceptance_condition_plugs_into_a_bidding_strategy():
    now = context(U, reservation=0.3, time=0.95, forbidden=FORBIDDEN)
    for strategy in (Boulware, Conceder, Hardliner, RelativeTitForTat, AbsoluteTitForTat):
        assert strategy(acceptance=ac_time(0.9)).respond(now, 2) is Action.ACCEPT
        assert strategy(acceptance=NEVER).respond(now, 0) is Action.REJECT


# A user's strategy ----------------------------------------------------------------------


@pytest.mark.parametrize("opponent", ["boulware", "linear", "conceder", "random", "mine"])
def test_a_user_written_strategy_negotiates(opponent):
    scenario = random_scenario(12, 2, (5, 4, 3), reservation=0.2)
    table = OutcomeTable.of(scenario)
    other = SplitTheDifference() if opponent == "mine" else make_strategy(opponent)
    trace = run(scenario, [SplitTheDifference(), other], rounds=30, table=table)
    assert trace.strategies[0] == "split-the-difference"
    assert trace.agreed
    assert all(table.utilities[trace.agreement, p] >= 0.2 for p in (0, 1))


def test_a_user_written_strategy_negotiates_with_several_parties():
    scenario = random_scenario(13, 3, (5, 4, 3), reservation=0.2)
    table = OutcomeTable.of(scenario)
    trace = run(scenario, [SplitTheDifference(), Boulware(), SplitTheDifference()], table=table)
    assert trace.agreed
    assert all(table.utilities[trace.agreement, p] >= 0.2 for p in (0, 1, 2))


def test_a_user_written_strategy_joins_the_registry(monkeypatch):
    monkeypatch.setitem(STRATEGIES, "split-the-difference", SplitTheDifference)
    assert isinstance(make_strategy("split-the-difference"), SplitTheDifference)


# Registry ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(set(STRATEGIES) - {"time-dependent"}))
def test_every_registered_strategy_builds_and_its_name_rebuilds_it(name):
    strategy = make_strategy(name)
    assert type(strategy) is STRATEGIES[name]
    again = make_strategy(strategy.name)
    assert type(again) is type(strategy) and again.name == strategy.name


@pytest.mark.parametrize(
    ("spec", "cls", "e"),
    [
        ("boulware", Boulware, 0.2),
        ("boulware(e=0.1)", Boulware, 0.1),
        ("conceder(e=3)", Conceder, 3),
        ("  Boulware ( e = 0.1 ) ", Boulware, 0.1),
        ("conceder(e=2.5e0)", Conceder, 2.5),
        ("time-dependent(e=0.5, k=0.1)", TimeDependent, 0.5),
        ("linear()", TimeDependent, 1.0),
    ],
)
def test_specs_set_parameters(spec, cls, e):
    strategy = make_strategy(spec)
    assert isinstance(strategy, cls) and strategy.e == e


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "expected NAME or NAME"),
        ("nope", "unknown strategy 'nope'; known: absolute-tit-for-tat, boulware"),
        ("boulware(", "expected NAME or NAME"),
        ("boulware e=1", "expected NAME or NAME"),
        ("boulware(e=)", "cannot read 'e=' in the strategy 'boulware\\(e=\\)'"),
        ("boulware(e=abc)", "expected key=number"),
        ("boulware(e=1,)", "expected key=number"),
        ("boulware(0.1)", "expected key=number"),
        ("boulware(x=1)", "boulware has no parameter 'x'; its parameters are e"),
        ("linear(e=1)", "linear has no parameter 'e'; it takes none"),
        ("boulware(e=1, e=2)", "parameter 'e' given twice"),
        ("boulware(e=0)", "strategy 'boulware\\(e=0\\)': the exponent e must be positive"),
        ("time-dependent", "time-dependent needs e"),
        ("boulware(acceptance=1)", "no parameter 'acceptance'"),
        ("__import__('os').system('true')", "cannot read the strategy"),
    ],
)
def test_bad_specs_are_explained(spec, message):
    with pytest.raises(ValueError, match=message) as error:
        make_strategy(spec)
    assert repr(spec) in str(error.value)
    if "unknown" in message or "expected NAME" in message:
        assert "tit-for-tat" in str(error.value)  # the known names are listed
