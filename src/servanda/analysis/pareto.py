"""Exact Pareto frontiers of utility arrays, for any number of parties.

An outcome is *dominated* when another is at least as good for every party and better for
one; the Pareto frontier is the set of undominated outcomes. Outcomes tied in every
utility are kept together: either all are members or none is.
"""

from __future__ import annotations

import numpy as np

# Rows taken as frontier members at once in the n-party case.
_BATCH = 64


def pareto_mask(utilities: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``utilities`` (shape ``(n, parties)``) on the frontier."""
    utilities = np.asarray(utilities, dtype=float)
    n, parties = utilities.shape
    if n == 0:
        return np.zeros(0, dtype=bool)
    if parties == 1:
        return utilities[:, 0] == utilities[:, 0].max()
    if parties == 2:
        return _pareto_mask_2d(utilities)
    return _pareto_mask_nd(utilities)


def pareto_indices(utilities: np.ndarray) -> np.ndarray:
    """Row positions of the frontier members, in increasing order."""
    return np.flatnonzero(pareto_mask(utilities))


def dominates(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each row of ``a`` dominates the matching row of ``b`` (broadcasting)."""
    return np.all(a >= b, axis=-1) & np.any(a > b, axis=-1)


def _pareto_mask_2d(u: np.ndarray) -> np.ndarray:
    # Sorted by first utility descending, then second descending: a point is undominated
    # iff it has the largest second utility of its own first-utility group and that value
    # beats every point of a strictly larger first utility.
    order = np.lexsort((-u[:, 1], -u[:, 0]))
    first, second = u[order, 0], u[order, 1]
    starts = np.flatnonzero(np.r_[True, first[1:] != first[:-1]])
    group = np.cumsum(np.r_[True, first[1:] != first[:-1]]) - 1
    group_best = second[starts][group]
    running = np.maximum.accumulate(second)
    before = np.r_[-np.inf, running][starts][group]  # best second utility of larger firsts
    member_sorted = (second == group_best) & (second > before)
    mask = np.empty(len(u), dtype=bool)
    mask[order] = member_sorted
    return mask


def _pareto_mask_nd(u: np.ndarray) -> np.ndarray:
    # Work on distinct rows sorted by utility sum descending, lexicographically descending
    # among equal sums: every dominator of a row then comes before it (its sum is larger
    # or, after rounding, equal, and it is lexicographically larger). So the first rows
    # still alive are undominated; take a batch of them, drop the ones dominated within
    # the batch, and discard every later row a member dominates. Each round costs one
    # vectorised pass over the rows still alive, which shrink fast.
    distinct, inverse = _distinct_rows(u)
    descending = distinct[::-1]  # lexicographically descending
    order = (len(distinct) - 1 - np.argsort(-descending.sum(axis=1), kind="stable"))
    order = order.astype(np.int64)
    alive_ids = order
    columns = [np.ascontiguousarray(distinct[order, j]) for j in range(u.shape[1])]
    members: list[np.ndarray] = []
    while alive_ids.size:
        batch = np.column_stack([c[:_BATCH] for c in columns])
        inner = dominates(batch[None, :, :], batch[:, None, :])  # [i, j]: j dominates i
        leading = ~inner.any(axis=1)
        leaders = batch[leading]
        members.append(alive_ids[: len(batch)][leading])
        rest = [c[len(batch) :] for c in columns]
        # Rows are distinct, so being <= a leader everywhere means being dominated by it.
        # Compared one coordinate at a time into a (rows x leaders) table, in place.
        beaten = rest[0][:, None] <= leaders[None, :, 0]
        for j in range(1, len(rest)):
            beaten &= rest[j][:, None] <= leaders[None, :, j]
        keep = ~beaten.any(axis=1)
        columns = [c[keep] for c in rest]
        alive_ids = alive_ids[len(batch) :][keep]
    on_frontier = np.zeros(len(distinct), dtype=bool)
    on_frontier[np.concatenate(members)] = True
    return on_frontier[inverse]


def _distinct_rows(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows in lexicographic ascending order, and each row's position among them."""
    order = np.lexsort(u.T[::-1])
    ordered = u[order]
    new = np.ones(len(u), dtype=bool)
    new[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    inverse = np.empty(len(u), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse
