"""The native YAML format: round trips, the JSON Schema, and one clear message per bad file."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from servanda.errors import ScenarioError
from servanda.formats import dump_yaml, load_yaml, loads_yaml, scenario_json_schema

GOOD = """\
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
    red_lines:
      - name: not too dear
        never: {price: {above: 15}}
  - name: seller
    weights: {price: 0.7, colour: 0.3}
    values:
      price: {10: 0.0, 15: 0.5, 20: 1.0}
      colour: {red: 0.0, blue: 1.0}
    interactions:
      - when: {price: 20, colour: blue}
        value: -0.1
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_good_file_builds_the_model(tmp_path):
    scenario = load_yaml(write(tmp_path, GOOD))
    assert scenario.space.size == 6
    buyer, seller = scenario.parties
    np.testing.assert_allclose(buyer.preferences.tables[0], [1.0, 0.5, 0.0])
    assert buyer.red_lines[0].violated(scenario.space.all()).tolist() == [
        False, False, False, False, True, True
    ]
    u = seller.preferences.evaluate(scenario.space.all())
    np.testing.assert_allclose(u, [0.0, 0.3, 0.35, 0.65, 0.7, 0.9])


def test_dump_and_load_preserve_utilities_and_red_lines(tmp_path):
    scenario = load_yaml(write(tmp_path, GOOD))
    again = loads_yaml(dump_yaml(scenario))
    digits = scenario.space.all()
    for a, b in zip(scenario.parties, again.parties):
        np.testing.assert_array_equal(a.preferences.evaluate(digits), b.preferences.evaluate(digits))
        for x, y in zip(a.red_lines, b.red_lines):
            np.testing.assert_array_equal(x.violated(digits), y.violated(digits))
        assert a.reservation == b.reservation


def test_json_schema_describes_the_file():
    schema = scenario_json_schema()
    json.dumps(schema)
    assert set(schema["required"]) == {"name", "issues", "parties"}
    assert "PartyDoc" in schema["$defs"] and "weights_sum" in schema["$defs"]["PartyDoc"]["properties"]


def bad(tmp_path: Path, old: str, new: str) -> ScenarioError:
    assert old in GOOD, old
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_yaml(path)
    message = str(info.value)
    assert str(path) in message  # every message names the file
    return info.value


def line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [k + 1 for k, line in enumerate(text.splitlines()) if needle in line]
    return lines[nth - 1]


@pytest.mark.parametrize(
    "old, new, expected, needle",
    [
        ("    step: 5\n", "    step: 5\n   - broken: [\n", "invalid YAML", None),
        ("{price: 0.6, colour: 0.4}", "{price: 0.6, colour: 0.4, size: 0.0}", "unknown issue 'size'", "weights: {price: 0.6"),
        ("{price: 0.6, colour: 0.4}", "{price: 0.6, colour: 0.5}", "sum to 1.1; expected 1", "weights: {price: 0.6"),
        ("red: 1.0, blue: 0.5", "red: 1.5, blue: 0.5", "out of range; expected a number in [0, 1]", "red: 1.5"),
        ("options: [red, blue]", "options: [red, red]", "duplicate option of issue 'colour' name 'red'", "options: [red, red]"),
        ("options: [red, blue]", "options: []", "issue 'colour' has no options", "options: []"),
        ("  - name: seller", "  - name: buyer", "duplicate party name 'buyer'", None),
        ("red: 1.0, blue: 0.5", "red: 1.0", "no value for option(s) blue", "colour: {red: 1.0}"),
        ("    type: categorical", "    type: colourful", "unknown issue type", None),
        ("    reservation: 0.2", "    reservation: high", "valid number", "reservation: high"),
        ("    reservation: 0.2", "    reservation: 0.2\n    reservaton: 0.3", "unknown field 'reservaton'", "reservaton"),
        ("never: {price: {above: 15}}", "never: {size: [big]}", "unknown issue 'size'", "never: {size"),
        ("when: {price: 20, colour: blue}", "when: {price: 25, colour: blue}", "no option 25", "when: {price: 25"),
        ("    min: 10\n", "    min: 30\n", "min 30 is above max 20", "min: 30"),
        ("name: tiny\n", "name: tiny\nname: again\n", "duplicate key 'name'", "name: again"),
    ],
)
def test_bad_files_get_one_clear_message_with_the_line(tmp_path, old, new, expected, needle):
    error = bad(tmp_path, old, new)
    assert expected in error.message, error.message
    assert error.location and error.location.startswith("line ")
    if needle is not None:
        text = GOOD.replace(old, new, 1)
        assert error.location.startswith(f"line {line_of(text, needle)}"), error.location


def test_weights_can_be_normalised_on_request(tmp_path):
    text = GOOD.replace("{price: 0.6, colour: 0.4}", "{price: 3, colour: 2}").replace(
        "    reservation: 0.2", "    reservation: 0.2\n    weights_sum: normalize"
    )
    scenario = load_yaml(write(tmp_path, text))
    np.testing.assert_allclose(scenario.parties[0].preferences.weights, [0.6, 0.4])


def test_not_a_mapping_and_empty_and_missing(tmp_path):
    for text, expected in (("", "empty"), ("- just\n- a list\n", "valid dictionary"), ("name: x\n", "missing field 'issues'")):
        with pytest.raises(ScenarioError, match=expected):
            load_yaml(write(tmp_path, text))
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load_yaml(tmp_path / "absent.yaml")
