"""The private preparation page and its logic (servanda.rooms.preparation): the form's
inputs to a preferences block and back (round trip, weights proportional to the points,
stored preferences on another scale keeping every package's place), red lines that
``Rooms.score`` then flags, one clear message naming the field for a bad input with
nothing stored, the package check, and the page's routes in-process (the party's own
members only; CSRF; htmx fragments)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servanda.errors import AccessDenied, InvalidRequest, NotFound
from servanda.formats.native import loads_uncertain_yaml, loads_yaml
from servanda.model import (
    CategoricalIssue,
    IntegerIssue,
    OrdinalIssue,
    Party,
    Preferences,
    Scenario,
)
from servanda.rooms import Rooms, scenarios
from servanda.rooms import accounts as people
from servanda.rooms import preparation as prep
from servanda.server import Settings, create_app
from servanda.store import open_database

# Tenant's preferences are on the page's scale already (no notes); Landlord's numbers and red
# line are distinctive, so that a page can be searched for them.
SCENARIO = """
name: Flat lease
issues:
  - {name: rent, type: integer, min: 1000, max: 1400, step: 100, description: Monthly rent.}
  - {name: term, type: ordinal, options: [one_year, two_years, three_years]}
  - {name: pets, type: categorical, options: [none, cats, dogs]}
parties:
  - name: Tenant
    representatives: [{name: Tenant, role: other}]
    reservation: 0.3
    weights: {rent: 0.5, term: 0.2, pets: 0.3}
    values:
      rent: {points: [[1000, 1.0], [1400, 0.0]]}
      term: {one_year: 0.0, two_years: 0.5, three_years: 1.0}
      pets: {none: 0.0, cats: 1.0, dogs: 0.6}
  - name: Landlord
    representatives: [{name: Landlord, role: other}]
    reservation: 0.4137
    weights: {rent: 0.6173, term: 0.2291, pets: 0.1536}
    values:
      rent: {points: [[1000, 0.0], [1400, 1.0]]}
      term: {one_year: 0.1234, two_years: 0.5678, three_years: 1.0}
      pets: {none: 1.0, cats: 0.4321, dogs: 0.0}
    red_lines:
      - {name: LANDLORD-SECRET-LINE, never: {pets: [dogs], term: [one_year]}}
