"""Elicitation of a party's own preferences: direct ratings (exact, round trips, every
validation message), least-squares fits of rated packages (exact recovery on random small
scenarios, a stated tolerance under noise, the minimum-norm choice when under-determined,
monotone fits), the part-worth model, package designs and the package check."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.elicitation import (
    PartWorthModel,
    compare_preferences,
    design_packages,
    fit_package_ratings,
    option_values,
    preferences_from_ratings,
    random_packages,
    with_preferences,
)
from servanda.errors import OutcomeError, ScenarioError
from servanda.formats import dump_yaml, loads_yaml
from servanda.model import (
    CategoricalIssue,
    IntegerIssue,
    OrdinalIssue,
    OutcomeSpace,
    Party,
    Preferences,
    RealIssue,
    Scenario,
)

from conftest import random_scenario

PROPERTY = settings(max_examples=30, deadline=None)


def small_issues(sizes) -> tuple:
    return tuple(CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(n))) for k, n in enumerate(sizes))


def normalised_truth(rng: np.random.Generator, sizes, least_weight: float = 0.0) -> Preferences:
    """Random preferences in the normal form: weights summing to 1 (each at least
    ``least_weight``), each issue's best option 1 and worst 0."""
    weights = least_weight + (1 - least_weight * len(sizes)) * rng.dirichlet(np.ones(len(sizes)))
    tables = []
    for n in sizes:
        table = rng.random(n)
        tables.append((table - table.min()) / (table.max() - table.min()))
    return Preferences(weights, tuple(tables))


def same_preferences(a: Preferences, b: Preferences, tol: float = 1e-9) -> bool:
    return np.allclose(a.weights, b.weights, atol=tol, rtol=0) and all(
        np.allclose(x, y, atol=tol, rtol=0) for x, y in zip(a.tables, b.tables)
    )


sizes_strategy = st.lists(st.integers(2, 4), min_size=2, max_size=4).map(tuple)


# -- direct ratings -----------------------------------------------------------------------
MIXED = (
    CategoricalIssue("colour", ("red", "green", "blue")),
    OrdinalIssue("size", ("S", "M", "L")),
    IntegerIssue("cap", 0, 100, ("no_cap",), step=10),
)


def test_direct_ratings_give_the_normalised_preferences_exactly():
    prefs = preferences_from_ratings(
        MIXED,
        {"colour": 50, "size": 30, "cap": 20},
        {
            "colour": {"red": 2, "green": 10, "blue": 6},  # a 0-10 scale: only differences count
            "size": {"S": 100, "M": 40, "L": 0},
            "cap": {0: 0, 50: 100, 100: 20, "no_cap": 40},  # the rest of the range interpolated
        },
    )
    assert prefs.weights.tolist() == [0.5, 0.3, 0.2]
    assert prefs.tables[0].tolist() == [0.0, 1.0, 0.5]
    assert prefs.tables[1].tolist() == [1.0, 0.4, 0.0]
    expected_cap = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 0.84, 0.68, 0.52, 0.36, 0.2, 0.4]
    assert np.allclose(prefs.tables[2], expected_cap, rtol=0, atol=1e-15)


def test_numeric_ratings_stay_flat_beyond_the_outermost_rated_values():
    prefs = preferences_from_ratings(
        (IntegerIssue("n", 0, 4), CategoricalIssue("c", ("a", "b"))),
        {"n": 1, "c": 1},
        {"n": {"1": 10, "3": 30}, "c": {"a": 0, "b": 1}},
    )
    assert prefs.tables[0].tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), sizes=sizes_strategy, low=st.floats(-50, 50), spread=st.floats(0.5, 200))
