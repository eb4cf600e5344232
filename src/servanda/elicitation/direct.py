"""Direct rating, as in the Inspire negotiation support system (Kersten & Noronha 1999).

The party shares importance points among the issues (say 100) and rates the options of
each issue on any scale it likes (say 0 to 100, higher is better). Both are read in the
sense of multi-attribute value theory (swing weighting, von Winterfeldt & Edwards 1986):
an issue's points say how much moving from its worst to its best option matters, and the
ratings of an issue are turned into values by ``(r - worst) / (best - worst)``, so that the
best option is worth 1 and the worst 0 whatever the scale. Weights are the points divided
by their sum. The utility of a package is then ``sum_i w_i * v_i[o_i]``, the points-weighted
sum of the rescaled ratings.

A numeric issue may be rated at a few of its range values only (at least two; every extra
named option needs its own rating): the values in between are interpolated linearly, and
beyond the outermost rated values they stay constant.

An issue whose options are all rated alike cannot matter; it must get 0 points, and its
values are all 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from servanda.errors import OutcomeError, ScenarioError
from servanda.model import Issue, NumericIssue, Preferences, Scenario

Ratings = Mapping[Any, float]


def preferences_from_ratings(
    source: Scenario | Sequence[Issue],
    importance: Mapping[str, float],
    ratings: Mapping[str, Ratings],
) -> Preferences:
    """Normalised preferences from importance points and option ratings.

    Parameters
    ----------
    source
        The scenario (or its issues) the preferences are for.
    importance
        ``{issue name: points}``, every issue once; points are numbers >= 0 of any total > 0.
    ratings
        ``{issue name: {option: rating}}``: options given as themselves or as their text,
        ratings as numbers on any scale where higher is better.

    Returns
    -------
    Preferences
        Weights ``points / total``; values rescaled per issue so that the best-rated option
        is 1 and the worst 0.

    Raises
    ------
    ScenarioError
        Naming the issue (and option) of the first problem found.
    """
    issues = tuple(source.issues if isinstance(source, Scenario) else source)
    names = [issue.name for issue in issues]
    _require_issues(importance, names, "importance", "no importance points")
    _require_issues(ratings, names, "ratings", "no ratings")
    points = np.array([_points(importance[name], name) for name in names])
    total = float(points.sum())
    if not math.isfinite(total) or total <= 0:
        raise ScenarioError(
            "the importance points sum to 0; give at least one issue some points", source="importance"
        )
    tables = []
    for issue, share in zip(issues, points):
        rated = rating_table(issue, ratings[issue.name])
        spread = float(rated.max() - rated.min())
        if spread <= 0 and share > 0:
            raise ScenarioError(
                f"every option is rated {_number(float(rated[0]))}, so the issue cannot matter; "
                f"rate its options differently or give it 0 importance points",
                source="ratings",
                location=f"issue '{issue.name}'",
            )
        tables.append((rated - rated.min()) / spread if spread > 0 else np.zeros(issue.size))
    return Preferences(points / total, tuple(tables))


def option_values(issue: Issue, ratings: Ratings) -> np.ndarray:
    """The values (best 1, worst 0; all 0 when every rating is the same) of one issue's
    options from their ratings; the same checks as :func:`preferences_from_ratings`."""
    rated = rating_table(issue, ratings)
    spread = float(rated.max() - rated.min())
    return (rated - rated.min()) / spread if spread > 0 else np.zeros(issue.size)


def rating_table(issue: Issue, ratings: Ratings) -> np.ndarray:
    """The rating of every option of ``issue``: as given, or interpolated for the range
    values of a numeric issue that were not rated."""
    where = f"issue '{issue.name}'"
    if not isinstance(ratings, Mapping):
        raise ScenarioError(
            f"expected {{option: rating}}, got {type(ratings).__name__}",
            source="ratings",
            location=where,
        )
    table = np.full(issue.size, np.nan)
    for option, value in ratings.items():
        try:
            position = issue.index_of(option)
        except OutcomeError as exc:
            raise ScenarioError(str(exc), source="ratings", location=where) from None
        if not np.isnan(table[position]):
            raise ScenarioError(
                f"option {issue.options[position]!r} is rated twice", source="ratings", location=where
            )
        number = _finite(value)
        if number is None:
            raise ScenarioError(
                f"the rating of option {issue.options[position]!r} is {value!r}; expected a number",
                source="ratings",
                location=where,
            )
        table[position] = number
    missing = np.isnan(table)
    if not missing.any():
        return table
    if isinstance(issue, NumericIssue):
        grid = len(issue.grid)
        extra = [issue.extra[k] for k in np.flatnonzero(missing[grid:])]
        if extra:
            raise ScenarioError(
                f"no rating for extra option(s) {', '.join(extra)}", source="ratings", location=where
            )
        known = np.flatnonzero(~missing[:grid])
        if known.size >= 2:
            values = issue.grid.astype(float)
            table[:grid] = np.interp(values, values[known], table[known])
            return table
        raise ScenarioError(
            "rate at least two values of the range (the others are interpolated)"
            if grid > 1 else f"no rating for option {issue.options[0]!r}",
            source="ratings",
            location=where,
        )
    shown = [str(o) for o, gap in zip(issue.options, missing) if gap]
    text = ", ".join(shown[:6]) + (", ..." if len(shown) > 6 else "")
    raise ScenarioError(f"no rating for option(s) {text}", source="ratings", location=where)


def _require_issues(given: Mapping[str, Any], names: list[str], what: str, missing_text: str) -> None:
    if not isinstance(given, Mapping):
        raise ScenarioError(f"expected {{issue name: ...}}, got {type(given).__name__}", source=what)
    unknown = [str(name) for name in given if name not in names]
    if unknown:
        raise ScenarioError(
            f"unknown issue(s) {', '.join(map(repr, unknown))}; issues: {', '.join(names)}", source=what
        )
    missing = [name for name in names if name not in given]
    if missing:
        raise ScenarioError(f"{missing_text} for issue(s) {', '.join(missing)}", source=what)


def _points(value: Any, name: str) -> float:
    number = _finite(value)
    if number is None or number < 0:
        raise ScenarioError(
            f"the importance of '{name}' is {value!r}; expected a number >= 0", source="importance"
        )
    return number


def _finite(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _number(value: float) -> str:
    return f"{value:g}"