"""
LANDLORD_SECRETS = ("0.4137", "0.6173", "0.2291", "0.1536", "0.1234", "0.5678", "0.4321", "LANDLORD-SECRET-LINE",
                    "61.73", "41.37")
TENANT = {"importance.rent": "50", "importance.term": "20", "importance.pets": "30",
          "ratings.rent.1000": "10", "ratings.rent.1100": "7.5", "ratings.rent.1200": "5", "ratings.rent.1300": "2.5",
          "ratings.rent.1400": "0", "ratings.term.one_year": "0", "ratings.term.two_years": "5",
          "ratings.term.three_years": "10", "ratings.pets.none": "0", "ratings.pets.cats": "10",
          "ratings.pets.dogs": "6", "reservation": "0.3"}


class Room:
    """A lease room: Tenant (tess), Landlord (lou), a mediator, an observer and an outsider."""

    def __init__(self, path):
        self.engine = open_database(str(path))
        self.rooms = Rooms(self.engine)
        self.ids = {name: people.register(self.engine, name, f"password-of-{name}")
                    for name in ("convener", "tess", "lou", "mia", "olga", "outsider")}
        self.id = self.rooms.create(self.ids["convener"], loads_yaml(SCENARIO), rounds=20)
        for name, role, party in (("tess", "party", "Tenant"), ("lou", "party", "Landlord"),
                                  ("mia", "mediator", None), ("olga", "observer", None)):
            token = self.rooms.invite(self.ids["convener"], self.id, role, party, party)
            self.rooms.join(self.ids[name], name, token)

    def block(self, name: str, party: str) -> dict:
        return self.rooms.preferences(self.ids[name], self.id, party)["preferences"]


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    made = Room(tmp_path_factory.mktemp("prep") / "rooms.db")
    yield made
    made.rooms.close()


# -- strategies -----------------------------------------------------------------------------


@st.composite
def issue_lists(draw, long: bool = False):
    """1 to 4 small issues; ``long``: maybe a range the form shows at a few values only."""
    count = draw(st.integers(1, 4))
    issues = []
    for i in range(count):
        size = draw(st.integers(2, 4))
        kinds = ["categorical", "ordinal", "integer"] + (["long"] if long else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "long":
            extra = draw(st.sampled_from([(), ("none",)]))
            issues.append(IntegerIssue(f"issue_{i}", 0, draw(st.integers(prep.MAX_SHOWN, 60)), extra))
        elif kind == "integer":
            low = draw(st.integers(-5, 50))
            issues.append(IntegerIssue(f"issue_{i}", low, low + (size - 1) * 5, step=5))
        else:
            kind_of = CategoricalIssue if kind == "categorical" else OrdinalIssue
            issues.append(kind_of(f"issue_{i}", tuple(f"opt_{i}_{k}" for k in range(size))))
    return tuple(issues)


def public_of(issues) -> tuple[dict, dict]:
    """The public document and private blocks of a one-party scenario over ``issues``."""
    flat = Preferences(np.full(len(issues), 1 / len(issues)), tuple(np.linspace(0, 1, i.size) for i in issues))
    return scenarios.split(Scenario("test", tuple(issues), (Party("P", flat),)))


@st.composite
def form_inputs(draw, issues, normalised: bool = True):
    """Valid inputs over ``issues``; ``normalised``: every issue rated from 0 to 10."""
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=len(issues) - 1, max_size=len(issues) - 1)))
    points = np.diff([0, *cuts, 100]).astype(int)
    ratings, never = {}, {}
    for issue, share in zip(issues, points):
        positions = prep.shown(issue)
        size = len(positions)
        values = draw(st.lists(st.floats(0, 10, allow_nan=False), min_size=size, max_size=size))
        spread = max(values) - min(values)
        if normalised or (share > 0 and spread < 1e-3):
            values = ([min(10.0, 10 * (v - min(values)) / spread) for v in values] if spread >= 1e-3
                      else [0.0] + [10.0] * (size - 1))
        ratings[issue.name] = tuple(values)
        never[issue.name] = tuple(sorted(draw(st.sets(st.sampled_from(positions), max_size=size - 1))))
    reservation = draw(st.floats(0, 1, allow_nan=False))
    return prep.Inputs({i.name: int(p) for i, p in zip(issues, points)}, ratings, never, reservation)


def stored_of(issues, block) -> prep.Stored:
    public, private = public_of(issues)
    checked = scenarios.check_block(public, private, "P", block)  # what Rooms.set_preferences checks
    return prep.parse_block(public, "P", checked)[1]


# -- inputs to block and back -----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_inputs_to_block_and_back_round_trip(data):
    issues = data.draw(issue_lists(long=True))
    inputs = data.draw(form_inputs(issues))
    block = prep.block_of(issues, inputs)
    again, notes = prep.inputs_of(issues, stored_of(issues, block))
    assert notes == ()
    assert dict(again.importance) == dict(inputs.importance)
    assert dict(again.never) == dict(inputs.never)
    assert again.reservation == pytest.approx(inputs.reservation, abs=1e-12)
    for issue in issues:
        assert again.ratings[issue.name] == pytest.approx(inputs.ratings[issue.name], abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_weights_proportional_to_points_and_values_rescaled(data):
    issues = data.draw(issue_lists(long=True))
    inputs = data.draw(form_inputs(issues, normalised=False))
    block = prep.block_of(issues, inputs)
    weights = np.array([block["weights"][i.name] for i in issues])
    points = np.array([inputs.importance[i.name] for i in issues])
    assert weights == pytest.approx(points / 100, abs=1e-12)
    assert block["weights_sum"] == "one" and block["reservation"] == inputs.reservation
    for issue in issues:
        values = np.array([block["values"][issue.name][prep.label(issue.options[k])] for k in prep.shown(issue)])
        rated = np.array(inputs.ratings[issue.name])
        if rated.max() > rated.min():
            assert values == pytest.approx((rated - rated.min()) / (rated.max() - rated.min()), abs=1e-12)
    # saved again from what the page shows, nothing changes
    again, _ = prep.inputs_of(issues, stored_of(issues, block))
    assert _same(prep.block_of(issues, again), block)


def _same(first: dict, second: dict) -> bool:
    assert first.keys() == second.keys()
    for key, value in first.items():
        if key == "values":
            for issue, values in value.items():
                assert values == pytest.approx(second[key][issue], abs=1e-9)
        elif isinstance(value, float):
            assert value == pytest.approx(second[key], abs=1e-9)
        else:
            assert value == second[key]
    return True


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_stored_preferences_on_another_scale_keep_every_package_in_its_place(data):
    """Weights and values of any scale, shown rescaled and saved: the order of packages and
    which ones beat the reservation value stay as they were."""
    issues = data.draw(issue_lists())
    weights = data.draw(st.lists(st.floats(0.05, 1), min_size=len(issues), max_size=len(issues)))
    tables = {}
    for issue in issues:
        values = data.draw(st.lists(st.floats(0, 1), min_size=issue.size, max_size=issue.size))
        if max(values) - min(values) < 1e-3:
            values[0] = 0.0 if values[0] > 0.5 else 1.0
        tables[issue.name] = {prep.label(o): v for o, v in zip(issue.options, values)}
    reservation = data.draw(st.floats(0, 1))
    stored_block = {"reservation": reservation, "weights": dict(zip([i.name for i in issues], weights)),
                    "weights_sum": "normalize", "values": tables}
    stored = stored_of(issues, stored_block)
    inputs, notes = prep.inputs_of(issues, stored)
    saved = stored_of(issues, prep.block_of(issues, inputs, stored))
    space = Scenario("s", tuple(issues), (stored.party,)).space
    digits = space.all()
    before = stored.party.preferences.evaluate(digits)
    after = saved.party.preferences.evaluate(digits)
    low, high = before.min(), before.max()
    # a positive affine map, up to the rounding of the points to whole numbers
    expected = (before - low) / (high - low)
    assert after == pytest.approx(expected, abs=0.02)
    shifted = (stored.party.reservation - low) / (high - low)
    assert saved.party.reservation == pytest.approx(min(max(shifted, 0.0), 1.0), abs=1e-9)
    if not 0 <= shifted <= 1:
        assert any("reservation" in note for note in notes)


def test_what_the_form_cannot_show_is_said_and_kept():
    scenario = loads_uncertain_yaml("""
