"""Mediation on a draft: every package is an efficient Pareto improvement (checked by brute
force), the rankings are what they say, and the trades add up."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import random_scenario
from servanda.analysis.mediation import mediate, mediation_dict
from servanda.analysis.utilities import red_line_matrix, utilities
from servanda.formats import loads_yaml

from test_fair_division import WAGES


def _brute_improvements(scenario, outcome):
    """Outcomes at least as good for all, better for one, breaking no further red line;
    and the undominated ones among them."""
    digits = scenario.space.all()
    u = utilities(scenario, digits)
    own = utilities(scenario, np.asarray([outcome]))[0]
    broken = red_line_matrix(scenario, np.asarray([outcome]))[0]
    further = (red_line_matrix(scenario, digits) & ~broken).any(axis=1)
    better = np.all(u >= own, axis=1) & np.any(u > own, axis=1) & ~further
    candidates = np.flatnonzero(better)
    efficient = [
        k for k in candidates
        if not any(np.all(u[m] >= u[k]) and np.any(u[m] > u[k]) for m in candidates)
    ]
    return own, candidates, set(efficient)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), parties=st.integers(2, 4), red_lines=st.booleans())
def test_packages_are_the_efficient_pareto_improvements(seed, parties, red_lines):
    scenario = random_scenario(seed, parties=parties, sizes=(3, 4, 2, 3), red_lines=red_lines, joint_red_line=red_lines)
    rng = np.random.default_rng(seed)
    draft = tuple(int(rng.integers(issue.size)) for issue in scenario.issues)
    own, candidates, efficient = _brute_improvements(scenario, draft)
    result = mediate(scenario, draft, top=10_000)
    assert result.improvements == len(candidates)
    found = {p.point.index for p in result.by_joint_gain}
    assert found == efficient
    for package in result.by_joint_gain:
        gains = np.asarray(package.gains)
        assert np.all(gains >= -1e-12) and np.any(gains > 0)
        assert np.allclose(gains, np.asarray(package.point.utilities) - own)
        # Linear-additive: the issue-by-issue trades add up to the gains.
        assert np.allclose(sum(np.asarray(t.changes) for t in package.trades), gains)
        changed = [i for i, (a, b) in enumerate(zip(draft, package.point.outcome)) if a != b]
        assert [t.issue for t in package.trades] == [scenario.issues[i].name for i in changed]
    joint = [p.joint_gain for p in result.by_joint_gain]
    assert joint == sorted(joint, reverse=True)
    nash = [p.nash_product for p in result.by_nash]
    assert nash == sorted(nash, reverse=True)
    least = [p.min_gain for p in result.by_max_min]
    assert least == sorted(least, reverse=True)


def test_an_efficient_draft_has_no_package():
    scenario = random_scenario(3, parties=2, sizes=(3, 3))
    result = mediate(scenario, (0, 0), top=100)
    for package in result.by_joint_gain:
        assert mediate(scenario, package.point.outcome).by_joint_gain == ()


def test_two_parties_with_divisible_issues_get_the_adjusted_winner_division():
    scenario = loads_yaml(WAGES)
    result = mediate(scenario, (0, 0, 0))
    assert result.adjusted_winner is not None and result.adjusted_winner.split == 0
    data = mediation_dict(result, scenario)
    assert data["adjusted_winner"]["split"] == "raise_percent"
    assert data["adjusted_winner"]["outcome"] == {"raise_percent": 3.5, "weekly_hours": 40, "training_days": 10}
    more = random_scenario(1, parties=3)
    assert "two parties" in mediate(more, (0, 0, 0)).adjusted_winner_note


def test_the_dict_is_json_ready():
    import json

    scenario = random_scenario(5, parties=3, sizes=(3, 3, 3))
    data = mediation_dict(mediate(scenario, (0, 0, 0)), scenario)
    assert json.loads(json.dumps(data)) == data
    assert set(data) >= {"draft", "by_joint_gain", "by_nash", "by_max_min", "adjusted_winner_note"}


@pytest.mark.parametrize("parties", [2, 3])
def test_large_linear_additive_spaces_use_the_issue_by_issue_frontier(parties):
    scenario = random_scenario(11, parties=parties, sizes=(10,) * 8)
    result = mediate(scenario, (0,) * 8, limit=1000)
    assert result.improvements is None and result.by_joint_gain
    own = utilities(scenario, np.zeros((1, 8), dtype=int))[0]
    for package in result.by_joint_gain:
        assert np.all(np.asarray(package.point.utilities) >= own)
