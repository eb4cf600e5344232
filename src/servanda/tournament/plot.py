"""A tournament as a picture (matplotlib, extra ``servanda[plot]``): box plots of every
strategy's utility and advantage over reservation, best-ranked strategy first. A single
session's offers are drawn by :func:`servanda.negotiation.plot.plot_trace`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from servanda.errors import UnsupportedError
from servanda.tournament.results import Results

_METRICS = {"utility": "utility", "advantage": "advantage over reservation value"}


def plot_results(results: Results, path: str | Path) -> Path:
    """Draw :func:`results_figure` and save it; the format follows the suffix (.png,
    .svg, .pdf)."""
    path = Path(path)
    results_figure(results).savefig(path, dpi=150, bbox_inches="tight")
    return path


def results_figure(results: Results) -> Any:
    """Box plots, one per strategy, of the utility and of the advantage of every
    (session, party) it played, with their means; strategies in the order of
    :meth:`Results.ranking`."""
    try:
        # A bare Figure, not pyplot: no global backend switch, nothing left open.
        from matplotlib.figure import Figure
    except ImportError:
        raise UnsupportedError("plotting needs matplotlib: pip install 'servanda[plot]'") from None
    order = results.ranking()["strategy"].to_pylist()
    played = np.asarray(results.table["strategy"].to_pylist(), dtype=object)
    fig = Figure(figsize=(max(6.0, 1.0 + 0.9 * len(order)), 7))
    axes = fig.subplots(len(_METRICS), 1, sharex=True)
    for ax, (column, label) in zip(axes, _METRICS.items()):
        values = results.table[column].to_numpy()
        ax.boxplot([values[played == name] for name in order], widths=0.6, showmeans=True,
                   medianprops={"color": "#c0392b"}, flierprops={"markersize": 3, "alpha": 0.5},
                   meanprops={"marker": "D", "markersize": 5, "markerfacecolor": "#1f4e79",
                              "markeredgecolor": "#1f4e79"})
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    axes[1].axhline(0.0, ls="--", c="#7f8c8d", lw=1)
    axes[1].set_xticks(range(1, len(order) + 1), order, rotation=30, ha="right")
    scenarios = sorted(set(results.table["scenario"].to_pylist()))
    axes[0].set_title(f"{results.sessions:,} sessions on {'; '.join(scenarios)}\n"
                      "best mean advantage first; diamond: mean, line: median", fontsize=10)
    return fig
