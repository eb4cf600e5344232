"""Every outcome's utility for every party, computed once, so that negotiating never
evaluates a utility one outcome at a time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from servanda.analysis.utilities import red_line_breaches, utilities
from servanda.model import OutcomeSpace, Scenario

#: Largest space a negotiation enumerates (its tables hold a few numbers per outcome).
NEGOTIATION_LIMIT = 10_000_000


@dataclass(frozen=True, eq=False)
class OutcomeTable:
    """Utilities ``(outcomes, parties)`` of a whole (enumerable) space, each party's red-line
    breaches, and each party's outcomes ranked from best to worst.

    Outcomes are referred to by their index in the space everywhere in the engine.
    """

    scenario: Scenario
    utilities: np.ndarray  # (outcomes, parties)
    breaks: np.ndarray  # (outcomes, parties): breaks one of that party's own red lines

    @classmethod
    def of(cls, scenario: Scenario, limit: int = NEGOTIATION_LIMIT) -> OutcomeTable:
        digits = scenario.space.all(limit)
        u, b = utilities(scenario, digits), red_line_breaches(scenario, digits)
        u.setflags(write=False)
        b.setflags(write=False)
        return cls(scenario, u, b)

    @property
    def size(self) -> int:
        return self.utilities.shape[0]

    @cached_property
    def ranking(self) -> np.ndarray:
        """``(parties, outcomes)``: outcome indices from the party's best to its worst
        (ties by lower index)."""
        ranks = np.stack(
            [np.lexsort((np.arange(self.size), -self.utilities[:, p])) for p in range(self.parties)]
        )
        ranks.setflags(write=False)
        return ranks

    @property
    def parties(self) -> int:
        return self.utilities.shape[1]

    @cached_property
    def outcomes(self) -> Outcomes:
        """The public structure of the space (no party's preferences), shared by every
        session played on this table: what :attr:`Context.outcomes` shows a strategy."""
        return Outcomes(self.scenario.space)

    @cached_property
    def pressure_conditions(self) -> dict[tuple[int, int], np.ndarray]:
        """For each conditional pressure event ``k`` of party ``p``: whether its condition
        on the table holds, for every outcome (keyed ``(p, k)``)."""
        conditional: dict[tuple[int, int], np.ndarray] = {}
        parties = self.scenario.parties
        if any(event.while_on_table for party in parties for event in party.pressure):
            digits = self.scenario.space.all()
            for p, party in enumerate(parties):
                for k, event in enumerate(party.pressure):
                    if event.while_on_table:
                        conditional[p, k] = event.holds(digits)
        return conditional

    @cached_property
    def allowed_ranking(self) -> tuple[np.ndarray, ...]:
        """Per party, its ranking without the outcomes that break its own red lines."""
        rankings = []
        for p in range(self.parties):
            kept = self.ranking[p][~self.breaks[self.ranking[p], p]]
            kept.setflags(write=False)
            rankings.append(kept)
        return tuple(rankings)

    @cached_property
    def columns(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """Per party, its utilities and red-line breaches as arrays of their own (read-only
        copies, not views of the shared table), so that what a strategy is handed leads
        to nobody else's preferences."""
        own = []
        for p in range(self.parties):
            utilities, breaks = self.utilities[:, p].copy(), self.breaks[:, p].copy()
            utilities.setflags(write=False)
            breaks.setflags(write=False)
            own.append((utilities, breaks))
        return tuple(own)

    @cached_property
    def allowed_ranked_utilities(self) -> tuple[np.ndarray, ...]:
        """Per party, its utilities in the order of :attr:`allowed_ranking` (descending):
        each a reversed view of a contiguous ascending array, so that searching it
        ascending (``values[::-1].searchsorted``) copies nothing."""
        ranked = []
        for p, order in enumerate(self.allowed_ranking):
            ascending = np.ascontiguousarray(self.utilities[order[::-1], p])
            ascending.setflags(write=False)
            ranked.append(ascending[::-1])
        return tuple(ranked)


@dataclass(frozen=True, eq=False)
class Outcomes:
    """What every party may know about the outcomes, and nothing about anyone's
    preferences: the space (its issues and their options) and the options of every
    outcome, so that a strategy can reason issue by issue (an opponent model, say).

    The options of every outcome are enumerated on first use only, and once: a session
    passes its table's :attr:`OutcomeTable.outcomes` to every context.
    """

    space: OutcomeSpace

    @property
    def size(self) -> int:
        return self.space.size

    @cached_property
    def digits(self) -> np.ndarray:
        """``(outcomes, issues)``: the option index of every outcome on every issue, row
        ``i`` for outcome ``i`` (read only; the smallest unsigned integer type that holds
        every option index)."""
        digits = self.space.all(NEGOTIATION_LIMIT)
        widest = int(self.space.radices.max(initial=1)) - 1
        digits = digits.astype(np.min_scalar_type(max(widest, 0)))
        digits.setflags(write=False)
        return digits


def allowed_order(utilities: np.ndarray, breaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One party's ranking without the outcomes that break its red lines, and its utilities
    in that order, from its utility column and red-line column: what
    :attr:`OutcomeTable.allowed_ranking` and :attr:`OutcomeTable.allowed_ranked_utilities`
    give for the table's own utilities (ties by lower index; the ranked utilities a
    reversed view of a contiguous ascending array)."""
    order = np.lexsort((np.arange(len(utilities)), -utilities))
    kept = order[~breaks[order]]
    kept.setflags(write=False)
    ascending = np.ascontiguousarray(utilities[kept[::-1]])
    ascending.setflags(write=False)
    return kept, ascending[::-1]
