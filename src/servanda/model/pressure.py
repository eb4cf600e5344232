"""Outside pressure: scheduled changes of a party's reservation value during a negotiation.

New sanctions lower a party's alternative to agreement from some round on; phased relief
raises it, but only while the interim arrangement on the table holds. A :class:`Pressure`
adds ``change`` to the party's reservation value in the rounds ``[from_round, until_round)``
and, when it has conditions, only while the offer on the table (the latest offer or
mediator's text) takes one of the listed options on every listed issue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from servanda.errors import ScenarioError
from servanda.model.redlines import Condition


@dataclass(frozen=True, eq=False)
class Pressure:
    """A scheduled change of one party's reservation value."""

    name: str
    change: float
    from_round: int = 0
    until_round: int | None = None  # exclusive; None: until the end
    while_on_table: tuple[Condition, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.change):
            raise ScenarioError(f"pressure '{self.name}': the change must be a finite number")
        if self.from_round < 0 or (self.until_round is not None and self.until_round <= self.from_round):
            raise ScenarioError(
                f"pressure '{self.name}': needs 0 <= from_round < until_round, got "
                f"{self.from_round} and {self.until_round}"
            )
        frozen = []
        for issue, mask in self.while_on_table:
            mask = np.array(mask, dtype=bool)
            mask.setflags(write=False)
            frozen.append((int(issue), mask))
        object.__setattr__(self, "while_on_table", tuple(frozen))

    def in_round(self, round_: int) -> bool:
        return round_ >= self.from_round and (self.until_round is None or round_ < self.until_round)

    def holds(self, digits: np.ndarray) -> np.ndarray:
        """Whether the condition on the table holds, for each outcome in ``digits``."""
        held = np.ones(len(digits), dtype=bool)
        for issue, mask in self.while_on_table:
            held &= mask[digits[:, issue]]
        return held
