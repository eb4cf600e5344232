"""Second review of the robust analysis: independent checks written from the definitions.

Nothing here calls the code under review to compute an expected value. The references are
brute force: every outcome enumerated with ``itertools.product``, utilities summed issue by
issue, Pareto dominance tested pair by pair, the Nash and Kalai-Smorodinsky points chosen
as ``servanda.analysis.solutions`` documents them (among the efficient outcomes of the
zone; ties to the larger sum of utilities, then the lowest index), extremes of linear
functions over weight supports by ``scipy.optimize.linprog``, distributions against
``scipy.stats``, Wilson intervals against ``scipy.stats.binomtest``, and stability radii
by re-running ``servanda.analyze`` on a dense grid of modified scenarios.

Tests marked ``xfail(strict=True)`` are confirmed bugs; the reason names the place.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import linprog

from servanda.analysis import analyze
from servanda.analysis.sensitivity import sensitivity
from servanda.analysis.uncertainty import acceptability, interval_efficiency, wilson_interval
from servanda.errors import SpaceTooLargeError
from servanda.formats.native import dump_yaml, loads_uncertain_yaml
from servanda.model import CategoricalIssue, Interaction, Party, Preferences, RedLine, Scenario
from servanda.model.uncertainty import Dirichlet, Interval, Normal, PartyUncertainty, UncertainScenario

ROLES = ("nash", "kalai_smorodinsky", "efficient", "zone")


# -- independent references -----------------------------------------------------------------
def make_scenario(seed, parties=2, sizes=(3, 4, 2), reservation=0.0, integer=False, red=False,
                  flat_issue=None, joint=False):
    """Seeded random scenario; ``flat_issue`` is an issue nobody cares about (exact ties)."""
    rng = np.random.default_rng(seed)
    issues = tuple(CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(n))) for k, n in enumerate(sizes))
    members = []
    for p in range(parties):
        w = rng.random(len(sizes))
        w /= w.sum()
        tables = [rng.integers(0, 4, n) / 3 if integer else rng.random(n) for n in sizes]
        if flat_issue is not None:
            tables[flat_issue] = np.full(sizes[flat_issue], 0.5)
        lines = ()
        if red:
            i = int(rng.integers(len(sizes)))
            mask = np.zeros(sizes[i], dtype=bool)
            mask[int(rng.integers(sizes[i]))] = True
            lines = (RedLine(f"p{p} never", (((i, mask),),)),)
        if joint and p == 0:
            a = np.zeros(sizes[0], dtype=bool)
            a[0] = True
            b = np.zeros(sizes[1], dtype=bool)
            b[0] = True
            lines += (RedLine("joint", (((0, a), (1, b)),)),)
        members.append(Party(f"p{p}", Preferences(w, tuple(tables)), reservation=reservation, red_lines=lines))
    return Scenario(f"r{seed}", issues, tuple(members))


def all_outcomes(scenario):
    return np.array(list(itertools.product(*[range(i.size) for i in scenario.issues])), dtype=np.int64)


def breaks_red_line(scenario, digits):
    """From the definition of a red line: a union of boxes, a box a conjunction of issues."""
    bad = np.zeros(len(digits), dtype=bool)
    for party in scenario.parties:
        for line in party.red_lines:
            for box in line.boxes:
                hit = np.ones(len(digits), dtype=bool)
                for i, mask in box:
                    hit &= mask[digits[:, i]]
                bad |= hit
    return bad


def utilities_of(weights, tables, interactions, digits):
    """``u_j = sum_i w_ji v_ji[o_i] + sum M``, added issue by issue (as a reader would)."""
    out = np.empty((len(digits), weights.shape[0]))
    for j in range(weights.shape[0]):
        total = np.zeros(len(digits))
        for i in range(digits.shape[1]):
            total += (weights[j, i] * tables[i][j])[digits[:, i]]
        for term in interactions[j]:
            total += term.matrix[digits[:, term.first], digits[:, term.second]]
        out[:, j] = total
    return out


def pareto_efficient(u):
    """O(n^2): not dominated (>= everywhere, > somewhere) by any other row."""
    if len(u) == 0:
        return np.zeros(0, dtype=bool)
    ge = np.all(u[:, None, :] >= u[None, :, :], axis=2)
    gt = np.any(u[:, None, :] > u[None, :, :], axis=2)
    return ~(ge & gt).any(axis=0)


def bargaining_choice(u, r, rule):
    """Position among ``u`` (efficient zone outcomes, index order) of the Nash or
    Kalai-Smorodinsky point; ties: larger sum of utilities, then the first."""
    if len(u) == 0:
        return None
    gains = u - r
    if rule == "nash":
        score = np.array([math.prod(row) for row in gains])
    else:
        best = gains.max(axis=0)
        score = np.array([min(row[p] / best[p] if best[p] > 0 else 1.0 for p in range(len(r))) for row in gains])
    welfare = np.array([sum(row, 0.0) for row in u])
    tied = np.flatnonzero(score == score.max())
    tied = tied[welfare[tied] == welfare[tied].max()]
    return int(tied[0])


def brute_acceptability(model, samples, seed, respect_red_lines=True, block=4096):
    """Per draw: zone, efficiency, Nash and KS, from the definitions. The draws are the
    model's own (their distribution is checked separately below)."""
    scenario = model.scenario
    digits = all_outcomes(scenario)
    ok = ~breaks_red_line(scenario, digits) if respect_red_lines else np.ones(len(digits), dtype=bool)
    kept = digits[ok]
    counts = {role: np.zeros(len(kept), dtype=np.int64) for role in ROLES}
    agreement = 0
    interactions = [p.preferences.interactions for p in scenario.parties]
    rng = np.random.default_rng(seed)
    done = 0
    while done < samples:
        draws = model.sample(rng, min(block, samples - done))
        for s in range(len(draws)):
            u = utilities_of(draws.weights[s], [t[s] for t in draws.tables], interactions, kept)
            r = draws.reservations[s]
            efficient = pareto_efficient(u)
            zone = np.all(u >= r, axis=1)
            counts["efficient"] += efficient
            counts["zone"] += zone
            agreement += bool(zone.any())
            candidates = np.flatnonzero(efficient & zone)
            for rule in ("nash", "kalai_smorodinsky"):
                chosen = bargaining_choice(u[candidates], r, rule)
                if chosen is not None:
                    counts[rule][candidates[chosen]] += 1
        done += len(draws)
    return np.flatnonzero(ok), counts, agreement


