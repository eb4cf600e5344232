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

    def __init__(self, acceptance: AcceptanceCondition = DEFAULT_ACCEPTANCE):
        self.acceptance = acceptance

    @abstractmethod
    def bid(self, context: Context) -> int | None:
        """The outcome to offer now (None: walk away)."""

    def propose(self, context: Context) -> int | None:
        return self.bid(context)

    def respond(self, context: Context, offer: int) -> Action:
        accept = self.acceptance(context, offer, self.bid(context))
        return Action.ACCEPT if accept else Action.REJECT
