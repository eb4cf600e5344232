"""The example scenarios in ``examples/``: they load, survive a round trip through the
native format unchanged, give the expected analysis, and work from the command line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import yaml

import servanda
from servanda.analysis import red_line_breaches
from servanda.cli import main
from servanda.formats import ScenarioDoc, dump_yaml, loads_yaml

ROOT = Path(__file__).resolve().parent.parent
# Scenario files; tournament.yaml is a tournament config, tested in test_tournament.py.
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.yaml") if p.name != "tournament.yaml")
NAMES = [path.name for path in EXAMPLES]

#: Examples in which an agreement is possible under the red lines as written.
AGREEING = ["job-offer.yaml", "trade-deal.yaml"]


@lru_cache(maxsize=None)
def load(name: str) -> servanda.Scenario:
    return servanda.load_yaml(ROOT / "examples" / name)


@lru_cache(maxsize=None)
def analysis(name: str) -> servanda.Analysis:
    return servanda.analyze(load(name))


def test_the_examples_are_there():
    assert {"moscow-2025.yaml", *AGREEING} <= set(NAMES)


# -- loading and round trip --------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_example_loads_and_matches_the_schema(name):
    scenario = load(name)
    assert scenario.issues and scenario.parties
    # The file itself is a valid document of the published schema's models.
    text = (ROOT / "examples" / name).read_text(encoding="utf-8")
    ScenarioDoc.model_validate(yaml.safe_load(text))


@pytest.mark.parametrize("name", NAMES)
def test_round_trip_keeps_utilities_and_red_lines(name):
    scenario = load(name)
    again = loads_yaml(dump_yaml(scenario), source=f"{name} (dumped)")

    assert again.name == scenario.name
    assert [i.name for i in again.issues] == [i.name for i in scenario.issues]
    assert [i.options for i in again.issues] == [i.options for i in scenario.issues]
    assert again.party_names == scenario.party_names
    assert np.array_equal(again.reservations, scenario.reservations)

    outcomes = scenario.space.all()
    for before, after in zip(scenario.parties, again.parties):
        assert [line.name for line in after.red_lines] == [line.name for line in before.red_lines]
        assert np.array_equal(
            after.preferences.evaluate(outcomes), before.preferences.evaluate(outcomes)
        ), f"utilities of {before.name} changed in the round trip"
    assert np.array_equal(red_line_breaches(again, outcomes), red_line_breaches(scenario, outcomes))


# -- analysis ----------------------------------------------------------------------------
def _respects_everyone(scenario: servanda.Scenario, point, *, red_lines: bool) -> None:
    assert point is not None
    for party, utility in zip(scenario.parties, point.utilities):
        assert utility >= party.reservation, f"{party.name}: {utility} < {party.reservation}"
    if red_lines:
        breaches = red_line_breaches(scenario, np.asarray([point.outcome]))
        assert not breaches.any(), f"the point breaks a red line: {point.labels}"


@pytest.mark.parametrize("name", AGREEING)
def test_classic_examples_allow_an_agreement(name):
    result = analysis(name)
    assert result.agreement_possible
    assert result.red_lines_respected
    assert result.relaxed is None
    assert result.zone_size and result.zone_size > 0
    for point in result.solutions.values():
        _respects_everyone(result.scenario, point, red_lines=True)


def test_moscow_no_agreement_under_red_lines_but_when_relaxed():
    result = analysis("moscow-2025.yaml")
    assert not result.agreement_possible
    assert all(point is None for point in result.solutions.values())
    assert result.relaxed is not None
    assert result.relaxed.agreement_possible
    assert not result.relaxed.red_lines_respected
    _respects_everyone(result.scenario, result.relaxed.solutions["nash"], red_lines=False)


# -- command line ------------------------------------------------------------------------
# Every CLI test runs twice: as ``python -m servanda`` in a subprocess, and in-process
# through the console script's entry point ``servanda.cli.main``.
def _run_subprocess(args: list[str], capsys) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    done = subprocess.run(
        [sys.executable, "-m", "servanda", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    return done.returncode, done.stdout, done.stderr


def _run_in_process(args: list[str], capsys) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:  # typer/click exit through SystemExit, also on success
        code = 0 if exc.code is None else exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(params=["subprocess", "in-process"])
def run_cli(request, monkeypatch):
    """``run_cli(args, capsys) -> (exit code, stdout, stderr)``, run from the repository root."""
    monkeypatch.chdir(ROOT)
    return _run_subprocess if request.param == "subprocess" else _run_in_process


def _plain(text: str) -> str:
    """Without terminal escape codes, whitespace runs (line wrapping) collapsed."""
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", text).split())


def test_cli_analyze_moscow(run_cli, capsys):
    code, out, err = run_cli(["analyze", "examples/moscow-2025.yaml"], capsys)
    assert code == 0, err
    assert "No agreement is possible" in _plain(out)


@pytest.mark.parametrize("name", NAMES)
def test_cli_analyze_json(name, run_cli, capsys):
    code, out, err = run_cli(["analyze", "--json", f"examples/{name}"], capsys)
    assert code == 0, err
    data = json.loads(out)
    expected = analysis(name)
    assert data["scenario"] == expected.scenario.name
    assert data["agreement_possible"] is expected.agreement_possible
    if expected.relaxed is None:
        assert data["relaxed"] is None
    else:
        assert data["relaxed"]["agreement_possible"] is expected.relaxed.agreement_possible
