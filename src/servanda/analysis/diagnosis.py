"""Deadlock diagnosis: which red lines and reservation values block agreement, and the
least costly change that unblocks it.

The constraints are every red line of every party and every party's reservation value
(its utility must reach it). Agreement is possible when some outcome meets them all.

- *Blocking sets* are the minimal infeasible subsets (MUS): together they leave no
  outcome, and dropping any one of them frees one. They are enumerated with MARCO
  (Liffiton, Previti, Malik & Marques-Silva, "Fast, flexible MUS enumeration",
  Constraints 21, 2016), every subset checked by CP-SAT on the scenario's model — never by
  enumerating outcomes. Each maximal satisfiable subset MARCO meets gives a *way out*: its
  complement, a minimal set of constraints whose removal makes agreement possible.
- The *minimal relaxation* is optimal, found by CP-SAT: the fewest red lines dropped
  (weighted per party) keeping reservation values, or, with ``objective="reservations"``,
  the smallest total loss below reservation values keeping red lines.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from ortools.sat.python import cp_model

from servanda.analysis.cpsat import build_model, new_solver
from servanda.analysis.report import Analysis, Point, analyze, point_from_outcome
from servanda.analysis.utilities import utilities
from servanda.errors import ServandaError
from servanda.model import RedLine, Scenario


class Kind(StrEnum):
    RED_LINE = "red line"
    RESERVATION = "reservation value"


@dataclass(frozen=True)
class Constraint:
    """A red line of a party, or a party's reservation value."""

    party: str
    kind: Kind
    name: str  # the red line's name; for a reservation value, its value as text
    red_line: RedLine | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        owner = f"{self.party}'" if self.party.endswith("s") else f"{self.party}'s"
        if self.kind is Kind.RED_LINE:
            return f"{owner} red line '{self.name}'"
        return f"{owner} reservation value {self.name}"


def constraints_of(scenario: Scenario) -> list[Constraint]:
    """Every red line, party by party, then every reservation value."""
    lines = [
        Constraint(party.name, Kind.RED_LINE, line.name, line)
        for party in scenario.parties for line in party.red_lines
    ]
    reservations = [
        Constraint(party.name, Kind.RESERVATION, f"{party.reservation:g}") for party in scenario.parties
    ]
    return lines + reservations


@dataclass(frozen=True)
class BlockingSet:
    """Constraints that together leave no outcome; each one is needed for that."""

    constraints: tuple[Constraint, ...]
    issues: tuple[str, ...]  # the issues the red lines among them speak about
    explanation: str


@dataclass(frozen=True)
class Relaxation:
    """The least costly change that makes agreement possible."""

    objective: str
    dropped: tuple[Constraint, ...]  # red lines given up
    lowered: tuple[tuple[str, float], ...]  # (party, how far its reservation value must drop)
    optimal: bool  # proven optimal by the solver
    outcome: Point  # an outcome the relaxation makes possible
    analysis: Analysis | None  # the relaxed scenario's analysis (bargaining solutions)
    note: str = ""  # why ``analysis`` is missing, if it is

    @property
    def scenario_changes(self) -> list[str]:
        changes = [f"drop {c.label}" for c in self.dropped]
        changes += [f"lower {party}'s reservation value by {amount:.4g}" for party, amount in self.lowered]
        return changes


@dataclass(frozen=True)
class Diagnosis:
    """Why agreement is (im)possible and what would change it."""

    agreement_possible: bool
    witness: Point | None  # an outcome meeting every constraint, if one exists
    blocking_sets: tuple[BlockingSet, ...]  # smallest first
    complete: bool  # every blocking set was found
    ways_out: tuple[tuple[Constraint, ...], ...]  # minimal sets whose removal suffices
    relaxation: Relaxation | None


