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
    reproducible from its seed. It draws one bid per round: the bid its acceptance
    condition compares an offer with (AC_next) is the one it then proposes.

    Parameters
    ----------
    acceptance : AcceptanceCondition, default AC_rational
        When to accept an offer; by default, any offer acceptable to it.
    """

    name = "random"
    properties = {"stochastic": True, "concedes": False, "uses_opponent_offers": False}

    def __init__(self, acceptance: AcceptanceCondition | None = None):
        super().__init__(acceptance or ac_rational())
        self._planned: tuple[int, int | None] | None = None  # (round, bid)

    @staticmethod
    def acceptable(context: Context) -> np.ndarray:
        """The outcomes acceptable now, best first: a prefix of its ranking (which excludes
        its red lines and runs from its best to its worst), found by bisection."""
        ascending = context.ranked_utilities[::-1]  # a view, not a copy
        worse = int(np.searchsorted(ascending, context.reservation, side="left"))
        return context.ranking[: len(ascending) - worse]

    def bid(self, context: Context) -> int | None:
        if self._planned is None or self._planned[0] != context.round:
            choices = self.acceptable(context)
            pick = int(choices[context.rng.integers(len(choices))]) if len(choices) else None
            self._planned = (context.round, pick)
        return self._planned[1]
