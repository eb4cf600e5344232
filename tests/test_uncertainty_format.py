"""Uncertain preferences in the native format and the model: the ``uncertainty`` block is
read, checked with line-accurate errors, written back unchanged, and sampled as documented."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

from conftest import EXAMPLES
from servanda.errors import ScenarioError
from servanda.formats import ScenarioDoc, dump_yaml, load_yaml, loads_yaml, scenario_json_schema
from servanda.formats.native import load_uncertain_yaml, loads_uncertain_yaml
from servanda.model.uncertainty import (
    Dirichlet,
    Interval,
    Normal,
    PartyUncertainty,
    UncertainScenario,
)

FILE = textwrap.dedent(
    """\
    name: tiny
    issues:
      - name: price
        type: integer
        min: 10
        max: 20
        step: 5
      - name: colour
        type: categorical
        options: [red, blue]
    parties:
      - name: buyer
        reservation: 0.2
        weights: {price: 0.6, colour: 0.4}
        values:
          price: {points: [[10, 1.0], [20, 0.0]]}
          colour: {red: 1.0, blue: 0.5}
        uncertainty:
          weights: {price: [0.5, 0.7], colour: {normal: [0.4, 0.1]}}
          values:
            colour: {blue: [0.3, 0.7]}
            price: {15: {normal: [0.5, 0.2]}}
          reservation: [0.1, 0.3]
          description: assumed
      - name: seller
        weights: {price: 0.7, colour: 0.3}
        values:
          price: {10: 0.0, 15: 0.5, 20: 1.0}
          colour: {red: 0.0, blue: 1.0}
        uncertainty:
          weights: {dirichlet: 20}
    """
)


def test_the_block_builds_the_model():
    model = loads_uncertain_yaml(FILE)
    buyer, seller = model.parties
    assert buyer.weights == ((0, Interval(0.5, 0.7)), (1, Normal(0.4, 0.1, 0.0, math.inf)))
    assert buyer.values == ((1, 1, Interval(0.3, 0.7)), (0, 1, Normal(0.5, 0.2, 0.0, 1.0)))
    assert buyer.reservation == Interval(0.1, 0.3) and buyer.note == "assumed"
    assert seller.dirichlet == Dirichlet((0, 1), (14.0, 6.0), 20.0)
    assert not model.is_exact and not model.values_exact


def test_load_yaml_gives_the_nominal_scenario_and_old_files_stay_valid():
    nominal = loads_yaml(FILE)
    assert nominal.parties[0].reservation == 0.2
    np.testing.assert_allclose(nominal.parties[0].preferences.weights, [0.6, 0.4])
    # A file without uncertainty blocks is exact.
    moscow_without = load_yaml(EXAMPLES / "job-offer.yaml")
    model = load_uncertain_yaml(EXAMPLES / "job-offer.yaml")
    assert model.is_exact and model.scenario.party_names == moscow_without.party_names


def test_dump_and_load_round_trip_the_block():
    model = loads_uncertain_yaml(FILE)
    text = dump_yaml(model)
    assert "price: [0.5, 0.7]" in text  # ranges are written as people write them
    again = loads_uncertain_yaml(text)
    assert again.parties == model.parties
    assert dump_yaml(again) == text
    # Dumping the plain scenario writes no block.
    assert "uncertainty" not in dump_yaml(model.scenario)


def test_moscow_example_carries_uncertainty_and_round_trips():
    model = load_uncertain_yaml(EXAMPLES / "moscow-2025.yaml")
    names = [p.name for p, u in zip(model.scenario.parties, model.parties) if not u.is_exact]
    assert names == ["Russia", "Ukraine", "European allies"]
    assert all("assumed" in u.note for u in model.parties if not u.is_exact)
    assert model.values_exact  # only priorities and reservation values: the exact answer applies
    assert loads_uncertain_yaml(dump_yaml(model)).parties == model.parties


def test_normalize_mode_scales_the_ranges_like_the_weights():
    text = FILE.replace("weights: {price: 0.6, colour: 0.4}", "weights: {price: 3, colour: 2}\n    weights_sum: normalize")
    text = text.replace("price: [0.5, 0.7], colour: {normal: [0.4, 0.1]}", "price: [2.5, 3.5]")
    model = loads_uncertain_yaml(text)
    (issue, scaled), = model.parties[0].weights
    assert issue == 0 and scaled.support == pytest.approx((0.5, 0.7))


def test_the_schema_describes_the_block():
    schema = scenario_json_schema()
    assert "uncertainty" in schema["$defs"]["PartyDoc"]["properties"]
    assert {"UncertaintyDoc", "NormalDoc", "DirichletDoc"} <= set(schema["$defs"])
    import yaml

    ScenarioDoc.model_validate(yaml.safe_load(FILE))


BAD = {
    "a range of one number": ("price: [0.5, 0.7]", "price: [0.5]", "line 19", "expected a range [low, high]"),
    "a bare number": ("price: [0.5, 0.7]", "price: 0.6", "line 19", "expected a range [low, high]"),
    "low above high": ("price: [0.5, 0.7]", "price: [0.7, 0.5]", "line 19", "low is above high"),
    "a range without the estimate": ("price: [0.5, 0.7]", "price: [0.65, 0.7]", "line 19", "must contain the point estimate"),
    "a negative weight": ("price: [0.5, 0.7]", "price: [-0.1, 0.7]", "line 19", "leaves the domain [0, inf]"),
    "an unknown issue": ("price: [0.5, 0.7]", "pricey: [0.5, 0.7]", "line 19", "unknown issue 'pricey'"),
    "an unknown option": ("blue: [0.3, 0.7]", "green: [0.3, 0.7]", "line 21", "has no option 'green'"),
    "a value above 1": ("blue: [0.3, 0.7]", "blue: [0.3, 1.7]", "line 21", "leaves the domain [0, 1]"),
    "a zero spread": ("normal: [0.4, 0.1]", "normal: [0.4, 0]", "line 19", "standard deviation is 0"),
    "a normal outside the domain": ("normal: [0.5, 0.2]", "normal: [5, 0.2]", "line 22", "of its mass inside [0, 1]"),
    "a typo": ("reservation: [0.1, 0.3]", "reservaton: [0.1, 0.3]", "line 23", "unknown field 'reservaton'"),
    "a reservation range without the estimate": (
        "reservation: [0.1, 0.3]", "reservation: [0.3, 0.5]", "line 23", "does not contain the reservation value"
    ),
    "a negative concentration": ("dirichlet: 20", "dirichlet: -3", "line 31", "concentration -3"),
    "a concentration in words": ("dirichlet: 20", "dirichlet: lots", "line 31", "expected a concentration"),
    "a Dirichlet of one issue": ("dirichlet: 20", "dirichlet: {price: 2}", "line 31", "at least two issues"),
    "a Dirichlet of an unknown issue": ("dirichlet: 20", "dirichlet: {price: 2, size: 3}", "line 31", "unknown issue 'size'"),
    "a zero alpha": ("dirichlet: 20", "dirichlet: {price: 2, colour: 0}", "line 31", "alpha 0"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_blocks_get_one_message_with_the_line(name):
    old, new, line, expected = BAD[name]
    assert old in FILE
    with pytest.raises(ScenarioError) as info:
        loads_yaml(FILE.replace(old, new, 1), source="s.yaml")
    message = str(info.value)
    assert message.startswith(f"s.yaml, {line} ("), message
    assert expected in message, message


# -- the model ---------------------------------------------------------------------------
def test_sampling_respects_every_distribution():
    model = loads_uncertain_yaml(FILE)
    draws = model.sample(np.random.default_rng(1), 4000)
    assert draws.weights.shape == (4000, 2, 2) and draws.reservations.shape == (4000, 2)
    # Weights keep the nominal sum (here 1), per party and draw.
    np.testing.assert_allclose(draws.weights.sum(axis=2), 1.0)
    # The buyer's colour weight is a truncated normal, the price weight a range, then both
    # are scaled: their ratio is what the draws share.
    assert np.all(draws.weights > 0)
    # Option values: the range and the normal truncated to [0, 1].
    blue = draws.tables[1][:, 0, 1]
    assert blue.min() >= 0.3 and blue.max() <= 0.7 and abs(blue.mean() - 0.5) < 0.01
    fifteen = draws.tables[0][:, 0, 1]
    assert fifteen.min() >= 0 and fifteen.max() <= 1 and abs(fifteen.mean() - 0.5) < 0.02
    # Exact entries and the other party's values stay.
    assert np.all(draws.tables[1][:, 0, 0] == 1.0) and np.all(draws.tables[1][:, 1] == [0.0, 1.0])
    reservation = draws.reservations[:, 0]
    assert reservation.min() >= 0.1 and reservation.max() <= 0.3
    assert np.all(draws.reservations[:, 1] == 0.0)
    # The seller's Dirichlet is centred on its weights.
    np.testing.assert_allclose(draws.weights[:, 1].mean(axis=0), [0.7, 0.3], atol=0.01)


def test_the_same_seed_gives_the_same_draws():
    model = loads_uncertain_yaml(FILE)
    a = model.sample(np.random.default_rng(7), 50)
    b = model.sample(np.random.default_rng(7), 50)
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.reservations, b.reservations)
    assert all(np.array_equal(x, y) for x, y in zip(a.tables, b.tables))


def test_an_exact_model_draws_the_nominal_preferences():
    scenario = loads_yaml(FILE)
    draws = UncertainScenario.exact(scenario).sample(np.random.default_rng(0), 3)
    for j, party in enumerate(scenario.parties):
        assert np.all(draws.weights[:, j] == party.preferences.weights)
        assert np.all(draws.reservations[:, j] == party.reservation)
    realised = UncertainScenario.exact(scenario).realise(draws, 2)
    digits = scenario.space.all()
    for a, b in zip(realised.parties, scenario.parties):
        assert np.array_equal(a.preferences.evaluate(digits), b.preferences.evaluate(digits))


def test_model_checks_without_a_file():
    scenario = loads_yaml(FILE)
    with pytest.raises(ScenarioError, match="not both"):
        PartyUncertainty(weights=((0, Interval(0.1, 0.2)),), dirichlet=Dirichlet((0, 1), (1.0, 1.0)))
    with pytest.raises(ScenarioError, match="missing option"):
        UncertainScenario(scenario, (PartyUncertainty(values=((1, 5, Interval(0, 1)),)), PartyUncertainty()))
    with pytest.raises(ScenarioError, match="made uncertain twice"):
        PartyUncertainty(values=((1, 1, Interval(0, 1)), (1, 1, Interval(0.2, 0.3))))
    with pytest.raises(ScenarioError, match="2 parties"):
        UncertainScenario(scenario, (PartyUncertainty(),) * 3)
    with pytest.raises(ScenarioError, match="mass"):
        Normal(10.0, 0.1, 0.0, 1.0)
    with pytest.raises(ScenarioError, match="low is above high"):
        Interval(0.5, 0.1)


def test_weight_ranges_account_for_the_scaling():
    model = loads_uncertain_yaml(FILE)
    low, high = model.weight_range(0, 0)
    # price in [0.5, 0.7], colour about [0.2, 0.6] (central 95 % of its normal), then scaled.
    assert 0.4 < low < 0.5 and 0.7 < high < 0.8
    assert model.value_range(0, 1, 1) == (0.3, 0.7) and model.value_range(1, 1, 1) is None
    assert model.reservation_range(0) == (0.1, 0.3) and model.reservation_range(1) is None
