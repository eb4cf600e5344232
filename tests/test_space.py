"""Outcome space: mixed-radix indexing, sizes without enumeration, chunks, sampling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from servanda.errors import OutcomeError, SpaceTooLargeError
from servanda.model import CategoricalIssue, IntegerIssue, OutcomeSpace, RealIssue


def space_of(sizes: list[int]) -> OutcomeSpace:
    return OutcomeSpace(
        tuple(CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(n))) for k, n in enumerate(sizes))
    )


@given(st.lists(st.integers(1, 5), min_size=1, max_size=5))
def test_index_order_is_itertools_product(sizes):
    space = space_of(sizes)
    expected = np.array(list(itertools.product(*[range(n) for n in sizes])))
    np.testing.assert_array_equal(space.all(), expected)
    for index, outcome in enumerate(expected):
        assert space.index_of(outcome) == index
        assert space.outcome_at(index) == tuple(outcome)
    np.testing.assert_array_equal(space.indices(expected), np.arange(len(expected)))
    assert space.exact_indices(expected) == list(range(len(expected)))


@given(st.lists(st.integers(1, 6), min_size=1, max_size=5), st.integers(1, 50))
def test_chunks_cover_the_space_in_order(sizes, chunk):
    space = space_of(sizes)
    np.testing.assert_array_equal(np.vstack(list(space.chunks(chunk))), space.all())


def test_huge_space_is_addressed_exactly_without_enumeration():
    space = space_of([10] * 30)
    assert space.size == 10**30
    outcome = tuple(range(10)) * 3
    index = space.index_of(outcome)
    assert index == int("0123456789" * 3)
    assert space.outcome_at(index) == outcome
    assert space.exact_indices(np.array([outcome, (0,) * 30])) == [index, 0]
    with pytest.raises(SpaceTooLargeError, match="1.000e\\+30 outcomes"):
        next(space.chunks())
    with pytest.raises(SpaceTooLargeError):
        space.all()


def test_sampling_is_seeded_and_in_range():
    space = space_of([10] * 30)
    a, b = space.sample(1000, seed=7), space.sample(1000, seed=7)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (1000, 30) and a.min() >= 0 and a.max() <= 9
    assert not np.array_equal(a, space.sample(1000, seed=8))


def test_numeric_issues_and_extra_options():
    cap = IntegerIssue("cap", 50_000, 800_000, ("no_cap",), step=50_000)
    assert cap.size == 17 and cap.options[0] == 50_000 and cap.options[-1] == "no_cap"
    assert cap.index_of("800000") == 15 and cap.index_of(800_000) == 15
    assert np.isnan(cap.numeric_values[-1])
    share = RealIssue("share", 0.0, 1.0, steps=5)
    assert share.options == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert share.index_of("0.75") == 3
    with pytest.raises(OutcomeError, match="no option 0.3"):
        share.index_of(0.3)


def test_parse_and_describe_round_trip():
    space = space_of([2, 3])
    assert space.parse({"i0": "o1", "i1": "o2"}) == (1, 2)
    assert space.describe((1, 2)) == {"i0": "o1", "i1": "o2"}
    with pytest.raises(OutcomeError, match="unknown issue"):
        space.parse({"i0": "o1", "i1": "o2", "x": "y"})
    with pytest.raises(OutcomeError, match="no option given for issue"):
        space.parse({"i0": "o1"})
