"""How well an opponent model knows its opponent, as the field measures it (Baarslag,
Hendrikx, Hindriks and Jonker, "Predicting the performance of opponent models in automated
negotiation", IAT 2013, and "Learning about the opponent in automated bilateral
negotiation: a comprehensive survey of opponent modeling techniques", JAAMAS 30, 2016;
the ANAC opponent-model measures of GENIUS):

- :func:`pearson` — Pearson correlation between the estimated and the true utility of
  every outcome (1: perfect up to scale and origin);
- :func:`rank_distance` — normalised Kendall distance between the two rankings of the
  outcomes: the share of outcome pairs they order differently (0: the same ranking, 1:
  reversed), a pair tied in one ranking only counting one half; over every pair of a small
  space, over a seeded sample of pairs otherwise;
- :func:`frontier_distance` — how far the Pareto frontier the model implies lies from the
  true one: the frontier of (own utility, estimated opponent utility) is taken to the
  true utility space, and each true frontier point's distance to the nearest of its points
  is averaged (0: the model finds every efficient outcome).

All take utilities of every outcome as arrays; none needs the model itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from servanda.analysis.pareto import pareto_indices

#: Largest number of outcome pairs :func:`rank_distance` compares exhaustively.
EXACT_PAIRS = 2_000_000
#: Pairs it samples beyond.
SAMPLED_PAIRS = 1_000_000
#: Utilities closer than this are tied.
TIE = 1e-12


def pearson(estimated: np.ndarray, true: np.ndarray) -> float:
    """Pearson correlation of two utility arrays; 0 when either is constant (a model
    that knows nothing ranks every outcome alike)."""
    x, y = _pair(estimated, true)
    x, y = x - x.mean(), y - y.mean()
    scale = float(np.sqrt((x @ x) * (y @ y)))
    return float(x @ y) / scale if scale > 0 else 0.0


def rank_distance(
    estimated: np.ndarray,
    true: np.ndarray,
    *,
    exact_pairs: int = EXACT_PAIRS,
    sampled_pairs: int = SAMPLED_PAIRS,
    seed: int = 0,
) -> float:
    """Normalised Kendall distance between the rankings of outcomes by ``estimated`` and
    by ``true`` utility: the share of pairs ordered differently (a pair tied in exactly one
    of them counts one half). Exact when the space has at most ``exact_pairs`` pairs;
    otherwise over ``sampled_pairs`` pairs drawn uniformly (with replacement) from
    ``seed``."""
    x, y = _pair(estimated, true)
    n = len(x)
    if n < 2:
        return 0.0
    total = n * (n - 1) // 2
    if total <= exact_pairs:
        # row blocks of the upper triangle, so that memory stays bounded
        discord, rows = 0.0, max(1, exact_pairs // n)
        for start in range(0, n - 1, rows):
            stop = min(start + rows, n - 1)
            i = np.arange(start, stop)[:, None]
            j = np.arange(n)[None, :]
            upper = j > i  # each pair once
            discord += float(_discordance(x[i] - x[j], y[i] - y[j])[upper].sum())
        return discord / total
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, sampled_pairs)
    j = (i + rng.integers(1, n, sampled_pairs)) % n  # uniform over the other outcomes
    return float(_discordance(x[i] - x[j], y[i] - y[j]).mean())


def _discordance(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """1 for a pair ordered differently, 1/2 for one tied in one ranking only, else 0."""
    sx = np.where(np.abs(dx) <= TIE, 0, np.sign(dx))
    sy = np.where(np.abs(dy) <= TIE, 0, np.sign(dy))
    return np.where(sx * sy < 0, 1.0, np.where((sx == 0) != (sy == 0), 0.5, 0.0))


def frontier_distance(own: np.ndarray, true: np.ndarray, estimated: np.ndarray) -> float:
    """Mean distance from each point of the true Pareto frontier of (``own``, ``true``)
    to the nearest outcome of the estimated frontier of (``own``, ``estimated``), both in
    the true utility space (own, true opponent's)."""
    own, true = _pair(own, true)
    _, estimated = _pair(own, estimated)
    points = np.column_stack([own, true])
    actual = points[pareto_indices(points)]
    implied = points[pareto_indices(np.column_stack([own, estimated]))]
    gaps = np.sqrt(((actual[:, None, :] - implied[None, :, :]) ** 2).sum(axis=2))
    return float(gaps.min(axis=1).mean())


@dataclass(frozen=True)
class ModelAccuracy:
    """The three measures of one model against one opponent's true utilities."""

    pearson: float
    rank_distance: float
    frontier_distance: float


def accuracy(
    estimated: np.ndarray, true: np.ndarray, own: np.ndarray, *, seed: int = 0
) -> ModelAccuracy:
    """:func:`pearson`, :func:`rank_distance` and :func:`frontier_distance` of a model's
    ``estimated`` utilities of every outcome against the opponent's ``true`` ones, with
    ``own`` the modelling party's utilities (for the frontiers)."""
    return ModelAccuracy(
        pearson(estimated, true),
        rank_distance(estimated, true, seed=seed),
        frontier_distance(own, true, estimated),
    )


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(a, dtype=float).reshape(-1), np.asarray(b, dtype=float).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"expected utilities of the same outcomes, got {x.size} and {y.size}")
    return x, y
