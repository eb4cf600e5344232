"""Opponent models: the frequency and Bayesian models learn a time-dependent opponent's
preferences from its offers alone, deterministically; the accuracy measures; the issue
structure a strategy sees; the model-based strategy under every protocol, in a tournament
and from the registry."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from conftest import EXAMPLES, GENIUS_DATA, random_scenario
from scipy import stats

from servanda.formats import load_scenario
from servanda.model import (
    CategoricalIssue,
    IntegerIssue,
    OrdinalIssue,
    OutcomeSpace,
    Party,
    Preferences,
    Scenario,
)
from servanda.negotiation import AlternatingOffers, SingleText, negotiate
from servanda.negotiation.opponents import (
    OPPONENT_MODELS,
    BayesianModel,
    FrequencyModel,
    OpponentModels,
    accuracy,
    frontier_distance,
    make_model,
    pearson,
    rank_distance,
)
from servanda.negotiation.opponents.bayesian import ranking_weights, shape_hypotheses
from servanda.negotiation.strategies import (
    STRATEGIES,
    BayesianFrontier,
    FrequencyFrontier,
    ModelBased,
    TimeDependent,
    make_strategy,
)
from servanda.negotiation.strategy import Context
from servanda.negotiation.table import Outcomes, OutcomeTable
from servanda.negotiation.trace import Action, Event
from servanda.tournament import Tournament

MODELS = [FrequencyModel, BayesianModel]


def opponent_offers(table: OutcomeTable, party: int, e: float, rounds: int) -> list[tuple]:
    """What a time-dependent party with exponent ``e`` offers over ``rounds`` rounds (its
    bids from its own preferences, as the engine plans them): (digits, time) pairs."""
    times = [r / rounds for r in range(rounds)]
    bids = TimeDependent(e).plan(
        times,
        table.scenario.parties[party].reservation,
        table.allowed_ranking[party],
        table.allowed_ranked_utilities[party],
    )
    return [(table.outcomes.digits[b], t) for b, t in zip(bids, times)]


def learned(model, offers, digits) -> np.ndarray:
    for offer, time in offers:
        model.update(offer, time)
    return model.estimated_utilities(digits)


# -- the frequency model ---------------------------------------------------------------
def test_the_frequency_model_follows_hardheaded():
    space = OutcomeSpace(tuple(CategoricalIssue(f"i{k}", ("a", "b", "c")) for k in range(4)))
    model = FrequencyModel(space)
    assert np.allclose(model.weights(), 0.25)
    assert all(np.allclose(v, 1) for v in model.values())
    model.update([0, 1, 2, 0], 0.0)  # no previous offer: only the counts move
    assert np.allclose(model.weights(), 0.25)
    assert np.allclose(model.values()[0], [1, 0.5, 0.5])
    model.update([0, 1, 0, 1], 0.1)  # issues 0 and 1 unchanged: each gains 0.2 / 4
    golden, total = 0.05, 1 + 2 * 0.05
    expected = np.array([0.25 + golden, 0.25 + golden, 0.25, 0.25]) / total
    assert np.allclose(model.weights(), expected / expected.sum())
    assert np.allclose(model.values()[0], [1, 1 / 3, 1 / 3])  # counts 3, 1, 1
    assert np.allclose(model.values()[2], [1, 0.5, 1])  # counts 2, 1, 2
    assert model.offers == 2


def test_the_frequency_weights_stop_at_hardheadeds_ceiling():
    space = OutcomeSpace((CategoricalIssue("x", ("a", "b")), CategoricalIssue("y", ("a", "b"))))
    model = FrequencyModel(space, learn_coef=0.5)
    for k in range(200):  # x never changes, y always does
        model.update([0, k % 2], k / 200)
    golden = 0.25
    ceiling = 1 - 2 * golden / (1 + golden)  # 0.6, reached at the second offer
    assert np.allclose(model.weights(), [ceiling, 1 - ceiling])
    assert np.allclose(model._weights, model.weights())  # the raw weights sum to 1


# -- the Bayesian model ----------------------------------------------------------------
def test_the_bayesian_hypotheses_are_hindriks_and_tykhonovs():
    assert np.allclose(
        shape_hypotheses(4),
        [[0, 1 / 3, 2 / 3, 1], [1, 2 / 3, 1 / 3, 0], [0, 1, 0.5, 0], [0, 0.5, 1, 0]],
    )
    assert np.allclose(shape_hypotheses(1), [[1]])
    rankings = np.array(list(itertools.permutations(range(3))))
    w = ranking_weights(rankings)
    assert np.allclose(w.sum(axis=1), 1)
    assert np.allclose(w[0], [3 / 6, 2 / 6, 1 / 6])  # ranks 0, 1, 2
    model = BayesianModel(random_scenario(0, sizes=(3, 4, 2, 5)).space)
    assert len(model._weight_hypotheses) == math.factorial(4)
    assert np.allclose(model.weights(), 0.25)


def test_the_bayesian_model_finds_the_shape_of_ordered_issues():
    issues = (
        OrdinalIssue("quality", ("low", "mid", "high", "top")),
        IntegerIssue("price", low=10, high=50, step=10),
        CategoricalIssue("colour", ("red", "green", "blue")),
    )
    values = (
        np.array([0, 0.3, 0.7, 1]),
        np.array([1, 0.75, 0.5, 0.25, 0]),
        np.array([0.2, 1, 0.5]),
    )
    them = Party("them", Preferences(np.array([0.5, 0.3, 0.2]), values))
    us = Party("us", Preferences(np.array([0.4, 0.4, 0.2]), tuple(v[::-1].copy() for v in values)))
    table = OutcomeTable.of(Scenario("shapes", issues, (us, them)))
    model = BayesianModel(table.scenario.space)
    estimated = learned(model, opponent_offers(table, 1, 1.0, 100), table.outcomes.digits)
    quality, price, colour = model.values()
    assert np.all(np.diff(quality) > 0)  # uphill
    assert np.all(np.diff(price) < 0)  # downhill
    assert colour.argmax() == 1
    assert pearson(estimated, table.utilities[:, 1]) > 0.9


@pytest.mark.parametrize("cls", MODELS)
def test_models_learn_a_time_dependent_opponent(cls):
    """A linear opponent conceding to its reservation value 0.5 over 150 rounds, on six
    random scenarios: the correlation rises with its offers and ends high."""
    early, final = [], []
    for seed in range(6):
        table = OutcomeTable.of(random_scenario(seed, sizes=(4, 5, 3, 6, 4), reservation=0.5))
        digits, true, own = table.outcomes.digits, table.utilities[:, 1], table.utilities[:, 0]
        offers = opponent_offers(table, 1, 1.0, 150)
        model = cls(table.scenario.space)
        assert pearson(model.estimated_utilities(digits), true) == 0.0  # knows nothing yet
        early.append(pearson(learned(model, offers[:3], digits), true))
        final.append(accuracy(learned(model, offers[3:], digits), true, own))
        assert final[-1].pearson > early[-1]
        assert final[-1].frontier_distance < 0.06
    pearsons = np.array([a.pearson for a in final])
    assert pearsons.mean() > np.mean(early) + 0.2
    assert pearsons.mean() > 0.75
    assert np.mean([a.rank_distance for a in final]) < 0.2
    if cls is BayesianModel:
        assert pearsons.min() > 0.9


def test_the_frequency_model_misreads_an_opponent_conceding_to_its_worst():
    """A linear opponent conceding all the way to its worst outcomes (reservation value 0)
    offers its bad options as often as its good ones, and in more distinct outcomes: the
    frequency model then ends anti-correlated; the Bayesian model, which weighs each offer
    by the utility it expects at that time, does not."""
    for seed in range(5):
        table = OutcomeTable.of(random_scenario(seed, sizes=(4, 5, 3, 6, 4)))
        digits, true = table.outcomes.digits, table.utilities[:, 1]
        offers = opponent_offers(table, 1, 1.0, 150)
        frequency, bayesian = (
            pearson(learned(cls(table.scenario.space), offers, digits), true) for cls in MODELS
        )
        assert frequency < 0
        assert bayesian > 0.55


@pytest.mark.parametrize("cls", MODELS)
def test_updates_are_deterministic(cls):
    # nine issues: more rankings than the Bayesian model keeps, so it draws some (seeded)
    table = OutcomeTable.of(random_scenario(5, sizes=(2, 3, 2, 2, 3, 2, 2, 2, 3)))
    offers = opponent_offers(table, 1, 0.5, 40)
    digits = table.outcomes.digits

    def estimate(seed):
        kwargs = {"max_rankings": 5000} if cls is BayesianModel else {}
        return learned(cls(table.scenario.space, seed=seed, **kwargs), offers, digits)

    assert np.array_equal(estimate(3), estimate(3))
    if cls is BayesianModel:
        assert not np.array_equal(estimate(3), estimate(4))  # other rankings drawn


def test_models_see_only_the_offers():
    """Two scenarios with the same issues and different opponents' preferences: the same
    offers give the same estimates; a model is built from a space, nothing more."""
    a, b = random_scenario(1, sizes=(3, 4, 5)), random_scenario(2, sizes=(3, 4, 5))
    table = OutcomeTable.of(a)
    offers = opponent_offers(table, 1, 1.0, 60)
    for cls in MODELS:
        estimates = [
            learned(cls(OutcomeSpace(s.space.issues)), offers, table.outcomes.digits)
            for s in (a, b)
        ]
        assert np.array_equal(*estimates)
        for wrong in (a, table, a.parties[1].preferences):
            with pytest.raises(TypeError, match="OutcomeSpace"):
                cls(wrong)
    # what a strategy is shown about the outcomes holds the issues and options only
    assert [f for f in Outcomes.__dataclass_fields__] == ["space"]
    assert [f for f in OutcomeSpace.__dataclass_fields__] == ["issues"]


@pytest.mark.parametrize("cls", MODELS)
def test_bad_offers_are_refused(cls):
    model = cls(random_scenario(0, sizes=(3, 4)).space)
    for offer in ([0], [0, 4], [-1, 0], [0, 1, 2]):
        with pytest.raises(ValueError, match="one option index per issue"):
            model.update(offer, 0.5)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        model.update([0, 0], 1.5)
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        model.estimated_utilities(np.zeros((3, 3), int))
    assert model.offers == 0


def test_model_names_and_parameters_are_checked():
    space = random_scenario(0).space
    assert isinstance(make_model("bayesian", space), BayesianModel)
    assert isinstance(make_model(" Frequency ", space), FrequencyModel)
    assert set(OPPONENT_MODELS) == {"frequency", "bayesian"}
    with pytest.raises(
        ValueError, match="unknown opponent model 'smith'; known: bayesian, frequency"
    ):
        make_model("smith", space)
    with pytest.raises(ValueError, match="sigma"):
        BayesianModel(space, sigma=0)
    with pytest.raises(ValueError, match="concession"):
        BayesianModel(space, concession=2)
    with pytest.raises(ValueError, match="learn_coef"):
        FrequencyModel(space, learn_coef=-1)


@pytest.mark.skipif(not (GENIUS_DATA / "anac").exists(), reason="GENIUS domains not available")
def test_bayesian_is_at_least_as_accurate_as_frequency_on_genius_domains():
    """Against time-dependent opponents (Boulware, linear, conceder) on four ANAC domains,
    both roles: higher mean correlation, lower mean rank distance, on every domain."""
    for name in ("y2010/ItexvsCypress", "y2013/Coffee", "y2011/Grocery", "y2013/Wholesaler"):
        table = OutcomeTable.of(load_scenario(GENIUS_DATA / "anac" / name))
        digits = table.outcomes.digits
        scores = {cls: [] for cls in MODELS}
        for e, party in itertools.product((0.2, 1.0, 5.0), (0, 1)):
            offers = opponent_offers(table, party, e, 100)
            true = table.utilities[:, party]
            for cls in MODELS:
                estimated = learned(cls(table.scenario.space), offers, digits)
                scores[cls].append(
                    (
                        pearson(estimated, true),
                        rank_distance(estimated, true, sampled_pairs=200_000),
                    )
                )
        frequency, bayesian = (np.mean(scores[cls], axis=0) for cls in MODELS)
        assert bayesian[0] >= frequency[0], name
        assert bayesian[1] <= frequency[1], name


# -- accuracy measures -----------------------------------------------------------------
def test_the_accuracy_measures():
    rng = np.random.default_rng(0)
    true = rng.random(300)
    own = rng.random(300)
    assert pearson(true, true) == pytest.approx(1)
    assert pearson(2 * true + 1, true) == pytest.approx(1)
    assert pearson(np.ones(300), true) == 0.0
    assert rank_distance(true, true) == 0.0
    assert rank_distance(-true, true) == 1.0
    assert rank_distance(np.ones(300), true) == 0.5  # every pair tied in one ranking only
    noisy = true + rng.normal(0, 0.3, 300)
    tau = stats.kendalltau(noisy, true).statistic  # no ties: distance = (1 - tau) / 2
    assert rank_distance(noisy, true) == pytest.approx((1 - tau) / 2)
    sampled = rank_distance(noisy, true, exact_pairs=10, sampled_pairs=400_000)
    assert sampled == pytest.approx((1 - tau) / 2, abs=0.005)
    assert frontier_distance(own, true, true) == 0.0
    assert frontier_distance(own, true, -true) > 0.1
    a = accuracy(noisy, true, own)
    assert (a.pearson, a.rank_distance) == (pearson(noisy, true), rank_distance(noisy, true))
    with pytest.raises(ValueError, match="same outcomes"):
        pearson(true, true[:10])


def test_the_frontier_distance_by_hand():
    own = np.array([1.0, 0.0, 0.5, 0.4])
    true = np.array([0.0, 1.0, 0.5, 0.4])  # frontier: outcomes 0, 1, 2
    estimated = np.array([0.0, 0.0, 0.0, 1.0])  # implied frontier: outcomes 0 and 3
    # true points (1,0), (0,1), (.5,.5) to the nearest of (1,0), (.4,.4)
    expected = np.mean([0.0, math.hypot(0.4, 0.6), math.hypot(0.1, 0.1)])
    assert frontier_distance(own, true, estimated) == pytest.approx(expected)


# -- what a strategy sees --------------------------------------------------------------
def test_sessions_show_the_issue_structure():
    scenario = random_scenario(3, sizes=(3, 4, 2))
    table = OutcomeTable.of(scenario)
    outcomes = table.outcomes
    assert np.array_equal(outcomes.digits, scenario.space.all())
    assert not outcomes.digits.flags.writeable
    assert outcomes.digits.dtype == np.uint8
    seen = []

    class Spy(TimeDependent):
        def bid(self, context):
            seen.append(context.outcomes)
            return super().bid(context)

    AlternatingOffers(rounds=5).run(table, [Spy(1.0), Spy(1.0)])
    assert seen and all(o is outcomes for o in seen)


def test_a_tracker_needs_the_outcomes_and_skips_the_mediator():
    scenario = random_scenario(3, sizes=(3, 4, 2))
    u = OutcomeTable.of(scenario).utilities[:, 0]
    history = [Event(0, 0.0, 1, Action.OFFER, 5)]
    bare = Context(
        0,
        u,
        np.zeros(u.size, bool),
        np.argsort(-u),
        np.sort(u)[::-1],
        0.0,
        0,
        0.0,
        history,
        np.random.default_rng(0),
    )
    with pytest.raises(ValueError, match="issue structure"):
        OpponentModels("bayesian").observe(bare)
    tracker = OpponentModels("frequency")
    history += [
        Event(0, 0.1, -1, Action.OFFER, 7),
        Event(0, 0.1, 0, Action.OFFER, 8),
        Event(1, 0.2, 1, Action.OFFER, 5),
    ]
    full = Context(
        0,
        u,
        np.zeros(u.size, bool),
        np.argsort(-u),
        np.sort(u)[::-1],
        0.0,
        1,
        0.2,
        history,
        np.random.default_rng(0),
        None,
        Outcomes(scenario.space),
    )
    models = tracker.observe(full)
    assert list(models) == [1] and models[1].offers == 2  # its own and the mediator's skipped
    tracker.observe(full)
    assert models[1].offers == 2  # nothing read twice
    with pytest.raises(ValueError, match="unknown opponent model"):
        OpponentModels("magic")


# -- the model-based strategy ------------------------------------------------------------
@pytest.mark.parametrize("name", ["frequency", "bayesian"])
def test_model_based_bids_at_its_target_the_outcome_best_for_the_model(name):
    table = OutcomeTable.of(random_scenario(4, sizes=(4, 5, 3, 6)))
    strategy, plain = ModelBased(name, e=1.0), TimeDependent(1.0)
    opponent = TimeDependent(1.0)
    trace = AlternatingOffers(rounds=60).run(table, [strategy, opponent])
    assert trace.agreed
    u, digits = table.utilities[:, 0], table.outcomes.digits
    model, bids = make_model(name, table.scenario.space), 0
    for event in (e for e in trace.events if e.action is Action.OFFER):
        if event.party == 1:
            model.update(digits[event.outcome], event.time)  # as the strategy learns
            continue
        bids += 1
        if model.offers == 0:  # before any offer of the opponent: the plain strategy's bid
            assert event.outcome == plain.bid(_at(table, event.time))
            continue
        target = min(plain.target(_at(table, event.time)), u.max())
        allowed = table.allowed_ranking[0][u[table.allowed_ranking[0]] >= target]
        estimates = model.estimated_utilities(digits[allowed])
        assert u[event.outcome] >= target - 1e-12  # never below its target
        assert model.estimated_utilities(digits[[event.outcome]])[0] == pytest.approx(
            estimates.max()
        )
    assert bids > 5


def _at(table, time):
    u = table.utilities[:, 0]
    return Context(
        0,
        u,
        table.breaks[:, 0],
        table.allowed_ranking[0],
        table.allowed_ranked_utilities[0],
        0.0,
        0,
        time,
        [],
        np.random.default_rng(0),
    )


def test_model_based_accepts_what_the_plain_strategy_accepts():
    table = OutcomeTable.of(random_scenario(6, sizes=(4, 4, 4)))
    u = table.utilities[:, 0]
    strategy, plain = BayesianFrontier(e=1.0), TimeDependent(1.0)
    history = [Event(0, 0.0, 1, Action.OFFER, int(table.allowed_ranking[1][0]))]
    for time, offer in itertools.product((0.1, 0.5, 0.9), range(0, table.size, 7)):
        context = Context(
            0,
            u,
            table.breaks[:, 0],
            table.allowed_ranking[0],
            table.allowed_ranked_utilities[0],
            0.0,
            0,
            time,
            history,
            np.random.default_rng(0),
            None,
            table.outcomes,
        )
        assert strategy.respond(context, offer) is plain.respond(context, offer)


@pytest.mark.parametrize("spec", ["frontier-frequency", "frontier-bayesian(e=0.5)"])
@pytest.mark.parametrize("example", ["job-offer.yaml", "trade-deal.yaml", "moscow-2025.yaml"])
@pytest.mark.parametrize(
    "protocol",
    [
        AlternatingOffers(rounds=40),
        SingleText(rounds=20),
        SingleText(rounds=20, patience=None),
        AlternatingOffers(rounds=None, seconds=0.2),
    ],
)
def test_model_based_negotiates_under_every_protocol(spec, example, protocol):
    scenario = load_scenario(EXAMPLES / example)
    table = OutcomeTable.of(scenario)
    n = len(scenario.parties)
    strategies = [make_strategy(spec)] + [
        make_strategy(s) for s in ("linear", "tit-for-tat", "conceder")[: n - 1]
    ]
    trace = negotiate(scenario, strategies, protocol, seed=2, table=table)
    offers = [e for e in trace.events if e.party == 0 and e.action is Action.OFFER]
    assert offers
    if isinstance(protocol, AlternatingOffers):  # binding offers: never across its red lines
        assert not any(table.breaks[e.outcome, 0] for e in offers)
    assert strategies[0].opponents.models or not any(
        e.party > 0 and e.action is Action.OFFER for e in trace.events
    )


def test_model_based_is_deterministic_and_plays_with_several_parties():
    scenario = random_scenario(8, parties=3, sizes=(3, 4, 3, 2))
    table = OutcomeTable.of(scenario)

    def play():
        strategies = [BayesianFrontier(), FrequencyFrontier(e=1.0), make_strategy("conceder")]
        return AlternatingOffers(rounds=50).run(table, strategies, seed=1)

    first = play()
    assert first == play()
    assert {e.party for e in first.events if e.action is Action.OFFER} == {0, 1, 2}


def test_model_based_strategies_play_a_tournament(tmp_path):
    results = Tournament(
        scenarios=[EXAMPLES / "trade-deal.yaml", EXAMPLES / "job-offer.yaml"],
        strategies=["frontier-bayesian(e=0.2)", "frontier-frequency", "boulware", "linear"],
        protocol={"type": "alternating", "rounds": 40},
        repetitions=2,
    ).run(workers=1)
    table = results.table.to_pandas()
    assert set(table.strategy) == {
        "frontier-bayesian(e=0.2)",
        "frontier-frequency",
        "boulware",
        "linear",
    }
    assert table.agreement.mean() > 0.5


def test_the_registry_builds_model_based_strategies():
    assert STRATEGIES["frontier-frequency"] is FrequencyFrontier
    assert STRATEGIES["frontier-bayesian"] is BayesianFrontier
    strategy = make_strategy("frontier-bayesian(e=0.5, k=0.1)")
    assert (strategy.e, strategy.k, strategy.model) == (0.5, 0.1, "bayesian")
    assert strategy.name == "frontier-bayesian(e=0.5, k=0.1)"
    assert make_strategy(strategy.name).name == strategy.name
    assert make_strategy("frontier-frequency").name == "frontier-frequency(e=0.2)"
    assert strategy.properties["uses_opponent_offers"] and not strategy.plans()


@pytest.mark.parametrize(
    "spec, message",
    [
        ("frontier-bayesian(model=frequency)", "cannot read 'model=frequency'"),
        ("frontier-bayesian(model=1)", "has no parameter 'model'; its parameters are e, k"),
        ("frontier-frequency(e=0)", "the exponent e must be positive"),
        ("frontier-frequency(e=0.2, e=0.3)", "parameter 'e' given twice"),
        ("frontier-smith", "unknown strategy 'frontier-smith'"),
    ],
)
def test_bad_model_based_specs_are_explained(spec, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_strategy(spec)
    with pytest.raises(ValueError, match="unknown opponent model 'smith'"):
        ModelBased("smith")
