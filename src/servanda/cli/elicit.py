"""The ``elicit`` command: ask a party about its own preferences in the terminal and write
them into the scenario. Thin: every computation (values, fits, which question to ask next,
when to stop) is :mod:`servanda.elicitation`'s; this module asks, shows and writes.

Answers come from the terminal, or from any text stream (``Dialog(console, stream)``), so
that a session can be scripted. A bad answer is asked again with a message; end of input
(Ctrl-D) or Ctrl-C aborts with exit code 1 and writes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, TextIO

import typer
from rich.console import Console
from rich.prompt import IntPrompt, InvalidResponse, Prompt
from rich.table import Table
from rich.text import Text

from servanda.errors import ScenarioError
from servanda.model import NumericIssue, OrdinalIssue, Preferences, Scenario

if TYPE_CHECKING:
    from servanda.elicitation import PartWorthModel

#: Packages rated (method packages) or questioned about (method questions) by default.
DEFAULT_PACKAGES = 10


class Method(StrEnum):
    RATINGS = "ratings"
    PACKAGES = "packages"
    QUESTIONS = "questions"


class Dialog:
    """Questions on a rich console, answers from ``stream`` (default: the terminal)."""

    def __init__(self, console: Console, stream: TextIO | None = None):
        self.console = console
        self.stream = _Lines(stream) if stream is not None else None

    def say(self, *parts, style: str | None = None) -> None:
        """Print text (never read as markup: it quotes names from the scenario)."""
        self.console.print(*(Text(p, style=style) if isinstance(p, str) else p for p in parts))

    def number(self, prompt: str, low: int, high: int, default: int | None = None) -> int:
        """A whole number from ``low`` to ``high``, asked until one is given."""
        question = _Bounded(Text(prompt), console=self.console)
        question.low, question.high = low, high
        return question(default=... if default is None else default, stream=self.stream)

    def choice(self, prompt: str, choices: list[str], default: str | None = None) -> str:
        """One of ``choices``, asked until one is given."""
        question = Prompt(Text(prompt), console=self.console, choices=choices)
        return question(default=... if default is None else default, stream=self.stream)


def add_elicit_commands(app: typer.Typer) -> None:
    """Attach the ``elicit`` command to the ``servanda`` app."""
    app.command("elicit")(elicit_command)


def elicit_command(
    scenario_path: Annotated[
        Path, typer.Argument(help="A .yaml scenario, a GENIUS folder, or GeniusWeb JSON profiles.")
    ],
    party: Annotated[
        str, typer.Option("--party", "-p", help="The party whose preferences to ask for.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="The scenario to write (.yaml).")],
    method: Annotated[
        Method,
        typer.Option(help="ratings: rate options and weigh issues; packages: rate whole packages; "
                          "questions: choose between pairs of packages."),
    ] = Method.RATINGS,
    packages: Annotated[
        Optional[int],
        typer.Option(
            min=2, help=f"Packages to rate or to choose among (default: up to {DEFAULT_PACKAGES})."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the packages shown.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output.")] = False,
    format: Annotated[Optional[str], typer.Option("--format", "-f", help="Input format.")] = None,
) -> None:
    """Ask a party about its own preferences and write the scenario with them."""
    from servanda.elicitation import with_preferences
    from servanda.formats import save_scenario
    from servanda.formats.files import load_uncertain_scenario
    from servanda.model.uncertainty import PartyUncertainty, UncertainScenario

    if output.exists() and not force:  # before the questions, not after them
        raise ScenarioError("already exists (overwrite it with --force)", source=str(output))
    model = load_uncertain_scenario(scenario_path, format)
    scenario = model.scenario
    old = scenario.party(party)
    dialog = Dialog(Console(highlight=False))
    try:
        preferences = elicit(scenario, party, method, dialog, packages=packages, seed=seed)
    except (EOFError, KeyboardInterrupt):
        Console(stderr=True, highlight=False).print(Text("\naborted: nothing was written", style="red"))
        raise typer.Exit(1) from None
    # The party's old uncertainty was about the preferences it has just replaced; the other
    # parties' stays as it was.
    uncertainty = tuple(
        PartyUncertainty() if other.name == party else kept
        for other, kept in zip(scenario.parties, model.parties)
    )
    updated = UncertainScenario(with_preferences(scenario, party, preferences), uncertainty)
    save_scenario(updated, output, "yaml", overwrite=force)
    dialog.say(f"wrote {output}: the preferences of {party}; its reservation value "
               f"({old.reservation:g}) and red lines are unchanged")
    if not old.preferences.is_linear_additive:
        dialog.say("its interaction terms were dropped: the elicited preferences are additive")


def elicit(
    scenario: Scenario,
    party: str,
    method: Method | str,
    dialog: Dialog,
    *,
    packages: int | None = None,
    seed: int = 0,
) -> Preferences:
    """Run one elicitation dialogue and return the party's preferences."""
    scenario.party(party)  # an unknown party fails before any question
    method = Method(method)
    dialog.say(f"Preferences of {party} in '{scenario.name}', by {method.value}", style="bold")
    if method is Method.RATINGS:
        preferences = _by_ratings(scenario, dialog)
    elif method is Method.PACKAGES:
        preferences = _by_package_ratings(scenario, dialog, packages, seed)
    else:
        preferences = _by_questions(scenario, dialog, packages, seed)
    dialog.say(_weights_table(scenario, preferences))
    return preferences


