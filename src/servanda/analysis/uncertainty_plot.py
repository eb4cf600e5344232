"""Pictures of a robust analysis (matplotlib, extra ``servanda[plot]``): the acceptability
of the most likely compromise outcomes, with Wilson intervals, and a tornado chart of how
far each parameter may move before a conclusion changes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from servanda.analysis.sensitivity import CONCLUSION_TITLES, Sensitivity
from servanda.analysis.uncertainty import ROLE_TITLES, ROLES, Acceptability, RobustAnalysis
from servanda.errors import UnsupportedError

_ROLE_COLOURS = {
    "nash": "#1f4e79",
    "kalai_smorodinsky": "#2e86c1",
    "efficient": "#7fb3d5",
    "zone": "#c9d6df",
}


def _figure(size: tuple[float, float]) -> Any:
    try:
        # A bare Figure, not pyplot: no global backend switch, nothing left open.
        from matplotlib.figure import Figure
    except ImportError:
        raise UnsupportedError("plotting needs matplotlib: pip install 'servanda[plot]'") from None
    return Figure(figsize=size)


def shown_analysis(result: RobustAnalysis) -> RobustAnalysis:
    """The part of a robust analysis worth drawing: the relaxed one when no draw allows an
    agreement under the red lines (as the utility-space plot does)."""
    if result.relaxed is not None and result.acceptability.agreement == 0:
        return result.relaxed
    return result


def outcome_labels(acc: Acceptability, rows: np.ndarray, reference: tuple[int, ...] | None = None) -> list[str]:
    """Short labels: ``#index`` and the options in which an outcome differs from
    ``reference`` (default: the first row)."""
    scenario = acc.scenario
    outcomes = [acc.outcome(int(r)) for r in rows]
    if reference is None and outcomes:
        reference = outcomes[0]
    labels = []
    for row, outcome in zip(rows, outcomes):
        diff = [
            f"{issue.name}={issue.options[d]}"
            for issue, d, ref in zip(scenario.issues, outcome, reference or outcome)
            if d != ref
        ]
        text = ", ".join(diff) if diff else "(the reference)"
        if len(text) > 70:
            text = text[:67] + "..."
        labels.append(f"#{int(acc.indices[row])}  {text}")
    return labels


def acceptability_figure(result: RobustAnalysis | Acceptability, *, top: int = 10, confidence: float = 0.95) -> tuple[Any, Any]:
    """Horizontal bars: for the ``top`` outcomes most often the Nash point (then the
    Kalai–Smorodinsky point), the share of draws in which each was the Nash point, the
    Kalai–Smorodinsky point, efficient and in the zone, with Wilson intervals."""
    nominal = None
    if isinstance(result, RobustAnalysis):
        shown = shown_analysis(result)
        acc = shown.acceptability
        nash = shown.nominal.solutions.get("nash")
        nominal = None if nash is None else acc.row_of(nash.index)
    else:
        acc = result
    rows = acc.leading(top)
    if nominal is not None and nominal not in rows:
        rows.append(nominal)
    rows_array = np.asarray(rows, dtype=np.int64)
    fig = _figure((9, 1.2 + 0.55 * max(1, len(rows))))
    ax = fig.subplots()
    low, high = acc.agreement_interval(confidence)
    where = "" if acc.red_lines_respected else ", red lines dropped"
    title = (
        f"{acc.scenario.name}: acceptability over {acc.samples:,} draws{where}\n"
        f"P(agreement exists) = {acc.agreement_probability:.3f} [{low:.3f}, {high:.3f}]"
    )
    ax.set_title(title, fontsize=10)
    if not rows:
        ax.text(0.5, 0.5, "no outcome was ever in the zone of possible agreement", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig, ax
    reference = acc.outcome(nominal) if nominal is not None else None
    labels = outcome_labels(acc, rows_array, reference)
    if nominal is not None:
        labels = [f"#{int(acc.indices[row])}  (the nominal Nash point)" if row == nominal else label
                  for row, label in zip(rows, labels)]
    y = np.arange(len(rows))
    height = 0.8 / len(ROLES)
    for k, role in enumerate(ROLES):
        p = acc.probability(role)[rows_array]
        lo, hi = acc.interval(role, confidence)
        offset = (k - (len(ROLES) - 1) / 2) * height
        ax.barh(y + offset, p, height=height, color=_ROLE_COLOURS[role], label=ROLE_TITLES[role],
                xerr=np.vstack([p - lo[rows_array], hi[rows_array] - p]), error_kw={"lw": 0.8, "capsize": 1.5})
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    note = "; outcomes labelled by the options in which they differ from the nominal Nash point" if reference else ""
    ax.set_xlabel(f"share of draws (whiskers: {confidence:.0%} Wilson intervals){note}", fontsize=8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, framealpha=0.9)
    ax.grid(axis="x", alpha=0.3)
    return fig, ax


def plot_acceptability(result: RobustAnalysis | Acceptability, path: str | Path, *, top: int = 10,
                       confidence: float = 0.95) -> Path:
    """Draw :func:`acceptability_figure` and save it (.png, .svg, .pdf)."""
    fig, _ = acceptability_figure(result, top=top, confidence=confidence)
    path = Path(path)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path


def sensitivity_figure(result: RobustAnalysis | Sensitivity, *, conclusion: str | None = None,
                       top: int = 15) -> tuple[Any, Any]:
    """A tornado chart: for the ``top`` parameters with the smallest stability radius, the
    interval of moves (from the nominal value) in which ``conclusion`` holds, the range the
    uncertainty assumes (black line), in red where the conclusion changes inside it."""
    if isinstance(result, RobustAnalysis):
        shown = shown_analysis(result)
        sens = shown.sensitivity
        if sens is None:
            raise UnsupportedError("this robust analysis was run without the sensitivity analysis")
    else:
        sens = result
    if conclusion is None:
        conclusion = sens.conclusions[0].name
    found = sens.conclusion(conclusion)
    if found is None:
        names = ", ".join(c.name for c in sens.conclusions)
        raise UnsupportedError(f"no conclusion '{conclusion}' here; the conclusions are: {names}")
    radii = [r for r in sens.ranked(conclusion) if math.isfinite(r.radius)][:top]
    fig = _figure((9, 1.4 + 0.42 * max(1, len(radii))))
    ax = fig.subplots()
    where = "" if sens.red_lines_respected else " (red lines dropped)"
    about = f" (outcome {found.outcome.index})" if found.outcome is not None else ""
    ax.set_title(f"{sens.scenario.name}{where}: how far one parameter may move\nbefore "
                 f"{CONCLUSION_TITLES[conclusion]}{about} changes", fontsize=10)
    if not radii:
        ax.text(0.5, 0.5, f"{found.text}\nholds whatever any single weight, option value or "
                "reservation value", ha="center", va="center", transform=ax.transAxes, fontsize=9)
        ax.set_axis_off()
        return fig, ax
    y = np.arange(len(radii))
    for k, r in enumerate(radii):
        p = r.parameter
        lo_domain, hi_domain = p.domain[0] - p.nominal, p.domain[1] - p.nominal
        left = -r.down if math.isfinite(r.down) else lo_domain
        right = r.up if math.isfinite(r.up) else hi_domain
        colour = "#c0392b" if r.within_assumed else "#5d8aa8"
        ax.barh(k, right - left, left=left, height=0.6, color=colour, alpha=0.85)
        for side, bounded in ((left, math.isfinite(r.down)), (right, math.isfinite(r.up))):
            if not bounded:  # no change up to the end of the domain
                ax.plot([side], [k], marker="|", color="#333333", ms=10)
        if p.assumed is not None:
            ax.plot([p.assumed[0] - p.nominal, p.assumed[1] - p.nominal], [k, k], color="black", lw=1.6)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, [f"{r.parameter.label} ({r.parameter.nominal:.3g})" for r in radii], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("move from the nominal value (in brackets) within which the conclusion holds; weights "
                  "move with the others scaled", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(color="#5d8aa8", label="holds (changes only outside the assumed range)"),
            Patch(color="#c0392b", label="changes inside the assumed range"),
            Line2D([], [], color="black", lw=1.6, label="assumed range"),
            Line2D([], [], color="#333333", marker="|", lw=0, ms=10, label="end of domain, no change"),
        ],
        loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, framealpha=0.9,
    )
    return fig, ax


def plot_sensitivity(result: RobustAnalysis | Sensitivity, path: str | Path, *, conclusion: str | None = None,
                     top: int = 15) -> Path:
    """Draw :func:`sensitivity_figure` and save it (.png, .svg, .pdf)."""
    fig, _ = sensitivity_figure(result, conclusion=conclusion, top=top)
    path = Path(path)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path


__all__ = [
    "acceptability_figure",
    "outcome_labels",
    "plot_acceptability",
    "plot_sensitivity",
    "sensitivity_figure",
    "shown_analysis",
]
