"""A scenario: issues and parties, the input of every analysis and negotiation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from servanda.errors import ScenarioError
from servanda.model.issues import Issue
from servanda.model.parties import Party
from servanda.model.space import OutcomeSpace


@dataclass(frozen=True, eq=False)
class Scenario:
    """Issues and parties of one negotiation; immutable and checked when built."""

    name: str
    issues: tuple[Issue, ...]
    parties: tuple[Party, ...]
    description: str = ""

    def __post_init__(self) -> None:
        _unique("issue", [issue.name for issue in self.issues])
        _unique("party", [party.name for party in self.parties])
        for issue in self.issues:
            if issue.size == 0:
                raise ScenarioError(f"issue '{issue.name}' has no options")
            _unique(f"option of issue '{issue.name}'", [str(o) for o in issue.options])
        for party in self.parties:
            tables = party.preferences.tables
            if len(tables) != len(self.issues):
                raise ScenarioError(
                    f"party '{party.name}' values {len(tables)} issues, scenario has "
                    f"{len(self.issues)}"
                )
            for issue, table in zip(self.issues, tables):
                if table.shape != (issue.size,):
                    raise ScenarioError(
                        f"party '{party.name}': issue '{issue.name}' has {issue.size} options "
                        f"but {table.size} values"
                    )
            for term in party.preferences.interactions:
                self._check_shape(party, "interaction", [term.first, term.second], term.matrix.shape)
            for line in party.red_lines:
                for box in line.boxes:
                    for position, mask in box:
                        self._check_shape(party, f"red line '{line.name}'", [position], mask.shape)
            for event in party.pressure:
                for position, mask in event.while_on_table:
                    self._check_shape(party, f"pressure '{event.name}'", [position], mask.shape)
                for position, _ in event.weights:
                    if not 0 <= position < len(self.issues):
                        raise ScenarioError(
                            f"party '{party.name}': pressure '{event.name}' changes the weight "
                            "of a missing issue"
                        )

    def _check_shape(self, party: Party, what: str, positions: list[int], shape: tuple) -> None:
        if not all(0 <= p < len(self.issues) for p in positions):
            raise ScenarioError(f"party '{party.name}': {what} refers to a missing issue")
        expected = tuple(self.issues[p].size for p in positions)
        if tuple(shape) != expected:
            raise ScenarioError(
                f"party '{party.name}': {what} has shape {tuple(shape)}, expected {expected}"
            )

    @cached_property
    def space(self) -> OutcomeSpace:
        return OutcomeSpace(self.issues)

    @property
    def party_names(self) -> tuple[str, ...]:
        return tuple(party.name for party in self.parties)

    @property
    def reservations(self) -> np.ndarray:
        return np.array([party.reservation for party in self.parties], dtype=float)

    def party(self, name: str) -> Party:
        for party in self.parties:
            if party.name == name:
                return party
        raise ScenarioError(f"unknown party '{name}'; parties: {', '.join(self.party_names)}")

    def without_red_lines(self) -> Scenario:
        """The same negotiation with every red line dropped: what if nothing were
        non-negotiable?"""
        return Scenario(
            self.name,
            self.issues,
            tuple(replace(party, red_lines=()) for party in self.parties),
            self.description,
        )

    def without_pressure(self) -> Scenario:
        """The same negotiation without outside pressure."""
        return Scenario(
            self.name,
            self.issues,
            tuple(replace(party, pressure=()) for party in self.parties),
            self.description,
        )

    def select(self, names: Sequence[str]) -> Scenario:
        """The same negotiation seen by a subset of the parties (in the given order)."""
        return Scenario(self.name, self.issues, tuple(self.party(n) for n in names), self.description)


def _unique(what: str, names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ScenarioError(f"duplicate {what} name '{name}'")
        seen.add(name)
