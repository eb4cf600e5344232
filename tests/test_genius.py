"""GENIUS XML and GeniusWeb JSON: semantics, round trips, bad input, and NegMAS cross-check.

The reference data are the ANAC domains under ``/work/shared/data/genius`` (override with
``SERVANDA_GENIUS_DATA``); tests that need them skip when they are absent.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import GENIUS_DATA

from servanda.errors import ScenarioError, UnsupportedError
from servanda.formats import dump_yaml, loads_yaml
from servanda.formats.genius import dump_genius, load_genius, load_genius_folder
from servanda.formats.geniusweb import load_geniusweb_profiles
from servanda.model import (
    CategoricalIssue,
    IntegerIssue,
    Interaction,
    Party,
    Preferences,
    RealIssue,
    RedLine,
    Scenario,
)

DATA = GENIUS_DATA
ANAC = DATA / "anac"
FOLDERS = sorted({p.parent for p in DATA.rglob("*.xml")}) if DATA.is_dir() else []
ENUMERABLE = 400_000  # the largest space the data-wide checks enumerate

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"no GENIUS data at {DATA}")


def folder_id(folder: Path) -> str:
    return str(folder.relative_to(DATA))


def utilities(scenario: Scenario) -> dict[str, np.ndarray]:
    digits = scenario.space.all()
    return {p.name: p.preferences.evaluate(digits) for p in scenario.parties}


# --------------------------------------------------------------------------- hand-written files
DOMAIN = """\
<negotiation_template>
<utility_space number_of_issues="3">
<objective index="0" etype="objective" type="objective" description="" name="shop">
  <issue index="1" etype="discrete" type="discrete" vtype="discrete" name="colour">
    <item index="1" value="red"/>
    <item index="3" value="blue"/>
    <item index="2" value="green"/>
  </issue>
  <issue index="2" etype="integer" type="integer" vtype="integer" name="count" lowerbound="2" upperbound="6"/>
  <issue index="3" etype="real" type="real" vtype="real" name="price">
    <range lowerbound="10" upperbound="20"/>
  </issue>
</objective>
</utility_space>
</negotiation_template>
"""

# Integer evaluations (renormalised by GENIUS, with a half rounding up), a missing item,
# clamped linear integer and real evaluators, raw weights summing to 1.2.
BUYER = """\
<utility_space>
<objective index="0" etype="objective" type="objective" description="" name="shop">
  <issue index="1" etype="discrete" type="discrete" vtype="discrete" name="colour">
    <item index="1" value="red" evaluation="4"/>
    <item index="3" value="blue" evaluation="2.5"/>
  </issue>
  <issue index="2" etype="integer" type="integer" vtype="integer" name="count" lowerbound="2" upperbound="6">
    <evaluator ftype="linear" slope="0.3" offset="0.2"/>
  </issue>
  <issue index="3" etype="real" type="real" vtype="real" name="price">
    <range lowerbound="10" upperbound="20"/>
    <evaluator ftype="linear" parameter0="2.5" parameter1="-0.1"/>
  </issue>
  <weight index="1" value="0.5"/>
  <weight index="2" value="0.3"/>
  <weight index="3" value="0.4"/>
</objective>
<reservation value="0.25"/>
<discount_factor value="0.9"/>
</utility_space>
"""

# Raw evaluations (the largest, 1.2, rounds to 1) and unclamped linear evaluators.
SELLER = """\
<utility_space>
<objective index="0" etype="objective" type="objective" description="" name="shop">
  <issue index="1" etype="discrete" type="discrete" vtype="discrete" name="colour">
    <item index="1" value="red" evaluation="0.3"/>
    <item index="2" value="green" evaluation="0.9"/>
    <item index="3" value="blue" evaluation="1.2"/>
  </issue>
  <issue index="2" etype="integer" type="integer" vtype="integer" name="count" lowerbound="2" upperbound="6">
    <evaluator ftype="linear" slope="0.1" offset="0.5"/>
  </issue>
  <issue index="3" etype="real" type="real" vtype="real" name="price">
    <range lowerbound="10" upperbound="20"/>
    <evaluator ftype="linear" parameter0="-1" parameter1="0.1"/>
  </issue>
  <weight index="3" value="0.2"/>
  <weight index="1" value="0.5"/>
  <weight index="2" value="0.3"/>
