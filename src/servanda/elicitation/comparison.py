"""Where two estimates of one party's preferences disagree: typically its direct ratings
and the fit of its holistic judgements (the "package check"): issue weights that differ by
more than a tolerance, option values likewise, and packages the two order differently.

A disagreement is a prompt for the party, not an error: either estimate may be the one
that misrepresents it, and people often find that seeing the packages in question settles
which one they mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import kendalltau

from servanda.errors import OutcomeError, ScenarioError
from servanda.model import Preferences

#: Default largest difference of weights or of option values that counts as agreement.
DEFAULT_TOLERANCE = 0.1


@dataclass(frozen=True, eq=False)
class PreferenceComparison:
    """Result of :func:`compare_preferences` (``first`` and ``second`` as given there).

    Attributes
    ----------
    weight_gaps
        ``second.weights - first.weights``, per issue.
    value_gaps
        ``second.tables[i] - first.tables[i]``, per issue.
    issues
        Issues whose weights differ by more than the tolerance.
    options
        ``(issue, option)`` whose values differ by more than the tolerance, in issues that
        both estimates weigh above the tolerance (values of a negligible issue do not
        matter).
    utilities
        Utilities of the packages, shape ``(2, n)``: under ``first``, under ``second``.
    reversed_pairs
        ``(a, b)``: packages that ``first`` orders ``a`` above ``b`` and ``second`` the other
        way round (each by more than the margin), biggest disagreement first.
    tau
        Kendall's tau-b between the two orders of the packages (1: the same order).
    """

    weight_gaps: np.ndarray
    value_gaps: tuple[np.ndarray, ...]
    issues: tuple[int, ...]
    options: tuple[tuple[int, int], ...]
    utilities: np.ndarray
    reversed_pairs: tuple[tuple[int, int], ...]
    tau: float

    @property
    def agree(self) -> bool:
        """No issue, option or pair of packages differs."""
        return not (self.issues or self.options or self.reversed_pairs)


def compare_preferences(
    first: Preferences,
    second: Preferences,
    packages: np.ndarray | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    margin: float = 1e-9,
) -> PreferenceComparison:
    """Compare two estimates of one party's preferences (over the same issues).

    Parameters
    ----------
    first, second
        The estimates, e.g. from direct ratings and from a holistic fit.
    packages
        Option indices ``(n, issues)`` of the packages to check (default: none).
    tolerance
        Largest difference of a weight or a value counted as agreement (default 0.1).
    margin
        Utility differences up to this count as ties when comparing orders.
    """
    if len(first.tables) != len(second.tables) or any(
        a.shape != b.shape for a, b in zip(first.tables, second.tables)
    ):
        raise ScenarioError("the two preferences are not over the same issues and options")
    if not tolerance >= 0:
        raise ScenarioError(f"the tolerance must be >= 0, got {tolerance}")
    weight_gaps = second.weights - first.weights
    value_gaps = tuple(b - a for a, b in zip(first.tables, second.tables))
    issues = tuple(int(i) for i in np.flatnonzero(np.abs(weight_gaps) > tolerance))
    options = tuple(
        (i, int(k))
        for i, gaps in enumerate(value_gaps)
        if min(first.weights[i], second.weights[i]) > tolerance
        for k in np.flatnonzero(np.abs(gaps) > tolerance)
    )
    if packages is None:
        packages = np.zeros((0, len(first.tables)), dtype=np.int64)
    packages = np.asarray(packages, dtype=np.int64).reshape(-1, len(first.tables))
    sizes = np.array([t.size for t in first.tables])
    if np.any((packages < 0) | (packages >= sizes)):
        raise OutcomeError("a package names an option index outside its issue")
    utilities = np.vstack([first.evaluate(packages), second.evaluate(packages)])
    gap_first = utilities[0][:, None] - utilities[0][None, :]
    gap_second = utilities[1][:, None] - utilities[1][None, :]
    crossed = (gap_first > margin) & (gap_second < -margin)
    a, b = np.nonzero(crossed)
    order = np.argsort(-(gap_first[a, b] - gap_second[a, b]), kind="stable")
    reversed_pairs = tuple((int(a[k]), int(b[k])) for k in order)
    tau = (
        kendalltau(tie_levels(utilities[0], margin), tie_levels(utilities[1], margin)).statistic
        if packages.shape[0] > 1 else 1.0
    )
    return PreferenceComparison(
        weight_gaps=weight_gaps,
        value_gaps=value_gaps,
        issues=issues,
        options=options,
        utilities=utilities,
        reversed_pairs=reversed_pairs,
        tau=float(tau) if np.isfinite(tau) else 0.0,
    )


def tie_levels(values: np.ndarray, margin: float) -> np.ndarray:
    """Ranks of ``values`` in which values within ``margin`` of their neighbour share a
    level, so that a rank correlation treats differences below ``margin`` as ties."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    steps = np.diff(values[order]) > margin
    levels = np.empty(values.size, dtype=np.int64)
    levels[order] = np.concatenate([[0], np.cumsum(steps)])
    return levels
