"""Second review of elicitation and opponent models: independent checks from the definitions.

Every claim is checked against a brute-force or by-hand computation written here, not
against the code under review: representability and conflict minimality by our own
max-margin linear programme on one-hot features, least squares by dummy-coded OLS, Kendall
distance by a double loop, Pearson by its sums, frontier distance by pairwise dominance,
the frequency model by replaying its specification, and confidentiality by walking every
object reachable from the :class:`Context` a strategy is given.

Tests marked ``xfail(strict=True)`` document confirmed bugs; they fail today and will turn
into XPASS (an error, under strict) once fixed.
"""

from __future__ import annotations

import gc
import io
import types

import numpy as np
import pytest
import typer
from conftest import random_scenario
from rich.console import Console
from scipy.optimize import linprog, minimize
from typer.testing import CliRunner

from servanda.cli.elicit import Dialog, add_elicit_commands, elicit
from servanda.elicitation import (
    Judgement,
    PartWorthModel,
    QuestionSession,
    compare_preferences,
    design_packages,
    find_conflicts,
    fit_judgements,
    fit_package_ratings,
    fit_ranking,
    is_representable,
    pair_probabilities,
    preferences_from_ratings,
    random_packages,
    sample_partworths,
)
from servanda.errors import ScenarioError
from servanda.formats import dump_yaml
from servanda.model import (
    CategoricalIssue,
    IntegerIssue,
    OrdinalIssue,
    OutcomeSpace,
    Party,
    Preferences,
    Scenario,
)
from servanda.negotiation import AlternatingOffers, SingleText
from servanda.negotiation.opponents import (
    BayesianModel,
    FrequencyModel,
    OpponentModels,
    frontier_distance,
    pearson,
    rank_distance,
)
from servanda.negotiation.strategies import ModelBased, TimeDependent
from servanda.negotiation.strategy import Context
from servanda.negotiation.table import Outcomes, OutcomeTable
from servanda.negotiation.trace import Action, Event

# ======================================================================================
# Elicitation: an independent oracle
# ======================================================================================
A = OrdinalIssue("a", ("1", "2", "3"))
B = CategoricalIssue("b", ("x", "y"))
C = OrdinalIssue("c", ("p", "q", "r"))
ISSUES = (A, B, C)
SIZES = (3, 2, 3)


def one_hot(packages, sizes=SIZES) -> np.ndarray:
    """Features from the definition: one indicator per option of every issue."""
    offsets = np.cumsum([0, *sizes])
    packages = np.asarray(packages)
    x = np.zeros((len(packages), offsets[-1]))
    for row, package in enumerate(packages):
        for issue, option in enumerate(package):
            x[row, offsets[issue] + option] = 1.0
    return x


def brute_representable(x, judgements, directions=None, sizes=SIZES) -> bool:
    """Some additive value function satisfies every strict judgement strictly and every tie
    exactly (and is monotone on the directed issues): max eps s.t. D theta >= eps,
    T theta = 0, 0 <= theta <= 1, eps <= 1; representable iff eps* > 0. The box loses
    nothing: part-worths may be shifted per issue and scaled by a positive factor."""
    directions = directions or {}
    offsets = np.cumsum([0, *sizes])
    n = x.shape[1]
    upper, bound, equal = [], [], []
    for better, worse, tie in judgements:
        d = x[better] - x[worse]
        if tie:
            equal.append(np.r_[d, 0.0])
        elif better == worse:
            return False
        else:
            upper.append(np.r_[-d, 1.0])
            bound.append(0.0)
    for issue, sign in directions.items():
        for k in range(sizes[issue] - 1):
            row = np.zeros(n + 1)
            row[offsets[issue] + k + 1], row[offsets[issue] + k] = -sign, sign
            upper.append(row)
            bound.append(0.0)
    result = linprog(
        np.r_[np.zeros(n), -1.0],
        A_ub=np.array(upper) if upper else None,
        b_ub=bound if upper else None,
        A_eq=np.array(equal) if equal else None,
        b_eq=np.zeros(len(equal)) if equal else None,
        bounds=[(0, 1)] * n + [(None, 1)],
        method="highs",
    )
    assert result.status == 0, result.message
    return -result.fun > 1e-7


