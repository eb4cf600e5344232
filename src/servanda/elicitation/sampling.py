"""Uncertainty about a party's preferences: value functions drawn uniformly from the
polytope of those consistent with its judgements, and what they say about packages."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from servanda.elicitation.ordinal import Judgement, check_judgements, judgement_polytope
from servanda.elicitation.partworths import PartWorthModel, as_model
from servanda.elicitation.polytope import INTERIOR_RADIUS, chebyshev_centre, hit_and_run
from servanda.errors import ScenarioError
from servanda.model import Issue, Scenario

#: Default number of sampled value functions.
DEFAULT_SAMPLES = 400


def sample_partworths(
    model: PartWorthModel | Scenario | Sequence[Issue],
    packages: np.ndarray | None = None,
    judgements: Sequence[Judgement | tuple] = (),
    count: int = DEFAULT_SAMPLES,
    *,
    seed: int | Sequence[int] | None = 0,
    steps: int | None = None,
) -> np.ndarray:
    """Normalised part-worths, shape ``(count, model.size)``, drawn uniformly from the
    polytope of :mod:`.polytope` (the value functions that reproduce ``judgements`` over
    ``packages``; all of them when there are none) by ``count`` hit-and-run chains of
    ``steps`` moves each (default ``50 + 10 * dimension``), started at the Chebyshev centre.

    Raises
    ------
    ScenarioError
        When the judgements are not representable (remove their conflicts first, see
        :func:`~.ordinal.find_conflicts`).
    """
    model = as_model(model)
    if packages is None:
        packages = np.zeros((0, len(model.parts)), dtype=np.int64)
    packages = model.check_packages(packages)
    judgements = check_judgements(judgements, packages.shape[0])
    if int(count) != count or count < 1:
        raise ScenarioError(f"the number of samples must be a whole number >= 1, got {count}")
    polytope = judgement_polytope(model, model.features(packages), judgements)
    centre, radius = chebyshev_centre(polytope)
    if radius <= INTERIOR_RADIUS or any(not j.tie and j.better == j.worse for j in judgements):
        raise ScenarioError(
            "the judgements contradict each other, so no value function reproduces them all; "
            "remove the conflicting ones first",
            source="judgements",
        )
    dimension = polytope.directions.shape[1]
    steps = 50 + 10 * dimension if steps is None else int(steps)
    points = hit_and_run(polytope, centre, int(count), steps, np.random.default_rng(seed))
    return model.normalize(points[:, : model.size])


def pair_probabilities(utilities: np.ndarray) -> np.ndarray:
    """``P[a, b]``: share of the sampled value functions (rows of ``utilities``, one column
    per package) under which package ``a`` is better than ``b``, ties counting half."""
    utilities = np.asarray(utilities, dtype=float)
    above = (utilities[:, :, None] > utilities[:, None, :]).mean(axis=0)
    level = (utilities[:, :, None] == utilities[:, None, :]).mean(axis=0)
    return above + 0.5 * level