class _Oracle:
    """Feasibility of subsets of the constraints: one CP-SAT model, each constraint
    switched on by its own literal, each subset checked under assumptions."""

    def __init__(self, scenario: Scenario, constraints: Sequence[Constraint]):
        self.scenario = scenario
        self.model = build_model(scenario)
        self.switches = []
        parties = scenario.party_names
        for constraint in constraints:
            switch = self.model.model.NewBoolVar(constraint.label)
            if constraint.kind is Kind.RED_LINE:
                self.model.forbid(constraint.red_line, switch)
            else:
                index = parties.index(constraint.party)
                self.model.require(index, scenario.parties[index].reservation, switch)
            self.switches.append(switch)
        self.index = {switch.Index(): k for k, switch in enumerate(self.switches)}
        self.solver = new_solver()
        self.calls = 0
        self.reservation_of = {
            k: scenario.party_names.index(c.party)
            for k, c in enumerate(constraints) if c.kind is Kind.RESERVATION
        }

    def _missed(self, outcome: tuple[int, ...], subset: frozenset[int]) -> list[int]:
        """The reservation constraints in ``subset`` that ``outcome`` misses."""
        missed = _missed_reservations(self.scenario, outcome)
        return [k for k in subset if k in self.reservation_of and missed[self.reservation_of[k]]]

    def check(self, subset: frozenset[int]) -> tuple[bool, tuple[int, ...] | frozenset[int]]:
        """(True, outcome) if the constraints in ``subset`` can all hold, else (False, core):
        a subset of ``subset`` that is already infeasible."""
        self.calls += 1
        model = self.model.model
        model.ClearAssumptions()
        model.AddAssumptions([self.switches[k] for k in sorted(subset)])
        while True:
            status = self.solver.Solve(model)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                break
            outcome = self.model.decode(self.solver)
            missed = self._missed(outcome, subset)
            if not missed:
                return True, outcome
            # Rounded up, the model let through an outcome that misses a reservation value
            # by less than its resolution: exclude it wherever those constraints apply.
            for k in missed:
                self.model.exclude(outcome, self.switches[k])
        if status != cp_model.INFEASIBLE:
            raise ServandaError(f"the solver gave no answer ({self.solver.StatusName(status)})")
        core = frozenset(self.index[i] for i in self.solver.SufficientAssumptionsForInfeasibility())
        return False, core & subset or subset


def _missed_reservations(scenario: Scenario, outcome: tuple[int, ...]) -> np.ndarray:
    """Per party: whether ``outcome`` misses its reservation value (in floating point)."""
    return utilities(scenario, np.asarray([outcome]))[0] < scenario.reservations


def _shrink(oracle: _Oracle, core: frozenset[int]) -> frozenset[int]:
    """A minimal infeasible subset inside the infeasible ``core`` (deletion, using the
    solver's cores to skip ahead)."""
    for k in sorted(core):
        if k not in core:
            continue
        feasible, smaller = oracle.check(core - {k})
        if not feasible:
            core = smaller
    return core


def _grow(oracle: _Oracle, seed: frozenset[int], n: int) -> frozenset[int]:
    """A maximal satisfiable subset containing the satisfiable ``seed``."""
    for k in range(n):
        if k not in seed and oracle.check(seed | {k})[0]:
            seed = seed | {k}
    return seed


@dataclass(frozen=True)
class Search:
    """What MARCO found: index sets into the constraints it was given."""

    blocking: tuple[frozenset[int], ...]  # minimal infeasible subsets, in the order found
    corrections: tuple[frozenset[int], ...]  # minimal correction sets met on the way
    complete: bool  # every minimal infeasible subset was found
    checks: int  # subsets the solver checked
    witness: tuple[int, ...] | None  # an outcome meeting every constraint, if one does


def blocking_sets(
    scenario: Scenario, constraints: Sequence[Constraint] | None = None, max_sets: int = 50
) -> Search:
    """MARCO over ``constraints`` (default: :func:`constraints_of`), up to ``max_sets``
    minimal infeasible subsets."""
    constraints = constraints_of(scenario) if constraints is None else list(constraints)
    n = len(constraints)
    oracle = _Oracle(scenario, constraints)
    unexplored = cp_model.CpModel()
    pick = [unexplored.NewBoolVar(f"s{k}") for k in range(n)]
    unexplored.Maximize(sum(pick))
    map_solver = new_solver()
    muses: list[frozenset[int]] = []
    corrections: list[frozenset[int]] = []

    def result(complete: bool, witness: tuple[int, ...] | None = None) -> Search:
        return Search(tuple(muses), tuple(corrections), complete, oracle.calls, witness)

    while True:
        if map_solver.Solve(unexplored) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return result(True)
        seed = frozenset(k for k in range(n) if map_solver.BooleanValue(pick[k]))
        feasible, found = oracle.check(seed)
        if feasible:
            grown = _grow(oracle, seed, n)
            correction = frozenset(range(n)) - grown
            if not correction:  # everything holds together
                return result(True, found if grown == seed else oracle.check(grown)[1])
            corrections.append(correction)
            unexplored.AddBoolOr([pick[k] for k in correction])
        else:
            mus = _shrink(oracle, found)
            muses.append(mus)
            unexplored.AddBoolOr([pick[k].Not() for k in mus])
            if len(muses) >= max_sets:
                return result(False)


