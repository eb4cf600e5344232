"""Sensitivity of the nominal conclusions: how far one parameter may move before a
conclusion changes.

The conclusions are those of :func:`servanda.analysis.analyze` at the nominal preferences:
*the zone of possible agreement is not empty* and *the Nash point is outcome X*, or, when
the zone is empty, *deadlock*. The parameters are every party's issue weights (moved with
the other weights scaled to keep their sum — "renormalising"), option values and
reservation value. For each parameter and conclusion the analysis gives the nearest values
below and above the nominal one at which the conclusion changes: the *stability radius*
in each direction (the one-parameter form of the stability analysis of multicriteria
decisions; see R. Lahdelma and P. Salminen, "SMAA-2", *Operations Research* 49(3), 2001,
and the weight stability intervals of the decision-analysis literature).

The radii are exact, not searched for. Moving one parameter of party ``j`` by ``d`` changes
only ``j``'s utilities, and each outcome's gain over ``j``'s reservation value becomes
``(alpha + beta * d) / f(d)`` with one positive factor ``f`` common to all outcomes
(``f = 1`` for a value or the reservation; ``f = (S + d) / S`` for a weight raised by ``d``
before the weights are scaled back to their sum ``S``). The other parties' gains stay, so
the zone's outcomes are those others accept whose ``alpha + beta * d >= 0``, and the Nash
product of each is its others' product times that affine function: every change is where
two lines cross or one crosses zero, found for all outcomes at once with array arithmetic.
The result is exact up to floating-point rounding; the tests check each radius by
recomputing the conclusion with :func:`servanda.analysis.analyze` at one part in a million
inside and outside it. A change exactly at a tie counts: a radius is 0 when the nominal
Nash point wins a tie (on the sum of utilities or the outcome index) that a small move in
one direction breaks the other way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from servanda.analysis.report import Point, point_dict, point_from_outcome
from servanda.analysis.solutions import nash_point
from servanda.analysis.uncertainty import ROBUST_LIMIT, _tracked
from servanda.analysis.utilities import utilities
from servanda.errors import ServandaError
from servanda.model import Preferences, Scenario
from servanda.model.issues import Option
from servanda.model.uncertainty import UncertainScenario

#: Conclusions, in the order they are reported.
CONCLUSIONS = ("nash", "zone", "deadlock")
CONCLUSION_TITLES = {
    "nash": "the Nash point",
    "zone": "a zone of possible agreement exists",
    "deadlock": "deadlock (no zone of possible agreement)",
}
#: Issues with more options than this get no per-option value parameters (unless uncertain).
MAX_VALUE_PARAMETERS = 50


@dataclass(frozen=True)
class Parameter:
    """One number of one party's preferences.

    ``kind`` is "weight" (of ``issue``, normalised: the others are scaled to keep the sum),
    "value" (of ``option`` of ``issue``) or "reservation". ``domain`` is where it may go
    (weights [0, sum], values [0, 1] in a scenario file, a reservation value between the
    party's lowest and highest utility); ``assumed`` the range the uncertainty gives it
    (about the central 95 % for a distribution), None when it is exact."""

    party: str
    kind: str
    issue: str | None
    option: Option | None
    nominal: float
    domain: tuple[float, float]
    assumed: tuple[float, float] | None
    position: tuple[int, int, int] = field(compare=False, repr=False)  # (party, issue, option); -1 where none

    @property
    def label(self) -> str:
        if self.kind == "weight":
            return f"{self.party}: weight of {self.issue}"
        if self.kind == "value":
            return f"{self.party}: value of {self.issue}={self.option}"
        return f"{self.party}: reservation value"

    def apply(self, scenario: Scenario, value: float) -> Scenario:
        """The scenario with this parameter set to ``value`` (for a weight, the party's
        other weights scaled so that the sum stays)."""
        j, i, o = self.position
        party = scenario.parties[j]
        prefs = party.preferences
        if self.kind == "reservation":
            changed = replace(party, reservation=float(value))
        else:
            weights, tables = prefs.weights.copy(), [t.copy() for t in prefs.tables]
            if self.kind == "weight":
                total = float(weights.sum())
                rest = total - weights[i]
                if rest > 0:
                    weights *= (total - value) / rest
                weights[i] = value
            else:
                tables[i][o] = value
            changed = replace(party, preferences=Preferences(weights, tuple(tables), prefs.interactions))
        parties = list(scenario.parties)
        parties[j] = changed
        return replace(scenario, parties=tuple(parties))


@dataclass(frozen=True)
class Radius:
    """Where a conclusion changes as one parameter moves: ``low`` is the nearest value
    below the nominal one at which it changes (None: nowhere in the domain), ``high`` the
    nearest above. Between them the conclusion holds."""

    parameter: Parameter
    conclusion: str
    low: float | None
    high: float | None

    @property
    def down(self) -> float:
        """How far the parameter may fall (inf: anywhere in its domain)."""
        return math.inf if self.low is None else self.parameter.nominal - self.low

    @property
    def up(self) -> float:
        return math.inf if self.high is None else self.high - self.parameter.nominal

    @property
    def radius(self) -> float:
        """The stability radius: the smaller of the two distances."""
        return min(self.down, self.up)

    @property
    def within_assumed(self) -> bool:
        """True when the conclusion changes inside the range the uncertainty assumes."""
        assumed = self.parameter.assumed
        if assumed is None:
            return False
        return (self.low is not None and self.low >= assumed[0]) or (
            self.high is not None and self.high <= assumed[1]
        )


@dataclass(frozen=True)
class Conclusion:
    """A nominal conclusion: its name (one of :data:`CONCLUSIONS`), a sentence, and the
    outcome it is about (the Nash point)."""

    name: str
    text: str
    outcome: Point | None = None


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """Stability radii of the nominal conclusions, one per parameter and conclusion."""

    scenario: Scenario
    red_lines_respected: bool
    conclusions: tuple[Conclusion, ...]
    parameters: tuple[Parameter, ...]
    radii: tuple[Radius, ...]

    def ranked(self, conclusion: str, top: int | None = None) -> list[Radius]:
        """The radii of one conclusion, smallest first (then by label)."""
        rows = sorted(
            (r for r in self.radii if r.conclusion == conclusion),
            key=lambda r: (r.radius, r.parameter.label),
        )
        return rows if top is None else rows[:top]

    def conclusion(self, name: str) -> Conclusion | None:
        return next((c for c in self.conclusions if c.name == name), None)


def parameters_of(model: UncertainScenario, which: str = "all") -> list[Parameter]:
    """Every weight, option value and reservation value of every party ("all"), or only
    the uncertain ones ("uncertain")."""
    if which not in ("all", "uncertain"):
        raise ServandaError(f"parameters must be 'all' or 'uncertain', not {which!r}")
    scenario = model.scenario
    out = []
    for j, party in enumerate(scenario.parties):
        prefs = party.preferences
        total = float(prefs.weights.sum())
        for i, issue in enumerate(scenario.issues):
            assumed = model.weight_range(j, i)
            if which == "all" or assumed is not None:
                out.append(Parameter(party.name, "weight", issue.name, None, float(prefs.weights[i]),
                                     (0.0, total), assumed, (j, i, -1)))
        for i, issue in enumerate(scenario.issues):
            table = prefs.tables[i]
            domain = (min(0.0, float(table.min())), max(1.0, float(table.max())))
            for o, option in enumerate(issue.options):
                assumed = model.value_range(j, i, o)
                if assumed is None and (which == "uncertain" or issue.size > MAX_VALUE_PARAMETERS):
                    continue
                out.append(Parameter(party.name, "value", issue.name, option, float(table[o]), domain,
                                     assumed, (j, i, o)))
        assumed = model.reservation_range(j)
        if which == "all" or assumed is not None:
            low, high = prefs.bounds()
            domain = (min(low, party.reservation), max(high, party.reservation))
            out.append(Parameter(party.name, "reservation", None, None, float(party.reservation), domain,
                                 assumed, (j, -1, -1)))
    return out


def sensitivity(
    model: UncertainScenario | Scenario,
    *,
    respect_red_lines: bool = True,
    parameters: str = "all",
    limit: int | None = None,
) -> Sensitivity:
    """Stability radii of the nominal conclusions for every parameter.

    Parameters
    ----------
    model : UncertainScenario or Scenario
        The uncertainty only supplies each parameter's assumed range.
    respect_red_lines : bool, default True
        False: the conclusions of the scenario with every red line dropped.
    parameters : {"all", "uncertain"}, default "all"
    limit : int, optional
        Largest number of outcomes breaking no red line to go through (default
        :data:`servanda.analysis.uncertainty.ROBUST_LIMIT`).
    """
    if isinstance(model, Scenario):
        model = UncertainScenario.exact(model)
    scenario = model.scenario if respect_red_lines else model.scenario.without_red_lines()
    params = parameters_of(model, parameters)
    tracked = _tracked(scenario, ROBUST_LIMIT if limit is None else int(limit))
    digits = scenario.space.digits(tracked.indices)
    utils = utilities(scenario, digits)
    r = scenario.reservations
    gains = utils - r
    zone = np.all(gains >= 0, axis=1)
    conclusions: list[Conclusion] = []
    nash_row = None
    if zone.any():
        zone_rows = np.flatnonzero(zone)
        nash_row = int(zone_rows[nash_point(utils[zone_rows], r)])
        nash = point_from_outcome(scenario, tuple(int(d) for d in digits[nash_row]))
        labels = ", ".join(f"{k}={v}" for k, v in nash.labels.items())
        zone_text = f"a zone of possible agreement exists ({zone.sum():,} outcomes)"
        if np.prod(gains[nash_row]) > 0:
            conclusions.append(Conclusion("nash", f"the Nash point is outcome {nash.index} ({labels})", nash))
        else:
            # Every outcome of the zone leaves some party no gain: the Nash point is decided
            # by the tie-break (largest sum of utilities), which the radii here do not model.
            zone_text += (f"; its Nash point, outcome {nash.index}, is decided by the tie-break (every "
                          "outcome of the zone leaves some party no gain), so its stability is not computed")
        conclusions.append(Conclusion("zone", zone_text))
    elif tracked.size == 0:
        conclusions.append(Conclusion("deadlock", "deadlock: the red lines leave no outcome, whatever the preferences"))
    else:
        conclusions.append(Conclusion(
            "deadlock", "deadlock: no outcome breaking no red line meets every reservation value"
        ))
    radii = []
    parties = len(scenario.parties)
    others: list[tuple[np.ndarray, np.ndarray]] = []
    for j in range(parties):
        rest = [k for k in range(parties) if k != j]
        accepted = np.all(gains[:, rest] >= 0, axis=1) if rest else np.ones(len(gains), dtype=bool)
        rows = np.flatnonzero(accepted)
        product = np.prod(gains[rows][:, rest], axis=1) if rest else np.ones(rows.size)
        others.append((rows, product))
    interactions = [
        sum((t.evaluate(digits) for t in p.preferences.interactions), np.zeros(len(digits)))
        for p in scenario.parties
    ]
    for param in params:
        j, i, o = param.position
        rows, product = others[j]
        alpha = gains[rows, j]
        beta = _slope(param, scenario, digits[rows], interactions[j][rows], r[j])
        n = None if nash_row is None else int(np.searchsorted(rows, nash_row))
        for c in conclusions:
            if beta is None:
                low_d = high_d = None
            elif c.name == "zone":
                low_d, high_d = _zone_events(alpha, beta)
            elif c.name == "deadlock":
                low_d, high_d = _deadlock_events(alpha, beta)
            else:
                low_d, high_d = _nash_events(alpha, beta, product, n)
            radii.append(Radius(param, c.name, _value_at(param, low_d), _value_at(param, high_d)))
    return Sensitivity(scenario, respect_red_lines, tuple(conclusions), tuple(params), tuple(radii))


def _slope(param: Parameter, scenario: Scenario, digits: np.ndarray, extra: np.ndarray, reservation: float):
    """``beta`` per outcome (see the module docstring), None when the parameter cannot
    move (a weight that is the party's whole weight, or a zero weight sum)."""
    j, i, o = param.position
    prefs = scenario.parties[j].preferences
    if param.kind == "reservation":
        return np.full(len(digits), -1.0)
    if param.kind == "value":
        return np.where(digits[:, i] == o, float(prefs.weights[i]), 0.0)
    total = float(prefs.weights.sum())
    if not total > 0 or prefs.weights[i] >= total:
        return None
    # Gain times (S + d) / S: alpha + d * (v_i(o_i) + (M(o) - r) / S).
    return prefs.tables[i][digits[:, i]] + (extra - reservation) / total


def _zone_events(alpha: np.ndarray, beta: np.ndarray) -> tuple[float | None, float | None]:
    """The zone is empty where every line ``alpha + beta d`` is negative: an interval
    (lo, hi) on one side of 0."""
    if np.any((beta == 0) & (alpha >= 0)):
        return None, None
    falling, rising = beta < 0, beta > 0
    lo = float(np.max(-alpha[falling] / beta[falling])) if falling.any() else -math.inf
    hi = float(np.min(-alpha[rising] / beta[rising])) if rising.any() else math.inf
    if not lo < hi:
        return None, None
    if hi <= 0:
        return hi, None
    if lo >= 0:
        return None, lo
    return None, None  # only by rounding: the zone is not empty at d = 0


def _deadlock_events(alpha: np.ndarray, beta: np.ndarray) -> tuple[float | None, float | None]:
    """The deadlock ends where the first line reaches zero."""
    rising, falling = beta > 0, beta < 0
    up = float(np.min(-alpha[rising] / beta[rising])) if rising.any() else None
    down = float(np.max(-alpha[falling] / beta[falling])) if falling.any() else None
    return down, up


def _nash_events(alpha: np.ndarray, beta: np.ndarray, product: np.ndarray, n: int | None):
    """The Nash point changes where another outcome's product line overtakes the nominal
    one's, or where the nominal one leaves the zone."""
    assert n is not None
    c0, c1 = product * alpha, product * beta
    d0, d1 = c0 - c0[n], c1 - c1[n]
    d0[n], d1[n] = -1.0, 0.0  # not its own rival
    ups, downs = [], []
    rising, falling = d1 > 0, d1 < 0
    if rising.any():
        ups.append(float(np.min(np.maximum(-d0[rising] / d1[rising], 0.0))))
    if falling.any():
        downs.append(float(np.max(np.minimum(-d0[falling] / d1[falling], 0.0))))
    if beta[n] < 0:
        ups.append(max(0.0, -alpha[n] / beta[n]))
    elif beta[n] > 0:
        downs.append(min(0.0, -alpha[n] / beta[n]))
    return (max(downs) if downs else None), (min(ups) if ups else None)


def _value_at(param: Parameter, d: float | None) -> float | None:
    """The parameter's value after a move ``d`` (None when outside its domain)."""
    if d is None or not math.isfinite(d):
        return None
    if param.kind == "weight":
        j, i, _ = param.position
        total = param.domain[1]
        w = param.nominal
        if d < -w:
            return None
        value = (w + d) * total / (total + d)
    else:
        value = param.nominal + d
    low, high = param.domain
    # A conclusion changes just past its change point; at the end of the domain that is
    # outside it, so nothing the parameter can take changes the conclusion.
    if not low + 1e-12 < value < high - 1e-12:
        return None
    return float(value)


def sensitivity_dict(result: Sensitivity, top: int | None = None) -> dict[str, Any]:
    """The sensitivity as plain data (JSON-ready): per conclusion, the radii smallest first."""
    names = result.scenario.party_names

    def finite(x: float | None) -> float | None:
        return None if x is None or not math.isfinite(x) else float(x)

    return {
        "red_lines_respected": result.red_lines_respected,
        "conclusions": [
            {
                "name": c.name,
                "text": c.text,
                "outcome": point_dict(c.outcome, names),
                "radii": [
                    {
                        "parameter": r.parameter.label,
                        "party": r.parameter.party,
                        "kind": r.parameter.kind,
                        "issue": r.parameter.issue,
                        "option": r.parameter.option,
                        "nominal": r.parameter.nominal,
                        "domain": list(r.parameter.domain),
                        "assumed": None if r.parameter.assumed is None else list(r.parameter.assumed),
                        "changes_below": r.low,
                        "changes_above": r.high,
                        "radius": finite(r.radius),
                        "changes_within_assumed_range": r.within_assumed,
                    }
                    for r in result.ranked(c.name, top)
                ],
            }
            for c in result.conclusions
        ],
    }


__all__ = [
    "CONCLUSIONS",
    "Conclusion",
    "Parameter",
    "Radius",
    "Sensitivity",
    "parameters_of",
    "sensitivity",
    "sensitivity_dict",
]
