"""The Bayesian opponent model of Hindriks and Tykhonov ("Opponent modelling in automated
multi-issue negotiation using Bayesian learning", AAMAS 2008), in its scalable form (the
one GENIUS ships as ``BayesianOpponentModelScalable``): a posterior over hypotheses about
the weights and, issue by issue, about the shape of the value function, updated by Bayes'
rule after each new offer of the opponent.

Hypotheses
----------
- weights: the rankings of the issues (H&T's weight hypotheses), issue of rank ``r`` (0 for
  the most important of ``k``) weighing ``2 (k - r) / (k (k + 1))``. All ``k!`` rankings up
  to ``max_rankings`` of them, else that many drawn at random (seeded); uniform prior.
- values of an ordered issue (ordinal, integer or real range): H&T's shapes over the
  options in their order — uphill (linear up to 1 at the last option), downhill, and a
  triangle peaking at each inner option; uniform prior.
- values of a categorical issue: the order of its options means nothing, so shapes over
  it would be arbitrary, and the ``m!`` orders are too many. Instead each option's value
  has its own small set of hypotheses, the levels ``0, 1/(L-1), ..., 1`` (``L = levels``),
  independent across options (the scalable model's independence between issues, carried
  down to options): ``m * L`` hypotheses instead of ``L ** m``. An option never offered
  keeps its prior, which leans low (``P(level x) ∝ 1 - x/2``): an option an opponent
  never asks for is probably one it does not like much.

Likelihood
----------
The opponent is assumed to concede over time: its offer at relative time ``t`` is expected
to be worth ``1 - concession * t`` to it. Under a hypothesis the offer is worth ``u``; the
likelihood of the offer is the Gaussian ``exp(-(expected - u)^2 / (2 sigma^2))``. As in
H&T's scalable model, each part is updated with the others at their expected values: a
weight hypothesis with every issue's expected value of the offered option, a value
hypothesis of issue ``i`` with the expected weights and the other issues' expected values.
Weights are not updated on the first offer (no value is known yet), as in GENIUS; an offer
made before is not evidence again (GENIUS's ``haveSeenBefore``).

The estimate is the posterior mean: expected weights, and per issue the expected values
divided by the largest of them (so the best option is worth 1, as in the ANAC profiles).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from servanda.model import NumericIssue, OrdinalIssue, OutcomeSpace
from servanda.negotiation.opponents.base import OpponentModel


def ranking_weights(rankings: np.ndarray) -> np.ndarray:
    """``(H, k)`` weights of ranking hypotheses ``(H, k)`` (``rankings[h, i]`` the rank of
    issue ``i``, 0 the most important): ``2 (k - r) / (k (k + 1))`` (H&T, sec. 4.1)."""
    k = rankings.shape[1]
    return 2.0 * (k - rankings) / (k * (k + 1))


def shape_hypotheses(options: int) -> np.ndarray:
    """``(H, options)``: H&T's value-function shapes over ordered options — uphill,
    downhill, then a triangle peaking at each inner option — each from 0 to 1."""
    if options == 1:
        return np.ones((1, 1))
    x = np.arange(options, dtype=float)
    last = options - 1
    shapes = [x / last, (last - x) / last]
    for peak in range(1, last):
        shapes.append(np.where(x <= peak, x / peak, (last - x) / (last - peak)))
    return np.array(shapes)


def is_ordered(issue) -> bool:
    """True when an issue's options are listed in a meaningful order: ordinal issues and
    numeric ranges without extra named options."""
    if isinstance(issue, NumericIssue):
        return not issue.extra
    return isinstance(issue, OrdinalIssue)


class BayesianModel(OpponentModel):
    """Hindriks and Tykhonov's scalable Bayesian model (see the module).

    Parameters
    ----------
    space : OutcomeSpace
    sigma : float, default 0.25
        Spread of the likelihood, in utility.
    concession : float, default 0.2
        The opponent's offer at relative time ``t`` is expected to be worth
        ``1 - concession * t`` to it.
    levels : int, default 5
        Value levels hypothesised per option of a categorical issue.
    max_rankings : int, default 50000
        Most weight hypotheses (issue rankings); beyond, that many random rankings.
    seed : int, default 0
        Seeds the draw of rankings when not all are kept (more than ``max_rankings``).
    """

    name = "bayesian"

    def __init__(
        self,
        space: OutcomeSpace,
        *,
        sigma: float = 0.25,
        concession: float = 0.2,
        levels: int = 5,
        max_rankings: int = 50_000,
        seed: int = 0,
    ):
        super().__init__(space, seed=seed)
        if not (math.isfinite(sigma) and sigma > 0):
            raise ValueError(f"sigma must be a positive number, got {sigma}")
        if not (math.isfinite(concession) and 0 <= concession <= 1):
            raise ValueError(f"concession must lie in [0, 1], got {concession}")
        if int(levels) != levels or levels < 2:
            raise ValueError(f"levels must be a whole number of at least 2, got {levels}")
        if int(max_rankings) != max_rankings or max_rankings < 1:
            raise ValueError(
                f"max_rankings must be a whole number of at least 1, got {max_rankings}"
            )
        self.sigma, self.concession, self.levels, self.max_rankings = (
            sigma,
            concession,
            int(levels),
            int(max_rankings),
        )
        k = len(self.radices)
        if math.factorial(k) <= max_rankings:
            rankings = np.array(list(itertools.permutations(range(k))), dtype=np.int64)
        else:
            rng = np.random.default_rng(seed)
            rankings = rng.permuted(np.tile(np.arange(k), (int(max_rankings), 1)), axis=1)
        self._weight_hypotheses = ranking_weights(rankings)  # (H, k)
        self._weight_log = np.zeros(len(rankings))
        self._level_values = np.linspace(0.0, 1.0, self.levels)
        prior = np.log(1.0 - self._level_values / 2)
        # per issue: ("shapes", hypotheses (H_i, m), log posterior (H_i,)) or
        # ("levels", None, log posterior (m, L))
        self._issues: list[tuple[str, np.ndarray | None, np.ndarray]] = []
        for issue, m in zip(space.issues, self.radices):
            if is_ordered(issue) or m == 1:
                shapes = shape_hypotheses(m)
                self._issues.append(("shapes", shapes, np.zeros(len(shapes))))
            else:
                self._issues.append(("levels", None, np.tile(prior, (m, 1))))
        self._seen: set[bytes] = set()
        self._expected_weights = self._posterior(self._weight_log) @ self._weight_hypotheses

    @staticmethod
    def _posterior(log: np.ndarray) -> np.ndarray:
        p = np.exp(log - log.max(axis=-1, keepdims=True))
        return p / p.sum(axis=-1, keepdims=True)

    def _expected_values(self, issue: int) -> np.ndarray:
        """``(m,)``: the posterior mean value of every option of ``issue`` (not rescaled)."""
        kind, hypotheses, log = self._issues[issue]
        if kind == "shapes":
            return self._posterior(log) @ hypotheses
        return self._posterior(log) @ self._level_values

    def _log_likelihood(self, worth: np.ndarray, expected: float) -> np.ndarray:
        return -0.5 * ((expected - worth) / self.sigma) ** 2

    def _learn(self, digits: np.ndarray, time: float) -> None:
        key = digits.tobytes()
        if key in self._seen:
            return
        first = not self._seen
        self._seen.add(key)
        expected = 1.0 - self.concession * time
        offered = np.array([self._expected_values(i)[d] for i, d in enumerate(digits)])
        if not first:
            worth = self._weight_hypotheses @ offered
            self._weight_log += self._log_likelihood(worth, expected)
            self._weight_log -= self._weight_log.max()
            self._expected_weights = self._posterior(self._weight_log) @ self._weight_hypotheses
        w = self._expected_weights
        total = float(w @ offered)
        for i, option in enumerate(digits):
            rest = total - w[i] * offered[i]
            kind, hypotheses, log = self._issues[i]
            if kind == "shapes":
                log += self._log_likelihood(rest + w[i] * hypotheses[:, option], expected)
                log -= log.max()
            else:
                row = log[option]
                row += self._log_likelihood(rest + w[i] * self._level_values, expected)
                row -= row.max()

    def weights(self) -> np.ndarray:
        w = self._expected_weights
        return w / w.sum()

    def values(self) -> tuple[np.ndarray, ...]:
        out = []
        for i in range(len(self.radices)):
            v = self._expected_values(i)
            top = v.max()
            out.append(v / top if top > 0 else np.ones_like(v))
        return tuple(out)
