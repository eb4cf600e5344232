"""``analyze``: the complete analysis of a scenario in one call."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from servanda.analysis.frontier import (
    Counts,
    Frontier,
    Progress,
    additive_applicable,
    additive_frontier,
    allowed_options,
    scan,
)
from servanda.analysis.solutions import SOLUTIONS
from servanda.errors import SpaceTooLargeError, UnsupportedError
from servanda.model import DEFAULT_ENUMERATION_LIMIT, Scenario
from servanda.model.space import count_text


@dataclass(frozen=True)
class Point:
    """One outcome: its index, option indices, labels and every party's utility."""

    index: int
    outcome: tuple[int, ...]
    labels: dict[str, Any]
    utilities: tuple[float, ...]


@dataclass(frozen=True)
class PartySummary:
    """One party's view: reservation value, best reachable utility, acceptable outcomes."""

    name: str
    reservation: float
    best: float | None  # highest utility among outcomes breaking no red line
    acceptable: int | None  # outcomes breaking none of its red lines, >= its reservation
    red_lines: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Analysis:
    """Frontier, zone of possible agreement and bargaining solutions of a scenario.

    ``frontier`` holds the Pareto-efficient outcomes among those that break no red line;
    ``solutions`` are chosen among the frontier outcomes of the zone of possible agreement
    (no red line broken, every party at least at its reservation value). When that zone is
    empty, ``relaxed`` is the same analysis with every red line dropped.
    """

    scenario: Scenario
    method: str
    space_size: int
    acceptable: int  # outcomes that break no red line (exact, also without enumeration)
    zone_size: int | None  # None when the space was not enumerated
    frontier: Frontier
    solutions: dict[str, Point | None]
    parties: tuple[PartySummary, ...]
    red_lines_respected: bool = True
    relaxed: Analysis | None = field(default=None)

    @property
    def agreement_possible(self) -> bool:
        """True when some outcome breaks no red line and meets every reservation value."""
        return any(point is not None for point in self.solutions.values())

    def zone_frontier(self) -> Frontier:
        """The efficient outcomes of the zone of possible agreement: the frontier rows that
        give every party at least its reservation value."""
        inside = np.all(self.frontier.utilities >= self.scenario.reservations, axis=1)
        return self.frontier.take(np.flatnonzero(inside))


Method = Literal["auto", "enumeration", "issue-by-issue"]


def analyze(
    scenario: Scenario,
    *,
    method: Method = "auto",
    count: bool = True,
    limit: int | None = None,
    chunk_size: int = 1 << 18,
    progress: Progress | None = None,
) -> Analysis:
    """Analyse a scenario: frontier, zone of possible agreement, bargaining solutions.

    The frontier comes from the issue-by-issue algorithm whenever it applies (linear-additive
    preferences, red lines on single issues), which never enumerates the space; otherwise
    from streaming the space in chunks.

    Parameters
    ----------
    scenario : Scenario
    method : {"auto", "enumeration", "issue-by-issue"}, default "auto"
        Force one frontier algorithm; "auto" takes issue by issue where it applies.
    count : bool, default True
        Also count what needs every outcome (the size of the zone, the outcomes acceptable
        to each party), by one streaming pass; only when the space has at most ``limit``
        outcomes. Otherwise those counts are None.
    limit : int, optional
        Largest number of outcomes to enumerate (default :data:`DEFAULT_ENUMERATION_LIMIT`).
    chunk_size : int, default 2**18
        Outcomes per chunk when streaming; bounds the memory of a pass.
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk of a streaming pass.

    Returns
    -------
    Analysis
        With ``relaxed`` set (the analysis without red lines) when no agreement is possible
        under the red lines.

    Raises
    ------
    SpaceTooLargeError
        When the space must be enumerated and has more than ``limit`` outcomes.
    UnsupportedError
        When "issue-by-issue" is forced on preferences it does not apply to.
    """
    limit = DEFAULT_ENUMERATION_LIMIT if limit is None else limit
    enumerable = scenario.space.size <= limit
    additive = additive_applicable(scenario)
    if method == "auto":
        method = "issue-by-issue" if additive else "enumeration"
    if method == "issue-by-issue" and not additive:
        raise UnsupportedError(
            "the issue-by-issue frontier needs linear-additive preferences (no interaction "
            "terms) and red lines on single issues"
        )
    if method == "enumeration" and not enumerable:
        advice = (
            "use the issue-by-issue method, which does not enumerate"
            if additive
            else "the exact frontier without enumeration needs linear-additive preferences "
            "(no interaction terms) and red lines on single issues"
        )
        raise SpaceTooLargeError(
            f"scenario '{scenario.name}' has {count_text(scenario.space.size)} outcomes, more "
            f"than the enumeration limit of {limit:,}; {advice}"
        )
    scan_options = {"limit": limit, "chunk_size": chunk_size, "progress": progress}
    if method == "issue-by-issue":
        frontier = additive_frontier(scenario)
        counted = enumerable and count
        counts = scan(scenario, frontier=False, **scan_options)[1] if counted else None
        label = "issue-by-issue (exact, linear-additive)"
    else:
        found, counts = scan(scenario, **scan_options)
        assert found is not None
        frontier, label = found, "enumeration"
    analysis = _assemble(scenario, label, frontier, counts)
    if analysis.agreement_possible or not any(p.red_lines for p in scenario.parties):
        return analysis
    if method == "issue-by-issue":
        free = additive_frontier(scenario, lines=())
    else:
        free = scan(scenario, respect_red_lines=False, **scan_options)[0]
    relaxed = replace(
        _assemble(scenario, label, free, counts, red_lines=False),
        red_lines_respected=False,
    )
    return replace(analysis, relaxed=relaxed)


