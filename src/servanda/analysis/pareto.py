"""Exact Pareto frontiers of utility arrays, for any number of parties.

An outcome is *dominated* when another is at least as good for every party and better for
one; the Pareto frontier is the set of undominated outcomes. Outcomes tied in every
utility are kept together: either all are members or none is.
"""

from __future__ import annotations

import numpy as np

#: Points taken as frontier members at once in the sweep for three or more coordinates.
_BATCH = 64
#: Cells of one (others x rows) comparison table; bounds the memory of a sweep.
_TABLE_CELLS = 1 << 22


def pareto_mask(utilities: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``utilities`` (shape ``(n, parties)``) on the frontier."""
    utilities = np.asarray(utilities, dtype=float)
    if utilities.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    return undominated([np.ascontiguousarray(column) for column in utilities.T])


def pareto_indices(utilities: np.ndarray) -> np.ndarray:
    """Row positions of the frontier members, in increasing order."""
    return np.flatnonzero(pareto_mask(utilities))


def dominates(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each row of ``a`` dominates the matching row of ``b`` (broadcasting)."""
    return np.all(a >= b, axis=-1) & np.any(a > b, axis=-1)


def run_starts(columns: list[np.ndarray]) -> np.ndarray:
    """For points sorted so that equal points are adjacent (``columns[p]`` holds coordinate
    ``p``): True where a point differs from the one before, i.e. starts a run of equals."""
    new = np.empty(columns[0].size, dtype=bool)
    new[:1] = True
    new[1:] = columns[0][1:] != columns[0][:-1]
    for column in columns[1:]:
        new[1:] |= column[1:] != column[:-1]
    return new


def undominated(points: list[np.ndarray], margins: np.ndarray | None = None) -> np.ndarray:
    """Mask of the points not dominated with a margin; ``points[p]`` holds coordinate ``p``.

    Point ``c`` is removed when another point ``d`` has ``d >= c`` in every coordinate and
    ``d[p] > c[p] + margins[p]`` in one. With zero margins this is Pareto dominance, and
    equal points are kept together."""
    if margins is None:
        margins = np.zeros(len(points))
    if len(points) == 1:
        return ~(points[0].max() > points[0] + margins[0])
    if len(points) == 2:
        return _not_dominated_2d(points[0], points[1], margins[0], margins[1])
    return _not_dominated_nd(points, margins)


def _not_dominated_2d(a: np.ndarray, b: np.ndarray, margin_a: float, margin_b: float) -> np.ndarray:
    # One sort by ``a`` descending. The points with ``a >= a[j]`` are a prefix of it (ending
    # with a[j]'s ties), and so are those with ``a > a[j] + margin_a``; a running maximum of
    # ``b`` says whether some point of the first prefix is ahead of j in ``b`` by more than
    # the margin, or some point of the second is at least level with j in ``b``.
    order = np.argsort(-a, kind="stable")
    key = -a[order]  # ascending
    other = b[order]
    # running[n]: the largest ``b`` among the first n points (-inf for none).
    running = np.empty(other.size + 1)
    running[0] = -np.inf
    np.maximum.accumulate(other, out=running[1:])
    beaten = running[np.searchsorted(key, key, side="right")] > other + margin_b
    beaten |= running[np.searchsorted(key, -(a[order] + margin_a), side="left")] >= other
    result = np.empty(a.size, dtype=bool)
    result[order] = ~beaten
    return result


def _not_dominated_nd(points: list[np.ndarray], margins: np.ndarray) -> np.ndarray:
    # Distinct points in order of decreasing coordinate sum, lexicographically decreasing
    # among equal sums. A point ``d >= c`` has a sum >= that of ``c`` (the same additions,
    # and rounding is monotone) and, if ``d != c``, is lexicographically larger, so every
    # dominator of a point comes before it.
    total = points[0].copy()
    for column in points[1:]:
        total += column
    order = np.lexsort([-column for column in reversed(points)] + [-total])
    del total
    ordered = [column[order] for column in points]
    new = run_starts(ordered)
    distinct = np.flatnonzero(new)
    kept = _sweep([column[distinct] for column in ordered], margins)
    mask = np.empty(order.size, dtype=bool)
    mask[order] = kept[np.cumsum(new) - 1]
    return mask


def _sweep(points: list[np.ndarray], margins: np.ndarray) -> np.ndarray:
    """:func:`undominated` for distinct points ordered so that dominators come first.

    Of a batch of the first points still alive, those no other batch point dominates lead:
    every later point a leader beats with the margin is discarded, and the batch points no
    batch point beats with the margin are kept. That suffices: if any point beats ``c`` with
    the margin, so does a point of the exact frontier (one that dominates the first), which
    comes before ``c``, is never discarded and leads its batch. A point dominated only within
    the margin stays alive and may lead a later batch; what it beats with the margin is
    beaten, so discarding that is still right. With zero margins the kept points are the
    exact frontier."""
    with_margin = bool(np.any(margins > 0))
    kept = np.zeros(points[0].size, dtype=bool)
    alive = np.arange(points[0].size)
    while alive.size:
        size = min(_BATCH, alive.size)
        batch = [column[:size] for column in points]
        weakly = _weakly_ahead(batch, batch)  # [j, i]: batch[j] >= batch[i] everywhere
        np.fill_diagonal(weakly, False)  # distinct points: off the diagonal, dominance
        leading = ~weakly.any(axis=0)
        if with_margin:
            weakly &= _ahead(batch, batch, margins)
            kept[alive[:size][~weakly.any(axis=0)]] = True
        else:
            kept[alive[:size][leading]] = True
        leaders = [column[leading] for column in batch]
        rest = [column[size:] for column in points]
        survive = ~_beaten(rest, leaders, margins if with_margin else None)
        points = [column[survive] for column in rest]
        alive = alive[size:][survive]
    return kept


# The tables below are laid out (others x rows): each comparison then runs along a
# contiguous row of the table against one scalar, and the reduction over the others combines
# whole rows, several times faster than the transposed layout.


def _weakly_ahead(rows: list[np.ndarray], others: list[np.ndarray]) -> np.ndarray:
    """Table ``[o, r]``: ``others[o] >= rows[r]`` in every coordinate, built one coordinate
    at a time in place."""
    table = others[0][:, None] >= rows[0][None, :]
    scratch = np.empty_like(table)
    for row, other in zip(rows[1:], others[1:]):
        np.greater_equal(other[:, None], row[None, :], out=scratch)
        table &= scratch
    return table


def _ahead(rows: list[np.ndarray], others: list[np.ndarray], margins: np.ndarray) -> np.ndarray:
    """Table ``[o, r]``: ``others[o]`` exceeds ``rows[r]`` by more than the margin somewhere."""
    table = others[0][:, None] > (rows[0] + margins[0])[None, :]
    scratch = np.empty_like(table)
    for row, other, margin in zip(rows[1:], others[1:], margins[1:]):
        np.greater(other[:, None], (row + margin)[None, :], out=scratch)
        table |= scratch
    return table


def _beaten(
    rows: list[np.ndarray], leaders: list[np.ndarray], margins: np.ndarray | None
) -> np.ndarray:
    """Which rows some leader dominates (rows and leaders distinct), with the margin if
    given; in chunks of rows so that no table exceeds ``_TABLE_CELLS`` cells."""
    beaten = np.zeros(rows[0].size, dtype=bool)
    # Only rows inside the leaders' bounding box can be dominated by one of them; the box
    # costs one pass per coordinate and often leaves out most rows.
    inside = rows[0] <= leaders[0].max()
    for row, leader in zip(rows[1:], leaders[1:]):
        inside &= row <= leader.max()
    candidates = np.flatnonzero(inside)
    step = max(1, _TABLE_CELLS // max(1, leaders[0].size))
    for lo in range(0, candidates.size, step):
        index = candidates[lo : lo + step]
        chunk = [column[index] for column in rows]
        weakly = _weakly_ahead(chunk, leaders)
        hit = np.flatnonzero(weakly.any(axis=0))
        if margins is not None and hit.size:
            # Only the rows some leader is weakly ahead of need the margin test.
            ahead = _ahead([column[hit] for column in chunk], leaders, margins)
            hit = hit[(weakly[:, hit] & ahead).any(axis=0)]
        beaten[index[hit]] = True
    return beaten
