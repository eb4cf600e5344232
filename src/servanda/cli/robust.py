"""``servanda robust``: the analysis under uncertain preferences, in the terminal.

Thin translation, as the rest of the CLI: the numbers come from
:mod:`servanda.analysis.uncertainty` and :mod:`servanda.analysis.sensitivity`; this module
loads, calls, and renders. ``add_robust_commands(app)`` registers the command;
:func:`robust_plot` draws the acceptability or sensitivity picture for ``servanda plot``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console, Group
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from servanda.errors import ScenarioError, ServandaError
from servanda.model import Scenario
from servanda.model.space import count_text
from servanda.model.uncertainty import Interval, Normal, UncertainScenario

# As in servanda.cli.app: wide when piped, no markup (names come from user files).
console = Console(width=None if sys.stdout.isatty() else 140, markup=False)

#: The pictures :func:`robust_plot` draws.
PLOT_VARIANTS = ("acceptability", "sensitivity")


class ParameterSet(StrEnum):
    ALL = "all"
    UNCERTAIN = "uncertain"


def load_uncertain(path: Path, format: str | None = None) -> UncertainScenario:
    """See :func:`servanda.formats.files.load_uncertain_scenario`."""
    from servanda.formats.files import load_uncertain_scenario

    return load_uncertain_scenario(path, format)


@contextmanager
def _progress(enabled: bool, what: str) -> Iterator[Any]:
    """A progress bar on stderr for long runs; yields the callback (None when disabled)."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn(what), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _run(model: UncertainScenario, samples: int, seed: int, *, without_red_lines: bool, parameters: str,
         limit: int | None, show_progress: bool):
    from servanda.analysis.uncertainty import robust_analysis

    long_run = show_progress and samples * model.scenario.space.size > 20_000_000
    with _progress(long_run, "drawing preferences") as progress:
        return robust_analysis(
            model, samples, seed, respect_red_lines=not without_red_lines, limit=limit,
            parameters=parameters, progress=progress,
        )


def robust_command(
    scenario_path: Annotated[
        Path, typer.Argument(help="A .yaml scenario (uncertainty blocks per party), a GENIUS folder, or GeniusWeb JSON profiles.")
    ],
    samples: Annotated[int, typer.Option(min=1, max=10_000_000, help="Number of preference draws.")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the draws (same seed, same figures).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    top: Annotated[int, typer.Option(min=1, help="Outcomes and parameters listed per table.")] = 10,
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.9999, help="Level of the Wilson score intervals.")
    ] = 0.95,
    parameters: Annotated[
        ParameterSet, typer.Option(help="Sensitivity of every weight, option value and reservation value, or of the uncertain ones.")
    ] = ParameterSet.ALL,
    without_red_lines: Annotated[
        bool, typer.Option("--without-red-lines", help="Drop every red line (what if?).")
    ] = False,
    format: Annotated[Optional[str], typer.Option("--format", "-f", help="Input format: yaml, genius, geniusweb.")] = None,
    limit: Annotated[
        Optional[int],
        typer.Option(min=0, help="Largest number of outcomes breaking no red line to track (default 5,000,000)."),
    ] = None,
) -> None:
    """How likely each conclusion is when preferences are uncertain: the probability that
    an agreement exists, each outcome's chance of being the Nash or Kalai-Smorodinsky
    point, efficient or in the zone, and how far one parameter may move before the
    nominal conclusions change."""
    from servanda.analysis.uncertainty import robust_dict

    model = load_uncertain(scenario_path, format)
    result = _run(model, samples, seed, without_red_lines=without_red_lines, parameters=parameters.value,
                  limit=limit, show_progress=not as_json)
    if as_json:
        print(json.dumps(robust_dict(result, top, confidence), indent=2, default=str))
    else:
        console.print(robust_view(result, top, confidence))


def add_robust_commands(app: typer.Typer) -> None:
    """Register ``servanda robust`` on the application."""
    app.command("robust")(robust_command)


def robust_plot(
    scenario_path: Path,
    output: Path,
    variant: str,
    *,
    samples: int = 1000,
    seed: int = 0,
    top: int | None = None,
    conclusion: str | None = None,
    without_red_lines: bool = False,
    format: str | None = None,
    limit: int | None = None,
) -> Path:
    """Draw one picture of the robust analysis of a scenario file, for ``servanda plot``:
    ``acceptability`` (the most likely compromise outcomes, with intervals) or
    ``sensitivity`` (a tornado chart of the stability radii of ``conclusion``: nash, zone
    or deadlock; default the first). When no draw allows an agreement under the red
    lines, the picture is of the analysis with the red lines dropped. Returns the path."""
    from servanda.analysis.uncertainty_plot import plot_acceptability, plot_sensitivity

    if variant not in PLOT_VARIANTS:
        raise ServandaError(f"unknown plot '{variant}'; expected one of {', '.join(PLOT_VARIANTS)}")
    if Path(output).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ScenarioError("must end in .png, .svg or .pdf", source=str(output))
    model = load_uncertain(scenario_path, format)
    result = _run(model, samples, seed, without_red_lines=without_red_lines, parameters="all", limit=limit,
                  show_progress=True)
    if variant == "acceptability":
        return plot_acceptability(result, output, top=top or 10)
    return plot_sensitivity(result, output, conclusion=conclusion, top=top or 15)


