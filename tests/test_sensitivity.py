"""Stability radii: every radius is checked by recomputing the conclusion with
``analyze`` just inside it (unchanged) and just outside it (changed)."""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from conftest import EXAMPLES, random_scenario
from servanda.analysis import analyze
from servanda.analysis.sensitivity import parameters_of, sensitivity, sensitivity_dict
from servanda.errors import ServandaError
from servanda.formats.native import load_uncertain_yaml
from servanda.model import Scenario
from servanda.model.uncertainty import UncertainScenario

#: Relative step inside and outside a radius (the radii are exact up to rounding).
STEP = 1e-6


def conclusion_of(scenario: Scenario, name: str):
    result = analyze(scenario, count=False)
    if name == "nash":
        point = result.solutions["nash"]
        return None if point is None else point.index
    return result.agreement_possible


def check_radii(scenario: Scenario, sens) -> int:
    """Inside every radius the conclusion holds, just beyond it it changes; returns the
    number of checks made."""
    checks = 0
    for radius in sens.radii:
        p = radius.parameter
        base = conclusion_of(scenario, radius.conclusion)
        low_domain, high_domain = p.domain
        for value, direction in ((radius.low, -1), (radius.high, 1)):
            if value is None:
                # No change anywhere up to the end of the domain: check the end.
                end = low_domain if direction < 0 else high_domain
                if p.kind == "weight" and end == high_domain:
                    end = p.nominal + (end - p.nominal) * 0.999  # all weight on one issue: a limit
                if math.isfinite(end) and abs(end - p.nominal) > 1e-9:
                    assert conclusion_of(p.apply(scenario, end), radius.conclusion) == base, (radius, "end")
                    checks += 1
                continue
            step = STEP * max(1.0, abs(value))
            inside, outside = value - direction * step, value + direction * step
            if abs(value - p.nominal) > 2 * step:
                assert conclusion_of(p.apply(scenario, inside), radius.conclusion) == base, (radius, "inside")
                checks += 1
            if low_domain <= outside <= high_domain:
                assert conclusion_of(p.apply(scenario, outside), radius.conclusion) != base, (radius, "outside")
                checks += 1
    return checks


@pytest.mark.parametrize("seed", range(8))
def test_radii_on_random_scenarios(seed):
    scenario = random_scenario(seed, parties=2 + seed % 3, sizes=(3, 4, 2), red_lines=seed % 3 == 0,
                               reservation=0.35 if seed % 4 else 0.6)
    sens = sensitivity(scenario)
    assert {c.name for c in sens.conclusions} in ({"nash", "zone"}, {"deadlock"})
    assert check_radii(scenario, sens) > 0


def test_a_deadlock_by_reservation_values_ends_where_the_radius_says():
    scenario = random_scenario(5, parties=2, sizes=(3, 3, 3), reservation=0.2)
    first = scenario.parties[0]
    scenario = replace(scenario, parties=(replace(first, reservation=0.97), scenario.parties[1]))
    sens = sensitivity(scenario)
    assert [c.name for c in sens.conclusions] == ["deadlock"]
    by_party = {r.parameter.party: r for r in sens.ranked("deadlock") if r.parameter.kind == "reservation"}
    assert by_party["p0"].low is not None and by_party["p0"].high is None  # lowering it ends it
    assert by_party["p1"].low is None  # the other party's reservation cannot
    assert check_radii(scenario, sens) > 0


def test_a_deadlock_of_red_lines_holds_whatever_the_preferences():
    scenario = random_scenario(9, parties=2, sizes=(2, 2), red_lines=True)
    lines = scenario.parties[0].red_lines[0]
    # Forbid every option of the first issue: no outcome is left.
    from servanda.model import RedLine

    everything = RedLine("none at all", (((0, np.ones(2, dtype=bool)),),))
    blocked = replace(scenario, parties=(replace(scenario.parties[0], red_lines=(lines, everything)),
                                         *scenario.parties[1:]))
    sens = sensitivity(blocked)
    assert sens.conclusions[0].text.startswith("deadlock: the red lines leave no outcome")
    assert all(math.isinf(r.radius) for r in sens.radii)


def test_weights_move_with_the_others_scaled():
    scenario = random_scenario(3, parties=2, sizes=(3, 3, 3))
    weight = next(p for p in parameters_of(UncertainScenario.exact(scenario)) if p.kind == "weight")
    moved = weight.apply(scenario, 0.5).parties[0].preferences.weights
    before = scenario.parties[0].preferences.weights
    assert moved[0] == pytest.approx(0.5) and moved.sum() == pytest.approx(before.sum())
    np.testing.assert_allclose(moved[1:] / moved[1:].sum(), before[1:] / before[1:].sum())


def test_parameters_all_or_uncertain():
    model = load_uncertain_yaml(EXAMPLES / "moscow-2025.yaml")
    every = parameters_of(model, "all")
    uncertain = parameters_of(model, "uncertain")
    assert len(every) == 200 and 0 < len(uncertain) < len(every)
    assert all(p.assumed is not None for p in uncertain)
    assert {p.party for p in uncertain} == {"Russia", "Ukraine", "European allies"}
    with pytest.raises(ServandaError, match="'all' or 'uncertain'"):
        parameters_of(model, "some")


@lru_cache(maxsize=None)
def moscow_relaxed():
    model = load_uncertain_yaml(EXAMPLES / "moscow-2025.yaml")
    return model, sensitivity(model, respect_red_lines=False)


def test_moscow_relaxed_nash_point_is_fragile_and_checked():
    model, sens = moscow_relaxed()
    scenario = model.scenario.without_red_lines()
    assert [c.name for c in sens.conclusions] == ["nash", "zone"]
    nash = sens.ranked("nash")
    assert nash[0].radius < 0.02 and nash[0].within_assumed
    assert sum(r.within_assumed for r in nash) > 0
    # Check the ten most fragile parameters of each conclusion against analyze.
    subset = replace(sens, radii=tuple(sens.ranked("nash", 10) + sens.ranked("zone", 4)))
    assert check_radii(scenario, subset) >= 20


def test_sensitivity_dict_is_json_ready():
    import json

    _, sens = moscow_relaxed()
    data = json.loads(json.dumps(sensitivity_dict(sens, top=5)))
    assert [c["name"] for c in data["conclusions"]] == ["nash", "zone"]
    first = data["conclusions"][0]["radii"][0]
    assert first["radius"] is not None and first["changes_within_assumed_range"] is True
