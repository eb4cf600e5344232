"""The ``elicit`` command, driven by scripted answers: each method writes a valid scenario
whose party has exactly the preferences the library computes from the same answers; bad
answers are asked again; an existing output is never overwritten without --force; end of
input aborts with exit code 1 and writes nothing."""

from __future__ import annotations

import io

import numpy as np
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from servanda.cli.elicit import Dialog, add_elicit_commands, elicit
from servanda.elicitation import (
    PartWorthModel,
    QuestionSession,
    design_packages,
    fit_package_ratings,
    preferences_from_ratings,
)
from servanda.errors import ScenarioError
from servanda.formats import dump_yaml, load_yaml
from servanda.model import CategoricalIssue, IntegerIssue, OrdinalIssue, Party, Preferences, Scenario

COLOUR = CategoricalIssue("colour", ("red", "green", "blue"))
CAP = IntegerIssue("cap", 0, 10)  # 11 options: rated at 5 breakpoints 0, 2, 5, 8, 10
SIZE = OrdinalIssue("size", ("S", "M", "L"))


def app() -> typer.Typer:
    """An app like ``servanda``'s, with the elicit command registered as cli/app.py will."""
    application = typer.Typer(pretty_exceptions_enable=False)

    @application.callback()
    def _root() -> None:
        """Servanda."""

    add_elicit_commands(application)
    return application


def write_scenario(path, issues) -> Scenario:
    def flat(weight):
        return Preferences(np.full(len(issues), 1 / len(issues)), tuple(np.linspace(0, 1, i.size) for i in issues))

    scenario = Scenario("shop", issues, (Party("buyer", flat(1), reservation=0.25), Party("seller", flat(2))))
    dump_yaml(scenario, path)
    return load_yaml(path)


def run(*args, script: str):
    return CliRunner().invoke(app(), ["elicit", *map(str, args)], input=script)


def same(a: Preferences, b: Preferences, tol: float = 1e-12) -> bool:
    return np.allclose(a.weights, b.weights, atol=tol, rtol=0) and all(
        np.allclose(x, y, atol=tol, rtol=0) for x, y in zip(a.tables, b.tables)
    )


def test_the_command_is_registered():
    result = CliRunner().invoke(app(), ["--help"])
    assert result.exit_code == 0 and "elicit" in result.output


def test_ratings_session_writes_the_party_with_its_preferences(tmp_path):
    source, target = tmp_path / "shop.yaml", tmp_path / "out.yaml"
    scenario = write_scenario(source, (COLOUR, CAP))
    script = "\n".join([
        "abc", "150", "30", "100", "0",  # colour: red (asked three times), green, blue
        "0", "40", "100", "60", "10",  # cap at 0, 2, 5, 8, 10
        "30", "50",  # points adding up to 80: asked again
        "30", "",  # the last issue's default is the rest: 70
    ]) + "\n"
    result = run(source, "--party", "buyer", "-o", target, script=script)
    assert result.exit_code == 0, result.output
    assert "Please enter a valid integer number" in result.output
    assert "Enter a whole number from 0 to 100" in result.output
    assert "the points add up to 80, not 100" in result.output
    expected = preferences_from_ratings(
        scenario.issues,
        {"colour": 30, "cap": 70},
        {"colour": {"red": 30, "green": 100, "blue": 0}, "cap": {0: 0, 2: 40, 5: 100, 8: 60, 10: 10}},
    )
    written = load_yaml(target)
    assert same(written.party("buyer").preferences, expected)
    assert written.party("buyer").reservation == 0.25
    assert same(written.party("seller").preferences, scenario.party("seller").preferences)
    assert "wrote" in result.output


def test_an_existing_output_is_never_overwritten_without_force(tmp_path):
    source, target = tmp_path / "shop.yaml", tmp_path / "out.yaml"
    write_scenario(source, (COLOUR, SIZE))
    target.write_text("precious\n", encoding="utf-8")
    script = "0\n100\n50\n" "0\n50\n100\n" "60\n\n"
    refused = run(source, "--party", "buyer", "-o", target, script=script)
    assert isinstance(refused.exception, ScenarioError) and "already exists" in str(refused.exception)
    assert "Rate" not in refused.output  # refused before asking anything
    assert target.read_text(encoding="utf-8") == "precious\n"
    forced = run(source, "--party", "buyer", "-o", target, "--force", script=script)
    assert forced.exit_code == 0, forced.output
    assert load_yaml(target).party("buyer").preferences.weights.tolist() == [0.6, 0.4]


