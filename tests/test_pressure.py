"""Outside pressure: scheduled and conditional changes of reservation values."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import EXAMPLES
from servanda.errors import ScenarioError
from servanda.formats import dump_yaml, load_yaml, loads_yaml
from servanda.negotiation import AlternatingOffers, OutcomeTable, negotiate
from servanda.negotiation.protocols.base import pressure_schedule
from servanda.negotiation.strategies import Boulware, Linear


@pytest.fixture(scope="module")
def moscow():
    return load_yaml(EXAMPLES / "moscow-2025.yaml")


def test_the_schedule_follows_rounds_and_the_table(moscow):
    table = OutcomeTable.of(moscow)
    schedule = pressure_schedule(table)
    russia = moscow.party_names.index("Russia")
    space = moscow.space
    choice = {issue.name: issue.options[0] for issue in moscow.issues}
    ceasefire_with_relief = space.index_of(space.parse(
        {**choice, "form_of_agreement": "ceasefire", "sanctions_relief": "phased_at_us_discretion"}
    ))
    treaty = space.index_of(space.parse({**choice, "form_of_agreement": "binding_treaty"}))
    assert schedule(russia, 0, None) == pytest.approx(0.45)
    assert schedule(russia, 0, ceasefire_with_relief) == pytest.approx(0.50)  # relief pays
    assert schedule(russia, 0, treaty) == pytest.approx(0.45)  # no interim deal: no relief
    assert schedule(russia, 10, treaty) == pytest.approx(0.30)  # sanctions from round 10
    assert schedule(russia, 10, ceasefire_with_relief) == pytest.approx(0.35)
    us = moscow.party_names.index("United States")
    assert schedule(us, 50, treaty) == pytest.approx(0.30)  # no pressure on the US


def test_pressure_round_trips_through_the_native_format(moscow):
    again = loads_yaml(dump_yaml(moscow))
    table, twin = OutcomeTable.of(moscow), OutcomeTable.of(again)
    a, b = pressure_schedule(table), pressure_schedule(twin)
    for party in range(len(moscow.parties)):
        for round_ in (0, 9, 10, 50):
            for on_table in (None, 0, 1234, moscow.space.size - 1):
                assert a(party, round_, on_table) == b(party, round_, on_table)


def test_pressure_changes_the_moscow_negotiation(moscow):
    free = moscow.without_red_lines()
    strategies = lambda: [Boulware(), Linear(), Linear(), Linear()]  # noqa: E731
    pressed = negotiate(free, strategies(), AlternatingOffers(rounds=100))
    unpressed = negotiate(free.without_pressure(), strategies(), AlternatingOffers(rounds=100))
    assert pressed.agreed and unpressed.agreed
    assert (pressed.agreement, pressed.rounds) != (unpressed.agreement, unpressed.rounds)


def test_bad_pressure_is_rejected_with_its_place(tmp_path):
    text = (EXAMPLES / "moscow-2025.yaml").read_text(encoding="utf-8")
    bad = text.replace("        from_round: 10\n        change: -0.15", "        from_round: 10\n        until_round: 5\n        change: -0.15")
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ScenarioError, match="from_round < until_round") as info:
        load_yaml(path)
    assert info.value.location.startswith("line ")
    unknown = text.replace("          sanctions_relief: [phased_at_us_discretion, full]", "          sanctions: [full]")
    path.write_text(unknown, encoding="utf-8")
    with pytest.raises(ScenarioError, match="unknown issue 'sanctions'"):
        load_yaml(path)
