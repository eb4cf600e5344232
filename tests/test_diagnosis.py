"""Deadlock diagnosis against brute force.

Every property here is checked against a plain restatement of the definitions, computed in
this file: numpy over every outcome of a small space for "which constraints can hold
together", and every subset of the constraints (as bit masks) for the minimal infeasible
subsets (blocking sets) and minimal correction sets (ways out). Nothing here calls into
``servanda.analysis.diagnosis`` to compute an expected value.

The semantics restated: a red line holds at an outcome when ``line.violated(digits)`` is
false; a party's reservation value holds when its utility (``utilities(scenario, digits)``)
is at least the value. The solver works at a resolution of 10^-9 of each party's utility
range, so the random reservation values below are put in gaps between the utilities the
party can get, far (relative to that resolution) from every one of them; the behaviour at
an exact tie is pinned separately.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from servanda.analysis import analyze
from servanda.analysis.cpsat import MAX_OPTIONS
from servanda.analysis.diagnosis import (
    Kind,
    blocking_sets,
    constraints_of,
    diagnose,
    minimal_relaxation,
)
from servanda.analysis.utilities import utilities
from servanda.errors import ServandaError, UnsupportedError
from servanda.formats import load_scenario
from servanda.model import (
    CategoricalIssue,
    IntegerIssue,
    Interaction,
    Party,
    Preferences,
    RedLine,
    Scenario,
)

#: Solver resolution is 1e-9 of a party's utility scale; costs agree to well within this.
COST_TOLERANCE = 1e-6
#: Random reservation values stay at least this far (relative to the party's scale) from
#: every utility the party can get.
MARGIN = 1e-5

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


# -- scenarios ---------------------------------------------------------------------------


def _mask(rng: np.random.Generator, size: int, full: bool = False) -> np.ndarray:
    """A random non-empty mask over ``size`` options; not every option unless ``full``."""
    mask = rng.random(size) < rng.uniform(0.25, 0.75)
    if not mask.any():
        mask[rng.integers(size)] = True
    if mask.all() and not full:
        mask[rng.integers(size)] = False
    return mask


def _box(rng: np.random.Generator, sizes: tuple[int, ...], width: int) -> tuple:
    issues = sorted(rng.choice(len(sizes), size=min(width, len(sizes)), replace=False).tolist())
    full = width == 1 and rng.random() < 0.05  # now and then a red line that forbids everything
    return tuple((i, _mask(rng, sizes[i], full)) for i in issues)


def _red_line(rng: np.random.Generator, sizes: tuple[int, ...], name: str) -> RedLine:
    kind = int(rng.integers(4))
    if kind <= 1:  # single issue: "never these options" / "only those"
        boxes = (_box(rng, sizes, 1),)
    elif kind == 2:  # two issues together
        boxes = (_box(rng, sizes, 2),)
    else:  # a union: one single-issue box and one two-issue box
        boxes = (_box(rng, sizes, 1), _box(rng, sizes, 2))
    return RedLine(name, boxes)


def _reservation_in_gap(values: np.ndarray, quantile: float) -> float:
    """A reservation value near the ``quantile`` of ``values`` that lies in the middle of a
    gap between distinct values, at least ``MARGIN`` (relative) from each of them."""
    scale = max(float(np.ptp(values)), float(np.abs(values).max()), 1e-12)
    distinct = np.unique(values)
    gaps = np.flatnonzero(np.diff(distinct) > 2 * MARGIN * scale)
    if quantile <= 0 or not gaps.size:
        return float(distinct[0] - 0.1 * scale)
    target = quantile * (len(distinct) - 1)
    g = gaps[np.argmin(np.abs(gaps - target))]
    return float((distinct[g] + distinct[g + 1]) / 2)


def deadlock_scenario(
    seed: int,
    parties: int = 3,
    sizes: tuple[int, ...] = (3, 3, 2),
    lines: int = 2,
    interactions: int = 0,
    normalized: bool = False,
) -> Scenario:
    """A seeded random scenario in which deadlocks are common: every party has up to
    ``lines`` red lines (single-issue boxes, two-issue boxes, unions of both) and a
    reservation value between the median and the top of what it can get.

    ``normalized`` makes each party's best possible utility exactly its scale (tables in
    [0, 1] with maximum 1, weights summing to 1), so that each party's utility is measured
    by the solver on the same scale; ``interactions`` adds that many random pairwise
    interaction terms per party.
    """
    rng = np.random.default_rng(seed)
    issues = tuple(
        CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(n))) for k, n in enumerate(sizes)
    )
    space = Scenario("space", issues, ()).space.all()
    members = []
    for p in range(parties):
        weights = rng.dirichlet(np.ones(len(sizes)))
        tables = [rng.random(n) for n in sizes]
        if normalized:
            tables = [t / t.max() for t in tables]
        terms = []
        for _ in range(interactions):
            a, b = sorted(rng.choice(len(sizes), size=2, replace=False).tolist())
            terms.append(Interaction(a, b, rng.normal(0, 0.3, (sizes[a], sizes[b]))))
        preferences = Preferences(weights, tuple(tables), tuple(terms))
        count = int(rng.integers(0, lines + 1))
        red_lines = tuple(_red_line(rng, sizes, f"p{p} line {k}") for k in range(count))
        quantile = 0.0 if rng.random() < 0.15 else float(rng.uniform(0.5, 0.97))
        reservation = _reservation_in_gap(preferences.evaluate(space), quantile)
        members.append(Party(f"p{p}", preferences, reservation=reservation, red_lines=red_lines))
    return Scenario(f"deadlock-{seed}", issues, tuple(members))


scenario_shapes = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "parties": st.integers(2, 3),
        "sizes": st.lists(st.integers(2, 4), min_size=2, max_size=3).map(tuple),
        "lines": st.integers(1, 3),
    }
)


# -- brute force -------------------------------------------------------------------------


def holds(scenario: Scenario, digits: np.ndarray) -> np.ndarray:
    """Boolean ``(outcomes, constraints)``: whether each constraint holds at each outcome;
    constraints are every red line, party by party, then every reservation value."""
    digits = np.asarray(digits, dtype=np.int64)
    columns = [~line.violated(digits) for party in scenario.parties for line in party.red_lines]
    u = utilities(scenario, digits)
    columns += [u[:, p] >= party.reservation for p, party in enumerate(scenario.parties)]
    return np.column_stack(columns)


class BruteForce:
    """Feasibility of every subset of the constraints, by enumerating every outcome."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.digits = scenario.space.all()
        self.table = holds(scenario, self.digits)
        self.n = self.table.shape[1]
        assert self.n <= 16, "brute force over subsets needs few constraints"
        rows = np.unique(self.table.astype(np.int64) @ (1 << np.arange(self.n)))
        subsets = np.arange(1 << self.n)
        # A subset can hold when some outcome meets every constraint in it.
        self.feasible = ((subsets[:, None] & rows[None, :]) == subsets[:, None]).any(axis=1)
        self.full = (1 << self.n) - 1

    def members(self, mask: int) -> frozenset[int]:
        return frozenset(k for k in range(self.n) if mask >> k & 1)

    def mask(self, members) -> int:
        return sum(1 << k for k in members)

    def is_mus(self, mask: int) -> bool:
        return not self.feasible[mask] and all(
            self.feasible[mask & ~(1 << k)] for k in range(self.n) if mask >> k & 1
        )

    def is_mcs(self, mask: int) -> bool:
        rest = self.full & ~mask
        return bool(mask) and self.feasible[rest] and all(
            not self.feasible[rest | 1 << k] for k in range(self.n) if mask >> k & 1
        )

    def all_mus(self) -> set[frozenset[int]]:
        return {self.members(m) for m in range(1 << self.n) if self.is_mus(m)}

    def all_mcs(self) -> set[frozenset[int]]:
        return {self.members(m) for m in range(1 << self.n) if self.is_mcs(m)}

    @property
    def agreement_possible(self) -> bool:
        return bool(self.feasible[self.full])


