"""Uncertain preferences: weights, option values and reservation values known only as
ranges or distributions.

A scenario's own numbers are the *nominal* preferences, the point estimate every other
analysis uses. :class:`UncertainScenario` adds, per party, what is uncertain about them:

- a weight as a range ``[low, high]`` (drawn uniformly) or a normal distribution (truncated
  to weights >= 0); the drawn weights, with the exact ones, are then scaled to the sum of
  the nominal weights (1 in a scenario file), so a range states the weight *relative to the
  others* — the usual "draw in the box, renormalise" of stochastic multicriteria
  acceptability analysis (Lahdelma & Salminen, "SMAA-2", *Operations Research* 49(3), 2001);
- or the weights of some issues as a Dirichlet distribution that shares those issues' total
  nominal weight among them (so the weight vector keeps its sum without renormalising);
- an option's value as a range or a normal distribution (truncated to the values' domain,
  [0, 1] in a scenario file);
- the reservation value as a range or a normal distribution.

Everything not mentioned keeps its nominal value, and interaction terms are exact.
:meth:`UncertainScenario.sample` draws whole preference tables for many samples at once
from a seeded :class:`numpy.random.Generator`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from statistics import NormalDist

import numpy as np

from servanda.errors import ScenarioError
from servanda.model.preferences import Preferences
from servanda.model.scenario import Scenario

#: A normal distribution must keep at least this share of its mass inside its bounds; below
#: it, truncation would change the distribution beyond recognition (and rejection sampling
#: would be slow).
MIN_NORMAL_MASS = 1e-3


@dataclass(frozen=True)
class Interval:
    """Uniform on ``[low, high]`` (a single value when ``low == high``)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ScenarioError(f"a range needs finite bounds, got [{self.low}, {self.high}]")
        if self.low > self.high:
            raise ScenarioError(f"range [{self.low}, {self.high}]: low is above high")

    @property
    def support(self) -> tuple[float, float]:
        return float(self.low), float(self.high)

    @property
    def central(self) -> tuple[float, float]:
        """The range itself: every value in it is as plausible as any other."""
        return self.support

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n) if self.high > self.low else np.full(n, float(self.low))


@dataclass(frozen=True)
class Normal:
    """Normal with ``mean`` and standard deviation ``sd``, truncated to ``[low, high]``
    (draws outside are redrawn, so no value piles up at a bound)."""

    mean: float
    sd: float
    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and math.isfinite(self.sd) and self.sd > 0):
            raise ScenarioError(
                f"normal [{self.mean}, {self.sd}]: needs a finite mean and a standard deviation > 0"
            )
        if not self.low < self.high:
            raise ScenarioError(f"normal truncated to [{self.low}, {self.high}]: empty domain")
        if self.mass < MIN_NORMAL_MASS:
            raise ScenarioError(
                f"normal [{self.mean}, {self.sd}] puts {self.mass:.2g} of its mass inside "
                f"[{self.low:g}, {self.high:g}]; expected a mean near that domain or a wider spread"
            )

    @property
    def mass(self) -> float:
        """Probability of ``[low, high]`` under the untruncated normal."""
        dist = NormalDist(self.mean, self.sd)
        return dist.cdf(self.high) - dist.cdf(self.low)

    @property
    def support(self) -> tuple[float, float]:
        return float(self.low), float(self.high)

    @property
    def central(self) -> tuple[float, float]:
        """The central 95 % of the truncated distribution (its 2.5 % and 97.5 % quantiles)."""
        dist = NormalDist(self.mean, self.sd)
        lo, hi = dist.cdf(self.low), dist.cdf(self.high)
        return (
            float(max(self.low, dist.inv_cdf(min(max(lo + 0.025 * (hi - lo), 1e-300), 1 - 1e-16)))),
            float(min(self.high, dist.inv_cdf(min(max(lo + 0.975 * (hi - lo), 1e-300), 1 - 1e-16)))),
        )

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = np.empty(n)
        filled = 0
        while filled < n:
            # Enough draws to finish in one round with high probability.
            want = n - filled
            draws = rng.normal(self.mean, self.sd, int(want / self.mass * 1.1) + 16)
            draws = draws[(draws >= self.low) & (draws <= self.high)][:want]
            out[filled : filled + draws.size] = draws
            filled += draws.size
        return out


