"""The hardliner: always demands its best outcome and accepts nothing less."""

from __future__ import annotations

from servanda.negotiation.strategies.acceptance import AcceptanceCondition, ac_next, ac_rational
from servanda.negotiation.strategies.base import BiddingStrategy
from servanda.negotiation.strategy import Context


class Hardliner(BiddingStrategy):
    """Offers its best outcome every time; accepts only an offer worth as much to it."""

    name = "hardliner"
    properties = {"stochastic": False, "concedes": False, "uses_opponent_offers": False}

    def __init__(self, acceptance: AcceptanceCondition | None = None):
        super().__init__(acceptance or ac_next() & ac_rational())

    def bid(self, context: Context) -> int | None:
        if context.best < context.reservation:
            return None  # nothing it may accept is worth more than no agreement
        return int(context.ranking[0])
