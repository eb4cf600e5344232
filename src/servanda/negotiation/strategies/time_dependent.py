"""Time-dependent concession: Boulware, linear, conceder (Faratin, Sierra and Jennings,
"Negotiation decision functions for autonomous agents", Robotics and Autonomous Systems
24(3-4), 1998).

At relative time ``t`` the party aims for ``rv + (1 - F(t)) * (best - rv)`` with
``F(t) = k + (1 - k) * t**(1/e)``: ``e < 1`` concedes late (Boulware), ``e = 1`` linearly,
``e > 1`` early (conceder). It offers the outcome whose utility is the lowest that still
reaches the target, so its offers are as good for the others as its aim allows.
"""

from __future__ import annotations

import math

from collections.abc import Sequence

import numpy as np

from servanda.negotiation.strategies.acceptance import DEFAULT_ACCEPTANCE, AcceptanceCondition
from servanda.negotiation.strategies.base import BiddingStrategy
from servanda.negotiation.strategy import Context


class TimeDependent(BiddingStrategy):
    """Concedes from its best outcome to its reservation value as time runs out.

    Parameters
    ----------
    e : float
        Concession exponent (> 0): below 1 Boulware, 1 linear, above 1 conceder.
    k : float, default 0
        Share of the range conceded at once, at time 0.
    acceptance : AcceptanceCondition, default AC_next and AC_rational
    """

    name = "time-dependent"
    properties = {"stochastic": False, "concedes": True, "uses_opponent_offers": False}
    plans_ahead = True

    def __init__(
        self, e: float, k: float = 0.0, acceptance: AcceptanceCondition = DEFAULT_ACCEPTANCE
    ):
        if not (math.isfinite(e) and e > 0) or not 0 <= k <= 1:
            raise ValueError("the exponent e must be positive and k within [0, 1]")
        super().__init__(acceptance)
        self.e, self.k = e, k
        self.name = f"{self.name}(e={e:g})"

    def target(self, context: Context) -> float:
        """The utility aimed for now."""
        concession = self.k + (1 - self.k) * context.time ** (1 / self.e)
        return context.reservation + (1 - concession) * (context.best - context.reservation)

    def bid(self, context: Context) -> int | None:
        if context.best < context.reservation:
            return None  # nothing it may accept is worth more than no agreement
        return context.outcome_near(self.target(context))

    def plan(
        self,
        times: Sequence[float],
        reservation: float,
        ranking: np.ndarray,
        ranked_utilities: np.ndarray,
    ) -> np.ndarray | None:
        """:meth:`bid` at every time of ``times`` with one search: the same arithmetic,
        so the same bids (the power is taken by Python, exactly as :meth:`target` does)."""
        if not len(ranked_utilities) or float(ranked_utilities[0]) < reservation:
            return None  # it would walk away (or fail): left to the turn-by-turn loop
        best = float(ranked_utilities[0])
        inverse = 1 / self.e
        shares = np.array([t**inverse for t in times])
        targets = reservation + (1 - (self.k + (1 - self.k) * shares)) * (best - reservation)
        ascending = ranked_utilities[::-1]
        reaching = len(ascending) - ascending.searchsorted(targets)  # as Context.outcome_near
        return ranking[np.where(reaching > 1, reaching - 1, 0)]


class Boulware(TimeDependent):
    """Concedes little until the deadline nears (e = 0.2 by default)."""

    def __init__(self, e: float = 0.2, acceptance: AcceptanceCondition = DEFAULT_ACCEPTANCE):
        super().__init__(e, acceptance=acceptance)
        self.name = f"boulware(e={e:g})"


class Linear(TimeDependent):
    """Concedes at a constant rate (e = 1)."""

    def __init__(self, acceptance: AcceptanceCondition = DEFAULT_ACCEPTANCE):
        super().__init__(1.0, acceptance=acceptance)
        self.name = "linear"


class Conceder(TimeDependent):
    """Concedes early (e = 5 by default)."""

    def __init__(self, e: float = 5.0, acceptance: AcceptanceCondition = DEFAULT_ACCEPTANCE):
        super().__init__(e, acceptance=acceptance)
        self.name = f"conceder(e={e:g})"
