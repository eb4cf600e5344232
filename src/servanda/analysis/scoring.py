"""Scoring a proposal: utilities, gains, broken red lines, efficiency, Pareto improvements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from servanda.analysis.frontier import Progress, additive_applicable, additive_frontier
from servanda.analysis.pareto import pareto_mask
from servanda.analysis.report import Point, point_dict
from servanda.analysis.utilities import (
    all_red_lines,
    broken_red_lines,
    red_line_matrix,
    utilities,
)
from servanda.errors import SpaceTooLargeError
from servanda.model import DEFAULT_ENUMERATION_LIMIT, Scenario


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
    """Score ``outcome`` (option indices) in ``scenario``."""
    space = scenario.space
    outcome = tuple(int(d) for d in outcome)
    index = space.index_of(outcome)
    own = utilities(scenario, np.asarray([outcome]))[0]
    broken = red_line_matrix(scenario, np.asarray([outcome]))[0]
    limit = DEFAULT_ENUMERATION_LIMIT if limit is None else limit
    if space.size <= limit:
        count, rows, idx, utils = _improvements_by_enumeration(
            scenario, own, broken, limit, chunk_size, progress
        )
    elif additive_applicable(scenario):
        still_kept = [line for (_, line), hit in zip(all_red_lines(scenario), broken) if not hit]
        frontier = additive_frontier(scenario, still_kept)
        better = _dominating(frontier.utilities, own)
        count, rows, idx, utils = None, frontier.outcomes[better], [
            frontier.indices[r] for r in np.flatnonzero(better)
        ], frontier.utilities[better]
    else:
        raise SpaceTooLargeError(
            f"cannot look for improvements in {space.size:.3e} outcomes: too many to "
            "enumerate, and preferences are not linear-additive (or red lines span several "
            "issues)"
        )
    joint_gain = (utils - own).sum(axis=1) if len(utils) else np.zeros(0)
    ranked = sorted(range(len(idx)), key=lambda r: (-joint_gain[r], idx[r]))[:top]
    best = tuple(
        Point(
            idx[r],
            tuple(int(d) for d in rows[r]),
            space.describe(rows[r]),
            tuple(float(u) for u in utils[r]),
        )
        for r in ranked
    )
    return Score(
        proposal=Point(index, outcome, space.describe(outcome), tuple(float(u) for u in own)),
        gains=tuple(float(g) for g in own - scenario.reservations),
        broken=tuple((party, line.name) for party, line in broken_red_lines(scenario, outcome)),
        efficient=len(idx) == 0,
        improvements=count,
        best_improvements=best,
    )


def _dominating(utils: np.ndarray, own: np.ndarray) -> np.ndarray:
    return np.all(utils >= own, axis=1) & np.any(utils > own, axis=1)


def _improvements_by_enumeration(
    scenario: Scenario,
    own: np.ndarray,
    broken: np.ndarray,
    limit: int,
    chunk_size: int,
    progress: Progress | None,
) -> tuple[int, np.ndarray, list[int], np.ndarray]:
    """Count the Pareto improvements that break no further red line; keep the efficient."""
    space = scenario.space
    count, done = 0, 0
    rows, idx, utils = [], [], []
    for digits in space.chunks(chunk_size, limit):
        u = utilities(scenario, digits)
        further = red_line_matrix(scenario, digits) & ~broken
        better = _dominating(u, own) & ~further.any(axis=1)
        count += int(better.sum())
        if better.any():
            local = pareto_mask(u[better])
            rows.append(digits[better][local])
            idx.append(np.flatnonzero(better)[local] + done)
            utils.append(u[better][local])
        done += len(digits)
        if progress is not None:
            progress(done, space.size)
    if not rows:
        return count, np.empty((0, len(space.issues)), np.int64), [], np.empty((0, len(own)))
    all_rows, all_idx, all_utils = np.vstack(rows), np.concatenate(idx), np.vstack(utils)
    keep = pareto_mask(all_utils)
    return count, all_rows[keep], all_idx[keep].tolist(), all_utils[keep]


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
