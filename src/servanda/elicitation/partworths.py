"""The part-worth model: the parameters of the additive value function that elicitation fits.

The utility of a package (outcome) is ``u(o) = sum_i t_i[o_i]``, one table ``t_i`` per
issue, and each table is linear in a few parameters ``theta_i``:

- one *part-worth* per option (categorical and ordinal issues, and numeric issues with at
  most ``max_parts`` options);
- for a numeric issue with more options, the values at ``max_parts`` evenly spaced
  breakpoints of its range, linearly interpolated between them (as UTA does for numeric
  criteria, Jacquet-Lagrèze & Siskos 1982), plus one part-worth per extra named option.

Every row of the interpolation matrix sums to one and the breakpoints are options of the
issue, so the smallest and largest entries of ``t_i`` are the smallest and largest of
``theta_i``: everything about ranges can be read from the parameters.

Normalisation (that of :class:`~servanda.model.Preferences` in Servanda's files): part-worths
are defined up to a constant per issue and a common positive factor, so a fitted ``theta``
becomes weights ``w_i = range_i / sum_j range_j`` and values ``v_i = (t_i - min t_i) /
range_i``: weights sum to one, and in every issue the best option is worth 1 and the worst 0.
An issue whose table is constant has weight 0 and every value 0 (it cannot matter).

A *direction* (``"increasing"``: the highest option is the best; ``"decreasing"``: the lowest
is) adds the monotonicity constraints of UTA to the fits; it applies to the options of an
ordinal issue in their listed order and to the range of a numeric issue (extra named options
stay free). Categorical options have no order, hence no direction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from servanda.errors import OutcomeError, ScenarioError
from servanda.model import Issue, NumericIssue, OrdinalIssue, Preferences, Scenario

#: Default largest number of parameters of one numeric issue (see the module docstring).
DEFAULT_MAX_PARTS = 5
DIRECTIONS = {"increasing": 1, "decreasing": -1}
#: Ranges below this fraction of the total count as zero (rounding noise of a fit).
_RANGE_TOLERANCE = 1e-12


@dataclass(frozen=True, eq=False)
class IssueParts:
    """How the table of one issue depends on its parameters.

    ``breakpoints`` holds the positions (in the issue's numeric grid) of the range values
    that carry a parameter, or is None when every option carries its own; ``direction`` is
    +1 (highest best), -1 (lowest best) or 0 (unknown)."""

    issue: Issue
    breakpoints: np.ndarray | None = None
    direction: int = 0

    @cached_property
    def _grid(self) -> np.ndarray:
        assert isinstance(self.issue, NumericIssue)
        return self.issue.grid.astype(float)

    @property
    def size(self) -> int:
        """Number of parameters."""
        if self.breakpoints is None:
            return self.issue.size
        return len(self.breakpoints) + len(self.issue.extra)  # type: ignore[attr-defined]

    @property
    def ordered(self) -> int:
        """How many leading parameters lie in the issue's order (the monotone ones)."""
        if isinstance(self.issue, NumericIssue):
            return len(self._grid) if self.breakpoints is None else len(self.breakpoints)
        return self.issue.size if isinstance(self.issue, OrdinalIssue) else 0

    @cached_property
    def options(self) -> np.ndarray:
        """The option (index) each parameter belongs to."""
        if self.breakpoints is None:
            return np.arange(self.issue.size)
        extra = len(self.issue.extra)  # type: ignore[attr-defined]
        return np.concatenate([self.breakpoints, len(self._grid) + np.arange(extra)])

    def rows(self, options: np.ndarray) -> np.ndarray:
        """The rows of the interpolation matrix for these options: ``(len(options), size)``."""
        options = np.asarray(options, dtype=np.int64)
        out = np.zeros((options.size, self.size))
        if self.breakpoints is None:
            out[np.arange(options.size), options] = 1.0
            return out
        grid = len(self._grid)
        in_range = options < grid
        x = self._grid[options[in_range]]
        knots = self._grid[self.breakpoints]
        # Hat functions: column j is the interpolation of the j-th unit vector.
        for j in range(len(knots)):
            unit = np.zeros(len(knots))
            unit[j] = 1.0
            out[in_range, j] = np.interp(x, knots, unit)
        extra = np.flatnonzero(~in_range)
        out[extra, len(knots) + options[extra] - grid] = 1.0
        return out

    def table(self, theta: np.ndarray) -> np.ndarray:
        """The value of every option for parameters ``theta``."""
        theta = np.asarray(theta, dtype=float)
        if self.breakpoints is None:
            return theta.copy()
        knots = self._grid[self.breakpoints]
        count = len(knots)
        return np.concatenate([np.interp(self._grid, knots, theta[:count]), theta[count:]])

    def parameters(self, table: np.ndarray) -> np.ndarray:
        """The parameters that reproduce ``table`` at the parameter options (exactly, when
        the table is piecewise linear between the breakpoints)."""
        return np.asarray(table, dtype=float)[self.options]


@dataclass(frozen=True, eq=False)
class PartWorthModel:
    """The additive value function to be fitted: one :class:`IssueParts` per issue."""

    parts: tuple[IssueParts, ...]

    @classmethod
    def of(
        cls,
        source: Scenario | Sequence[Issue],
        *,
        monotone: Mapping[str, str] | None = None,
        max_parts: int = DEFAULT_MAX_PARTS,
    ) -> PartWorthModel:
        """The model of a scenario's issues.

        Parameters
        ----------
        source
            A scenario, or its issues.
        monotone
            ``{issue name: "increasing" | "decreasing"}`` for the issues whose best option is
            known to be the highest or the lowest (default: none).
        max_parts
            Numeric issues with more options than this get this many evenly spaced
            breakpoints instead of one part-worth per option (default 5; at least 2).
        """
        issues = tuple(source.issues if isinstance(source, Scenario) else source)
        if int(max_parts) != max_parts or max_parts < 2:
            raise ScenarioError(f"max_parts must be a whole number >= 2, got {max_parts}")
        directions = _directions(issues, monotone or {})
        parts = []
        for issue, direction in zip(issues, directions):
            breakpoints = None
            if isinstance(issue, NumericIssue) and issue.size > max_parts:
                grid = len(issue.grid)
                if grid > max_parts:
                    spaced = np.round(np.linspace(0, grid - 1, int(max_parts)))
                    breakpoints = np.unique(spaced.astype(np.int64))
                else:
                    breakpoints = np.arange(grid)
            parts.append(IssueParts(issue, breakpoints, direction))
        return cls(tuple(parts))

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(p.issue for p in self.parts)

    @cached_property
    def offsets(self) -> np.ndarray:
        """Where each issue's parameters start in the parameter vector (and the total)."""
        return np.concatenate([[0], np.cumsum([p.size for p in self.parts])]).astype(np.int64)

    @property
    def size(self) -> int:
        """Number of parameters."""
        return int(self.offsets[-1])

    @cached_property
    def issue_of(self) -> np.ndarray:
        """The issue of every parameter."""
        return np.repeat(np.arange(len(self.parts)), [p.size for p in self.parts])

    @property
    def degrees_of_freedom(self) -> int:
        """Parameters that package judgements can determine: all but a constant per issue."""
        return self.size - len(self.parts)

    def check_packages(self, packages: np.ndarray) -> np.ndarray:
        """``packages`` as an int64 ``(n, issues)`` array of option indices, or an error."""
        array = np.asarray(packages)
        if array.ndim != 2 or array.shape[1] != len(self.parts):
            raise OutcomeError(
                f"packages must be given as rows of {len(self.parts)} option indices, "
                f"got shape {array.shape}"
            )
        if array.size and not np.issubdtype(array.dtype, np.integer):
            if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
                raise OutcomeError("packages must hold whole option indices")
        array = array.astype(np.int64)
        for i, part in enumerate(self.parts):
            bad = (array[:, i] < 0) | (array[:, i] >= part.issue.size)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise OutcomeError(
                    f"package {row + 1}: option index {array[row, i]} outside issue "
                    f"'{part.issue.name}' ({part.issue.size} options)"
                )
        return array

    def features(self, packages: np.ndarray) -> np.ndarray:
        """``x`` with ``u(package) = x @ theta``: shape ``(n, size)``."""
        packages = self.check_packages(packages)
        if not self.parts:
            return np.zeros((packages.shape[0], 0))
        return np.hstack([part.rows(packages[:, i]) for i, part in enumerate(self.parts)])

    def blocks(self, theta: np.ndarray) -> list[np.ndarray]:
        """The parameters of each issue (views into ``theta``, along the last axis)."""
        return [theta[..., a:b] for a, b in zip(self.offsets[:-1], self.offsets[1:])]

    def monotone_rows(self) -> np.ndarray:
        """``G`` with ``G @ theta >= 0`` exactly when every directed issue is monotone."""
        rows = []
        for part, start in zip(self.parts, self.offsets[:-1]):
            if part.direction == 0:
                continue
            for k in range(part.ordered - 1):
                row = np.zeros(self.size)
                row[start + k + 1] = part.direction
                row[start + k] = -part.direction
                rows.append(row)
        return np.array(rows).reshape(-1, self.size)

    def normalize(self, theta: np.ndarray) -> np.ndarray:
        """Normalised part-worths (each issue's smallest is 0, the ranges sum to 1) of one
        parameter vector or of a stack of them (last axis); a stack's vectors whose ranges
        are all zero stay zero."""
        theta = np.asarray(theta, dtype=float)
        lows = np.stack([b.min(axis=-1) for b in self.blocks(theta)], axis=-1)
        highs = np.stack([b.max(axis=-1) for b in self.blocks(theta)], axis=-1)
        ranges = highs - lows
        total = ranges.sum(axis=-1, keepdims=True)
        shifted = theta - lows[..., self.issue_of]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(total > 0, shifted / np.where(total > 0, total, 1.0), 0.0)
        # An issue whose range is rounding noise is constant: all zeros.
        flat = ranges <= _RANGE_TOLERANCE * np.maximum(total, np.finfo(float).tiny)
        return np.where(flat[..., self.issue_of], 0.0, out)

    def preferences(self, theta: np.ndarray) -> Preferences:
        """Normalised :class:`Preferences` of a parameter vector (see the module docstring)."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.size,) or not np.all(np.isfinite(theta)):
            raise ScenarioError(f"expected {self.size} finite part-worths, got shape {theta.shape}")
        scaled = self.normalize(theta)
        blocks = self.blocks(scaled)
        weights = np.array([b.max() if b.size else 0.0 for b in blocks])
        if weights.sum() <= 0:
            raise ScenarioError(
                "the judgements tell no package from another, so they say nothing about the "
                "weights; judge packages that differ"
            )
        tables = []
        for part, block, weight in zip(self.parts, blocks, weights):
            table = part.table(block)
            flat = np.zeros(part.issue.size)
            tables.append(np.clip(table / weight, 0.0, 1.0) if weight > 0 else flat)
        return Preferences(weights / weights.sum(), tuple(tables))

    def parameters(self, preferences: Preferences) -> np.ndarray:
        """The part-worths ``w_i * v_i`` of linear-additive preferences at the parameter
        options (the inverse of :meth:`preferences` for normalised preferences whose numeric
        tables are linear between the breakpoints)."""
        if not preferences.is_linear_additive:
            raise ScenarioError("part-worths exist only for preferences without interaction terms")
        if len(preferences.tables) != len(self.parts):
            raise ScenarioError(
                f"preferences for {len(preferences.tables)} issues, the model has {len(self.parts)}"
            )
        return np.concatenate(
            [part.parameters(table) for part, table in zip(self.parts, preferences.weighted_tables)]
        )


def as_model(source: PartWorthModel | Scenario | Sequence[Issue]) -> PartWorthModel:
    """A :class:`PartWorthModel` as given, or the default one of a scenario or issues."""
    return source if isinstance(source, PartWorthModel) else PartWorthModel.of(source)


def _directions(issues: tuple[Issue, ...], monotone: Mapping[str, str]) -> list[int]:
    names = [issue.name for issue in issues]
    for name, direction in monotone.items():
        if name not in names:
            raise ScenarioError(
                f"unknown issue '{name}'; issues: {', '.join(names)}", source="monotone"
            )
        if direction not in DIRECTIONS:
            raise ScenarioError(
                f"direction of '{name}' is {direction!r}; expected 'increasing' or 'decreasing'",
                source="monotone",
            )
        issue = issues[names.index(name)]
        if not isinstance(issue, (OrdinalIssue, NumericIssue)):
            raise ScenarioError(
                f"issue '{name}' is categorical: its options have no order, so no direction",
                source="monotone",
            )
    return [DIRECTIONS[monotone[name]] if name in monotone else 0 for name in names]