def assert_counts_equal(result, reference):
    indices, counts, agreement = reference
    assert np.array_equal(result.indices, indices)
    for role in ROLES:
        assert np.array_equal(result.counts[role], counts[role]), role
    assert result.agreement == agreement


# -- acceptability against brute force ------------------------------------------------------
def _boxes(scenario, spread=0.2):
    return tuple(
        PartyUncertainty(
            weights=tuple((i, Interval(max(0.0, w - spread), w + spread)) for i, w in enumerate(p.preferences.weights)),
            reservation=Interval(0.1, 0.5),
        )
        for p in scenario.parties
    )


def _dirichlet_and_values(scenario):
    return tuple(
        PartyUncertainty(dirichlet=Dirichlet.around(p.preferences.weights, 5.0),
                         values=((0, 0, Normal(0.5, 0.3, 0.0, 1.0)),), reservation=Normal(0.3, 0.1))
        for p in scenario.parties
    )


def _with_interaction(scenario):
    second = scenario.parties[1]
    prefs = second.preferences
    shape = (scenario.issues[0].size, scenario.issues[2].size)
    term = Interaction(0, 2, np.arange(math.prod(shape)).reshape(shape) / (5 * math.prod(shape)))
    return replace(scenario, parties=(scenario.parties[0],
                                      replace(second, preferences=Preferences(prefs.weights, prefs.tables, (term,))),
                                      *scenario.parties[2:]))


ACCEPTABILITY_CASES = {
    "one party": lambda: (make_scenario(1, parties=1, sizes=(3, 4)), _boxes),
    "four parties, ties, red lines": lambda: (make_scenario(7, parties=4, sizes=(3, 3, 3), reservation=0.2,
                                                            integer=True, red=True), _boxes),
    "issue over 128 options": lambda: (make_scenario(3, parties=2, sizes=(150, 3), reservation=0.3,
                                                     integer=True), _boxes),
    "three parties, 140 options, Dirichlet": lambda: (make_scenario(4, parties=3, sizes=(140, 2), reservation=0.2),
                                                      _dirichlet_and_values),
    "flat issue (exact twins)": lambda: (make_scenario(6, parties=3, sizes=(3, 5, 4), reservation=0.3,
                                                       flat_issue=1, integer=True), _dirichlet_and_values),
    "nine binary issues, three parties": lambda: (make_scenario(8, parties=3, sizes=(2,) * 9, reservation=0.3), _boxes),
    "interactions, joint red line": lambda: (_with_interaction(make_scenario(2, parties=3, sizes=(3, 3, 2),
                                                                             reservation=0.25, joint=True)), _boxes),
}


