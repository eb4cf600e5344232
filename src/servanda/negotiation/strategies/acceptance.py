"""Acceptance conditions, combinable with any bidding strategy (Baarslag, Hindriks and
Jonker, "Effective acceptance conditions in multilateral negotiation", Decision Support
Systems 60, 2014).

A condition sees the context, the offer on the table and the bid the party would make
next, and says whether to accept. Conditions combine with ``|`` (either) and ``&`` (both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from servanda.negotiation.strategy import Context

Test = Callable[[Context, int, "int | None"], bool]


@dataclass(frozen=True)
class AcceptanceCondition:
    """A named test ``(context, offer, next bid) -> accept?``."""

    name: str
    test: Test

    def __call__(self, context: Context, offer: int, next_bid: int | None) -> bool:
        return self.test(context, offer, next_bid)

    def __or__(self, other: AcceptanceCondition) -> AcceptanceCondition:
        return AcceptanceCondition(
            f"({self.name} or {other.name})",
            lambda c, o, b: self(c, o, b) or other(c, o, b),
        )

    def __and__(self, other: AcceptanceCondition) -> AcceptanceCondition:
        return AcceptanceCondition(
            f"({self.name} and {other.name})",
            lambda c, o, b: self(c, o, b) and other(c, o, b),
        )


def ac_next(alpha: float = 1.0, beta: float = 0.0) -> AcceptanceCondition:
    """AC_next: accept when ``alpha * u(offer) + beta >= u(the bid I would make next)``;
    when the party would walk away instead (no next bid), any offer passes this test, so
    combine it with :func:`ac_rational` (as the default does)."""
    return AcceptanceCondition(
        "AC_next" if (alpha, beta) == (1.0, 0.0) else f"AC_next({alpha}, {beta})",
        lambda c, o, b: b is None or alpha * c.utility(o) + beta >= c.utility(b),
    )


def ac_const(threshold: float) -> AcceptanceCondition:
    """AC_const: accept when ``u(offer) >= threshold``."""
    return AcceptanceCondition(f"AC_const({threshold})", lambda c, o, b: c.utility(o) >= threshold)


def ac_time(deadline: float) -> AcceptanceCondition:
    """AC_time: accept anything once the relative time reaches ``deadline``."""
    return AcceptanceCondition(f"AC_time({deadline})", lambda c, o, b: c.time >= deadline)


def ac_rational() -> AcceptanceCondition:
    """Accept only offers worth at least the current reservation value that break none of
    the party's red lines."""
    return AcceptanceCondition("AC_rational", lambda c, o, b: c.acceptable(o))


def _next_and_rational(context: Context, offer: int, next_bid: int | None) -> bool:
    """``ac_next() & ac_rational()`` in one test (it runs on every turn)."""
    u = context.utilities
    worth = u[offer]
    return bool(
        (next_bid is None or worth >= u[next_bid])
        and not context.forbidden[offer]
        and worth >= context.reservation
    )


#: The default of the built-in strategies: AC_next, and never an irrational offer; the
#: same as ``ac_next() & ac_rational()``, written as one test.
DEFAULT_ACCEPTANCE = AcceptanceCondition("(AC_next and AC_rational)", _next_and_rational)
