"""The command line: exit codes, one-line errors, every command on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import EXAMPLES, random_scenario
from servanda.analysis import utilities
from servanda.cli import main
from servanda.formats import load_yaml
from servanda.formats import dump_yaml


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "servanda", *args], capture_output=True, text=True, timeout=600
    )


def huge_scenario_file(tmp_path: Path, parties: int, joint_red_line: bool = False) -> Path:
    path = tmp_path / f"huge-{parties}.yaml"
    dump_yaml(random_scenario(0, parties, (10,) * 30, joint_red_line=joint_red_line), path)
    return path


def test_analyze_moscow_exits_zero_and_says_no_agreement():
    result = run("analyze", str(EXAMPLES / "moscow-2025.yaml"))
    assert result.returncode == 0, result.stderr
    assert "No agreement is possible under the red lines as written" in result.stdout
    assert "Nash" in result.stdout


def test_bad_file_is_one_line_on_stderr_without_traceback(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nissues: [\n", encoding="utf-8")
    result = run("analyze", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "line 3" in lines[0]
    assert "Traceback" not in result.stderr
    debug = run("--debug", "analyze", str(path))
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_enumerating_1e30_outcomes_is_refused_clearly(tmp_path):
    result = run("analyze", str(huge_scenario_file(tmp_path, 3, joint_red_line=True)))
    assert result.returncode == 1
    assert "1.000e+30 outcomes" in result.stderr and "Traceback" not in result.stderr


def test_1e30_outcomes_with_two_parties_is_solved_without_enumeration(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        main(["analyze", "--json", str(huge_scenario_file(tmp_path, 2))])
    assert done.value.code in (0, None)
    report = json.loads(capsys.readouterr().out)
    assert report["space_size"] == 10**30 and report["method"].startswith("issue-by-issue")
    assert report["solutions"]["nash"] is not None


def test_score_by_choice_and_by_file(tmp_path, capsys):
    moscow = str(EXAMPLES / "moscow-2025.yaml")
    choice = {
        "form_of_agreement": "ceasefire", "territorial_status": "de_facto", "donbass": "status_quo",
        "army_cap": 800000, "security_guarantees": "european_coordinated",
        "sanctions_relief": "phased_at_us_discretion", "nato_expansion": "open",
        "missile_deployments": "limited", "russia_nato_dialogue": "vague_us_mediated",
    }
    text = ",".join(f"{k}={v}" for k, v in choice.items())
    with pytest.raises(SystemExit) as done:
        main(["score", moscow, text, "--json"])
    assert done.value.code in (0, None)
    by_text = json.loads(capsys.readouterr().out)
    names = {b["red_line"] for b in by_text["broken_red_lines"]}
    assert "binding treaty only" in names and "de jure recognition of the four oblasts" in names
    path = tmp_path / "proposal.yaml"
    path.write_text(yaml.safe_dump({"outcome": choice}), encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["score", moscow, "--proposal", str(path), "--json"])
    assert json.loads(capsys.readouterr().out) == by_text
    with pytest.raises(SystemExit) as done:
        main(["score", moscow, "form_of_agreement=armistice"])
    assert done.value.code == 1
    assert "no option 'armistice'" in capsys.readouterr().err


def test_schema_convert_and_plot(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["schema"])
    assert json.loads(capsys.readouterr().out)["title"] == "ScenarioDoc"
    target = tmp_path / "copy.yaml"
    with pytest.raises(SystemExit):
        main(["convert", str(EXAMPLES / "moscow-2025.yaml"), str(target)])
    original, copy = load_yaml(EXAMPLES / "moscow-2025.yaml"), load_yaml(target)
    digits = original.space.all()
    np.testing.assert_array_equal(utilities(original, digits), utilities(copy, digits))
    image = tmp_path / "space.png"
    with pytest.raises(SystemExit) as done:
        main(["plot", str(target), "--parties", "Russia,Ukraine", "-o", str(image)])
    assert done.value.code in (0, None)
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(SystemExit) as done:
        main(["plot", str(target), "--parties", "Russia,Atlantis", "-o", str(image)])
    assert done.value.code == 1 and "unknown party 'Atlantis'" in capsys.readouterr().err


def test_usage_errors_exit_non_zero():
    assert run("analyze").returncode == 2
    assert run("no-such-command").returncode == 2
    missing = run("analyze", "absent.yaml")
    assert missing.returncode == 1 and "no such file" in missing.stderr
