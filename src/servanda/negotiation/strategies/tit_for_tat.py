"""Tit-for-tat: the imitative tactics of Faratin, Sierra and Jennings ("Negotiation decision
functions for autonomous agents", Robotics and Autonomous Systems 24(3-4), 1998, sec. 4.3),
in the party's own utility.

A party cannot see the others' utilities, so it measures their concessions in its own: the
*concession* of an offer is how much more the offer is worth to it than the previous offer
of the same party. It starts by aiming for its best outcome and, each time it acts, mirrors
the concession of the most recent offer by another party (bilaterally: the opponent's last
step; multilaterally: the step of whoever offered last) — conceding when the other conceded,
retracting when the other retracted — never above its best nor below its reservation value.

- Relative (Faratin's relative tit-for-tat): the other closed a share ``c`` of the distance
  between its previous offer and our best outcome; we give up the same share ``c`` of what
  we still demand above our reservation value. Shares are ratios of utility differences, so
  the behaviour does not depend on the scale or origin of the utility function.
- Absolute (Faratin's absolute tit-for-tat): the other's offer rose by ``d`` in our utility;
  our target falls by the same ``d``.

Its offer is then the outcome whose utility is the lowest that still reaches the target, as
with the time-dependent tactics.
"""

from __future__ import annotations

from abc import abstractmethod
from servanda.negotiation.strategies.acceptance import DEFAULT_ACCEPTANCE, AcceptanceCondition
from servanda.negotiation.strategies.base import BiddingStrategy
from servanda.negotiation.strategy import Context
from servanda.negotiation.trace import Action


class TitForTat(BiddingStrategy):
    """Mirrors the others' concessions, measured in its own utility (see the module).

    Subclasses say how a concession is mirrored, in :meth:`mirror`. One instance negotiates
    one session: it remembers its target and each other party's previous offer, and reads
    only the events added to the history since it last acted, so ``bid`` may be called any
    number of times in one turn.

    Parameters
    ----------
    acceptance : AcceptanceCondition, default AC_next and AC_rational
        When to accept an offer, given the bid this strategy would make instead.
    """

    name = "tit-for-tat"
    # It concedes only in reply to concessions: against a hardliner it never moves.
    properties = {"stochastic": False, "concedes": True, "uses_opponent_offers": True}

    def __init__(self, acceptance: AcceptanceCondition = DEFAULT_ACCEPTANCE):
        super().__init__(acceptance)
        self._target: float | None = None  # the utility aimed for (None: not yet acted)
        self._read = 0  # events of the history read so far
        self._previous: dict[int, float] = {}  # each other party's latest offer, own utility
        self._step: tuple[float, float] | None = None  # latest concession not yet mirrored

    @abstractmethod
    def mirror(self, target: float, before: float, after: float, context: Context) -> float:
        """The new target, given the current one and the other party's step from an offer
        worth ``before`` to one worth ``after`` (both in own utility, at most ``best``)."""

    def target(self, context: Context) -> float:
        """The utility aimed for now: its best at first, then moved by each mirrored
        concession; always within ``[reservation, best]``."""
        if self._target is None:
            self._target = context.best
        self._catch_up(context)
        if self._step is not None:
            self._target = self.mirror(self._target, *self._step, context)
            self._step = None
        self._target = max(min(self._target, context.best), context.reservation)
        return self._target

    def bid(self, context: Context) -> int | None:
        if context.best < context.reservation:
            return None  # nothing it may accept is worth more than no agreement
        return context.outcome_near(self.target(context))

    def _catch_up(self, context: Context) -> None:
        """Read the new events; keep the step of the most recent offer by another party
        (None when that offer is the party's first, which concedes nothing yet). A
        negative ``party`` is no party (a mediator's text, say): it concedes nothing."""
        history = context.history
        for event in history[self._read :]:
            if event.action is Action.OFFER and event.party >= 0 and event.party != context.party:
                # An offer breaking one of our red lines may be worth more than our best;
                # it counts as our best, not as more.
                worth = min(context.utility(event.outcome), context.best)
                before = self._previous.get(event.party)
                self._step = None if before is None else (before, worth)
                self._previous[event.party] = worth
        self._read = max(self._read, len(history))  # a protocol may show an older record


class RelativeTitForTat(TitForTat):
    """Relative tit-for-tat: when the other closes a share of the distance between its
    offers and our best outcome, give up the same share of what we still demand above our
    reservation value (see the module).

    Parameters
    ----------
    acceptance : AcceptanceCondition, default AC_next and AC_rational
    """

    name = "tit-for-tat"

    def mirror(self, target: float, before: float, after: float, context: Context) -> float:
        surplus = max(target - context.reservation, 0.0)
        gap_before, gap_after = context.best - before, context.best - after
        if gap_before <= 0:
            # The other offered our best before: any step down from it is an unbounded
            # retraction (back to our best); no step changes nothing.
            return context.best if gap_after > 0 else target
        return context.reservation + surplus * (gap_after / gap_before)


class AbsoluteTitForTat(TitForTat):
    """Absolute tit-for-tat: when the other's offer rises by ``d`` in our utility, lower our
    target by the same ``d`` (and raise it when the other retracts).

    Parameters
    ----------
    acceptance : AcceptanceCondition, default AC_next and AC_rational
    """

    name = "absolute-tit-for-tat"

    def mirror(self, target: float, before: float, after: float, context: Context) -> float:
        return target - (after - before)
