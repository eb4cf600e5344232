"""The mediator's insight and the debrief (:mod:`servanda.rooms.insight`) and their pages.

- Properties of the utility space of two parties, on random scenarios (hypothesis): no
  frontier member is dominated (by another member, or by any outcome keeping the red lines),
  every outcome shown is dominated by or equal to a frontier member, Nash maximises the
  product of gains and Kalai-Smorodinsky the smallest relative gain over the frontier.
- Cross-checks: Nash and Kalai-Smorodinsky against the analysis layer's solutions over every
  outcome (brute force); Nash against NegMAS on the job-offer example (red lines valued far
  below the reservation values, so that NegMAS's rational outcomes are Servanda's zone);
  NegMAS's ``ks_points`` minimises the spread of the relative gains instead, so of it only
  what the max-min form implies is checked (Servanda's smallest relative gain is no lower).
- The zone of possible agreement and the deadlock diagnosis of the Moscow example, for a
  mediator granted by two of its four parties: only theirs is used, and the page says so.
- Confidentiality, the heart of the server: a mediator without grants gets no utilities; a
  party's debrief (the page and its plot data) holds no other party's number; an observer's
  holds none at all. The room for those is a small scenario with distinctive numbers: Alpha's
  are multiples of 0.1 and Beta's and Gamma's have four decimals, and a precondition checks
  that the numbers scanned for cannot be Alpha's own.
"""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest
from conftest import EXAMPLES, random_scenario
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servanda.analysis import kalai_smorodinsky_point, nash_point, pareto_mask, utilities
from servanda.analysis.utilities import red_line_breaches
from servanda.errors import AccessDenied, InvalidRequest
from servanda.formats import load_scenario
from servanda.formats.native import loads_yaml
from servanda.rooms import Viewer, insight
from servanda.rooms import accounts as people
from servanda.server import Settings, create_app

JOB = EXAMPLES / "job-offer.yaml"
MOSCOW = EXAMPLES / "moscow-2025.yaml"
TOLERANCE = 1e-9
PASSWORD = "password-for-insight-tests"

# Three parties; Alpha's numbers are coarse (multiples of 0.1: every utility, gain and
# difference of utilities is a multiple of 0.01), Beta's and Gamma's have four decimals.
SCENARIO = """
name: Lighthouse accord
issues:
  - {name: light, type: categorical, options: [dark, dim, bright]}
  - {name: fee, type: categorical, options: [none, low, high]}
  - {name: crew, type: categorical, options: [local, mixed, foreign]}
parties:
  - name: Alpha
    representatives: [{name: Alpha keeper, role: other}]
    reservation: 0.3
    weights: {light: 0.5, fee: 0.3, crew: 0.2}
    values:
      light: {dark: 0.0, dim: 0.5, bright: 1.0}
      fee: {none: 0.0, low: 0.5, high: 1.0}
      crew: {local: 1.0, mixed: 0.5, foreign: 0.0}
  - name: Beta
    representatives: [{name: Beta keeper, role: other}]
    reservation: 0.2371
    weights: {light: 0.2143, fee: 0.5319, crew: 0.2538}
    values:
      light: {dark: 0.7127, dim: 0.4463, bright: 0.0813}
      fee: {none: 0.9361, low: 0.5247, high: 0.0719}
      crew: {local: 0.1873, mixed: 0.6931, foreign: 0.8467}
    red_lines:
      - {name: SECRET-BETA-FEE, never: {fee: [high]}}
  - name: Gamma
    representatives: [{name: Gamma keeper, role: other}]
    reservation: 0.1913
    weights: {light: 0.4127, fee: 0.1759, crew: 0.4114}
    values:
      light: {dark: 0.1151, dim: 0.8623, bright: 0.5377}
      fee: {none: 0.2941, low: 0.7789, high: 0.4483}
      crew: {local: 0.3357, mixed: 0.9127, foreign: 0.2269}
    red_lines:
      - {name: SECRET-GAMMA-CREW, never: {crew: [foreign]}}
"""
AGREED = {"light": "bright", "fee": "low", "crew": "mixed"}  # keeps every red line


