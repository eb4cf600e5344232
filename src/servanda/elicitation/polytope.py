"""The polytope of part-worths consistent with a party's judgements, and what is computed on
it: its Chebyshev centre, the UTA error programme, and uniform samples by hit-and-run.

Points are ``z = (theta, r)``: the model's parameters ``theta`` and one budget ``r_i`` per
issue with ``0 <= theta_ik <= r_i`` and ``sum_i r_i = 1``. Every normalised value function is
such a point (``r_i`` its issue's weight), and every point normalises to one, so the
polytope is a bounded, convex stand-in for the (non-convex) set of normalised preferences.
A package judged better than another adds ``u(better) - u(worse) >= 0``, a tie adds
``u(a) = u(b)``, a direction adds monotonicity (see :mod:`.partworths`). All these are
invariant under the normalisation, so any property of the order of packages can be read
off the polytope.

Linear programmes are solved by HiGHS through :func:`scipy.optimize.linprog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.linalg import null_space
from scipy.optimize import linprog

from servanda.elicitation.partworths import PartWorthModel

#: Radius of the largest ball (Euclidean, in z) a polytope must hold to count as having an
#: interior, i.e. as strictly satisfying its judgements; well above HiGHS' feasibility
#: tolerance (1e-7), well below the radii of genuine cases (1e-3 and more).
INTERIOR_RADIUS = 1e-6


@dataclass(frozen=True, eq=False)
class Polytope:
    """``{z : upper @ z <= bound, equal @ z = level}`` over ``z = (theta, r)``, with
    ``strict`` marking the rows that stand for strict preferences."""

    upper: np.ndarray
    bound: np.ndarray
    equal: np.ndarray
    level: np.ndarray
    strict: np.ndarray

    @cached_property
    def directions(self) -> np.ndarray:
        """Orthonormal basis of the directions along the equalities, ``(dim z, k)``."""
        return null_space(self.equal)

    @cached_property
    def row_norms(self) -> np.ndarray:
        """Length of each inequality row within the equalities' subspace."""
        return np.linalg.norm(self.upper @ self.directions, axis=1)


def partworth_polytope(model: PartWorthModel, better: np.ndarray, tied: np.ndarray) -> Polytope:
    """The polytope of a model's part-worths with ``better @ theta >= 0`` (one row per
    strict judgement: features of the better package minus those of the worse) and
    ``tied @ theta = 0``."""
    q, m = model.size, len(model.parts)
    better = np.asarray(better, dtype=float).reshape(-1, q)
    tied = np.asarray(tied, dtype=float).reshape(-1, q)
    budget = np.zeros((q, m))
    budget[np.arange(q), model.issue_of] = -1.0
    monotone = model.monotone_rows()
    upper = np.vstack([
        np.hstack([-np.eye(q), np.zeros((q, m))]),  # theta >= 0
        np.hstack([np.eye(q), budget]),  # theta_ik <= r_i
        np.hstack([-monotone, np.zeros((monotone.shape[0], m))]),
        np.hstack([-better, np.zeros((better.shape[0], m))]),
    ])
    strict = np.zeros(upper.shape[0], dtype=bool)
    strict[upper.shape[0] - better.shape[0]:] = True
    equal = np.vstack([
        np.concatenate([np.zeros(q), np.ones(m)])[None, :],
        np.hstack([tied, np.zeros((tied.shape[0], m))]),
    ])
    level = np.zeros(equal.shape[0])
    level[0] = 1.0
    return Polytope(upper, np.zeros(upper.shape[0]), equal, level, strict)


def chebyshev_centre(polytope: Polytope) -> tuple[np.ndarray, float]:
    """Centre and radius of the largest ball inside the polytope (within the subspace of
    its equalities): ``max rho`` subject to ``a_k z + rho * |a_k| <= b_k`` (Boyd &
    Vandenberghe, Convex Optimization, 8.5.1). The radius is 0 when the polytope has no
    interior, for instance when a strict row is forced to 0 by the equalities.

    Non-strict rows that every point meets with equality (a tie across the two ends of a
    monotone issue forces its monotonicity rows to 0, say) are equalities in disguise:
    they are moved among the equalities first, so that they do not shrink the ball to
    nothing while every strict judgement still holds strictly."""
    centre, radius = _ball(polytope)
    if radius > INTERIOR_RADIUS:
        return centre, radius
    tight = _implicit_equalities(polytope)
    if not tight.any():
        return centre, radius
    keep = ~tight
    reduced = Polytope(
        polytope.upper[keep], polytope.bound[keep],
        np.vstack([polytope.equal, polytope.upper[tight]]),
        np.concatenate([polytope.level, polytope.bound[tight]]),
        polytope.strict[keep],
    )
    return _ball(reduced)


def _ball(polytope: Polytope) -> tuple[np.ndarray, float]:
    norms = polytope.row_norms
    dim = polytope.upper.shape[1]
    result = linprog(
        c=np.concatenate([np.zeros(dim), [-1.0]]),
        A_ub=np.hstack([polytope.upper, norms[:, None]]),
        b_ub=polytope.bound,
        A_eq=np.hstack([polytope.equal, np.zeros((polytope.equal.shape[0], 1))]),
        b_eq=polytope.level,
        bounds=[(None, None)] * dim + [(0.0, 1.0)],
        method="highs",
    )
    _require(result, "Chebyshev centre")
    radius = float(result.x[-1])
    # A strict row of length 0 is constant on the subspace: its strict inequality fails.
    if np.any(polytope.strict & (norms <= INTERIOR_RADIUS)):
        radius = 0.0
    return result.x[:-1], radius


