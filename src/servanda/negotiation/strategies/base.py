"""A strategy made of a bidding rule and an acceptance condition."""

from __future__ import annotations

from abc import abstractmethod

from servanda.negotiation.strategies.acceptance import DEFAULT_ACCEPTANCE, AcceptanceCondition
from servanda.negotiation.strategy import Context, Strategy
from servanda.negotiation.trace import Action


class BiddingStrategy(Strategy):
    """Proposes with :meth:`bid`; accepts when its acceptance condition says so.

    Parameters
    ----------
    acceptance : AcceptanceCondition, default AC_next and AC_rational
        When to accept an offer, given the bid this strategy would make instead.
    """

    # the context of the latest bid and that bid: a protocol that shows the same context
    # for answering an offer and for the counter-offer (alternating offers does) gets one
    # bid per turn. Keyed by the context object itself, so a stochastic or history-
    # dependent strategy is never handed a bid made for another moment.
    _bid_context: Context | None = None
    _last_bid: int | None = None

    def __init__(self, acceptance: AcceptanceCondition = DEFAULT_ACCEPTANCE):
        self.acceptance = acceptance

    @abstractmethod
    def bid(self, context: Context) -> int | None:
        """The outcome to offer now (None: walk away)."""

    def bid_once(self, context: Context) -> int | None:
        """:meth:`bid`, computed at most once per context."""
        if context is not self._bid_context:
            self._bid_context, self._last_bid = context, self.bid(context)
        return self._last_bid

    def propose(self, context: Context) -> int | None:
        return self.bid_once(context)

    def respond(self, context: Context, offer: int) -> Action:
        accept = self.acceptance(context, offer, self.bid_once(context))
        return Action.ACCEPT if accept else Action.REJECT