def test_ratings_round_trip_with_the_model_utilities(seed, sizes, low, spread):
    """Ratings on any affine scale give the preferences back, whose utilities are the
    points-weighted rescaled ratings; and they survive the scenario file."""
    rng = np.random.default_rng(seed)
    truth = normalised_truth(rng, sizes)
    issues = small_issues(sizes)
    points = {issue.name: float(100 * w) for issue, w in zip(issues, truth.weights)}
    ratings = {
        issue.name: {o: low + spread * v for o, v in zip(issue.options, table)}
        for issue, table in zip(issues, truth.tables)
    }
    prefs = preferences_from_ratings(issues, points, ratings)
    assert same_preferences(prefs, truth, 1e-12)

    outcomes = OutcomeSpace(issues).all()
    by_hand = np.zeros(len(outcomes))
    for i, issue in enumerate(issues):
        rated = np.array([ratings[issue.name][o] for o in issue.options])
        scaled = (rated - rated.min()) / (rated.max() - rated.min())
        by_hand += points[issue.name] / sum(points.values()) * scaled[outcomes[:, i]]
    assert np.allclose(prefs.evaluate(outcomes), by_hand, rtol=0, atol=1e-12)

    scenario = Scenario("s", issues, (Party("p", Preferences(np.ones(len(sizes)) / len(sizes),
                                                             tuple(np.zeros(n) for n in sizes))),))
    reread = loads_yaml(dump_yaml(with_preferences(scenario, "p", prefs))).party("p").preferences
    assert same_preferences(reread, prefs, 1e-12)


def test_an_issue_rated_alike_with_no_points_has_weight_and_values_zero():
    prefs = preferences_from_ratings(
        small_issues((2, 3)), {"i0": 0, "i1": 7}, {"i0": {"o0": 5, "o1": 5}, "i1": {"o0": 1, "o1": 2, "o2": 3}}
    )
    assert prefs.weights.tolist() == [0.0, 1.0]
    assert prefs.tables[0].tolist() == [0.0, 0.0]
    assert option_values(MIXED[1], {"S": 3, "M": 3, "L": 3}).tolist() == [0.0, 0.0, 0.0]


GOOD_RATINGS = {"colour": {"red": 0, "green": 1, "blue": 2}, "size": {"S": 0, "M": 1, "L": 2},
                "cap": {0: 0, 100: 1, "no_cap": 2}}
GOOD_POINTS = {"colour": 1, "size": 1, "cap": 1}


@pytest.mark.parametrize(
    "points, ratings, message",
    [
        ({"colour": 1, "size": 1}, GOOD_RATINGS, "importance: no importance points for issue(s) cap"),
        ({**GOOD_POINTS, "taste": 1}, GOOD_RATINGS, "importance: unknown issue(s) 'taste'"),
        ({**GOOD_POINTS, "size": -1}, GOOD_RATINGS, "the importance of 'size' is -1; expected a number >= 0"),
        ({**GOOD_POINTS, "size": "lots"}, GOOD_RATINGS, "the importance of 'size' is 'lots'"),
        ({**GOOD_POINTS, "size": math.nan}, GOOD_RATINGS, "the importance of 'size' is nan"),
        ({"colour": 0, "size": 0, "cap": 0}, GOOD_RATINGS, "the importance points sum to 0"),
        (GOOD_POINTS, {**GOOD_RATINGS, "size": {"S": 0, "M": 1}}, "ratings, issue 'size': no rating for option(s) L"),
        (GOOD_POINTS, {**GOOD_RATINGS, "size": {"S": 0, "M": 1, "XL": 2}}, "issue 'size' has no option 'XL'"),
        (GOOD_POINTS, {**GOOD_RATINGS, "size": {"S": 0, "M": 1, "L": "high"}}, "the rating of option 'L' is 'high'"),
        (GOOD_POINTS, {**GOOD_RATINGS, "size": {"S": 0, "M": 1, "L": math.inf}}, "the rating of option 'L' is inf"),
        (GOOD_POINTS, {**GOOD_RATINGS, "size": {"S": 1, "M": 1, "L": 1}},
         "ratings, issue 'size': every option is rated 1, so the issue cannot matter"),
        (GOOD_POINTS, {**GOOD_RATINGS, "cap": {0: 0, "0": 1, "no_cap": 2}}, "option 0 is rated twice"),
        (GOOD_POINTS, {**GOOD_RATINGS, "cap": {50: 0, "no_cap": 2}}, "rate at least two values of the range"),
        (GOOD_POINTS, {**GOOD_RATINGS, "cap": {0: 0, 100: 1}}, "no rating for extra option(s) no_cap"),
        (GOOD_POINTS, {**GOOD_RATINGS, "cap": [1, 2]}, "expected {option: rating}, got list"),
        (GOOD_POINTS, {k: v for k, v in GOOD_RATINGS.items() if k != "cap"}, "ratings: no ratings for issue(s) cap"),
    ],
)
def test_bad_direct_ratings_get_one_clear_message(points, ratings, message):
    with pytest.raises(ScenarioError) as caught:
        preferences_from_ratings(MIXED, points, ratings)
    assert message in str(caught.value)


