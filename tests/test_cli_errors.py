"""Bad input of every kind ends the command with exit code 1 and ONE line on stderr that
names the file, the place and what was expected; no traceback, nothing on stdout."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES
from servanda.cli import main

SCENARIO = """\
name: tiny
issues:
  - name: colour
    type: categorical
    options: [red, blue]
  - name: size
    type: integer
    min: 1
    max: 3
parties:
  - name: buyer
    reservation: 0.2
    weights: {colour: 0.5, size: 0.5}
    values:
      colour: {red: 1.0, blue: 0.0}
      size: {points: [[1, 0.0], [3, 1.0]]}
"""

DOMAIN = """\
<negotiation_template><utility_space number_of_issues="1">
<objective index="0" name="shop" type="objective" etype="objective">
<issue index="1" name="colour" type="discrete" etype="discrete" vtype="discrete">
<item index="1" value="red"/><item index="2" value="blue"/>
</issue></objective></utility_space></negotiation_template>
"""

PROFILE = """\
<utility_space><objective index="0" name="shop" type="objective" etype="objective">
<issue index="1" name="colour" type="discrete" etype="discrete" vtype="discrete">
<item index="1" value="red" evaluation="EVAL"/><item index="2" value="blue" evaluation="0.5"/>
</issue><weight index="1" value="1.0"/></objective>
<reservation value="0"/></utility_space>
"""


def yaml_case(old: str, new: str) -> tuple[str, str]:
    assert old in SCENARIO
    return ("scenario.yaml", SCENARIO.replace(old, new, 1))


CASES = {
    "brackets in names are not markup": (
        *yaml_case("weights: {colour: 0.5, size: 0.5}", "weights: {colour: 0.5, '[/x]': 0.5}"),
        "unknown issue '[/x]'",
        "line 13",
    ),
    "YAML aliases": (*yaml_case("name: tiny", "name: tiny\ndescription: &a [*a]"), "aliases", "line 2"),
    "NaN reservation": (*yaml_case("reservation: 0.2", "reservation: .nan"), "finite number", "line 12"),
    "infinite piecewise point": (
        *yaml_case("[[1, 0.0], [3, 1.0]]", "[[.inf, 0.0], [3, 1.0]]"), "finite number", "line 16"
    ),
    "a range of a billion options": (
        *yaml_case("max: 3", "max: 1000000000"), "1,000,000,000 options; expected at most", "line 6"
    ),
    "a huge integer bound": (*yaml_case("max: 3", "max: 1" + "0" * 30), "2**53", "line 6"),
    "a value given twice": (
        *yaml_case("{red: 1.0, blue: 0.0}", "{red: 1.0, blue: 0.0, 'red': 0.5}"),
        "duplicate key 'red'",
        "line 15",
    ),
    "GENIUS evaluation not a number": (
        "genius",
        None,
        "/utility_space/objective[@name='shop']/issue[@name='colour']/item[@value='red']",
        "line 3",
    ),
    "GeniusWeb number too large": (
        "profile.json",
        json.dumps({"LinearAdditiveUtilitySpace": {"name": "p", "domain": {"name": "d", "issuesValues": {"a": {"values": ["x"]}}},
                    "issueWeights": {"a": 1}, "issueUtilities": {"a": {"discreteutils": {"valueUtilities": {"x": 1}}}}}})
        .replace('"issueWeights": {"a": 1}', '"issueWeights": {"a": 1' + "0" * 400 + "}"),
        "expected a number",
        "issueWeights",
    ),
    "GeniusWeb nested too deeply": ("profile.json", "[" * 100_000 + "]" * 100_000, "nested too deeply", ""),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_scenarios(case, tmp_path, capsys):
    name, text, expected, place = CASES[case]
    if name == "genius":
        (tmp_path / "shop_domain.xml").write_text(DOMAIN)
        (tmp_path / "buyer.xml").write_text(PROFILE.replace("EVAL", "lots"))
        target = tmp_path
    else:
        target = tmp_path / name
        target.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["analyze", str(target)])
    out, err = capsys.readouterr()
    assert done.value.code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(target) in lines[0] and expected in lines[0] and place in lines[0], lines[0]


@pytest.mark.parametrize(
    "args, expected",
    [
        (["score", "{m}", "form_of_agreement=ceasefire,form_of_agreement=binding_treaty"], "given twice"),
        (["score", "{m}", "--proposal", "{p}"], "duplicate key 'donbass'"),
        (["schema", "-o", "/nonexistent/folder/schema.json"], "No such file or directory"),
        (["plot", "{m}", "-o", "/nonexistent/folder/plot.png"], "No such file or directory"),
    ],
)
def test_bad_proposals_and_unwritable_outputs(args, expected, tmp_path, capsys):
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text("donbass: status_quo\ndonbass: full_withdrawal\n", encoding="utf-8")
    filled = [a.format(m=EXAMPLES / "moscow-2025.yaml", p=proposal) for a in args]
    with pytest.raises(SystemExit) as done:
        main(filled)
    err = capsys.readouterr().err
    assert done.value.code == 1
    assert len(err.strip().splitlines()) == 1 and expected in err, err


def test_convert_never_overwrites_without_force(tmp_path, capsys):
    target = tmp_path / "copy.yaml"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["convert", str(EXAMPLES / "job-offer.yaml"), str(target)])
    assert done.value.code == 1 and "already exists" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "keep me"
    with pytest.raises(SystemExit) as done:
        main(["convert", str(EXAMPLES / "job-offer.yaml"), str(target), "--force"])
    assert done.value.code in (0, None)
    assert target.read_text(encoding="utf-8").startswith("name:")
