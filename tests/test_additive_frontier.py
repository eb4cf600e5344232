"""The additive frontier against brute force: every outcome enumerated, every pair compared."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.analysis.additive_frontier import additive_pareto_frontier
from servanda.errors import ScenarioError
from servanda.model.preferences import Preferences

# -- brute force, independent of the module under test ----------------------------------


def utility(tables, outcome):
    """Float sum in issue order from 0.0, as ``Preferences.evaluate`` adds."""
    total = 0.0
    for table, option in zip(tables, outcome):
        total += float(table[option])
    return total


def brute_force(first, second, allowed):
    """``{utility vector: sorted list of outcomes}`` for the frontier, by enumeration."""
    choices = [np.flatnonzero(mask).tolist() for mask in allowed]
    by_vector: dict[tuple[float, float], list[tuple[int, ...]]] = {}
    for outcome in itertools.product(*choices):
        vector = (utility(first, outcome), utility(second, outcome))
        by_vector.setdefault(vector, []).append(outcome)
    vectors = np.array(list(by_vector), dtype=float)
    a, b = vectors[:, 0], vectors[:, 1]
    # dominated[p] if some q has q >= p in both and q > p in one: all pairs at once.
    ge = (a[None, :] >= a[:, None]) & (b[None, :] >= b[:, None])
    gt = (a[None, :] > a[:, None]) | (b[None, :] > b[:, None])
    dominated = (ge & gt).any(axis=1)
    return {
        (float(x), float(y)): sorted(by_vector[(float(x), float(y))])
        for (x, y), d in zip(vectors, dominated)
        if not d
    }


def all_ties(frontier, row):
    rows = frontier.tied_outcomes(row, limit=frontier.counts[row] + 1)
    return [tuple(int(d) for d in r) for r in rows]


# -- strategies -------------------------------------------------------------------------

# Decimals that do not add up exactly in binary (0.1 + 0.2 != 0.3) provoke ties that only
# appear after rounding; small integers provoke exact ties; plain floats, the general case.
ROUNDING_PRONE = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 1.0, 1 / 3, 2 / 3]
value_kinds = st.sampled_from(["float", "int", "decimal", "mixed"])


@st.composite
def spaces(draw):
    kind = draw(value_kinds)
    k = draw(st.integers(2, 5))
    sizes = [draw(st.integers(1, 5)) for _ in range(k)]
    floats = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
    integers = st.integers(-2, 2).map(float)
    decimals = st.sampled_from(ROUNDING_PRONE)
    value_first, value_second = {
        "float": (floats, floats),
        "int": (integers, integers),
        "decimal": (decimals, decimals),
        "mixed": (decimals, integers),  # ties in one utility, near-ties in the other
    }[kind]

    def table(value, n):
        return np.array(draw(st.lists(value, min_size=n, max_size=n)), dtype=float)

    first = [table(value_first, n) for n in sizes]
    second = [table(value_second, n) for n in sizes]
    if draw(st.booleans()):
        allowed = []
        for n in sizes:
            mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
            mask[draw(st.integers(0, n - 1))] = True  # at least one option stays
            allowed.append(mask)
    else:
        allowed = [np.ones(n, dtype=bool) for n in sizes]
    return first, second, allowed


# -- properties -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(spaces())
def test_matches_brute_force(space):
    first, second, allowed = space
    frontier = additive_pareto_frontier(first, second, allowed)
    expected = brute_force(first, second, allowed)

    got = {(float(x), float(y)) for x, y in frontier.utilities}
    assert got == set(expected)
    assert len(frontier) == len(expected) == len(frontier.counts)
    assert np.all(np.diff(frontier.utilities[:, 0]) < 0)  # first utility descending
    for row, (x, y) in enumerate(frontier.utilities):
        ties = expected[(float(x), float(y))]
        assert frontier.counts[row] == len(ties)
        assert all_ties(frontier, row) == ties  # every tie, in index order
        assert tuple(frontier.outcomes[row]) == ties[0]  # the lowest-index representative


@settings(max_examples=150, deadline=None)
@given(spaces())
def test_members_undominated_and_nonmembers_dominated(space):
    first, second, allowed = space
    frontier = additive_pareto_frontier(first, second, allowed)
    members = {o for row in range(len(frontier)) for o in all_ties(frontier, row)}
    vectors = frontier.utilities
    choices = [np.flatnonzero(mask).tolist() for mask in allowed]
    for outcome in itertools.product(*choices):
        u = np.array([utility(first, outcome), utility(second, outcome)])
        beaten_by = np.all(vectors >= u, axis=1) & np.any(vectors > u, axis=1)
        if outcome in members:
            assert not beaten_by.any()
            for other in itertools.product(*choices):
                v = (utility(first, other), utility(second, other))
                assert not (v[0] >= u[0] and v[1] >= u[1] and (v[0] > u[0] or v[1] > u[1]))
        else:
            assert beaten_by.any(), f"{outcome} is neither a member nor dominated by one"


def test_tie_created_by_rounding_is_kept():
    # After issue 1, outcome (0, 0) is strictly ahead of (1, 1) for the first party
    # (0.1 + 0.2 > 0.3) and level for the second; after issue 2 they are tied
    # (0.1 + 0.2 + 1.0 == 0.3 + 1.0), so both are on the frontier.
    first = [np.array([0.1, 0.3]), np.array([0.2, 0.0]), np.array([1.0])]
    second = [np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.0])]
    assert 0.1 + 0.2 > 0.3 + 0.0 and 0.1 + 0.2 + 1.0 == 0.3 + 0.0 + 1.0
    frontier = additive_pareto_frontier(first, second)
    row = frontier.utilities.tolist().index([0.1 + 0.2 + 1.0, 1.0])
    assert frontier.counts[row] == 2
    assert all_ties(frontier, row) == [(0, 0, 0), (1, 1, 0)]
    assert frontier.counts == (1, 2, 1)


# -- large instances --------------------------------------------------------------------


def random_instance(k, n, seed):
    rng = np.random.default_rng(seed)
    prefs = [
        Preferences(weights=rng.random(k) / k, tables=tuple(rng.random((k, n))))
        for _ in range(2)
    ]
    return prefs


def test_twenty_issues_of_ten_options():
    first, second = random_instance(20, 10, seed=7)
    frontier = additive_pareto_frontier(first.weighted_tables, second.weighted_tables)
    u = frontier.utilities
    assert len(frontier) > 1 and frontier.outcomes.shape == (len(frontier), 20)
    ge = (u[None, :, 0] >= u[:, None, 0]) & (u[None, :, 1] >= u[:, None, 1])
    gt = (u[None, :, 0] > u[:, None, 0]) | (u[None, :, 1] > u[:, None, 1])
    assert not (ge & gt).any()
    # Bit-identical to evaluating the representatives.
    assert np.array_equal(first.evaluate(frontier.outcomes), u[:, 0])
    assert np.array_equal(second.evaluate(frontier.outcomes), u[:, 1])
    for row in range(len(frontier)):
        ties = frontier.tied_outcomes(row)
        assert len(ties) == min(frontier.counts[row], 1000)
        assert np.array_equal(ties[0], frontier.outcomes[row])
        assert np.all(first.evaluate(ties) == u[row, 0])
        assert np.all(second.evaluate(ties) == u[row, 1])


def test_many_ties_are_counted_and_listed_lazily():
    frontier = additive_pareto_frontier([np.full(5, 0.25)] * 12, [np.full(5, 0.5)] * 12)
    assert len(frontier) == 1
    assert frontier.counts == (5**12,)
    assert frontier.outcomes.tolist() == [[0] * 12]
    ties = frontier.tied_outcomes(0, limit=1000)
    assert ties.shape == (1000, 12)
    expected = list(itertools.islice(itertools.product(range(5), repeat=12), 1000))
    assert [tuple(t) for t in ties] == expected
    assert frontier.tied_outcomes(0, limit=0).shape == (0, 12)


def test_counts_beyond_int64_are_exact():
    frontier = additive_pareto_frontier([np.zeros(10)] * 30, [np.zeros(10)] * 30)
    assert frontier.counts == (10**30,)
    assert frontier.tied_outcomes(0, limit=3).tolist() == [
        [0] * 30,
        [0] * 29 + [1],
        [0] * 29 + [2],
    ]


def test_ties_in_some_issues_with_a_real_tradeoff():
    # Issue 0 trades off; issue 1 has two options identical for both parties, one worse.
    first = [np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])]
    second = [np.array([2.0, 1.0, 0.0]), np.array([1.0, 1.0, 0.0])]
    frontier = additive_pareto_frontier(first, second)
    assert frontier.utilities.tolist() == [[3.0, 1.0], [2.0, 2.0], [1.0, 3.0]]
    assert frontier.counts == (2, 2, 2)
    assert all_ties(frontier, 1) == [(1, 0), (1, 1)]


# -- edges and errors --------------------------------------------------------------------


def test_no_issues_gives_the_empty_outcome():
    frontier = additive_pareto_frontier([], [])
    assert frontier.utilities.tolist() == [[0.0, 0.0]]
    assert frontier.outcomes.shape == (1, 0) and frontier.counts == (1,)
    assert frontier.tied_outcomes(0).shape == (1, 0)


def test_issue_without_allowed_option_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="issue 1"):
        additive_pareto_frontier(
            [np.ones(2), np.ones(3)],
            [np.ones(2), np.ones(3)],
            [np.array([True, False]), np.zeros(3, dtype=bool)],
        )


@pytest.mark.parametrize(
    "first, second, allowed",
    [
        ([np.ones(2)], [np.ones(2), np.ones(2)], None),
        ([np.ones(2)], [np.ones(3)], None),
        ([np.ones((2, 2))], [np.ones((2, 2))], None),
        ([np.ones(2)], [np.ones(2)], [np.ones(3, dtype=bool)]),
        ([np.ones(2)], [np.ones(2)], []),
        ([np.ones(2)], [np.ones(2)], [np.ones(2)]),
        ([np.array([1.0, np.nan])], [np.ones(2)], None),
    ],
)
def test_mismatched_input_is_a_value_error(first, second, allowed):
    with pytest.raises(ValueError):
        additive_pareto_frontier(first, second, allowed)


def test_tied_outcomes_checks_its_arguments():
    frontier = additive_pareto_frontier([np.array([0.0, 1.0])], [np.array([1.0, 0.0])])
    with pytest.raises(IndexError):
        frontier.tied_outcomes(2)
    with pytest.raises(ValueError):
        frontier.tied_outcomes(0, limit=-1)