def random_case(rng, judgements=(1, 6), tie_share=0.3):
    count = int(rng.integers(3, 6))
    packages = np.column_stack([rng.integers(0, s, count) for s in SIZES])
    out = []
    for _ in range(int(rng.integers(*judgements))):
        a, b = rng.choice(count, 2, replace=False)
        out.append(Judgement(int(a), int(b), bool(rng.random() < tie_share)))
    return packages, out


def test_features_are_one_hot_indicators():
    packages = random_packages(ISSUES, 10, seed=1)
    assert np.array_equal(PartWorthModel.of(ISSUES).features(packages), one_hot(packages))


def test_representability_agrees_with_a_brute_force_lp_without_directions():
    rng = np.random.default_rng(11)
    model = PartWorthModel.of(ISSUES)
    mismatches = []
    for _ in range(120):
        packages, judgements = random_case(rng)
        x = one_hot(packages)
        ours, theirs = brute_representable(x, judgements), is_representable(model, x, judgements)
        if ours != theirs:
            mismatches.append((packages.tolist(), judgements, ours, theirs))
    assert not mismatches


def test_conflicts_are_inclusion_minimal_by_brute_force_without_directions():
    """Removing the reported conflicts leaves representable judgements, and putting any
    single one back breaks them again (checked with our LP, not the code's)."""
    rng = np.random.default_rng(12)
    model = PartWorthModel.of(ISSUES)
    checked, failures = 0, []
    for _ in range(120):
        packages, judgements = random_case(rng, judgements=(3, 9), tie_share=0.2)
        x = one_hot(packages)
        if brute_representable(x, judgements):
            continue
        checked += 1
        conflicts, errors = find_conflicts(model, x, judgements)
        kept = [j for k, j in enumerate(judgements) if k not in conflicts]
        minimal = all(
            not brute_representable(x, [j for k, j in enumerate(judgements) if k not in conflicts or k == c])
            for c in conflicts
        )
        if not (conflicts and brute_representable(x, kept) and minimal and errors.sum() > 0):
            failures.append((packages.tolist(), judgements, conflicts))
    assert checked > 30 and not failures


def test_the_fit_reproduces_every_consistent_judgement():
    """Rankings from a true additive function (integer part-worths, so with ties): no
    conflict, every judgement reproduced, the fit's own order agrees with the ranking."""
    rng = np.random.default_rng(5)
    issues = (CategoricalIssue("a", ("x", "y", "z")), OrdinalIssue("b", ("1", "2", "3", "4")),
              IntegerIssue("c", 0, 20))
    model = PartWorthModel.of(issues)
    for t in range(25):
        packages = random_packages(issues, int(rng.integers(4, 12)), seed=t)
        u = model.features(packages) @ rng.integers(0, 3, model.size).astype(float)
        if np.ptp(u) == 0:
            continue
        ranks = np.unique(-u, return_inverse=True)[1] + 1
        fit = fit_ranking(model, packages, ranks)
        assert fit.consistent and fit.reproduced.all() and fit.total_error == 0
        # the order of the fitted utilities (rounded well above float noise) is the ranking's
        fitted_ranks = np.unique(-np.round(fit.utilities, 9), return_inverse=True)[1] + 1
        assert np.array_equal(fitted_ranks, ranks)


def test_fit_ranking_tau_is_one_when_every_judgement_is_reproduced():
    issues = (CategoricalIssue("a", ("x", "y", "z")), OrdinalIssue("b", ("1", "2", "3", "4")),
              IntegerIssue("c", 0, 20))
    model = PartWorthModel.of(issues)
    rng = np.random.default_rng(5)
    for t in range(6):  # the sixth draw of test_the_fit_reproduces_every_consistent_judgement
        count = int(rng.integers(4, 12))
        packages = random_packages(issues, count, seed=t)
        theta = rng.integers(0, 3, model.size).astype(float)
    ranks = np.unique(-(model.features(packages) @ theta), return_inverse=True)[1] + 1
    fit = fit_ranking(model, packages, ranks)
    assert fit.consistent and fit.reproduced.all()
    assert fit.tau == pytest.approx(1.0)