@pytest.mark.parametrize("name", list(ACCEPTABILITY_CASES))
def test_acceptability_equals_brute_force_per_draw(name):
    scenario, uncertainty = ACCEPTABILITY_CASES[name]()
    model = UncertainScenario(scenario, uncertainty(scenario))
    result = acceptability(model, 120, 3)
    assert_counts_equal(result, brute_acceptability(model, 120, 3))


def test_acceptability_without_red_lines_and_free_weights_equals_brute_force():
    rng = np.random.default_rng(0)
    issues = (CategoricalIssue("a", ("x", "y", "z")), CategoricalIssue("b", ("p", "q", "r", "s")))
    parties = tuple(
        Party(f"p{j}", Preferences(rng.random(2) * 2, (rng.normal(0, 2, 3), rng.normal(0, 2, 4))),
              reservation=0.0, red_lines=(RedLine("no x", (((0, np.array([True, False, False])),),)),))
        for j in range(2)
    )
    scenario = Scenario("free", issues, parties)
    model = UncertainScenario(scenario, tuple(
        PartyUncertainty(weights=((0, Interval(0.0, 3.0)),), values=((1, 2, Normal(0.0, 3.0)),),
                         reservation=Interval(-1.0, 1.0))
        for _ in parties
    ))
    for respect in (True, False):
        result = acceptability(model, 200, 2, respect_red_lines=respect)
        assert_counts_equal(result, brute_acceptability(model, 200, 2, respect_red_lines=respect))


def test_acceptability_on_100000_outcomes_over_several_chunks():
    """Zone, agreement and Nash counts on a 10^5-outcome space (many chunks), against a
    plain per-draw argmax of the Nash product over the zone (random floats: no ties)."""
    scenario = make_scenario(21, parties=2, sizes=(10,) * 5, reservation=0.45)
    model = UncertainScenario(scenario, _boxes(scenario, 0.1))
    samples = 60
    result = acceptability(model, samples, 5)
    digits = all_outcomes(scenario)
    draws = model.sample(np.random.default_rng(5), samples)
    zone_counts = np.zeros(len(digits), dtype=np.int64)
    nash_counts = np.zeros(len(digits), dtype=np.int64)
    agreement = 0
    for s in range(samples):
        u = utilities_of(draws.weights[s], [t[s] for t in draws.tables], [(), ()], digits)
        gains = u - draws.reservations[s]
        zone = np.all(gains >= 0, axis=1)
        zone_counts += zone
        if zone.any():
            agreement += 1
            product = np.where(zone, gains[:, 0] * gains[:, 1], -np.inf)
            assert np.count_nonzero(product == product.max()) == 1
            nash_counts[int(np.argmax(product))] += 1
    assert result.agreement == agreement
    assert np.array_equal(result.counts["zone"], zone_counts)
    assert np.array_equal(result.counts["nash"], nash_counts)


