"""A scenario as a CP-SAT model (Google OR-Tools): the choice of one option per issue as
one-hot booleans, each party's utility as an integer linear expression, and red lines and
reservation values as constraints that literals switch on and off.

CP-SAT needs integer coefficients. Utilities are scaled by one factor for all parties (10^9
units for the largest magnitude among utilities and reservation values) and rounded *up*,
reservation values rounded *down*: the model never refuses an outcome that meets a
reservation value, so "infeasible" is exact; an outcome it accepts is re-evaluated in
floating point, as :func:`servanda.analysis.utilities.utilities` computes it, and the
callers exclude it when it misses by less than the resolution (see :meth:`exclude`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from servanda.errors import UnsupportedError
from servanda.model import RedLine, Scenario

#: Issues with more options than this are not modelled option by option.
MAX_OPTIONS = 10_000
_RESOLUTION = 10**9


@dataclass
class ScenarioModel:
    """The CP-SAT model of a scenario and the handles to its parts."""

    model: cp_model.CpModel
    choice: list[list[cp_model.IntVar]]  # choice[i][o]: issue i takes option o
    utility: list[cp_model.LinearExpr]  # per party, in units of 1/scale, rounded up
    scale: float

    def decode(self, solver: cp_model.CpSolver) -> tuple[int, ...]:
        """The outcome (option indices) of the solver's current solution."""
        return tuple(
            next(o for o, var in enumerate(options) if solver.BooleanValue(var))
            for options in self.choice
        )

    def forbid(self, line: RedLine, enforce: cp_model.IntVar | None = None) -> None:
        """The outcome lies in no box of ``line`` (when ``enforce`` is true)."""
        for box in line.boxes:
            # Outside a box = some condition fails = the issue takes an option outside the mask.
            escape = [
                self.choice[issue][o] for issue, mask in box for o in range(len(mask)) if not mask[o]
            ]
            clause = self.model.AddBoolOr(escape) if escape else self.model.AddBoolOr([False])
            if enforce is not None:
                clause.OnlyEnforceIf(enforce)

    def require(
        self,
        party: int,
        reservation: float,
        enforce: cp_model.IntVar | None = None,
        shortfall: cp_model.IntVar | None = None,
    ) -> None:
        """Utility of ``party`` at least ``reservation`` (minus ``shortfall`` units)."""
        threshold = math.floor(reservation * self.scale)
        expression = self.utility[party] + (shortfall if shortfall is not None else 0)
        constraint = self.model.Add(expression >= threshold)
        if enforce is not None:
            constraint.OnlyEnforceIf(enforce)

    def units(self, value: float) -> int:
        """``value`` in integer units, rounded down."""
        return math.floor(value * self.scale)

    def exclude(self, outcome: Sequence[int], enforce: cp_model.IntVar | None = None) -> None:
        """Never choose ``outcome`` again (when ``enforce`` is true)."""
        cut = self.model.AddBoolOr([self.choice[i][o].Not() for i, o in enumerate(outcome)])
        if enforce is not None:
            cut.OnlyEnforceIf(enforce)


def build_model(scenario: Scenario) -> ScenarioModel:
    """The choice variables and every party's utility; no constraint beyond one option per
    issue (add them with :meth:`ScenarioModel.forbid` and :meth:`ScenarioModel.require`)."""
    too_big = [issue for issue in scenario.issues if issue.size > MAX_OPTIONS]
    if too_big:
        issue = too_big[0]
        raise UnsupportedError(
            f"issue '{issue.name}' has {issue.size:,} options; the solver models up to "
            f"{MAX_OPTIONS:,} per issue (give it fewer steps)"
        )
    model = cp_model.CpModel()
    choice = [[model.NewBoolVar(f"{issue.name}={o}") for o in range(issue.size)] for issue in scenario.issues]
    for options in choice:
        model.AddExactlyOne(options)
    magnitude = max(
        [abs(bound) for party in scenario.parties for bound in party.preferences.bounds()]
        + [abs(party.reservation) for party in scenario.parties]
        + [1e-9]
    )
    scale = _RESOLUTION / magnitude
    utility = []
    for party in scenario.parties:
        preferences = party.preferences
        terms = []
        for options, table in zip(choice, preferences.weighted_tables):
            terms.extend((var, math.ceil(value * scale)) for var, value in zip(options, table))
        for term in preferences.interactions:
            for (a, b), value in _nonzero(term.matrix):
                both = model.NewBoolVar("")
                model.AddBoolAnd([choice[term.first][a], choice[term.second][b]]).OnlyEnforceIf(both)
                model.AddBoolOr([choice[term.first][a].Not(), choice[term.second][b].Not()]).OnlyEnforceIf(both.Not())
                terms.append((both, math.ceil(value * scale)))
        utility.append(cp_model.LinearExpr.WeightedSum([v for v, _ in terms], [c for _, c in terms]))
    return ScenarioModel(model, choice, utility, scale)


def _nonzero(matrix) -> Sequence[tuple[tuple[int, int], float]]:
    rows, cols = matrix.nonzero()
    return [((int(a), int(b)), float(matrix[a, b])) for a, b in zip(rows, cols)]


def new_solver(workers: int = 1, seconds: float | None = None) -> cp_model.CpSolver:
    """A CP-SAT solver: one worker by default, so that results are reproducible."""
    solve = cp_model.CpSolver()
    solve.parameters.num_workers = workers
    if seconds is not None:
        solve.parameters.max_time_in_seconds = seconds
    return solve