# -- rendering -----------------------------------------------------------------------------
def _spread(dist: Any) -> str:
    if isinstance(dist, Normal):
        return f"normal({dist.mean:.3g}, {dist.sd:.3g})"
    assert isinstance(dist, Interval)
    return f"[{dist.low:.3g}, {dist.high:.3g}]"


def uncertainty_table(model: UncertainScenario) -> Table:
    """What is uncertain, party by party."""
    scenario = model.scenario
    table = Table(title="Uncertain preferences", title_justify="left")
    for header in ("party", "weights", "option values", "reservation", "note"):
        table.add_column(header)
    for party, unc in zip(scenario.parties, model.parties):
        if unc.dirichlet is not None:
            d = unc.dirichlet
            weights = (f"Dirichlet, concentration {d.concentration:g}" if d.concentration is not None
                       else "Dirichlet " + ", ".join(f"{scenario.issues[i].name}={a:g}" for i, a in zip(d.issues, d.alphas)))
        elif unc.weights:
            weights = ", ".join(f"{scenario.issues[i].name} {_spread(dist)}" for i, dist in unc.weights)
        else:
            weights = "exact"
        values = ", ".join(
            f"{scenario.issues[i].name}={scenario.issues[i].options[o]} {_spread(dist)}" for i, o, dist in unc.values
        ) or "exact"
        reservation = "exact" if unc.reservation is None else _spread(unc.reservation)
        table.add_row(party.name, weights, values, reservation, unc.note or "")
    return table


def _p(count: int, low: float, high: float, samples: int) -> str:
    return f"{count / samples:.3f} [{low:.3f}, {high:.3f}]"


def _differences(scenario: Scenario, outcome: tuple[int, ...], reference: tuple[int, ...] | None) -> str:
    if reference is None:
        return ", ".join(f"{i.name}={i.options[d]}" for i, d in zip(scenario.issues, outcome))
    diff = [f"{i.name}={i.options[d]}" for i, d, r in zip(scenario.issues, outcome, reference) if d != r]
    return ", ".join(diff) if diff else "(the nominal Nash point)"


def acceptability_table(result: Any, top: int, confidence: float) -> Table:
    """The outcomes most often the Nash point (then the Kalai-Smorodinsky point), with the
    probability of every role and its interval."""
    from servanda.analysis.uncertainty import ROLE_TITLES, ROLES

    acc = result.acceptability
    scenario = acc.scenario
    nash = result.nominal.solutions.get("nash")
    reference = None if nash is None else nash.outcome
    rows = acc.leading(top)
    table = Table(
        title=f"Most acceptable outcomes (by the share of draws in which each is the Nash point; {confidence:.0%} Wilson intervals)",
        title_justify="left",
    )
    table.add_column("outcome", justify="right")
    table.add_column("options" + ("" if reference is None else " (where they differ from the nominal Nash point)"))
    for role in ROLES:
        table.add_column(ROLE_TITLES[role], justify="right")
    bounds = {role: acc.interval(role, confidence) for role in ROLES}
    for row in rows:
        table.add_row(
            f"{int(acc.indices[row])}",
            _differences(scenario, acc.outcome(int(row)), reference),
            *[_p(int(acc.counts[r][row]), float(bounds[r][0][row]), float(bounds[r][1][row]), acc.samples) for r in ROLES],
        )
    return table


def nominal_table(result: Any, confidence: float) -> Table | None:
    """The nominal bargaining solutions and how often each plays each role."""
    from servanda.analysis.uncertainty import ROLE_TITLES, ROLES

    acc = result.acceptability
    chosen = [(name, pt) for name, pt in result.nominal.solutions.items() if pt is not None]
    if not chosen:
        return None
    table = Table(title="The nominal compromise points under uncertainty", title_justify="left")
    table.add_column("nominal point")
    table.add_column("outcome", justify="right")
    for role in ROLES:
        table.add_column(ROLE_TITLES[role], justify="right")
    bounds = {role: acc.interval(role, confidence) for role in ROLES}
    titles = {"nash": "Nash", "kalai_smorodinsky": "Kalai-Smorodinsky", "egalitarian": "egalitarian",
              "utilitarian": "utilitarian"}
    for name, pt in chosen:
        row = acc.row_of(pt.index)
        if row is None:
            continue
        table.add_row(
            titles.get(name, name), f"{pt.index}",
            *[_p(int(acc.counts[r][row]), float(bounds[r][0][row]), float(bounds[r][1][row]), acc.samples) for r in ROLES],
        )
    return table


def _range(r: tuple[float, float] | None) -> str:
    return "-" if r is None else f"[{r[0]:.3g}, {r[1]:.3g}]"