# -- directions (monotone issues) together with ties ---------------------------------------
SIZE = OrdinalIssue("size", ("S", "M", "L"))
COLOUR = CategoricalIssue("colour", ("red", "blue"))
DAY = CategoricalIssue("day", ("mon", "tue"))


def test_directions_without_ties_agree_with_the_brute_force_lp():
    rng = np.random.default_rng(13)
    model = PartWorthModel.of(ISSUES, monotone={"a": "increasing", "c": "decreasing"})
    for _ in range(80):
        packages, judgements = random_case(rng, tie_share=0.0)
        x = one_hot(packages)
        assert is_representable(model, x, judgements) == brute_representable(x, judgements, {0: 1, 2: -1})


def test_a_tie_across_a_directed_issue_is_representable():
    model = PartWorthModel.of((SIZE, COLOUR), monotone={"size": "increasing"})
    packages = np.array([[0, 0], [2, 0], [0, 1]])  # (S, red), (L, red), (S, blue)
    judgements = [Judgement(0, 1, True), Judgement(0, 2)]
    x = one_hot(packages, (3, 2))
    assert brute_representable(x, judgements, {0: 1}, (3, 2))  # size flat, red > blue
    assert np.array_equal(model.features(packages), x)
    assert is_representable(model, model.features(packages), judgements)


def test_fit_keeps_a_consistent_tie_across_a_directed_issue():
    model = PartWorthModel.of((SIZE, COLOUR), monotone={"size": "increasing"})
    packages = np.array([[0, 0], [2, 0], [0, 1]])
    fit = fit_judgements(model, packages, [Judgement(0, 1, True), Judgement(0, 2)])
    assert fit.conflicts == ()
    assert fit.preferences.weights[0] == pytest.approx(0.0, abs=1e-6)


def test_question_session_keeps_consistent_same_answers_with_directions():
    model = PartWorthModel.of((SIZE, COLOUR, DAY), monotone={"size": "increasing"})
    packages = np.array([[0, 0, 0], [2, 1, 0], [0, 1, 1], [2, 0, 1], [0, 0, 1]])
    session = QuestionSession(model, packages, samples=60)
    session.answer((0, 1), "same")
    session.answer((2, 3), "same")
    session.answer((0, 4), "first")
    assert session.conflicts == ()


def test_question_session_without_directions_keeps_the_same_answers():
    """The control for the test above: the same answers without a direction."""
    model = PartWorthModel.of((SIZE, COLOUR, DAY))
    packages = np.array([[0, 0, 0], [2, 1, 0], [0, 1, 1], [2, 0, 1], [0, 0, 1]])
    session = QuestionSession(model, packages, samples=60)
    for pair, answer in (((0, 1), "same"), ((2, 3), "same"), ((0, 4), "first")):
        session.answer(pair, answer)
    assert session.conflicts == ()
    # the same seed and the same answers give the same estimate
    again = QuestionSession(model, packages, samples=60)
    for pair, answer in (((0, 1), "same"), ((2, 3), "same"), ((0, 4), "first")):
        again.answer(pair, answer)
    assert np.array_equal(again.belief.partworths, session.belief.partworths)


def test_sampled_value_functions_are_uniform_on_the_polytope():
    """Pair probabilities from hit-and-run against exact rejection sampling of the same
    polytope: theta_a in [0, r]^3, theta_b in [0, 1 - r]^2, so r has density r^3 (1 - r)^2."""
    issues = (CategoricalIssue("a", ("0", "1", "2")), CategoricalIssue("b", ("0", "1")))
    model = PartWorthModel.of(issues)
    packages = np.array([[0, 0], [1, 0], [2, 1], [0, 1], [2, 0], [1, 1]])
    judgements = [Judgement(1, 0), Judgement(3, 4)]
    x = model.features(packages)
    sampled = pair_probabilities(sample_partworths(model, packages, judgements, 4000, seed=1) @ x.T)
    rng = np.random.default_rng(0)
    r = rng.random(2_000_000)
    r = r[rng.random(r.size) < r**3 * (1 - r) ** 2 / (0.6**3 * 0.4**2)]
    theta = np.hstack([rng.random((r.size, 3)) * r[:, None], rng.random((r.size, 2)) * (1 - r)[:, None]])
    u = theta @ x.T
    u = u[(u[:, 1] > u[:, 0]) & (u[:, 3] > u[:, 4])]
    assert np.abs(sampled - pair_probabilities(u)).max() < 0.03