# -- helpers ---------------------------------------------------------------------------------


def everyone(scenario) -> Viewer:
    return Viewer("mediator", None, frozenset(scenario.party_names))


def gains_of(points: np.ndarray, reservations) -> np.ndarray:
    return np.asarray(points, dtype=float) - np.asarray(reservations, dtype=float)


def relative_min(points: np.ndarray, reservations, best: np.ndarray) -> np.ndarray:
    """Kalai-Smorodinsky's criterion: each point's smallest gain relative to the best gain."""
    gains = gains_of(points, reservations)
    span = best - np.asarray(reservations, dtype=float)
    ratio = np.divide(gains, span, out=np.ones_like(gains), where=span > 0)
    return ratio.min(axis=1)


def weakly_covered(points: np.ndarray, frontier: np.ndarray) -> np.ndarray:
    """Whether each point is dominated by or equal to some frontier point (to rounding)."""
    return np.array([bool(np.any(np.all(frontier >= p - TOLERANCE, axis=1))) for p in points], dtype=bool)


# -- the utility space: properties on random scenarios ---------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    sizes=st.lists(st.integers(2, 5), min_size=1, max_size=4).map(tuple),
    parties=st.integers(2, 3),
    red_lines=st.booleans(),
    reservation=st.sampled_from([0.0, 0.3, 0.6]),
    sample=st.booleans(),
)
def test_utility_space_frontier_and_solutions(seed, sizes, parties, red_lines, reservation, sample):
    scenario = random_scenario(seed, parties=parties, sizes=sizes, red_lines=red_lines, reservation=reservation)
    pair = scenario.party_names[-2:]
    max_points = max(2, scenario.space.size // 3) if sample else insight.MAX_POINTS
    space = insight.utility_space(scenario, everyone(scenario), pair, max_points=max_points, seed=seed)
    assert space.parties == pair and space.sampled == (scenario.space.size > max_points)
    assert len(space.outcomes) == (max_points if space.sampled else scenario.space.size)

    two = scenario.select(pair)
    every = utilities(two, two.space.all())
    keeps = ~red_line_breaches(two, two.space.all()).any(axis=1)
    frontier = space.frontier
    assert len(frontier)
    assert np.all(np.diff(frontier[:, 0]) >= 0)  # sorted for drawing
    # no frontier member is dominated: by another member, nor by any outcome it competes with
    assert pareto_mask(frontier).all()
    rivals = every[keeps] if space.red_lines_respected else every
    for point in frontier:
        assert not np.any(np.all(rivals >= point, axis=1) & np.any(rivals > point + TOLERANCE, axis=1))
    # every outcome shown (that keeps the red lines the frontier keeps) is covered by it
    shown = space.outcomes[~space.blocked] if space.red_lines_respected else space.outcomes
    assert weakly_covered(shown, frontier).all()
    if not space.sampled:  # every outcome, in index order: blocked = breaks a red line of the two
        np.testing.assert_array_equal(space.blocked, ~keeps)
    reservations = np.asarray(space.reservations)
    zone = frontier[np.all(frontier >= reservations, axis=1)]
    nash, ks = space.solutions["nash"], space.solutions["kalai_smorodinsky"]
    if not len(zone):
        assert nash is None and ks is None
        return
    products = np.prod(gains_of(zone, reservations), axis=1)
    assert np.prod(np.asarray(nash.utilities) - reservations) >= products.max() - 1e-12
    best = zone.max(axis=0)
    assert relative_min(np.asarray([ks.utilities]), reservations, best)[0] >= \
        relative_min(zone, reservations, best).max() - 1e-12
    # both are among the outcomes (their packages give their utilities)
    for point in (nash, ks):
        np.testing.assert_allclose(utilities(two, np.asarray([two.space.parse(point.labels)]))[0],
                                   point.utilities, atol=TOLERANCE)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), red_lines=st.booleans(), reservation=st.sampled_from([0.0, 0.25, 0.5]))
