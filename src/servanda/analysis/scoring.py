"""Scoring a proposal: utilities, gains, broken red lines, efficiency, Pareto improvements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from servanda.analysis.frontier import (
    Frontier,
    Progress,
    RunningFrontier,
    additive_applicable,
    additive_frontier,
)
from servanda.analysis.pareto import dominates
from servanda.analysis.report import Point, point, point_dict
from servanda.analysis.utilities import all_red_lines, red_line_matrix, utilities
from servanda.errors import SpaceTooLargeError
from servanda.model import DEFAULT_ENUMERATION_LIMIT, Scenario
from servanda.model.space import count_text


@dataclass(frozen=True)
class Score:
    """How a proposal fares for every party, and what would improve it.

    ``improvements`` counts the Pareto improvements: outcomes that make every party at
    least as well off and one better off while breaking no red line the proposal does not
    already break (None when the space was not enumerated); ``best_improvements`` lists
    the efficient ones, largest joint gain first.
    """

    proposal: Point
    gains: tuple[float, ...]  # utility minus reservation value, per party
    broken: tuple[tuple[str, str], ...]  # (party, red line)
    efficient: bool
    improvements: int | None
    best_improvements: tuple[Point, ...]

    @property
    def acceptable(self) -> bool:
        """True when the proposal breaks no red line and meets every reservation value."""
        return not self.broken and all(g >= 0 for g in self.gains)


def score(
    scenario: Scenario,
    outcome: Sequence[int],
    *,
    top: int = 5,
    limit: int | None = None,
    chunk_size: int = 1 << 18,
    progress: Progress | None = None,
) -> Score:
    """Score a proposal.

    Parameters
    ----------
    scenario : Scenario
    outcome : sequence of int
        The proposal as option indices (``scenario.space.parse`` turns names into them).
    top : int, default 5
        How many efficient improvements to return, largest joint gain first.
    limit : int, optional
        Largest number of outcomes to enumerate (default :data:`DEFAULT_ENUMERATION_LIMIT`);
        above it, and for linear-additive preferences, the efficient improvements come from
        the issue-by-issue frontier and their total number is not counted.
    chunk_size : int, default 2**18
        Outcomes per chunk when streaming.
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk.

    Returns
    -------
    Score
    """
    space = scenario.space
    outcome = tuple(int(d) for d in outcome)
    index = space.index_of(outcome)
    own, broken, count, better = pareto_improvements(scenario, outcome, limit, chunk_size, progress)
    lines = all_red_lines(scenario)
    joint_gain = (better.utilities - own).sum(axis=1)
    # Largest joint gain first, then the lowest outcome (index order = digit order).
    digits = [better.outcomes[:, i] for i in range(len(outcome) - 1, -1, -1)]
    ranked = np.lexsort(digits + [-joint_gain])
    return Score(
        proposal=Point(index, outcome, space.describe(outcome), tuple(float(u) for u in own)),
        gains=tuple(float(g) for g in own - scenario.reservations),
        broken=tuple((party, line.name) for (party, line), hit in zip(lines, broken) if hit),
        efficient=len(better) == 0,
        improvements=count,
        best_improvements=tuple(point(scenario, better, int(r)) for r in ranked[:top]),
    )


def pareto_improvements(
    scenario: Scenario,
    outcome: Sequence[int],
    limit: int | None = None,
    chunk_size: int = 1 << 18,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray, int | None, Frontier]:
    """The efficient Pareto improvements on ``outcome``: outcomes at least as good for every
    party and better for one, breaking no red line it does not already break, and
    undominated among those. Returns the outcome's utilities, which red lines it breaks
    (in :func:`all_red_lines` order), how many improvements there are (None when the space
    was not enumerated) and the efficient ones as a frontier."""
    space = scenario.space
    row = np.asarray([tuple(int(d) for d in outcome)])
    own = utilities(scenario, row)[0]
    broken = red_line_matrix(scenario, row)[0]
    limit = DEFAULT_ENUMERATION_LIMIT if limit is None else limit
    if space.size <= limit:
        count, better = _improvements_by_enumeration(scenario, own, broken, limit, chunk_size, progress)
    elif additive_applicable(scenario):
        # Efficient improvements lie on the frontier of the outcomes that break none of
        # the red lines the proposal keeps; how many improvements there are in all would
        # need enumeration.
        kept = [line for (_, line), hit in zip(all_red_lines(scenario), broken) if not hit]
        frontier = additive_frontier(scenario, kept)
        count, better = None, frontier.take(np.flatnonzero(dominates(frontier.utilities, own)))
    else:
        raise SpaceTooLargeError(
            f"cannot look for improvements in {count_text(space.size)} outcomes: too many to "
            "enumerate, and preferences are not linear-additive (or red lines span several "
            "issues)"
        )
    return own, broken, count, better


def _improvements_by_enumeration(
    scenario: Scenario,
    own: np.ndarray,
    broken: np.ndarray,
    limit: int,
    chunk_size: int,
    progress: Progress | None,
) -> tuple[int, Frontier]:
    """Count the Pareto improvements that break no further red line; keep the efficient."""
    space = scenario.space
    efficient = RunningFrontier(len(scenario.parties), len(space.issues))
    count = done = 0
    for digits in space.chunks(chunk_size, limit):
        u = utilities(scenario, digits)
        further = red_line_matrix(scenario, digits) & ~broken
        better = dominates(u, own) & ~further.any(axis=1)
        count += int(better.sum())
        efficient.add(np.flatnonzero(better) + done, digits[better], u[better])
        done += len(digits)
        if progress is not None:
            progress(done, space.size)
    return count, efficient.result()


def score_dict(result: Score, parties: tuple[str, ...]) -> dict:
    """The score as plain data (JSON-ready)."""
    return {
        "proposal": point_dict(result.proposal, parties),
        "gains": dict(zip(parties, result.gains)),
        "broken_red_lines": [{"party": p, "red_line": n} for p, n in result.broken],
        "acceptable": result.acceptable,
        "pareto_efficient": result.efficient,
        "pareto_improvements": result.improvements,
        "best_improvements": [point_dict(p, parties) for p in result.best_improvements],
    }