name: Odd
issues:
  - {name: a, type: categorical, options: [x, y, z]}
  - {name: b, type: categorical, options: [u, v]}
parties:
  - name: P
    reservation: 0.2
    discount: 0.95
    weights: {a: 0.5, b: 0.5}
    values: {a: {x: 0.0, y: 0.5, z: 1.0}, b: {u: 0.0, v: 1.0}}
    interactions: [{when: {a: x, b: u}, value: 0.1}]
    red_lines:
      - {name: joint, never: {a: [x], b: [u]}}
      - {name: no z, never: {a: [z]}}
      - {name: only u, only: {b: [u]}}
    pressure: [{name: strike, change: 0.1, from_round: 3}]
    uncertainty: {reservation: [0.1, 0.3]}
""")
    issues = scenario.scenario.issues
    public, private = scenarios.split(scenario)
    _, stored = prep.parse_block(public, "P", private["P"])
    inputs, notes = prep.inputs_of(issues, stored)
    text = " ".join(notes)
    assert "'joint' combines several issues" in text
    assert "interaction terms" in text and "uncertain" in text and "strike" in text
    assert dict(inputs.never) == {"a": (2,), "b": (1,)}  # "no z", and "only u" as "never v"
    block = prep.block_of(issues, inputs, stored)
    assert [line["name"] for line in block["red_lines"]] == ["joint", "no z", "only u"]  # verbatim
    assert block["discount"] == 0.95 and block["pressure"] == private["P"]["pressure"]
    assert "interactions" not in block and "uncertainty" not in block
    scenarios.check_block(public, private, "P", block)
    # unticking one option of a stored red line replaces that line by the options still ruled out
    fewer = prep.Inputs(inputs.importance, inputs.ratings, {"a": (0, 2), "b": ()}, inputs.reservation)
    lines = prep.block_of(issues, fewer, stored)["red_lines"]
    assert [line["name"] for line in lines] == ["joint", "no z", "never a: x"]


def test_a_long_range_is_rated_at_a_few_values_and_the_rest_interpolated():
    scenario = loads_uncertain_yaml("""