# -- the draws --------------------------------------------------------------------------------
def test_draws_follow_the_stated_distributions():
    issues = tuple(CategoricalIssue(f"i{k}", ("a", "b", "c")) for k in range(4))
    w = np.array([0.1, 0.2, 0.3, 0.4])
    tables = tuple(np.array([0.0, 0.5, 1.0]) for _ in range(4))
    scenario = Scenario("s", issues, (
        Party("A", Preferences(w, tables), reservation=0.3),
        Party("B", Preferences(w * 2, tables), reservation=0.3),
        Party("C", Preferences(w, tables), reservation=0.0),
    ))
    model = UncertainScenario(scenario, (
        PartyUncertainty(weights=((0, Interval(0.05, 0.3)), (1, Normal(0.2, 0.15, 0.0, math.inf))),
                         values=((2, 1, Normal(0.5, 0.4, 0.0, 1.0)),), reservation=Normal(0.3, 0.2)),
        PartyUncertainty(dirichlet=Dirichlet.around(w * 2, 10.0), reservation=Interval(0.1, 0.5)),
        PartyUncertainty(dirichlet=Dirichlet((1, 3), (2.0, 5.0))),
    ))
    draws = model.sample(np.random.default_rng(11), 20000)
    W = draws.weights
    # Every weight vector keeps its nominal sum (renormalised or Dirichlet).
    assert np.allclose(W.sum(axis=2), [1.0, 2.0, 1.0], rtol=0, atol=1e-12)
    # A: the raw draws are recovered through the exact weight of issue 2 (0.3) ...
    raw = W[:, 0, :] / W[:, 0, 2:3] * 0.3
    assert np.allclose(raw[:, 3], 0.4)
    assert stats.kstest(raw[:, 0], stats.uniform(0.05, 0.25).cdf).pvalue > 1e-3
    assert raw[:, 1].min() >= 0
    assert stats.kstest(raw[:, 1], stats.truncnorm(-0.2 / 0.15, np.inf, 0.2, 0.15).cdf).pvalue > 1e-3
    # ... option values truncated to [0, 1], redrawn (no pile-up at the bounds).
    value = draws.tables[2][:, 0, 1]
    assert 0 < value.min() and value.max() < 1
    assert stats.kstest(value, stats.truncnorm(-0.5 / 0.4, 0.5 / 0.4, 0.5, 0.4).cdf).pvalue > 1e-3
    assert np.all(draws.tables[2][:, 1, 1] == 0.5)  # other parties' values untouched
    # Reservations.
    assert stats.kstest(draws.reservations[:, 0], stats.norm(0.3, 0.2).cdf).pvalue > 1e-3
    assert stats.kstest(draws.reservations[:, 1], stats.uniform(0.1, 0.4).cdf).pvalue > 1e-3
    assert np.all(draws.reservations[:, 2] == 0.0)
    # B: Dirichlet centred on the nominal weights, marginals Beta(c w_i, c (1 - w_i)).
    assert np.allclose(W[:, 1].mean(axis=0), w * 2, atol=0.01)
    for i in range(4):
        assert stats.kstest(W[:, 1, i] / 2, stats.beta(10 * w[i], 10 * (1 - w[i])).cdf).pvalue > 1e-3
    # C: a Dirichlet over two issues shares their 0.6 and leaves the others.
    assert np.all(W[:, 2, 0] == 0.1) and np.all(W[:, 2, 2] == 0.3)
    assert np.allclose(W[:, 2, 1] + W[:, 2, 3], 0.6)
    assert stats.kstest(W[:, 2, 1] / 0.6, stats.beta(2, 5).cdf).pvalue > 1e-3


def test_weight_range_is_the_extreme_of_renormalised_corners():
    scenario = make_scenario(3, parties=1, sizes=(2, 2, 2, 2))
    w = scenario.parties[0].preferences.weights
    boxes = {0: Interval(0.0, w[0] + 0.3), 2: Interval(w[2] * 0.5, w[2] * 2)}
    model = UncertainScenario(scenario, (PartyUncertainty(weights=tuple(boxes.items())),))
    total = w.sum()
    for i in range(4):
        sides = [boxes[k].support if k in boxes else (w[k], w[k]) for k in range(4)]
        shares = [total * c[i] / sum(c) for c in itertools.product(*sides) if sum(c) > 0]
        assert np.allclose(model.weight_range(0, i), (min(shares), max(shares)))


def test_normal_central_range_is_the_truncated_quantiles():
    for mean, sd, low, high in [(0.5, 0.3, 0, 1), (0.1, 0.2, 0, np.inf), (0.9, 0.05, 0, 1), (-0.3, 0.2, 0, 1)]:
        expected = stats.truncnorm((low - mean) / sd, (high - mean) / sd, mean, sd).ppf([0.025, 0.975])
        assert np.allclose(Normal(mean, sd, low, high).central, expected)


# -- Wilson intervals ---------------------------------------------------------------------------
def test_wilson_interval_equals_scipy():
    for n in (1, 2, 7, 50, 1000, 12345):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            for confidence in (0.5, 0.9, 0.95, 0.99, 0.9999):
                ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
                low, high = wilson_interval(k, n, confidence)
                assert abs(ci.low - low) < 1e-12 and abs(ci.high - high) < 1e-12
                assert low <= k / n <= high
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0