def _assemble(
    scenario: Scenario,
    method: str,
    frontier: Frontier,
    counts: Counts | None,
    red_lines: bool = True,
) -> Analysis:
    """An :class:`Analysis` from a frontier and (when the space was scanned) its counts."""
    space_size = scenario.space.size
    if red_lines:
        acceptable = counts.acceptable if counts else math.prod(
            int(mask.sum()) for mask in allowed_options(scenario)
        )
    else:
        acceptable = space_size
    zone = None if counts is None else counts.zone if red_lines else counts.zone_without_red_lines
    per_party: tuple[int | None, ...] = (None,) * len(scenario.parties)
    if counts is not None:
        per_party = counts.acceptable_to if red_lines else counts.above_reservation
    # Each party's best utility is reached on the frontier (a maximiser of one utility that
    # no other outcome dominates exists), so the frontier gives it without enumeration.
    best: tuple[float | None, ...] = (
        tuple(float(b) for b in frontier.utilities.max(axis=0))
        if len(frontier)
        else (None,) * len(scenario.parties)
    )
    parties = tuple(
        PartySummary(p.name, p.reservation, b, n, tuple(line.name for line in p.red_lines))
        for p, b, n in zip(scenario.parties, best, per_party)
    )
    return Analysis(
        scenario=scenario,
        method=method,
        space_size=space_size,
        acceptable=acceptable,
        zone_size=zone,
        frontier=frontier,
        solutions=_solutions(scenario, frontier),
        parties=parties,
    )


def _solutions(scenario: Scenario, frontier: Frontier) -> dict[str, Point | None]:
    """Bargaining solutions among the frontier outcomes, candidates in index order so
    that ties go to the lowest outcome index (see :mod:`servanda.analysis.solutions`)."""
    digits = frontier.outcomes
    order = np.lexsort(digits.T[::-1]) if len(digits) else np.empty(0, dtype=np.int64)
    chosen: dict[str, Point | None] = {}
    for name, solve in SOLUTIONS.items():
        position = solve(frontier.utilities[order], scenario.reservations)
        chosen[name] = None if position is None else point(scenario, frontier, int(order[position]))
    return chosen


def point(scenario: Scenario, frontier: Frontier, row: int) -> Point:
    """The frontier row ``row`` as a :class:`Point`."""
    outcome = tuple(int(d) for d in frontier.outcomes[row])
    return Point(
        index=frontier.indices[row],
        outcome=outcome,
        labels=scenario.space.describe(outcome),
        utilities=tuple(float(u) for u in frontier.utilities[row]),
    )


def point_from_outcome(scenario: Scenario, outcome: tuple[int, ...]) -> Point:
    """Any outcome (option indices) as a :class:`Point`."""
    from servanda.analysis.utilities import utilities

    outcome = tuple(int(d) for d in outcome)
    return Point(
        index=scenario.space.index_of(outcome),
        outcome=outcome,
        labels=scenario.space.describe(outcome),
        utilities=tuple(float(u) for u in utilities(scenario, np.asarray([outcome]))[0]),
    )


def point_dict(point: Point | None, parties: tuple[str, ...]) -> dict[str, Any] | None:
    """A point as plain data: index, options by issue, utilities by party."""
    if point is None:
        return None
    return {
        "index": point.index,
        "outcome": point.labels,
        "utilities": dict(zip(parties, point.utilities)),
    }


def analysis_dict(analysis: Analysis, top: int | None = 20) -> dict[str, Any]:
    """The analysis as plain data (JSON-ready); ``top`` limits the frontier rows listed."""
    scenario = analysis.scenario
    names = scenario.party_names

    def listed(frontier: Frontier) -> list[dict[str, Any]]:
        rows = range(len(frontier) if top is None else min(top, len(frontier)))
        return [
            {**point_dict(point(scenario, frontier, r), names), "tied_outcomes": frontier.counts[r]}
            for r in rows
        ]

    zone = analysis.zone_frontier()
    return {
        "scenario": scenario.name,
        "method": analysis.method,
        "space_size": analysis.space_size,
        "red_lines_respected": analysis.red_lines_respected,
        "outcomes_breaking_no_red_line": analysis.acceptable,
        "zone_of_possible_agreement": analysis.zone_size,
        "agreement_possible": analysis.agreement_possible,
        "parties": [
            {
                "name": p.name,
                "reservation": p.reservation,
                "best_utility": p.best,
                "acceptable_outcomes": p.acceptable,
                "red_lines": list(p.red_lines),
            }
            for p in analysis.parties
        ],
        "solutions": {name: point_dict(pt, names) for name, pt in analysis.solutions.items()},
        "pareto_frontier": {
            "rows": len(analysis.frontier),
            "outcomes": analysis.frontier.size,
            "listed": listed(analysis.frontier),
        },
        "zone_frontier": {"rows": len(zone), "outcomes": zone.size, "listed": listed(zone)},
        "relaxed": None if analysis.relaxed is None else analysis_dict(analysis.relaxed, top),
    }