def minimal_relaxation(
    scenario: Scenario,
    objective: str = "red-lines",
    weights: Mapping[str, float] | None = None,
) -> tuple[tuple[int, ...], list[bool], list[int], bool]:
    """The cheapest relaxation. With ``"red-lines"``, reservation values are kept (lowered
    only as far as unavoidable even with every red line dropped) and the fewest red lines
    are dropped, each weighted by its party's weight. With ``"reservations"``, red lines
    are kept (dropped only where they exclude each other whatever the reservation values)
    and the weighted total loss below reservation values is smallest.

    Returns the outcome, which red lines (in :func:`constraints_of` order) are dropped,
    the shortfall per party in solver units, and whether both stages are proven optimal.
    """
    costs = _party_costs(scenario, objective, weights)
    sm = build_model(scenario)
    model = sm.model
    dropped, line_cost = [], []
    for party in scenario.parties:
        for line in party.red_lines:
            drop = model.NewBoolVar(f"drop {line.name}")
            sm.forbid(line, drop.Not())
            dropped.append(drop)
            line_cost.append(costs[party.name])
    shortfall = []
    for p, party in enumerate(scenario.parties):
        # The model's utility (rounded up) never falls below the lowest utility, so the
        # shortfall never exceeds the reservation value less that.
        lowest = sm.units(party.preferences.bounds()[0])
        gap = model.NewIntVar(0, max(1, sm.units(party.reservation) - lowest + 1), f"short {party.name}")
        sm.require(p, party.reservation, shortfall=gap)
        shortfall.append(gap)
    lines_term = cp_model.LinearExpr.WeightedSum(dropped, line_cost)
    # One scale for every party's utility, so weight x units compares like weight x utility.
    short_term = cp_model.LinearExpr.WeightedSum(shortfall, [costs[party.name] for party in scenario.parties])
    # What is given up second is what the objective minimises; what is given up first is
    # only what cannot be avoided even when the other is given up entirely.
    stages = (short_term, lines_term) if objective == "red-lines" else (lines_term, short_term)
    solve = new_solver()
    optimal = True
    for stage in stages:
        model.Minimize(stage)
        status = solve.Solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise ServandaError(f"the solver found no relaxation ({solve.StatusName(status)})")
        optimal &= status == cp_model.OPTIMAL
        model.Add(stage <= round(solve.ObjectiveValue()))
    outcome = sm.decode(solve)
    return outcome, [solve.BooleanValue(d) for d in dropped], [solve.Value(s) for s in shortfall], optimal


#: Party weights are compared at this relative precision (the largest weight = 10^6).
_WEIGHT_UNITS = 10**6


def _party_costs(scenario: Scenario, objective: str, weights: Mapping[str, float] | None) -> dict[str, int]:
    """Each party's weight as a positive integer, relative to the largest weight; checks
    the objective and the weights."""
    if objective not in ("red-lines", "reservations"):
        raise ServandaError(f"objective must be 'red-lines' or 'reservations', not {objective!r}")
    weights = dict(weights or {})
    unknown = set(weights) - set(scenario.party_names)
    if unknown:
        raise ServandaError(f"weights for unknown parties: {', '.join(sorted(unknown))}")
    if any(not (isinstance(w, int | float) and 0 < w < math.inf) for w in weights.values()):
        raise ServandaError("party weights must be positive, finite numbers")
    full = {name: float(weights.get(name, 1.0)) for name in scenario.party_names}
    top = max(full.values())
    return {name: max(1, round(w / top * _WEIGHT_UNITS)) for name, w in full.items()}


def diagnose(
    scenario: Scenario,
    *,
    objective: str = "red-lines",
    weights: Mapping[str, float] | None = None,
    max_sets: int = 50,
    analyze_relaxed: bool = True,
    limit: int | None = None,
) -> Diagnosis:
    """Diagnose a deadlock: blocking sets, ways out, and the minimal relaxation with the
    bargaining solutions it makes possible (when the relaxed scenario can be analysed)."""
    _party_costs(scenario, objective, weights)
    constraints = constraints_of(scenario)
    search = blocking_sets(scenario, constraints, max_sets)
    if search.witness is not None:
        return Diagnosis(True, point_from_outcome(scenario, search.witness), (), True, (), None)
    sets = sorted(
        (tuple(constraints[k] for k in sorted(mus)) for mus in search.blocking),
        key=lambda members: (len(members), [constraints.index(c) for c in members]),
    )
    ways = sorted(
        (tuple(constraints[k] for k in sorted(c)) for c in search.corrections),
        key=lambda members: (len(members), [constraints.index(c) for c in members]),
    )
    relaxation = _relaxation(scenario, constraints, objective, weights, analyze_relaxed, limit)
    return Diagnosis(
        False, None, tuple(_explain(scenario, members) for members in sets), search.complete, tuple(ways),
        relaxation,
    )


