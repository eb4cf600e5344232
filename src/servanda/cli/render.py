"""Rich rendering of analysis results for the terminal."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from servanda.analysis import Analysis, Score
from servanda.analysis.report import Point, point
from servanda.model import Scenario
from servanda.model.space import count_text
from servanda.negotiation.metrics import SessionMetrics
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Trace

_SOLUTION_TITLES = {
    "nash": "Nash",
    "kalai_smorodinsky": "Kalai-Smorodinsky",
    "egalitarian": "egalitarian",
    "utilitarian": "utilitarian",
}


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _count(value: int | None) -> str:
    return "not counted" if value is None else count_text(value)


def parties_table(analysis: Analysis) -> Table:
    table = Table(title="Parties", title_justify="left")
    table.add_column("party")
    table.add_column("reservation", justify="right")
    table.add_column("best utility*", justify="right")
    table.add_column("acceptable to it**", justify="right")
    table.add_column("red lines")
    for p in analysis.parties:
        table.add_row(p.name, _num(p.reservation), _num(p.best), _count(p.acceptable),
                      "; ".join(p.red_lines) or "-")
    table.caption = (
        "* among outcomes that break no red line   "
        "** outcomes breaking none of its own red lines and meeting its reservation value"
    )
    return table


def solutions_table(scenario: Scenario, solutions: dict[str, Point | None], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("")
    chosen = [(name, pt) for name, pt in solutions.items() if pt is not None]
    for name, _ in chosen:
        table.add_column(_SOLUTION_TITLES[name])
    for issue in scenario.issues:
        table.add_row(issue.name, *[str(pt.labels[issue.name]) for _, pt in chosen])
    table.add_section()
    for j, party in enumerate(scenario.parties):
        table.add_row(
            Text(f"utility: {party.name}", style="bold"),
            *[f"{pt.utilities[j]:.3f}" for _, pt in chosen],
        )
    return table


def zone_table(analysis: Analysis, rows: int) -> Table:
    """The first ``rows`` efficient outcomes of the zone of possible agreement."""
    scenario, zone = analysis.scenario, analysis.zone_frontier()
    shown = min(rows, len(zone))
    table = Table(
        title=f"Efficient outcomes in the zone (first {shown} of {len(zone):,})",
        title_justify="left",
    )
    table.add_column("outcome")
    for party in scenario.parties:
        table.add_column(party.name, justify="right")
    for r in range(shown):
        pt = point(scenario, zone, r)
        ties = f"  (and {zone.counts[r] - 1:,} tied)" if zone.counts[r] > 1 else ""
        table.add_row(", ".join(f"{k}={v}" for k, v in pt.labels.items()) + ties,
                      *[f"{u:.3f}" for u in pt.utilities])
    return table


def analysis_view(analysis: Analysis, frontier_rows: int = 0) -> Group:
    scenario = analysis.scenario
    parts: list = [
        Text.assemble((scenario.name, "bold"), f" - {_count(analysis.space_size)} outcomes, "
                      f"{len(scenario.parties)} parties; method: {analysis.method}"),
        parties_table(analysis),
        Text(f"Outcomes breaking no red line: {_count(analysis.acceptable)}; "
             f"zone of possible agreement: {_count(analysis.zone_size)}; "
             f"Pareto frontier: {_count(analysis.frontier.size)} outcomes"),
    ]
    if analysis.agreement_possible:
        parts.append(Text("An agreement is possible under the red lines as written.", style="bold green"))
        parts.append(solutions_table(scenario, analysis.solutions, "Fair compromise points"))
    else:
        reason = ("every outcome breaks some party's red line" if analysis.acceptable == 0
                  else "no outcome that breaks no red line meets every reservation value")
        parts.append(Text(f"No agreement is possible under the red lines as written: {reason}.",
                          style="bold red"))
        relaxed = analysis.relaxed
        if relaxed is not None:
            if relaxed.agreement_possible:
                parts.append(Text(
                    f"With every red line dropped, {_count(relaxed.zone_size)} outcomes meet every "
                    f"reservation value; the efficient compromises:"))
                parts.append(solutions_table(scenario, relaxed.solutions,
                                             "Fair compromise points with red lines relaxed"))
            else:
                parts.append(Text("Even with every red line dropped, no outcome meets every "
                                  "reservation value."))
    if frontier_rows:
        shown = analysis if analysis.agreement_possible or analysis.relaxed is None else analysis.relaxed
        parts.append(zone_table(shown, frontier_rows))
    return Group(*parts)


def score_view(scenario: Scenario, result: Score) -> Group:
    table = Table(title="Proposal", title_justify="left")
    table.add_column("party")
    table.add_column("utility", justify="right")
    table.add_column("gain over reservation", justify="right")
    for party, u, g in zip(scenario.parties, result.proposal.utilities, result.gains):
        table.add_row(party.name, f"{u:.3f}", Text(f"{g:+.3f}", style="green" if g >= 0 else "red"))
    parts: list = [
        Text(", ".join(f"{k}={v}" for k, v in result.proposal.labels.items())),
        table,
    ]
    if result.broken:
        parts.append(Text("Breaks red lines: " + "; ".join(f"{p}: {n}" for p, n in result.broken),
                          style="red"))
    else:
        parts.append(Text("Breaks no red line.", style="green"))
    if result.efficient:
        parts.append(Text("Pareto-efficient: no outcome that breaks no further red line is at "
                          "least as good for every party and better for one."))
    else:
        parts.append(Text(f"Not Pareto-efficient: {_count(result.improvements)} outcomes improve on it "
                          "for some party without hurting any or breaking a further red line."))
        parts.append(_improvements_table(scenario, result))
    return Group(*parts)


def _improvements_table(scenario: Scenario, result: Score) -> Table:
    table = Table(title="Best efficient improvements (largest joint gain first)", title_justify="left")
    table.add_column("changes")
    for party in scenario.parties:
        table.add_column(party.name, justify="right")
    base = result.proposal
    for pt in result.best_improvements:
        changes = [f"{k}: {base.labels[k]} -> {v}" for k, v in pt.labels.items() if v != base.labels[k]]
        table.add_row("\n".join(changes),
                      *[f"{u:.3f} ({u - b:+.3f})" for u, b in zip(pt.utilities, base.utilities)])
    return table


def trace_view(trace: Trace, table: OutcomeTable, metrics: SessionMetrics, shown: int) -> Group:
    """The offers of a session (the first and last ``shown`` of them), how it ended, its metrics."""
    scenario = table.scenario
    offers = [e for e in trace.events if e.action is Action.OFFER]
    listed = offers if len(offers) <= 2 * shown else offers[:shown] + [None] + offers[-shown:]
    events = Table(title=f"Offers ({len(offers):,})", title_justify="left")
    for column in ("round", "by"):
        events.add_column(column)
    for party in scenario.parties:
        events.add_column(party.name, justify="right")
    for event in listed:
        if event is None:
            events.add_row("...", "", *[""] * len(scenario.parties))
            continue
        who = trace.parties[event.party] if event.party >= 0 else "mediator"
        events.add_row(str(event.round), who, *[f"{u:.3f}" for u in table.utilities[event.outcome]])
    result = Table(title="Result", title_justify="left")
    result.add_column("party")
    result.add_column("strategy")
    result.add_column("utility", justify="right")
    result.add_column("advantage", justify="right")
    for name, strategy, u, a in zip(trace.parties, trace.strategies, metrics.utilities, metrics.advantages):
        result.add_row(name, strategy, f"{u:.3f}", Text(f"{a:+.3f}", style="green" if a >= 0 else "red"))
    ending = Text(f"{trace.ending}: {trace.explanation} after {trace.rounds} rounds "
                  f"({trace.protocol}).", style="bold green" if trace.agreed else "bold red")
    parts: list = [events, ending]
    if trace.agreement is not None:
        labels = scenario.space.describe(scenario.space.outcome_at(trace.agreement))
        parts.append(Text("Agreement: " + ", ".join(f"{k}={v}" for k, v in labels.items())))
    parts.append(result)
    distances = [
        f"{label} {value:.3f}"
        for label, value in (
            ("Pareto frontier", metrics.pareto_distance),
            ("Nash point", metrics.nash_distance),
            ("Kalai point", metrics.kalai_distance),
        )
        if value is not None
    ]
    parts.append(Text(f"Social welfare {metrics.welfare:.3f}"
                      + ("; distance to " + ", ".join(distances) if distances else "")))
    return Group(*parts)