def test_solutions_match_the_analysis_layer_over_every_outcome(seed, red_lines, reservation):
    """Brute force: Nash and Kalai-Smorodinsky of the analysis layer over every outcome that
    keeps both parties' red lines; the insight's (on the frontier) must reach the same values."""
    scenario = random_scenario(seed, parties=3, sizes=(3, 4, 3), red_lines=red_lines, reservation=reservation)
    pair = scenario.party_names[:2]
    space = insight.utility_space(scenario, everyone(scenario), pair)
    two = scenario.select(pair)
    digits = two.space.all()
    candidates = utilities(two, digits)[~red_line_breaches(two, digits).any(axis=1)]
    if not space.red_lines_respected:
        candidates = utilities(two, digits)
    reservations = two.reservations
    for name, solve, value in (
        ("nash", nash_point, lambda u: np.prod(gains_of(u, reservations), axis=1)),
        ("kalai_smorodinsky", kalai_smorodinsky_point, None),
    ):
        chosen = solve(candidates, reservations)
        mine = space.solutions[name]
        if chosen is None:
            assert mine is None
            continue
        assert mine is not None
        if value is None:
            feasible = candidates[np.all(candidates >= reservations, axis=1)]
            best = feasible.max(axis=0)

            def value(u, best=best):
                return relative_min(u, reservations, best)
        assert value(np.asarray([mine.utilities]))[0] == pytest.approx(value(candidates[[chosen]])[0], abs=1e-12)


def test_job_offer_against_negmas():
    ops = pytest.importorskip("negmas.preferences.ops")
    from servanda.formats.negmas import to_negmas

    job = load_scenario(JOB)
    space = insight.utility_space(job, everyone(job), job.party_names)
    assert not space.sampled or space.space_size > insight.MAX_POINTS
    # NegMAS knows no red lines: valued at -100, they fall below every reservation value and
    # out of NegMAS's rational outcomes, which then are exactly the zone of possible agreement.
    theirs = to_negmas(job, red_line_value=-100.0)
    front, _ = ops.pareto_frontier(theirs.ufuns, outcomes=theirs.outcomes(job.space.all()))
    front = [tuple(float(u) for u in point) for point in front]
    zone = space.frontier[np.all(space.frontier >= np.asarray(space.reservations), axis=1)]
    assert {tuple(np.round(p, 12)) for p in front} == {tuple(np.round(p, 12)) for p in zone}
    highs = np.asarray(front).max(axis=0)
    ranges = [(party.reservation, float(h)) for party, h in zip(job.parties, highs)]
    nash = ops.nash_points(theirs.ufuns, front, ranges=ranges)
    assert any(np.allclose(point, space.solutions["nash"].utilities, atol=TOLERANCE) for point, _ in nash)
    ks = ops.ks_points(theirs.ufuns, front, ranges=ranges)
    reservations = np.asarray(space.reservations)
    mine = relative_min(np.asarray([space.solutions["kalai_smorodinsky"].utilities]), reservations, highs)[0]
    assert all(mine >= relative_min(np.asarray([point]), reservations, highs)[0] - 1e-12 for point, _ in ks)