# -- exact answer for interval weights, against linear programmes ---------------------------------
def _extremes(c, support):
    """min and max of w . c over a party's weight support (linprog)."""
    kind, low, high, face, fixed = support
    if kind == "box":
        out = []
        for sign in (1, -1):
            r = linprog(sign * c, bounds=list(zip(low, high)), method="highs")
            out.append(sign * r.fun if r.status == 0 else -sign * math.inf)
        return out
    a_eq = face[None, :].astype(float)
    bounds = [(low[i], None) if face[i] else (fixed[i], fixed[i]) for i in range(c.size)]
    mass = float(fixed[face].sum())
    return [s * linprog(s * c, A_eq=a_eq, b_eq=[mass], bounds=bounds, method="highs").fun for s in (1, -1)]


def expected_interval_status(model, respect_red_lines=True, open_eps=1e-7):
    """1: no outcome dominates it for any weight vector; -1: one outcome dominates it for
    every weight vector; 0 otherwise. Ranges are closed; a normal's support is (0, inf)
    and a Dirichlet's the open face of the simplex (neither ever draws a zero weight),
    approximated by ``open_eps`` for 'every'."""
    scenario = model.scenario
    digits = all_outcomes(scenario)
    ok = ~breaks_red_line(scenario, digits) if respect_red_lines else np.ones(len(digits), dtype=bool)
    d = digits[ok]
    m, parties = len(d), len(scenario.parties)

    def supports(eps):
        out = []
        for party, unc in zip(scenario.parties, model.parties):
            w = party.preferences.weights
            if unc.dirichlet is not None:
                face = np.zeros(w.size, dtype=bool)
                face[list(unc.dirichlet.issues)] = True
                out.append(("face", np.full(w.size, eps), None, face, w))
            else:
                low, high = w.copy(), w.copy()
                for i, dist in unc.weights:
                    low[i], high[i] = dist.support
                    if isinstance(dist, Normal):
                        low[i] = max(low[i], 0.0) + eps
                out.append(("box", low, high, None, None))
        return out

    values = [np.column_stack([p.preferences.tables[i][d[:, i]] for i in range(d.shape[1])]) for p in scenario.parties]
    extra = []
    for p in scenario.parties:
        e = np.zeros(m)
        for t in p.preferences.interactions:
            e += t.matrix[d[:, t.first], d[:, t.second]]
        extra.append(e)
    sums = [p.preferences.weights.sum() for p in scenario.parties]
    closed, opened = supports(0.0), supports(open_eps)
    some = np.zeros((m, m), dtype=bool)
    every = np.zeros((m, m), dtype=bool)
    for a in range(m):
        for o in range(m):
            if a == o:
                continue
            # u_j(a) - u_j(o) = (w . c_j) / sum(w) for the drawn (unscaled) weights w
            cs = [sums[j] * (values[j][a] - values[j][o]) + (extra[j][a] - extra[j][o]) for j in range(parties)]
            highs = np.array([_extremes(c, closed[j])[1] for j, c in enumerate(cs)])
            some[a, o] = np.all(highs >= -1e-12) and np.any(highs > 1e-12)
            if some[a, o]:  # 'for every weight vector' implies 'for some'
                lows = np.array([_extremes(c, opened[j])[0] for j, c in enumerate(cs)])
                every[a, o] = np.all(lows >= -1e-12) and np.any(lows > 1e-12)
    status = np.zeros(m, dtype=int)
    status[~some.any(axis=0)] = 1
    status[every.any(axis=0)] = -1
    return np.flatnonzero(ok), status


def _interval_models():
    models = []
    for seed in (1, 2, 5):
        scenario = make_scenario(seed, parties=2 + seed % 2, sizes=(3, 3, 2), reservation=0.2, red=seed == 5)
        parties = []
        for j, p in enumerate(scenario.parties):
            w = p.preferences.weights
            kind = (seed + j) % 3
            if kind == 0:
                parties.append(PartyUncertainty(dirichlet=Dirichlet.around(w, 5.0)))
            elif kind == 1:
                ranges = tuple((i, Interval(max(0, x - 0.2), x + 0.2)) for i, x in enumerate(w))
                parties.append(PartyUncertainty(weights=ranges))
            else:
                parties.append(PartyUncertainty(weights=((0, Interval(0.0, w[0] + 0.3)),)))
        models.append(UncertainScenario(scenario, tuple(parties)))
    scenario = _with_interaction(make_scenario(9, parties=2, sizes=(3, 2, 3), reservation=0.2))
    w = scenario.parties[0].preferences.weights
    models.append(UncertainScenario(scenario, (
        PartyUncertainty(weights=((1, Normal(w[1], 0.1, 0.0, math.inf)), (2, Interval(0.0, 0.5)))),
        PartyUncertainty(dirichlet=Dirichlet((0, 2), (1.0, 2.0))),
    )))
    return models