def shortfall_cost(scenario: Scenario, digits: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    """Weighted total utility below reservation values, per outcome."""
    u = utilities(scenario, digits)
    w = np.array([weights.get(p.name, 1.0) for p in scenario.parties])
    return (np.maximum(0.0, scenario.reservations - u) * w).sum(axis=1)


def line_cost_needed(
    scenario: Scenario, digits: np.ndarray, weights: dict[str, float]
) -> np.ndarray:
    """Weighted number of red lines an outcome breaks (those that must go for it)."""
    cost = np.zeros(len(digits))
    for party in scenario.parties:
        for line in party.red_lines:
            cost += weights.get(party.name, 1.0) * line.violated(digits)
    return cost


# -- constraints -------------------------------------------------------------------------


def test_constraints_are_red_lines_party_by_party_then_reservation_values():
    scenario = deadlock_scenario(7, parties=3, lines=3)
    constraints = constraints_of(scenario)
    expected = [
        (p.name, Kind.RED_LINE, line.name) for p in scenario.parties for line in p.red_lines
    ]
    expected += [(p.name, Kind.RESERVATION) for p in scenario.parties]
    assert [(c.party, c.kind, c.name)[: len(e)] for c, e in zip(constraints, expected)] == expected
    assert len(constraints) == len(expected)
    lines = [c.red_line for c in constraints if c.kind is Kind.RED_LINE]
    assert lines == [line for p in scenario.parties for line in p.red_lines]


# -- 1. blocking sets and 2. ways out ----------------------------------------------------


def _check_blocking_sets(scenario: Scenario, brute: BruteForce) -> None:
    search = blocking_sets(scenario, max_sets=1000)
    muses, corrections = list(search.blocking), list(search.corrections)
    assert search.complete  # fewer than 1000 blocking sets exist in spaces this small
    assert search.checks >= 1
    assert (search.witness is not None) == (not muses)
    for mus in muses:
        mask = brute.mask(mus)
        assert not brute.feasible[mask], f"blocking set {sorted(mus)} can hold"
        assert brute.is_mus(mask), f"blocking set {sorted(mus)} is not minimal"
    assert len(set(muses)) == len(muses)
    assert set(muses) == brute.all_mus()
    for correction in corrections:
        assert brute.is_mcs(brute.mask(correction)), f"way out {sorted(correction)} is not minimal"
    assert len(set(corrections)) == len(corrections)
    # MARCO meets every maximal satisfiable subset by the time it has explored everything.
    assert set(corrections) == brute.all_mcs()


@PROPERTY
@given(scenario_shapes)
def test_blocking_sets_and_ways_out_match_brute_force(shape):
    scenario = deadlock_scenario(**shape)
    _check_blocking_sets(scenario, BruteForce(scenario))


@pytest.mark.parametrize("seed", range(12))
def test_blocking_sets_on_fixed_deadlocks(seed):
    """Fixed cases, larger than the property test draws: four parties, three red lines each
    (16 constraints, 65,536 subsets)."""
    scenario = deadlock_scenario(seed, parties=4, sizes=(3, 3, 3), lines=3)
    brute = BruteForce(scenario)
    _check_blocking_sets(scenario, brute)


def test_fixed_deadlocks_are_mostly_deadlocked():
    """The generator does what the tests above rely on: deadlocks with several blocking sets."""
    found = [
        BruteForce(deadlock_scenario(seed, parties=4, sizes=(3, 3, 3), lines=3))
        for seed in range(12)
    ]
    deadlocked = [b for b in found if not b.agreement_possible]
    assert len(deadlocked) >= 6
    assert sum(len(b.all_mus()) >= 2 for b in deadlocked) >= 4


@PROPERTY
@given(scenario_shapes)
def test_diagnose_agrees_with_brute_force(shape):
    scenario = deadlock_scenario(**shape)
    brute = BruteForce(scenario)
    constraints = constraints_of(scenario)
    result = diagnose(scenario, max_sets=1000, analyze_relaxed=False)
    assert result.agreement_possible == brute.agreement_possible
    if result.agreement_possible:
        assert result.witness is not None
        assert holds(scenario, np.array([result.witness.outcome])).all()
        expected = utilities(scenario, np.array([result.witness.outcome]))[0]
        assert np.allclose(result.witness.utilities, expected)
        assert result.blocking_sets == () and result.ways_out == () and result.relaxation is None
        return
    assert result.witness is None
    assert result.complete
    index = {(c.party, c.kind, c.name): k for k, c in enumerate(constraints)}

    def as_set(members):
        return frozenset(index[(c.party, c.kind, c.name)] for c in members)

    assert {as_set(b.constraints) for b in result.blocking_sets} == brute.all_mus()
    sizes = [len(b.constraints) for b in result.blocking_sets]
    assert sizes == sorted(sizes)  # smallest first
    for b in result.blocking_sets:
        assert all(c.label in b.explanation for c in b.constraints)
        lines = [c.red_line for c in b.constraints if c.red_line is not None]
        touched = {issue for line in lines for box in line.boxes for issue, _ in box}
        assert b.issues == tuple(scenario.issues[i].name for i in sorted(touched))
    ways = [as_set(w) for w in result.ways_out]
    assert set(ways) == brute.all_mcs()
    for way in ways:  # removing a way out restores agreement; removing less does not
        assert brute.feasible[brute.full & ~brute.mask(way)]
        assert all(not brute.feasible[(brute.full & ~brute.mask(way)) | 1 << k] for k in way)


def test_enumeration_stops_at_max_sets_with_true_blocking_sets():
    checked = 0
    for seed in range(40):
        scenario = deadlock_scenario(seed, parties=4, sizes=(3, 3, 3), lines=3)
        brute = BruteForce(scenario)
        every = brute.all_mus()
        if len(every) < 3:
            continue
        search = blocking_sets(scenario, max_sets=2)
        muses, complete = list(search.blocking), search.complete
        assert not complete
        assert len(muses) == 2 and set(muses) <= every
        checked += 1
        if checked == 5:
            break
    assert checked == 5


@pytest.mark.parametrize("seed", range(6))
def test_blocking_sets_among_given_constraints(seed):
    """With only the red lines given, the blocking sets are those among red lines alone."""
    scenario = deadlock_scenario(seed, parties=3, sizes=(3, 3, 2), lines=3)
    lines = [c for c in constraints_of(scenario) if c.kind is Kind.RED_LINE]
    search = blocking_sets(scenario, lines)
    muses, corrections, complete = list(search.blocking), list(search.corrections), search.complete
    brute = BruteForce(scenario)
    n = len(lines)  # red lines come first, so their indices coincide
    expected = {m for m in brute.all_mus() if max(m) < n}
    assert complete and set(muses) == expected
    for correction in corrections:  # minimal among the red lines alone
        rest = brute.mask(range(n)) & ~brute.mask(correction)
        assert brute.feasible[rest]
        assert all(not brute.feasible[rest | 1 << k] for k in correction)


# -- 3. minimal relaxation ---------------------------------------------------------------


def _expected_costs(scenario, objective, weights):
    """(line cost, shortfall cost, clear) of the lexicographic optimum, by enumeration;
    ``clear`` is False when another outcome comes within the solver's resolution of the
    least shortfall without reaching it, so that which one counts as optimal is moot."""
    digits = scenario.space.all()
    lines = line_cost_needed(scenario, digits, weights)
    short = shortfall_cost(scenario, digits, weights)
    if objective == "red-lines":
        # First what cannot be avoided even with every red line dropped: the least
        # shortfall; then the fewest (weighted) red lines among outcomes that achieve it.
        best = short.min()
        above = short[short > best]
        clear = not above.size or above.min() > best + 10 * COST_TOLERANCE
        return lines[short <= best + COST_TOLERANCE].min(), best, clear
    # First the fewest red lines such that the kept ones can hold together (reservation
    # values may be missed); then the least shortfall with those red lines kept.
    best = lines.min()
    return best, short[np.isclose(lines, best)].min(), True


def _check_relaxation(scenario, objective, weights) -> bool:
    """Check :func:`minimal_relaxation` on ``scenario``: its outcome keeps every red line not
    dropped and breaks every one dropped, its shortfalls are those of the outcome, and both
    costs are the brute-force optimum. False when the costs were moot (a near-tie)."""
    outcome, dropped, shortfalls, optimal = minimal_relaxation(scenario, objective, weights)
    weights = weights or {}
    assert optimal
    owners = [p for p in scenario.parties for _ in p.red_lines]
    red_lines = [line for p in scenario.parties for line in p.red_lines]
    assert len(dropped) == len(red_lines) and len(shortfalls) == len(scenario.parties)
    digits = np.array([outcome])
    broken = [bool(line.violated(digits)[0]) for line in red_lines]
    for flag, is_broken, line in zip(dropped, broken, red_lines):
        assert flag or not is_broken, f"kept red line '{line.name}' is broken"
        assert is_broken or not flag, f"red line '{line.name}' dropped, yet the outcome keeps it"
    u = utilities(scenario, digits)[0]
    for party, value, short in zip(scenario.parties, u, shortfalls):
        assert (short > 0) == (value < party.reservation), party.name
    lines_expected, short_expected, clear = _expected_costs(scenario, objective, weights)
    if not clear:
        return False
    lines_got = sum(weights.get(p.name, 1.0) for p, flag in zip(owners, dropped) if flag)
    short_got = shortfall_cost(scenario, digits, weights)[0]
    assert lines_got == pytest.approx(lines_expected, abs=1e-9)
    assert short_got == pytest.approx(short_expected, abs=COST_TOLERANCE)
    return True


party_weights = st.one_of(
    st.none(),
    st.fixed_dictionaries({"p0": st.integers(1, 3), "p1": st.integers(1, 3)}),
    st.fixed_dictionaries({"p0": st.floats(0.1, 3.0), "p1": st.floats(0.1, 3.0)}),
)


@PROPERTY
@given(scenario_shapes, st.sampled_from(["red-lines", "reservations"]), party_weights, st.booleans())
def test_relaxation_is_lexicographically_optimal(shape, objective, weights, normalized):
    """Whole-number and fractional weights; utilities on one scale or each its own."""
    scenario = deadlock_scenario(**shape, normalized=normalized)
    assume(_check_relaxation(scenario, objective, weights))


@pytest.mark.parametrize("objective", ["red-lines", "reservations"])
@pytest.mark.parametrize("seed", range(8))
def test_relaxation_on_fixed_deadlocks(seed, objective):
    scenario = deadlock_scenario(seed, parties=4, sizes=(3, 3, 3), lines=3, normalized=True)
    assert _check_relaxation(scenario, objective, {"p0": 2, "p3": 3})


@PROPERTY
@given(scenario_shapes, st.sampled_from(["red-lines", "reservations"]))
def test_diagnosis_relaxation_is_consistent(shape, objective):
    scenario = deadlock_scenario(**shape, normalized=True)
    result = diagnose(scenario, objective=objective)
    assume(not result.agreement_possible)
    relaxation = result.relaxation
    assert relaxation.objective == objective and relaxation.optimal
    outcome = np.array([relaxation.outcome.outcome])
    gone = {(c.party, c.name) for c in relaxation.dropped}
    assert all(c.kind is Kind.RED_LINE for c in relaxation.dropped)
    for party in scenario.parties:
        for line in party.red_lines:
            if (party.name, line.name) not in gone:
                assert not line.violated(outcome)[0], f"kept red line '{line.name}' is broken"
    u = utilities(scenario, outcome)[0]
    lowered = dict(relaxation.lowered)
    assert set(lowered) == {p.name for p, v in zip(scenario.parties, u) if v < p.reservation}
    for party, value in zip(scenario.parties, u):
        if party.name in lowered:
            assert lowered[party.name] == pytest.approx(party.reservation - value, abs=1e-12)
            # Up to rounding; the exact check is test_relaxed_reservation_admits_the_outcome.
            assert value >= party.reservation - lowered[party.name] - 1e-12
    assert relaxation.analysis is not None
    if not lowered:  # see test_relaxed_reservation_admits_the_outcome for the other case
        assert relaxation.analysis.agreement_possible
        assert relaxation.analysis.solutions["nash"] is not None


# -- 4. the Moscow example ---------------------------------------------------------------


def test_moscow_deadlock(moscow_path):
    scenario = load_scenario(moscow_path)
    result = diagnose(scenario)
    assert not result.agreement_possible and result.complete
    russia = ("Russia", "de jure recognition of the four oblasts")
    opponents = {
        ("Ukraine", "no de jure recognition"),
        ("European allies", "no de jure recognition of annexation"),
    }
    pairs = {tuple((c.party, c.name) for c in b.constraints) for b in result.blocking_sets}
    assert pairs == {(russia, other) for other in sorted(opponents)}
    for b in result.blocking_sets:
        assert b.issues == ("territorial_status",)
        assert "exclude each other on territorial_status" in b.explanation
    relaxation = result.relaxation
    assert [(c.party, c.name) for c in relaxation.dropped] == [russia]
    assert relaxation.lowered == ()
    assert relaxation.analysis.agreement_possible
    assert relaxation.analysis.solutions["nash"] is not None
    assert ("Russia", "de jure recognition of the four oblasts") not in {
        (p.name, line.name) for p in relaxation.analysis.scenario.parties for line in p.red_lines
    }


# -- 5. bad input ------------------------------------------------------------------------


def test_unknown_party_in_weights():
    scenario = deadlock_scenario(1)
    with pytest.raises(ServandaError, match="unknown parties: nobody"):
        minimal_relaxation(scenario, weights={"p0": 1, "nobody": 2})


@pytest.mark.parametrize("weight", [0, -1, float("nan"), float("inf")])
def test_weights_must_be_positive_numbers(weight):
    scenario = deadlock_scenario(1)
    with pytest.raises(ServandaError, match="positive"):
        minimal_relaxation(scenario, weights={"p0": weight})


def test_unknown_objective(moscow_path):
    scenario = deadlock_scenario(1)
    with pytest.raises(ServandaError, match="objective must be 'red-lines' or 'reservations'"):
        minimal_relaxation(scenario, objective="fairness")
    deadlocked = load_scenario(moscow_path)
    with pytest.raises(ServandaError, match="objective"):
        diagnose(deadlocked, objective="fairness")
    with pytest.raises(ServandaError, match="unknown parties"):
        diagnose(deadlocked, weights={"Atlantis": 1})


def test_too_many_options_for_the_solver():
    issues = (IntegerIssue("n", low=0, high=MAX_OPTIONS, step=1), CategoricalIssue("c", ("a", "b")))
    tables = (np.linspace(0, 1, MAX_OPTIONS + 1), np.array([0.0, 1.0]))
    party = Party("p", Preferences([0.5, 0.5], tables))
    scenario = Scenario("big", issues, (party,))
    for call in (diagnose, minimal_relaxation, blocking_sets):
        with pytest.raises(UnsupportedError, match=f"{MAX_OPTIONS + 1:,} options"):
            call(scenario)


# -- 6. interaction terms ----------------------------------------------------------------


@PROPERTY
@given(scenario_shapes, st.integers(1, 3))
def test_interactions_are_modelled_exactly(shape, interactions):
    scenario = deadlock_scenario(**shape, interactions=interactions)
    brute = BruteForce(scenario)
    result = diagnose(scenario, max_sets=1000, analyze_relaxed=False)
    assert result.agreement_possible == brute.agreement_possible
    if result.agreement_possible:
        assert holds(scenario, np.array([result.witness.outcome])).all()
    else:
        _check_blocking_sets(scenario, brute)
        relaxed = result.relaxation.outcome.outcome
        gone = {(c.party, c.name) for c in result.relaxation.dropped}
        for party in scenario.parties:
            for line in party.red_lines:
                if (party.name, line.name) not in gone:
                    assert not line.violated(np.array([relaxed]))[0]


# -- regressions: numeric corner cases found by review ---------------------------------


def _two_party_split(a_values, b_values, reservation_a, reservation_b) -> Scenario:
    issue = (CategoricalIssue("x", ("o0", "o1")),)
    a = Party("a", Preferences([1.0], (np.array(a_values),)), reservation=reservation_a)
    b = Party("b", Preferences([1.0], (np.array(b_values),)), reservation=reservation_b)
    return Scenario("split", issue, (a, b))


@pytest.mark.parametrize("objective", ["reservations", "red-lines"])
def test_shortfall_is_measured_in_utility_whatever_the_scale(objective):
    # a (utility scale 0.6) misses 0.5 at o1; b (scale 1) misses 0.6 at o0: o1 is cheaper.
    scenario = _two_party_split([0.6, 0.1], [0.0, 1.0], 0.6, 0.6)
    outcome, _, _, _ = minimal_relaxation(scenario, objective)
    assert outcome == (1,)


def test_fractional_party_weights_count_in_the_shortfall():
    # a misses 0.5 at o1 (x 1.4 = 0.7); b misses 0.6 at o0 (x 1): o0 is cheaper.
    scenario = _two_party_split([1.0, 0.5], [0.4, 1.0], 1.0, 1.0)
    outcome, _, _, _ = minimal_relaxation(scenario, "reservations", weights={"a": 1.4})
    assert outcome == (0,)


def test_relaxed_reservation_admits_the_outcome():
    scenario = _two_party_split([1.0, 0.01], [0.01, 1.0], 0.5, 0.5)
    relaxation = diagnose(scenario, objective="reservations").relaxation
    assert relaxation.lowered  # one party must give way
    lowered = dict(relaxation.lowered)
    relaxed = relaxation.analysis.scenario
    for party, new, value in zip(scenario.parties, relaxed.parties, relaxation.outcome.utilities):
        # The relaxed reservation is the outcome's utility itself, not r - (r - u).
        assert value >= new.reservation
        assert new.reservation == pytest.approx(party.reservation - lowered.get(party.name, 0.0), abs=1e-12)
    assert relaxation.analysis.agreement_possible


def test_reservation_met_exactly_is_met():
    issue = (CategoricalIssue("x", ("o0", "o1", "o2")),)
    line = RedLine("not o2", (((0, np.array([False, False, True])),),))
    preferences = Preferences([1.0], (np.array([0.0, 1 / 3, 1.0]),))
    party = Party("a", preferences, reservation=1 / 3, red_lines=(line,))
    scenario = Scenario("tie", issue, (party,))
    assert analyze(scenario).agreement_possible
    assert BruteForce(scenario).agreement_possible
    assert diagnose(scenario).agreement_possible


def test_shortfall_bound_with_interaction_terms():
    issues = (CategoricalIssue("x", ("o0", "o1")), CategoricalIssue("y", ("o0", "o1")))
    values = [-0.502, -0.539, -0.136]
    terms = tuple(Interaction(0, 1, np.array([[v, 0.0], [0.0, 0.0]])) for v in values)
    tables = (np.array([-0.306, 0.0]), np.array([-0.579, 0.0]))
    a = Party("a", Preferences([1.0, 1.0], tables, terms))
    # b accepts only (o0, o0), a's worst outcome; keeping that red line costs a shortfall.
    not_one = np.array([False, True])
    only = RedLine("only o0, o0", (((0, not_one),), ((1, not_one),)))
    preferences = Preferences([1.0, 1.0], (np.array([0.0, 1.0]), np.zeros(2)))
    b = Party("b", preferences, reservation=-1.0, red_lines=(only,))
    scenario = Scenario("interactions", issues, (a, b))
    outcome, dropped, _, _ = minimal_relaxation(scenario, "reservations")
    assert dropped == [False]
    assert outcome == (0, 0)


def test_party_with_constant_utility():
    issue = (CategoricalIssue("x", ("o0", "o1")),)
    a = Party("a", Preferences([1.0], (np.array([0.0, 1.0]),)), reservation=0.5)
    observer = Party("observer", Preferences([1.0], (np.zeros(2),)), reservation=-1.0)
    result = diagnose(Scenario("observer", issue, (a, observer)))
    assert result.agreement_possible
