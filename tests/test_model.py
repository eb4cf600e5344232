"""Model objects are checked when built and cannot be changed afterwards."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from servanda.errors import ScenarioError
from servanda.model import CategoricalIssue, Interaction, Party, Preferences, RedLine, Scenario

ISSUES = (CategoricalIssue("a", ("x", "y")), CategoricalIssue("b", ("x", "y", "z")))


def party(name="p", **kwargs) -> Party:
    prefs = Preferences([0.5, 0.5], ([0.0, 1.0], [0.0, 0.5, 1.0]), kwargs.pop("interactions", ()))
    return Party(name, prefs, **kwargs)


def test_a_well_formed_scenario_builds_and_is_immutable():
    scenario = Scenario("ok", ISSUES, (party("p"), party("q")))
    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario.name = "changed"
    with pytest.raises(ValueError):
        scenario.parties[0].preferences.weights[0] = 2.0


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: Scenario("s", ISSUES + (CategoricalIssue("a", ("u",)),), ()), "duplicate issue name 'a'"),
        (lambda: Scenario("s", ISSUES, (party("p"), party("p"))), "duplicate party name 'p'"),
        (lambda: Scenario("s", (CategoricalIssue("a", ()),), ()), "issue 'a' has no options"),
        (lambda: Scenario("s", (CategoricalIssue("a", ("x", "x")),), ()), "duplicate option"),
        (lambda: Scenario("s", ISSUES[:1], (party(),)), "values 2 issues, scenario has 1"),
        (lambda: Preferences([1.0], ([np.nan],)), "finite"),
        (lambda: Preferences([1.0, 0.0], ([1.0],)), "1 value tables but 2 weights"),
        (
            lambda: Scenario("s", ISSUES, (party(red_lines=(RedLine("r", (((1, np.ones(2, bool)),),)),)),)),
            "red line 'r' has shape (2,), expected (3,)",
        ),
        (
            lambda: Scenario("s", ISSUES, (party(interactions=(Interaction(0, 2, np.zeros((2, 3))),)),)),
            "interaction refers to a missing issue",
        ),
    ],
)
def test_malformed_models_are_rejected_with_a_reason(build, message):
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build()


def test_select_keeps_the_chosen_parties_in_order():
    scenario = Scenario("ok", ISSUES, (party("p"), party("q"), party("r")))
    assert scenario.select(["r", "p"]).party_names == ("r", "p")
    with pytest.raises(ScenarioError, match="unknown party 'z'"):
        scenario.select(["z"])