def test_end_of_input_aborts_and_writes_nothing(tmp_path):
    source, target = tmp_path / "shop.yaml", tmp_path / "out.yaml"
    write_scenario(source, (COLOUR, SIZE))
    result = run(source, "--party", "buyer", "-o", target, script="10\n20\n")
    assert result.exit_code == 1
    assert "aborted: nothing was written" in result.stderr
    assert not target.exists()


def test_an_unknown_party_fails_before_any_question(tmp_path):
    source = tmp_path / "shop.yaml"
    write_scenario(source, (COLOUR, SIZE))
    result = run(source, "--party", "nobody", "-o", tmp_path / "out.yaml", script="")
    assert isinstance(result.exception, ScenarioError) and "unknown party 'nobody'" in str(result.exception)


def test_package_ratings_session_fits_the_ratings(tmp_path):
    source, target = tmp_path / "shop.yaml", tmp_path / "out.yaml"
    scenario = write_scenario(source, (COLOUR, SIZE))
    truth = Preferences([0.4, 0.6], (np.array([0.5, 1.0, 0.0]), np.array([0.0, 0.25, 1.0])))
    model = PartWorthModel.of(scenario, monotone={"size": "increasing"})
    packages = design_packages(model, 6, seed=3)
    ratings = np.round(100 * truth.evaluate(packages)).astype(int)
    script = "maybe\nmore\n" + "".join(f"{r}\n" for r in ratings)  # "maybe" is asked again
    result = run(source, "--party", "buyer", "-o", target, "--method", "packages", "--packages", 6,
                 "--seed", 3, script=script)
    assert result.exit_code == 0, result.output
    assert "Please select one of the available options" in result.output
    written = load_yaml(target).party("buyer").preferences
    assert same(written, fit_package_ratings(model, packages, ratings).preferences, 1e-9)
    assert same(written, truth, 0.02)  # ratings rounded to whole points


def test_questions_session_writes_the_session_estimate(tmp_path):
    source, target = tmp_path / "shop.yaml", tmp_path / "out.yaml"
    scenario = write_scenario(source, (COLOUR, CategoricalIssue("day", ("mon", "tue", "wed"))))
    truth = Preferences([0.7, 0.3], (np.array([0.0, 1.0, 0.2]), np.array([1.0, 0.0, 0.6])))
    # The same session in the library, answered truthfully, gives the script.
    session = QuestionSession(PartWorthModel.of(scenario), count=6, seed=2)
    script = []
    while (question := session.next_question()) is not None:
        first, second = truth.evaluate(session.packages[[question.first, question.second]])
        script.append("1" if first > second else "2")
        session.answer(question, "first" if first > second else "second")
    result = run(source, "--party", "buyer", "-o", target, "--method", "questions", "--packages", 6,
                 "--seed", 2, script="\n".join(["x"] + script) + "\n")  # "x" is asked again
    assert result.exit_code == 0, result.output
    assert f"question {len(script)} (at most" in result.output and "done:" in result.output
    assert same(load_yaml(target).party("buyer").preferences, session.estimate, 1e-9)


def test_a_scripted_stream_drives_the_dialogue_and_its_end_aborts():
    scenario = Scenario("s", (COLOUR, SIZE), (Party("p", Preferences([0.5, 0.5], (np.zeros(3), np.zeros(3)))),))
    shown = io.StringIO()
    prefs = elicit(scenario, "p", "ratings", Dialog(Console(file=shown, width=100),
                                                    io.StringIO("0\n100\n50\n-5\n0\n50\n100\n60\n\n")))
    assert prefs.weights.tolist() == [0.6, 0.4] and prefs.tables[1].tolist() == [0.0, 0.5, 1.0]
    assert "Enter a whole number from 0 to 100" in shown.getvalue()
    with pytest.raises(EOFError):
        elicit(scenario, "p", "ratings", Dialog(Console(file=io.StringIO()), io.StringIO("0\n100\n")))


def test_an_issue_rated_alike_gets_no_points_and_all_alike_is_an_error():
    scenario = Scenario("s", (COLOUR, SIZE), (Party("p", Preferences([0.5, 0.5], (np.zeros(3), np.zeros(3)))),))
    shown = io.StringIO()
    prefs = elicit(scenario, "p", "ratings", Dialog(Console(file=shown, width=100),
                                                    io.StringIO("7\n7\n7\n0\n50\n100\n\n")))
    assert prefs.weights.tolist() == [0.0, 1.0]
    assert "every option of colour is rated alike" in shown.getvalue()
    with pytest.raises(ScenarioError, match="every issue has all its options rated alike"):
        elicit(scenario, "p", "ratings", Dialog(Console(file=io.StringIO()), io.StringIO("1\n1\n1\n2\n2\n2\n")))