Distribution = Interval | Normal


@dataclass(frozen=True)
class Dirichlet:
    """The weights of ``issues`` (positions) drawn as ``mass * Dirichlet(alphas)``, where
    ``mass`` is their total nominal weight. ``concentration`` records the file's shorthand
    ``dirichlet: c`` (alphas proportional to the nominal weights, summing to ``c``), so that
    the file is written back as it was given."""

    issues: tuple[int, ...]
    alphas: tuple[float, ...]
    concentration: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "issues", tuple(int(i) for i in self.issues))
        object.__setattr__(self, "alphas", tuple(float(a) for a in self.alphas))
        if len(self.issues) != len(self.alphas):
            raise ScenarioError(f"a Dirichlet needs one alpha per issue, got {len(self.alphas)} for {len(self.issues)}")
        if len(self.issues) < 2:
            raise ScenarioError("a Dirichlet over the weights needs at least two issues")
        if len(set(self.issues)) != len(self.issues):
            raise ScenarioError("a Dirichlet names an issue twice")
        if not all(math.isfinite(a) and a > 0 for a in self.alphas):
            raise ScenarioError("every Dirichlet alpha must be a finite number > 0")

    @classmethod
    def around(cls, weights: np.ndarray, concentration: float) -> Dirichlet:
        """Alphas ``concentration * w_i / sum(w)`` over the issues of positive weight: mean
        at the nominal weights, spread shrinking as the concentration grows."""
        if not (math.isfinite(concentration) and concentration > 0):
            raise ScenarioError(f"the Dirichlet concentration must be a number > 0, got {concentration}")
        weights = np.asarray(weights, dtype=float)
        issues = tuple(int(i) for i in np.flatnonzero(weights > 0))
        total = float(weights[list(issues)].sum()) if issues else 0.0
        alphas = tuple(concentration * float(weights[i]) / total for i in issues)
        return cls(issues, alphas, concentration)


@dataclass(frozen=True)
class PartyUncertainty:
    """What is uncertain about one party's preferences (nothing, by default).

    ``weights`` holds ``(issue position, distribution)`` pairs, ``dirichlet`` the other way
    to give uncertain weights (not both), ``values`` holds ``(issue position, option
    position, distribution)`` triples and ``reservation`` the reservation value's
    distribution. ``note`` is free text (where the ranges come from: "assumed")."""

    weights: tuple[tuple[int, Distribution], ...] = ()
    dirichlet: Dirichlet | None = None
    values: tuple[tuple[int, int, Distribution], ...] = ()
    reservation: Distribution | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", tuple((int(i), d) for i, d in self.weights))
        object.__setattr__(self, "values", tuple((int(i), int(o), d) for i, o, d in self.values))
        if self.weights and self.dirichlet is not None:
            raise ScenarioError("give uncertain weights per issue or as a Dirichlet, not both")
        if len({i for i, _ in self.weights}) != len(self.weights):
            raise ScenarioError("an issue's weight is made uncertain twice")
        if len({(i, o) for i, o, _ in self.values}) != len(self.values):
            raise ScenarioError("an option's value is made uncertain twice")
        for _, d in self.weights:
            if d.support[0] < 0:
                raise ScenarioError(f"a weight's range must lie in [0, inf), got {list(d.support)}")

    @property
    def is_exact(self) -> bool:
        return not (self.weights or self.dirichlet or self.values or self.reservation)

    @property
    def weights_uncertain(self) -> bool:
        return bool(self.weights) or self.dirichlet is not None


@dataclass(frozen=True, eq=False)
class PreferenceSample:
    """``n`` drawn preference tables of every party.

    Attributes
    ----------
    weights : ndarray, shape (n, parties, issues)
    tables : tuple of ndarray, one per issue, shape (n, parties, options)
        Option values. An issue whose values are exact for every party is a read-only
        broadcast view of the nominal tables (no memory per sample).
    reservations : ndarray, shape (n, parties)
    """

    weights: np.ndarray
    tables: tuple[np.ndarray, ...]
    reservations: np.ndarray

    def __len__(self) -> int:
        return int(self.weights.shape[0])

    def take(self, rows: slice | np.ndarray) -> PreferenceSample:
        """The samples at ``rows``."""
        return PreferenceSample(
            self.weights[rows], tuple(t[rows] for t in self.tables), self.reservations[rows]
        )

    def weighted(self, issue: int) -> np.ndarray:
        """``w_i * v_i`` of every party and option: shape (n, parties, options)."""
        return self.weights[:, :, issue, None] * self.tables[issue]


