"""A session's trace in the utility space of two parties: each party's offers in order,
over the outcomes, the frontier and the solution points (GENIUS's bid chart)."""

from __future__ import annotations

from pathlib import Path

from servanda.analysis.plot import utility_space_figure
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Trace

_COLOURS = ("#e67e22", "#8e44ad", "#16a085", "#c0392b", "#2c3e50")


def plot_trace(trace: Trace, table: OutcomeTable, parties: tuple[str, str], path: str | Path) -> Path:
    """Draw the offers of every party of ``trace`` in the utility space of two parties."""
    scenario = table.scenario
    fig, ax = utility_space_figure(scenario, parties)
    columns = [scenario.party_names.index(name) for name in parties]
    for party, name in enumerate(trace.parties):
        offers = [e.outcome for e in trace.offers(party)]
        if offers:
            points = table.utilities[offers][:, columns]
            ax.plot(*points.T, "-", marker=".", ms=4, lw=0.8, alpha=0.9,
                    c=_COLOURS[party % len(_COLOURS)], label=f"offers of {name}", zorder=8)
    if trace.agreement is not None:
        ax.scatter(*table.utilities[trace.agreement][columns], marker="o", s=160, facecolor="none",
                   edgecolor="k", lw=2, zorder=12, label="agreement")
    ax.set_title(f"{scenario.name}: {', '.join(trace.strategies)} ({trace.ending})")
    ax.legend(loc="lower left", fontsize=7, framealpha=0.9)
    path = Path(path)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path
