"""The Pareto frontier of a scenario, by streaming enumeration or issue by issue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from servanda.analysis.additive_frontier import AdditiveFrontier, additive_pareto_frontier
from servanda.analysis.pareto import pareto_mask
from servanda.analysis.utilities import red_line_breaches, utilities
from servanda.model import RedLine, Scenario

Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class Frontier:
    """Frontier rows: one outcome each, with its index, utilities and how many outcomes
    share exactly those utilities (1 when every member is listed on its own row; the
    issue-by-issue algorithm gives one row per distinct utility vector, with the lowest
    outcome as representative).

    Rows are sorted by the first party's utility, descending, then by outcome index.
    """

    outcomes: np.ndarray  # (m, issues) option indices
    indices: tuple[int, ...]  # exact outcome indices
    utilities: np.ndarray  # (m, parties)
    counts: tuple[int, ...]
    # Where tied outcomes can be listed from: the issue-by-issue result and its row numbers.
    _source: AdditiveFrontier | None = field(default=None, repr=False)
    _source_rows: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def size(self) -> int:
        """Number of outcomes on the frontier (tied outcomes included)."""
        return sum(self.counts)

    def tied_outcomes(self, row: int, limit: int = 1000) -> np.ndarray:
        """Every outcome (option indices, in index order, at most ``limit``) with exactly
        the utilities of ``row``."""
        if self._source is None or self._source_rows is None:
            return self.outcomes[row : row + 1][:limit]
        return self._source.tied_outcomes(int(self._source_rows[row]), limit)

    def take(self, rows: np.ndarray) -> Frontier:
        """The frontier restricted to the given rows (in the given order)."""
        rows = np.asarray(rows, dtype=np.int64)
        return Frontier(
            self.outcomes[rows],
            tuple(self.indices[r] for r in rows),
            self.utilities[rows],
            tuple(self.counts[r] for r in rows),
            self._source,
            None if self._source_rows is None else self._source_rows[rows],
        )

    @classmethod
    def build(
        cls,
        outcomes: np.ndarray,
        indices: Sequence[int],
        utilities: np.ndarray,
        counts: Sequence[int],
        source: AdditiveFrontier | None = None,
    ) -> Frontier:
        """Rows in the documented order (outcome index order is the order of the option
        indices, read as digits, so it is sorted without the indices themselves)."""
        outcomes = np.asarray(outcomes, dtype=np.int64)
        utilities = np.asarray(utilities, dtype=float)
        keys = [outcomes[:, i] for i in range(outcomes.shape[1] - 1, -1, -1)]
        order = np.lexsort(keys + [-utilities[:, 0]]) if len(outcomes) else np.empty(0, np.int64)
        unsorted = cls(outcomes, tuple(indices), utilities, tuple(counts), source,
                       None if source is None else np.arange(len(outcomes)))
        return unsorted.take(order)


@dataclass(frozen=True)
class Counts:
    """Outcome counts that need one pass over the whole space."""

    acceptable: int  # outcomes breaking no red line
    zone: int  # ... that also give every party at least its reservation value
    zone_without_red_lines: int  # outcomes giving every party at least its reservation value
    acceptable_to: tuple[int, ...]  # per party: breaks none of its red lines, >= its reservation
    above_reservation: tuple[int, ...]  # per party: >= its reservation, red lines aside


class RunningFrontier:
    """A frontier merged chunk by chunk: frontier(A u B) = frontier(frontier(A) u B)."""

    def __init__(self, parties: int, issues: int):
        self.indices = np.empty(0, dtype=np.int64)
        self.digits = np.empty((0, issues), dtype=np.int64)
        self.utilities = np.empty((0, parties))

    def add(self, indices: np.ndarray, digits: np.ndarray, utils: np.ndarray) -> None:
        if len(indices) == 0:
            return
        local = pareto_mask(utils)
        indices = np.concatenate([self.indices, indices[local]])
        digits = np.vstack([self.digits, digits[local]])
        utils = np.vstack([self.utilities, utils[local]])
        keep = pareto_mask(utils) if len(self.indices) else slice(None)
        self.indices, self.digits, self.utilities = indices[keep], digits[keep], utils[keep]

    def result(self) -> Frontier:
        return Frontier.build(self.digits, self.indices.tolist(), self.utilities, [1] * len(self.indices))


def scan(
    scenario: Scenario,
    *,
    frontier: bool = True,
    respect_red_lines: bool = True,
    limit: int | None = None,
    chunk_size: int = 1 << 18,
    progress: Progress | None = None,
) -> tuple[Frontier | None, Counts]:
    """Stream every outcome once, in chunks: the counts and, when ``frontier`` is set, the
    Pareto frontier (of the outcomes breaking no red line, or of all outcomes)."""
    space = scenario.space
    space.require_enumerable(limit)
    parties, issues = len(scenario.parties), len(scenario.issues)
    reservations = scenario.reservations
    running = RunningFrontier(parties, issues) if frontier else None
    has_red_lines = any(party.red_lines for party in scenario.parties)
    acceptable = zone = zone_free = 0
    acceptable_to = np.zeros(parties, dtype=np.int64)
    above_reservation = np.zeros(parties, dtype=np.int64)
    done = 0
    for digits in space.chunks(chunk_size, limit):
        utils = utilities(scenario, digits)
        above = utils >= reservations
        everyone_above = above.all(axis=1)
        zone_free += int(everyone_above.sum())
        above_reservation += above.sum(axis=0)
        if has_red_lines:
            breaches = red_line_breaches(scenario, digits)
            ok = ~breaches.any(axis=1)
            acceptable_to += (~breaches & above).sum(axis=0)
            kept = utils[ok]
        else:  # everything is acceptable: no masks, no copies
            ok, kept = slice(None), utils
            acceptable_to += above.sum(axis=0)
        acceptable += len(kept)
        zone += int(everyone_above[ok].sum())
        if running is not None:
            indices = np.arange(done, done + len(digits), dtype=np.int64)
            if respect_red_lines:
                running.add(indices[ok], digits[ok], kept)
            else:
                running.add(indices, digits, utils)
        done += len(digits)
        if progress is not None:
            progress(done, space.size)
    counts = Counts(
        acceptable=acceptable,
        zone=zone,
        zone_without_red_lines=zone_free,
        acceptable_to=tuple(int(c) for c in acceptable_to),
        above_reservation=tuple(int(c) for c in above_reservation),
    )
    return (None if running is None else running.result()), counts


def additive_applicable(scenario: Scenario) -> bool:
    """True when the exact issue-by-issue frontier applies: linear-additive preferences and
    red lines that only remove options issue by issue."""
    return len(scenario.parties) > 0 and all(
        party.preferences.is_linear_additive and all(line.is_separable for line in party.red_lines)
        for party in scenario.parties
    )


def allowed_options(scenario: Scenario, lines: Sequence[RedLine] | None = None) -> list[np.ndarray]:
    """Per issue, the options that no separable red line forbids (of every party, or only
    those in ``lines``)."""
    if lines is None:
        lines = [line for party in scenario.parties for line in party.red_lines]
    allowed = [np.ones(issue.size, dtype=bool) for issue in scenario.issues]
    for line in lines:
        for i, issue in enumerate(scenario.issues):
            allowed[i] &= ~line.forbidden_options(i, issue.size)
    return allowed


def additive_frontier(scenario: Scenario, lines: Sequence[RedLine] | None = None) -> Frontier:
    """Exact frontier built issue by issue, without enumerating the space, among the
    outcomes that break none of ``lines`` (default: every red line of every party)."""
    tables = [party.preferences.weighted_tables for party in scenario.parties]
    allowed = allowed_options(scenario, lines)
    space = scenario.space
    if not all(mask.any() for mask in allowed):
        # Red lines rule out every option of some issue: no outcome is acceptable.
        empty = np.empty((0, len(space.issues)), dtype=np.int64)
        return Frontier.build(empty, [], np.empty((0, len(scenario.parties))), [])
    result = additive_pareto_frontier(tables, allowed)
    return Frontier.build(
        result.outcomes,
        space.exact_indices(result.outcomes),
        result.utilities,
        result.counts,
        source=result,
    )
