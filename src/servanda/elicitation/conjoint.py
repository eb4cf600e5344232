"""Metric conjoint analysis: part-worths from ratings of whole packages by least squares.

The party rates a handful of packages on any scale where higher is better; the fit is the
additive model ``rating ~ c + sum_i t_i[o_i]`` (Green & Srinivasan 1978) with free
intercept ``c``, normalised afterwards (see :mod:`.partworths`), which is the same as
fitting ``rating ~ a + b * u(o)`` with ``b > 0`` and normalised ``u``.

Part-worths are defined up to a constant per issue, and with few packages further
directions are not determined by the ratings. Among the least-squares solutions the fit
takes the one of **smallest norm** after centring (the limit of ridge regression as its
penalty vanishes): undetermined differences between options are set to zero rather than
invented. ``identified`` says whether the packages determine every part-worth; with
enough packages (see :func:`~.packages.design_packages`) noise-free ratings give the
preferences back exactly.

With directions (monotone issues) the fit is constrained least squares over the
increments between successive options (bounded-variable least squares, Stark & Parker
1995), with a vanishing ridge term to make it unique.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import lsq_linear

from servanda.elicitation.partworths import PartWorthModel, as_model
from servanda.errors import ScenarioError
from servanda.model import Issue, Preferences, Scenario

#: Relative weight of the ridge term that makes the constrained fit unique.
_RIDGE = 1e-12


@dataclass(frozen=True, eq=False)
class RatingFit:
    """Result of :func:`fit_package_ratings`.

    Attributes
    ----------
    preferences
        The fitted normalised preferences.
    partworths
        Their normalised part-worths (``model.size`` numbers).
    utilities
        Fitted utility of every package (0 to 1 scale of ``preferences``).
    fitted
        Fitted rating of every package, on the party's scale: ``offset + scale * utilities``.
    offset, scale
        The affine map from utilities to the rating scale (``scale > 0``).
    r_squared
        Share of the ratings' variance the fit explains (1: every rating reproduced).
    rank
        Number of part-worth directions the packages determine.
    identified
        Whether they determine all (``rank == model.degrees_of_freedom``).
    ratings
        The ratings fitted.
    """

    preferences: Preferences
    partworths: np.ndarray
    utilities: np.ndarray
    fitted: np.ndarray
    offset: float
    scale: float
    r_squared: float
    rank: int
    identified: bool

    ratings: np.ndarray

    @property
    def residuals(self) -> np.ndarray:
        """Stated minus fitted ratings."""
        return self.ratings - self.fitted


def fit_package_ratings(
    model: PartWorthModel | Scenario | Sequence[Issue],
    packages: np.ndarray,
    ratings: Sequence[float],
) -> RatingFit:
    """Fit preferences to ratings of packages.

    Parameters
    ----------
    model
        The part-worth model, or a scenario (or its issues) for the default one.
    packages
        Option indices, shape ``(n, issues)``.
    ratings
        One number per package, on any scale where higher is better.

    Raises
    ------
    ScenarioError
        When the ratings are not one finite number per package, or all equal.
    """
    model = as_model(model)
    packages = model.check_packages(packages)
    try:
        y = np.asarray(ratings, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError("ratings must be numbers", source="package ratings") from None
    if y.shape != (packages.shape[0],):
        raise ScenarioError(
            f"{y.size} ratings for {packages.shape[0]} packages; expected one rating per package",
            source="package ratings",
        )
    if not np.all(np.isfinite(y)):
        position = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ScenarioError(f"the rating of package {position + 1} is {y[position]}; expected a number",
                            source="package ratings")
    if y.size < 2 or np.ptp(y) == 0:
        raise ScenarioError(
            "every package has the same rating, so the ratings say nothing about what matters; "
            "rate at least two packages differently",
            source="package ratings",
        )
    x = model.features(packages)
    centred = x - x.mean(axis=0)
    target = y - y.mean()
    rank = int(np.linalg.matrix_rank(centred)) if centred.size else 0
    if np.any(model.monotone_rows()):
        theta = _monotone_least_squares(model, centred, target)
    else:
        theta = np.linalg.lstsq(centred, target, rcond=None)[0]
    scale = float(sum(np.ptp(b) for b in model.blocks(theta) if b.size))
    if not scale > 1e-12 * float(np.ptp(y)):
        raise ScenarioError(
            "the best fit gives every package the same utility: the ratings go against the "
            "directions given for the issues",
            source="package ratings",
        )
    partworths = model.normalize(theta)
    preferences = model.preferences(theta)
    utilities = x @ partworths
    fitted = y.mean() + centred @ theta
    offset = float(np.mean(fitted - scale * utilities))
    total = float(np.sum(target**2))
    return RatingFit(
        preferences=preferences,
        partworths=partworths,
        utilities=utilities,
        fitted=fitted,
        offset=offset,
        scale=scale,
        r_squared=1.0 - float(np.sum((y - fitted) ** 2)) / total,
        rank=rank,
        identified=rank == model.degrees_of_freedom,
        ratings=y,
    )


def _monotone_least_squares(
    model: PartWorthModel, centred: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """Least squares with the directed issues monotone: ``theta = T @ zeta`` where a directed
    issue's ordered part-worths are cumulative sums of sign-constrained increments."""
    columns, lower, upper = [], [], []
    for part, start in zip(model.parts, model.offsets[:-1]):
        ordered = part.ordered if part.direction else 0
        for k in range(part.size):
            column = np.zeros(model.size)
            if 0 < k < ordered:  # increment from option k-1 to option k
                column[start + k : start + ordered] = 1.0
                lower.append(0.0 if part.direction > 0 else -np.inf)
                upper.append(np.inf if part.direction > 0 else 0.0)
            elif k == 0 and ordered:
                continue  # the level of a directed issue is a constant: irrelevant
            else:
                column[start + k] = 1.0
                lower.append(-np.inf)
                upper.append(np.inf)
            columns.append(column)
    transform = np.array(columns).T
    design = centred @ transform
    ridge = np.sqrt(_RIDGE * max(float(np.sum(design**2)), 1.0))
    system = np.vstack([design, ridge * np.eye(design.shape[1])])
    rhs = np.concatenate([target, np.zeros(design.shape[1])])
    zeta = lsq_linear(system, rhs, bounds=(lower, upper), method="bvls").x
    return transform @ zeta
