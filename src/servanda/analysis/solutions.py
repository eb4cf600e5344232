"""Bargaining solutions over a finite set of candidate outcomes.

Each function takes the candidates' utilities (shape ``(n, parties)``), the disagreement
point (the parties' reservation values) and returns the position of the chosen candidate,
or None when no candidate gives every party at least its reservation value.

Tie-breaking, the same everywhere: among candidates with the same value of the criterion,
prefer the larger sum of utilities, then the earliest candidate that no other tied
candidate dominates (callers pass candidates in outcome-index order, so the outcome with
the lowest index wins). The dominance step matters in floating point: rounding can give an
outcome and one that dominates it the same product or sum, and the solution must be
Pareto-efficient.

- Nash (1950): maximise the product of gains over the disagreement point.
- Kalai & Smorodinsky (1975), discrete form: maximise the smallest gain relative to each
  party's largest possible gain among the candidates.
- Egalitarian (Kalai 1977): maximise the smallest gain.
- Utilitarian: maximise the sum of utilities.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from servanda.analysis.pareto import pareto_mask


def nash_point(utilities: np.ndarray, reservations: np.ndarray) -> int | None:
    """Candidate maximising the product of gains ``prod_i (u_i - r_i)``."""
    return _best(utilities, reservations, lambda gains, best: np.prod(gains, axis=1))


def kalai_smorodinsky_point(utilities: np.ndarray, reservations: np.ndarray) -> int | None:
    """Candidate maximising ``min_i (u_i - r_i) / (best_i - r_i)``."""

    def relative(gains: np.ndarray, best: np.ndarray) -> np.ndarray:
        # A party whose best gain is zero is indifferent over the zone: no constraint.
        ratio = np.divide(gains, best, out=np.ones_like(gains), where=best > 0)
        return ratio.min(axis=1)

    return _best(utilities, reservations, relative)


def egalitarian_point(utilities: np.ndarray, reservations: np.ndarray) -> int | None:
    """Candidate maximising the smallest gain ``min_i (u_i - r_i)``."""
    return _best(utilities, reservations, lambda gains, best: gains.min(axis=1))


def utilitarian_point(utilities: np.ndarray, reservations: np.ndarray) -> int | None:
    """Candidate maximising the sum of utilities."""
    return _best(utilities, reservations, lambda gains, best: gains.sum(axis=1))


SOLUTIONS = {
    "nash": nash_point,
    "kalai_smorodinsky": kalai_smorodinsky_point,
    "egalitarian": egalitarian_point,
    "utilitarian": utilitarian_point,
}


def _best(
    utilities: np.ndarray,
    reservations: np.ndarray,
    criterion: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> int | None:
    """Position of the feasible candidate maximising ``criterion(gains, best_gains)``,
    ties broken as the module says."""
    utilities = np.asarray(utilities, dtype=float).reshape(-1, len(reservations))
    gains = utilities - np.asarray(reservations, dtype=float)[None, :]
    feasible = np.all(gains >= 0, axis=1)
    if not feasible.any():
        return None
    gains, welfare = gains[feasible], utilities[feasible].sum(axis=1)
    score = criterion(gains, gains.max(axis=0))
    tied = np.flatnonzero(score == score.max())
    tied = tied[welfare[tied] == welfare[tied].max()]
    # Every criterion is nondecreasing in each gain, and so is rounding, so whatever
    # dominates a tied candidate is tied as well: the undominated tied ones are efficient.
    tied = tied[pareto_mask(gains[tied])]
    return int(np.flatnonzero(feasible)[tied[0]])
