"""Exact Pareto frontier of linear-additive parties, without enumerating the space.

With linear-additive utilities the utility vector of an outcome is a sum of one point per
issue, ``u(o) = sum_i (T1_i[o_i], ..., Tn_i[o_i])``, so the set of all utility vectors is
the Minkowski sum of the issues' point sets, and the Pareto frontier of a Minkowski sum lies
inside the Minkowski sum of the frontiers: a partial sum dominated by another partial sum
stays dominated whatever completion both receive. Building the sum issue by issue and
pruning dominated partial sums after each issue is the Nemhauser–Ullmann algorithm
(G. L. Nemhauser and Z. Ullmann, "Discrete dynamic programming and capital allocation",
*Management Science* 15(9), 1969), here for a multiple-choice sum in any number of
objectives. Its work is governed by the size of the intermediate frontiers, not by the size
of the space. For random values that size is polynomial in expectation (R. Beier and
B. Vöcking, "Random knapsack in expected polynomial time", *J. Comput. Syst. Sci.* 69(3),
2004), but its degree grows with the number of objectives: a random 20-issue, 10-option
space (10**20 outcomes) has a few hundred frontier vectors for two parties (milliseconds),
some 10**4 for three (under a second), some 10**5 for four, where the frontier itself,
not the method, makes the work large.

Pruning a level. For two parties one sort and a running maximum find the dominated partial
sums. For more, partial sums are taken in order of decreasing coordinate sum (every
dominator comes first); a batch of the first ones still alive leads, and every later partial
sum a leader dominates is discarded, as in :func:`servanda.analysis.pareto.pareto_mask`. The
comparisons are made one coordinate at a time into boolean tables of bounded size, for the
partial sums inside the leaders' bounding box only. The cost is about the number of partial
sums times the size of the level's frontier.

Every distinct partial vector of a level keeps back-pointers, the (previous row, option
group) pairs that produce it exactly, so the tied outcomes of a frontier vector are never
lost: they are counted exactly by dynamic programming and listed lazily, in index order.

Floating point. The contributions are added in issue order starting from ``0.0``, exactly as
:meth:`servanda.model.preferences.Preferences.evaluate` adds them, so the frontier's
utilities are bit-identical to evaluating its outcomes. Rounding is monotone, so a partial
sum that is weakly dominated stays weakly dominated; but a *strict* dominance can collapse
into a tie after later roundings (``0.1 + 0.2 + 1.0 == 0.3 + 1.0``). Pruning such a partial
sum would lose outcomes tied with a frontier vector. A partial sum is therefore pruned only
when the dominating one is at least as good for every party and ahead for some party ``p``
by more than a bound on the rounding error the remaining additions can make for ``p``
(``4 * remaining * 2**-53 * sum_i max|T_p,i|``, twice the standard bound); the few partial
sums kept within that margin are removed exactly at the last issue, where the margin is
zero. The result is the exact frontier of the floating-point utilities, with exact tie sets
and counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from servanda.analysis.pareto import run_starts, undominated
from servanda.errors import ScenarioError

__all__ = ["AdditiveFrontier", "additive_pareto_frontier"]

#: Four times the unit roundoff of float64: an addition's result moves by at most
#: ``2**-53 * |sum|``; the factor of two above the sum of both sides' errors is slack that
#: also covers the rounding of the comparison itself.
_ROUNDING_MARGIN = 2.0**-51
_INT64_MAX = 2**63 - 1


@dataclass(frozen=True, eq=False)
class _Level:
    """Back-pointers from the distinct vectors of one level (issues ``0..i``) to the level
    before: row ``r``'s producing pairs are ``parent[row_start[r]:row_start[r+1]]`` with the
    matching ``group``; group ``g`` of issue ``i`` stands for the options
    ``group_options[group_start[g]:group_start[g+1]]`` (ascending), which all contribute the
    same point to every party."""

    row_start: np.ndarray
    parent: np.ndarray
    group: np.ndarray
    group_start: np.ndarray
    group_options: np.ndarray


@dataclass(frozen=True, eq=False)
class AdditiveFrontier:
    """The Pareto frontier of linear-additive parties, with every tie accounted for.

    Attributes
    ----------
    utilities : ndarray, shape (m, parties)
        One row per distinct frontier utility vector, in lexicographically descending order:
        first party's utility descending, ties broken by the second party's descending, and
        so on. (With two parties the first utility is then strictly descending and the
        second strictly ascending.)
    outcomes : ndarray, shape (m, k), int64
        One representative outcome (option indices) per row: the lowest in mixed-radix
        index order (last issue fastest) among the outcomes tied at that row.
    counts : tuple of int
        Exact number of outcomes tied at each row (Python ints; may exceed 2**63).
    """

    utilities: np.ndarray
    outcomes: np.ndarray
    counts: tuple[int, ...]
    _levels: tuple[_Level, ...] = field(repr=False)

    def __len__(self) -> int:
        return int(self.utilities.shape[0])

    def tied_outcomes(self, row: int, limit: int = 1000) -> np.ndarray:
        """All outcomes whose utility vector is exactly ``utilities[row]``, in index order.

        Parameters
        ----------
        row : int
            Row of the frontier (``0 <= row < len(self)``).
        limit : int, default 1000
            Return at most this many (the first ones in index order); ``counts[row]`` says
            how many there are in all.

        Returns
        -------
        ndarray, shape (min(limit, counts[row]), k), int64
        """
        row = int(row)
        if not 0 <= row < len(self):
            raise IndexError(f"frontier row {row} outside [0, {len(self)})")
        limit = int(limit)
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        return _expand(self._levels, row, limit)


def additive_pareto_frontier(
    tables: Sequence[Sequence[np.ndarray]],
    allowed: Sequence[np.ndarray] | None = None,
) -> AdditiveFrontier:
    """Exact Pareto frontier of parties with linear-additive utilities.

    An outcome is on the frontier when no other outcome gives every party at least as much
    and one of them more. Outcomes tied in every utility are on it together.

    Parameters
    ----------
    tables : sequence (one per party) of sequences (one per issue) of 1-d arrays
        ``tables[p][i]`` holds the utility each option of issue ``i`` contributes to party
        ``p`` (``Preferences.weighted_tables`` of party ``p``). Every party has one table per
        issue, and the tables of one issue have equal lengths.
    allowed : sequence of 1-d boolean arrays, optional
        Per issue, the options that may be used (say, those left by red lines). Default: all.

    Returns
    -------
    AdditiveFrontier

    Raises
    ------
    ValueError
        When there is no party, the tables or masks do not match in number or shape, or a
        value is not finite.
    ScenarioError
        When an issue has no allowed option (then no outcome exists).
    """
    per_issue, masks = _validate(tables, allowed)
    n_parties = len(tables)
    k = len(per_issue)
    # Bound on |partial sum| of each party, for the rounding margin.
    scales = np.array(
        [
            sum(float(np.abs(t[p][m]).max()) for t, m in zip(per_issue, masks))
            for p in range(n_parties)
        ]
    )

    u = [np.zeros(1) for _ in range(n_parties)]  # the kept partial sums, one array per party
    count: np.ndarray = np.ones(1, dtype=np.int64)
    rank = np.zeros(1, dtype=np.int64)  # order of rows by their lowest prefix
    prefixes_bound = 1  # no row counts more prefixes than exist
    levels: list[_Level] = []
    best_parent: list[np.ndarray] = []
    best_option: list[np.ndarray] = []

    for i in range(k):
        # Options of this issue: drop those beaten beyond the margin by another option of it
        # (for every completion), then merge exact ties into groups.
        remaining = k - i
        g, group_start, group_options = _option_groups(
            per_issue[i], masks[i], remaining * _ROUNDING_MARGIN * scales
        )
        n_groups = g[0].size
        group_size = np.diff(group_start)
        group_min = group_options[group_start[:-1]]

        # Candidates: every kept row plus every group, added as ``evaluate`` adds.
        c = [(a[:, None] + b[None, :]).ravel() for a, b in zip(u, g)]
        remaining -= 1
        keep = np.flatnonzero(undominated(c, remaining * _ROUNDING_MARGIN * scales))

        # Distinct vectors, lexicographically descending.
        keep = keep[np.lexsort([-column[keep] for column in reversed(c)])]
        c = [column[keep] for column in c]
        parent, group = np.divmod(keep, n_groups)
        del keep
        new_row = run_starts(c)
        starts = np.flatnonzero(new_row)
        row_start = np.append(starts, c[0].size).astype(np.int64)
        row_of_pair = np.cumsum(new_row) - 1

        # Exact counts: a pair stands for count[parent] * |group| outcomes.
        prefixes_bound *= int(masks[i].sum())
        if prefixes_bound > _INT64_MAX and count.dtype != object:
            count = count.astype(object)
        sizes = group_size.astype(object) if count.dtype == object else group_size
        count = np.add.reduceat(count[parent] * sizes[group], starts)

        # Lowest outcome of each row: the pair with the lowest (parent's lowest prefix,
        # lowest option of the group); distinct parents have disjoint prefix sets, so the
        # parents' ranks order their lowest prefixes strictly.
        pair_rank = rank[parent]
        pair_min = group_min[group]
        best = np.lexsort((pair_min, pair_rank, row_of_pair))[starts]
        best_parent.append(parent[best])
        best_option.append(pair_min[best])
        rank = np.empty(starts.size, dtype=np.int64)
        rank[np.lexsort((pair_min[best], pair_rank[best]))] = np.arange(starts.size)

        levels.append(
            _Level(
                row_start=row_start,
                parent=parent.astype(_index_dtype(u[0].size)),
                group=group.astype(_index_dtype(n_groups)),
                group_start=group_start,
                group_options=group_options,
            )
        )
        u = [column[starts] for column in c]

    # Representatives by following the best pairs back to the first issue.
    m = u[0].size
    outcomes = np.empty((m, k), dtype=np.int64)
    rows = np.arange(m)
    for i in range(k - 1, -1, -1):
        outcomes[:, i] = best_option[i][rows]
        rows = best_parent[i][rows]

    utilities = np.column_stack(u)
    utilities.setflags(write=False)
    outcomes.setflags(write=False)
    return AdditiveFrontier(
        utilities=utilities,
        outcomes=outcomes,
        counts=tuple(int(c) for c in count),
        _levels=_prune_unreachable(levels, m),
    )


# -- building blocks ---------------------------------------------------------------------


def _validate(
    tables: Sequence[Sequence[np.ndarray]], allowed: Sequence[np.ndarray] | None
) -> tuple[list[list[np.ndarray]], list[np.ndarray]]:
    """The tables regrouped by issue (``per_issue[i][p]``) as floats, and the masks."""
    if len(tables) == 0:
        raise ValueError("at least one party's value tables are needed")
    # ``+ 0.0`` turns -0.0 into 0.0 and changes nothing else; partial sums start at 0.0, so
    # no sum ever differs by it, and exact-tie grouping may then compare values with ``==``.
    by_party = [[np.asarray(t, dtype=float) + 0.0 for t in party] for party in tables]
    k = len(by_party[0])
    for p, party in enumerate(by_party):
        if len(party) != k:
            raise ValueError(f"party 0 has {k} value tables, party {p} has {len(party)}")
    if allowed is None:
        masks = [np.ones(t.shape, dtype=bool) for t in by_party[0]]
    else:
        masks = [np.asarray(a) for a in allowed]
        if len(masks) != k:
            raise ValueError(f"{k} issues but {len(masks)} allowed-option masks")
    per_issue = [[party[i] for party in by_party] for i in range(k)]
    for i, (issue, mask) in enumerate(zip(per_issue, masks)):
        shapes = [t.shape for t in issue]
        if issue[0].ndim != 1 or any(s != shapes[0] for s in shapes):
            raise ValueError(
                f"issue {i}: value tables must be 1-d and of equal length, got shapes "
                + ", ".join(str(s) for s in shapes)
            )
        if mask.shape != shapes[0]:
            raise ValueError(
                f"issue {i}: allowed mask has shape {mask.shape}, tables {shapes[0]}"
            )
        if mask.dtype != bool:
            raise ValueError(f"issue {i}: allowed mask must be boolean, got {mask.dtype}")
        if not all(np.all(np.isfinite(t)) for t in issue):
            raise ValueError(f"issue {i}: option values must be finite numbers")
        if not mask.any():
            raise ScenarioError(
                f"issue {i} has no allowed option, so no outcome exists", location=f"issue {i}"
            )
    return per_issue, masks


def _index_dtype(n: int) -> type:
    return np.int32 if n <= np.iinfo(np.int32).max else np.int64


def _option_groups(
    issue: list[np.ndarray], mask: np.ndarray, margins: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The points of one issue that can matter, with the options behind each point.

    ``issue[p]`` is party ``p``'s table. Returns the points' coordinates (one array per
    party), CSR offsets ``group_start`` and the option indices ``group_options``, ascending
    within each group."""
    options = np.flatnonzero(mask)
    points = [t[options] for t in issue]
    alive = undominated(points, margins)
    options = options[alive]
    points = [column[alive] for column in points]
    order = np.lexsort([options] + points[::-1])
    options = options[order]
    points = [column[order] for column in points]
    starts = np.flatnonzero(run_starts(points))
    group_start = np.append(starts, options.size).astype(np.int64)
    return [column[starts] for column in points], group_start, options.astype(np.int64)


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, e) for s, e in zip(starts, stops)])``, vectorised."""
    lengths = np.asarray(stops, dtype=np.int64) - np.asarray(starts, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    begin = np.cumsum(lengths) - lengths
    return np.repeat(starts - begin, lengths) + np.arange(total, dtype=np.int64)


def _prune_unreachable(levels: list[_Level], final_rows: int) -> tuple[_Level, ...]:
    """Keep only the rows (and their pairs) from which some frontier row is produced,
    renumbered in order, so the result holds no partial sums that lead nowhere."""
    kept: list[_Level] = []
    alive = np.arange(final_rows)
    for i in range(len(levels) - 1, -1, -1):
        level = levels[i]
        lo, hi = level.row_start[alive], level.row_start[alive + 1]
        pairs = _ranges(lo, hi)
        parent = level.parent[pairs]
        used = np.zeros(levels[i - 1].row_start.size - 1 if i else 1, dtype=bool)
        used[parent] = True
        alive = np.flatnonzero(used)
        kept.append(
            _Level(
                row_start=np.concatenate([[0], np.cumsum(hi - lo)]).astype(np.int64),
                parent=(np.cumsum(used) - 1)[parent].astype(level.parent.dtype),
                group=level.group[pairs],
                group_start=level.group_start,
                group_options=level.group_options,
            )
        )
    return tuple(reversed(kept))


def _expand(levels: Sequence[_Level], row: int, limit: int) -> np.ndarray:
    """The first ``limit`` outcomes, in index order, that end at final ``row``."""
    k = len(levels)
    if limit == 0:
        return np.empty((0, k), dtype=np.int64)
    # Backwards: the rows that lead to ``row`` and the (parent, option, child) edges between
    # them, each level's edges sorted by parent then option.
    alive = np.array([row], dtype=np.int64)
    edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for level in reversed(levels):
        lo, hi = level.row_start[alive], level.row_start[alive + 1]
        pairs = _ranges(lo, hi)
        child = np.repeat(np.arange(alive.size), hi - lo)
        groups = level.group[pairs]
        g_lo, g_hi = level.group_start[groups], level.group_start[groups + 1]
        spread = np.repeat(np.arange(pairs.size), g_hi - g_lo)
        option = level.group_options[_ranges(g_lo, g_hi)]
        parent = level.parent[pairs][spread]
        alive = np.unique(parent)
        parent = np.searchsorted(alive, parent)
        order = np.lexsort((option, parent))
        edges.append((parent[order], option[order], child[spread][order]))
    edges.reverse()

    # Forwards: every prefix here extends to at least one outcome, and extending prefixes
    # in index order by options in ascending order keeps index order, so the first ``limit``
    # prefixes of each level are all the first ``limit`` outcomes need.
    prefixes = np.empty((1, 0), dtype=np.int64)
    node = np.zeros(1, dtype=np.int64)
    for parent, option, child in edges:
        first_edge = np.searchsorted(parent, np.arange(int(parent.max()) + 1))
        degree = np.diff(np.append(first_edge, parent.size))
        lo = first_edge[node]
        take = _ranges(lo, lo + degree[node])[:limit]
        source = np.repeat(np.arange(node.size), degree[node])[:limit]
        prefixes = np.column_stack([prefixes[source], option[take]])
        node = child[take]
    return prefixes
