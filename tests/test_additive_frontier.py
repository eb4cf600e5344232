"""The additive frontier against brute force: every outcome enumerated, every pair compared."""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.analysis import pareto as pareto_module
from servanda.analysis.additive_frontier import additive_pareto_frontier
from servanda.analysis.pareto import pareto_mask
from servanda.errors import ScenarioError
from servanda.model.preferences import Preferences

# -- brute force, independent of the module under test ----------------------------------


def utility(tables, outcome):
    """Float sum in issue order from 0.0, as ``Preferences.evaluate`` adds."""
    total = 0.0
    for table, option in zip(tables, outcome):
        total += float(table[option])
    return total


def vector(tables, outcome):
    return tuple(utility(party, outcome) for party in tables)


def brute_force(tables, allowed):
    """``{utility vector: sorted list of outcomes}`` for the frontier, by enumeration."""
    choices = [np.flatnonzero(mask).tolist() for mask in allowed]
    by_vector: dict[tuple[float, ...], list[tuple[int, ...]]] = {}
    for outcome in itertools.product(*choices):
        by_vector.setdefault(vector(tables, outcome), []).append(outcome)
    vectors = np.array(list(by_vector), dtype=float)
    # dominated[p] if some q has q >= p in every coordinate and q > p in one: all pairs.
    ge = np.all(vectors[None, :, :] >= vectors[:, None, :], axis=2)
    gt = np.any(vectors[None, :, :] > vectors[:, None, :], axis=2)
    dominated = (ge & gt).any(axis=1)
    return {
        tuple(float(x) for x in v): sorted(by_vector[tuple(float(x) for x in v)])
        for v, d in zip(vectors, dominated)
        if not d
    }


def all_ties(frontier, row):
    rows = frontier.tied_outcomes(row, limit=frontier.counts[row] + 1)
    return [tuple(int(d) for d in r) for r in rows]


def lexicographically_descending(u):
    """Every row strictly before the next in lexicographic descending order."""
    for a, b in zip(u[:-1], u[1:]):
        differ = np.flatnonzero(a != b)
        if differ.size == 0 or a[differ[0]] < b[differ[0]]:
            return False
    return True


# -- strategies -------------------------------------------------------------------------

# Decimals that do not add up exactly in binary (0.1 + 0.2 != 0.3) provoke ties that only
# appear after rounding; small integers provoke exact ties; plain floats, the general case.
ROUNDING_PRONE = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 1.0, 1 / 3, 2 / 3]
VALUES = {
    "float": st.floats(-10, 10, allow_nan=False, allow_infinity=False),
    "int": st.integers(-2, 2).map(float),
    "decimal": st.sampled_from(ROUNDING_PRONE),
}


@st.composite
def spaces(draw, parties=2, issues=(2, 5), options=(1, 5)):
    """``(tables, allowed)``: ``tables[p][i]`` for each party and issue."""
    kind = draw(st.sampled_from(["float", "int", "decimal", "mixed"]))
    if kind == "mixed":  # ties in some utilities, near-ties in others
        kinds = [draw(st.sampled_from(["int", "decimal"])) for _ in range(parties)]
    else:
        kinds = [kind] * parties
    k = draw(st.integers(*issues))
    sizes = [draw(st.integers(*options)) for _ in range(k)]

    def table(value, n):
        return np.array(draw(st.lists(value, min_size=n, max_size=n)), dtype=float)

    tables = [[table(VALUES[kinds[p]], n) for n in sizes] for p in range(parties)]
    if draw(st.booleans()):
        allowed = []
        for n in sizes:
            mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
            mask[draw(st.integers(0, n - 1))] = True  # at least one option stays
            allowed.append(mask)
    else:
        allowed = [np.ones(n, dtype=bool) for n in sizes]
    return tables, allowed


