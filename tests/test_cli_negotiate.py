"""``servanda negotiate``: one session from the command line."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES
from servanda.cli import main


def run(args, capsys):
    with pytest.raises(SystemExit) as done:
        main(args)
    out, err = capsys.readouterr()
    return done.value.code or 0, out, err


def test_negotiate_prints_the_trace_and_plots_it(tmp_path, capsys):
    image = tmp_path / "trace.png"
    code, out, _ = run(
        ["negotiate", str(EXAMPLES / "job-offer.yaml"), "--strategies", "boulware,conceder(e=3)",
         "--plot", str(image)],
        capsys,
    )
    assert code == 0 and "agreement" in out and "Social welfare" in out
    assert image.read_bytes()[:4] == b"\x89PNG"


def test_negotiate_json_is_the_trace_and_its_metrics(capsys):
    code, out, _ = run(
        ["negotiate", str(EXAMPLES / "moscow-2025.yaml"), "--strategies",
         "boulware,linear,tit-for-tat,random", "--protocol", "mediation", "--json", "--rounds", "30"],
        capsys,
    )
    report = json.loads(out)
    assert code == 0 and report["trace"]["ending"] in ("deadline", "walk-away")
    assert report["trace"]["agreement"] is None and report["metrics"]["agreement"] is False


@pytest.mark.parametrize(
    "strategies, expected",
    [("boulwre,linear", "unknown strategy 'boulwre'"), ("linear", "need 2 strategies, got 1")],
)
def test_bad_strategies_are_usage_errors(strategies, expected, capsys):
    code, _, err = run(["negotiate", str(EXAMPLES / "job-offer.yaml"), "--strategies", strategies], capsys)
    assert code == 2 and expected in " ".join(err.replace("│", " ").split())