@pytest.mark.parametrize("case", range(4))
def test_interval_efficiency_equals_linear_programmes(case):
    model = _interval_models()[case]
    for respect in (True, False) if case == 2 else (True,):
        result = interval_efficiency(model, respect_red_lines=respect)
        indices, status = expected_interval_status(model, respect)
        assert result.checked_never
        assert np.array_equal(result.indices, indices)
        # Sound: every answer given is the linear programmes' answer; where a bound lies
        # within rounding of zero (a weight that may be 0, say) the answer may be "undetermined".
        assert np.all((result.status == status) | (result.status == 0))
        if case < 3:
            assert np.array_equal(result.status, status)


def _near_tie_model():
    """Hand-written decimals. Party p0 (exact weights) values outcome 9 = (o1, o1, o1)
    at 0.16 and outcome 14 = (o2, o1, o0) at 0.16 - 2**-55 (exactly, and in floats);
    p1 prefers 14 for every weight in its ranges."""
    weights = [[0.3, 0.1, 0.1], [0.2, 0.7, 0.7]]
    tables = [[[0.3, 0.1, 0.4], [0.7, 0.4, 0.6], [0.0, 0.9]], [[0.1, 0.9, 0.2], [0.1, 1.0, 0.0], [1.0, 0.7]]]
    issues = tuple(CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(n))) for k, n in enumerate((3, 3, 2)))
    scenario = Scenario("near-tie", issues, tuple(
        Party(f"p{p}", Preferences(np.array(weights[p]), tuple(np.array(t) for t in tables[p]))) for p in range(2)
    ))
    model = UncertainScenario(scenario, (
        PartyUncertainty(), PartyUncertainty(weights=((0, Interval(0.15, 0.25)), (1, Interval(0.6, 0.8)))),
    ))
    return model, weights, tables


def test_interval_efficiency_never_calls_a_nominally_efficient_outcome_never_efficient():
    model, weights, tables = _near_tie_model()
    digits = all_outcomes(model.scenario)

    def exact(x, p):  # exact rational utility of the floats as given
        return sum(Fraction(weights[p][i]) * Fraction(tables[p][i][digits[x][i]]) for i in range(3))

    target = 9
    # At the nominal weights (inside the ranges) nothing dominates outcome 9, exactly ...
    for a in range(len(digits)):
        diff = [exact(a, p) - exact(target, p) for p in range(2)]
        assert not (all(x >= 0 for x in diff) and any(x > 0 for x in diff))
    # ... and in floating point: it is efficient in every draw and on the nominal frontier.
    assert acceptability(model, 200, 0).probability("efficient")[target] == 1.0
    assert target in analyze(model.scenario, count=False).frontier.indices
    result = interval_efficiency(model)
    assert result.status[target] != -1


NEAR_TIE_YAML = """\
name: near-tie
issues:
  - {name: i0, type: categorical, options: [o0, o1, o2]}
  - {name: i1, type: categorical, options: [o0, o1, o2]}
  - {name: i2, type: categorical, options: [o0, o1]}
parties:
  - name: p0
    weights: {i0: 0.3, i1: 0.1, i2: 0.1}
    weights_sum: free
    values:
      i0: {o0: 0.3, o1: 0.1, o2: 0.4}
      i1: {o0: 0.7, o1: 0.4, o2: 0.6}
      i2: {o0: 0.0, o1: 0.9}
  - name: p1
    weights: {i0: 0.2, i1: 0.7, i2: 0.7}
    weights_sum: free
    values:
      i0: {o0: 0.1, o1: 0.9, o2: 0.2}
      i1: {o0: 0.1, o1: 1.0, o2: 0.0}
      i2: {o0: 1.0, o1: 0.7}
    uncertainty:
      weights: {i0: [0.15, 0.25], i1: [0.6, 0.8]}
"""