# -- the part-worth model ---------------------------------------------------------------------
def test_numeric_issues_with_many_options_are_fitted_at_breakpoints():
    issues = (IntegerIssue("salary", 85000, 125000, ("none",), step=2500), RealIssue("share", 0, 1, steps=3),
              OrdinalIssue("level", tuple("abcdefg")))
    model = PartWorthModel.of(issues, max_parts=5)
    assert [p.size for p in model.parts] == [6, 3, 7]  # 5 breakpoints + 1 extra; 3 options; ordinal: all
    assert model.degrees_of_freedom == 13
    salary = model.parts[0]
    assert [issues[0].options[k] for k in salary.options] == [85000, 95000, 105000, 115000, 125000, "none"]
    # The features interpolate: the utility of a package is its table entry.
    theta = np.random.default_rng(1).random(model.size)
    outcomes = OutcomeSpace(issues).sample(200, seed=2)
    tables = [p.table(b) for p, b in zip(model.parts, model.blocks(theta))]
    expected = sum(t[outcomes[:, i]] for i, t in enumerate(tables))
    assert np.allclose(model.features(outcomes) @ theta, expected, rtol=0, atol=1e-12)
    # Normalised preferences of parameters, and back.
    prefs = model.preferences(theta)
    assert math.isclose(prefs.weights.sum(), 1.0) and all(t.min() == 0 and t.max() == 1 for t in prefs.tables)
    assert np.allclose(model.normalize(model.parameters(prefs)), model.normalize(theta), rtol=0, atol=1e-12)


def test_directions_are_checked():
    with pytest.raises(ScenarioError, match="'i0' is categorical: its options have no order"):
        PartWorthModel.of(small_issues((2, 2)), monotone={"i0": "increasing"})
    with pytest.raises(ScenarioError, match="direction of 'size' is 'up'"):
        PartWorthModel.of(MIXED, monotone={"size": "up"})
    with pytest.raises(ScenarioError, match="unknown issue 'weight'"):
        PartWorthModel.of(MIXED, monotone={"weight": "increasing"})
    with pytest.raises(OutcomeError, match="option index 3 outside issue 'size'"):
        PartWorthModel.of(MIXED).features([[0, 3, 0]])


# -- packages ----------------------------------------------------------------------------------
def test_random_packages_are_distinct_and_never_enumerate_a_huge_space():
    huge = small_issues((10,) * 20)
    packages = random_packages(huge, 50, seed=3)
    assert packages.shape == (50, 20) and len({tuple(p) for p in packages.tolist()}) == 50
    assert np.array_equal(packages, random_packages(huge, 50, seed=3))
    assert random_packages(small_issues((2, 3)), 100).shape == (6, 2)  # the whole space


@pytest.mark.parametrize("sizes", [(3, 4, 2), (2, 2, 2, 2), (5, 3)])
def test_a_design_of_degrees_of_freedom_plus_one_packages_identifies_the_part_worths(sizes):
    model = PartWorthModel.of(small_issues(sizes))
    packages = design_packages(model, model.degrees_of_freedom + 1, seed=4)
    assert len({tuple(p) for p in packages.tolist()}) == len(packages)
    centred = model.features(packages) - model.features(packages).mean(axis=0)
    assert np.linalg.matrix_rank(centred) == model.degrees_of_freedom


