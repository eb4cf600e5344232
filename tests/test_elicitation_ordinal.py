"""Ordinal regression (UTA linear programmes) against brute force: for every ranking of 3
or 4 packages of small random scenarios, an independent linear programme decides whether
some additive utility reproduces it; then a consistent ranking must be reproduced by the
fit, and for an inconsistent one the reported conflicts must be truly conflicting
(removing them makes the rest representable) and minimal (each one put back breaks it)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from servanda.elicitation import (
    Judgement,
    PartWorthModel,
    fit_judgements,
    fit_ranking,
    judgements_from_ranking,
    random_packages,
)
from servanda.errors import ScenarioError
from servanda.model import CategoricalIssue, OrdinalIssue, Preferences

PROPERTY = settings(max_examples=40, deadline=None)


def small_issues(sizes) -> tuple:
    return tuple(CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(n))) for k, n in enumerate(sizes))


def one_hot(issues, packages) -> np.ndarray:
    """Dummy coding, built here and not by the library."""
    return np.hstack([np.eye(issue.size)[np.asarray(packages)[:, i]] for i, issue in enumerate(issues)])


def representable(issues, packages, judgements, increasing=()) -> bool:
    """The independent oracle: is there ``p`` (any sign, any scale) with ``u(a) - u(b) >= 1``
    for every strict judgement and ``u(a) = u(b)`` for every tie? Additive utilities are
    invariant under scaling, so this is exactly strict representability. ``increasing``
    lists issues whose part-worths must not decrease along the options."""
    x = one_hot(issues, packages)
    strict = [x[j.better] - x[j.worse] for j in judgements if not j.tie]
    ties = [x[j.better] - x[j.worse] for j in judgements if j.tie]
    rows, starts = list(-np.array(strict).reshape(-1, x.shape[1])), np.cumsum([0] + [i.size for i in issues])
    bounds = [-1.0] * len(rows)
    for i in increasing:
        for k in range(issues[i].size - 1):
            row = np.zeros(x.shape[1])
            row[starts[i] + k], row[starts[i] + k + 1] = 1.0, -1.0
            rows.append(row)
            bounds.append(0.0)
    result = linprog(
        np.zeros(x.shape[1]),
        A_ub=np.array(rows).reshape(-1, x.shape[1]) if rows else None,
        b_ub=np.array(bounds) if rows else None,
        A_eq=np.array(ties) if ties else None,
        b_eq=np.zeros(len(ties)) if ties else None,
        bounds=[(None, None)] * x.shape[1],
        method="highs",
    )
    assert result.status in (0, 2)
    return result.status == 0


def check_fit(issues, packages, judgements, fit, increasing=()) -> None:
    """A fit is correct: the conflicts are exactly what brute force allows."""
    judgements = list(judgements)
    if representable(issues, packages, judgements, increasing):
        assert fit.consistent and fit.total_error == 0
        assert fit.reproduced.all(), "a representable set of judgements must be reproduced"
        assert fit.radius > 0
        return
    assert not fit.consistent and fit.total_error > 0
    kept = [j for k, j in enumerate(judgements) if k not in fit.conflicts]
    assert representable(issues, packages, kept, increasing), "removing the conflicts must suffice"
    for k in fit.conflicts:  # minimal: each conflict, put back, breaks representability
        assert not representable(issues, packages, kept + [judgements[k]], increasing)
    assert all(fit.reproduced[k] for k in range(len(judgements)) if k not in fit.conflicts)
    assert all(fit.errors[k] > 0 for k in fit.conflicts), "conflicts come from the UTA errors"


def test_of_the_24_rankings_of_a_two_by_two_space_exactly_8_are_additive():
    """An additive order of (x, y) in {0,1}^2 picks a better option per issue (4 ways),
    which fixes the best and the worst package, and orders the middle two (2 ways)."""
    issues = small_issues((2, 2))
    packages = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    consistent = 0
    for order in itertools.permutations(range(4)):
        ranks = np.empty(4)
        ranks[list(order)] = np.arange(1, 5)
        fit = fit_ranking(issues, packages, ranks)
        check_fit(issues, packages, judgements_from_ranking(ranks), fit)
        consistent += fit.consistent
    assert consistent == 8


def few_packages(case: str) -> tuple[tuple, np.ndarray]:
    """Small package sets whose features are affinely dependent (more packages than
    degrees of freedom + 1, or repeated packages), so that some rankings are not additive."""
    if case.startswith("duplicate"):
        issues = small_issues((3,) if case == "duplicate-1" else (2, 2))
        packages = np.array([[0], [1], [0], [2]]) if case == "duplicate-1" else np.array([[0, 1], [1, 0], [0, 1]])
        return issues, packages
    sizes, seed = {"2x3": ((2, 3), 0), "2x2x2": ((2, 2, 2), 2)}[case]
    issues = small_issues(sizes)
    return issues, random_packages(issues, 5, seed=seed)  # 3 degrees of freedom: dependent


@pytest.mark.parametrize("case", ["2x3", "2x2x2", "duplicate-1", "duplicate-2"])
def test_every_ranking_of_a_few_packages_agrees_with_brute_force(case):
    issues, packages = few_packages(case)
    model = PartWorthModel.of(issues)
    seen = {True: 0, False: 0}
    for order in itertools.permutations(range(len(packages))):
        ranks = np.empty(len(packages))
        ranks[list(order)] = np.arange(1, len(packages) + 1)
        fit = fit_ranking(model, packages, ranks)
        check_fit(issues, packages, judgements_from_ranking(ranks), fit)
        if fit.consistent:
            assert fit.tau == pytest.approx(1.0)
        else:
            assert fit.tau < 1
        seen[fit.consistent] += 1
    assert seen[False]
    # A strict ranking of two equal packages is never additive; otherwise some are.
    assert bool(seen[True]) != case.startswith("duplicate")


def test_weak_orders_with_ties_agree_with_brute_force():
    issues = small_issues((2, 3))
    model = PartWorthModel.of(issues)
    packages = np.array([[0, 0], [1, 1], [0, 2], [1, 0]])
    seen = 0
    for ranks in itertools.product(range(1, 4), repeat=len(packages)):
        if len(set(ranks)) == 1:
            continue  # all tied: nothing to fit (tested below)
        judgements = judgements_from_ranking(ranks)
        fit = fit_ranking(model, packages, ranks)
        check_fit(issues, packages, judgements, fit)
        seen += 1
    assert seen == 3**4 - 3


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(3, 5), pairs=st.integers(2, 7))
def test_random_pairwise_choices_agree_with_brute_force(seed, count, pairs):
    rng = np.random.default_rng(seed)
    issues = small_issues(tuple(int(n) for n in rng.integers(2, 4, size=3)))
    packages = random_packages(issues, count, seed=seed)
    judgements = [Judgement(int(a), int(b)) for a, b in (rng.choice(len(packages), 2, replace=False)
                                                         for _ in range(pairs))]
    fit = fit_judgements(issues, packages, judgements)
    check_fit(issues, packages, judgements, fit)


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(3, 8))
def test_a_ranking_by_an_additive_utility_is_reproduced(seed, count):
    rng = np.random.default_rng(seed)
    sizes = (3, 2, 4)
    issues = small_issues(sizes)
    truth = Preferences(rng.dirichlet(np.ones(3)), tuple(rng.random(n) for n in sizes))
    packages = random_packages(issues, count, seed=seed)
    utilities = truth.evaluate(packages)
    ranks = np.argsort(np.argsort(-utilities)) + 1
    fit = fit_ranking(issues, packages, ranks)
    assert fit.consistent and fit.reproduced.all() and fit.tau == pytest.approx(1.0)
    prefs = fit.preferences
    assert np.isclose(prefs.weights.sum(), 1) and all(t.min() == 0 and t.max() == 1 for t in prefs.tables if t.any())


def test_a_cycle_has_one_conflict():
    issues = small_issues((3, 3))
    packages = np.array([[0, 0], [1, 1], [2, 2]])
    fit = fit_judgements(issues, packages, [(0, 1), (1, 2), (2, 0)])
    assert len(fit.conflicts) == 1 and fit.reproduced.sum() == 2
    check_fit(issues, packages, [Judgement(0, 1), Judgement(1, 2), Judgement(2, 0)], fit)


def test_a_reversal_that_no_additive_utility_allows_is_a_conflict():
    """Preferring o1 to o0 on the first issue when the second is at o0, and the reverse
    when it is at o1, breaks additivity (independence): one of the two must go."""
    issues = small_issues((2, 2))
    packages = np.array([[1, 0], [0, 0], [0, 1], [1, 1]])
    fit = fit_judgements(issues, packages, [(0, 1), (2, 3)])
    assert len(fit.conflicts) == 1 and fit.total_error > 0
    assert fit.errors[fit.conflicts[0]] > 0


def test_a_strict_judgement_between_equal_packages_conflicts():
    issues = small_issues((2, 2))
    packages = np.array([[0, 1], [0, 1], [1, 0]])
    fit = fit_judgements(issues, packages, [(0, 1), (0, 2)])
    assert fit.conflicts == (0,) and fit.reproduced.tolist() == [False, True]


def test_a_direction_turns_a_contrary_ranking_into_a_conflict():
    issues = (OrdinalIssue("level", ("low", "mid", "high")), CategoricalIssue("c", ("a", "b")))
    packages = np.array([[0, 0], [2, 0], [1, 1]])
    judgements = [Judgement(0, 1), Judgement(2, 1)]  # low over high, all else equal
    free = fit_judgements(issues, packages, judgements)
    assert free.consistent
    directed = PartWorthModel.of(issues, monotone={"level": "increasing"})
    fit = fit_judgements(directed, packages, judgements)
    assert fit.conflicts == (0,)
    check_fit(issues, packages, judgements, fit, increasing=(0,))
    assert np.all(np.diff(fit.preferences.tables[0]) >= -1e-9)


def test_the_fit_is_central_and_deterministic():
    issues = small_issues((3, 3))
    packages = random_packages(issues, 5, seed=1)
    first = fit_ranking(issues, packages, [1, 2, 3, 4, 5])
    second = fit_ranking(issues, packages, [1, 2, 3, 4, 5])
    assert np.array_equal(first.partworths, second.partworths)
    if first.consistent:
        gaps = np.diff(first.utilities)
        assert np.all(gaps < 0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, p: fit_judgements(m, p, [(0, 5)]), "judgement 1 names package 5; there are 3"),
        (lambda m, p: fit_judgements(m, p, [(0,)]), "judgement 1 is (0,); expected (better, worse)"),
        (lambda m, p: fit_judgements(m, p, [(0, 1, True)]), "no judgement prefers one package to another"),
        (lambda m, p: fit_ranking(m, p, [1, 2]), "2 ranks for 3 packages"),
        (lambda m, p: fit_ranking(m, p, [1, 1, 1]), "no judgement prefers one package to another"),
        (lambda m, p: fit_ranking(m, p, [1, "x", 2]), "ranks must be numbers"),
        (lambda m, p: fit_judgements(m, p, [(0, 1)], delta=0), "delta must be > 0"),
    ],
)
def test_bad_judgements_get_one_clear_message(call, message):
    issues = small_issues((2, 2))
    packages = np.array([[0, 0], [1, 0], [0, 1]])
    with pytest.raises(ScenarioError) as caught:
        call(PartWorthModel.of(issues), packages)
    assert message in str(caught.value)