def test_robust_cli_never_efficient_claim_agrees_with_its_own_sampled_figure(tmp_path, capsys):
    from conftest import run_cli

    path = tmp_path / "near-tie.yaml"
    path.write_text(NEAR_TIE_YAML, encoding="utf-8")
    code, out, err = run_cli(capsys, "robust", path, "--samples", "300")
    assert code == 0, err
    text = " ".join(out.split())
    never = int(re.search(r"(\d+) never \(one outcome dominates", text).group(1))
    at_most = float(re.search(r"([0-9.]+) at most on the second", text).group(1))
    assert never == 0 or at_most == 0.0, (never, at_most)


# -- sensitivity: re-analyse on a grid ---------------------------------------------------------
def set_parameter(scenario, parameter, value):
    """The scenario with one parameter changed, written from the definition (weights: the
    party's other weights scaled so that the sum stays)."""
    j, i, o = parameter.position
    party = scenario.parties[j]
    prefs = party.preferences
    if parameter.kind == "reservation":
        changed = replace(party, reservation=float(value))
    else:
        w = np.array(prefs.weights, dtype=float)
        tables = [np.array(t, dtype=float) for t in prefs.tables]
        if parameter.kind == "weight":
            total = w.sum()
            w = w * (total - value) / (total - w[i])
            w[i] = value
        else:
            tables[i][o] = value
        changed = replace(party, preferences=Preferences(w, tuple(tables), prefs.interactions))
    parties = list(scenario.parties)
    parties[j] = changed
    return replace(scenario, parties=tuple(parties))


def conclusion(scenario, name):
    result = analyze(scenario, count=False)
    if name == "nash":
        point = result.solutions["nash"]
        return None if point is None else point.index
    return result.agreement_possible


def grid_violations(scenario, points=8):
    """Every radius: the conclusion holds at ``points`` values strictly between the nominal
    value and each reported change (or the end of the domain)."""
    sens = sensitivity(scenario)
    wrong = []
    for radius in sens.radii:
        p = radius.parameter
        base = conclusion(scenario, radius.conclusion)
        low = p.domain[0] if radius.low is None else radius.low
        high = p.domain[1] if radius.high is None else radius.high
        if p.kind == "weight" and radius.high is None:
            high = p.nominal + (high - p.nominal) * 0.999  # all weight on one issue is a limit
        for end in (low, high):
            for t in np.linspace(0, 1, points + 2)[1:-1]:
                value = p.nominal + (end - p.nominal) * t
                if abs(value - p.nominal) < 1e-12:
                    continue
                if conclusion(set_parameter(scenario, p, value), radius.conclusion) != base:
                    wrong.append((p.label, radius.conclusion, radius.low, radius.high, value))
                    break
    return sens, wrong


@pytest.mark.parametrize("seed", [0, 1, 2, 4, 5])
def test_conclusions_hold_everywhere_inside_the_radii(seed):
    scenario = make_scenario(seed, parties=2 + seed % 3, sizes=(3, 2, 3),
                             reservation=[0.2, 0.4, 1 / 3, 2 / 3][seed % 4], red=seed % 3 == 0, integer=seed % 2 == 0)
    if seed in (1, 4):
        scenario = _with_interaction(scenario)
    sens, wrong = grid_violations(scenario)
    assert sens.radii and not wrong


def test_just_beyond_each_finite_radius_the_conclusion_changes():
    scenario = _with_interaction(make_scenario(3, parties=3, sizes=(3, 2, 3), reservation=0.3))
    sens = sensitivity(scenario)
    checked = 0
    for radius in sens.radii:
        p = radius.parameter
        base = conclusion(scenario, radius.conclusion)
        for value, direction in ((radius.low, -1), (radius.high, 1)):
            if value is None:
                continue
            beyond = value + direction * 1e-6 * max(1.0, abs(value))
            if p.domain[0] <= beyond <= p.domain[1]:
                assert conclusion(set_parameter(scenario, p, beyond), radius.conclusion) != base, radius
                checked += 1
    assert checked > 10


def _zero_product_scenario():
    """A's reservation is its best utility: every zone outcome has Nash product 0, so the
    Nash point is decided by the sum of utilities. Zone: (x, p) and (x, q); B prefers p."""
    issues = (CategoricalIssue("a", ("x", "y")), CategoricalIssue("b", ("p", "q")))
    a = Party("A", Preferences(np.array([0.5, 0.5]), (np.array([1.0, 0.0]), np.array([1.0, 1.0]))), reservation=1.0)
    b = Party("B", Preferences(np.array([0.5, 0.5]), (np.array([0.0, 1.0]), np.array([1.0, 0.6]))), reservation=0.0)
    return Scenario("zero-product", issues, (a, b))


