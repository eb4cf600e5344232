"""Servanda against NegMAS, the independent reference: Pareto frontier and Nash point.

Both libraries get the same numbers. NegMAS's own GENIUS loader reads integer issues and
un-normalised evaluations differently (see ``data/genius/README.md``), so instead of loading
the files twice we build NegMAS linear-additive utility functions from Servanda's value
tables: issue ``i`` maps each option label to ``w_i * v_i[option]`` with weight 1. NegMAS
then adds ``0.0 + 1.0 * t_0 + 1.0 * t_1 + ...`` in issue order, which is exactly what
``Preferences.evaluate`` adds, so the utilities agree bit for bit; the tests assert it
first, since the comparisons below are exact.

What NegMAS 0.16 computes, read from ``negmas/preferences/ops.py``:

``pareto_frontier(ufuns, outcomes)``
    keeps only the *rational* outcomes (every utility >= that party's reserved value), then
    runs ``pareto_frontier_numpy``: points sorted by utility sum, descending, and each
    surviving point removes every point that is not strictly better than it in some
    coordinate. Comparisons are exact floats: the ``eps`` argument is passed along but
    ``pareto_frontier_numpy`` never reads it. A point equal to the current one in every
    coordinate is removed too, so of outcomes tied in every utility exactly one survives,
    whichever the (unstable) sort puts first.

``pareto_mask`` (Servanda)
    marks every undominated outcome, all tied outcomes included, and knows nothing of
    reservation values.

So, with ``S`` Servanda's frontier, ``R`` the rational outcomes and ``N`` NegMAS's
frontier, the tests assert: ``N`` has no duplicates; ``N`` is a subset of ``S & R``; NegMAS
lists one outcome per distinct utility vector of ``S & R`` and those vectors are the same
(exactly); and ``S & R`` is exactly the set of outcomes whose utility vector equals that of
some NegMAS frontier outcome (Servanda keeps every tie, and no other outcome). ``S & R`` is
the frontier of ``R`` (whatever dominates a rational outcome is rational). When ``R`` is not
the whole space, NegMAS is asked again with reserved values of ``-inf``, which compares the
whole of ``S``.

``nash_points(ufuns, frontier, ranges=None, outcome_space=...)``
    returns every frontier point whose product ``prod_i (u_i - d_i)`` is within ``eps=1e-12``
    of the largest. The disagreement point is ``d_i = r_i`` only when the reserved value is
    at least the party's lowest utility over the space; below it (a GENIUS reservation of 0
    with every outcome worth more than 0, say) NegMAS uses the lowest utility instead.
    Servanda's ``nash_point`` always uses the reservation values (Nash 1950: the
    disagreement point is what each party gets without agreement). The tests therefore
    compare twice: NegMAS with ``ranges=[(r_i, max_i)]``, which pins ``d = r``, against
    Servanda with ``r``; and NegMAS's default call against Servanda given NegMAS's own
    ``d = max(r, min utility)``. Servanda's choice (ties broken by welfare, then index) must
    be one of NegMAS's points, to 1e-9, whenever the zone of possible agreement is
    non-empty; when it is empty, both must find nothing.

Runtime: about a minute on two cores. Two domains take most of it: the 5-party killer-robot
domain (240,000 outcomes, 7,444 on the frontier; ~30 s, about half in NegMAS's
pure-Python evaluation and frontier loop, half in Servanda's n-party frontier, computed
here twice: bare and inside ``analyze``) and the 3-party parsCat (390,625 outcomes; ~18 s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import negmas.preferences.ops as negmas_ops  # noqa: E402


from conftest import GENIUS_DATA  # noqa: E402
from servanda.analysis import analyze, nash_point, pareto_mask, utilities  # noqa: E402
from servanda.formats.genius import load_genius_folder  # noqa: E402
from servanda.formats.negmas import to_negmas  # noqa: E402
from servanda.model import CategoricalIssue, Party, Preferences, Scenario  # noqa: E402

GENIUS_ANAC = GENIUS_DATA / "anac"
GENIUS_FOLDERS = sorted(p for p in GENIUS_ANAC.glob("y20*/*") if p.is_dir())

# Larger spaces are left out: the only one here is AgentHp2 (2016, 5,764,801 outcomes), where
# NegMAS alone would need several minutes and gigabytes of Python tuples.
MAX_OUTCOMES = 400_000
NASH_TOLERANCE = 1e-9


# -- NegMAS built from Servanda's value tables -----------------------------------------


class NegmasView:
    """The scenario as NegMAS sees it: outcome space, utility functions and all outcomes
    (as label tuples, in Servanda's index order, so NegMAS's positions are Servanda's
    outcome indices)."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        converted = to_negmas(scenario)
        self.outcome_space = converted.outcome_space
        self.outcomes = converted.outcomes(scenario.space.all())

    def ufuns(self, reservations: np.ndarray) -> list:
        return to_negmas(self.scenario, reservations=reservations).ufuns


