"""The utility space of two parties as a picture (matplotlib, extra ``servanda[plot]``):
every outcome (a seeded sample when there are too many), the Pareto frontier, the
bargaining solutions and the reservation values, as in GENIUS's bid chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from servanda.analysis.report import analyze
from servanda.analysis.utilities import red_line_breaches, utilities
from servanda.errors import UnsupportedError
from servanda.model import Scenario

# Decreasing sizes, later ones drawn on top, so that coinciding solutions stay visible.
_MARKERS = {
    "nash": ("*", "Nash", 420),
    "kalai_smorodinsky": ("D", "Kalai-Smorodinsky", 200),
    "egalitarian": ("s", "egalitarian", 110),
    "utilitarian": ("^", "utilitarian", 60),
}


def plot_utility_space(
    scenario: Scenario,
    parties: tuple[str, str],
    path: str | Path,
    *,
    max_points: int = 200_000,
    seed: int = 0,
) -> Path:
    """Draw the utility space of two parties (their own red lines and reservation values)
    and save it; the format follows the suffix (.png, .svg, .pdf)."""
    fig, _ = utility_space_figure(scenario, parties, max_points=max_points, seed=seed)
    path = Path(path)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path


def utility_space_figure(
    scenario: Scenario,
    parties: tuple[str, str],
    *,
    max_points: int = 200_000,
    seed: int = 0,
) -> tuple[Any, Any]:
    """The figure of :func:`plot_utility_space` and its axes, for drawing more on top."""
    try:
        # A bare Figure, not pyplot: no global backend switch, nothing left open.
        from matplotlib.figure import Figure
    except ImportError:
        raise UnsupportedError("plotting needs matplotlib: pip install 'servanda[plot]'") from None
    pair = scenario.select(parties)
    space = pair.space
    digits = space.all() if space.size <= max_points else space.sample(max_points, seed)
    utils = utilities(pair, digits)
    blocked = red_line_breaches(pair, digits).any(axis=1)
    result = analyze(pair)
    shown = result if result.agreement_possible or result.relaxed is None else result.relaxed

    fig = Figure(figsize=(7, 6))
    ax = fig.subplots()
    sampled = "" if space.size <= max_points else f" (sample of {max_points:,})"
    if not blocked.all():
        ax.scatter(*utils[~blocked].T, s=4, c="#9aa5b1", alpha=0.5, lw=0, label=f"outcomes{sampled}")
    if blocked.any():
        ax.scatter(*utils[blocked].T, s=4, c="#f4a3a3", alpha=0.5, lw=0, label="break a red line")
    frontier = shown.frontier.utilities[np.argsort(shown.frontier.utilities[:, 0])]
    label = "Pareto frontier" + ("" if shown.red_lines_respected else " (red lines dropped)")
    ax.plot(*frontier.T, "-o", c="#1f4e79", ms=3, lw=1.2, label=label)
    for layer, (name, point) in enumerate(shown.solutions.items()):
        if point is not None:
            marker, text, size = _MARKERS[name]
            ax.scatter(*point.utilities, marker=marker, s=size, zorder=5 + layer, label=text,
                       edgecolor="k")
    ax.axvline(pair.parties[0].reservation, ls="--", c="#c0392b", lw=1)
    ax.axhline(pair.parties[1].reservation, ls="--", c="#c0392b", lw=1, label="reservation values")
    ax.set_xlabel(f"utility of {parties[0]}")
    ax.set_ylabel(f"utility of {parties[1]}")
    ax.set_title(f"{scenario.name}: {parties[0]} vs {parties[1]}")
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    ax.grid(alpha=0.3)
    return fig, ax