def test_offer_traces_score_each_proposer_s_offers_in_order():
    job = load_scenario(JOB)
    packages = [
        {"salary": 100000, "start_in_weeks": 4, "vacation_days": 20, "signing_bonus": 0,
         "remote_work": "remote_2_days", "job_title": "engineer"},
        {"salary": 120000, "start_in_weeks": 6, "vacation_days": 25, "signing_bonus": 10000,
         "remote_work": "remote_3_days", "job_title": "senior_engineer"},
        {"salary": 105000, "start_in_weeks": 4, "vacation_days": 20, "signing_bonus": 0,
         "remote_work": "remote_2_days", "job_title": "senior_engineer"},
    ]
    events = [{"id": 7 + k, "type": "offer", "party": party, "outcome": package}
              for k, (party, package) in enumerate(zip(["Employer", "Candidate", "Employer"], packages))]
    events.insert(1, {"id": 20, "type": "comment", "kind": "comment", "text": "hello"})
    space = insight.utility_space(job, everyone(job), ("Candidate", "Employer"), events)
    assert [trace.party for trace in space.traces] == ["Employer", "Candidate"]
    employer = space.traces[0]
    assert employer.events == (7, 9)
    expected = utilities(job.select(("Candidate", "Employer")),
                         np.asarray([job.space.parse(packages[0]), job.space.parse(packages[2])]))
    np.testing.assert_allclose(employer.utilities, expected)
    plot = insight.space_dict(space)
    assert plot["parties"] == ["Candidate", "Employer"]
    assert plot["traces"]["Employer"]["text"] == ["offer #7 by Employer", "offer #9 by Employer"]
    assert len(plot["outcomes"]["x"]) + len(plot["blocked"]["x"]) == insight.MAX_POINTS


def test_large_spaces_are_sampled_and_the_frontier_found_without_enumeration():
    """Twelve issues of ten options: 10^12 outcomes, never enumerated."""
    scenario = random_scenario(3, parties=2, sizes=(10,) * 12)
    space = insight.utility_space(scenario, everyone(scenario), scenario.party_names, max_points=2_000)
    assert space.sampled and len(space.outcomes) == 2_000 and space.space_size == 10**12
    assert len(space.frontier) and weakly_covered(space.outcomes, space.frontier).all()
    found = insight.zone(scenario, everyone(scenario))
    assert found.size is None and "not counted" in found.note and found.possible


# -- the zone and the deadlock: Moscow, two of four parties granted ------------------------------


def test_moscow_zone_and_deadlock_cover_only_the_granting_parties():
    moscow = load_scenario(MOSCOW)
    viewer = Viewer("mediator", None, frozenset({"Russia", "Ukraine"}))
    found = insight.mediator_insight(moscow, viewer, [])
    assert found.readable == ("Russia", "Ukraine") and found.missing == ("United States", "European allies")
    assert found.zone.partial and found.zone.possible is False and found.zone.size == 0
    deadlock = found.deadlock
    assert deadlock is not None and deadlock.parties == ("Russia", "Ukraine")
    assert any("territorial_status" in text for text in deadlock.blocking)
    relaxation = deadlock.relaxation
    assert len(relaxation.dropped) == 1 and relaxation.optimal
    assert set(relaxation.utilities) == {"Russia", "Ukraine"}
    assert relaxation.zone_size and relaxation.solutions["nash"] is not None
    # nothing of the parties that did not grant: their red lines are not even considered
    text = repr(found)
    for secret in ("no US collective-defence commitment", "no de jure recognition of annexation"):
        assert secret not in text
    assert not found.space.red_lines_respected and "drop their red lines" in found.space.note
    # with all four granted, the European allies' red line blocks too
    everyone_found = insight.deadlock(moscow, everyone(moscow))
    assert any("European allies" in text for text in everyone_found.blocking)


def test_job_offer_zone_when_both_granted():
    job = load_scenario(JOB)
    found = insight.mediator_insight(job, everyone(job), [])
    assert found.zone.possible and not found.zone.partial and found.deadlock is None
    digits = job.space.all()
    u = utilities(job, digits)
    inside = np.all(u >= job.reservations, axis=1) & ~red_line_breaches(job, digits).any(axis=1)
    assert found.zone.size == int(inside.sum())


# -- confidentiality at the level of the functions ------------------------------------------------


