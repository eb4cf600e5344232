"""Utilities and red-line checks of all parties for arrays of outcomes."""

from __future__ import annotations

import numpy as np

from servanda.model import RedLine, Scenario


def utilities(scenario: Scenario, digits: np.ndarray) -> np.ndarray:
    """Utility of each outcome (rows of option indices) for each party: ``(n, parties)``."""
    digits = np.asarray(digits, dtype=np.int64)
    out = np.empty((digits.shape[0], len(scenario.parties)))
    for j, party in enumerate(scenario.parties):
        out[:, j] = party.preferences.evaluate(digits)
    return out


def red_line_breaches(scenario: Scenario, digits: np.ndarray) -> np.ndarray:
    """Whether each outcome breaks any red line of each party: boolean ``(n, parties)``."""
    digits = np.asarray(digits, dtype=np.int64)
    out = np.zeros((digits.shape[0], len(scenario.parties)), dtype=bool)
    for j, party in enumerate(scenario.parties):
        for line in party.red_lines:
            out[:, j] |= line.violated(digits)
    return out


def red_line_matrix(scenario: Scenario, digits: np.ndarray) -> np.ndarray:
    """Whether each outcome breaks each red line, in the order of :func:`all_red_lines`:
    boolean ``(n, red lines)``."""
    digits = np.asarray(digits, dtype=np.int64)
    lines = all_red_lines(scenario)
    out = np.zeros((digits.shape[0], len(lines)), dtype=bool)
    for k, (_, line) in enumerate(lines):
        out[:, k] = line.violated(digits)
    return out


def all_red_lines(scenario: Scenario) -> list[tuple[str, RedLine]]:
    """``(party name, red line)`` for every red line of every party, in order."""
    return [(party.name, line) for party in scenario.parties for line in party.red_lines]
