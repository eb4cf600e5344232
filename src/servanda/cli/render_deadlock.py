"""Rich rendering of deadlock diagnoses and mediation packages."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from servanda.analysis.diagnosis import Diagnosis
from servanda.analysis.mediation import Mediation, Package
from servanda.cli.render import solutions_table
from servanda.model import Scenario
from servanda.model.space import count_text


def diagnosis_view(scenario: Scenario, diagnosis: Diagnosis) -> Group:
    if diagnosis.agreement_possible:
        labels = ", ".join(f"{k}={v}" for k, v in diagnosis.witness.labels.items())
        return Group(Text("Agreement is possible: no red line or reservation value blocks it.", style="bold green"),
                     Text(f"For instance: {labels}"))
    parts: list = [Text("No agreement is possible. What blocks it:", style="bold red")]
    table = Table(title="Blocking sets (each minimal: drop any one member and it no longer blocks)",
                  title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("why")
    for k, blocking in enumerate(diagnosis.blocking_sets, 1):
        table.add_row(str(k), blocking.explanation)
    if not diagnosis.complete:
        table.caption = f"the first {len(diagnosis.blocking_sets)} found, smallest first; there are more"
    parts.append(table)
    if diagnosis.ways_out:
        ways = Table(title="Ways out (minimal sets of constraints whose removal makes agreement possible)",
                     title_justify="left")
        ways.add_column("give up")
        for way in diagnosis.ways_out:
            ways.add_row("; ".join(c.label for c in way))
        parts.append(ways)
    relaxation = diagnosis.relaxation
    if relaxation is not None:
        proof = "proven optimal" if relaxation.optimal else "best found, not proven optimal"
        what = "fewest red lines dropped" if relaxation.objective == "red-lines" else "smallest loss below reservation values"
        parts.append(Text(f"Smallest change ({what}, {proof}): " + "; ".join(relaxation.scenario_changes),
                          style="bold"))
        if relaxation.analysis is not None:
            zone = relaxation.analysis.zone_size
            parts.append(Text(f"It opens a zone of possible agreement of {count_text(zone) if zone is not None else 'uncounted'} outcomes."))
            parts.append(solutions_table(scenario, relaxation.analysis.solutions, "Fair compromise points after that change"))
        else:
            labels = ", ".join(f"{k}={v}" for k, v in relaxation.outcome.labels.items())
            parts.append(Text(f"An outcome it makes possible: {labels}. {relaxation.note}"))
    return Group(*parts)


def mediation_view(scenario: Scenario, mediation: Mediation) -> Group:
    names = scenario.party_names
    draft = mediation.draft
    parts: list = [Text("Draft: " + ", ".join(f"{k}={v}" for k, v in draft.labels.items()))]
    utilities = Table(title="The draft", title_justify="left")
    utilities.add_column("party")
    utilities.add_column("utility", justify="right")
    for party, u in zip(names, draft.utilities):
        utilities.add_row(party, f"{u:.3f}")
    parts.append(utilities)
    if mediation.broken:
        parts.append(Text("It breaks: " + "; ".join(f"{p}: {n}" for p, n in mediation.broken), style="red"))
    if not mediation.by_joint_gain:
        parts.append(Text("No package improves on the draft for everyone: it is Pareto-efficient.", style="bold"))
    else:
        count = "" if mediation.improvements is None else f" ({count_text(mediation.improvements)} outcomes improve on it)"
        parts.append(Text(f"Packages that improve the draft for everyone{count}:", style="bold"))
        for title, packages in (("largest joint gain", mediation.by_joint_gain),
                                ("fairest by the Nash product of gains", mediation.by_nash),
                                ("fairest by the smallest gain (max-min)", mediation.by_max_min)):
            parts.append(_packages_table(title, packages, names))
    if mediation.adjusted_winner is not None:
        winner = mediation.adjusted_winner
        parts.append(Text("Adjusted Winner (Brams & Taylor):", style="bold"))
        parts.extend(Text(f"  {line}") for line in winner.explanation)
    elif mediation.adjusted_winner_note:
        parts.append(Text(f"Adjusted Winner: not applicable ({mediation.adjusted_winner_note})."))
    return Group(*parts)


def _packages_table(title: str, packages: tuple[Package, ...], names: tuple[str, ...]) -> Table:
    """One row per package: the issues it changes and, per party, what each change is
    worth to it (minus: it gives; plus: it gets) and its net gain."""
    table = Table(title=f"Best packages: {title}", title_justify="left", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("changes to the draft")
    for name in names:
        table.add_column(name, justify="right")
    for k, package in enumerate(packages, 1):
        changes = [f"{t.issue}: {t.before} -> {t.after}" for t in package.trades] + ["net gain"]
        columns = []
        for j in range(len(names)):
            cells = Text()
            for t in package.trades:
                change = t.changes[j]
                cells.append(f"{change:+.3f}\n" if change else "·\n", style="red" if change < 0 else "green" if change > 0 else "")
            cells.append(f"{package.gains[j]:+.3f}", style="bold")
            columns.append(cells)
        table.add_row(str(k), "\n".join(changes), *columns)
    table.caption = "per issue, what the change is worth to each party: minus = it gives, plus = it gets"
    return table