# -- direct ratings and package ratings -----------------------------------------------------
def test_direct_ratings_follow_the_definition():
    cap = IntegerIssue("cap", 0, 10, extra=("none",))
    colour = CategoricalIssue("colour", ("red", "green", "blue"))
    importance = {"cap": 30, "colour": 10}
    ratings = {"cap": {0: 10, 4: 50, 10: 20, "none": 0}, "colour": {"red": -5, "green": 15, "blue": 5}}
    prefs = preferences_from_ratings((cap, colour), importance, ratings)
    assert np.allclose(prefs.weights, [0.75, 0.25])
    # by hand: linear between rated values 0->10, 4->50, 10->20
    raw = []
    for v in range(11):
        raw.append(10 + 40 * v / 4 if v <= 4 else 50 - 30 * (v - 4) / 6)
    raw.append(0.0)
    raw = np.array(raw)
    assert np.allclose(prefs.tables[0], (raw - raw.min()) / (raw.max() - raw.min()))
    assert np.allclose(prefs.tables[1], [0, 1, 0.5])
    with pytest.raises(ScenarioError, match="cannot matter"):
        preferences_from_ratings((colour,), {"colour": 1}, {"colour": {"red": 3, "green": 3, "blue": 3}})


def test_package_ratings_are_ordinary_least_squares():
    issues = (CategoricalIssue("a", ("x", "y", "z")), OrdinalIssue("b", ("1", "2", "3", "4")),
              IntegerIssue("c", 0, 3))
    rng = np.random.default_rng(2)
    packages = random_packages(issues, 12, seed=1)
    y = rng.integers(0, 101, 12).astype(float)
    fit = fit_package_ratings(issues, packages, y)
    columns = [np.ones(12)] + [
        (packages[:, i] == k).astype(float) for i, s in enumerate((3, 4, 4)) for k in range(1, s)
    ]
    x = np.column_stack(columns)
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    r2 = 1 - np.sum((y - x @ beta) ** 2) / np.sum((y - y.mean()) ** 2)
    assert np.allclose(fit.fitted, x @ beta) and fit.r_squared == pytest.approx(r2)
    assert np.allclose(fit.offset + fit.scale * fit.utilities, fit.fitted)
    # noise-free ratings of a D-optimal design give the preferences back
    truth = Preferences(np.array([0.5, 0.3, 0.2]), (np.array([0, 1, 0.4]), np.array([0, 0.2, 0.7, 1]),
                                                  np.array([1, 0.6, 0.3, 0])))
    design = design_packages(PartWorthModel.of(issues), 12, seed=0)
    exact = fit_package_ratings(issues, design, 30 + 50 * truth.evaluate(design))
    assert exact.identified and np.allclose(exact.preferences.weights, truth.weights)
    assert all(np.allclose(a, b) for a, b in zip(exact.preferences.tables, truth.tables))


def test_monotone_package_ratings_reach_the_constrained_optimum():
    issues = (CategoricalIssue("a", ("x", "y", "z")), OrdinalIssue("b", ("1", "2", "3", "4")),
              IntegerIssue("c", 0, 3))
    model = PartWorthModel.of(issues, monotone={"b": "increasing", "c": "decreasing"})
    packages = random_packages(issues, 12, seed=1)
    y = np.random.default_rng(2).integers(0, 101, 12).astype(float)
    fit = fit_package_ratings(model, packages, y)
    x, g = model.features(packages), model.monotone_rows()
    reference = minimize(
        lambda z: np.sum((z[0] + x @ z[1:] - y) ** 2), np.zeros(1 + model.size), method="SLSQP",
        constraints=[{"type": "ineq", "fun": lambda z: g @ z[1:]}], options={"ftol": 1e-12, "maxiter": 500},
    )
    assert np.sum((y - fit.fitted) ** 2) <= reference.fun + 1e-6
    assert np.all(g @ fit.partworths >= -1e-12)