def check_against_brute_force(tables, allowed):
    frontier = additive_pareto_frontier(tables, allowed)
    expected = brute_force(tables, allowed)

    got = {tuple(float(x) for x in v) for v in frontier.utilities}
    assert got == set(expected)
    assert len(frontier) == len(expected) == len(frontier.counts)
    assert frontier.utilities.shape == (len(expected), len(tables))
    assert lexicographically_descending(frontier.utilities)
    for row, v in enumerate(frontier.utilities):
        ties = expected[tuple(float(x) for x in v)]
        assert frontier.counts[row] == len(ties)
        assert all_ties(frontier, row) == ties  # every tie, in index order
        assert tuple(frontier.outcomes[row]) == ties[0]  # the lowest-index representative


def check_members_and_nonmembers(tables, allowed):
    frontier = additive_pareto_frontier(tables, allowed)
    members = {o for row in range(len(frontier)) for o in all_ties(frontier, row)}
    vectors = frontier.utilities
    choices = [np.flatnonzero(mask).tolist() for mask in allowed]
    outcomes = list(itertools.product(*choices))
    every = np.array([vector(tables, o) for o in outcomes])
    for outcome, u in zip(outcomes, every):
        if outcome in members:
            beaten = np.all(every >= u, axis=1) & np.any(every > u, axis=1)
            assert not beaten.any(), f"member {outcome} is dominated"
        else:
            beaten_by = np.all(vectors >= u, axis=1) & np.any(vectors > u, axis=1)
            assert beaten_by.any(), f"{outcome} is neither a member nor dominated by one"


# -- properties -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(spaces())
def test_matches_brute_force(space):
    check_against_brute_force(*space)


@settings(max_examples=150, deadline=None)
@given(spaces())
def test_members_undominated_and_nonmembers_dominated(space):
    check_members_and_nonmembers(*space)


@pytest.mark.parametrize("parties", [3, 4])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_many_parties_match_brute_force(parties, data):
    space = data.draw(spaces(parties, issues=(2, 4), options=(1, 4)))
    # Small spaces fit in one batch of the pruning sweep and one comparison table; smaller
    # batches and tables make them take the paths of large spaces (a near-tie met across
    # batches, tables split into chunks).
    batch = data.draw(st.sampled_from([1, 2, 3, pareto_module._BATCH]))
    cells = data.draw(st.sampled_from([1, 5, pareto_module._TABLE_CELLS]))
    with (
        mock.patch.object(pareto_module, "_BATCH", batch),
        mock.patch.object(pareto_module, "_TABLE_CELLS", cells),
    ):
        check_against_brute_force(*space)


@pytest.mark.parametrize("parties", [3, 4])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_many_parties_members_undominated_and_nonmembers_dominated(parties, data):
    check_members_and_nonmembers(*data.draw(spaces(parties, issues=(2, 4), options=(1, 4))))


@settings(max_examples=50, deadline=None)
@given(spaces(parties=1, issues=(1, 4), options=(1, 4)))
def test_one_party_is_the_set_of_best_outcomes(space):
    check_against_brute_force(*space)


def test_tie_created_by_rounding_is_kept():
    # After issue 1, outcome (0, 0) is strictly ahead of (1, 1) for the first party
    # (0.1 + 0.2 > 0.3) and level for the second; after issue 2 they are tied
    # (0.1 + 0.2 + 1.0 == 0.3 + 1.0), so both are on the frontier.
    first = [np.array([0.1, 0.3]), np.array([0.2, 0.0]), np.array([1.0])]
    second = [np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.0])]
    assert 0.1 + 0.2 > 0.3 + 0.0 and 0.1 + 0.2 + 1.0 == 0.3 + 0.0 + 1.0
    frontier = additive_pareto_frontier([first, second])
    row = frontier.utilities.tolist().index([0.1 + 0.2 + 1.0, 1.0])
    assert frontier.counts[row] == 2
    assert all_ties(frontier, row) == [(0, 0, 0), (1, 1, 0)]
    assert frontier.counts == (1, 2, 1)


