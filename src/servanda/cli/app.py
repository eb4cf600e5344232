"""The ``servanda`` command: thin translation between the terminal and the library."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from servanda.analysis import analyze, score
from servanda.analysis.report import analysis_dict
from servanda.analysis.scoring import score_dict
from servanda.cli.elicit import add_elicit_commands
from servanda.cli.robust import add_robust_commands
from servanda.cli.room import add_room_commands
from servanda.cli.server import add_server_commands
from servanda.cli.treaty import add_treaty_commands
from servanda.errors import OutcomeError, ScenarioError
from servanda.formats import FORMATS, load_scenario, save_scenario, scenario_json_schema
from servanda.formats.proposals import load_proposal, parse_choice
from servanda.model import DEFAULT_ENUMERATION_LIMIT, Scenario

app = typer.Typer(
    help="Servanda: model, analyse, negotiate and bind multi-issue negotiations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Piped output (files, CI logs, the README) is wider than rich's default of 80 columns.
# No markup: names, options and paths come from user files and may contain [brackets].
console = Console(width=None if sys.stdout.isatty() else 140, markup=False)

ScenarioArg = Annotated[
    Path, typer.Argument(help="A .yaml scenario, a GENIUS folder, or GeniusWeb JSON profiles.")
]
FormatOpt = Annotated[
    Optional[str], typer.Option("--format", "-f", help=f"Input format: {', '.join(FORMATS)}.")
]
LimitOpt = Annotated[
    Optional[int],
    typer.Option(min=0, help=f"Largest number of outcomes to enumerate (default {DEFAULT_ENUMERATION_LIMIT:,})."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


class FrontierMethod(StrEnum):
    AUTO = "auto"
    ENUMERATION = "enumeration"
    ISSUE_BY_ISSUE = "issue-by-issue"


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """Global options. ``--debug`` is read by :func:`servanda.cli.main`, which turns errors
    into one line unless it is given; it is declared here so that the CLI accepts it."""


@contextmanager
def _progress(enabled: bool) -> Iterator:
    """A progress bar for long enumerations, on stderr; yields the callback."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("going through the outcomes"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task("enumerate", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _long(scenario: Scenario, as_json: bool) -> bool:
    return not as_json and scenario.space.size > 1 << 20


@app.command("analyze")
def analyze_command(
    scenario_path: ScenarioArg,
    as_json: JsonOpt = False,
    frontier: Annotated[
        int, typer.Option(min=0, help="List this many efficient outcomes of the zone.")
    ] = 0,
    method: Annotated[FrontierMethod, typer.Option(help="Frontier algorithm.")] = FrontierMethod.AUTO,
    format: FormatOpt = None,
    limit: LimitOpt = None,
) -> None:
    """Zone of possible agreement, Pareto frontier and fair compromise points."""
    from servanda.cli.render import analysis_view

    scenario = load_scenario(scenario_path, format)
    with _progress(_long(scenario, as_json)) as progress:
        result = analyze(scenario, method=method.value, limit=limit, progress=progress)
    if as_json:
        print(json.dumps(analysis_dict(result, top=frontier or 20), indent=2, default=str))
    else:
        console.print(analysis_view(result, frontier))


@app.command("score")
def score_command(
    scenario_path: ScenarioArg,
    choice: Annotated[
        Optional[str], typer.Argument(help="The proposal as issue=option,issue=option,...")
    ] = None,
    proposal: Annotated[
        Optional[Path], typer.Option(help="A YAML file mapping every issue to an option.")
    ] = None,
    as_json: JsonOpt = False,
    format: FormatOpt = None,
    limit: LimitOpt = None,
) -> None:
    """Score a proposal: utilities, gains, red lines broken, efficiency, improvements."""
    from servanda.cli.render import score_view

    if (choice is None) == (proposal is None):
        raise typer.BadParameter("give the proposal either as issue=option,... or with --proposal FILE")
    scenario = load_scenario(scenario_path, format)
    mapping = load_proposal(proposal) if proposal is not None else parse_choice(choice or "")
    try:
        outcome = scenario.space.parse(mapping)
    except OutcomeError as exc:
        raise ScenarioError(str(exc), source=str(proposal) if proposal else "proposal") from None
    with _progress(_long(scenario, as_json)) as progress:
        result = score(scenario, outcome, limit=limit, progress=progress)
    if as_json:
        print(json.dumps(score_dict(result, scenario.party_names), indent=2, default=str))
    else:
        console.print(score_view(scenario, result))


class RelaxationObjective(StrEnum):
    RED_LINES = "red-lines"
    RESERVATIONS = "reservations"


