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


# --- pressure that changes a party's issue weights ---------------------------------------

SHIFTING = """\
name: shifting priorities
issues:
  - {name: price, type: ordinal, options: [low, mid, high]}
  - {name: delivery, type: ordinal, options: [late, soon]}
parties:
  - name: buyer
    weights: {price: 0.8, delivery: 0.2}
    values:
      price: {low: 1.0, mid: 0.5, high: 0.0}
      delivery: {late: 0.0, soon: 1.0}
    reservation: 0.1
    pressure:
      - name: a shortage makes delivery urgent
        from_round: 3
        until_round: 6
        weights: {price: 0.2, delivery: 0.8}
  - name: seller
    weights: {price: 0.5, delivery: 0.5}
    values:
      price: {low: 0.0, mid: 0.5, high: 1.0}
      delivery: {late: 1.0, soon: 0.0}
    reservation: 0.1
"""


def _outcome(scenario, **choice):
    return scenario.space.index_of(scenario.space.parse(choice))


def test_weight_changes_round_trip_through_the_native_format():
    scenario = loads_yaml(SHIFTING)
    (event,) = scenario.parties[0].pressure
    assert event.change == 0.0 and event.weights == ((0, 0.2), (1, 0.8))
    again = loads_yaml(dump_yaml(scenario))
    (twin,) = again.parties[0].pressure
    assert (twin.name, twin.change, twin.from_round, twin.until_round, twin.weights) == (
        event.name, event.change, event.from_round, event.until_round, event.weights
    )


def test_the_context_follows_the_weights_in_force():
    from servanda.negotiation.protocols.base import Deadline, Session

    scenario = loads_yaml(SHIFTING)
    table = OutcomeTable.of(scenario)
    session = Session("test", Deadline(rounds=10), table, [Linear(), Linear()], 0, None)
    cheap_late = _outcome(scenario, price="low", delivery="late")
    dear_soon = _outcome(scenario, price="high", delivery="soon")
    before, during, after = (session.context(0, r) for r in (2, 3, 6))
    assert before.utility(cheap_late) == pytest.approx(0.8)
    assert during.utility(cheap_late) == pytest.approx(0.2)
    assert during.utility(dear_soon) == pytest.approx(0.8)
    assert after.utility(cheap_late) == pytest.approx(0.8)
    assert during.ranking[0] == _outcome(scenario, price="low", delivery="soon")
    soon = [_outcome(scenario, price=p, delivery="soon") for p in ("low", "mid", "high")]
    assert list(during.ranking[:4]) == soon + [cheap_late]  # delivery now outweighs price
    assert before.ranking[1] == cheap_late
    assert np.all(np.diff(during.ranked_utilities) <= 0)
    assert during.reservation == pytest.approx(0.1)  # only the weights change
    assert session.context(0, 4).utilities is during.utilities  # evaluated once
    assert np.array_equal(before.utilities, table.utilities[:, 0])
    assert np.array_equal(after.ranking, table.allowed_ranking[0])
    # the other party is untouched
    assert session.context(1, 4).utility(cheap_late) == pytest.approx(0.5)


def test_trace_utilities_follow_the_preferences_at_agreement():
    from servanda.negotiation.protocols.base import Deadline, Session
    from servanda.negotiation.trace import Ending

    scenario = loads_yaml(SHIFTING)
    table = OutcomeTable.of(scenario)
    cheap_late = _outcome(scenario, price="low", delivery="late")
    for rounds, expected in ((3, 0.8), (4, 0.2), (7, 0.8)):  # agreement in round rounds - 1
        session = Session("test", Deadline(rounds=10), table, [Linear(), Linear()], 0, None)
        trace = session.finish(Ending.AGREEMENT, cheap_late, rounds, "agreed")
        assert trace.utilities == pytest.approx((expected, 0.5))
    # with 5 rounds the buyer's urgency (rounds 3 to 5) decides the session
    trace = negotiate(scenario, [Linear(), Linear()], AlternatingOffers(rounds=5))
    assert trace.agreed and 3 <= trace.rounds - 1 < 6
    digits = scenario.space.digits(np.array([trace.agreement]))[0]
    values = ((1.0, 0.5, 0.0)[digits[0]], (0.0, 1.0)[digits[1]])
    assert trace.utilities[0] == pytest.approx(0.2 * values[0] + 0.8 * values[1])
    assert trace.utilities[0] != pytest.approx(table.utilities[trace.agreement, 0])
    calm = negotiate(scenario.without_pressure(), [Linear(), Linear()], AlternatingOffers(rounds=5))
    assert (calm.agreement, calm.rounds) != (trace.agreement, trace.rounds)


def test_bad_weight_changes_are_rejected_with_their_place(tmp_path):
    path = tmp_path / "bad.yaml"
    unknown = SHIFTING.replace("weights: {price: 0.2, delivery: 0.8}", "weights: {cost: 0.2}")
    path.write_text(unknown, encoding="utf-8")
    with pytest.raises(ScenarioError, match="unknown issue 'cost'") as info:
        load_yaml(path)
    assert info.value.location.startswith("line ")
    path.write_text(SHIFTING.replace("delivery: 0.8}", "delivery: -0.8}"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="finite number >= 0") as info:
        load_yaml(path)
    assert info.value.location.startswith("line ")
    conditional = SHIFTING.replace(
        "        weights: {price: 0.2, delivery: 0.8}\n",
        "        weights: {price: 0.2, delivery: 0.8}\n        while_on_table: {price: [low]}\n",
    )
    path.write_text(conditional, encoding="utf-8")
    with pytest.raises(ScenarioError, match="may not have while_on_table") as info:
        load_yaml(path)
    assert info.value.location.startswith("line ")


def test_conditional_relief_stops_when_the_talks_break_down(moscow):
    from servanda.negotiation.metrics import session_metrics
    from servanda.analysis import analyze

    trace = negotiate(moscow, [Boulware(), Linear(), Linear(), Linear()], AlternatingOffers(rounds=30))
    assert not trace.agreed
    russia = moscow.party_names.index("Russia")
    # sanctions hold (from round 10); relief paid only while a deal is on the table does not
    assert trace.utilities[russia] == pytest.approx(0.30)
    assert trace.reservations == trace.utilities
    m = session_metrics(trace, analyze(moscow))
    assert m.advantages == (0.0, 0.0, 0.0, 0.0)  # no agreement: no gain over the alternative
