"""The field's standard metrics of a session, as functions of its trace and its scenario's
analysis (Baarslag et al., "Evaluating practical negotiating agents", AIJ 198, 2013; the
GENIUS and ANAC conventions): agreement, rounds, each party's utility and advantage over its
reservation value, social welfare, and the distance of the result to the Pareto frontier,
the Nash point and the Kalai-Smorodinsky point, Euclidean in utility space.

The reference points come from the scenario's analysis, that is from the parties' preferences
as written; when outside pressure changed a party's weights during the session, the trace's
utilities are those of the preferences in force at the end, so the distances then compare
two different sets of preferences (and say so by being larger)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from servanda.analysis import Analysis
from servanda.negotiation.trace import Trace


@dataclass(frozen=True)
class SessionMetrics:
    """Metrics of one session; distances are None where the point does not exist (no
    outcome breaks no red line, or the zone of possible agreement is empty)."""

    agreement: bool
    rounds: int
    utilities: tuple[float, ...]
    advantages: tuple[float, ...]  # utility minus the reservation value in force at the end
    welfare: float
    pareto_distance: float | None
    nash_distance: float | None
    kalai_distance: float | None


def session_metrics(trace: Trace, analysis: Analysis) -> SessionMetrics:
    """Metrics of ``trace``, against the analysis of the scenario it was played on."""
    result = np.asarray(trace.utilities, dtype=float)
    # the reservation values in force when the session ended (outside pressure moves them)
    reservations = (
        np.asarray(trace.reservations, dtype=float)
        if trace.reservations
        else analysis.scenario.reservations
    )
    frontier = analysis.frontier.utilities

    def distance_to(name: str) -> float | None:
        point = analysis.solutions[name]
        return None if point is None else float(np.linalg.norm(result - point.utilities))

    return SessionMetrics(
        agreement=trace.agreed,
        rounds=trace.rounds,
        utilities=tuple(float(u) for u in result),
        advantages=tuple(float(a) for a in result - reservations),
        welfare=float(result.sum()),
        pareto_distance=(
            float(np.linalg.norm(frontier - result, axis=1).min()) if len(frontier) else None
        ),
        nash_distance=distance_to("nash"),
        kalai_distance=distance_to("kalai_smorodinsky"),
    )
