"""Mediation on a draft: packages that improve it for everyone (logrolling), ranked by
joint gain and by fairness, each told as who gives what on which issue in exchange for
what; and, for two parties with divisible issues, the Adjusted Winner division.

A package is an efficient Pareto improvement on the draft (every party at least as well
off, one better off, no further red line broken, and no other such outcome better for all):
the same set :func:`servanda.analysis.scoring.pareto_improvements` finds. Rankings:

- joint gain: the sum of the gains over the draft (Raiffa's integrative potential);
- Nash: the product of the gains over the draft (the Nash bargaining solution with the
  draft as disagreement point), ties by joint gain;
- max-min: the smallest gain (egalitarian), ties by joint gain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from servanda.analysis.fair_division import AdjustedWinner, adjusted_winner_for
from servanda.analysis.report import Point, point, point_from_outcome
from servanda.analysis.scoring import pareto_improvements
from servanda.analysis.utilities import all_red_lines
from servanda.errors import UnsupportedError
from servanda.model import Scenario


@dataclass(frozen=True)
class Trade:
    """One issue the package changes, and what that is worth to each party (its weighted
    option values; interaction terms are not attributed to single issues)."""

    issue: str
    before: Any
    after: Any
    changes: tuple[float, ...]


@dataclass(frozen=True)
class Package:
    """A Pareto improvement on the draft."""

    point: Point
    gains: tuple[float, ...]  # utility over the draft, per party
    trades: tuple[Trade, ...]

    @property
    def joint_gain(self) -> float:
        return float(sum(self.gains))

    @property
    def nash_product(self) -> float:
        return float(np.prod(self.gains))

    @property
    def min_gain(self) -> float:
        return float(min(self.gains))

    def story(self, parties: Sequence[str]) -> list[str]:
        """Per party: on which issues it gives, on which it gets, and its net gain."""
        lines = []
        for j, party in enumerate(parties):
            gives = [f"{t.issue} ({t.before} -> {t.after}, {t.changes[j]:+.3f})" for t in self.trades if t.changes[j] < 0]
            gets = [f"{t.issue} ({t.before} -> {t.after}, {t.changes[j]:+.3f})" for t in self.trades if t.changes[j] > 0]
            parts = []
            if gives:
                parts.append("gives on " + ", ".join(gives))
            if gets:
                parts.append(("in exchange gets " if gives else "gets ") + ", ".join(gets))
            if not parts:
                parts.append("neither gives nor gets on any single issue")
            lines.append(f"{party}: {'; '.join(parts)}; net {self.gains[j]:+.3f}")
        return lines


@dataclass(frozen=True)
class Mediation:
    """What a mediator can offer on a draft."""

    draft: Point
    broken: tuple[tuple[str, str], ...]  # (party, red line) the draft breaks
    improvements: int | None  # how many Pareto improvements exist (None: not counted)
    by_joint_gain: tuple[Package, ...]
    by_nash: tuple[Package, ...]
    by_max_min: tuple[Package, ...]
    adjusted_winner: AdjustedWinner | None
    adjusted_winner_note: str  # why there is no Adjusted Winner division, if there is none


def mediate(scenario: Scenario, outcome: Sequence[int], *, top: int = 5, limit: int | None = None) -> Mediation:
    """Pareto-improving packages on the draft ``outcome`` (option indices), ``top`` per
    ranking; for two parties, the Adjusted Winner division when the issues allow it."""
    outcome = tuple(int(d) for d in outcome)
    draft = point_from_outcome(scenario, outcome)
    own, broken, count, better = pareto_improvements(scenario, outcome, limit)
    packages = [_package(scenario, draft, own, point(scenario, better, row)) for row in range(len(better))]
    # Ties: joint gain, then the lowest outcome index, so rankings are reproducible.
    def ranked(key) -> tuple[Package, ...]:
        return tuple(sorted(packages, key=lambda p: (-key(p), -p.joint_gain, p.point.index))[:top])

    winner, note = None, ""
    if len(scenario.parties) == 2:
        try:
            winner = adjusted_winner_for(scenario, *scenario.party_names)
        except UnsupportedError as exc:
            note = str(exc)
    else:
        note = f"Adjusted Winner divides between two parties; this scenario has {len(scenario.parties)}"
    lines = all_red_lines(scenario)
    return Mediation(
        draft=draft,
        broken=tuple((party, line.name) for (party, line), hit in zip(lines, broken) if hit),
        improvements=count,
        by_joint_gain=ranked(lambda p: p.joint_gain),
        by_nash=ranked(lambda p: p.nash_product),
        by_max_min=ranked(lambda p: p.min_gain),
        adjusted_winner=winner,
        adjusted_winner_note=note,
    )


def _package(scenario: Scenario, draft: Point, own: np.ndarray, better: Point) -> Package:
    trades = []
    for i, issue in enumerate(scenario.issues):
        before, after = draft.outcome[i], better.outcome[i]
        if before != after:
            changes = tuple(
                float(party.preferences.weighted_tables[i][after] - party.preferences.weighted_tables[i][before])
                for party in scenario.parties
            )
            trades.append(Trade(issue.name, issue.options[before], issue.options[after], changes))
    gains = tuple(float(u - o) for u, o in zip(better.utilities, own))
    return Package(better, gains, tuple(trades))


def mediation_dict(mediation: Mediation, scenario: Scenario) -> dict:
    """The mediation as plain data (JSON-ready)."""
    from servanda.analysis.report import point_dict

    names = scenario.party_names

    def package(p: Package) -> dict:
        return {
            **point_dict(p.point, names),
            "gains": dict(zip(names, p.gains)),
            "joint_gain": p.joint_gain,
            "nash_product": p.nash_product,
            "min_gain": p.min_gain,
            "trades": [
                {"issue": t.issue, "from": t.before, "to": t.after, "changes": dict(zip(names, t.changes))}
                for t in p.trades
            ],
            "story": p.story(names),
        }

    winner = mediation.adjusted_winner
    return {
        "scenario": scenario.name,
        "draft": point_dict(mediation.draft, names),
        "draft_breaks": [{"party": p, "red_line": n} for p, n in mediation.broken],
        "improvements": mediation.improvements,
        "by_joint_gain": [package(p) for p in mediation.by_joint_gain],
        "by_nash": [package(p) for p in mediation.by_nash],
        "by_max_min": [package(p) for p in mediation.by_max_min],
        "adjusted_winner": None if winner is None else _winner_dict(winner, scenario),
        "adjusted_winner_note": mediation.adjusted_winner_note,
    }


def _winner_dict(winner: AdjustedWinner, scenario: Scenario) -> dict:
    outcome = winner.outcome
    return {
        "parties": list(winner.names),
        "issues": [
            {"issue": item, "points": [float(a), float(b)], "shares": [float(sa), float(sb)]}
            for item, a, b, sa, sb in zip(winner.items, winner.points_a, winner.points_b, winner.shares_a, winner.shares_b)
        ],
        "split": None if winner.split is None else winner.items[winner.split],
        "equitable_points": float(winner.equitable_points),
        "outcome": None if outcome is None else scenario.space.describe(outcome),
        "explanation": list(winner.explanation),
    }