# -- compare_preferences -----------------------------------------------------------------------
def test_compare_preferences_by_hand():
    first = Preferences(np.array([0.6, 0.4]), (np.array([0, 1.0, 0.5]), np.array([1.0, 0])))
    second = Preferences(np.array([0.3, 0.7]), (np.array([0, 1.0, 0.9]), np.array([1.0, 0])))
    packages = np.array([[0, 0], [1, 1], [2, 0], [1, 0]])
    result = compare_preferences(first, second, packages)
    assert result.issues == (0, 1) and result.options == ((0, 2),)
    u1, u2 = first.evaluate(packages), second.evaluate(packages)
    expected = {(a, b) for a in range(4) for b in range(4) if u1[a] - u1[b] > 1e-9 and u2[a] - u2[b] < -1e-9}
    assert set(result.reversed_pairs) == expected and expected


def test_compare_preferences_tau_respects_the_margin():
    first = Preferences(np.array([0.5, 0.5]), (np.array([0.0, 1.0]), np.array([0.0, 1.0])))
    second = Preferences(np.array([0.5 + 1e-15, 0.5 - 1e-15]), (np.array([0.0, 1.0]), np.array([0.0, 1.0])))
    result = compare_preferences(first, second, np.array([[0, 0], [1, 0], [0, 1], [1, 1]]))
    assert result.agree
    assert result.tau == pytest.approx(1.0)


# -- the elicit dialogue: edge cases --------------------------------------------------------
def _app() -> typer.Typer:
    application = typer.Typer(pretty_exceptions_enable=False)

    @application.callback()
    def _root() -> None:
        """Servanda."""

    add_elicit_commands(application)
    return application


def _flat(issues):
    return Preferences(np.full(len(issues), 1 / len(issues)), tuple(np.linspace(0, 1, i.size) for i in issues))


def _dialog(script: str) -> Dialog:
    return Dialog(Console(file=io.StringIO(), width=120), io.StringIO(script))


@pytest.mark.parametrize("method", ["ratings", "packages", "questions"])
@pytest.mark.parametrize("lines", [0, 2, 5])
def test_end_of_input_mid_way_aborts_without_writing(tmp_path, method, lines):
    issues = (CategoricalIssue("colour", ("red", "green", "blue")), IntegerIssue("cap", 0, 200))
    source, target = tmp_path / "s.yaml", tmp_path / "out.yaml"
    dump_yaml(Scenario("s", issues, (Party("p", _flat(issues)), Party("q", _flat(issues)))), source)
    script = "".join(["neither\n"] + ["abc\n", "7\n", "-3\n", "101\n", "1\n"][:lines])
    result = CliRunner().invoke(_app(), ["elicit", str(source), "-p", "p", "-o", str(target),
                                         "--method", method], input=script)
    assert result.exit_code == 1 and "aborted: nothing was written" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not target.exists()


def test_one_issue_with_many_options_by_each_method():
    issue = IntegerIssue("price", 0, 100_000)
    scenario = Scenario("one", (issue,), (Party("p", _flat((issue,))), Party("q", _flat((issue,)))))
    prefs = elicit(scenario, "p", "ratings", _dialog("0\n10\n50\n90\n100\n\n"))
    assert prefs.weights.tolist() == [1.0] and prefs.tables[0][0] == 0 and prefs.tables[0][-1] == 1
    assert prefs.tables[0][50_000] == pytest.approx(0.5)
    model = PartWorthModel.of(scenario, monotone={"price": "increasing"})
    shown = design_packages(model, 5, 0)  # what the dialogue shows: 5 packages, seed 0
    ratings = "".join(f"{round(issue.options[int(p[0])] / 1000)}\n" for p in shown)
    prefs = elicit(scenario, "p", "packages", _dialog("more\n" + ratings))
    assert prefs.tables[0].argmax() == 100_000 and prefs.tables[0][0] == 0
    prefs = elicit(scenario, "p", "questions", _dialog("neither\n" + "1\n2\n" * 20))
    assert prefs.weights.tolist() == [1.0]