def test_tie_created_by_rounding_is_kept_with_three_parties():
    # The same near-tie for the first party, the second level, and a third party that
    # strictly prefers neither: (0, 0, 0) and (1, 1, 0) end tied in all three utilities.
    first = [np.array([0.1, 0.3]), np.array([0.2, 0.0]), np.array([1.0])]
    second = [np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.0])]
    third = [np.array([0.5, 0.0]), np.array([0.0, 0.5]), np.array([0.0])]
    # Pruning after issue 1 meets them in one batch, or in two, the second with or
    # without the partial sum (0, 1), which is ahead of (1, 1) for the second party.
    for batch in (1, 2, pareto_module._BATCH):
        with mock.patch.object(pareto_module, "_BATCH", batch):
            frontier = additive_pareto_frontier([first, second, third])
        row = frontier.utilities.tolist().index([0.1 + 0.2 + 1.0, 1.0, 0.5])
        assert frontier.counts[row] == 2
        assert all_ties(frontier, row) == [(0, 0, 0), (1, 1, 0)]


# -- large instances --------------------------------------------------------------------


def random_instance(k, n, seed, parties=2):
    rng = np.random.default_rng(seed)
    return [
        Preferences(weights=rng.random(k) / k, tables=tuple(rng.random((k, n))))
        for _ in range(parties)
    ]


def test_twenty_issues_of_ten_options():
    first, second = random_instance(20, 10, seed=7)
    frontier = additive_pareto_frontier([first.weighted_tables, second.weighted_tables])
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


def check_against_pareto_mask(tables):
    """The frontier of the full enumeration, by :func:`pareto_mask`, agrees row by row."""
    frontier = additive_pareto_frontier(tables)
    outcomes = np.array(list(itertools.product(*(range(len(t)) for t in tables[0]))))
    every = np.zeros((len(outcomes), len(tables)))
    for p, party in enumerate(tables):
        for i, table in enumerate(party):
            every[:, p] += table[outcomes[:, i]]  # issue order from 0.0, as evaluate adds
    on = pareto_mask(every)
    vectors, first, counts = np.unique(every[on], axis=0, return_index=True, return_counts=True)
    # ``np.unique`` sorts ascending; the frontier lists its rows descending.
    assert np.array_equal(frontier.utilities, vectors[::-1])
    assert list(frontier.counts) == counts[::-1].tolist()
    assert sum(frontier.counts) == int(on.sum())
    # Enumeration is in index order, so the first occurrence is the lowest-index outcome.
    assert np.array_equal(frontier.outcomes, outcomes[on][first][::-1])
    return frontier


def test_five_parties_against_the_full_enumeration():
    # 7**6 = 117,649 outcomes; values in tenths, so sums tie after rounding and exactly.
    rng = np.random.default_rng(3)
    tables = [[rng.integers(0, 6, size=7) * 0.1 for _ in range(6)] for _ in range(5)]
    frontier = check_against_pareto_mask(tables)
    assert 1 < len(frontier) < sum(frontier.counts)  # some vectors are shared by ties


def test_three_parties_with_random_floats_against_the_full_enumeration():
    prefs = random_instance(6, 7, seed=11, parties=3)
    frontier = check_against_pareto_mask([p.weighted_tables for p in prefs])
    u = frontier.utilities
    for p, party in enumerate(prefs):
        assert np.array_equal(party.evaluate(frontier.outcomes), u[:, p])


def test_many_ties_are_counted_and_listed_lazily():
    frontier = additive_pareto_frontier([[np.full(5, 0.25)] * 12, [np.full(5, 0.5)] * 12])
    assert len(frontier) == 1
    assert frontier.counts == (5**12,)
    assert frontier.outcomes.tolist() == [[0] * 12]
    ties = frontier.tied_outcomes(0, limit=1000)
    assert ties.shape == (1000, 12)
    expected = list(itertools.islice(itertools.product(range(5), repeat=12), 1000))
    assert [tuple(t) for t in ties] == expected
    assert frontier.tied_outcomes(0, limit=0).shape == (0, 12)