def test_nash_radius_when_the_nash_product_is_zero():
    """When every zone outcome leaves some party no gain, the Nash point is the tie-break's
    (largest sum): no Nash radius is claimed then (the product lines cannot place it), and
    the zone conclusion says why."""
    scenario = _zero_product_scenario()
    assert conclusion(scenario, "nash") == 0
    param = next(r.parameter for r in sensitivity(scenario).radii if r.parameter.label == "B: value of b=p")
    assert conclusion(set_parameter(scenario, param, 0.59), "nash") == 1  # it does move
    result = sensitivity(scenario)
    assert not any(r.conclusion == "nash" for r in result.radii)
    zone = next(c for c in result.conclusions if c.name == "zone")
    assert "decided by the tie-break" in zone.text


def test_zone_radius_of_a_reservation_lies_where_the_conclusion_changes():
    issues = (CategoricalIssue("a", ("x", "y")),)
    scenario = Scenario("two", issues, (
        Party("A", Preferences(np.array([1.0]), (np.array([1.0, 0.0]),)), reservation=0.2),
        Party("B", Preferences(np.array([1.0]), (np.array([0.5, 1.0]),)), reservation=0.0),
    ))
    radius = next(r for r in sensitivity(scenario).radii
                  if r.conclusion == "zone" and r.parameter.label == "A: reservation value")
    domain_end = radius.parameter.domain[1]
    # At the domain's end (A's best utility, 1.0) an agreement still exists ...
    assert conclusion(set_parameter(scenario, radius.parameter, domain_end), "zone") is True
    # ... so within the domain the conclusion never changes upwards.
    assert radius.high is None, radius


# -- the file format ----------------------------------------------------------------------------
FREE_VALUES = """\
name: t
issues:
  - {name: a, type: categorical, options: [x, y]}
  - {name: b, type: categorical, options: [p, q]}
parties:
  - name: A
    weights: {a: 0.5, b: 0.5}
    weights_sum: free
    values:
      a: {x: 0.0, y: 1.0}
      b: {p: 0.2, q: 0.8}
    uncertainty:
      values:
        a: {x: [-0.5, 0.5], y: {normal: [1.0, 0.5]}}
  - name: B
    weights: {a: 0.5, b: 0.5}
    values:
      a: {x: 1.0, y: 0.0}
      b: {p: 0.8, q: 0.2}
"""


def test_dump_and_reload_keep_free_value_distributions():
    model = loads_uncertain_yaml(FREE_VALUES)
    assert model.parties[0].values[0][2] == Interval(-0.5, 0.5)
    again = loads_uncertain_yaml(dump_yaml(model))
    assert again.parties[0].values == model.parties[0].values


def test_dump_and_reload_keep_weight_ranges_and_dirichlet():
    text = FREE_VALUES.replace(
        "      values:\n        a: {x: [-0.5, 0.5], y: {normal: [1.0, 0.5]}}\n",
        "      weights: {a: [0.3, 0.7], b: {normal: [0.5, 0.2]}}\n      reservation: [-0.1, 0.3]\n",
    ).replace(
        "      b: {p: 0.8, q: 0.2}\n",
        "      b: {p: 0.8, q: 0.2}\n    uncertainty:\n      weights: {dirichlet: 12}\n",
    )
    model = loads_uncertain_yaml(text)
    again = loads_uncertain_yaml(dump_yaml(model))
    for first, second in zip(model.parties, again.parties):
        assert first == second


# -- limits ---------------------------------------------------------------------------------------
def test_limit_counts_outcomes_breaking_no_red_line():
    scenario = make_scenario(0, parties=2, sizes=(3, 4, 2), joint=True)
    allowed = int(np.count_nonzero(~breaks_red_line(scenario, all_outcomes(scenario))))
    assert allowed < scenario.space.size
    try:
        result = acceptability(scenario, 10, 0, limit=allowed)
    except SpaceTooLargeError as exc:
        pytest.fail(f"{allowed} outcomes break no red line, limit {allowed}: {exc}")
    assert len(result) == allowed