@app.command("diagnose")
def diagnose_command(
    scenario_path: ScenarioArg,
    objective: Annotated[
        RelaxationObjective,
        typer.Option(help="What the smallest change gives up: red lines, or utility below reservation values."),
    ] = RelaxationObjective.RED_LINES,
    weight: Annotated[
        Optional[list[str]],
        typer.Option(help="PARTY=W: giving up this party's red lines or utility costs W (default 1); repeatable."),
    ] = None,
    max_sets: Annotated[int, typer.Option(min=1, help="Stop after this many blocking sets.")] = 50,
    as_json: JsonOpt = False,
    format: FormatOpt = None,
    limit: LimitOpt = None,
) -> None:
    """Why no agreement is possible: the blocking red lines and reservation values, the
    ways out, and the smallest change that opens a zone of possible agreement."""
    from servanda.analysis.diagnosis import diagnose, diagnosis_dict
    from servanda.cli.render_deadlock import diagnosis_view

    scenario = load_scenario(scenario_path, format)
    weights = {}
    for item in weight or []:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or name not in scenario.party_names or not 0 < number < math.inf:
            raise typer.BadParameter(
                f"'{item}' is not PARTY=W with a party of the scenario ({', '.join(scenario.party_names)}) "
                "and a positive number", param_hint="--weight")
        weights[name] = number
    result = diagnose(scenario, objective=objective.value, weights=weights, max_sets=max_sets, limit=limit)
    if as_json:
        print(json.dumps(diagnosis_dict(result, scenario), indent=2, default=str))
    else:
        console.print(diagnosis_view(scenario, result))


@app.command("mediate")
def mediate_command(
    scenario_path: ScenarioArg,
    draft: Annotated[
        Path, typer.Option(help="The draft: a proposal (issue: option) or an agreement text settling every issue.")
    ],
    top: Annotated[int, typer.Option(min=1, help="Packages listed per ranking.")] = 5,
    as_json: JsonOpt = False,
    format: FormatOpt = None,
    limit: LimitOpt = None,
) -> None:
    """Packages that improve a draft for every party, ranked by joint gain and fairness,
    and for two parties with divisible issues the Adjusted Winner division."""
    from servanda.analysis.mediation import mediate, mediation_dict
    from servanda.cli.render_deadlock import mediation_view

    scenario = load_scenario(scenario_path, format)
    mapping = load_proposal(draft)
    if "clauses" in mapping:  # an agreement text: the issues its clauses settle
        from servanda.formats.drafts import load_draft_document

        text = load_draft_document(draft)
        mapping = {clause.issue: clause.option for clause in text.clauses if clause.issue is not None}
    try:
        outcome = scenario.space.parse(mapping)
    except OutcomeError as exc:
        raise ScenarioError(str(exc), source=str(draft)) from None
    result = mediate(scenario, outcome, top=top, limit=limit)
    if as_json:
        print(json.dumps(mediation_dict(result, scenario), indent=2, default=str))
    else:
        console.print(mediation_view(scenario, result))


@app.command("convert")
def convert_command(
    source: Annotated[Path, typer.Argument(help="Scenario to read (any supported format).")],
    target: Annotated[Path, typer.Argument(help="A .yaml file, or a folder for GENIUS XML.")],
    format: FormatOpt = None,
    to: Annotated[Optional[str], typer.Option(help="Output format: yaml or genius.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing target.")] = False,
) -> None:
    """Convert a scenario between the native YAML and GENIUS XML formats."""
    if target.resolve() == source.resolve():
        raise typer.BadParameter("the target is the source itself", param_hint="TARGET")
    scenario = load_scenario(source, format)
    written = save_scenario(scenario, target, to, overwrite=force)
    for path in written:
        console.print(f"wrote {path}")


