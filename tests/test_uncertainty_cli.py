"""``servanda robust`` and the robust plots (``servanda plot --kind``), through the console
script's entry point."""

from __future__ import annotations

import json
import re

import pytest
from conftest import EXAMPLES, run_cli
from servanda.cli.robust import PLOT_VARIANTS, robust_plot
from servanda.errors import ServandaError
from test_uncertainty_format import FILE


@pytest.fixture
def run(capsys):
    """``run(*args) -> (exit code, stdout, stderr)`` of the ``servanda`` command."""
    return lambda *args: run_cli(capsys, *args)


def plain(text: str) -> str:
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", text).split())


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(FILE, encoding="utf-8")
    return path


def test_robust_prints_the_tables(run, tiny):
    code, out, err = run("robust", tiny, "--samples", "400", "--top", "3")
    assert code == 0, err
    text = plain(out)
    for expected in (
        "robust analysis: 400 preference draws (seed 0)",
        "Uncertain preferences",
        "Probability that an agreement exists:",
        "Most acceptable outcomes",
        "The nominal compromise points under uncertainty",
        "Sensitivity: the Nash point is outcome",
        "not computed (option values are uncertain",
    ):
        assert expected in text, expected


def test_robust_json_is_reproducible(run, tiny):
    code, first, err = run("robust", tiny, "--samples", "300", "--seed", "5", "--json")
    assert code == 0, err
    code, second, _ = run("robust", tiny, "--samples", "300", "--seed", "5", "--json")
    assert first == second
    data = json.loads(first)
    assert data["samples"] == 300 and data["seed"] == 5 and data["uncertain"]
    low, high = data["agreement"]["interval"]
    assert low <= data["agreement"]["probability"] <= high
    nash = data["top"]["nash"]
    assert sum(row["nash"]["probability"] for row in data["top"]["nash"]) <= 1 + 1e-12 and nash


def test_robust_on_moscow_reports_the_relaxed_analysis(run):
    code, out, err = run("robust", EXAMPLES / "moscow-2025.yaml", "--samples", "30", "--parameters", "uncertain")
    assert code == 0, err
    text = plain(out)
    assert "Every outcome breaks some party's red line, whatever the preferences." in text
    assert "No draw allows an agreement under the red lines as written. With every red line dropped:" in text
    assert "efficient for every weight vector" in text
    assert "Russia: weight of territorial_status" in text


def test_robust_on_a_scenario_without_uncertainty(run):
    code, out, err = run("robust", EXAMPLES / "job-offer.yaml", "--samples", "5", "--parameters", "uncertain")
    assert code == 0, err
    assert "Nothing is uncertain in this scenario" in plain(out)


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["--samples", "0"], 2, "--samples"),
        (["--confidence", "1.5"], 2, "--confidence"),
        (["--parameters", "some"], 2, "--parameters"),
    ],
)
def test_bad_options_are_usage_errors(run, tiny, args, code, expected):
    got, out, err = run("robust", tiny, *args)
    assert got == code and not out and expected in err


def test_a_bad_file_is_one_line(run, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(FILE.replace("reservation: [0.1, 0.3]", "reservation: [0.3, 0.5]"), encoding="utf-8")
    code, out, err = run("robust", path)
    assert code == 1 and not out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "line 23" in lines[0] and "point estimate" in lines[0]
    code, out, err = run("robust", tmp_path / "missing.yaml")
    assert code == 1 and "no such file" in err


def test_too_many_outcomes_is_one_line(run, tiny):
    code, out, err = run("robust", tiny, "--limit", "2")
    assert code == 1 and "more than the limit of 2" in err


@pytest.mark.parametrize("variant", PLOT_VARIANTS)
def test_plots(tmp_path, tiny, variant):
    path = robust_plot(tiny, tmp_path / f"{variant}.png", variant, samples=200)
    assert path.stat().st_size > 10_000
    moscow = robust_plot(EXAMPLES / "moscow-2025.yaml", tmp_path / f"moscow-{variant}.svg", variant, samples=20)
    assert "<svg" in moscow.read_text(encoding="utf-8")[:500]


def test_plot_errors(tmp_path, tiny):
    with pytest.raises(ServandaError, match="unknown plot"):
        robust_plot(tiny, tmp_path / "x.png", "tornado")
    with pytest.raises(ServandaError, match=".png, .svg or .pdf"):
        robust_plot(tiny, tmp_path / "x.gif", "sensitivity")
    with pytest.raises(ServandaError, match="no conclusion 'deadlock'"):
        robust_plot(tiny, tmp_path / "x.png", "sensitivity", conclusion="deadlock", samples=10)


@pytest.mark.parametrize("kind", PLOT_VARIANTS)
def test_servanda_plot_draws_the_robust_variants(run, tiny, tmp_path, kind):
    target = tmp_path / f"{kind}.png"
    code, out, err = run("plot", tiny, "--kind", kind, "--samples", "200", "-o", target)
    assert code == 0, err
    assert target.stat().st_size > 1000 and f"wrote {target}" in out