def test_a_mediator_reading_fewer_than_two_parties_gets_an_explanation_only():
    job = load_scenario(JOB)
    for readable in (frozenset(), frozenset({"Employer"})):
        viewer = Viewer("mediator", None, readable)
        found = insight.mediator_insight(job, viewer, [])
        assert found.space is None and found.zone is None and found.deadlock is None
        assert "at least two parties" in found.explanation and "Candidate" in found.explanation
    viewer = Viewer("mediator", None, frozenset({"Employer"}))
    with pytest.raises(AccessDenied, match="Candidate has not let you read"):
        insight.utility_space(job, viewer, ("Employer", "Candidate"))
    with pytest.raises(AccessDenied):
        insight.zone(job, Viewer("mediator", None, frozenset()))
    with pytest.raises(InvalidRequest):
        insight.utility_space(job, everyone(job), ("Employer", "Employer"))
    with pytest.raises(InvalidRequest):
        insight.utility_space(job, everyone(job), ("Employer", "Nobody"))


def test_debrief_for_a_party_an_observer_and_a_mediator():
    job = load_scenario(JOB)
    agreed = {"salary": 105000, "start_in_weeks": 4, "vacation_days": 20, "signing_bonus": 0,
              "remote_work": "remote_2_days", "job_title": "engineer"}
    events = [{"id": 4, "type": "offer", "party": "Employer", "outcome": agreed},
              {"id": 5, "type": "accept", "party": "Candidate", "offer": 4},
              {"id": 6, "type": "agreement", "offer": 4, "outcome": agreed}]
    party = insight.debrief(job, Viewer("party", "Candidate", frozenset({"Candidate"})), "agreement", "agreed", events)
    assert party.kind == "agreement" and party.event == 6 and party.outcome == agreed
    [mine] = party.results
    assert mine.party == "Candidate" and mine.share is None and party.share_of is None
    assert party.pareto_distance is None and party.space is None
    assert party.efficient is False and mine.headroom > 0  # "engineer": both prefer "senior_engineer"

    observer = insight.debrief(job, Viewer("observer", None, frozenset()), "agreement", "agreed", events)
    assert observer.results == () and observer.efficient is None and observer.space is None
    assert observer.outcome == agreed and "confidential" in observer.notes[0]

    mediator = insight.debrief(job, everyone(job), "agreement", "agreed", events)
    assert mediator.share_of == "every party"
    assert sum(r.share for r in mediator.results) == pytest.approx(1.0)
    assert mediator.results[1].utility == pytest.approx(mine.utility)
    assert mediator.results[1].headroom == pytest.approx(mine.headroom)
    own = utilities(job, np.asarray([job.space.parse(agreed)]))[0]
    from servanda.analysis import analyze

    frontier = analyze(job).frontier.utilities
    assert mediator.pareto_distance == pytest.approx(np.linalg.norm(frontier - own, axis=1).min())
    # headroom: the most a party can gain with no one worse off, on the frontier
    better = frontier[np.all(frontier >= own - TOLERANCE, axis=1)]
    for j, r in enumerate(mediator.results):
        assert r.headroom == pytest.approx((better[:, j] - own[j]).max())
    assert mediator.space is not None and insight.result_point(mediator)["label"] == "agreement"

    still_open = insight.debrief(job, everyone(job), "open", "", events[:1])
    assert not still_open.ended and still_open.results == ()


def test_an_efficient_result_has_no_headroom():
    job = load_scenario(JOB)
    nash = insight.utility_space(job, everyone(job), job.party_names).solutions["nash"]
    events = [{"id": 3, "type": "offer", "party": "Employer", "outcome": nash.labels}]
    found = insight.debrief(job, everyone(job), "deadline", "the deadline passed", events)
    assert found.kind == "last offer" and found.efficient is True
    assert all(r.headroom == 0 for r in found.results)
    assert found.pareto_distance == pytest.approx(0.0, abs=1e-12)