# -- the three methods ---------------------------------------------------------------------
def _by_ratings(scenario: Scenario, dialog: Dialog) -> Preferences:
    from servanda.elicitation import PartWorthModel, option_values, preferences_from_ratings

    model = PartWorthModel.of(scenario)
    dialog.say("Rate the options of each issue from 0 (worst for you) to 100 (best).")
    ratings: dict[str, dict] = {}
    varied: list[str] = []
    for part in model.parts:
        issue = part.issue
        if issue.size == 1:
            ratings[issue.name] = {issue.options[0]: 0}
            continue
        partial = part.breakpoints is not None
        note = " (values in between are interpolated)" if partial else ""
        dialog.say(issue.name + note, style="bold")
        given = {
            issue.options[k]: dialog.number(f"  {_text(issue.options[k])}", 0, 100) for k in part.options
        }
        values = option_values(issue, given)
        ratings[issue.name] = given
        if values.max() > 0:
            varied.append(issue.name)
        else:
            dialog.say(f"  every option of {issue.name} is rated alike: it gets no importance points")
    if not varied:
        raise ScenarioError(
            "every issue has all its options rated alike: no option is better than another"
        )
    while True:
        dialog.say("Share 100 points among the issues: how much does going from the worst to "
                   "the best option of each matter to you?")
        points: dict[str, int] = {}
        left = 100
        for k, name in enumerate(varied):
            last = k == len(varied) - 1
            default = left if last else None
            points[name] = dialog.number(f"  {name} ({left} left)", 0, left, default=default)
            left -= points[name]
        if left == 0:
            break
        dialog.say(f"the points add up to {100 - left}, not 100: share them out again", style="red")
    importance = {issue.name: points.get(issue.name, 0) for issue in scenario.issues}
    return preferences_from_ratings(scenario, importance, ratings)


def _by_package_ratings(
    scenario: Scenario, dialog: Dialog, count: int | None, seed: int
) -> Preferences:
    from servanda.elicitation import design_packages, fit_package_ratings

    if scenario.space.size < 2:
        raise ScenarioError("the packages method needs at least two different outcomes to compare")
    model = _model_with_directions(scenario, dialog)
    count = count or min(DEFAULT_PACKAGES, max(model.degrees_of_freedom + 1, 4))
    chosen = design_packages(model, count, seed)
    while True:
        dialog.say("Rate each package as a whole, from 0 (worst for you) to 100 (best).")
        ratings = []
        for k, package in enumerate(chosen):
            dialog.say(_packages_table(scenario, [package], [f"package {k + 1} of {len(chosen)}"]))
            ratings.append(dialog.number(f"package {k + 1}", 0, 100))
        try:
            fit = fit_package_ratings(model, chosen, ratings)
        except ScenarioError as exc:
            dialog.say(str(exc), style="red")
            continue
        break
    dialog.say(f"the fit explains {fit.r_squared:.0%} of the differences between your ratings")
    if not fit.identified:
        dialog.say(f"{len(chosen)} packages do not tell every option's worth apart: "
                   "differences they do not show are taken to be zero")
    return fit.preferences


