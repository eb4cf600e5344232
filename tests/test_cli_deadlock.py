"""servanda diagnose and servanda mediate on the shipped examples, and their errors."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, run_cli

MOSCOW = EXAMPLES / "moscow-2025.yaml"
DRAFT = """\
form_of_agreement: ceasefire
territorial_status: de_facto
donbass: status_quo
army_cap: 800000
security_guarantees: none
sanctions_relief: phased_at_us_discretion
nato_expansion: open
missile_deployments: unrestricted
russia_nato_dialogue: vague_us_mediated
"""



def test_diagnose_names_the_blocking_red_lines_and_the_smallest_relaxation(capsys):
    code, out, _ = run_cli(capsys, "diagnose", MOSCOW)
    assert code == 0
    assert "Russia's red line 'de jure recognition of the four oblasts' and Ukraine's red line" in out
    assert "exclude each other on territorial_status" in out
    assert "Smallest change (fewest red lines dropped, proven optimal): drop Russia's red line" in out
    assert "Nash" in out


def test_diagnose_json(capsys):
    code, out, _ = run_cli(capsys, "diagnose", MOSCOW, "--json", "--objective", "reservations")
    data = json.loads(out)
    assert code == 0 and data["agreement_possible"] is False and data["complete"] is True
    assert len(data["blocking_sets"]) == 2
    assert data["relaxation"]["objective"] == "reservations"
    assert {c["party"] for c in data["relaxation"]["drop"]} == {"Russia"}
    assert data["relaxation"]["solutions"]["nash"] is not None


def test_diagnose_a_scenario_with_agreement(capsys):
    code, out, _ = run_cli(capsys, "diagnose", EXAMPLES / "job-offer.yaml")
    assert code == 0 and "Agreement is possible" in out


@pytest.mark.parametrize("weight", ["Nobody=2", "Russia=0", "Russia=x", "Russia"])
def test_diagnose_rejects_bad_weights(capsys, weight):
    code, _, err = run_cli(capsys, "diagnose", MOSCOW, "--weight", weight)
    assert code == 2 and "PARTY=W" in err


def test_weights_steer_the_relaxation(capsys):
    heavy = json.loads(run_cli(capsys, "diagnose", MOSCOW, "--json", "--weight", "Russia=5")[1])
    dropped = {c["party"] for c in heavy["relaxation"]["drop"]}
    assert dropped == {"Ukraine", "European allies"}  # two red lines at 1 beat one at 5


def test_mediate_lists_packages_that_improve_the_draft_for_everyone(capsys, tmp_path):
    draft = tmp_path / "draft.yaml"
    draft.write_text(DRAFT)
    code, out, _ = run_cli(capsys, "mediate", MOSCOW, "--draft", draft, "--top", "2")
    assert code == 0
    assert "Packages that improve the draft for everyone" in out
    assert "Best packages: fairest by the Nash product of gains" in out
    assert "Adjusted Winner: not applicable" in out
    data = json.loads(run_cli(capsys, "mediate", MOSCOW, "--draft", draft, "--json")[1])
    best = data["by_joint_gain"][0]
    assert all(gain >= 0 for gain in best["gains"].values())
    assert best["trades"] and data["draft"]["outcome"]["army_cap"] == 800000


def test_mediate_reads_an_agreement_text_and_names_open_issues(capsys):
    code, _, err = run_cli(capsys, "mediate", MOSCOW, "--draft", EXAMPLES / "texts" / "moscow-ceasefire-v2.yaml")
    assert code == 1 and "no option given for issue(s) territorial_status" in err
    assert "moscow-ceasefire-v2.yaml" in err


def test_mediate_bad_draft(capsys, tmp_path):
    draft = tmp_path / "draft.yaml"
    draft.write_text(DRAFT.replace("open", "wide_open"))
    code, _, err = run_cli(capsys, "mediate", MOSCOW, "--draft", draft)
    assert code == 1 and "wide_open" in err and len(err.strip().splitlines()) == 1
