"""Playing a range of a plan's sessions, in whatever process a backend runs it.

Each worker process builds a scenario's :class:`OutcomeTable` and its analysis once, the
first time it plays a session of that scenario, and keeps them for the plan's other
sessions (one plan at a time, so a long-lived Ray worker does not accumulate tables).
"""

from __future__ import annotations

import pyarrow as pa

from servanda.analysis import Analysis, analyze
from servanda.negotiation.metrics import session_metrics
from servanda.negotiation.session import negotiate
from servanda.negotiation.strategies import STRATEGIES, make_strategy
from servanda.negotiation.table import OutcomeTable
from servanda.tournament.plan import Plan
from servanda.tournament.results import SCHEMA


class Prepared:
    """A plan and, built on first use, each of its scenarios' table and analysis."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._built: dict[int, tuple[OutcomeTable, Analysis]] = {}
        # A worker started afresh knows only the built-in strategies: teach it the
        # parent's classes for the names the plan uses (the registry's own extension rule).
        STRATEGIES.update(plan.registry)

    def built(self, scenario: int) -> tuple[OutcomeTable, Analysis]:
        if scenario not in self._built:
            source = self.plan.scenarios[scenario]
            self._built[scenario] = (OutcomeTable.of(source), analyze(source))
        return self._built[scenario]

    def play(self, start: int, stop: int) -> pa.RecordBatch:
        """Sessions ``start`` to ``stop - 1``: one row per party of each (:data:`SCHEMA`)."""
        plan = self.plan
        columns: dict[str, list] = {name: [] for name in SCHEMA.names}
        for session in range(start, stop):
            index, chosen, repetition = plan.locate(session)
            scenario = plan.scenarios[index]
            table, analysis = self.built(index)
            specs = [plan.strategies[k] for k in chosen]
            seed = plan.seed_of(session)
            try:
                trace = negotiate(
                    scenario, [make_strategy(spec) for spec in specs], plan.protocol,
                    seed=seed, table=table,
                )
            except Exception as exc:
                exc.add_note(
                    f"in tournament session {session}: {scenario.name}, {' vs '.join(specs)}, "
                    f"repetition {repetition}, seed {seed}"
                )
                raise
            metrics = session_metrics(trace, analysis)
            shared = {
                "session": session,
                "scenario": scenario.name,
                "repetition": repetition,
                "seed": seed,
                "assignment": " vs ".join(specs),
                "agreement": metrics.agreement,
                "ending": str(trace.ending),
                "rounds": metrics.rounds,
                "welfare": metrics.welfare,
                "pareto_distance": metrics.pareto_distance,
                "nash_distance": metrics.nash_distance,
                "kalai_distance": metrics.kalai_distance,
            }
            for role, party in enumerate(scenario.party_names):
                row = shared | {
                    "role": role,
                    "party": party,
                    "strategy": specs[role],
                    "utility": metrics.utilities[role],
                    "advantage": metrics.advantages[role],
                }
                for name, value in row.items():
                    columns[name].append(value)
        return pa.RecordBatch.from_pydict(columns, schema=SCHEMA)


_current: Prepared | None = None


def play_range(plan: Plan, start: int, stop: int) -> pa.RecordBatch:
    """A worker's entry point: :meth:`Prepared.play` with this process's preparation of
    ``plan``, made on its first range of the plan."""
    global _current
    if _current is None or _current.plan.token != plan.token:
        _current = Prepared(plan)
    return _current.play(start, stop)
