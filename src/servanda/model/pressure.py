"""Outside pressure: scheduled changes of a party's reservation value (and issue weights)
during a negotiation.

New sanctions lower a party's alternative to agreement from some round on; phased relief
raises it, but only while the interim arrangement on the table holds. A :class:`Pressure`
adds ``change`` to the party's reservation value in the rounds ``[from_round, until_round)``
and, when it has conditions, only while the offer on the table (the latest offer or
mediator's text) takes one of the listed options on every listed issue.

A pressure event may also change the party's preferences: ``weights`` gives new weights
``(issue position, weight)`` for some issues (the others keep theirs), in force in the same
rounds. Such an event may not have conditions: a party's utility function depends on the
round only, never on the offer on the table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from servanda.errors import ScenarioError
from servanda.model.redlines import Condition


@dataclass(frozen=True, eq=False)
class Pressure:
    """A scheduled change of one party's reservation value and/or issue weights."""

    name: str
    change: float = 0.0
    from_round: int = 0
    until_round: int | None = None  # exclusive; None: until the end
    while_on_table: tuple[Condition, ...] = ()
    description: str = ""
    weights: tuple[tuple[int, float], ...] = ()  # (issue position, new weight); the rest stay

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
        weights = tuple((int(issue), float(weight)) for issue, weight in self.weights)
        for _, weight in weights:
            if not math.isfinite(weight) or weight < 0:
                raise ScenarioError(
                    f"pressure '{self.name}': a new weight must be a finite number >= 0, "
                    f"got {weight}"
                )
        if len({issue for issue, _ in weights}) != len(weights):
            raise ScenarioError(f"pressure '{self.name}': gives two new weights for one issue")
        if weights and frozen:
            raise ScenarioError(
                f"pressure '{self.name}': an event that changes weights may not have "
                "while_on_table (a party's preferences may depend on the round only)"
            )
        object.__setattr__(self, "weights", weights)

    def in_round(self, round_: int) -> bool:
        return round_ >= self.from_round and (self.until_round is None or round_ < self.until_round)

    def holds(self, digits: np.ndarray) -> np.ndarray:
        """Whether the condition on the table holds, for each outcome in ``digits``."""
        held = np.ones(len(digits), dtype=bool)
        for issue, mask in self.while_on_table:
            held &= mask[digits[:, issue]]
        return held