def test_elicit_keeps_the_other_parties_uncertainty(tmp_path):
    from conftest import EXAMPLES

    from servanda.formats import load_scenario
    from servanda.formats.native import load_uncertain_yaml

    source, target = EXAMPLES / "moscow-2025.yaml", tmp_path / "out.yaml"
    scenario = load_scenario(source)
    lines = []
    for part in PartWorthModel.of(scenario).parts:
        if part.issue.size > 1:
            lines += ["100"] + ["0"] * (len(part.options) - 1)
    lines += ["10"] * (len(scenario.issues) - 1) + [""]
    result = CliRunner().invoke(_app(), ["elicit", str(source), "-p", "United States", "-o", str(target)],
                                input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    before, after = load_uncertain_yaml(source), load_uncertain_yaml(target)
    for j in (1, 2, 3):
        assert after.parties[j] == before.parties[j], after.scenario.parties[j].name


def test_packages_method_on_a_single_outcome_fails_clearly():
    issue = CategoricalIssue("x", ("only",))
    scenario = Scenario("single", (issue,), (Party("p", Preferences(np.ones(1), (np.ones(1),))),
                                             Party("q", Preferences(np.ones(1), (np.ones(1),)))))
    with pytest.raises(ScenarioError):
        elicit(scenario, "p", "packages", _dialog("50\n" * 30))


def test_other_methods_on_a_single_outcome_fail_clearly():
    issue = CategoricalIssue("x", ("only",))
    scenario = Scenario("single", (issue,), (Party("p", Preferences(np.ones(1), (np.ones(1),))),
                                             Party("q", Preferences(np.ones(1), (np.ones(1),)))))
    for method in ("ratings", "questions"):
        with pytest.raises(ScenarioError):
            elicit(scenario, "p", method, _dialog("50\n" * 30))


# ======================================================================================
# Opponent models
# ======================================================================================
def test_pearson_by_hand():
    rng = np.random.default_rng(3)
    x, y = rng.random(50), rng.random(50) + 0.3 * np.arange(50) / 50
    mx, my = sum(x) / 50, sum(y) / 50
    cov = sum((a - mx) * (b - my) for a, b in zip(x, y))
    vx, vy = sum((a - mx) ** 2 for a in x), sum((b - my) ** 2 for b in y)
    assert pearson(x, y) == pytest.approx(cov / (vx * vy) ** 0.5, abs=1e-12)
    assert pearson(np.ones(50), y) == 0.0 and pearson(y, y) == pytest.approx(1.0)


def brute_kendall(x, y) -> float:
    total, discord = 0, 0.0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            total += 1
            sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
            if sx * sy < 0:
                discord += 1
            elif (sx == 0) != (sy == 0):
                discord += 0.5
    return discord / total


def test_rank_distance_is_the_normalised_kendall_distance():
    rng = np.random.default_rng(4)
    for _ in range(10):
        n = int(rng.integers(2, 40))
        x, y = rng.integers(0, 5, n).astype(float), rng.integers(0, 5, n).astype(float)
        assert rank_distance(x, y) == pytest.approx(brute_kendall(x, y), abs=1e-12)
    x, y = rng.random(300), rng.random(300)
    exact = brute_kendall(x, y)
    # several row blocks on the exact path (149 rows each), and the sampled path
    assert rank_distance(x, y, exact_pairs=300 * 299 // 2) == pytest.approx(exact, abs=1e-12)
    assert rank_distance(x, y, exact_pairs=100, sampled_pairs=400_000) == pytest.approx(exact, abs=0.005)
    assert rank_distance(x, x) == 0 and rank_distance(x, -x) == 1


def brute_frontier(points):
    keep = []
    for i, p in enumerate(points):
        if not any(np.all(q >= p) and np.any(q > p) for q in points):
            keep.append(i)
    return keep


def test_frontier_distance_by_brute_force():
    rng = np.random.default_rng(6)
    for _ in range(8):
        n = int(rng.integers(3, 40))
        own, true, est = (rng.integers(0, 6, n) / 5 for _ in range(3))
        actual = [np.array([own[i], true[i]]) for i in brute_frontier(np.column_stack([own, true]))]
        implied = [np.array([own[i], true[i]]) for i in brute_frontier(np.column_stack([own, est]))]
        expected = np.mean([min(np.linalg.norm(a - b) for b in implied) for a in actual])
        assert frontier_distance(own, true, est) == pytest.approx(expected, abs=1e-12)
        assert frontier_distance(own, true, true) == 0.0


def test_the_frequency_model_replays_its_specification():
    space = OutcomeSpace(tuple(CategoricalIssue(f"i{k}", tuple("abcd"[:s])) for k, s in enumerate((2, 3, 4))))
    rng = np.random.default_rng(7)
    model = FrequencyModel(space, learn_coef=0.3, value_addition=2.0, value_exponent=0.5)
    k, golden = 3, 0.1
    weights, counts, previous = np.full(k, 1 / 3), [np.ones(s) for s in (2, 3, 4)], None
    for step in range(40):
        offer = [int(rng.integers(0, s)) if rng.random() < 0.4 or previous is None else previous[i]
                 for i, s in enumerate((2, 3, 4))]
        model.update(offer, step / 40)
        if previous is not None:
            unchanged = [offer[i] == previous[i] for i in range(k)]
            ceiling = 1 - k * golden / (1 + golden * sum(unchanged))
            gains = [unchanged[i] and weights[i] < ceiling for i in range(k)]
            weights = (weights + golden * np.array(gains)) / (1 + golden * sum(gains))
        for i in range(k):
            counts[i][offer[i]] += 2.0
        previous = offer
        assert np.allclose(model.weights(), weights / weights.sum())
        assert all(np.allclose(v, (c / c.max()) ** 0.5) for v, c in zip(model.values(), counts))


def test_the_bayesian_model_is_a_normalised_estimate_and_ignores_repeats():
    scenario = random_scenario(3, sizes=(3, 4, 2))
    space = scenario.space
    model = BayesianModel(space)
    rng = np.random.default_rng(8)
    first = [int(rng.integers(0, s)) for s in space.radices]
    model.update(first, 0.0)
    assert np.allclose(model.weights(), 1 / 3)  # weights do not move on the first offer
    for step in range(30):
        offer = [int(rng.integers(0, s)) for s in space.radices]
        model.update(offer, step / 30)
        w, values = model.weights(), model.values()
        assert np.all(w >= 0) and w.sum() == pytest.approx(1.0)
        assert all(v.min() >= 0 and v.max() == pytest.approx(1.0) for v in values)
    before = (model.weights().copy(), [v.copy() for v in model.values()])
    model.update(offer, 0.99)  # seen before: no evidence
    assert np.array_equal(model.weights(), before[0])
    assert all(np.array_equal(a, b) for a, b in zip(model.values(), before[1]))


# -- what a strategy can see ---------------------------------------------------------------
class Recorder:
    """A factory of frequency models that logs every offer each model is taught."""

    def __init__(self):
        self.log: dict[int, list[tuple[int, ...]]] = {}

    def __call__(self, space, seed=0):
        model = FrequencyModel(space)
        log = self.log.setdefault(id(model), [])
        original = model.update

        def update(offer, time):
            log.append(tuple(int(d) for d in offer))
            original(offer, time)

        model.update = update
        return model


def _context(party, history, outcomes, n):
    utilities = np.linspace(0, 1, n)
    order = np.arange(n)[::-1]
    ascending = np.ascontiguousarray(utilities[order[::-1]])
    return Context(party, utilities, np.zeros(n, bool), order, ascending[::-1], 0.0, 0, 0.5,
                   history, np.random.default_rng(0), None, outcomes)


def test_the_tracker_learns_only_from_other_parties_offers_once_each():
    space = random_scenario(0, sizes=(3, 2)).space
    outcomes = Outcomes(space)
    history = [
        Event(0, 0.0, 0, Action.OFFER, 1),  # own
        Event(0, 0.0, -1, Action.OFFER, 2),  # mediator
        Event(0, 0.1, 1, Action.OFFER, 3),
        Event(0, 0.1, 2, Action.REJECT, 3),
        Event(0, 0.1, 2, Action.OFFER, 4),
        Event(1, 0.2, 1, Action.ACCEPT, 4),
    ]
    recorder = Recorder()
    tracker = OpponentModels(recorder)
    models = tracker.observe(_context(0, history[:4], outcomes, space.size))
    models = tracker.observe(_context(0, history, outcomes, space.size))
    tracker.observe(_context(0, history, outcomes, space.size))  # nothing new
    tracker.observe(_context(0, history[:3], outcomes, space.size))  # an older record
    assert sorted(models) == [1, 2]
    taught = {p: recorder.log[id(m)] for p, m in models.items()}
    assert taught == {1: [tuple(outcomes.digits[3])], 2: [tuple(outcomes.digits[4])]}


@pytest.mark.parametrize("protocol", [AlternatingOffers(rounds=12), SingleText(rounds=4, patience=None)])
def test_models_in_a_session_learn_exactly_the_others_offers(protocol):
    table = OutcomeTable.of(random_scenario(9, parties=3, sizes=(3, 3, 2)))
    recorder = Recorder()
    strategy = ModelBased(recorder)
    trace = protocol.run(table, [TimeDependent(1.0), strategy, TimeDependent(2.0)])
    digits = table.outcomes.digits
    for party, model in strategy.opponents.models.items():
        assert party in (0, 2)
        others = [tuple(int(d) for d in digits[e.outcome]) for e in trace.events
                  if e.action is Action.OFFER and e.party == party]
        taught = recorder.log[id(model)]
        assert taught and taught == others[: len(taught)]
    assert set(strategy.opponents.models) == {0, 2}


def _reachable(root):
    seen, stack, out = set(), [root], []
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                            types.MethodType, types.CodeType)):
            continue
        out.append(obj)
        stack.extend(gc.get_referents(obj))
        if isinstance(obj, np.ndarray) and obj.base is not None:
            stack.append(obj.base)
    return out


