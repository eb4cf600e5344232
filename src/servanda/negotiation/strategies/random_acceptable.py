"""Random-acceptable: offers an outcome drawn uniformly from those acceptable to itself, a
baseline that is rational but has no tactics at all."""

from __future__ import annotations

import numpy as np

from servanda.negotiation.strategies.acceptance import AcceptanceCondition, ac_rational
from servanda.negotiation.strategies.base import BiddingStrategy
from servanda.negotiation.strategy import Context


class RandomAcceptable(BiddingStrategy):
    """Offers a uniformly random outcome among those that break none of its red lines and
    are worth at least its current reservation value; walks away when there is none.

    Its draws come from the session's generator (``context.rng``), so a session is
    reproducible from its seed. Within one turn the bid is drawn once: the bid its
    acceptance condition compares against (AC_next) is the one it then offers.

    Parameters
    ----------
    acceptance : AcceptanceCondition, default AC_rational
        When to accept an offer; by default, any offer acceptable to it.
    """

    name = "random"
    properties = {"stochastic": True, "concedes": False, "uses_opponent_offers": False}

    def __init__(self, acceptance: AcceptanceCondition | None = None):
        super().__init__(acceptance or ac_rational())
        self._ranking: np.ndarray | None = None  # the ranking its sorted utilities belong to
        self._ranked = np.empty(0)  # its utilities in the order of its ranking (descending)
        self._acceptable: tuple[float, int] = (np.nan, 0)  # (reservation, how many acceptable)
        self._planned: tuple[Context, int | None] | None = None  # (the turn's context, bid)

    def acceptable_count(self, context: Context) -> int:
        """How many outcomes are acceptable now: they are the first ones of its ranking
        (which excludes its red lines and runs from best to worst)."""
        if self._ranking is not context.ranking:
            self._ranking, self._ranked = context.ranking, context.utilities[context.ranking]
            self._acceptable = (np.nan, 0)
        reservation, count = self._acceptable
        if reservation != context.reservation:  # computed once per reservation value
            count = int(np.searchsorted(-self._ranked, -context.reservation, side="right"))
            self._acceptable = (context.reservation, count)
        return count

    def bid(self, context: Context) -> int | None:
        # A protocol hands a party one context per turn, to respond and then to propose.
        if self._planned is None or self._planned[0] is not context:
            count = self.acceptable_count(context)
            pick = int(context.ranking[context.rng.integers(count)]) if count else None
            self._planned = (context, pick)
        return self._planned[1]