name: Caps
issues:
  - {name: cap, type: integer, min: 0, max: 1000, step: 5, extra: [no_cap]}
  - {name: form, type: categorical, options: [deal, treaty]}
parties:
  - name: P
    reservation: 0.25
    weights: {cap: 0.7, form: 0.3}
    values:
      cap: {points: [[0, 1.0], [1000, 0.0]], extra: {no_cap: 0.0}}
      form: {deal: 0.0, treaty: 1.0}
    red_lines:
      - {name: not above 900, never: {cap: {above: 900}}}
      - {name: a cap, never: {cap: [no_cap]}}
""")
    issues = scenario.scenario.issues
    public, private = scenarios.split(scenario)
    _, stored = prep.parse_block(public, "P", private["P"])
    form = prep.issue_forms(issues)[0]
    assert form.interpolated and form.options == tuple(str(v) for v in range(0, 1001, 100)) + ("no_cap",)
    inputs, notes = prep.inputs_of(issues, stored)
    hidden = "Your red line 'not above 900' rules out values this page does not show; it is kept as it is when you save."
    assert notes == (hidden,)
    assert inputs.ratings["cap"] == pytest.approx([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0])
    assert inputs.never["cap"] == (issues[0].size - 1,)  # no_cap
    fields = {"importance.cap": "70", "importance.form": "30", "ratings.form.deal": "0", "ratings.form.treaty": "10",
              "reservation": "0.25", "never.cap.no_cap": "on", "never.cap.0": "on"}
    fields |= {f"ratings.cap.{label}": f"{rating:g}" for label, rating in zip(form.options, inputs.ratings["cap"])}
    block = prep.block_of(issues, prep.read_inputs(issues, fields), stored)
    assert [line["name"] for line in block["red_lines"]] == ["not above 900", "a cap", "never cap: 0"]
    saved = prep.parse_block(public, "P", scenarios.check_block(public, private, "P", block))[1]
    assert saved.party.preferences.tables[0] == pytest.approx(stored.party.preferences.tables[0], abs=1e-12)
    with pytest.raises(InvalidRequest, match=r"^ratings\.cap\.5: no such issue or option"):
        prep.read_inputs(issues, {**fields, "ratings.cap.5": "3"})  # not a value the form shows
    curved = {**private["P"], "values": {**private["P"]["values"], "cap": {"points": [[0, 1.0], [150, 0.2], [1000, 0.0]],
                                                                            "extra": {"no_cap": 0.0}}}}
    _, notes = prep.inputs_of(issues, prep.parse_block(public, "P", curved)[1])
    assert any("cap between the ones shown do not lie on straight lines" in note for note in notes)


# -- validation at the edge -----------------------------------------------------------------------


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"importance.rent": "40"}, "importance.rent", "points must sum to 100, they sum to 90"),
    ({"importance.term": "twenty"}, "importance.term", "expected whole points from 0 to 100, got 'twenty'"),
    ({"importance.term": "20.5", "importance.pets": "29.5"}, "importance.term", "whole points"),
    ({"importance.pets": None}, "importance.pets", "got nothing"),
    ({"ratings.rent.1200": "11"}, "ratings.rent.1200", "expected a rating from 0 to 10, got '11'"),
    ({"ratings.term.two_years": "nan"}, "ratings.term.two_years", "expected a rating"),
    ({"ratings.pets.dogs": ""}, "ratings.pets.dogs", "got nothing"),
    ({"ratings.pets.none": "4", "ratings.pets.cats": "4", "ratings.pets.dogs": "4"}, "ratings.pets",
     "every option is rated 4, so the issue cannot matter"),
    ({"never.term.one_year": "on", "never.term.two_years": "on", "never.term.three_years": "on"}, "never.term",
     "every option of term is ruled out"),
    ({"never.pets.snakes": "on"}, "never.pets.snakes", "no such issue or option"),
    ({"ratings.garden.yes": "3"}, "ratings.garden.yes", "no such issue or option"),
    ({"reservation": "1.5"}, "reservation", "expected a reservation value from 0 to 1, got '1.5'"),
    ({"reservation": "-inf"}, "reservation", "expected a reservation value"),
])
def test_a_bad_field_is_named_and_nothing_is_stored(room, change, field, words):
    before, last = room.block("tess", "Tenant"), room.rooms.last_event(room.id)
    fields = {key: value for key, value in {**TENANT, **change}.items() if value is not None}
    with pytest.raises(InvalidRequest) as caught:
        prep.save(room.rooms, room.ids["tess"], room.id, fields)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ") and words in str(caught.value)
    assert room.block("tess", "Tenant") == before and room.rooms.last_event(room.id) == last


def test_decimal_comma_and_whole_numbers_as_decimals_are_read():
    issues = loads_yaml(SCENARIO).issues
    fields = {**TENANT, "ratings.rent.1100": "7,5", "importance.rent": "50.0"}
    assert prep.read_inputs(issues, fields) == prep.read_inputs(issues, TENANT)


# -- in a room -----------------------------------------------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ruled_out=st.lists(st.tuples(st.sampled_from(["rent", "term", "pets"]), st.integers(0, 4)), min_size=1,
                          max_size=3), seed=st.integers(0, 2**32 - 1))
def test_red_lines_chosen_are_stored_and_flagged_by_score(room, ruled_out, seed):
    issues = loads_yaml(SCENARIO).issues
    by_name = {issue.name: issue for issue in issues}
    chosen = {(name, k % by_name[name].size) for name, k in ruled_out}
    if any(len({k for n, k in chosen if n == name}) == by_name[name].size for name in by_name):
        return  # every option of an issue ruled out: refused, see the test above
    fields = dict(TENANT)
    for name, k in chosen:
        fields[f"never.{name}.{prep.label(by_name[name].options[k])}"] = "on"
    prep.save(room.rooms, room.ids["tess"], room.id, fields)
    block = room.block("tess", "Tenant")
    ruled = {(name, str(option)) for line in block["red_lines"] for name, options in line["never"].items()
             for option in options}
    assert ruled == {(name, prep.label(by_name[name].options[k])) for name, k in chosen}
    rng = np.random.default_rng(seed)
    for _ in range(8):
        package = {issue.name: prep.label(issue.options[int(rng.integers(issue.size))]) for issue in issues}
        breaks = room.rooms.score(room.ids["tess"], room.id, package)["scores"]["Tenant"]["breaks"]
        assert bool(breaks) == any((name, package[name]) in ruled for name in package)


def test_the_page_is_the_own_partys_only(room):
    tenant = prep.preparation(room.rooms, room.ids["tess"], room.id)
    landlord = prep.preparation(room.rooms, room.ids["lou"], room.id)
    assert tenant.party == "Tenant" and landlord.party == "Landlord"
    assert prep.preparation(room.rooms, room.ids["tess"], room.id).packages == tenant.packages  # stable
    for name, error in (("mia", AccessDenied), ("olga", AccessDenied), ("convener", AccessDenied),
                        ("outsider", NotFound)):
        with pytest.raises(error):
            prep.preparation(room.rooms, room.ids[name], room.id)
        with pytest.raises(error):
            prep.save(room.rooms, room.ids[name], room.id, TENANT)
        with pytest.raises(error):
            prep.check(room.rooms, room.ids[name], room.id, TENANT)
    assert "LANDLORD-SECRET-LINE" not in repr(tenant)


def test_landlord_sees_its_own_red_line_as_it_is(room):
    landlord = prep.preparation(room.rooms, room.ids["lou"], room.id)
    assert any("'LANDLORD-SECRET-LINE' combines several issues" in note for note in landlord.notes)


def test_package_check_agrees_with_consistent_ratings_and_flags_others(room):
    issues = loads_yaml(SCENARIO).issues
    inputs = prep.read_inputs(issues, TENANT)
    stated = prep.preferences_of(issues, inputs)
    packages = prep.packages_to_rate(issues, room.id, "Tenant")
    assert len(packages) == prep.check_model(issues).degrees_of_freedom + 1  # enough to pin it down
    consistent = {f"package.{k + 1}": f"{10 * u:.2f}" for k, u in enumerate(stated.evaluate(packages))}
    _, check = prep.check(room.rooms, room.ids["tess"], room.id, {**TENANT, **consistent})
    assert check.identified and check.agree
    assert [issue.stated for issue in check.issues] == [50, 20, 30]
    assert [issue.fitted for issue in check.issues] == pytest.approx([50, 20, 30], abs=1)
    # ratings that care for the term alone disagree on the weights, and rank pairs the other way
    term = {f"package.{k + 1}": str(5 * int(p[1])) for k, p in enumerate(packages)}
    _, check = prep.check(room.rooms, room.ids["tess"], room.id, {**TENANT, **term})
    assert not check.agree and check.disagreements
    assert [issue.name for issue in check.issues if issue.differs] == ["rent", "term", "pets"]
    a, b = check.disagreements[0]
    assert check.stated[a] > check.stated[b] and check.fitted[a] < check.fitted[b]


def test_package_check_refuses_bad_ratings(room):
    with pytest.raises(InvalidRequest, match=r"^package\.2: expected a rating from 0 to 10, got 'x'") as caught:
        prep.check(room.rooms, room.ids["tess"], room.id, {**TENANT, "package.1": "3", "package.2": "x"})
    assert caught.value.field == "package.2"
    count = len(prep.packages_to_rate(loads_yaml(SCENARIO).issues, room.id, "Tenant"))
    same = {f"package.{k}": "5" for k in range(1, count + 1)}
    with pytest.raises(InvalidRequest, match=r"^package\.1: every package has the same rating"):
        prep.check(room.rooms, room.ids["tess"], room.id, {**TENANT, **same})


# -- the page's routes -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_room(tmp_path_factory):
    """The lease room in an app, with a signed-in client per person: ``(app, room id, clients)``."""
    app = create_app(Settings(database=str(tmp_path_factory.mktemp("web") / "web.db"), login_limit="1000/minute",
                              registration_limit="1000/minute"))
    with TestClient(app) as convener:
        rooms, engine = app.state.rooms, app.state.engine
        ids = {name: people.register(engine, name, f"password-of-{name}")
               for name in ("convener", "tess", "lou", "mia", "olga", "outsider")}
        room_id = rooms.create(ids["convener"], loads_yaml(SCENARIO), rounds=20)
        for name, role, party in (("tess", "party", "Tenant"), ("lou", "party", "Landlord"),
                                  ("mia", "mediator", None), ("olga", "observer", None)):
            rooms.join(ids[name], name, rooms.invite(ids["convener"], room_id, role, party, party))
        clients = {}
        for name in ids:
            client = TestClient(app)
            client.post("/sign-in", data={"username": name, "password": f"password-of-{name}", "next": "/"})
            clients[name] = client
        yield app, room_id, ids, clients
        del convener


def _csrf(client, room_id) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(f"/rooms/{room_id}").text).group(1)


HTMX = {"HX-Request": "true"}


def test_page_routes(app_room):
    _, room_id, _, clients = app_room
    tess, lou = clients["tess"], clients["lou"]
    page = tess.get(f"/rooms/{room_id}/prepare")
    assert page.status_code == 200
    assert 'name="importance.rent"' in page.text and 'value="50"' in page.text
    assert 'name="never.pets.dogs"' in page.text and "Package 1" in page.text
    assert 'aria-current="page">Preparation' in page.text
    for name, status in (("mia", 403), ("olga", 403), ("outsider", 404)):
        client = clients[name]
        assert client.get(f"/rooms/{room_id}/prepare").status_code == status
        token = _csrf(client, room_id)
        for path in ("", "/check"):
            assert client.post(f"/rooms/{room_id}/prepare{path}", data={**TENANT, "csrf": token}).status_code == status
    # the other party's page is its own, with nothing of the Tenant's
    mine = tess.post(f"/rooms/{room_id}/prepare", headers=HTMX,
                     data={**TENANT, "importance.rent": "47", "importance.pets": "33", "reservation": "0.3579",
                           "never.term.one_year": "on", "csrf": _csrf(tess, room_id)})
    assert mine.status_code == 200 and "Saved." in mine.text
    theirs = lou.get(f"/rooms/{room_id}/prepare").text
    assert "Landlord" in theirs and "0.3579" not in theirs and "never term: one_year" not in theirs
    assert "0.3579" in tess.get(f"/rooms/{room_id}/prepare").text
    for path in ("", "/negotiate"):
        assert "0.3579" not in lou.get(f"/rooms/{room_id}{path}").text
    for secret in LANDLORD_SECRETS:
        assert secret not in tess.get(f"/rooms/{room_id}/prepare").text, secret


def test_save_refusals(app_room):
    app, room_id, ids, clients = app_room
    tess = clients["tess"]
    before = app.state.rooms.preferences(ids["tess"], room_id, "Tenant")["preferences"]
    assert tess.post(f"/rooms/{room_id}/prepare", data=TENANT).status_code == 403  # no CSRF token
    bad = tess.post(f"/rooms/{room_id}/prepare", headers=HTMX,
                    data={**TENANT, "importance.rent": "40", "csrf": _csrf(tess, room_id)})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    assert "importance.rent: points must sum to 100, they sum to 90" in bad.text
    whole = tess.post(f"/rooms/{room_id}/prepare", data={**TENANT, "reservation": "2", "csrf": _csrf(tess, room_id)})
    assert whole.status_code == 422 and "reservation: expected a reservation value" in whole.text
    assert app.state.rooms.preferences(ids["tess"], room_id, "Tenant")["preferences"] == before
    saved = tess.post(f"/rooms/{room_id}/prepare", data={**TENANT, "csrf": _csrf(tess, room_id)},
                      follow_redirects=False)
    assert saved.status_code == 303 and "/prepare?saved=" in saved.headers["location"]
    assert "Saved." in tess.get(saved.headers["location"]).text


def test_check_and_mediator_routes(app_room):
    app, room_id, ids, clients = app_room
    tess = clients["tess"]
    count = len(prep.packages_to_rate(loads_yaml(SCENARIO).issues, room_id, "Tenant"))
    ratings = {f"package.{k}": str(k % 7) for k in range(1, count + 1)}
    fragment = tess.post(f"/rooms/{room_id}/prepare/check", headers=HTMX,
                         data={**TENANT, **ratings, "csrf": _csrf(tess, room_id)})
    assert fragment.status_code == 200 and "From your package ratings" in fragment.text
    assert "<html" not in fragment.text
    page = tess.post(f"/rooms/{room_id}/prepare/check", data={**TENANT, **ratings, "csrf": _csrf(tess, room_id)})
    assert page.status_code == 200 and "<html" in page.text and "From your package ratings" in page.text
    bad = tess.post(f"/rooms/{room_id}/prepare/check", headers=HTMX, data={**TENANT, "csrf": _csrf(tess, room_id)})
    assert bad.status_code == 422 and "package.1: expected a rating" in bad.text

    def granted() -> bool:
        return app.state.rooms.preferences(ids["tess"], room_id, "Tenant")["mediator_may_read"]

    assert not granted()
    answer = tess.post(f"/rooms/{room_id}/prepare/mediator", headers=HTMX,
                       data={"allowed": "yes", "csrf": _csrf(tess, room_id)})
    assert answer.status_code == 200 and "Stop the mediator reading my preferences" in answer.text and granted()
    assert "mia" in answer.text
    back = tess.post(f"/rooms/{room_id}/prepare/mediator", data={"allowed": "no", "csrf": _csrf(tess, room_id)},
                     follow_redirects=False)
    assert back.status_code == 303 and not granted()
    assert tess.post(f"/rooms/{room_id}/prepare/mediator",
                     data={"allowed": "maybe", "csrf": _csrf(tess, room_id)}).status_code == 422
    olga = clients["olga"]
    assert olga.post(f"/rooms/{room_id}/prepare/mediator",
                     data={"allowed": "yes", "csrf": _csrf(olga, room_id)}).status_code == 403