@app.command("schema")
def schema_command(
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of the native scenario file."""
    text = json.dumps(scenario_json_schema(), indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        print(text)


class PlotKind(StrEnum):
    UTILITY_SPACE = "utility-space"
    ACCEPTABILITY = "acceptability"
    SENSITIVITY = "sensitivity"


@app.command("plot")
def plot_command(
    scenario_path: ScenarioArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Image file: .png, .svg or .pdf.")],
    kind: Annotated[
        PlotKind,
        typer.Option(help="utility-space of two parties; acceptability or sensitivity under uncertain preferences."),
    ] = PlotKind.UTILITY_SPACE,
    parties: Annotated[
        Optional[str], typer.Option(help="Two parties, comma-separated (default: the first two).")
    ] = None,
    samples: Annotated[int, typer.Option(min=1, help="Preference samples (acceptability, sensitivity).")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the samples.")] = 0,
    format: FormatOpt = None,
) -> None:
    """Draw the utility space of two parties (outcomes, frontier, solutions, reservations),
    or, for uncertain preferences, the acceptability of the likeliest compromises or a
    tornado chart of how far each parameter may move."""
    if output.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise typer.BadParameter("must end in .png, .svg or .pdf", param_hint="--output")
    if kind is not PlotKind.UTILITY_SPACE:
        from servanda.cli.robust import robust_plot

        path = robust_plot(scenario_path, output, kind.value, samples=samples, seed=seed, format=format)
        console.print(f"wrote {path}")
        return
    from servanda.analysis.plot import plot_utility_space

    scenario = load_scenario(scenario_path, format)
    names = [n.strip() for n in parties.split(",")] if parties else list(scenario.party_names[:2])
    if len(names) != 2:
        raise typer.BadParameter(f"needs exactly two party names, got {len(names)}", param_hint="--parties")
    for name in names:
        scenario.party(name)
    path = plot_utility_space(scenario, (names[0], names[1]), output)
    console.print(f"wrote {path}")


class ProtocolName(StrEnum):
    ALTERNATING = "alternating"
    MEDIATION = "mediation"


@app.command("negotiate")
def negotiate_command(
    scenario_path: ScenarioArg,
    strategies: Annotated[
        str,
        typer.Option(help="One strategy per party, comma-separated, e.g. boulware,conceder(e=3)."),
    ],
    protocol: Annotated[ProtocolName, typer.Option(help="Negotiation protocol.")] = ProtocolName.ALTERNATING,
    rounds: Annotated[int, typer.Option(min=1, help="Deadline in rounds.")] = 100,
    seconds: Annotated[Optional[float], typer.Option(min=0.001, help="Deadline in seconds.")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of every random choice.")] = 0,
    plot: Annotated[Optional[Path], typer.Option(help="Draw the trace: .png, .svg or .pdf.")] = None,
    parties: Annotated[
        Optional[str], typer.Option(help="The two parties to plot (default: the first two).")
    ] = None,
    show: Annotated[int, typer.Option(min=1, help="Offers listed at the start and the end.")] = 10,
    without_red_lines: Annotated[
        bool, typer.Option("--without-red-lines", help="Drop every red line (what if?).")
    ] = False,
    without_pressure: Annotated[
        bool, typer.Option("--without-pressure", help="Ignore the scenario's outside pressure.")
    ] = False,
    as_json: JsonOpt = False,
    format: FormatOpt = None,
) -> None:
    """Simulate one negotiation: the offers, how it ended, and its metrics."""
    from servanda.cli.render import trace_view
    from servanda.negotiation.metrics import session_metrics
    from servanda.negotiation.plot import plot_trace
    from servanda.negotiation.protocols.alternating import AlternatingOffers
    from servanda.negotiation.protocols.mediation import SingleText
    from servanda.negotiation.strategies import make_strategy
    from servanda.negotiation.table import OutcomeTable

    scenario = load_scenario(scenario_path, format)
    if len(scenario.parties) < 2:
        raise ScenarioError("a negotiation needs at least two parties", source=str(scenario_path))
    if without_red_lines:
        scenario = scenario.without_red_lines()
    if without_pressure:
        scenario = scenario.without_pressure()
    specs = _split_specs(strategies)
    if len(specs) != len(scenario.parties):
        raise typer.BadParameter(
            f"{len(scenario.parties)} parties ({', '.join(scenario.party_names)}) need "
            f"{len(scenario.parties)} strategies, got {len(specs)}",
            param_hint="--strategies",
        )
    if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise typer.BadParameter("must end in .png, .svg or .pdf", param_hint="--plot")
    try:
        players = [make_strategy(spec) for spec in specs]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--strategies") from None
    kind = AlternatingOffers if protocol is ProtocolName.ALTERNATING else SingleText
    table = OutcomeTable.of(scenario)
    trace = kind(rounds=rounds, seconds=seconds).run(table, players, seed=seed)
    metrics = session_metrics(trace, analyze(scenario))
    if as_json:
        print(json.dumps({"trace": dataclasses.asdict(trace), "metrics": dataclasses.asdict(metrics)}, indent=2))
    else:
        console.print(trace_view(trace, table, metrics, show))
    if plot is not None:
        names = [n.strip() for n in parties.split(",")] if parties else list(scenario.party_names[:2])
        if len(names) != 2:
            raise typer.BadParameter(f"needs exactly two party names, got {len(names)}", param_hint="--parties")
        for name in names:
            scenario.party(name)
        console.print(f"wrote {plot_trace(trace, table, (names[0], names[1]), plot)}")


def _split_specs(text: str) -> list[str]:
    """Strategy specs separated by commas outside parentheses: ``boulware(e=0.1),linear``."""
    specs, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            specs.append(current.strip())
            current = ""
        else:
            current += char
    specs.append(current.strip())
    return [spec for spec in specs if spec]


class BackendName(StrEnum):
    LOCAL = "local"
    RAY = "ray"


@app.command("tournament")
def tournament_command(
    config: Annotated[Path, typer.Argument(help="A tournament config file (.yaml).")],
    output: Annotated[
        Optional[Path],
        typer.Option("-o", "--output", help="Write every session's metrics to Parquet."),
    ] = None,
    backend: Annotated[
        Optional[BackendName],
        typer.Option(help="Where to play (default: the config's, else local)."),
    ] = None,
    address: Annotated[
        Optional[str],
        typer.Option(help="Ray cluster address, e.g. auto (implies --backend ray)."),
    ] = None,
    workers: Annotated[
        Optional[int],
        typer.Option(min=1, help="Local processes or Ray tasks at a time (default: all CPUs)."),
    ] = None,
    plot: Annotated[
        Optional[Path],
        typer.Option(help="Box plots of utility and advantage per strategy: .png, .svg or .pdf."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Play a tournament (strategies x scenarios x roles x repetitions) and rank the strategies."""
    import time

    from rich.progress import MofNCompleteColumn

    from servanda.tournament import load_tournament, plot_results

    if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise typer.BadParameter("must end in .png, .svg or .pdf", param_hint="--plot")
    for path in (output, plot):  # checked before a long run, not after it
        if path is not None:
            _check_writable(path)
    if address is not None and backend is BackendName.LOCAL:
        raise typer.BadParameter("an address is for --backend ray", param_hint="--address")
    tournament = load_tournament(config)
    chosen = backend.value if backend else "ray" if address else tournament.backend
    messages = Console(stderr=True, markup=False, highlight=False) if as_json else console
    started = time.perf_counter()
    # No auto-refresh: the bar draws when a chunk is done, so no thread runs beside the
    # worker processes (which may be forked from this one).
    with Progress(
        TextColumn("sessions"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True, auto_refresh=False, disable=as_json,
    ) as bar:
        task = bar.add_task("sessions", total=None)
        results = tournament.run(
            backend=chosen, workers=workers, address=address,
            progress=lambda done, total: bar.update(
                task, completed=done, total=total, refresh=True
            ),
        )
    elapsed = time.perf_counter() - started
    ranking = results.ranking()
    if as_json:
        print(json.dumps(ranking.to_pylist(), indent=2))
    else:
        scenarios = ", ".join(dict.fromkeys(results.table["scenario"].to_pylist()))
        title = f"{tournament.name}: ranking over {results.sessions:,} sessions on {scenarios}"
        console.print(_ranking_view(ranking, title))
        console.print(
            f"{results.sessions:,} sessions in {elapsed:.2f} s "
            f"({results.sessions / elapsed:,.0f} sessions/s, backend {chosen})"
        )
    if output is not None:
        messages.print(f"wrote {results.write_parquet(output)}")
    if plot is not None:
        messages.print(f"wrote {plot_results(results, plot)}")


def _ranking_view(ranking, title: str):
    """The ranking as a rich table: one row per strategy, best mean advantage first."""
    from rich.table import Table

    def number(value: float | None, digits: int = 3) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    table = Table(title=title, title_justify="left")
    headers = ("#", "strategy", "plays", "utility", "advantage", "agreements", "rounds",
               "welfare", "to Pareto", "to Nash", "to Kalai")
    for header in headers:
        table.add_column(header, justify="left" if header == "strategy" else "right")
    for rank, row in enumerate(ranking.to_pylist(), start=1):
        table.add_row(
            str(rank), row["strategy"], f"{row['plays']:,}", number(row["mean_utility"]),
            f"{row['mean_advantage']:+.3f}", f"{row['agreement_rate']:.0%}",
            number(row["mean_rounds"], 1), number(row["mean_welfare"]),
            number(row["mean_pareto_distance"]), number(row["mean_nash_distance"]),
            number(row["mean_kalai_distance"]),
        )
    table.caption = (
        "means over every (session, party) a strategy played; distances in utility space"
    )
    return table


def _check_writable(path: Path) -> None:
    """An output file can be created at ``path``: its folder exists and it is no folder."""
    if path.is_dir():
        raise ScenarioError("is a folder; expected a file name", source=str(path))
    if not path.parent.is_dir():
        raise ScenarioError("its folder does not exist", source=str(path))


add_treaty_commands(app)
add_elicit_commands(app)
add_robust_commands(app)
add_server_commands(app)
add_room_commands(app)
