"""Adjusted Winner: an envy-free, equitable and efficient division between two parties.

S. J. Brams and A. D. Taylor, *Fair Division: From Cake-Cutting to Dispute Resolution*
(Cambridge University Press, 1996), ch. 4, and *The Win-Win Solution* (Norton, 1999). Each
side distributes 100 points over the items (goods, or issues on which it wants its way).

1. Winner phase: each item goes to the side that puts more points on it. A tied item goes to
   the side with fewer points from the untied items (to the first side when those are
   equal), as in Brams and Taylor's divorce example, where the tied investments go to Bob,
   who trails Carol.
2. Adjusted phase: the side ahead (the giver) hands its items to the other side in
   increasing order of the ratio giver's points / receiver's points; the item that would
   overshoot is split so that both totals are equal. Equal ratios go in item order.

Why the result has the three properties. After the winner phase every item the giver holds
has ratio at least 1 and every item the receiver holds at most 1 (a tied item has ratio 1
wherever it lies, which is why any tie rule keeps the properties; the rule above only picks
which of the equally good divisions is reached). Handing items over in increasing ratio
therefore ends at a threshold ``t``: the giver keeps exactly the items of ratio above ``t``,
the receiver has those below, and the split item has ratio ``t``. Such a division maximises
``giver's points + t * receiver's points`` over every fractional division, so no division is
better for one side and as good for the other (efficient). The totals are equal by
construction (equitable). Giving each side half of every item yields 50 points each, so an
efficient and equitable division gives both at least 50 of their 100 points: each values its
own share at least as much as the other's (envy-free). At most one item is split, because
the transfers stop at the first item that would overshoot.

Exact arithmetic: every number is converted to a :class:`fractions.Fraction` (a float
converts exactly), so the split fraction, the ratios and the totals carry no rounding. They
come back as Fractions when every input was an integer, a Fraction or a Decimal (the worked
examples reproduce exactly), and as floats otherwise.

:func:`adjusted_winner_for` applies the procedure to two parties of a
:class:`~servanda.model.Scenario` whose issues are numeric ranges on which the parties want
opposite ends, and maps each issue's shares back to an option.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

import numpy as np

from servanda.errors import UnsupportedError
from servanda.model import NumericIssue, Scenario
from servanda.model.issues import Issue, Option

__all__ = ["AdjustedWinner", "Placement", "adjusted_winner", "adjusted_winner_for"]

#: A number in a result: a Fraction when the inputs were exact, a float otherwise.
Number = Fraction | float

#: How far each side's points may be from 100.
POINTS_TOLERANCE = 1e-9
#: Relative tolerance of the shape checks on value tables (linear, rising or falling).
_TABLE_TOLERANCE = 1e-9
_FLOAT_MAX = Fraction(np.finfo(float).max)


@dataclass(frozen=True)
class Placement:
    """Where one issue's division lands on the issue's grid of options.

    ``value`` lies the fraction ``share_a`` of the way from the second party's best end of
    the range toward the first party's; ``option`` (at ``index``) is the option nearest to
    it, and ``snapped_share_a`` the share of the way that option really is.
    """

    issue: str
    share_a: float
    value: float
    option: Option
    index: int
    snapped_share_a: float


@dataclass(frozen=True)
class AdjustedWinner:
    """A division by Adjusted Winner.

    ``shares_a[i]`` and ``shares_b[i]`` are the fractions of item ``i`` each side receives
    (they add up to 1); ``split`` is the item divided between them (None when none is);
    ``equitable_points`` is the total of its own points each side receives (the same for
    both). ``winner_points`` are the totals after the winner phase, ``giver`` the side that
    then hands items over (0 for the first, 1 for the second, None when the totals were
    already equal) and ``ratio_order`` the giver's items it valued above zero, as
    ``(item, giver's points / receiver's points)`` in the order they are handed over (the
    ratio is infinite for an item the receiver values at zero). ``placements`` is filled by
    :func:`adjusted_winner_for` only: one per issue, in issue order.
    """

    names: tuple[str, str]
    items: tuple[str, ...]
    points_a: tuple[Number, ...]
    points_b: tuple[Number, ...]
    shares_a: tuple[Number, ...]
    shares_b: tuple[Number, ...]
    split: int | None
    equitable_points: Number
    winner_points: tuple[Number, Number]
    giver: int | None
    ratio_order: tuple[tuple[int, Number], ...]
    explanation: tuple[str, ...]
    placements: tuple[Placement, ...] = ()

    @property
    def outcome(self) -> tuple[int, ...] | None:
        """Option index per issue when the division came from a scenario, else None."""
        return tuple(p.index for p in self.placements) if self.placements else None


def adjusted_winner(
    points_a: Sequence[numbers.Real | Decimal],
    points_b: Sequence[numbers.Real | Decimal],
    names: tuple[str, str] = ("A", "B"),
    items: Sequence[str] | None = None,
) -> AdjustedWinner:
    """Divide the items between two sides by Adjusted Winner (Brams and Taylor 1996, ch. 4).

    Parameters
    ----------
    points_a, points_b
        Each side's points per item: non-negative finite numbers summing to 100 (within
        :data:`POINTS_TOLERANCE`), one per item, at least one item.
    names
        The two sides' names, used in the explanation; default ``("A", "B")``.
    items
        The items' names, distinct; default ``"item 1"``, ``"item 2"``, ...

    Raises
    ------
    ValueError
        Naming what is wrong with the points, names or items.
    """
    names = _checked_names(names)
    exact = _exact(points_a, f"points_a ({names[0]})"), _exact(points_b, f"points_b ({names[1]})")
    if len(exact[0]) != len(exact[1]):
        raise ValueError(
            f"points_a ({names[0]}) has {len(exact[0])} values but points_b ({names[1]}) has "
            f"{len(exact[1])}; expected one per item for both"
        )
    items = _checked_items(items, len(exact[0]))
    inexact = any(_is_inexact(v) for v in (*points_a, *points_b))
    shares, winner, giver, order = _divide(exact[0], exact[1])
    points = sum(s * p for s, p in zip(shares, exact[0]))
    out = _float if inexact else (lambda x: x)
    shares_a = tuple(out(s) for s in shares)
    result = AdjustedWinner(
        names=names,
        items=items,
        points_a=tuple(out(p) for p in exact[0]),
        points_b=tuple(out(p) for p in exact[1]),
        shares_a=shares_a,
        shares_b=tuple(out(1 - s) for s in shares),
        # Read from the returned shares: a float share that rounds to 0 or 1 is whole.
        split=next((i for i, s in enumerate(shares_a) if 0 < s < 1), None),
        equitable_points=out(points),
        winner_points=(out(winner[0]), out(winner[1])),
        giver=giver,
        ratio_order=tuple((i, r if r == math.inf else out(r)) for i, r in order),
        explanation=(),
    )
    return _with_explanation(result)


def _divide(a: tuple[Fraction, ...], b: tuple[Fraction, ...]) -> tuple[
    list[Fraction], tuple[Fraction, Fraction], int | None, list[tuple[int, Number]]
]:
    """The procedure in exact arithmetic: the first side's shares, the winner-phase
    totals, the giver and the ratio order."""
    untied = (
        sum(x for x, y in zip(a, b) if x > y),
        sum(y for x, y in zip(a, b) if y > x),
    )
    tied_to_a = untied[0] <= untied[1]
    shares = [Fraction(int(x > y or (x == y and tied_to_a))) for x, y in zip(a, b)]
    winner = (
        sum(s * x for s, x in zip(shares, a)),
        sum((1 - s) * y for s, y in zip(shares, b)),
    )
    if winner[0] == winner[1]:
        return shares, winner, None, []
    giver = 0 if winner[0] > winner[1] else 1
    mine, theirs = (a, b) if giver == 0 else (b, a)
    held = [i for i, s in enumerate(shares) if s == (1 if giver == 0 else 0) and mine[i] > 0]
    # An item the receiver values at zero comes last (infinite ratio). It is never reached
    # when both sides' points add up to exactly 100: before it the receiver holds every item
    # it values, so all its 100 points. With sums 100 only within the tolerance, a sliver of
    # it may be needed to make the totals exactly equal.
    order = sorted(
        ((i, mine[i] / theirs[i] if theirs[i] > 0 else math.inf) for i in held),
        key=lambda pair: (pair[1], pair[0]),
    )
    gap = winner[giver] - winner[1 - giver]
    for i, _ in order:
        worth = mine[i] + theirs[i]
        moved = min(Fraction(1), gap / worth)
        shares[i] = 1 - moved if giver == 0 else moved
        gap -= moved * worth
        if gap == 0:
            break
    return shares, winner, giver, order


def _with_explanation(result: AdjustedWinner, extra: Sequence[str] = ()) -> AdjustedWinner:
    a, b = result.names
    lines = [
        "Winner phase: each item goes to the side that values it more (a tied item to the "
        f"side behind): {a} has {_show(result.winner_points[0])} points, "
        f"{b} {_show(result.winner_points[1])}."
    ]
    if result.giver is None:
        lines.append("No adjustment: both sides already have the same number of points.")
    else:
        giver, receiver = result.names[result.giver], result.names[1 - result.giver]
        ratios = ", ".join(f"{result.items[i]} {_show(r)}" for i, r in result.ratio_order)
        lines.append(
            f"Adjusted phase: {giver} hands items to {receiver} in increasing order of "
            f"{giver}'s points / {receiver}'s points ({ratios}) until both have the same "
            "number of points."
        )
    for item, share in zip(result.items, result.shares_a):
        if share == 1:
            lines.append(f"{a} gets {item}")
        elif share == 0:
            lines.append(f"{b} gets {item}")
        else:
            percent = round(100 * float(share), 1)
            lines.append(
                f"{a} and {b} share {item}: {a} {percent:.1f}%, {b} {100 - percent:.1f}%"
            )
    lines.append(
        f"Each side receives {_show(result.equitable_points)} of its own 100 points, so "
        "neither prefers the other's share, and no other division is better for one side "
        "without being worse for the other."
    )
    return replace(result, explanation=tuple(lines) + tuple(extra))


def _float(x: Number) -> float:
    """``x`` as a float; infinite beyond the largest float (a ratio to a receiver's
    subnormal points can be)."""
    return float(x) if abs(x) <= _FLOAT_MAX else (math.inf if x > 0 else -math.inf)


def _show(x: Number) -> str:
    x = _float(x)
    return f"{x:.2f}".rstrip("0").rstrip(".") if math.isfinite(x) else "infinite"


def _checked_names(names: tuple[str, str]) -> tuple[str, str]:
    names = tuple(names)
    if len(names) != 2 or not all(isinstance(n, str) and n.strip() for n in names):
        raise ValueError(f"names must be two non-empty strings, got {names!r}")
    if names[0] == names[1]:
        raise ValueError(f"the two sides need different names, both are {names[0]!r}")
    return names


def _checked_items(items: Sequence[str] | None, count: int) -> tuple[str, ...]:
    if items is None:
        return tuple(f"item {k + 1}" for k in range(count))
    items = tuple(items)
    if len(items) != count:
        raise ValueError(f"{len(items)} item names for {count} items")
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise ValueError("item names must be non-empty strings")
    if len(set(items)) != len(items):
        duplicate = next(item for item in items if items.count(item) > 1)
        raise ValueError(f"duplicate item name {duplicate!r}")
    return items


def _exact(points: Sequence[numbers.Real | Decimal], label: str) -> tuple[Fraction, ...]:
    """The points as Fractions, checked: at least one, non-negative, finite, sum 100."""
    values = list(points)
    if not values:
        raise ValueError(f"{label} is empty; expected points for at least one item")
    exact = []
    for k, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
            raise ValueError(f"{label}[{k}] is {value!r}, not a number")
        if not math.isfinite(float(value)):
            raise ValueError(f"{label}[{k}] is {value}, not a finite number")
        if value < 0:
            raise ValueError(f"{label}[{k}] is {value}; points must not be negative")
        exact.append(_fraction(value))
    total = sum(exact)
    if abs(total - 100) > POINTS_TOLERANCE:
        raise ValueError(f"{label} sums to {float(total):g}; each side distributes 100 points")
    return tuple(exact)


def _fraction(value: numbers.Real | Decimal) -> Fraction:
    """A number as a Fraction, exactly; numpy integers become Python integers first, so that
    the arithmetic cannot overflow."""
    if isinstance(value, numbers.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    return Fraction(value) if isinstance(value, Decimal) else Fraction(float(value))


def _is_inexact(value: numbers.Real | Decimal) -> bool:
    return not isinstance(value, numbers.Rational | Decimal)


# -- scenarios -----------------------------------------------------------------------------


def adjusted_winner_for(scenario: Scenario, party_a: str, party_b: str) -> AdjustedWinner:
    """Adjusted Winner between two parties of a scenario whose issues are all divisible.

    An issue is divisible when it is a numeric range (integer or real, without extra named
    options) on which both parties' weighted value tables are linear in the option's number,
    one non-decreasing and the other non-increasing (opposed interests). A party's points on
    an issue are 100 times what it has at stake there, ``weight * (best value - worst
    value)``, renormalised over the issues; with value tables that run from 0 to 1 (the
    usual normalisation) that is 100 times the renormalised weight. Weighing the stake
    rather than the bare weight keeps the procedure's guarantees in the parties' own
    utilities: a share ``s`` of an issue is worth exactly ``s`` times its points to the
    party.

    The first party's share ``s`` of an issue becomes the point the fraction ``s`` of the
    way from the second party's best end of the range toward the first party's best end,
    snapped to the nearest option (the lower one on a tie); each :class:`Placement` and the
    explanation report the snapping, after which the division is equitable only up to the
    grid. Red lines, reservation values and outside pressure are not considered: score the
    resulting ``outcome`` to see them.

    Raises
    ------
    UnsupportedError
        Naming the first issue that is not divisible and why, or a party with interaction
        terms or with nothing at stake on any issue.
    ScenarioError
        When a party name is unknown.
    ValueError
        When both names are the same party.
    """
    a, b = scenario.party(party_a), scenario.party(party_b)
    if a is b:
        raise ValueError(f"Adjusted Winner divides between two parties; got '{party_a}' twice")
    for party in (a, b):
        if not party.preferences.is_linear_additive:
            raise UnsupportedError(
                f"party '{party.name}' has interaction terms; Adjusted Winner needs "
                "linear-additive preferences"
            )
    tables = tuple(zip(a.preferences.weighted_tables, b.preferences.weighted_tables))
    for issue, (table_a, table_b) in zip(scenario.issues, tables):
        reason = _not_divisible(issue, table_a, table_b, a.name, b.name)
        if reason:
            raise UnsupportedError(f"issue '{issue.name}' is not divisible: {reason}")
    # A table flat within the tolerance is no stake (and has no best end, see _placement).
    stakes = np.array([[np.ptp(t) if _direction(t) else 0.0 for t in pair] for pair in tables])
    for column, party in enumerate((a, b)):
        if stakes[:, column].sum() <= 0:
            raise UnsupportedError(
                f"party '{party.name}' is indifferent on every issue: nothing to divide"
            )
    points = 100 * stakes / stakes.sum(axis=0)
    result = adjusted_winner(
        points[:, 0].tolist(),
        points[:, 1].tolist(),
        names=(a.name, b.name),
        items=[issue.name for issue in scenario.issues],
    )
    placements = tuple(
        _placement(issue, float(share), ta, tb)
        for issue, share, (ta, tb) in zip(scenario.issues, result.shares_a, tables)
    )
    realised = (
        sum(p.snapped_share_a * x for p, x in zip(placements, points[:, 0])),
        sum((1 - p.snapped_share_a) * y for p, y in zip(placements, points[:, 1])),
    )
    lines = [
        f"{p.issue}: {_show(p.value)} on the range, snapped to option {p.option}"
        + (f" ({a.name}'s share {p.snapped_share_a:.1%})" if p.snapped_share_a != p.share_a else "")
        for p in placements
    ]
    lines.append(
        f"On the grid {a.name} receives {_show(realised[0])} and {b.name} "
        f"{_show(realised[1])} of their points."
    )
    return _with_explanation(replace(result, placements=placements), lines)


def _not_divisible(
    issue: Issue, table_a: np.ndarray, table_b: np.ndarray, name_a: str, name_b: str
) -> str | None:
    """Why an issue cannot be divided between the two parties, or None when it can."""
    if not isinstance(issue, NumericIssue):
        return f"it is {issue.kind}, not a numeric range"
    if issue.extra:
        return f"it has named options off the range ({', '.join(issue.extra)})"
    x = issue.grid.astype(float)
    for name, table in ((name_a, table_a), (name_b, table_b)):
        if x.size > 1:
            line = table[0] + (table[-1] - table[0]) * (x - x[0]) / (x[-1] - x[0])
            if np.any(np.abs(table - line) > _TABLE_TOLERANCE * max(1.0, np.abs(table).max())):
                return f"the value function of '{name}' is not linear over the range"
    rise_a, rise_b = _direction(table_a), _direction(table_b)
    if rise_a * rise_b > 0:
        both = "rise" if rise_a > 0 else "fall"
        return f"the values of '{name_a}' and '{name_b}' both {both} across the range"
    return None


def _direction(table: np.ndarray) -> int:
    """+1 when a (linear) table rises across the range, -1 when it falls, 0 when flat."""
    change = table[-1] - table[0]
    if abs(change) <= _TABLE_TOLERANCE * max(1.0, np.abs(table).max()):
        return 0
    return 1 if change > 0 else -1


def _placement(
    issue: NumericIssue, share_a: float, table_a: np.ndarray, table_b: np.ndarray
) -> Placement:
    grid = issue.grid.astype(float)
    rise_a = _direction(table_a)
    # A flat party has no best end: it takes the end the other party does not want.
    a_high = rise_a > 0 or (rise_a == 0 and _direction(table_b) <= 0)
    best_a, best_b = (grid[-1], grid[0]) if a_high else (grid[0], grid[-1])
    value = best_b + share_a * (best_a - best_b)
    index = int(np.argmin(np.abs(grid - value)))
    snapped = share_a if best_a == best_b else (grid[index] - best_b) / (best_a - best_b)
    return Placement(issue.name, share_a, float(value), issue.options[index], index, float(snapped))