def _by_questions(scenario: Scenario, dialog: Dialog, count: int | None, seed: int) -> Preferences:
    from servanda.elicitation import QuestionSession

    model = _model_with_directions(scenario, dialog)
    session = QuestionSession(model, count=count or DEFAULT_PACKAGES, seed=seed)
    dialog.say("Which of two packages do you prefer? Answer 1, 2, or = when they are as good.")
    answers = {"1": "first", "2": "second", "=": "same"}
    conflicts: tuple[int, ...] = ()
    while (question := session.next_question()) is not None:
        number = len(session.answers) + 1
        dialog.say(f"question {number} (at most {session.max_questions})", style="bold")
        pair = session.packages[[question.first, question.second]]
        dialog.say(_packages_table(scenario, pair, ["1", "2"]))
        session.answer(question, answers[dialog.choice("which do you prefer?", list(answers))])
        if session.conflicts != conflicts:
            conflicts = session.conflicts
            if conflicts:
                dialog.say("your answers contradict each other; these are left out:", style="yellow")
                for k in conflicts:
                    judgement = session.answers[k]
                    text = _judgement_text(scenario, session.packages, judgement)
                    dialog.say(f"  answer {k + 1}: {text}")
    dialog.say(f"done: {session.stop_reason}")
    return session.estimate


def _model_with_directions(scenario: Scenario, dialog: Dialog) -> PartWorthModel:
    """Ask, for each ordered issue, whether its highest or lowest option is the best."""
    from servanda.elicitation import PartWorthModel

    directions = {}
    ordered = [i for i in scenario.issues if isinstance(i, (OrdinalIssue, NumericIssue)) and i.size > 1]
    if ordered:
        dialog.say("For each ordered issue: is more better for you, less better, or neither?")
    for issue in ordered:
        low, high = issue.options[0], issue.options[-1]
        if isinstance(issue, NumericIssue):
            high = issue.options[len(issue.grid) - 1]
        prompt = f"  {issue.name} ({_text(low)} ... {_text(high)})"
        answer = dialog.choice(prompt, ["more", "less", "neither"], "neither")
        if answer != "neither":
            directions[issue.name] = "increasing" if answer == "more" else "decreasing"
    return PartWorthModel.of(scenario, monotone=directions)


# -- display -------------------------------------------------------------------------------
def _packages_table(scenario: Scenario, packages, headers: list[str]) -> Table:
    table = Table()
    table.add_column("issue")
    for header in headers:
        table.add_column(Text(header))
    for i, issue in enumerate(scenario.issues):
        options = [_text(issue.options[int(p[i])]) for p in packages]
        style = "bold" if len(set(options)) > 1 else "dim"
        table.add_row(Text(issue.name, style=style), *(Text(o, style=style) for o in options))
    return table


def _weights_table(scenario: Scenario, preferences: Preferences) -> Table:
    table = Table(title="elicited preferences", title_justify="left")
    table.add_column("issue")
    table.add_column("weight", justify="right")
    table.add_column("best option")
    table.add_column("worst option")
    for issue, weight, values in zip(scenario.issues, preferences.weights, preferences.tables):
        best, worst = (
            (_text(issue.options[int(values.argmax())]), _text(issue.options[int(values.argmin())]))
            if weight > 0 else ("-", "-")
        )
        table.add_row(Text(issue.name), f"{weight:.0%}", Text(best), Text(worst))
    return table


def _judgement_text(scenario: Scenario, packages, judgement) -> str:
    def show(k: int) -> str:
        pairs = zip(scenario.issues, packages[k])
        return ", ".join(f"{i.name}={_text(i.options[int(d)])}" for i, d in pairs)

    relation = "as good as" if judgement.tie else "over"
    return f"{show(judgement.better)} {relation} {show(judgement.worse)}"


def _text(option) -> str:
    """An option for people: floats of a real range without binary noise (0.3, not
    0.30000000000000004)."""
    return f"{option:.10g}" if isinstance(option, float) else str(option)


class _Bounded(IntPrompt):
    low = 0
    high = 100

    def process_response(self, value: str) -> int:
        number = super().process_response(value)
        if not self.low <= number <= self.high:
            raise InvalidResponse(
                f"[prompt.invalid]Enter a whole number from {self.low} to {self.high}"
            )
        return number


class _Lines:
    """A text stream whose end raises EOFError, as the terminal's does (rich's prompts read
    an empty string at the end of a stream, and would ask for ever)."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def readline(self) -> str:
        line = self._stream.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")  # as input() does: an empty line then means the default