# -- the pages, in process -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Argon2id at its lowest cost: these tests sign several people in."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(people, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


class Site:
    """The app in process, one browser session at a time (``as_``), rooms set up directly
    through the app's own rooms layer."""

    def __init__(self, http: TestClient, app):
        self.http, self.app, self.rooms = http, app, app.state.rooms
        self.ids: dict[str, int] = {}

    def account(self, name: str) -> int:
        if name not in self.ids:
            self.ids[name] = people.register(self.app.state.engine, name, PASSWORD)
        return self.ids[name]

    def room(self, scenario, seats: dict[str, tuple[str, str | None]], **options) -> str:
        """A room convened by "convener"; ``seats`` maps a person to (role, party)."""
        room = self.rooms.create(self.account("convener"), scenario, **options)
        model = getattr(scenario, "scenario", scenario)  # an UncertainScenario's point estimate
        for name, (role, party) in seats.items():
            rep = None if party is None else model.party(party).representatives[0].name
            token = self.rooms.invite(self.ids["convener"], room, role, party, rep)
            self.rooms.join(self.account(name), name, token)
        return room

    def as_(self, name: str) -> None:
        self.http.cookies.clear()
        answer = self.http.post("/api/session", json={"username": name, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        self.csrf = answer.json()["csrf"]

    def get(self, path: str, status: int = 200, **options) -> str:
        answer = self.http.get(path, **options)
        assert answer.status_code == status, answer.text[:2000]
        return answer.text


@pytest.fixture
def site(tmp_path):
    app = create_app(Settings(database=str(tmp_path / "pages.db"), login_limit="1000/minute",
                              registration_limit="1000/minute"))
    with TestClient(app) as http:
        yield Site(http, app)


def plot_data(html: str, name: str) -> dict | None:
    found = re.search(rf'<script type="application/json" id="{name}-data">(.*?)</script>', html, re.DOTALL)
    return None if found is None else json.loads(found.group(1))


def test_mediator_page_and_its_fragment(site):
    job = load_scenario(JOB)
    room = site.room(job, {"erin": ("party", "Employer"), "cody": ("party", "Candidate"), "mia": ("mediator", None)},
                     rounds=10)
    site.as_("mia")
    html = site.get(f"/rooms/{room}/mediate")
    assert 'id="too-few"' in html and plot_data(html, "utility-space") is None
    site.rooms.grant_mediator(site.ids["erin"], room, True)
    html = site.get(f"/rooms/{room}/mediate")
    assert "Only Employer has let you read" in html and plot_data(html, "utility-space") is None
    site.rooms.grant_mediator(site.ids["cody"], room, True)
    site.rooms.propose(site.ids["erin"], room, {"salary": 100000, "start_in_weeks": 4, "vacation_days": 20,
                                                  "signing_bonus": 0, "remote_work": "remote_2_days",
                                                  "job_title": "engineer"})
    html = site.get(f"/rooms/{room}/mediate")
    data = plot_data(html, "utility-space")
    assert data["parties"] == ["Employer", "Candidate"] and data["solutions"]["nash"] and data["frontier"]["x"]
    assert list(data["traces"]) == ["Employer"]
    assert "Zone of possible agreement" in html and "Deadlock diagnosis" not in html
    assert "This room runs alternating offers" in html  # no texts to put here
    fragment = site.get(f"/rooms/{room}/mediate?x=Candidate&y=Employer", headers={"HX-Request": "true"})
    assert "<html" not in fragment and plot_data(fragment, "utility-space")["parties"] == ["Candidate", "Employer"]
    assert "choose two different parties" in site.get(f"/rooms/{room}/mediate?x=Employer&y=Employer", status=422)
    site.as_("erin")
    assert "for the room&#39;s mediator" in site.get(f"/rooms/{room}/mediate", status=403)


def test_single_text_controls_put_the_nash_text(site):
    job = load_scenario(JOB)
    room = site.room(job, {"erin": ("party", "Employer"), "cody": ("party", "Candidate"), "mia": ("mediator", None)},
                     protocol_name="single-text", rounds=3)
    for name in ("erin", "cody"):
        site.rooms.grant_mediator(site.ids[name], room, True)
    site.as_("mia")
    html = site.get(f"/rooms/{room}/mediate")
    assert "Put the Nash text on the table" in html and "Write a text" in html
    nash = insight.utility_space(job, everyone(job), job.party_names).solutions["nash"]
    form = {"csrf": site.csrf, **{f"issue.{issue}": str(option) for issue, option in nash.labels.items()}}
    scored = site.http.post(f"/rooms/{room}/compose", data=form, headers={"HX-Request": "true"})
    assert scored.status_code == 200 and "Employer" in scored.text and "Candidate" in scored.text
    put = site.http.post(f"/rooms/{room}/moves/propose", data=form, headers={"HX-Request": "true"})
    assert put.status_code == 204
    html = site.get(f"/rooms/{room}/mediate")
    assert "Texts put so far: 1 of 3" in html and "Awaiting: Employer, Candidate" in html
    site.rooms.accept(site.ids["erin"], room)
    site.rooms.accept(site.ids["cody"], room)
    debrief = site.get(f"/rooms/{room}/debrief")
    assert "The result is efficient" in debrief and "Share of the joint gain" in debrief
    data = plot_data(debrief, "utility-space")
    assert data["result"]["label"] == "agreement"
    np.testing.assert_allclose([data["result"]["x"], data["result"]["y"]], nash.utilities, atol=1e-6)


# -- confidentiality of the pages ----------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.#])-?\d+\.\d+(?![\w.])")


def _derived(scenario, party: str) -> set[float]:
    """Every number ``party``'s preferences can put on a page, as the pages write numbers:
    raw, and rounded to 3 (the tables), 6 (the plots' data) and 9 decimals; its values and
    reservation value, each package's utility and gain, and the differences of its utilities
    (headroom)."""
    model = scenario.party(party)
    u = utilities(scenario.select([party]), scenario.space.all())[:, 0]
    values = [float(v) for table in model.preferences.tables for v in table] + list(model.preferences.weights)
    raw = [*values, model.reservation, *u, *(u - model.reservation),
           *(a - b for a, b in itertools.permutations(u, 2) if a > b)]
    out: set[float] = set()
    for value in raw:
        out |= {float(value), round(float(value), 3), round(float(value), 6), round(float(value), 9)}
    return {v for v in out if not float(v).is_integer()}


def _scan(html: str, forbidden: set[float]) -> list[str]:
    return [token for token in _NUMBER.findall(html) if float(token) in forbidden]


def test_page_confidentiality(site):
    scenario = loads_yaml(SCENARIO)
    alpha = _derived(scenario, "Alpha")
    beta, gamma = _derived(scenario, "Beta"), _derived(scenario, "Gamma")
    # precondition: the agreement's numbers for Beta and Gamma cannot be mistaken for Alpha's
    row = np.asarray([scenario.space.parse(AGREED)])
    for j, party in ((1, "Beta"), (2, "Gamma")):
        u = float(utilities(scenario, row)[0, j])
        for value in (u, u - scenario.parties[j].reservation):
            assert round(value, 3) not in alpha and round(value, 6) not in alpha, party
    others = (beta | gamma) - alpha  # what Alpha must never find on a page

    room = site.room(scenario, {"alice": ("party", "Alpha"), "bob": ("party", "Beta"), "gus": ("party", "Gamma"),
                                "mia": ("mediator", None), "olga": ("observer", None)}, rounds=12)
    site.rooms.propose(site.ids["alice"], room, AGREED)
    site.rooms.accept(site.ids["bob"], room)
    site.rooms.accept(site.ids["gus"], room)

    # a mediator without grants: no utilities on its page, nor in its debrief
    site.as_("mia")
    for path in (f"/rooms/{room}/mediate", f"/rooms/{room}/debrief"):
        html = site.get(path)
        assert not _scan(html, alpha | beta | gamma), path
        assert plot_data(html, "utility-space") is None and plot_data(html, "results-chart") is None
    # an observer (a teacher): no party's number at all
    site.as_("olga")
    html = site.get(f"/rooms/{room}/debrief")
    assert not _scan(html, alpha | beta | gamma) and "joins the room as its mediator" in html
    # Alpha: its own result, none of Beta's or Gamma's numbers, names of red lines or shares
    site.as_("alice")
    html = site.get(f"/rooms/{room}/debrief")
    assert "Alpha" in html and plot_data(html, "results-chart")["rows"][0]["party"] == "Alpha"
    assert len(plot_data(html, "results-chart")["rows"]) == 1 and plot_data(html, "utility-space") is None
    assert not _scan(html, others), _scan(html, others)
    assert "SECRET-" not in html and "Share of the joint gain" not in html
    assert _scan(html, alpha)  # the scan does find numbers: Alpha's own
    assert site.get(f"/rooms/{room}/mediate", status=403)

    # the mediator granted by Beta alone: still fewer than two, still nothing
    site.rooms.grant_mediator(site.ids["bob"], room, True)
    site.as_("mia")
    html = site.get(f"/rooms/{room}/mediate")
    assert "Only Beta has let you read" in html and not _scan(html, alpha | gamma)
    site.get(f"/rooms/{room}/mediate?x=Beta&y=Gamma", status=403)
    # granted by Beta and Gamma: theirs, never Alpha's
    site.rooms.grant_mediator(site.ids["gus"], room, True)
    for path in (f"/rooms/{room}/mediate", f"/rooms/{room}/debrief"):
        html = site.get(path)
        assert plot_data(html, "utility-space")["parties"] == ["Beta", "Gamma"]
        assert not _scan(html, alpha - beta - gamma), (path, _scan(html, alpha - beta - gamma))
        assert "covers only" in html or path.endswith("debrief")
    debrief = site.get(f"/rooms/{room}/debrief")
    assert "Share of the joint gain of the parties you read" in debrief


def test_the_scan_finds_a_leak():
    """The scan above is not vacuous: a page that showed Beta's utility of the agreement, as
    the tables write numbers, would be caught."""
    scenario = loads_yaml(SCENARIO)
    u = float(utilities(scenario, np.asarray([scenario.space.parse(AGREED)]))[0, 1])
    others = _derived(scenario, "Beta") - _derived(scenario, "Alpha")
    assert _scan(f"<td>{u:.3f}</td>", others) and _scan(json.dumps({"y": round(u, 6)}), others)


def test_moscow_mediator_page_shows_the_deadlock(site):
    from servanda.formats.files import load_uncertain_scenario

    moscow = load_uncertain_scenario(MOSCOW)
    room = site.room(moscow, {"rus": ("party", "Russia"), "ukr": ("party", "Ukraine"), "mia": ("mediator", None)},
                     rounds=10)
    for name in ("rus", "ukr"):
        site.rooms.grant_mediator(site.ids[name], room, True)
    site.as_("mia")
    html = site.get(f"/rooms/{room}/mediate")
    assert "No agreement is possible" in html and "Minimal relaxation" in html
    assert "covers only <strong>Russia, Ukraine</strong>" in html and "United States, European allies did not" in html
    assert "de jure recognition of the four oblasts" in html
    assert "no de jure recognition of annexation" not in html  # the European allies did not grant


def test_pages_of_a_missing_room_are_not_found(site):
    site.account("someone")
    site.as_("someone")
    site.get("/rooms/nosuchroom/mediate", status=404)
    site.get("/rooms/nosuchroom/debrief", status=404)