def _implicit_equalities(polytope: Polytope) -> np.ndarray:
    """The non-strict rows no feasible point leaves slack: ``max (b_k - a_k z)`` is 0."""
    dim = polytope.upper.shape[1]
    tight = np.zeros(polytope.upper.shape[0], dtype=bool)
    for k in np.flatnonzero(~polytope.strict):
        result = linprog(
            c=polytope.upper[k], A_ub=polytope.upper, b_ub=polytope.bound,
            A_eq=polytope.equal, b_eq=polytope.level, bounds=[(None, None)] * dim, method="highs",
        )
        if result.status == 0 and polytope.bound[k] - result.fun <= INTERIOR_RADIUS:
            tight[k] = True
    return tight


def least_violation(polytope: Polytope, tied_rows: int, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """The UTA error programme (Jacquet-Lagrèze & Siskos 1982, in its pairwise form): one
    error ``sigma_j >= 0`` per judgement, ``u(better) - u(worse) + sigma_j >= delta`` for strict
    ones and ``|u(a) - u(b)| <= sigma_j`` for ties (the last ``tied_rows`` equalities), and
    minimise ``sum_j sigma_j``. Returns ``z`` and the errors (strict ones first)."""
    dim = polytope.upper.shape[1]
    strict_rows = np.flatnonzero(polytope.strict)
    hard = np.flatnonzero(~polytope.strict)
    ties = polytope.equal[polytope.equal.shape[0] - tied_rows:] if tied_rows else np.zeros((0, dim))
    s, t = strict_rows.size, ties.shape[0]
    blocks = [
        np.hstack([polytope.upper[hard], np.zeros((hard.size, s + t))]),
        np.hstack([polytope.upper[strict_rows], -np.eye(s), np.zeros((s, t))]),
        np.hstack([ties, np.zeros((t, s)), -np.eye(t)]),
        np.hstack([-ties, np.zeros((t, s)), -np.eye(t)]),
    ]
    bounds = np.concatenate([polytope.bound[hard], np.full(s, -delta), np.zeros(2 * t)])
    equal = polytope.equal[: polytope.equal.shape[0] - tied_rows]
    result = linprog(
        c=np.concatenate([np.zeros(dim), np.ones(s + t)]),
        A_ub=np.vstack(blocks),
        b_ub=bounds,
        A_eq=np.hstack([equal, np.zeros((equal.shape[0], s + t))]),
        b_eq=polytope.level[: equal.shape[0]],
        bounds=[(None, None)] * dim + [(0.0, None)] * (s + t),
        method="highs",
    )
    _require(result, "UTA error programme")
    return result.x[:dim], np.maximum(result.x[dim:], 0.0)


def hit_and_run(
    polytope: Polytope, start: np.ndarray, count: int, steps: int, rng: np.random.Generator
) -> np.ndarray:
    """``count`` points of the polytope, each the end of an independent hit-and-run chain
    of ``steps`` moves from ``start`` (an interior point, or one per chain): a random
    direction within the equalities, then a uniform point on the chord through the current
    point (Smith 1984). The chains run side by side as arrays.

    The first half of the moves take isotropic directions; the second half take directions
    from the chains' covariance at half time, which is isotropic hit-and-run after a linear
    map that rounds the polytope (Lovász & Vempala 2006), so the uniform distribution stays
    invariant while long, thin polytopes (many judgements) are crossed much faster."""
    basis = polytope.directions
    points = np.array(np.broadcast_to(np.asarray(start, dtype=float), (count, polytope.upper.shape[1])))
    if basis.shape[1] == 0:
        return points
    shape = np.eye(basis.shape[1])
    for step in range(steps):
        if step == steps // 2 and count > basis.shape[1]:
            spread = np.cov((points - points.mean(axis=0)) @ basis, rowvar=False)
            spread = spread.reshape(basis.shape[1], basis.shape[1])
            if np.all(np.isfinite(spread)) and np.linalg.matrix_rank(spread) == basis.shape[1]:
                shape = np.linalg.cholesky(spread + 1e-12 * np.trace(spread) * np.eye(basis.shape[1]))
        direction = (rng.standard_normal((count, basis.shape[1])) @ shape.T) @ basis.T
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        rate = direction @ polytope.upper.T
        slack = np.maximum(polytope.bound - points @ polytope.upper.T, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = slack / rate
        ahead = np.where(rate > 1e-12, reach, np.inf).min(axis=1)
        behind = np.where(rate < -1e-12, reach, -np.inf).max(axis=1)
        ahead = np.where(np.isfinite(ahead), ahead, 0.0)
        behind = np.where(np.isfinite(behind), behind, 0.0)
        points += (behind + (ahead - behind) * rng.random(count))[:, None] * direction
    return points


def _require(result, what: str) -> None:
    if result.status != 0:  # pragma: no cover - the programmes are feasible and bounded
        raise RuntimeError(f"{what}: HiGHS failed ({result.message})")