def vectors(utils: np.ndarray, rows) -> set[tuple[float, ...]]:
    return {tuple(float(x) for x in utils[r]) for r in rows}


def among(point, candidates) -> bool:
    return any(
        np.allclose(np.asarray(c, dtype=float), point, rtol=0, atol=NASH_TOLERANCE)
        for c, _ in candidates
    )


def check_frontier(scenario, view, ufuns, utils, frontier_mask, rational):
    """NegMAS's frontier (with these ufuns' reserved values) against Servanda's."""
    front_utils, front_idx = negmas_ops.pareto_frontier(ufuns, outcomes=view.outcomes)
    negmas_set = [int(i) for i in front_idx]
    assert len(negmas_set) == len(set(negmas_set)), "NegMAS listed an outcome twice"
    np.testing.assert_array_equal(
        np.asarray(front_utils, dtype=float).reshape(len(negmas_set), utils.shape[1]),
        utils[negmas_set],
    )
    expected = frontier_mask & rational
    servanda_set = np.flatnonzero(expected)
    assert set(negmas_set) <= set(servanda_set.tolist()), (
        f"{scenario.name}: NegMAS frontier outcomes Servanda does not mark: "
        f"{sorted(set(negmas_set) - set(servanda_set.tolist()))[:10]}"
    )
    negmas_vectors = vectors(utils, negmas_set)
    assert len(negmas_vectors) == len(negmas_set)  # one outcome per utility vector
    assert negmas_vectors == vectors(utils, servanda_set), scenario.name
    # Servanda's set is every rational outcome tied with a NegMAS frontier outcome.
    rows = [tuple(float(x) for x in row) for row in utils.tolist()]
    tied = np.array([rational[k] and rows[k] in negmas_vectors for k in range(len(rows))])
    np.testing.assert_array_equal(expected, tied)
    return front_utils


def check_against_negmas(scenario: Scenario) -> None:
    view = NegmasView(scenario)
    reservations = scenario.reservations
    ufuns = view.ufuns(reservations)

    utils = utilities(scenario, scenario.space.all())
    theirs = np.array([[float(u(o)) for u in ufuns] for o in view.outcomes])
    assert np.abs(theirs - utils).max() <= 1e-12
    # Bit-identical, as argued in the module docstring; the set comparisons rely on it.
    np.testing.assert_array_equal(theirs, utils)

    # -- frontier
    frontier = pareto_mask(utils)
    rational = np.all(utils >= reservations, axis=1)
    front_utils = check_frontier(scenario, view, ufuns, utils, frontier, rational)
    if not rational.all():
        unrestricted = view.ufuns(np.full(len(reservations), -np.inf))
        check_frontier(scenario, view, unrestricted, utils, frontier, np.ones_like(rational))

    # -- Nash
    members = np.flatnonzero(frontier)  # index order, as analyze passes its candidates
    candidates = utils[members]
    front = [tuple(p) for p in front_utils]
    lows, highs = zip(*(u.minmax(outcome_space=view.outcome_space) for u in ufuns))

    pinned = negmas_ops.nash_points(
        ufuns, front, ranges=[(float(r), float(h)) for r, h in zip(reservations, highs)]
    )
    ours = nash_point(candidates, reservations)
    report = analyze(scenario).solutions["nash"]
    if ours is None:
        assert not rational.any() and pinned == () and report is None, scenario.name
    else:
        assert among(candidates[ours], pinned), (scenario.name, candidates[ours], pinned[:3])
        assert report is not None and among(np.array(report.utilities), pinned), scenario.name

    default = negmas_ops.nash_points(ufuns, front, outcome_space=view.outcome_space)
    disagreement = np.maximum(reservations, np.asarray(lows, dtype=float))
    theirs_d = nash_point(candidates, disagreement)
    if theirs_d is None:
        assert default == (), scenario.name
    else:
        assert among(candidates[theirs_d], default), (scenario.name, candidates[theirs_d])


# -- real domains --------------------------------------------------------------------------


