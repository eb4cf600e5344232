"""The hardliner: always demands its best outcome and accepts nothing less."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from servanda.negotiation.strategies.acceptance import DEFAULT_ACCEPTANCE, AcceptanceCondition
from servanda.negotiation.strategies.base import BiddingStrategy
from servanda.negotiation.strategy import Context


class Hardliner(BiddingStrategy):
    """Offers its best outcome every time; accepts only an offer worth as much to it."""

    name = "hardliner"
    properties = {"stochastic": False, "concedes": False, "uses_opponent_offers": False}
    plans_ahead = True

    def __init__(self, acceptance: AcceptanceCondition | None = None):
        super().__init__(acceptance or DEFAULT_ACCEPTANCE)  # AC_next and AC_rational

    def bid(self, context: Context) -> int | None:
        if context.best < context.reservation:
            return None  # nothing it may accept is worth more than no agreement
        return int(context.ranking[0])

    def plan(
        self,
        times: Sequence[float],
        reservation: float,
        ranking: np.ndarray,
        ranked_utilities: np.ndarray,
    ) -> np.ndarray | None:
        if not len(ranked_utilities) or float(ranked_utilities[0]) < reservation:
            return None
        return np.full(len(times), ranking[0])
