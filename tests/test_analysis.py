"""End-to-end analysis: streaming equals in-memory, solutions are right, huge spaces work."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import random_scenario
from servanda.analysis import analyze, pareto_mask, red_line_breaches, score, utilities
from servanda.errors import SpaceTooLargeError, UnsupportedError
from servanda.model import CategoricalIssue, Interaction, Party, Preferences, RedLine, Scenario

scenarios = st.builds(
    random_scenario,
    seed=st.integers(0, 10**6),
    parties=st.integers(2, 4),
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple),
    red_lines=st.booleans(),
    reservation=st.sampled_from([0.0, 0.3, 0.5]),
    integer_values=st.booleans(),
)


def brute_force(scenario: Scenario):
    """Everything computed on the whole space in memory, the straightforward way."""
    digits = scenario.space.all()
    u = utilities(scenario, digits)
    ok = ~red_line_breaches(scenario, digits).any(axis=1)
    zone = ok & np.all(u >= scenario.reservations, axis=1)
    members = np.flatnonzero(ok)[pareto_mask(u[ok])]
    return digits, u, ok, zone, members


@settings(max_examples=60, deadline=None)
@given(scenarios, st.integers(1, 40))
def test_streamed_analysis_equals_in_memory(scenario, chunk):
    digits, u, ok, zone, members = brute_force(scenario)
    streamed = analyze(scenario, method="enumeration", chunk_size=chunk)
    whole = analyze(scenario, method="enumeration", chunk_size=scenario.space.size)
    for result in (streamed, whole):
        assert sorted(result.frontier.indices) == members.tolist()
        assert result.acceptable == int(ok.sum())
        assert result.zone_size == int(zone.sum())
    assert {k: v and v.index for k, v in streamed.solutions.items()} == {
        k: v and v.index for k, v in whole.solutions.items()
    }


@settings(max_examples=60, deadline=None)
@given(scenarios)
def test_nash_maximises_the_product_of_gains_over_the_zone(scenario):
    digits, u, ok, zone, _ = brute_force(scenario)
    nash = analyze(scenario).solutions["nash"]
    if not zone.any():
        assert nash is None
        return
    gains = u[zone] - scenario.reservations
    products = np.prod(gains, axis=1)
    assert np.prod(np.array(nash.utilities) - scenario.reservations) == products.max()
    # documented tie-break: larger welfare, then the lowest outcome index that no other
    # tied outcome dominates
    best = np.flatnonzero(products == products.max())
    welfare = u[zone][best].sum(axis=1)
    tied = best[welfare == welfare.max()]
    tied = tied[pareto_mask(u[zone][tied])]
    assert nash.index == np.flatnonzero(zone)[tied].min()


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10**6),
    st.integers(1, 4),
    st.lists(st.integers(1, 5), min_size=1, max_size=5).map(tuple),
    st.booleans(),
    st.booleans(),
)
def test_issue_by_issue_frontier_equals_enumeration(seed, parties, sizes, red_lines, integer_values):
    scenario = random_scenario(seed, parties, sizes, red_lines, 0.2, integer_values)
    enumerated = analyze(scenario, method="enumeration")
    by_issue = analyze(scenario, method="issue-by-issue")
    assert by_issue.method.startswith("issue-by-issue") and enumerated.method == "enumeration"
    assert by_issue.zone_size == enumerated.zone_size
    assert by_issue.frontier.size == enumerated.frontier.size
    vectors = {tuple(row) for row in enumerated.frontier.utilities}
    assert {tuple(row) for row in by_issue.frontier.utilities} == vectors
    assert by_issue.acceptable == enumerated.acceptable
    for name, point in enumerated.solutions.items():
        other = by_issue.solutions[name]
        assert (point is None) == (other is None)
        if point is not None:
            assert other.index == point.index, name


def test_twenty_issues_of_ten_options_two_parties():
    scenario = random_scenario(3, 2, (10,) * 20, reservation=0.3)
    assert scenario.space.size == 10**20
    result = analyze(scenario)
    assert result.method.startswith("issue-by-issue") and result.zone_size is None
    u = result.frontier.utilities
    assert not np.any(np.all(u[None] >= u[:, None], axis=2) & np.any(u[None] > u[:, None], axis=2))
    recomputed = utilities(scenario, result.frontier.outcomes)
    np.testing.assert_array_equal(recomputed, u)
    nash = result.solutions["nash"]
    assert nash is not None
    zone = u[np.all(u >= 0.3, axis=1)]
    assert np.prod(np.array(nash.utilities) - 0.3) == np.prod(zone - 0.3, axis=1).max()
    # score a proposal in the same space: improvements come from the exact frontier
    result_score = score(scenario, (0,) * 20)
    assert result_score.improvements is None
    for better in result_score.best_improvements:
        assert all(b >= a for a, b in zip(result_score.proposal.utilities, better.utilities))


def test_three_parties_on_1e20_outcomes_without_enumeration():
    scenario = random_scenario(11, 3, (10,) * 20, reservation=0.2)
    result = analyze(scenario)
    assert result.method.startswith("issue-by-issue") and result.zone_size is None
    np.testing.assert_array_equal(utilities(scenario, result.frontier.outcomes), result.frontier.utilities)
    assert result.solutions["nash"] is not None


def test_too_large_for_enumeration_and_not_additive_says_so():
    scenario = random_scenario(1, 3, (10,) * 30, joint_red_line=True)
    with pytest.raises(SpaceTooLargeError, match="1.000e\\+30 outcomes.*linear-additive"):
        analyze(scenario)


def test_interaction_terms_count_in_utilities_and_block_the_additive_shortcut():
    issues = (CategoricalIssue("a", ("x", "y")), CategoricalIssue("b", ("x", "y")))
    bonus = np.array([[0.0, 0.0], [0.0, 0.5]])
    p = Party("p", Preferences([0.5, 0.5], ([0, 1], [0, 1]), (Interaction(0, 1, bonus),)))
    q = Party("q", Preferences([0.5, 0.5], ([1, 0], [1, 0])))
    scenario = Scenario("interaction", issues, (p, q))
    np.testing.assert_allclose(utilities(scenario, scenario.space.all())[:, 0], [0, 0.5, 0.5, 1.5])
    with pytest.raises(UnsupportedError, match="linear-additive"):
        analyze(scenario, method="issue-by-issue")
    assert analyze(scenario).method == "enumeration"


def test_empty_zone_gives_a_relaxed_analysis():
    scenario = random_scenario(5, 2, (3, 3))
    first_option = np.array([True, False, False])
    demands = RedLine("only o0", (((0, ~first_option),),))
    refuses = RedLine("never o0", (((0, first_option),),))
    p, q = scenario.parties
    blocked = Scenario(
        "blocked",
        scenario.issues,
        (Party(p.name, p.preferences, red_lines=(demands,)), Party(q.name, q.preferences, red_lines=(refuses,))),
    )
    for result in (analyze(blocked, method="enumeration"), analyze(blocked, limit=0)):
        assert not result.agreement_possible and result.acceptable == 0
        assert result.relaxed is not None and not result.relaxed.red_lines_respected
        assert result.relaxed.agreement_possible
        assert result.relaxed.frontier.size == analyze(scenario).frontier.size


@settings(max_examples=40, deadline=None)
@given(scenarios, st.data())
def test_score_counts_improvements_by_brute_force(scenario, data):
    digits, u, ok, zone, members = brute_force(scenario)
    pick = data.draw(st.integers(0, len(digits) - 1))
    result = score(scenario, tuple(digits[pick]))
    lines = [line for party in scenario.parties for line in party.red_lines]
    breaks = np.column_stack([line.violated(digits) for line in lines] or [np.zeros(len(digits), bool)])
    no_further = ~np.any(breaks & ~breaks[pick], axis=1)
    better = no_further & np.all(u >= u[pick], axis=1) & np.any(u > u[pick], axis=1)
    assert result.improvements == int(better.sum())
    assert result.efficient == (not better.any())
    expected_breaks = red_line_breaches(scenario, digits[pick : pick + 1])[0]
    assert {p for p, _ in result.broken} == {
        party.name for party, hit in zip(scenario.parties, expected_breaks) if hit
    }
    for improvement in result.best_improvements:
        assert better[improvement.index]
    assert np.allclose(result.gains, u[pick] - scenario.reservations)


@settings(max_examples=40, deadline=None)
@given(scenarios, st.data())
def test_score_without_enumeration_finds_the_same_efficient_improvements(scenario, data):
    digits = scenario.space.all()
    pick = tuple(digits[data.draw(st.integers(0, len(digits) - 1))])
    enumerated = score(scenario, pick, top=10**6)
    by_issue = score(scenario, pick, top=10**6, limit=0)  # never enumerates
    assert by_issue.improvements is None
    assert by_issue.efficient == enumerated.efficient
    # the issue-by-issue side lists one outcome per distinct utility vector
    assert {b.utilities for b in by_issue.best_improvements} == {
        b.utilities for b in enumerated.best_improvements
    }
    assert by_issue.broken == enumerated.broken and by_issue.gains == enumerated.gains