def _relaxation(scenario, constraints, objective, weights, analyze_relaxed, limit) -> Relaxation:
    outcome, dropped_flags, _, optimal = minimal_relaxation(scenario, objective, weights)
    lines = [c for c in constraints if c.kind is Kind.RED_LINE]
    dropped = tuple(c for c, flag in zip(lines, dropped_flags) if flag)
    point = point_from_outcome(scenario, outcome)
    # Reservation values the outcome misses are lowered to exactly what it gives.
    reached = {party.name: u for party, u in zip(scenario.parties, point.utilities) if u < party.reservation}
    lowered = tuple((name, scenario.party(name).reservation - u) for name, u in reached.items())
    relaxed = relax(scenario, dropped, reached)
    analysis, note = None, ""
    if analyze_relaxed:
        try:
            analysis = analyze(relaxed, limit=limit)
        except ServandaError as exc:
            note = f"the relaxed scenario was not analysed: {exc}"
    return Relaxation(objective, dropped, lowered, optimal, point, analysis, note)


def relax(scenario: Scenario, dropped: Sequence[Constraint], reservations: Mapping[str, float]) -> Scenario:
    """The scenario without the ``dropped`` red lines and with the given new reservation
    values (set, not subtracted, so that the relaxed outcome meets them exactly)."""
    gone = {(c.party, c.name) for c in dropped if c.kind is Kind.RED_LINE}
    parties = tuple(
        dataclasses.replace(
            party,
            red_lines=tuple(line for line in party.red_lines if (party.name, line.name) not in gone),
            reservation=reservations.get(party.name, party.reservation),
        )
        for party in scenario.parties
    )
    return dataclasses.replace(scenario, parties=parties)


def _explain(scenario: Scenario, members: tuple[Constraint, ...]) -> BlockingSet:
    names = scenario.space.names
    touched: list[int] = []
    for c in members:
        if c.red_line is not None:
            for box in c.red_line.boxes:
                touched += [issue for issue, _ in box if issue not in touched]
    issues = tuple(names[i] for i in sorted(touched))
    lines = [c for c in members if c.kind is Kind.RED_LINE]
    labels = _join([c.label for c in members])
    if len(lines) == len(members) and len(touched) == 1 and all(c.red_line.is_separable for c in lines):
        issue = scenario.issues[touched[0]]
        accepted = [
            [str(issue.options[o]) for o in np.flatnonzero(~c.red_line.forbidden_options(touched[0], issue.size))]
            for c in lines
        ]
        if len(members) == 1:
            text = f"{labels} forbids every option of {issue.name}"
        else:
            details = "; ".join(
                f"{c.party} accepts only {', '.join(options) or 'nothing'}" for c, options in zip(lines, accepted)
            )
            text = f"{labels} exclude each other on {issue.name} ({details})"
    elif len(members) == 1:
        text = f"no outcome at all meets {labels}"
    else:
        where = f" on {_join(list(issues))}" if issues else ""
        text = f"{labels} cannot all hold{where}: no outcome meets them together, and without any one of them some outcome does"
    return BlockingSet(members, issues, text)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def diagnosis_dict(diagnosis: Diagnosis, scenario: Scenario) -> dict:
    """The diagnosis as plain data (JSON-ready)."""
    from servanda.analysis.report import point_dict

    names = scenario.party_names

    def constraint(c: Constraint) -> dict:
        return {"party": c.party, "kind": c.kind.value, "name": c.name}

    relaxation = diagnosis.relaxation
    return {
        "scenario": scenario.name,
        "agreement_possible": diagnosis.agreement_possible,
        "witness": point_dict(diagnosis.witness, names),
        "complete": diagnosis.complete,
        "blocking_sets": [
            {"constraints": [constraint(c) for c in b.constraints], "issues": list(b.issues),
             "explanation": b.explanation}
            for b in diagnosis.blocking_sets
        ],
        "ways_out": [[constraint(c) for c in way] for way in diagnosis.ways_out],
        "relaxation": None if relaxation is None else {
            "objective": relaxation.objective,
            "optimal": relaxation.optimal,
            "drop": [constraint(c) for c in relaxation.dropped],
            "lower_reservations": dict(relaxation.lowered),
            "outcome": point_dict(relaxation.outcome, names),
            "zone_of_possible_agreement": None if relaxation.analysis is None else relaxation.analysis.zone_size,
            "solutions": None if relaxation.analysis is None else {
                name: point_dict(pt, names) for name, pt in relaxation.analysis.solutions.items()
            },
            "note": relaxation.note,
        },
    }
