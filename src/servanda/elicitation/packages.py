"""Which packages to show a party: distinct random ones, or an informative design.

Nothing here enumerates a large outcome space: candidates are drawn by index (small
spaces) or sampled and de-duplicated (large ones).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from servanda.elicitation.partworths import PartWorthModel, as_model
from servanda.errors import ScenarioError
from servanda.model import Issue, OutcomeSpace, Scenario

#: Candidates from which :func:`design_packages` picks.
DEFAULT_POOL = 2048


def random_packages(
    source: Scenario | OutcomeSpace | Sequence[Issue], count: int, seed: int | None = 0
) -> np.ndarray:
    """``count`` distinct outcomes drawn uniformly (every outcome when the space has no
    more), as option indices ``(count, issues)``, reproducibly from ``seed``."""
    space = _space(source)
    count = _count(count)
    rng = np.random.default_rng(seed)
    if space.size <= count:
        return space.all()
    if space.size <= 1 << 20:
        return space.digits(rng.choice(space.size, size=count, replace=False))
    if space.size <= 1 << 62:
        chosen: dict[int, None] = {}
        while len(chosen) < count:
            for index in rng.integers(0, space.size, size=count - len(chosen)).tolist():
                chosen.setdefault(int(index), None)
        return space.digits(np.array(list(chosen), dtype=np.int64))
    rows: dict[tuple[int, ...], None] = {}
    while len(rows) < count:
        draws = np.column_stack([rng.integers(0, issue.size, size=count) for issue in space.issues])
        for row in map(tuple, draws.tolist()):
            if len(rows) < count:
                rows.setdefault(row, None)
    return np.array(list(rows), dtype=np.int64).reshape(count, len(space.issues))


def design_packages(
    model: PartWorthModel | Scenario | Sequence[Issue],
    count: int,
    seed: int | None = 0,
    *,
    pool: int = DEFAULT_POOL,
) -> np.ndarray:
    """``count`` distinct packages that together pin down the part-worths as well as
    possible: a greedy D-optimal design (Fedorov 1972) over ``pool`` random candidates.

    Each step adds the candidate whose features (an intercept and all but one part-worth
    per issue) are least explained by those already chosen, which maximises the growth of
    the determinant of the information matrix. With at least ``model.degrees_of_freedom
    + 1`` packages from a rich enough pool the design identifies every part-worth, so
    ratings of the packages determine the preferences (:func:`~.conjoint.fit_package_ratings`)."""
    model = as_model(model)
    count = _count(count)
    candidates = random_packages(model.issues, max(pool, count), seed)
    if candidates.shape[0] <= count:
        return candidates
    full = model.features(candidates)
    drop = model.offsets[:-1]  # the first part-worth of each issue: implied by the intercept
    keep = np.setdiff1d(np.arange(model.size), drop)
    x = np.hstack([np.ones((full.shape[0], 1)), full[:, keep]])
    inverse = np.eye(x.shape[1]) * 1e6  # the inverse of a tiny ridge: unexplained directions first
    available = np.ones(x.shape[0], dtype=bool)
    chosen = []
    for _ in range(count):
        gain = np.einsum("ij,jk,ik->i", x, inverse, x)
        gain[~available] = -np.inf
        best = int(np.argmax(gain))
        chosen.append(best)
        available[best] = False
        v = inverse @ x[best]
        inverse -= np.outer(v, v) / (1.0 + x[best] @ v)  # Sherman-Morrison
    return candidates[chosen]


def _space(source: Scenario | OutcomeSpace | Sequence[Issue]) -> OutcomeSpace:
    if isinstance(source, OutcomeSpace):
        return source
    if isinstance(source, Scenario):
        return source.space
    return OutcomeSpace(tuple(source))


def _count(count: int) -> int:
    if int(count) != count or count < 1:
        raise ScenarioError(f"the number of packages must be a whole number >= 1, got {count}")
    return int(count)