</objective>
<discount_factor value="1.0"/>
</utility_space>
"""


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Path, Path, Path]:
    return (
        write(tmp_path, "shop_domain.xml", DOMAIN),
        write(tmp_path, "buyer.xml", BUYER),
        write(tmp_path, "seller.xml", SELLER),
    )


def test_options_follow_item_index_and_ranges_are_enumerated(shop):
    scenario = load_genius(shop[0], shop[1:])
    colour, count, price = scenario.issues
    assert scenario.name == "shop"
    assert isinstance(colour, CategoricalIssue) and colour.options == ("red", "green", "blue")
    assert isinstance(count, IntegerIssue) and count.options == (2, 3, 4, 5, 6)
    assert isinstance(price, RealIssue) and np.allclose(price.grid, np.arange(10, 21))
    assert load_genius(shop[0], shop[1:], real_steps=3).issues[2].options == (10.0, 15.0, 20.0)


def test_genius_semantics_of_a_profile(shop):
    buyer = load_genius(shop[0], shop[1:]).party("buyer")
    colour, count, price = buyer.preferences.tables
    # 4 and 2.5 round (half up, as Java does) to 4 and 3, then divide by 4; green is unlisted.
    assert colour.tolist() == [1.0, 0.0, 0.75]
    # clamp(0.2 + 0.3 (x - lowerbound), 0, 1): the slope starts at the lower bound.
    assert np.allclose(count, [0.2, 0.5, 0.8, 1.0, 1.0])
    # clamp(-0.1 x + 2.5, 0, 1), not shifted by the lower bound.
    assert np.allclose(price, [1, 1, 1, 1, 1, 1, 0.9, 0.8, 0.7, 0.6, 0.5])
    assert buyer.preferences.weights.tolist() == [0.5, 0.3, 0.4]  # raw, sum 1.2
    assert buyer.reservation == 0.25 and buyer.discount == 0.9


def test_raw_evaluations_weights_by_index_and_defaults(shop):
    seller = load_genius(shop[0], shop[1:]).party("seller")
    colour, count, price = seller.preferences.tables
    assert colour.tolist() == [0.3, 0.9, 1.2]  # largest rounds to 1: kept raw
    assert np.allclose(count, [0.5, 0.6, 0.7, 0.8, 0.9])
    assert np.allclose(price, np.linspace(0, 1, 11))
    assert seller.preferences.weights.tolist() == [0.5, 0.3, 0.2]  # matched by index
    assert seller.reservation == 0.0 and seller.discount is None


@pytest.mark.parametrize(
    ("factor", "expected"),
    [("0.5", 0.5), ("0.0", None), ("-1", None), ("1", None), ("1.00", None), ("1.5", None)],
)
def test_discount_factor_outside_zero_one_means_none(tmp_path, factor, expected):
    domain = write(tmp_path, "shop_domain.xml", DOMAIN)
    profile = write(tmp_path, "p.xml", SELLER.replace('value="1.0"', f'value="{factor}"'))
    assert load_genius(domain, [profile]).party("p").discount == expected


def test_real_constant_evaluator(tmp_path):
    text = SELLER.replace(
        'ftype="linear" parameter0="-1" parameter1="0.1"', 'ftype="constant" parameter0="0.4"'
    )
    scenario = load_genius(write(tmp_path, "d.xml", DOMAIN), [write(tmp_path, "p.xml", text)])
    assert np.allclose(scenario.parties[0].preferences.tables[2], 0.4)


@needs_data
def test_laptop_keeps_raw_weights_and_normalises_evaluations():
    scenario = load_genius_folder(ANAC / "y2011" / "Laptop")
    buyer = scenario.party("laptop_buyer_utility")
    weights = [0.4452125771655631, 0.37808251708013424, 0.1767567099260568]  # as in the file
    assert buyer.preferences.weights.tolist() == weights
    assert sum(weights) == pytest.approx(1.000052, abs=1e-6)
    assert buyer.preferences.tables[0].tolist() == [12 / 30, 20 / 30, 1.0]  # Dell, Mac, HP
    assert buyer.preferences.bounds()[1] == pytest.approx(sum(weights), abs=1e-15)  # above 1
    assert buyer.discount == pytest.approx(0.42441038)


@needs_data
def test_integer_issues_of_killer_robot():
    scenario = load_genius_folder(ANAC / "y2015" / "group9-killer_robot")
    guns = scenario.issues[2]
    assert isinstance(guns, IntegerIssue) and guns.options == tuple(range(1, 11))
    table = scenario.party("KillerRobot_util1").preferences.tables[2]
    assert np.allclose(table, 1.0 - 0.044444444444444446 * np.arange(10))


@needs_data
@pytest.mark.parametrize(
    ("folder", "parties"),
    [
        ("y2011/Car", ["adg_deal", "adg_deal2"]),  # domain file without "domain" in its name
        ("y2011/Grocery", ["Grocery_domain_mary", "Grocery_domain_sam"]),  # profiles with it
        ("y2016/parsCat", ["profile1", "profile2", "profile3"]),
    ],
)
def test_folder_discovery(folder, parties):
    scenario = load_genius_folder(ANAC / folder)
    assert list(scenario.party_names) == parties
    assert scenario.name == Path(folder).name


def test_folder_falls_back_on_domain_in_the_file_name(tmp_path):
    plain = DOMAIN.replace("<negotiation_template>\n", "").replace("</negotiation_template>\n", "")
    write(tmp_path, "shop-domain.xml", plain)
    write(tmp_path, "seller.xml", SELLER)
    write(tmp_path, "notes.txt", "not xml")
    scenario = load_genius_folder(tmp_path)
    assert scenario.party_names == ("seller",) and scenario.space.size == 3 * 5 * 11


# --------------------------------------------------------------------------- round trips
@needs_data
@pytest.mark.parametrize("folder", FOLDERS, ids=folder_id)
def test_round_trip_preserves_every_utility(folder, tmp_path):
    scenario = load_genius_folder(folder)
    paths = dump_genius(scenario, tmp_path)
    assert paths[0].name == f"{folder.name}_domain.xml" and len(paths) == 1 + len(scenario.parties)
    again = load_genius_folder(tmp_path)
    assert [(i.name, i.options) for i in again.issues] == [
        (i.name, i.options) for i in scenario.issues
    ]
    assert again.party_names == scenario.party_names
    for party in scenario.parties:
        twin = again.party(party.name)
        assert (twin.reservation, twin.discount) == (party.reservation, party.discount)
        # Utilities are sums of one weighted value per issue, so the largest change of any
        # outcome's utility is at most the sum over issues of the largest change per option.
        # This bounds every outcome without enumerating (AgentHp2 has 5.7 million).
        bound = sum(
            float(np.abs(a - b).max())
            for a, b in zip(party.preferences.weighted_tables, twin.preferences.weighted_tables)
        )
        assert bound <= 1e-9
    if scenario.space.size <= ENUMERABLE:
        before, after = utilities(scenario), utilities(again)
        for party in scenario.parties:
            np.testing.assert_allclose(after[party.name], before[party.name], rtol=0, atol=1e-9)
        np.testing.assert_array_equal(twin.preferences.weights, party.preferences.weights)


def test_round_trip_of_integer_and_real_issues(shop, tmp_path):
    scenario = load_genius(shop[0], [shop[2]])
    again = load_genius_folder(dump_genius(scenario, tmp_path / "out")[0].parent)
    np.testing.assert_allclose(
        utilities(again)["seller"], utilities(scenario)["seller"], atol=1e-12
    )


def scenario_of(issue, table, weight=1.0, **party) -> Scenario:
    preferences = party.pop("preferences", None) or Preferences(
        np.array([weight]), (np.asarray(table, float),)
    )
    return Scenario("s", (issue,), (Party(party.pop("name", "p"), preferences, **party),))


def test_dump_moves_a_large_scale_into_the_weight(tmp_path):
    # GENIUS would renormalise [0, 1.5, 3] by its rounded maximum; and clamp a numeric 2.
    scenario = Scenario(
        "s",
        (CategoricalIssue("c", ("a", "b", "c")), IntegerIssue("n", 0, 2)),
        (
            Party(
                "p",
                Preferences(np.array([0.2, 0.3]), (np.array([0, 1.5, 3.0]), np.array([0, 1, 2.0]))),
            ),
        ),
    )
    again = load_genius_folder(dump_genius(scenario, tmp_path)[0].parent)
    np.testing.assert_allclose(utilities(again)["p"], utilities(scenario)["p"], atol=1e-12)
    assert again.parties[0].preferences.weights.tolist() == pytest.approx([0.6, 0.6])


def test_dump_sanitises_file_names(tmp_path):
    preferences = Preferences(np.array([1.0]), (np.array([0.0, 1.0]),))
    scenario = Scenario(
        "war / peace",
        (CategoricalIssue("c", ("a", "b")),),
        (Party("Side A/B", preferences), Party("Side A_B", preferences), Party("..", preferences)),
    )
    names = [p.name for p in dump_genius(scenario, tmp_path)]
    assert names == ["war_peace_domain.xml", "Side_A_B.xml", "Side_A_B_2.xml", "party.xml"]


@pytest.mark.parametrize(
    ("scenario", "fragments"),
    [
        (
            lambda: scenario_of(IntegerIssue("count", 0, 3), [0, 0.5, 0.6, 1]),
            ["'p'", "'count'", "affine"],
        ),
        (
            lambda: scenario_of(RealIssue("price", 0, 1, steps=3), [0, 0.9, 1]),
            ["'p'", "'price'", "affine"],
        ),
        (
            lambda: scenario_of(IntegerIssue("cap", 0, 2, extra=("none",)), [0, 0.5, 1, 0]),
            ["'cap'", "none"],
        ),
        (lambda: scenario_of(IntegerIssue("cap", 0, 4, step=2), [0, 0.5, 1]), ["'cap'", "step 2"]),
        (
            lambda: scenario_of(CategoricalIssue("c", ("a", "b")), [-0.5, 1]),
            ["'p'", "'c'", "negative"],
        ),
        (
            lambda: scenario_of(CategoricalIssue("c", ("a", "b")), [0, 1], weight=-1),
            ["'c'", "negative"],
        ),
        (
            lambda: scenario_of(
                CategoricalIssue("c", ("a", "b")),
                None,
                preferences=Preferences(
                    np.array([1.0]), (np.array([0, 1.0]),), (Interaction(0, 0, np.eye(2)),)
                ),
            ),
            ["'p'", "interaction"],
        ),
        (
            lambda: scenario_of(
                CategoricalIssue("c", ("a", "b")),
                [0, 1],
                red_lines=(RedLine("never a", (((0, np.array([True, False])),),)),),
            ),
            ["'p'", "never a", "lost"],
        ),
    ],
    ids=[
        "integer-not-affine",
        "real-not-affine",
        "extra-options",
        "integer-step",
        "negative-value",
        "negative-weight",
        "interactions",
        "red-lines",
    ],
)
def test_dump_refuses_what_genius_cannot_express(tmp_path, scenario, fragments):
    with pytest.raises(UnsupportedError) as info:
        dump_genius(scenario(), tmp_path / "out")
    for fragment in fragments:
        assert fragment in str(info.value)
    assert not (tmp_path / "out").exists()  # nothing written


def test_dump_refuses_the_clamped_integer_evaluator(shop, tmp_path):
    with pytest.raises(UnsupportedError, match="party 'buyer', issue 'count'"):
        dump_genius(load_genius(shop[0], shop[1:]), tmp_path)


# --------------------------------------------------------------------------- bad input
def expect_error(call, path: Path, line: int | None, *fragments: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        call()
    error = info.value
    assert error.source == str(path)
    assert path.name in str(error)
    if line is not None:
        assert error.location is not None and error.location.startswith(f"line {line}")
    for fragment in fragments:
        assert fragment in str(error), str(error)
    return error


def profile_error(tmp_path, old: str, new: str, line: int, *fragments: str, domain: str = DOMAIN):
    domain_path = write(tmp_path, "shop_domain.xml", domain)
    assert old in SELLER
    path = write(tmp_path, "seller.xml", SELLER.replace(old, new, 1))
    return expect_error(lambda: load_genius(domain_path, [path]), path, line, *fragments)


def domain_error(tmp_path, old: str, new: str, line: int, *fragments: str):
    assert old in DOMAIN
    path = write(tmp_path, "shop_domain.xml", DOMAIN.replace(old, new, 1))
    profile = write(tmp_path, "seller.xml", SELLER)
    return expect_error(lambda: load_genius(path, [profile]), path, line, *fragments)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not well-formed XML"),
        (b"", "not well-formed XML"),
        (b"hello, world", "not well-formed XML"),
        (b"<utility_space>\n<objective>\n</utility_space>\n", "not well-formed XML"),
    ],
    ids=["binary", "empty", "text", "unclosed"],
)
def test_not_xml(tmp_path, content, fragment):
    domain = write(tmp_path, "shop_domain.xml", DOMAIN)
    path = write(tmp_path, "p.xml", content)
    expect_error(lambda: load_genius(domain, [path]), path, None, fragment)


def test_unclosed_tag_names_its_line(tmp_path):
    domain = write(tmp_path, "shop_domain.xml", DOMAIN)
    path = write(tmp_path, "p.xml", SELLER.replace('evaluation="0.9"/>', 'evaluation="0.9">', 1))
    expect_error(lambda: load_genius(domain, [path]), path, 7, "not well-formed XML")


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.xml"
    expect_error(lambda: load_genius(path, []), path, None, "cannot read")


def test_folder_without_domain(tmp_path):
    write(tmp_path, "seller.xml", SELLER)
    with pytest.raises(ScenarioError, match="no GENIUS domain found") as info:
        load_genius_folder(tmp_path)
    assert info.value.source == str(tmp_path)


def test_folder_without_profiles(tmp_path):
    write(tmp_path, "shop_domain.xml", DOMAIN)
    with pytest.raises(ScenarioError, match="no GENIUS profile found"):
        load_genius_folder(tmp_path)


def test_profile_given_as_domain(tmp_path):
    path = write(tmp_path, "seller.xml", SELLER)
    expect_error(lambda: load_genius(path, []), path, 1, "<negotiation_template>")


def test_domain_given_as_profile(tmp_path):
    domain = write(tmp_path, "shop_domain.xml", DOMAIN)
    expect_error(
        lambda: load_genius(domain, [domain]), domain, 1, "expected a GENIUS utility profile"
    )


def test_issue_not_in_domain(tmp_path):
    error = profile_error(
        tmp_path,
        'name="colour"',
        'name="color"',
        3,
        "'color' is not in the domain",
        "colour, count, price",
    )
    assert "issue[@name='color']" in error.location


def test_item_value_not_in_domain(tmp_path):
    error = profile_error(
        tmp_path, 'value="green"', 'value="teal"', 5, "'teal' is not an option", "red, green, blue"
    )
    assert (
        error.location
        == "line 5, /utility_space/objective[@name='shop']/issue[@name='colour']/item[@value='teal']"
    )


def test_non_numeric_evaluation(tmp_path):
    profile_error(
        tmp_path,
        'evaluation="0.9"',
        'evaluation="high"',
        5,
        "'evaluation' must be a finite number",
        "'high'",
    )


def test_negative_evaluation(tmp_path):
    profile_error(tmp_path, 'evaluation="0.9"', 'evaluation="-0.9"', 5, "at least 0")


def test_non_numeric_weight(tmp_path):
    error = profile_error(
        tmp_path, 'value="0.2"', 'value="0,2"', 15, "'value' must be a finite number", "'0,2'"
    )
    assert "weight[@index='3']" in error.location


def test_negative_weight(tmp_path):
    profile_error(tmp_path, 'value="0.2"', 'value="-0.2"', 15, "weight must not be negative")


def test_missing_attribute(tmp_path):
    profile_error(
        tmp_path, '<weight index="1" ', "<weight ", 16, "<weight> needs a 'index' attribute"
    )
    profile_error(tmp_path, 'slope="0.1" ', "", 9, "<evaluator> needs a 'slope' attribute")
    domain_error(
        tmp_path,
        '<item index="3" value="blue"/>',
        '<item index="3"/>',
        6,
        "<item> needs a 'value' attribute",
    )


def test_weight_for_no_issue_and_missing_weight(tmp_path):
    profile_error(
        tmp_path,
        '<weight index="3"',
        '<weight index="7"',
        15,
        "weight index 7 matches no issue",
        "1, 2, 3",
    )
    profile_error(
        tmp_path,
        '<weight index="3" value="0.2"/>',
        "",
        11,
        "no <weight index=\"3\"> for issue 'price'",
    )
    profile_error(
        tmp_path, '<weight index="1"', '<weight index="3"', 16, "two weights for issue index 3"
    )


def test_integer_bounds_low_above_high(tmp_path):
    domain_error(
        tmp_path,
        'lowerbound="2" upperbound="6"',
        'lowerbound="6" upperbound="2"',
        9,
        "lowerbound 6 is above upperbound 2",
    )
    domain_error(
        tmp_path,
        'lowerbound="2" upperbound="6"',
        'lowerbound="two" upperbound="6"',
        9,
        "must be an integer",
        "'two'",
    )
    domain_error(
        tmp_path,
        'lowerbound="10"',
        'lowerbound="30"',
        11,
        "lowerbound 30.0 is above upperbound 20.0",
    )
    domain_error(
        tmp_path, ' lowerbound="2" upperbound="6"', "", 9, "needs 'lowerbound' and 'upperbound'"
    )
    domain_error(
        tmp_path, 'upperbound="6"', 'upperbound="9999999999"', 9, "would have 9,999,999,998 options; expected at most 1,000,000"
    )


def test_duplicate_names(tmp_path):
    domain_error(tmp_path, 'name="count"', 'name="colour"', 9, "duplicate issue name 'colour'")
    domain_error(tmp_path, 'value="blue"', 'value="red"', 6, "duplicate option 'red'")
    profile_error(
        tmp_path,
        'value="green"',
        'value="red"',
        5,
        "option 'red' of issue 'colour' is listed twice",
    )


def test_structural_problems(tmp_path):
    domain_error(
        tmp_path,
        'type="real" vtype="real"',
        'type="money" vtype="money"',
        10,
        "unknown issue type 'money'",
    )
    domain_error(
        tmp_path,
        '  <issue index="2"',
        '  <objective index="4" name="sub"/>\n  <issue index="2"',
        9,
        "nested objectives",
    )
    profile_error(
        tmp_path,
        'etype="integer" type="integer" vtype="integer"',
        'type="discrete"',
        8,
        "'count' is integer in the domain but discrete here",
    )
    profile_error(
        tmp_path,
        'ftype="linear" parameter0',
        'ftype="triangular" parameter0',
        13,
        "unsupported evaluator ftype 'triangular'",
    )


def test_non_numeric_reservation(tmp_path):
    domain = write(tmp_path, "shop_domain.xml", DOMAIN)
    path = write(
        tmp_path,
        "buyer.xml",
        BUYER.replace('<reservation value="0.25"/>', '<reservation value="none"/>'),
    )
    error = expect_error(
        lambda: load_genius(domain, [path]), path, 18, "'value' must be a finite number"
    )
    assert error.location == "line 18, /utility_space/reservation"


def test_two_profiles_for_one_party(tmp_path):
    domain = write(tmp_path, "shop_domain.xml", DOMAIN)
    (tmp_path / "other").mkdir()
    first = write(tmp_path, "seller.xml", SELLER)
    second = write(tmp_path / "other", "seller.xml", SELLER)
    expect_error(
        lambda: load_genius(domain, [first, second]), second, None, "both be party 'seller'"
    )


# --------------------------------------------------------------------------- GeniusWeb
# A real profile: GeniusWeb's own test fixture for the "jobs" domain (Python port spelling).
JOBS = json.loads("""{"LinearAdditiveUtilitySpace":{"issueUtilities":{
 "lease car":{"DiscreteValueSetUtilities":{"valueUtilities":{"no":0,"yes":1}}},
 "permanent contract":{"DiscreteValueSetUtilities":{"valueUtilities":{"no":0,"yes":1}}},
 "career development opportunities":{"DiscreteValueSetUtilities":{"valueUtilities":{"high":1,"low":0,"medium":0.5}}},
 "fte":{"DiscreteValueSetUtilities":{"valueUtilities":{"1.0":0.75,"0.6":0.25,"0.8":0.5}}},
 "salary":{"DiscreteValueSetUtilities":{"valueUtilities":{"4000":1,"2500":0.25,"3500":0.75,"2000":0,"3000":0.3}}},
 "work from home":{"DiscreteValueSetUtilities":{"valueUtilities":{"1":0.5,"2":0.666666666666,"0":0.333333333}}}},
 "issueWeights":{"lease car":0.06,"permanent contract":0.16,"career development opportunities":0.04,
  "fte":0.32,"salary":0.24,"work from home":0.18},
 "domain":{"name":"jobs","issuesValues":{"lease car":{"values":["yes","no"]},
  "permanent contract":{"values":["yes","no"]},"career development opportunities":{"values":["low","medium","high"]},
  "fte":{"values":["0.6","0.8","1.0"]},"salary":{"values":["2000","2500","3000","3500","4000"]},
  "work from home":{"values":["0","1","2"]}}},
 "name":"jobs1", "reservationBid":null}}""")

JOBS_BID = {
    "lease car": "yes",
    "permanent contract": "yes",
    "career development opportunities": "low",
    "fte": "0.8",
    "salary": "2500",
    "work from home": "1",
}


def write_json(folder: Path, name: str, data) -> Path:
    return write(folder, name, json.dumps(data, indent=1))


@pytest.mark.parametrize("spelling", ["DiscreteValueSetUtilities", "discreteutils"])
def test_geniusweb_jobs_profile(tmp_path, spelling):
    data = json.loads(json.dumps(JOBS).replace("DiscreteValueSetUtilities", spelling))
    scenario = load_geniusweb_profiles([write_json(tmp_path, "jobs1.json", data)])
    assert scenario.name == "jobs" and scenario.party_names == ("jobs1",)
    party = scenario.parties[0]
    assert party.reservation == 0.0 and party.discount is None
    # GeniusWeb's own test: 0.06*1 + 0.16*1 + 0.04*0 + 0.32*0.5 + 0.24*0.25 + 0.18*0.5 = 0.53
    assert party.preferences.utility(scenario.space.parse(JOBS_BID)) == pytest.approx(
        0.53, abs=1e-12
    )


def number_profile(name: str, reservation=None) -> dict:
    return {
        "LinearAdditiveUtilitySpace": {
            "name": name,
            "domain": {
                "name": "deal",
                "issuesValues": {
                    "colour": {"values": ["red", "blue"]},
                    "price": {"range": {"low": 0, "high": 100, "step": 10}},
                    "fte": {"range": {"low": 0.6, "high": 1.05, "step": 0.2}},
                },
            },
            "issueUtilities": {
                "colour": {"discreteutils": {"valueUtilities": {"blue": 0.8}}},
                "price": {
                    "numberutils": {
                        "lowValue": 20,
                        "lowUtility": 1,
                        "highValue": 80,
                        "highUtility": 0.4,
                    }
                },
                "fte": {
                    "NumberValueSetUtilities": {
                        "lowValue": 0.6,
                        "lowUtility": 0,
                        "highValue": 1.0,
                        "highUtility": 1,
                    }
                },
            },
            "issueWeights": {"colour": 0.2, "price": 0.5, "fte": 0.3},
            "reservationBid": reservation,
        }
    }


def test_geniusweb_number_issues_and_reservation_bid(tmp_path):
    bid = {"issuevalues": {"colour": "blue", "price": 50, "fte": 0.8}}
    scenario = load_geniusweb_profiles(
        [
            write_json(tmp_path, "a.json", number_profile("a", bid)),
            write_json(tmp_path, "b.json", number_profile("", None)),
        ],
        name="numbers",
    )
    _, price, fte = scenario.issues
    assert scenario.name == "numbers" and scenario.party_names == ("a", "b")
    assert isinstance(price, IntegerIssue) and price.options == tuple(range(0, 101, 10))
    assert isinstance(fte, RealIssue) and np.allclose(fte.grid, [0.6, 0.8, 1.0])
    colour_values, price_values, fte_values = scenario.parties[0].preferences.tables
    assert colour_values.tolist() == [0.0, 0.8]  # red has no utility: 0
    # 1 -> 0.4 linearly between 20 and 80, and 0 outside that range
    assert np.allclose(price_values, [0, 0, 1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0, 0])
    assert np.allclose(fte_values, [0, 0.5, 1])
    assert scenario.parties[0].reservation == pytest.approx(0.2 * 0.8 + 0.5 * 0.7 + 0.3 * 0.5)
    assert scenario.parties[1].reservation == 0.0


@needs_data
def test_geniusweb_matches_genius_on_the_same_profiles(tmp_path):
    """Itex vs Cypress stores integer evaluations that GENIUS renormalises; GeniusWeb
    profiles written from the loaded tables must give the very same utilities."""
    genius = load_genius_folder(ANAC / "y2010" / "ItexvsCypress")
    domain = {
        "name": genius.name,
        "issuesValues": {i.name: {"values": list(i.options)} for i in genius.issues},
    }
    paths = []
    for party in genius.parties:
        utilities_json = {
            issue.name: {
                "discreteutils": {"valueUtilities": dict(zip(issue.options, table.tolist()))}
            }
            for issue, table in zip(genius.issues, party.preferences.tables)
        }
        weights = dict(zip((i.name for i in genius.issues), party.preferences.weights.tolist()))
        profile = {
            "LinearAdditiveUtilitySpace": {
                "name": party.name,
                "domain": domain,
                "issueUtilities": utilities_json,
                "issueWeights": weights,
            }
        }
        paths.append(write_json(tmp_path, f"{party.name}.json", profile))
    web = load_geniusweb_profiles(paths)
    assert [i.options for i in web.issues] == [i.options for i in genius.issues]  # same enumeration
    for name, values in utilities(genius).items():
        np.testing.assert_allclose(utilities(web)[name], values, rtol=0, atol=1e-12)


def web_error(tmp_path, data, location: str | None, *fragments: str):
    path = (
        write_json(tmp_path, "p.json", data)
        if not isinstance(data, str)
        else write(tmp_path, "p.json", data)
    )
    error = expect_error(lambda: load_geniusweb_profiles([path]), path, None, *fragments)
    if location is not None:
        assert error.location == location


def mutated(change) -> dict:
    data = number_profile("a")
    change(data["LinearAdditiveUtilitySpace"])
    return data


def test_geniusweb_bad_input(tmp_path):
    web_error(
        tmp_path,
        '{"LinearAdditiveUtilitySpace": {\n  "name": "a",\n}',
        "line 3, column 1",
        "not valid JSON",
    )
    web_error(
        tmp_path,
        {"DefaultPartialOrdering": {}},
        "(top level)",
        'expected a {"LinearAdditiveUtilitySpace"',
    )
    web_error(
        tmp_path,
        mutated(lambda s: s.pop("issueWeights")),
        "LinearAdditiveUtilitySpace",
        "missing key 'issueWeights'",
    )
    web_error(
        tmp_path,
        mutated(lambda s: s["issueWeights"].update(size=0.1)),
        "LinearAdditiveUtilitySpace.issueWeights.size",
        "issue 'size' is not in the domain",
    )
    web_error(
        tmp_path,
        mutated(lambda s: s["issueWeights"].update(price="half")),
        "LinearAdditiveUtilitySpace.issueWeights.price",
        "expected a number, got the string 'half'",
    )
    web_error(
        tmp_path,
        mutated(lambda s: s["issueWeights"].update(price=-0.5)),
        "LinearAdditiveUtilitySpace.issueWeights.price",
        "at least 0",
    )
    web_error(
        tmp_path,
        mutated(
            lambda s: s["issueUtilities"]["colour"]["discreteutils"]["valueUtilities"].update(
                teal=1
            )
        ),
        "LinearAdditiveUtilitySpace.issueUtilities.colour.discreteutils.valueUtilities.teal",
        "'teal' is not a value of issue 'colour'",
    )
    web_error(
        tmp_path,
        mutated(
            lambda s: s["issueUtilities"]["colour"]["discreteutils"]["valueUtilities"].update(
                red=1.5
            )
        ),
        None,
        "expected a number in [0, 1], got 1.5",
    )
    web_error(
        tmp_path,
        mutated(
            lambda s: s["issueUtilities"].update(price={"discreteutils": {"valueUtilities": {}}})
        ),
        "LinearAdditiveUtilitySpace.issueUtilities.price.discreteutils",
        "expected 'numberutils'",
    )
    web_error(
        tmp_path,
        mutated(
            lambda s: s["domain"]["issuesValues"].update(
                price={"range": {"low": 9, "high": 1, "step": 1}}
            )
        ),
        "LinearAdditiveUtilitySpace.domain.issuesValues.price.range",
        "low 9 is above high 1",
    )
    web_error(
        tmp_path,
        mutated(
            lambda s: s["domain"]["issuesValues"].update(
                price={"range": {"low": 0, "high": 1e300, "step": 1}}
            )
        ),
        "LinearAdditiveUtilitySpace.domain.issuesValues.price.range",
        "over 1,000,000 values",
    )
    web_error(
        tmp_path,
        mutated(lambda s: s.update(reservationBid={"issuevalues": {"price": 55}})),
        "LinearAdditiveUtilitySpace.reservationBid.issuevalues.price",
        "has no option 55",
    )


def test_geniusweb_profiles_must_share_the_domain(tmp_path):
    first = write_json(tmp_path, "a.json", number_profile("a"))
    other = number_profile("b")
    other["LinearAdditiveUtilitySpace"]["domain"]["issuesValues"]["colour"]["values"].append(
        "green"
    )
    second = write_json(tmp_path, "b.json", other)
    error = expect_error(
        lambda: load_geniusweb_profiles([first, second]), second, None, "differs from the domain in"
    )
    assert error.location == "LinearAdditiveUtilitySpace.domain.issuesValues.colour"


# --------------------------------------------------------------------------- NegMAS cross-check
def genius_normalised(raw: np.ndarray) -> np.ndarray:
    """GENIUS's reading of discrete evaluations, written independently of the loader:
    if the largest rounds (half up) above 1, round every value and divide by it."""
    top = np.floor(raw.max() + 0.5)
    return np.floor(raw + 0.5) / top if top > 1 else raw


@needs_data
def test_negmas_agrees_after_genius_normalisation():
    """For every discrete-only domain with at most 400,000 outcomes, NegMAS 0.16 reads the
    same issues, weights and reservation values. NegMAS keeps raw discrete evaluations,
    and every profile in the data has an issue whose evaluations GENIUS renormalises, so
    no domain can be compared raw: we take NegMAS's own value table of each issue, apply
    GENIUS's per-issue rule to it and then compare every outcome's utility with ours,
    matching options by label. A sample of outcomes checks that NegMAS's utility is that
    raw weighted sum, so the tables we read are the ones NegMAS uses."""
    import negmas.inout as inout
    compared = 0
    for folder in FOLDERS:
        ours = load_genius_folder(folder)
        if ours.space.size > ENUMERABLE or not all(
            isinstance(i, CategoricalIssue) for i in ours.issues
        ):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = inout.load_genius_domain_from_folder(folder, ignore_discount=True)
        position = {issue.name: j for j, issue in enumerate(theirs.outcome_space.issues)}
        assert set(position) == {issue.name for issue in ours.issues}, folder
        digits = ours.space.all()
        sample = digits[np.random.default_rng(0).integers(0, len(digits), 20)]
        for ufun in theirs.ufuns:
            party = ours.party(ufun.name)
            raw = [
                np.array([ufun.values[position[i.name]](o) for o in i.options]) for i in ours.issues
            ]
            weights = np.array([ufun.weights[position[i.name]] for i in ours.issues])
            expected = sum(
                w * genius_normalised(t)[digits[:, k]] for k, (w, t) in enumerate(zip(weights, raw))
            )
            np.testing.assert_allclose(
                party.preferences.evaluate(digits), expected, rtol=0, atol=1e-12
            )
            np.testing.assert_array_equal(party.preferences.weights, weights)
            assert ufun.reserved_value == party.reservation
            for outcome in sample:
                labels = tuple(i.options[d] for i, d in zip(ours.issues, outcome))
                ordered = tuple(
                    labels[k] for k in np.argsort([position[i.name] for i in ours.issues])
                )
                direct = sum(w * t[d] for w, t, d in zip(weights, raw, outcome))
                assert ufun(ordered) == pytest.approx(direct, abs=1e-9)
        compared += 1
    assert compared >= 50  # 54 such domains in the ANAC data


@needs_data
@pytest.mark.parametrize("folder", FOLDERS, ids=folder_id)
def test_genius_to_native_yaml_is_lossless(folder):
    scenario = load_genius_folder(folder)
    again = loads_yaml(dump_yaml(scenario))
    assert [(i.name, i.options) for i in again.issues] == [(i.name, i.options) for i in scenario.issues]
    for party, twin in zip(scenario.parties, again.parties):
        assert (twin.name, twin.reservation, twin.discount) == (party.name, party.reservation, party.discount)
        np.testing.assert_array_equal(twin.preferences.weights, party.preferences.weights)
        for a, b in zip(party.preferences.tables, twin.preferences.tables):
            np.testing.assert_array_equal(a, b)
