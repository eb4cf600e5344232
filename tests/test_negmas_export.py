"""The NegMAS export: same utilities, red lines only when asked for, clear refusals."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import EXAMPLES, random_scenario
from servanda.errors import UnsupportedError
from servanda.formats import load_yaml
from servanda.formats.negmas import to_negmas


def test_utilities_are_bit_identical():
    scenario = random_scenario(8, 3, (3, 4, 2))
    converted = to_negmas(scenario)
    digits = scenario.space.all()
    for party, ufun in zip(scenario.parties, converted.ufuns):
        theirs = [float(ufun(o)) for o in converted.outcomes(digits)]
        np.testing.assert_array_equal(theirs, party.preferences.evaluate(digits))


def test_red_lines_need_a_value_and_then_get_it():
    scenario = load_yaml(EXAMPLES / "job-offer.yaml")
    with pytest.raises(UnsupportedError, match="no red lines"):
        to_negmas(scenario)
    converted = to_negmas(scenario, red_line_value=-10.0)
    digits = scenario.space.all()
    for p, (party, ufun) in enumerate(zip(scenario.parties, converted.ufuns)):
        broken = np.zeros(len(digits), dtype=bool)
        for line in party.red_lines:
            broken |= line.violated(digits)
        theirs = np.array([float(ufun(o)) for o in converted.outcomes(digits[broken][:50])])
        assert np.all(theirs < 0), p


def test_interactions_are_refused():
    scenario = load_yaml(EXAMPLES / "trade-deal.yaml")
    with pytest.raises(UnsupportedError, match="linear-additive"):
        to_negmas(scenario.without_red_lines())
