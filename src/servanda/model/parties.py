"""Parties and the people who represent them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from servanda.errors import ScenarioError
from servanda.model.preferences import Preferences
from servanda.model.pressure import Pressure
from servanda.model.redlines import RedLine


class Role(StrEnum):
    """A representative's role; the first three act without full powers (VCLT art. 7)."""

    HEAD_OF_STATE = "head_of_state"
    HEAD_OF_GOVERNMENT = "head_of_government"
    FOREIGN_MINISTER = "foreign_minister"
    ENVOY = "envoy"
    AIDE = "aide"
    OTHER = "other"


@dataclass(frozen=True)
class Representative:
    """A person acting for a party."""

    name: str
    role: Role
    title: str = ""


@dataclass(frozen=True, eq=False)
class Party:
    """A side of the negotiation, with its preferences, red lines and alternative.

    ``reservation`` is the utility of no agreement (BATNA). ``discount`` is the
    per-round discount factor of GENIUS profiles, kept for round trips (None: none).
    ``pressure`` changes the reservation value, and possibly the issue weights, during a
    negotiation (sanctions, relief).
    """

    name: str
    preferences: Preferences
    reservation: float = 0.0
    red_lines: tuple[RedLine, ...] = ()
    representatives: tuple[Representative, ...] = ()
    description: str = ""
    discount: float | None = None
    pressure: tuple[Pressure, ...] = ()

    def __post_init__(self) -> None:
        if not math.isfinite(self.reservation):
            raise ScenarioError(f"party '{self.name}': the reservation value must be finite")
        if self.discount is not None and not 0 < self.discount <= 1:
            raise ScenarioError(f"party '{self.name}': the discount factor must lie in (0, 1]")
