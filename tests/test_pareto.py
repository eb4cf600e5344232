"""Pareto frontier and bargaining solutions: properties on random utility arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from servanda.analysis import (
    egalitarian_point,
    kalai_smorodinsky_point,
    nash_point,
    pareto_mask,
    utilitarian_point,
)


def utility_arrays(max_parties: int = 4):
    """Random utility arrays; small integer grids provoke ties and duplicates."""
    shapes = st.tuples(st.integers(1, 60), st.integers(1, max_parties))
    floats = st.floats(0, 1, allow_nan=False, width=64)
    grid = st.integers(0, 4).map(lambda v: v / 4)
    return shapes.flatmap(lambda shape: arrays(float, shape, elements=st.one_of(floats, grid)))


def brute_dominated(u: np.ndarray) -> np.ndarray:
    """Independent O(n^2) reference: is each row dominated by some other row?"""
    ge = np.all(u[None, :, :] >= u[:, None, :], axis=2)
    gt = np.any(u[None, :, :] > u[:, None, :], axis=2)
    return np.any(ge & gt, axis=1)


@settings(max_examples=300)
@given(utility_arrays())
def test_frontier_is_exactly_the_undominated_rows(u):
    mask = pareto_mask(u)
    np.testing.assert_array_equal(mask, ~brute_dominated(u))


@settings(max_examples=200)
@given(utility_arrays())
def test_every_non_member_is_dominated_by_a_member(u):
    mask = pareto_mask(u)
    members = u[mask]
    for row in u[~mask]:
        assert np.any(np.all(members >= row, axis=1) & np.any(members > row, axis=1))


@given(utility_arrays())
def test_tied_rows_are_kept_together(u):
    doubled = np.vstack([u, u])
    mask = pareto_mask(doubled)
    np.testing.assert_array_equal(mask[: len(u)], mask[len(u) :])


@given(utility_arrays(), st.integers(0, 2**32 - 1))
def test_frontier_does_not_depend_on_row_order(u, seed):
    perm = np.random.default_rng(seed).permutation(len(u))
    np.testing.assert_array_equal(pareto_mask(u)[perm], pareto_mask(u[perm]))


def reservations_for(u: np.ndarray, draw_fraction: float) -> np.ndarray:
    return u.min(axis=0) + draw_fraction * (u.max(axis=0) - u.min(axis=0))


@settings(max_examples=200)
@given(utility_arrays(), st.floats(0, 1))
def test_solutions_maximise_their_criterion_over_the_zone(u, fraction):
    r = reservations_for(u, fraction)
    gains = u - r
    zone = np.all(gains >= 0, axis=1)
    best = gains[zone].max(axis=0) if zone.any() else None

    def relative(g):
        return np.divide(g, best, out=np.ones_like(g), where=best > 0).min(axis=1)

    for solve, criterion in (
        (nash_point, lambda g: np.prod(g, axis=1)),
        (kalai_smorodinsky_point, relative),
        (egalitarian_point, lambda g: g.min(axis=1)),
        (utilitarian_point, lambda g: g.sum(axis=1)),
    ):
        chosen = solve(u, r)
        if not zone.any():
            assert chosen is None
            continue
        assert zone[chosen]
        assert criterion(gains[chosen : chosen + 1])[0] == criterion(gains[zone]).max()


@settings(max_examples=200)
@given(utility_arrays(), st.floats(0, 1))
@example(np.array([[0.0, 0.0], [1 - 2**-53, 1.0], [1.0, 1.0]]), 0.0)  # sums tie after rounding
def test_solutions_are_pareto_efficient_within_the_zone(u, fraction):
    r = reservations_for(u, fraction)
    zone = np.all(u >= r, axis=1)
    if not zone.any():
        return
    inside = u[zone]
    efficient = pareto_mask(inside)
    for solve in (nash_point, kalai_smorodinsky_point, egalitarian_point, utilitarian_point):
        chosen = solve(inside, r)
        assert efficient[chosen], solve.__name__


def test_tie_breaking_prefers_welfare_then_the_earlier_candidate():
    u = np.array([[0.5, 0.5], [0.5, 0.5], [0.25, 1.0]])
    # Products 0.25, 0.25, 0.25; welfare 1, 1, 1.25: the third wins on welfare.
    assert nash_point(u, np.zeros(2)) == 2
    u = np.array([[0.5, 0.5], [0.5, 0.5]])
    assert nash_point(u, np.zeros(2)) == 0
    assert utilitarian_point(u, np.zeros(2)) == 0


def test_kalai_smorodinsky_equalises_relative_gains():
    u = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6], [0.8, 0.3], [0.45, 0.9]])
    # Ideal point (1, 1); relative gains min: 0, 0, 0.6, 0.3, 0.45 -> row 2.
    assert kalai_smorodinsky_point(u, np.zeros(2)) == 2
    assert egalitarian_point(u, np.array([0.0, 0.5])) == 4