@pytest.mark.parametrize("parties", [2, 3, 5])
def test_counts_beyond_int64_are_exact(parties):
    frontier = additive_pareto_frontier([[np.zeros(10)] * 30] * parties)
    assert frontier.counts == (10**30,)
    assert frontier.utilities.shape == (1, parties)
    assert frontier.tied_outcomes(0, limit=3).tolist() == [
        [0] * 30,
        [0] * 29 + [1],
        [0] * 29 + [2],
    ]


def test_ties_in_some_issues_with_a_real_tradeoff():
    # Issue 0 trades off; issue 1 has two options identical for both parties, one worse.
    first = [np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])]
    second = [np.array([2.0, 1.0, 0.0]), np.array([1.0, 1.0, 0.0])]
    frontier = additive_pareto_frontier([first, second])
    assert frontier.utilities.tolist() == [[3.0, 1.0], [2.0, 2.0], [1.0, 3.0]]
    assert frontier.counts == (2, 2, 2)
    assert all_ties(frontier, 1) == [(1, 0), (1, 1)]


def test_a_third_party_separates_options_the_first_two_tie():
    # The two options of issue 1 tie for the first two parties; the third prefers option 1,
    # so option 0 is dominated and the ties of the two-party frontier disappear.
    first = [np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])]
    second = [np.array([2.0, 1.0, 0.0]), np.array([1.0, 1.0, 0.0])]
    third = [np.array([1.0, 0.0, 2.0]), np.array([0.0, 1.0, 0.0])]
    frontier = additive_pareto_frontier([first, second, third])
    assert frontier.utilities.tolist() == [[3.0, 1.0, 3.0], [2.0, 2.0, 1.0], [1.0, 3.0, 2.0]]
    assert frontier.counts == (1, 1, 1)
    assert frontier.outcomes.tolist() == [[2, 1], [1, 1], [0, 1]]


# -- edges and errors --------------------------------------------------------------------


@pytest.mark.parametrize("parties", [1, 2, 4])
def test_no_issues_gives_the_empty_outcome(parties):
    frontier = additive_pareto_frontier([[]] * parties)
    assert frontier.utilities.tolist() == [[0.0] * parties]
    assert frontier.outcomes.shape == (1, 0) and frontier.counts == (1,)
    assert frontier.tied_outcomes(0).shape == (1, 0)


def test_issue_without_allowed_option_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="issue 1"):
        additive_pareto_frontier(
            [[np.ones(2), np.ones(3)]] * 3,
            [np.array([True, False]), np.zeros(3, dtype=bool)],
        )


@pytest.mark.parametrize(
    "tables, allowed",
    [
        ([], None),
        ([[np.ones(2)], [np.ones(2), np.ones(2)]], None),
        ([[np.ones(2)], [np.ones(2)], [np.ones(2), np.ones(2)]], None),
        ([[np.ones(2)], [np.ones(3)]], None),
        ([[np.ones(2)], [np.ones(2)], [np.ones(3)]], None),
        ([[np.ones((2, 2))], [np.ones((2, 2))]], None),
        ([[np.ones(2)], [np.ones(2)]], [np.ones(3, dtype=bool)]),
        ([[np.ones(2)], [np.ones(2)]], []),
        ([[np.ones(2)], [np.ones(2)]], [np.ones(2)]),
        ([[np.array([1.0, np.nan])], [np.ones(2)]], None),
        ([[np.ones(2)], [np.ones(2)], [np.array([np.inf, 1.0])]], None),
    ],
)
def test_mismatched_input_is_a_value_error(tables, allowed):
    with pytest.raises(ValueError):
        additive_pareto_frontier(tables, allowed)


def test_tied_outcomes_checks_its_arguments():
    frontier = additive_pareto_frontier([[np.array([0.0, 1.0])], [np.array([1.0, 0.0])]])
    with pytest.raises(IndexError):
        frontier.tied_outcomes(2)
    with pytest.raises(ValueError):
        frontier.tied_outcomes(0, limit=-1)