def sensitivity_tables(sens: Any, top: int) -> list[Any]:
    """Per conclusion, the parameters with the smallest stability radius."""
    out: list[Any] = []
    for conclusion in sens.conclusions:
        ranked = [r for r in sens.ranked(conclusion.name) if math.isfinite(r.radius)]
        if not ranked:
            out.append(Text(f"Sensitivity: {conclusion.text} - whatever any single weight, option value "
                            "or reservation value (within its domain)."))
            continue
        table = Table(
            title=f"Sensitivity: {conclusion.text} - holds while one parameter stays in 'holds for'",
            title_justify="left",
        )
        for header in ("parameter", "nominal", "assumed range", "holds for", "radius", "changes inside assumed range"):
            table.add_column(header, justify="left" if header in ("parameter",) else "right")
        for r in ranked[:top]:
            p = r.parameter
            low = "end" if r.low is None else f"{r.low:.4g}"
            high = "end" if r.high is None else f"{r.high:.4g}"
            table.add_row(
                p.label, f"{p.nominal:.4g}", _range(p.assumed), f"({low}, {high})", f"{r.radius:.4g}",
                "yes" if r.within_assumed else "-",
            )
        fragile = sum(1 for r in sens.ranked(conclusion.name) if r.within_assumed)
        stable = sum(1 for r in sens.ranked(conclusion.name) if not math.isfinite(r.radius))
        table.caption = (
            f"{len(ranked):,} of {len(sens.ranked(conclusion.name)):,} parameters can change it; {fragile} of them "
            f"inside their assumed range; {stable:,} cannot within their domain. 'end': no change up to the end "
            "of the domain. Weights move with the party's other weights scaled to keep their sum."
        )
        out.append(table)
    return out


def _section(result: Any, top: int, confidence: float) -> list[Any]:
    acc = result.acceptability
    parts: list[Any] = []
    low, high = acc.agreement_interval(confidence)
    parts.append(Text.assemble(
        ("Probability that an agreement exists: ", "bold"),
        f"{acc.agreement_probability:.3f} [{low:.3f}, {high:.3f}] ({acc.agreement:,} of {acc.samples:,} draws; "
        f"{confidence:.0%} Wilson score interval)",
    ))
    if len(acc) == 0:
        parts.append(Text("Every outcome breaks some party's red line, whatever the preferences."))
    elif acc.agreement:
        parts.append(acceptability_table(result, top, confidence))
        nominal = nominal_table(result, confidence)
        if nominal is not None:
            parts.append(nominal)
    interval = result.interval
    if interval is not None:
        p = acc.probability("efficient")
        rows = [acc.row_of(int(i)) for i in interval.always]
        sampled = [p[r] for r in rows if r is not None]
        never_rows = interval.status == -1
        shown = ", ".join(str(int(i)) for i in interval.always[:8]) + (", ..." if interval.always.size > 8 else "")
        text = (
            f"Exact, weights anywhere in their ranges (option values exact): {interval.always.size:,} outcomes "
            f"are efficient for every weight vector{f' ({shown})' if shown else ''}, "
            f"{interval.never.size:,} never (one outcome dominates each for every weight vector), "
            f"{interval.undetermined:,} undetermined"
            + ("" if interval.checked_never else " (the pairwise check for 'never' was cut short)")
            + ". Sampled efficiency: "
            + (f"{min(sampled):.3f}-{max(sampled):.3f} on the first" if sampled else "no outcome in the first")
            + f", {p[never_rows].max() if never_rows.any() else 0:.3f} at most on the second."
        )
        parts.append(Text(text))
    elif result.interval_note:
        parts.append(Text(f"Exact interval answer: not computed ({result.interval_note})."))
    if result.sensitivity is not None:
        parts.extend(sensitivity_tables(result.sensitivity, top))
    return parts


def robust_view(result: Any, top: int = 10, confidence: float = 0.95) -> Group:
    """The whole robust analysis for the terminal."""
    acc = result.acceptability
    scenario = result.model.scenario
    header = Text(
        f"{scenario.name} - robust analysis: {acc.samples:,} preference draws (seed {acc.seed}), "
        f"{count_text(scenario.space.size)} outcomes, {len(scenario.parties)} parties; method: {acc.method}",
        style="bold",
    )
    parts: list[Any] = [header]
    if result.model.is_exact:
        parts.append(Text("Nothing is uncertain in this scenario (no 'uncertainty' block): every probability is 0 or 1."))
    else:
        parts.append(uncertainty_table(result.model))
    if not result.red_lines_respected:
        parts.append(Text("Red lines dropped (--without-red-lines).", style="bold"))
    parts.extend(_section(result, top, confidence))
    if result.relaxed is not None:
        parts.append(Text(
            "\nNo draw allows an agreement under the red lines as written. With every red line dropped:",
            style="bold",
        ))
        parts.extend(_section(result.relaxed, top, confidence))
    return Group(*parts)


__all__ = [
    "PLOT_VARIANTS",
    "add_robust_commands",
    "load_uncertain",
    "robust_command",
    "robust_plot",
    "robust_view",
]
