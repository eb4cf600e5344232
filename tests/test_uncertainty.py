"""Stochastic acceptability and the exact interval answer against references: a plain
per-draw loop through :func:`servanda.analysis.analyze`, brute force over weight vectors,
and properties any result must have."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, random_scenario
from servanda.analysis import analyze, pareto_mask, red_line_breaches, utilities
from servanda.analysis.uncertainty import (
    DRAW_BLOCK,
    ROLES,
    _efficient_2d,
    acceptability,
    interval_efficiency,
    robust_analysis,
    robust_dict,
    wilson_interval,
)
from servanda.errors import ServandaError, SpaceTooLargeError, UnsupportedError
from servanda.formats.native import load_uncertain_yaml
from servanda.model import Interaction, Preferences
from servanda.model.uncertainty import Dirichlet, Interval, Normal, PartyUncertainty, UncertainScenario


def per_draw(model: UncertainScenario, samples: int, seed: int, respect_red_lines: bool = True):
    """The reference: every draw as a scenario of its own, analysed by ``analyze`` (Nash and
    Kalai-Smorodinsky points), ``pareto_mask`` and the zone test, one draw at a time."""
    scenario = model.scenario if respect_red_lines else model.scenario.without_red_lines()
    digits = scenario.space.all()
    ok = ~red_line_breaches(scenario, digits).any(axis=1)
    indices = np.flatnonzero(ok)
    counts = {role: np.zeros(indices.size, dtype=np.int64) for role in ROLES}
    agreement = 0
    rng = np.random.default_rng(seed)
    done = 0
    local = model.with_scenario(scenario)
    while done < samples:
        block = model.sample(rng, min(DRAW_BLOCK, samples - done))
        for s in range(len(block)):
            drawn = local.realise(block, s)
            u = utilities(drawn, digits[ok])
            zone = np.all(u >= drawn.reservations, axis=1)
            counts["zone"] += zone
            agreement += bool(zone.any())
            counts["efficient"][pareto_mask(u)] += 1
            result = analyze(drawn, count=False)
            for role in ("nash", "kalai_smorodinsky"):
                point = result.solutions[role]
                if point is not None:
                    counts[role][np.searchsorted(indices, point.index)] += 1
        done += len(block)
    return indices, counts, agreement


def weights_and_values(scenario, seed: int) -> UncertainScenario:
    """Ranges, normals, a Dirichlet and uncertain values and reservations, by seed."""
    parties = []
    for j, party in enumerate(scenario.parties):
        w = party.preferences.weights
        kind = (seed + j) % 3
        if kind == 0:
            parties.append(PartyUncertainty(
                weights=((0, Interval(0.0, 0.6)), (1, Normal(0.3, 0.1, 0.0, np.inf))),
                values=((2, 1, Interval(0.0, 1.0)),), reservation=Interval(0.2, 0.4),
            ))
        elif kind == 1:
            parties.append(PartyUncertainty(dirichlet=Dirichlet.around(w, 10.0), reservation=Normal(0.3, 0.05)))
        else:
            parties.append(PartyUncertainty(values=((0, 0, Normal(0.5, 0.3, 0.0, 1.0)),)))
    return UncertainScenario(scenario, tuple(parties))


def assert_same(result, reference) -> None:
    indices, counts, agreement = reference
    assert np.array_equal(result.indices, indices)
    for role in ROLES:
        assert np.array_equal(result.counts[role], counts[role]), role
    assert result.agreement == agreement


# -- against the per-draw reference ------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_matches_one_analysis_per_draw_issue_by_issue(seed):
    scenario = random_scenario(seed, parties=2 + seed % 3, sizes=(3, 4, 2, 3), red_lines=seed % 2 == 1,
                               reservation=0.3, integer_values=seed % 2 == 0)
    model = weights_and_values(scenario, seed)
    result = acceptability(model, 150, seed)
    assert result.method.startswith("candidates")
    assert_same(result, per_draw(model, 150, seed))


@pytest.mark.parametrize("seed", range(3))
def test_matches_one_analysis_per_draw_with_joint_red_lines_and_interactions(seed):
    scenario = random_scenario(seed, parties=2 + seed % 2, sizes=(3, 4, 2), joint_red_line=True, reservation=0.25)
    second = scenario.parties[1]
    prefs = second.preferences
    term = Interaction(0, 2, np.arange(6).reshape(3, 2) / 20)
    scenario = replace(scenario, parties=(
        scenario.parties[0],
        replace(second, preferences=Preferences(prefs.weights, prefs.tables, (term,))),
        *scenario.parties[2:],
    ))
    model = weights_and_values(scenario, seed)
    result = acceptability(model, 120, seed)
    assert result.method == "enumeration"
    assert_same(result, per_draw(model, 120, seed))


def test_red_lines_dropped_matches_the_reference():
    scenario = random_scenario(3, parties=3, sizes=(3, 3, 3), red_lines=True, reservation=0.35)
    model = weights_and_values(scenario, 1)
    result = acceptability(model, 100, 5, respect_red_lines=False)
    assert not result.red_lines_respected
    assert_same(result, per_draw(model, 100, 5, respect_red_lines=False))


# -- exact preferences, seeds, chunks ----------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_exact_preferences_give_zero_or_one_and_the_analysis(seed):
    scenario = random_scenario(seed, parties=2 + seed % 3, sizes=(4, 3, 3), red_lines=seed % 2 == 0, reservation=0.35)
    result = acceptability(scenario, 25, seed)
    for role in ROLES:
        assert set(np.unique(result.probability(role))) <= {0.0, 1.0}
    nominal = analyze(scenario)
    assert result.agreement_probability == float(nominal.agreement_possible)
    for role in ("nash", "kalai_smorodinsky"):
        point = nominal.solutions[role]
        chosen = result.indices[result.counts[role] == 25]
        assert list(chosen) == ([] if point is None else [point.index])
    assert int((result.counts["zone"] == 25).sum()) == nominal.zone_size
    assert int((result.counts["efficient"] == 25).sum()) == nominal.frontier.size


def test_same_seed_same_figures_whatever_the_chunks():
    scenario = random_scenario(11, parties=3, sizes=(4, 4, 3), reservation=0.3)
    model = weights_and_values(scenario, 2)
    a = acceptability(model, 300, 42)
    b = acceptability(model, 300, 42, chunk_cells=500)
    c = acceptability(model, 300, 43)
    for role in ROLES:
        assert np.array_equal(a.counts[role], b.counts[role])
    assert any(not np.array_equal(a.counts[role], c.counts[role]) for role in ROLES)


def test_bad_requests():
    scenario = random_scenario(0)
    with pytest.raises(ServandaError, match="at least 1"):
        acceptability(scenario, 0)
    with pytest.raises(SpaceTooLargeError, match="limit"):
        acceptability(scenario, 10, limit=5)
    with pytest.raises(ServandaError, match="unknown role"):
        acceptability(scenario, 5).probability("best")


# -- properties ----------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    parties=st.integers(1, 4),
    sizes=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    reservation=st.sampled_from([0.0, 0.3, 0.5, 0.7]),
    red_lines=st.booleans(),
    samples=st.integers(1, 60),
)
def test_probabilities_hold_together(seed, parties, sizes, reservation, red_lines, samples):
    scenario = random_scenario(seed, parties=parties, sizes=tuple(sizes), red_lines=red_lines,
                               reservation=reservation, integer_values=seed % 2 == 0)
    model = UncertainScenario(scenario, tuple(
        PartyUncertainty(dirichlet=Dirichlet.around(p.preferences.weights, 5.0))
        if np.count_nonzero(p.preferences.weights > 0) >= 2 else PartyUncertainty(reservation=Interval(0.0, 0.6))
        for p in scenario.parties
    ))
    result = acceptability(model, samples, seed)
    for role in ROLES:
        p = result.probability(role)
        low, high = result.interval(role)
        assert np.all((0 <= p) & (p <= 1))
        assert np.all((low <= p) & (p <= high)) and np.all((0 <= low) & (high <= 1))
    # Exactly one Nash (and Kalai-Smorodinsky) point in every draw with an agreement.
    assert result.counts["nash"].sum() == result.agreement
    assert result.counts["kalai_smorodinsky"].sum() == result.agreement
    # A solution is efficient and in the zone; an outcome in the zone means an agreement.
    for role in ("nash", "kalai_smorodinsky"):
        assert np.all(result.counts[role] <= result.counts["efficient"])
        assert np.all(result.counts[role] <= result.counts["zone"])
    assert np.all(result.counts["zone"] <= result.agreement)
    assert result.counts["efficient"].sum() >= (samples if len(result) else 0)
    low, high = result.agreement_interval()
    assert low <= result.agreement_probability <= high


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(1, 500), n=st.integers(1, 500), confidence=st.sampled_from([0.5, 0.9, 0.95, 0.99])
)
def test_wilson_interval(k, n, confidence):
    k = min(k, n)
    low, high = wilson_interval(k, n, confidence)
    assert 0 <= low <= k / n <= high <= 1
    if k == 0:
        assert low == 0
    if k == n:
        assert high == 1
    wider = wilson_interval(k, n, min(0.999, confidence + 0.009))
    assert wider[0] <= low + 1e-12 and wider[1] >= high - 1e-12


def test_wilson_interval_known_value():
    # Wilson (1927) / Newcombe (1998): 81 of 263 at 95 % is [0.2553, 0.3662].
    low, high = wilson_interval(81, 263, 0.95)
    assert (round(float(low), 4), round(float(high), 4)) == (0.2553, 0.3662)


@settings(max_examples=80, deadline=None)
@given(
    points=st.lists(
        st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=12),
        min_size=1, max_size=5,
    )
)
def test_two_party_kernel_is_pareto_mask_row_by_row(points):
    width = max(len(row) for row in points)
    a = np.full((len(points), width), -np.inf)
    b = np.full((len(points), width), -np.inf)
    for r, row in enumerate(points):
        a[r, : len(row)] = [x for x, _ in row]
        b[r, : len(row)] = [y for _, y in row]
    got = _efficient_2d(a, b)
    for r, row in enumerate(points):
        expected = pareto_mask(np.array(row, dtype=float))
        assert np.array_equal(got[r, : len(row)], expected)


# -- the exact answer for interval weights -----------------------------------------------
def interval_model(scenario, seed: int) -> UncertainScenario:
    parties = []
    for j, party in enumerate(scenario.parties):
        w = party.preferences.weights
        if (seed + j) % 3 == 2:
            parties.append(PartyUncertainty(dirichlet=Dirichlet.around(w, 6.0)))
        else:
            parties.append(PartyUncertainty(weights=tuple(
                (i, Interval(max(0.0, w[i] - 0.15), w[i] + 0.15)) for i in range(w.size)
            )))
    return UncertainScenario(scenario, tuple(parties))


@pytest.mark.parametrize("seed", range(6))
def test_sampling_agrees_with_the_exact_interval_answer(seed):
    scenario = random_scenario(seed, parties=2 + seed % 2, sizes=(3, 4, 3, 2), red_lines=seed % 2 == 0,
                               reservation=0.3, integer_values=True)
    model = interval_model(scenario, seed)
    exact = interval_efficiency(model)
    assert exact.checked_never
    sampled = acceptability(model, 1500, seed).probability("efficient")
    assert np.all(sampled[exact.status == 1] == 1.0)
    assert np.all(sampled[exact.status == -1] == 0.0)
    # Efficient for every weight vector: in particular at the nominal weights.
    digits = scenario.space.digits(exact.indices)
    nominal = pareto_mask(utilities(scenario, digits))
    assert nominal[exact.status == 1].all() and not nominal[exact.status == -1].any()


def test_exact_answer_by_brute_force_over_weight_vectors():
    """Corners and random points of every party's weight box (renormalised): an
    always-efficient outcome is efficient at each, a never-efficient one at none."""
    scenario = random_scenario(4, parties=2, sizes=(3, 3, 3), integer_values=True, reservation=0.2)
    model = interval_model(scenario, 0)
    exact = interval_efficiency(model)
    digits = scenario.space.digits(exact.indices)
    rng = np.random.default_rng(0)
    boxes = [np.array([d.support for _, d in unc.weights]) for unc in model.parties]
    for trial in range(400):
        parties = []
        for party, box in zip(scenario.parties, boxes):
            if trial < 200:  # corners of the box, then points inside it
                w = box[np.arange(box.shape[0]), rng.integers(0, 2, box.shape[0])]
            else:
                w = rng.uniform(box[:, 0], box[:, 1])
            if w.sum() == 0:
                continue
            w = w / w.sum()
            parties.append(replace(party, preferences=Preferences(w, party.preferences.tables)))
        if len(parties) < len(scenario.parties):
            continue
        efficient = pareto_mask(utilities(replace(scenario, parties=tuple(parties)), digits))
        assert efficient[exact.status == 1].all()
        assert not efficient[exact.status == -1].any()


def test_exact_answer_needs_exact_values():
    scenario = random_scenario(1)
    model = UncertainScenario(scenario, (PartyUncertainty(values=((0, 0, Interval(0, 1)),)), PartyUncertainty()))
    with pytest.raises(UnsupportedError, match="exact option values"):
        interval_efficiency(model)


def test_exact_weights_make_the_exact_answer_the_nominal_frontier():
    scenario = random_scenario(2, parties=3, sizes=(3, 3, 2), reservation=0.3)
    exact = interval_efficiency(scenario)
    nominal = pareto_mask(utilities(scenario, scenario.space.digits(exact.indices)))
    assert np.array_equal(exact.status == 1, nominal)
    assert np.array_equal(exact.status == -1, ~nominal)


# -- the Moscow example --------------------------------------------------------------------
@lru_cache(maxsize=None)
def moscow_robust():
    return robust_analysis(load_uncertain_yaml(EXAMPLES / "moscow-2025.yaml"), 40, 0)


def test_moscow_red_lines_block_every_draw_and_the_relaxed_analysis_agrees():
    result = moscow_robust()
    assert len(result.acceptability) == 0 and result.acceptability.agreement == 0
    assert result.sensitivity.conclusions[0].name == "deadlock"
    relaxed = result.relaxed
    assert relaxed is not None and not relaxed.red_lines_respected
    acc = relaxed.acceptability
    assert acc.agreement == acc.samples  # the zone survives every draw
    assert acc.counts["nash"].sum() == acc.samples
    nash = relaxed.nominal.solutions["nash"]
    row = acc.row_of(nash.index)
    assert row is not None and acc.counts["nash"][row] < acc.samples  # the Nash point moves
    assert relaxed.interval is not None and relaxed.interval.always.size > 0
    sampled = acc.probability("efficient")
    assert np.all(sampled[relaxed.interval.status == 1] == 1.0)
    assert np.all(sampled[relaxed.interval.status == -1] == 0.0)


def test_robust_dict_is_json_ready():
    import json

    data = json.loads(json.dumps(robust_dict(moscow_robust(), top=3)))
    assert data["agreement"]["probability"] == 0.0
    relaxed = data["relaxed"]
    assert relaxed["agreement"]["probability"] == 1.0
    assert len(relaxed["top"]["nash"]) == 3
    assert relaxed["sensitivity"]["conclusions"][0]["name"] == "nash"
    assert relaxed["interval_weights"]["always_efficient"]
