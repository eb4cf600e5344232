"""Session metrics: definitions checked by hand and against the analysis."""

from __future__ import annotations

import numpy as np

from conftest import EXAMPLES
from servanda.analysis import analyze
from servanda.formats import load_yaml
from servanda.negotiation.metrics import session_metrics
from servanda.negotiation.session import negotiate
from servanda.negotiation.strategies.hardliner import Hardliner
from servanda.negotiation.strategies.time_dependent import Boulware, Conceder
from servanda.negotiation.table import OutcomeTable


def test_metrics_of_an_agreement():
    scenario = load_yaml(EXAMPLES / "job-offer.yaml")
    analysis = analyze(scenario)
    table = OutcomeTable.of(scenario)
    trace = negotiate(scenario, [Boulware(), Conceder()], table=table)
    m = session_metrics(trace, analysis)
    assert m.agreement and m.rounds == trace.rounds
    u = table.utilities[trace.agreement]
    np.testing.assert_allclose(m.utilities, u)
    np.testing.assert_allclose(m.advantages, u - scenario.reservations)
    assert m.welfare == float(u.sum())
    frontier = analysis.frontier.utilities
    assert m.pareto_distance == float(np.linalg.norm(frontier - u, axis=1).min())
    assert m.nash_distance == float(np.linalg.norm(u - analysis.solutions["nash"].utilities))
    kalai = analysis.solutions["kalai_smorodinsky"].utilities
    assert m.kalai_distance == float(np.linalg.norm(u - kalai))


def test_metrics_without_agreement_use_the_reservation_values():
    scenario = load_yaml(EXAMPLES / "job-offer.yaml")
    trace = negotiate(scenario, [Hardliner(), Hardliner()])
    m = session_metrics(trace, analyze(scenario))
    assert not m.agreement
    assert m.utilities == tuple(scenario.reservations) and m.advantages == (0.0, 0.0)


def test_an_agreement_on_the_frontier_is_at_distance_zero():
    scenario = load_yaml(EXAMPLES / "job-offer.yaml")
    analysis = analyze(scenario)
    table = OutcomeTable.of(scenario)
    nash = analysis.solutions["nash"]
    trace = negotiate(scenario, [Boulware(), Conceder()], table=table)
    forced = trace.__class__(**{**trace.__dict__, "agreement": nash.index, "utilities": nash.utilities})
    m = session_metrics(forced, analysis)
    assert m.pareto_distance == 0.0 and m.nash_distance == 0.0
