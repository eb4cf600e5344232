"""Putting elicited preferences into a scenario."""

from __future__ import annotations

from dataclasses import replace

from servanda.model import Preferences, Scenario


def with_preferences(scenario: Scenario, party: str, preferences: Preferences) -> Scenario:
    """The same scenario with ``party``'s preferences replaced (its reservation value, red
    lines, representatives and pressure stay as they were); checked like any scenario."""
    target = scenario.party(party)
    parties = tuple(replace(p, preferences=preferences) if p is target else p for p in scenario.parties)
    return Scenario(scenario.name, scenario.issues, parties, scenario.description)
