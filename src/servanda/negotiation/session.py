"""``negotiate``: one session of a scenario under a protocol, in one call."""

from __future__ import annotations

from collections.abc import Sequence

from servanda.model import Scenario
from servanda.negotiation.protocols import AlternatingOffers, NegotiationProtocol
from servanda.negotiation.strategy import Strategy
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Trace


def negotiate(
    scenario: Scenario,
    strategies: Sequence[Strategy],
    protocol: NegotiationProtocol | None = None,
    *,
    seed: int = 0,
    table: OutcomeTable | None = None,
) -> Trace:
    """Run one session: ``strategies[i]`` negotiates for ``scenario.parties[i]``.

    Parameters
    ----------
    scenario : Scenario
    strategies : sequence of Strategy
        One fresh strategy object per party, in the order of the scenario's parties.
    protocol : default AlternatingOffers(rounds=100)
        Any protocol of :mod:`servanda.negotiation.protocols`.
    seed : int, default 0
        Seeds every random choice; the same seed gives the same trace (round deadlines).
    table : OutcomeTable, optional
        The scenario's utilities, when already computed (tournaments reuse one).
    """
    protocol = protocol or AlternatingOffers(rounds=100)
    table = table or OutcomeTable.of(scenario)
    return protocol.run(table, strategies, seed=seed)