def _contexts_seen(protocol, table):
    seen = []

    class Spy(ModelBased):
        def bid(self, context):
            seen.append(context)
            return super().bid(context)

    protocol.run(table, [TimeDependent(1.0), Spy(), TimeDependent(1.0)])
    return seen


@pytest.mark.parametrize("protocol", [AlternatingOffers(rounds=6), SingleText(rounds=3)])
def test_no_preference_object_is_reachable_from_a_context(protocol):
    table = OutcomeTable.of(random_scenario(1, parties=3, red_lines=True))
    for context in _contexts_seen(protocol, table)[:3]:
        found = _reachable(context)
        assert not [o for o in found if isinstance(o, (Scenario, Party, Preferences, OutcomeTable))]
        assert context.outcomes is table.outcomes


@pytest.mark.parametrize("protocol", [AlternatingOffers(rounds=6), SingleText(rounds=3)])
def test_no_other_partys_utilities_are_reachable_from_a_context(protocol):
    table = OutcomeTable.of(random_scenario(1, parties=3, red_lines=True))
    context = _contexts_seen(protocol, table)[0]
    arrays = [o for o in _reachable(context) if isinstance(o, np.ndarray)]
    leaks = [
        (q, a.shape)
        for a in arrays
        for q in (0, 2)
        if np.shares_memory(a, table.utilities[:, q]) or np.shares_memory(a, table.breaks[:, q])
    ]
    assert not leaks


def test_model_based_never_offers_less_and_accepts_as_the_plain_strategy():
    table = OutcomeTable.of(random_scenario(4, parties=2, sizes=(4, 3, 3)))
    for model in ("frequency", "bayesian"):
        record, answers = [], []

        class Spy(ModelBased):
            def bid(self, context):
                chosen = super().bid(context)
                plain = TimeDependent(self.e, self.k).bid(context)
                record.append((context.utility(chosen), context.utility(plain), bool(self.opponents.models),  # noqa: B023 (used within this iteration)
                               chosen, plain))
                return chosen

            def respond(self, context, offer):
                action = super().respond(context, offer)
                answers.append(action == TimeDependent(self.e, self.k).respond(context, offer))  # noqa: B023
                return action

        AlternatingOffers(rounds=30).run(table, [TimeDependent(0.5), Spy(model)])
        assert record and answers and all(answers)  # it accepts exactly as the plain strategy
        for mine, plain, modelled, chosen, plain_bid in record:
            assert mine >= plain - 1e-12
            if not modelled:
                assert chosen == plain_bid
