"""A negotiation's record: every offer and response, and how it ended. Plain data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    OFFER = "offer"
    ACCEPT = "accept"
    REJECT = "reject"
    END = "end"  # walk away


class Ending(StrEnum):
    AGREEMENT = "agreement"
    DEADLINE = "deadline"  # the round or time limit passed
    WALK_AWAY = "walk-away"  # a party ended the negotiation


@dataclass(frozen=True)
class Event:
    """One act: ``party`` did ``action`` (on ``outcome``, an index of the space) in round
    ``round`` (from 0), at relative time ``time`` in [0, 1]. ``party`` is a position in
    the scenario's parties, or -1 for a mediator's text (single-text mediation)."""

    round: int
    time: float
    party: int
    action: Action
    outcome: int | None = None


@dataclass(frozen=True)
class Trace:
    """A whole session: who negotiated with which strategy, every event, the ending."""

    scenario: str
    parties: tuple[str, ...]
    strategies: tuple[str, ...]
    protocol: str
    events: tuple[Event, ...]
    ending: Ending
    agreement: int | None  # outcome index, when ending is AGREEMENT
    rounds: int  # rounds begun
    # each party's utility of the result: of an agreement, under the preferences in force in
    # the round of agreement (outside pressure may change weights); else its reservation value
    utilities: tuple[float, ...]
    explanation: str = ""
    reservations: tuple[float, ...] = ()  # each party's reservation value at the end

    @property
    def agreed(self) -> bool:
        return self.ending is Ending.AGREEMENT

    def offers(self, party: int | None = None) -> list[Event]:
        """The offers, in order (of one party, if given)."""
        return [
            e for e in self.events if e.action is Action.OFFER and (party is None or e.party == party)
        ]