# -- least squares on rated packages ---------------------------------------------------------------
@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), sizes=sizes_strategy, extra=st.integers(0, 3),
       offset=st.floats(-100, 100), scale=st.floats(0.1, 1000))
def test_noise_free_package_ratings_give_the_preferences_back_exactly(seed, sizes, extra, offset, scale):
    rng = np.random.default_rng(seed)
    truth = normalised_truth(rng, sizes, least_weight=0.02)
    model = PartWorthModel.of(small_issues(sizes))
    packages = design_packages(model, model.degrees_of_freedom + 1 + extra, seed=seed)
    fit = fit_package_ratings(model, packages, offset + scale * truth.evaluate(packages))
    assert fit.identified and fit.rank == model.degrees_of_freedom
    assert same_preferences(fit.preferences, truth, 1e-8)
    assert math.isclose(fit.r_squared, 1.0, abs_tol=1e-9)
    assert math.isclose(fit.scale, scale, rel_tol=1e-8)
    assert np.allclose(fit.fitted, fit.offset + fit.scale * fit.utilities, rtol=0, atol=1e-8)


@pytest.mark.parametrize("seed", range(8))
def test_noisy_package_ratings_recover_the_weights_within_five_points(seed):
    """Ratings on 0-100 with normal noise of 2 points, three times as many packages as
    part-worths to fit: every weight within 0.05 and every utility within 0.05."""
    rng = np.random.default_rng(seed)
    sizes = (3, 4, 2, 3)
    truth = normalised_truth(rng, sizes)
    issues = small_issues(sizes)
    model = PartWorthModel.of(issues)
    packages = design_packages(model, 3 * (model.degrees_of_freedom + 1), seed=seed)
    ratings = 100 * truth.evaluate(packages) + rng.normal(0, 2, len(packages))
    fit = fit_package_ratings(model, packages, ratings)
    assert np.max(np.abs(fit.preferences.weights - truth.weights)) <= 0.05
    everything = OutcomeSpace(issues).all()
    assert np.max(np.abs(fit.preferences.evaluate(everything) - truth.evaluate(everything))) <= 0.05
    assert np.allclose(fit.residuals, ratings - fit.fitted)


def test_too_few_packages_give_the_minimum_norm_fit():
    """Two packages differing in one issue: the rating difference is given to that issue
    alone, nothing is invented for the options never shown."""
    model = PartWorthModel.of(small_issues((3, 2)))
    fit = fit_package_ratings(model, [[0, 0], [1, 0]], [20, 60])
    assert not fit.identified and fit.rank == 1
    assert fit.preferences.weights.tolist() == [1.0, 0.0]
    # Option o2 is never shown: its part-worth is the mean of the two others'.
    assert np.allclose(fit.preferences.tables[0], [0.0, 1.0, 0.5])
    assert np.allclose(fit.fitted, [20, 60])


def test_a_monotone_issue_is_fitted_monotone():
    issues = (OrdinalIssue("level", ("low", "mid", "high")), CategoricalIssue("c", ("a", "b")))
    packages = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [2, 1]])
    ratings = [10, 50, 40, 30, 60]  # "mid" rated above "high": not monotone
    free = fit_package_ratings(PartWorthModel.of(issues), packages, ratings)
    assert free.preferences.tables[0][1] > free.preferences.tables[0][2]
    directed = PartWorthModel.of(issues, monotone={"level": "increasing"})
    fit = fit_package_ratings(directed, packages, ratings)
    assert np.all(np.diff(fit.preferences.tables[0]) >= -1e-9)
    assert fit.r_squared < free.r_squared
    # Noise-free monotone ratings come back exactly through the constrained fit.
    truth = Preferences([0.6, 0.4], (np.array([0.0, 0.3, 1.0]), np.array([1.0, 0.0])))
    exact = fit_package_ratings(directed, packages, 5 + 10 * truth.evaluate(packages))
    assert same_preferences(exact.preferences, truth, 1e-6)
    # Ratings that only go against the direction leave nothing to fit.
    with pytest.raises(ScenarioError, match="the ratings go against the directions"):
        fit_package_ratings(directed, [[0, 0], [1, 0], [2, 0]], [30, 20, 10])