@pytest.mark.skipif(not GENIUS_FOLDERS, reason=f"no GENIUS data under {GENIUS_ANAC}")
@pytest.mark.parametrize(
    "folder", GENIUS_FOLDERS, ids=[f"{p.parent.name}/{p.name}" for p in GENIUS_FOLDERS]
)
def test_genius_domain_against_negmas(folder: Path):
    scenario = load_genius_folder(folder)
    if scenario.space.size > MAX_OUTCOMES:
        # NegMAS needs about two minutes and 2.4 GB here (AgentHp2, 5.7 million outcomes);
        # benchmarks/bench_analysis.py compares the two on it instead.
        pytest.skip(f"{scenario.space.size:,} outcomes > {MAX_OUTCOMES:,}: see the benchmark")
    assert not any(party.red_lines for party in scenario.parties)
    check_against_negmas(scenario)


# -- random scenarios ----------------------------------------------------------------------

# Value styles: plain floats; halves with power-of-two weights and one option that every
# party values like another (sums exact, so many exact ties on the frontier); tenths (sums
# that tie in decimal but may not in binary, 0.1 + 0.2 != 0.3); signed floats (negative
# utilities, so NegMAS's "lowest utility" disagreement point differs from the reservation).
STYLES = ("float", "halves", "tenths", "signed")


def random_scenario(seed: int) -> Scenario:
    rng = np.random.default_rng(seed)
    n_parties = int(rng.integers(2, 5))
    sizes = rng.integers(2, 7, size=int(rng.integers(2, 6)))
    style = STYLES[seed % len(STYLES)]
    issues = tuple(
        CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(n))) for k, n in enumerate(sizes)
    )
    twin = int(rng.integers(len(sizes)))  # for "halves": its options 0 and 1 are alike
    parties = []
    for p in range(n_parties):
        if style == "halves":
            weights = rng.choice([0.5, 1.0], size=len(sizes))
            tables = [rng.integers(0, 3, n) / 2 for n in sizes]
            tables[twin][1] = tables[twin][0]
        elif style == "tenths":
            weights = rng.integers(1, 10, size=len(sizes)) / 10
            tables = [rng.integers(0, 11, n) / 10 for n in sizes]
        else:
            weights = rng.dirichlet(np.ones(len(sizes)))
            tables = [rng.random(n) for n in sizes]
            if style == "signed":
                tables = [2 * t - 1 for t in tables]
        prefs = Preferences(weights, tuple(tables))
        reservation = 0.0
        if seed % 3 != 0:
            # A reservation between the party's worst and best: from "everything acceptable"
            # to "no agreement possible" as parties and quantiles vary.
            low, high = prefs.bounds()
            reservation = float(low + rng.uniform(0.0, 0.8) * (high - low))
        parties.append(Party(f"p{p}", prefs, reservation=reservation))
    return Scenario(f"random-{seed}-{style}", issues, tuple(parties))


@pytest.mark.parametrize("seed", range(60))
def test_random_scenario_against_negmas(seed: int):
    check_against_negmas(random_scenario(seed))


def test_random_scenarios_cover_the_interesting_cases():
    """The seeds above include ties, empty zones and reservations above zero."""
    scenarios = [random_scenario(seed) for seed in range(60)]
    empty = ties = positive = 0
    for scenario in scenarios:
        utils = utilities(scenario, scenario.space.all())
        front = utils[pareto_mask(utils)]
        ties += len(np.unique(front, axis=0)) < len(front)
        empty += not np.all(utils >= scenario.reservations, axis=1).any()
        positive += bool((scenario.reservations > 0).any())
    assert ties >= 5 and empty >= 3 and positive >= 20, (ties, empty, positive)


# -- NegMAS's semantics, pinned so that a change in NegMAS shows up here -------------------


def test_negmas_frontier_keeps_one_of_each_tie_and_ignores_eps():
    # Options 0 and 1 tie at (1, 1); option 2 is below them by 1e-13 for the second party
    # (dominated); option 3 is (0.5, 2). Servanda keeps 0, 1 and 3; NegMAS keeps one of 0
    # and 1, and 3, even with eps=1e-6, which would make 2 a tie if it were used.
    issue = CategoricalIssue("x", ("a", "b", "c", "d"))
    scenario = Scenario(
        "ties",
        (issue,),
        (
            Party("p", Preferences([1.0], ([1.0, 1.0, 1.0, 0.5],))),
            Party("q", Preferences([1.0], ([1.0, 1.0, 1.0 - 1e-13, 2.0],))),
        ),
    )
    view = NegmasView(scenario)
    utils = utilities(scenario, scenario.space.all())
    assert pareto_mask(utils).tolist() == [True, True, False, True]
    for eps in (1e-12, 1e-6):
        ufuns = view.ufuns(scenario.reservations)
        _, idx = negmas_ops.pareto_frontier(ufuns, outcomes=view.outcomes, eps=eps)
        idx = set(int(i) for i in idx)
        assert 3 in idx and 2 not in idx and len(idx & {0, 1}) == 1, (eps, idx)