@dataclass(frozen=True, eq=False)
class UncertainScenario:
    """A scenario with uncertain preferences: ``parties[j]`` says what is uncertain about
    ``scenario.parties[j]``. Checked against the scenario when built."""

    scenario: Scenario
    parties: tuple[PartyUncertainty, ...] = field(default=())

    def __post_init__(self) -> None:
        parties = tuple(self.parties) or tuple(PartyUncertainty() for _ in self.scenario.parties)
        object.__setattr__(self, "parties", parties)
        if len(parties) != len(self.scenario.parties):
            raise ScenarioError(
                f"{len(parties)} party uncertainties for {len(self.scenario.parties)} parties"
            )
        issues = self.scenario.issues
        for party, unc in zip(self.scenario.parties, parties):
            weights = party.preferences.weights
            where = f"party '{party.name}'"
            for i, _ in unc.weights:
                if not 0 <= i < len(issues):
                    raise ScenarioError(f"{where}: an uncertain weight refers to a missing issue")
            if unc.weights_uncertain and not weights.sum() > 0 and unc.dirichlet is None:
                raise ScenarioError(f"{where}: uncertain weights need nominal weights with a positive sum")
            if unc.dirichlet is not None:
                if not all(0 <= i < len(issues) for i in unc.dirichlet.issues):
                    raise ScenarioError(f"{where}: the Dirichlet refers to a missing issue")
                if not weights[list(unc.dirichlet.issues)].sum() > 0:
                    raise ScenarioError(f"{where}: the Dirichlet's issues have no nominal weight to share")
            for i, o, _ in unc.values:
                if not (0 <= i < len(issues) and 0 <= o < issues[i].size):
                    raise ScenarioError(f"{where}: an uncertain value refers to a missing option")

    @classmethod
    def exact(cls, scenario: Scenario) -> UncertainScenario:
        """The scenario with nothing uncertain."""
        return cls(scenario, tuple(PartyUncertainty() for _ in scenario.parties))

    @property
    def is_exact(self) -> bool:
        """True when nothing is uncertain (every sample is the nominal scenario)."""
        return all(unc.is_exact for unc in self.parties)

    @property
    def values_exact(self) -> bool:
        """True when every option value is exact (only weights and reservations vary)."""
        return not any(unc.values for unc in self.parties)

    def select(self, names: Sequence[str]) -> UncertainScenario:
        """The same, seen by a subset of the parties (in the given order)."""
        positions = [self.scenario.party_names.index(self.scenario.party(n).name) for n in names]
        return UncertainScenario(self.scenario.select(names), tuple(self.parties[p] for p in positions))

    def with_scenario(self, scenario: Scenario) -> UncertainScenario:
        """The same uncertainty over another version of the scenario with the same issues and
        parties (say, :meth:`Scenario.without_red_lines`)."""
        return UncertainScenario(scenario, self.parties)

    # -- sampling -----------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, n: int) -> PreferenceSample:
        """Draw ``n`` preference tables of every party, vectorised over the samples.

        Draws are made party by party, in the order weights, option values (issue by issue,
        option by option), reservation value, so a seed fixes every sample."""
        n = int(n)
        if n < 0:
            raise ValueError(f"cannot draw {n} samples")
        scenario = self.scenario
        k, parties = len(scenario.issues), len(scenario.parties)
        weights = np.empty((n, parties, k))
        reservations = np.empty((n, parties))
        uncertain_issues = {i for unc in self.parties for i, _, _ in unc.values}
        nominal = [np.stack([p.preferences.tables[i] for p in scenario.parties]) for i in range(k)]
        tables: list[np.ndarray] = []
        for i in range(k):
            if i in uncertain_issues:
                tables.append(np.repeat(nominal[i][None], n, axis=0))
            else:
                view = np.broadcast_to(nominal[i], (n, *nominal[i].shape))
                tables.append(view)
        for j, (party, unc) in enumerate(zip(scenario.parties, self.parties)):
            weights[:, j, :] = _draw_weights(party.preferences, unc, rng, n)
            for i, o, dist in unc.values:
                tables[i][:, j, o] = dist.sample(rng, n)
            reservations[:, j] = (
                party.reservation if unc.reservation is None else unc.reservation.sample(rng, n)
            )
        return PreferenceSample(weights, tuple(tables), reservations)

    def realise(self, sample: PreferenceSample, row: int) -> Scenario:
        """The scenario with the preferences of sample ``row`` (for checks and what-ifs)."""
        parties = tuple(
            replace(
                party,
                preferences=Preferences(
                    sample.weights[row, j],
                    tuple(np.array(t[row, j]) for t in sample.tables),
                    party.preferences.interactions,
                ),
                reservation=float(sample.reservations[row, j]),
            )
            for j, party in enumerate(self.scenario.parties)
        )
        return replace(self.scenario, parties=parties)

    # -- ranges of single parameters ----------------------------------------------------
    def weight_range(self, party: int, issue: int) -> tuple[float, float] | None:
        """Range of the (normalised) weight of ``issue`` for ``party``: for ranges, every
        weight the renormalised draws can give; for distributions, about their central
        95 %. None when the weight is exact."""
        unc, prefs = self.parties[party], self.scenario.parties[party].preferences
        nominal = prefs.weights
        total = float(nominal.sum())
        if unc.dirichlet is not None:
            d = unc.dirichlet
            if issue not in d.issues:
                return None
            mass = float(nominal[list(d.issues)].sum())
            alpha = d.alphas[d.issues.index(issue)]
            a0 = sum(d.alphas)
            mean = alpha / a0
            sd = math.sqrt(mean * (1 - mean) / (a0 + 1))
            return max(0.0, mass * (mean - 1.96 * sd)), min(mass, mass * (mean + 1.96 * sd))
        given = dict(unc.weights)
        if issue not in given:
            # An exact weight still moves when the others are renormalised.
            if not given:
                return None
        lows = np.array([given[i].central[0] if i in given else nominal[i] for i in range(len(nominal))])
        highs = np.array([given[i].central[1] if i in given else nominal[i] for i in range(len(nominal))])
        others_high = float(highs.sum() - highs[issue])
        others_low = float(lows.sum() - lows[issue])
        low = total * lows[issue] / (lows[issue] + others_high) if lows[issue] + others_high > 0 else 0.0
        high = total * highs[issue] / (highs[issue] + others_low) if highs[issue] + others_low > 0 else total
        if issue not in given and math.isclose(low, high):
            return None
        return float(low), float(high)

    def value_range(self, party: int, issue: int, option: int) -> tuple[float, float] | None:
        """Range (central 95 % for a distribution) of an option's value; None when exact."""
        for i, o, dist in self.parties[party].values:
            if (i, o) == (issue, option):
                return dist.central
        return None

    def reservation_range(self, party: int) -> tuple[float, float] | None:
        """Range (central 95 % for a distribution) of a reservation value; None when exact."""
        dist = self.parties[party].reservation
        return None if dist is None else dist.central


def _draw_weights(prefs: Preferences, unc: PartyUncertainty, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` weight vectors of one party, shape (n, issues)."""
    nominal = prefs.weights
    weights = np.repeat(nominal[None, :], n, axis=0)
    if unc.dirichlet is not None:
        d = unc.dirichlet
        mass = float(nominal[list(d.issues)].sum())
        weights[:, list(d.issues)] = mass * rng.dirichlet(d.alphas, n)
        return weights
    if not unc.weights:
        return weights
    for i, dist in unc.weights:
        weights[:, i] = dist.sample(rng, n)
    total = weights.sum(axis=1, keepdims=True)
    # A draw of all zeros has probability zero; keep the nominal weights if it happens.
    safe = total[:, 0] > 0
    weights[safe] *= float(nominal.sum()) / total[safe]
    weights[~safe] = nominal
    return weights