@pytest.mark.parametrize(
    "ratings, message",
    [
        ([1, 2], "2 ratings for 3 packages"),
        ([1, math.nan, 2], "the rating of package 2 is nan"),
        ([5, 5, 5], "every package has the same rating"),
        (["a", "b", "c"], "ratings must be numbers"),
    ],
)
def test_bad_package_ratings_get_one_clear_message(ratings, message):
    with pytest.raises(ScenarioError, match=message):
        fit_package_ratings(small_issues((2, 2)), [[0, 0], [1, 0], [0, 1]], ratings)


# -- the package check ---------------------------------------------------------------------------
def test_comparison_names_the_issues_options_and_pairs_that_disagree():
    issues = small_issues((2, 3))
    direct = Preferences([0.7, 0.3], (np.array([0.0, 1.0]), np.array([0.0, 0.5, 1.0])))
    fitted = Preferences([0.3, 0.7], (np.array([0.0, 1.0]), np.array([0.0, 0.9, 1.0])))
    packages = OutcomeSpace(issues).all()
    check = compare_preferences(direct, fitted, packages, tolerance=0.1)
    assert check.issues == (0, 1) and np.allclose(check.weight_gaps, [-0.4, 0.4])
    assert check.options == ((1, 1),)
    u_direct, u_fitted = direct.evaluate(packages), fitted.evaluate(packages)
    brute = {(a, b) for a in range(len(packages)) for b in range(len(packages))
             if u_direct[a] > u_direct[b] + 1e-9 and u_fitted[b] > u_fitted[a] + 1e-9}
    assert set(check.reversed_pairs) == brute and brute
    gaps = [(u_direct[a] - u_direct[b]) + (u_fitted[b] - u_fitted[a]) for a, b in check.reversed_pairs]
    assert gaps == sorted(gaps, reverse=True)
    assert not check.agree and check.tau < 1
    same = compare_preferences(direct, direct, packages)
    assert same.agree and same.tau == pytest.approx(1.0)


def test_comparing_a_direct_rating_with_the_fit_of_the_same_party():
    """The intended use: a party whose package ratings follow its direct ratings agrees
    with itself; one whose package ratings put another issue first does not."""
    scenario = random_scenario(5, sizes=(3, 3, 2))
    model = PartWorthModel.of(scenario)
    direct = model.preferences(model.parameters(scenario.parties[0].preferences))
    packages = design_packages(model, model.degrees_of_freedom + 3, seed=1)
    consistent = fit_package_ratings(model, packages, 100 * direct.evaluate(packages))
    assert compare_preferences(direct, consistent.preferences, packages).agree
    other = model.preferences(model.parameters(scenario.parties[1].preferences))
    inconsistent = fit_package_ratings(model, packages, 100 * other.evaluate(packages))
    check = compare_preferences(direct, inconsistent.preferences, packages)
    assert check.issues and check.reversed_pairs


def test_with_preferences_replaces_one_party_and_keeps_the_rest():
    scenario = random_scenario(2, red_lines=True, reservation=0.3)
    prefs = Preferences([1.0, 0.0, 0.0], (np.array([0.0, 0.5, 1.0]), np.zeros(4), np.zeros(2)))
    updated = with_preferences(scenario, "p1", prefs)
    assert updated.party("p1").preferences is prefs
    assert updated.party("p1").red_lines == scenario.party("p1").red_lines
    assert updated.party("p1").reservation == 0.3
    assert updated.party("p0") is scenario.party("p0")
    with pytest.raises(ScenarioError, match="unknown party 'p9'"):
        with_preferences(scenario, "p9", prefs)
    with pytest.raises(ScenarioError, match="issue 'i0' has 3 options but 2 values"):
        with_preferences(scenario, "p1", Preferences([1.0, 0, 0], (np.zeros(2), np.zeros(4), np.zeros(2))))
