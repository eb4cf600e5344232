"""What a negotiator sees and does: the :class:`Context` a protocol hands to a
:class:`Strategy`, and the two decisions every strategy makes under every protocol —
``propose`` (an outcome to put on the table, or walk away) and ``respond`` (to an offer).

A strategy sees only its own side: its utilities, its red lines, its current reservation
value, the public record of offers and responses, and the public structure of the outcomes
(their issues and options); never another party's preferences.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from servanda.negotiation.trace import Action, Event

if TYPE_CHECKING:
    from servanda.negotiation.table import Outcomes


@dataclass(frozen=True, eq=False, slots=True)
class Context:
    """One party's view of the negotiation at the moment it must act.

    :meth:`outcome_near` searches ``ranked_utilities[::-1]``; a session passes ranked
    utilities that are themselves a reversed view of a contiguous ascending array (see
    :attr:`OutcomeTable.allowed_ranked_utilities`), so that search copies nothing."""

    party: int
    utilities: np.ndarray  # (outcomes,) this party's utility of every outcome
    forbidden: np.ndarray  # (outcomes,) True where an outcome breaks one of its red lines
    ranking: np.ndarray  # outcome indices from its best to its worst, its red lines excluded
    ranked_utilities: np.ndarray  # its utilities in the order of ranking (descending)
    reservation: float  # its utility of no agreement, now (outside pressure may change it)
    round: int
    time: float  # relative time in [0, 1]: the larger of rounds used and seconds used
    history: Sequence[Event]  # the public record so far (read only)
    rng: np.random.Generator
    discount: float | None = None
    # the issues and the options of every outcome (public; no party's preferences), for
    # strategies that reason issue by issue, e.g. with an opponent model; None when the
    # context was made by hand without them
    outcomes: Outcomes | None = None

    @property
    def best(self) -> float:
        """Its highest utility among outcomes that break none of its red lines."""
        ranked = self.ranked_utilities
        return float(ranked[0]) if len(ranked) else float("-inf")

    def utility(self, outcome: int) -> float:
        return float(self.utilities[outcome])

    def acceptable(self, outcome: int) -> bool:
        """True when the outcome breaks none of its red lines and is worth at least its
        reservation value."""
        return bool(not self.forbidden[outcome] and self.utilities[outcome] >= self.reservation)

    def outcome_near(self, target: float) -> int:
        """The outcome, among those breaking none of its red lines, whose utility is the
        lowest that still reaches ``target`` (its best outcome when none reaches it).
        Needs at least one such outcome (``best`` is finite)."""
        ascending = self.ranked_utilities[::-1]  # a view; contiguous when built by a session
        reaching = len(ascending) - int(ascending.searchsorted(target))  # side="left"
        return int(self.ranking[reaching - 1 if reaching > 1 else 0])

    def last_offer(self, by_others: bool = True) -> Event | None:
        """The latest offer by a party (by another party, by default); a mediator's texts
        (party -1) are not offers by a party."""
        for event in reversed(self.history):
            if event.action is Action.OFFER and event.party >= 0:
                if not by_others or event.party != self.party:
                    return event
        return None


class Strategy(ABC):
    """How a party negotiates. Subclasses implement :meth:`propose` and :meth:`respond`;
    both see only a :class:`Context`. One instance negotiates one session.

    ``properties`` declares what tournaments and tests may rely on (as Axelrod's
    classifiers do): ``stochastic`` (uses the random generator), ``concedes`` (its offers
    get worse for itself over time), ``uses_opponent_offers`` (reacts to the others)."""

    name: ClassVar[str] = "strategy"
    properties: ClassVar[dict[str, bool]] = {
        "stochastic": False,
        "concedes": False,
        "uses_opponent_offers": False,
    }

    @abstractmethod
    def propose(self, context: Context) -> int | None:
        """The outcome (index) to offer now, or None to walk away."""

    @abstractmethod
    def respond(self, context: Context, offer: int) -> Action:
        """ACCEPT, REJECT (and make a counter-offer when it is this party's turn), or END.

        Red lines bind: the engine never lets a party accept an outcome that breaks one of
        its own red lines, and counts such an ACCEPT as a REJECT."""

    def __repr__(self) -> str:
        return self.name
