"""A party's preferences: linear-additive utility with optional pairwise interactions.

``u(o) = sum_i w_i * v_i[o_i] + sum_(a,b) M_ab[o_a, o_b]``: issue weights ``w``, a value
table ``v_i`` per issue (one number per option; numeric issues get theirs from a
piecewise-linear value function evaluated on the issue's grid) and pairwise interaction
matrices ``M_ab``. Everything is evaluated on arrays of outcomes at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from servanda.errors import ScenarioError


@dataclass(frozen=True, eq=False)
class Interaction:
    """Extra utility ``matrix[o_first, o_second]`` when two issues take given options."""

    first: int
    second: int
    matrix: np.ndarray

    def __post_init__(self) -> None:
        matrix = np.array(self.matrix, dtype=float)
        if matrix.ndim != 2 or not np.all(np.isfinite(matrix)):
            raise ScenarioError("an interaction needs a 2-d matrix of finite numbers")
        matrix.setflags(write=False)
        object.__setattr__(self, "matrix", matrix)

    def evaluate(self, digits: np.ndarray) -> np.ndarray:
        return self.matrix[digits[:, self.first], digits[:, self.second]]


@dataclass(frozen=True, eq=False)
class Preferences:
    """Weights, per-issue value tables and pairwise interactions of one party."""

    weights: np.ndarray
    tables: tuple[np.ndarray, ...]
    interactions: tuple[Interaction, ...] = ()

    def __post_init__(self) -> None:
        weights = np.array(self.weights, dtype=float)
        tables = tuple(np.array(t, dtype=float) for t in self.tables)
        if weights.shape != (len(tables),):
            raise ScenarioError(f"{len(tables)} value tables but {weights.size} weights")
        if not np.all(np.isfinite(weights)) or any(not np.all(np.isfinite(t)) for t in tables):
            raise ScenarioError("weights and option values must be finite numbers")
        weights.setflags(write=False)
        for t in tables:
            t.setflags(write=False)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "tables", tables)

    @property
    def is_linear_additive(self) -> bool:
        """True when there are no interaction terms."""
        return not self.interactions

    @property
    def weighted_tables(self) -> tuple[np.ndarray, ...]:
        """``w_i * v_i`` for each issue: the utility each option contributes."""
        return tuple(w * t for w, t in zip(self.weights, self.tables))

    def evaluate(self, digits: np.ndarray) -> np.ndarray:
        """Utility of each outcome in ``digits`` (shape ``(n, issues)``)."""
        digits = np.asarray(digits)
        total = np.zeros(digits.shape[0])
        for i, table in enumerate(self.weighted_tables):
            total += table[digits[:, i]]
        for term in self.interactions:
            total += term.evaluate(digits)
        return total

    def utility(self, outcome: Sequence[int]) -> float:
        """Utility of one outcome given as option indices."""
        return float(self.evaluate(np.asarray([outcome]))[0])

    def bounds(self) -> tuple[float, float]:
        """Lowest and highest utility over the whole space, exact when linear-additive
        (interaction terms are bounded term by term, so then the range may be wider)."""
        low = sum(float(t.min()) for t in self.weighted_tables)
        high = sum(float(t.max()) for t in self.weighted_tables)
        low += sum(float(term.matrix.min()) for term in self.interactions)
        high += sum(float(term.matrix.max()) for term in self.interactions)
        return low, high
