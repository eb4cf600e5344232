"""A strategy made of a bidding rule and an acceptance condition."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

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

    #: Opt-in to alternating offers' planned path: True when :meth:`bid` depends on nothing
    #: but the relative time, the party's (fixed) reservation value and its own ranked
    #: outcomes — no history, no random generator — so that :meth:`plan` can give every bid
    #: of a session ahead. A subclass that overrides ``bid``, ``target``, ``propose``,
    #: ``respond`` or ``bid_once`` without overriding ``plan`` opts out automatically.
    plans_ahead: ClassVar[bool] = False

    def __init__(self, acceptance: AcceptanceCondition = DEFAULT_ACCEPTANCE):
        self.acceptance = acceptance

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        decides = {"bid", "target", "propose", "respond", "bid_once"} & vars(cls).keys()
        if decides and "plan" not in vars(cls) and "plans_ahead" not in vars(cls):
            cls.plans_ahead = False

    def plans(self) -> bool:
        """True when a protocol may use :meth:`plan` instead of asking turn by turn: the
        class plans ahead and the acceptance condition is the default one (AC_next and
        AC_rational), which needs nothing but the offer, the next bid and the context."""
        return self.plans_ahead and self.acceptance is DEFAULT_ACCEPTANCE

    def plan(
        self,
        times: Sequence[float],
        reservation: float,
        ranking: np.ndarray,
        ranked_utilities: np.ndarray,
    ) -> np.ndarray | None:
        """Every bid at once: the outcome :meth:`bid` would offer at each relative time of
        ``times``, given a fixed ``reservation`` and the party's ``ranking`` and
        ``ranked_utilities`` (as in :class:`Context`). None when it would walk away or
        cannot plan (the default); only called when :attr:`plans_ahead` is True."""
        return None

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
