"""Robust analysis under uncertain preferences: how likely each conclusion is.

Stochastic acceptability. Preferences are drawn from an
:class:`~servanda.model.uncertainty.UncertainScenario`, and for every draw the analysis of
:mod:`servanda.analysis.report` is redone: which outcomes are Pareto-efficient (among those
breaking no red line), which lie in the zone of possible agreement, which is the Nash point
and which the Kalai–Smorodinsky point (:mod:`servanda.analysis.solutions`, same criteria,
same tie-breaking). Counting over the draws gives each outcome's *acceptability* for each
role, and the share of draws with a non-empty zone the probability that any agreement
exists. This is stochastic multicriteria acceptability analysis (R. Lahdelma, J. Hokkanen and
P. Salminen, "SMAA — Stochastic multiobjective acceptability analysis", *European Journal
of Operational Research* 106(1), 1998; R. Lahdelma and P. Salminen, "SMAA-2", *Operations
Research* 49(3), 2001) with the outcomes of a negotiation as the alternatives and the
parties' solution concepts as the decision rule. Every proportion comes with a Wilson
score interval (E. B. Wilson, *JASA* 22(158), 1927).

How it is computed. Draws are processed in chunks, every chunk as arrays (samples x
outcomes); there is no Python loop over outcomes. With linear-additive preferences and red
lines on single issues (the issue-by-issue case of :mod:`servanda.analysis.frontier`) the
outcomes breaking no red line are a box, the product of the allowed options, and a chunk's
utilities are built as outer sums over the issues, added in the order
:meth:`~servanda.model.preferences.Preferences.evaluate` adds them (so they are the very
floats an analysis of the drawn scenario sees). Efficiency and the bargaining solutions are
then decided among *candidates*: an outcome using an option that another option of the same
issue beats for every party (by more than a bound on the rounding of the sums) is
dominated — swap the option — so per draw only outcomes built from undominated options can
be efficient, and the Nash and Kalai–Smorodinsky points are efficient; with three parties or
more the same test on every pair of issues narrows the candidates further. Efficiency among
the candidates is decided exactly: for two parties by one sort per draw, all draws at once;
for more by :func:`servanda.analysis.pareto.pareto_mask`, one call per draw. The solutions
are vectorised over the draws, and a draw whose best candidates tie in criterion and in sum
of utilities is settled by the solution functions themselves. Otherwise (interaction terms,
red lines over several issues) every outcome breaking no red line is a candidate, and
utilities are gathered per outcome. The tests check every count against one
:func:`~servanda.analysis.analyze` per draw.

Exact answer for interval weights. When option values are exact and only weights vary,
dominance of one outcome over another is linear in each party's weights, so whether it can
happen for *some* weights, or happens for *every* weight, is read off the extreme points
of the weights' support (:func:`interval_efficiency`): the outcomes efficient for every
weight vector, and those that some outcome dominates for every weight vector (never
efficient), without sampling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Any

import numpy as np

from servanda.analysis.frontier import additive_applicable, allowed_options
from servanda.analysis.pareto import pareto_mask, undominated
from servanda.analysis.report import Analysis, analyze
from servanda.analysis.solutions import kalai_smorodinsky_point, nash_point
from servanda.analysis.utilities import red_line_breaches, utilities
from servanda.errors import ServandaError, UnsupportedError
from servanda.model import DEFAULT_ENUMERATION_LIMIT, Scenario
from servanda.model.space import count_text
from servanda.model.uncertainty import Interval, UncertainScenario

Progress = Callable[[int, int], None]

#: Default largest number of outcomes (breaking no red line) a robust analysis tracks:
#: every one gets a count per role, and each chunk of draws is evaluated on all of them.
ROBUST_LIMIT = 5_000_000
#: Draws are made this many at a time, so that a seed and a number of samples fix the
#: draws whatever the chunk size.
DRAW_BLOCK = 4096
#: Cells (samples x outcomes x parties) of one chunk's arrays; bounds the memory.
CHUNK_CELLS = 1 << 22
#: Roles an outcome can play in a draw, in the order they are reported.
ROLES = ("nash", "kalai_smorodinsky", "efficient", "zone")
ROLE_TITLES = {
    "nash": "Nash point",
    "kalai_smorodinsky": "Kalai-Smorodinsky point",
    "efficient": "efficient",
    "zone": "in the zone",
}
#: Four times the unit roundoff: twice the standard bound on the rounding of a sum (as in
#: :mod:`servanda.analysis.additive_frontier`).
_ROUNDING = 2.0**-51
#: Largest number of options of one issue compared pairwise at once across draws.
_PAIRWISE_OPTIONS = 128
#: Largest number of option pairs of two issues the pair filter compares across draws.
_PAIR_POINTS = 64


# -- proportions -------------------------------------------------------------------------
def wilson_interval(
    successes: np.ndarray | int, trials: int, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion, elementwise.

    Parameters
    ----------
    successes : int or array of int
    trials : int
        At least 1.
    confidence : float, default 0.95
        In (0, 1).

    Returns
    -------
    (low, high) : arrays of the shape of ``successes``, inside [0, 1], always containing
    ``successes / trials`` (0 and 1 included, where a Wald interval would collapse).
    """
    if trials < 1:
        raise ValueError(f"a proportion needs at least one trial, got {trials}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    k = np.asarray(successes, dtype=float)
    p = k / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    low = np.clip(centre - half, 0.0, 1.0)
    high = np.clip(centre + half, 0.0, 1.0)
    # Rounding must not push the bounds past the estimate (at 0 and 1 they touch it).
    return np.minimum(low, p), np.maximum(high, p)


# -- the outcomes tracked ----------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Tracked:
    """The outcomes breaking no red line, in index order: as a box (the product of each
    issue's allowed options) when the red lines bear on single issues, otherwise listed.

    A box's arrays per draw are laid out with the *first* issue varying fastest, so that the
    outer sums run their inner loops over long rows; ``rows`` maps that layout to index
    order (``rows[q]`` is the index-order row of layout position ``q``)."""

    indices: np.ndarray  # (m,) int64, index order
    options: list[np.ndarray] | None  # per issue, the allowed options (box only)
    rows: np.ndarray | None  # (m,) layout position -> index-order row (box only)
    digits: np.ndarray | None  # (m, k) (listed only)
    interactions: list[list[np.ndarray]] | None  # per party, per term, contribution (listed only)

    @property
    def size(self) -> int:
        return int(self.indices.size)

    @property
    def is_box(self) -> bool:
        return self.options is not None


def _tracked(scenario: Scenario, limit: int) -> _Tracked:
    space = scenario.space
    if space.size > np.iinfo(np.int64).max:
        from servanda.errors import SpaceTooLargeError

        raise SpaceTooLargeError(
            f"scenario '{scenario.name}' has {count_text(space.size)} outcomes; a robust analysis "
            "addresses outcomes by int64 index, so the space must stay below 2**63"
        )
    if additive_applicable(scenario):
        allowed = allowed_options(scenario)
        options = [np.flatnonzero(mask) for mask in allowed]
        size = math.prod(o.size for o in options)
        _require_size(scenario, size, limit)
        if size == 0:
            empty = np.empty(0, dtype=np.int64)
            return _Tracked(empty, options, empty, None, None)
        strides = _strides([issue.size for issue in scenario.issues])
        indices = _outer([(o * stride)[None, :] for o, stride in zip(options, strides)], np.add)[0]
        box_strides = _strides([o.size for o in options])
        rows = _outer_first_fastest(
            [(np.arange(o.size) * stride)[None, :] for o, stride in zip(options, box_strides)], np.add
        )[0]
        return _Tracked(indices.astype(np.int64), options, rows.astype(np.int64), None, None)
    # Red lines over several issues: walk the space (within the enumeration limit) and keep
    # the outcomes breaking none, at most ``limit`` of them.
    walk = max(limit, DEFAULT_ENUMERATION_LIMIT)
    if space.size > walk:
        from servanda.errors import SpaceTooLargeError

        raise SpaceTooLargeError(
            f"scenario '{scenario.name}' has {count_text(space.size)} outcomes and red lines over "
            f"several issues: finding those that break none would enumerate more than {walk:,}"
        )
    kept_digits, kept_indices = [], []
    done = kept = 0
    for digits in space.chunks(limit=walk):
        ok = ~red_line_breaches(scenario, digits).any(axis=1)
        kept += int(ok.sum())
        _require_size(scenario, kept, limit)
        kept_digits.append(digits[ok])
        kept_indices.append(np.arange(done, done + len(digits), dtype=np.int64)[ok])
        done += len(digits)
    digits = np.concatenate(kept_digits) if kept_digits else np.empty((0, len(scenario.issues)), np.int64)
    terms = [
        [term.evaluate(digits) for term in party.preferences.interactions] for party in scenario.parties
    ]
    indices = np.concatenate(kept_indices) if kept_indices else np.empty(0, np.int64)
    return _Tracked(indices, None, None, digits, terms)


def _strides(sizes: list[int]) -> np.ndarray:
    """Mixed-radix strides, last position fastest."""
    return np.cumprod([1] + list(sizes[::-1]), dtype=np.int64)[::-1][1:]


def _require_size(scenario: Scenario, size: int, limit: int) -> None:
    from servanda.errors import SpaceTooLargeError

    if size > limit:
        raise SpaceTooLargeError(
            f"scenario '{scenario.name}': a robust analysis tracks every outcome that breaks no "
            f"red line, here {count_text(size)}, more than the limit of {limit:,}; raise the "
            "limit (--limit) if memory allows"
        )


def _outer(parts: list[np.ndarray], op: Any) -> np.ndarray:
    """``op``-combination of per-issue arrays ``(rows, n_i)`` over every combination of one
    entry per issue, last issue fastest (index order): shape ``(rows, prod n_i)``."""
    acc = parts[0]
    for part in parts[1:]:
        acc = op(acc[:, :, None], part[:, None, :]).reshape(acc.shape[0], -1)
    return acc


def _outer_first_fastest(parts: list[np.ndarray], op: Any, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`_outer` laid out with the first issue fastest (the box layout), several times
    faster: the inner loops run over the long rows built so far. With ``np.add`` the terms
    are added in issue order (``y + x`` is ``x + y`` exactly), as ``Preferences.evaluate``
    adds them, so the sums are the very same floats."""
    acc = parts[0]
    for k, part in enumerate(parts[1:], start=2):
        shape = (acc.shape[0], part.shape[1], acc.shape[1])
        if k == len(parts) and out is not None:
            op(part[:, :, None], acc[:, None, :], out=out.reshape(shape))
            return out
        acc = op(part[:, :, None], acc[:, None, :]).reshape(acc.shape[0], -1)
    if out is not None:
        out[...] = acc
        return out
    return acc


# -- acceptability -----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Acceptability:
    """How often each outcome played each role over the draws.

    Attributes
    ----------
    model : UncertainScenario
    samples, seed : int
        The draws: ``samples`` preference tables from ``numpy.random.default_rng(seed)``.
    red_lines_respected : bool
        False when the analysis dropped every red line (what if nothing were non-negotiable).
    method : str
    indices : ndarray of int64, shape (m,)
        The outcomes breaking no red line (every outcome, red lines dropped), in index order.
    counts : dict of role -> ndarray of int, shape (m,)
        Draws in which the outcome was the Nash point, the Kalai–Smorodinsky point,
        Pareto-efficient, in the zone of possible agreement.
    agreement : int
        Draws in which the zone of possible agreement was not empty.
    """

    model: UncertainScenario
    samples: int
    seed: int | None
    red_lines_respected: bool
    method: str
    indices: np.ndarray
    counts: dict[str, np.ndarray]
    agreement: int

    @property
    def scenario(self) -> Scenario:
        return self.model.scenario

    def __len__(self) -> int:
        return int(self.indices.size)

    def probability(self, role: str) -> np.ndarray:
        """Share of the draws in which each outcome played ``role`` (one of :data:`ROLES`)."""
        return self.counts[_role(role)] / self.samples

    def interval(self, role: str, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Wilson score interval of :meth:`probability`."""
        return wilson_interval(self.counts[_role(role)], self.samples, confidence)

    @property
    def agreement_probability(self) -> float:
        """Share of the draws in which some outcome is in the zone of possible agreement."""
        return self.agreement / self.samples

    def agreement_interval(self, confidence: float = 0.95) -> tuple[float, float]:
        low, high = wilson_interval(self.agreement, self.samples, confidence)
        return float(low), float(high)

    def ranking(self, by: str = "nash", top: int | None = 10) -> np.ndarray:
        """Rows of the outcomes that played ``by`` in some draw, most often first (ties: the
        other roles in :data:`ROLES` order, then the lowest index), at most ``top``."""
        by = _role(by)
        keys = [self.counts[by]] + [self.counts[r] for r in ROLES if r != by]
        rows = np.flatnonzero(self.counts[by] > 0)
        order = np.lexsort([rows] + [-key[rows] for key in reversed(keys)])
        rows = rows[order]
        return rows if top is None else rows[:top]

    def leading(self, top: int) -> list[int]:
        """Rows of the ``top`` most acceptable compromises: the outcomes most often the Nash
        point, topped up with those most often the Kalai-Smorodinsky point."""
        rows = [int(row) for row in self.ranking("nash", top)]
        for row in self.ranking("kalai_smorodinsky", None):
            if len(rows) >= top:
                break
            if row not in rows:
                rows.append(int(row))
        return rows

    def row_of(self, index: int) -> int | None:
        """Row of the outcome with this index, None if it breaks a red line."""
        row = int(np.searchsorted(self.indices, index))
        return row if row < self.indices.size and int(self.indices[row]) == index else None

    def outcome(self, row: int) -> tuple[int, ...]:
        """Option indices of the outcome at ``row``."""
        return tuple(int(d) for d in self.scenario.space.digits(self.indices[row : row + 1])[0])


def _role(role: str) -> str:
    if role not in ROLES:
        raise ServandaError(f"unknown role '{role}'; expected one of {', '.join(ROLES)}")
    return role


def acceptability(
    model: UncertainScenario | Scenario,
    samples: int = 1000,
    seed: int | None = 0,
    *,
    respect_red_lines: bool = True,
    limit: int | None = None,
    chunk_cells: int = CHUNK_CELLS,
    progress: Progress | None = None,
) -> Acceptability:
    """Stochastic acceptability of every outcome under uncertain preferences.

    Parameters
    ----------
    model : UncertainScenario or Scenario
        A plain scenario has nothing uncertain: every probability is then 0 or 1.
    samples : int, default 1000
        Number of preference draws.
    seed : int or None, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed and ``samples`` give the
        same draws and figures, whatever ``chunk_cells``.
    respect_red_lines : bool, default True
        False: drop every red line first (the what-if analysis of an impasse).
    limit : int, optional
        Largest number of outcomes breaking no red line to track (default
        :data:`ROBUST_LIMIT`).
    chunk_cells : int, default 2**22
        Bounds the size of a chunk's arrays (samples x outcomes x parties).
    progress : callable, optional
        Called as ``progress(done, samples)`` after each chunk.

    Returns
    -------
    Acceptability

    Raises
    ------
    SpaceTooLargeError
        When more than ``limit`` outcomes break no red line.
    """
    if isinstance(model, Scenario):
        model = UncertainScenario.exact(model)
    samples = int(samples)
    if samples < 1:
        raise ServandaError(f"the number of samples must be at least 1, got {samples}")
    scenario = model.scenario if respect_red_lines else model.scenario.without_red_lines()
    tracked = _tracked(scenario, ROBUST_LIMIT if limit is None else int(limit))
    m, parties = tracked.size, len(scenario.parties)
    counts = {role: np.zeros(m, dtype=np.int64) for role in ROLES}
    agreement = 0
    rng = np.random.default_rng(seed)
    rows_per_chunk = max(1, int(chunk_cells) // max(1, m * (parties + 2)))
    done = 0
    for start in range(0, samples, DRAW_BLOCK):
        block = model.sample(rng, min(DRAW_BLOCK, samples - start))
        for lo in range(0, len(block), rows_per_chunk):
            draws = block.take(slice(lo, lo + rows_per_chunk))
            if m:
                agreement += _chunk(scenario, tracked, draws, counts)
            done += len(draws)
            if progress is not None:
                progress(done, samples)
    if tracked.is_box and m:
        assert tracked.rows is not None
        for role in ROLES:  # box layout -> index order
            ordered = np.empty_like(counts[role])
            ordered[tracked.rows] = counts[role]
            counts[role] = ordered
    method = (
        "candidates from undominated options (linear-additive)" if tracked.is_box else "enumeration"
    )
    return Acceptability(
        UncertainScenario(scenario, model.parties), samples, seed, respect_red_lines, method,
        tracked.indices, counts, agreement,
    )


def _chunk(scenario: Scenario, tracked: _Tracked, draws: Any, counts: dict[str, np.ndarray]) -> int:
    """Add one chunk of draws to the counts (box: in the box layout); returns the number of
    draws with an agreement."""
    n, parties = len(draws), len(scenario.parties)
    reservations = draws.reservations
    m = tracked.size
    if tracked.is_box:
        assert tracked.options is not None and tracked.rows is not None
        weighted = [draws.weighted(i)[:, :, options] for i, options in enumerate(tracked.options)]
        member, positions, cand_utils, ok = _box_candidates(weighted, tracked.rows, reservations)
    else:
        assert tracked.digits is not None and tracked.interactions is not None
        digits = tracked.digits
        positions = np.arange(m)
        cand_utils = np.empty((n, m, parties))
        for j in range(parties):
            u = np.zeros((n, m))
            for i in range(digits.shape[1]):
                u += draws.weighted(i)[:, j, :][:, digits[:, i]]
            for term in tracked.interactions[j]:
                u += term[None, :]
            cand_utils[:, :, j] = u
        ok = np.all(cand_utils >= reservations[:, None, :], axis=2)
        member = np.ones((n, m), dtype=bool)
    counts["zone"] += ok.view(np.uint8).sum(axis=0, dtype=np.int64)
    agreed = int(ok.any(axis=1).sum())
    feasible = member & ok[:, positions]
    del ok
    for role, winners in _solutions(cand_utils, reservations, feasible).items():
        counts[role] += np.bincount(positions[winners[winners >= 0]], minlength=m)
    efficient = _efficient(cand_utils, member)
    counts["efficient"] += np.bincount(positions[np.nonzero(efficient)[1]], minlength=m)
    return agreed


def _box_candidates(
    weighted: list[np.ndarray], rows: np.ndarray, reservations: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For a chunk of draws over a box: the candidates and the zone.

    Returns ``member`` (n, c): which candidates each draw keeps; ``positions`` (c,): their
    box-layout positions, in index order; their utilities (n, c, parties); and the zone
    mask over the whole box (n, m), box layout."""
    n, parties = weighted[0].shape[:2]
    k = len(weighted)
    # Rounding bound of a sum of k terms, per draw and party (see the module docstring).
    scale = sum(np.abs(t).max(axis=2) for t in weighted)
    margins = k * _ROUNDING * scale
    candidates = [_undominated_options(t, margins) for t in weighted]
    option_sets = [np.flatnonzero(c.any(axis=0)) for c in candidates]
    sizes = [t.shape[2] for t in weighted]
    box_strides = np.cumprod([1] + sizes[:-1])  # first issue fastest
    layout = _outer_first_fastest(
        [(o * stride)[None, :] for o, stride in zip(option_sets, box_strides)], np.add
    )[0]
    order = np.argsort(rows[layout], kind="stable")
    positions = layout[order]
    member = _outer_first_fastest([c[:, o] for c, o in zip(candidates, option_sets)], np.logical_and)
    if parties >= 3:
        _pair_filter(weighted, candidates, option_sets, margins, member)
    member = member[:, order]
    if parties >= 3:
        kept = member.any(axis=0)
        positions, member = positions[kept], member[:, kept]
    m = rows.size
    ok = np.ones((n, m), dtype=bool)
    above = np.empty((n, m), dtype=bool)
    u = np.empty((n, m))
    cand_utils = np.empty((n, positions.size, parties))
    for j in range(parties):
        _outer_first_fastest([t[:, j, :] for t in weighted], np.add, out=u)
        np.greater_equal(u, reservations[:, j, None], out=above)
        ok &= above
        cand_utils[:, :, j] = u[:, positions]
    return member, positions, cand_utils, ok


def _pair_filter(
    weighted: list[np.ndarray],
    candidates: list[np.ndarray],
    option_sets: list[np.ndarray],
    margins: np.ndarray,
    member: np.ndarray,
) -> None:
    """Narrow ``member`` (n, candidates in the box layout, the product of ``option_sets``)
    in place to the candidates whose options on every pair of issues no other pair of
    candidate options beats. Swapping both options of a beaten pair gives an outcome at
    least as good for every party (each of the party's two terms is at least as large, or
    its pair sum is larger by more than the rounding bound) and better for one (by more
    than the bound), so the outcome is dominated. Pairs of issues with more than
    :data:`_PAIR_POINTS` option pairs are skipped: the filter only narrows the candidates,
    efficiency is then decided among them exactly."""
    n, parties = weighted[0].shape[:2]
    k = len(weighted)
    sizes = [o.size for o in option_sets]
    # The layout is C order over (draw, issue k-1, ..., issue 0).
    grid = member.reshape([n] + sizes[::-1])
    for a in range(k):
        for b in range(a + 1, k):
            na, nb = sizes[a], sizes[b]
            if na * nb > _PAIR_POINTS or na * nb < 2:
                continue
            x = weighted[a][:, :, option_sets[a]]  # (n, parties, na)
            y = weighted[b][:, :, option_sets[b]]
            weak = np.ones((n, na * nb, na * nb), dtype=bool)
            strict = np.zeros((n, na * nb, na * nb), dtype=bool)
            for j in range(parties):
                total = (x[:, j, :, None] + y[:, j, None, :]).reshape(n, -1)
                ahead = total[:, :, None] - total[:, None, :] > margins[:, j, None, None]
                termwise = (
                    (x[:, j, :, None] >= x[:, j, None, :])[:, :, None, :, None]
                    & (y[:, j, :, None] >= y[:, j, None, :])[:, None, :, None, :]
                ).reshape(n, na * nb, na * nb)
                weak &= termwise | ahead
                strict |= ahead
            valid = candidates[a][:, option_sets[a], None] & candidates[b][:, None, option_sets[b]]
            beaten = (weak & strict & valid.reshape(n, -1)[:, :, None]).any(axis=1)
            if not beaten.any():
                continue
            # (n, na, nb) -> axes of issues b and a in the layout (b comes first there).
            shape = [n] + [1] * k
            shape[1 + k - 1 - b], shape[1 + k - 1 - a] = nb, na
            grid &= ~beaten.reshape(n, na, nb).transpose(0, 2, 1).reshape(shape)


def _efficient(utils: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Per draw, which member candidates are Pareto-efficient among the members: (n, c)."""
    n, c, parties = utils.shape
    if parties == 1:
        u = np.where(member, utils[:, :, 0], -np.inf)
        return member & (u == u.max(axis=1, keepdims=True))
    if parties == 2:
        return member & _efficient_2d(
            np.where(member, utils[:, :, 0], -np.inf), np.where(member, utils[:, :, 1], -np.inf)
        )
    out = np.zeros((n, c), dtype=bool)
    for s in range(n):
        rows = np.flatnonzero(member[s])
        out[s, rows[pareto_mask(utils[s, rows])]] = True
    return out


def _efficient_2d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows of points ``(a, b)`` (n, c): which are undominated within their row, ties kept
    together as :func:`pareto_mask` keeps them, for all rows at once.

    Sorted by ``a`` then ``b``, both descending, a point is dominated exactly when an
    earlier point with a larger ``a`` has a ``b`` at least as large (a running maximum over
    the earlier groups of equal ``a``), or the first point of its own group has a larger
    ``b``."""
    n, c = a.shape
    order = np.lexsort((-b, -a), axis=-1)
    sa = np.take_along_axis(a, order, axis=1)
    sb = np.take_along_axis(b, order, axis=1)
    starts = np.ones((n, c), dtype=bool)
    starts[:, 1:] = sa[:, 1:] != sa[:, :-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(c), 0), axis=1)  # the group's first
    running = np.maximum.accumulate(sb, axis=1)
    before = np.where(first > 0, np.take_along_axis(running, np.maximum(first - 1, 0), axis=1), -np.inf)
    leader = np.take_along_axis(sb, first, axis=1)
    dominated = (before >= sb) | (leader > sb)
    out = np.empty((n, c), dtype=bool)
    np.put_along_axis(out, order, ~dominated, axis=1)
    return out


def _undominated_options(table: np.ndarray, margins: np.ndarray) -> np.ndarray:
    """``table`` (n, parties, options): per draw, the options no other option beats, i.e.
    is at least as good for every party and better by more than ``margins[s, p]`` for one."""
    n, parties, size = table.shape
    if size <= _PAIRWISE_OPTIONS:
        # [s, b, a]: option b at least as good as option a for every party ...
        weakly = np.ones((n, size, size), dtype=bool)
        ahead = np.zeros((n, size, size), dtype=bool)
        for p in range(parties):
            column = table[:, p, :]
            weakly &= column[:, :, None] >= column[:, None, :]
            ahead |= column[:, :, None] > column[:, None, :] + margins[:, p, None, None]
        return ~(weakly & ahead).any(axis=1)
    out = np.empty((n, size), dtype=bool)
    for s in range(n):
        out[s] = undominated([table[s, p] for p in range(parties)], margins[s])
    return out


def _solutions(utils: np.ndarray, reservations: np.ndarray, feasible: np.ndarray) -> dict[str, np.ndarray]:
    """Per draw, the candidate row of the Nash and the Kalai–Smorodinsky point (-1: none),
    with the criteria, arithmetic and tie-breaking of :mod:`servanda.analysis.solutions`."""
    gains = utils - reservations[:, None, :]
    any_feasible = feasible.any(axis=1)
    # The same numpy reductions over the same contiguous rows as solutions._best.
    welfare = utils.sum(axis=2)
    best_gain = np.where(feasible[:, :, None], gains, -np.inf).max(axis=1)  # (n, parties)
    safe_best = np.where(np.isfinite(best_gain), best_gain, 0.0)
    ratio = np.ones_like(gains)
    np.divide(gains, safe_best[:, None, :], out=ratio, where=safe_best[:, None, :] > 0)
    criteria = {
        "nash": (np.prod(gains, axis=2), nash_point),
        "kalai_smorodinsky": (ratio.min(axis=2), kalai_smorodinsky_point),
    }
    out = {}
    for role, (score, solve) in criteria.items():
        score = np.where(feasible, score, -np.inf)
        tied = feasible & (score == score.max(axis=1, keepdims=True))
        best_welfare = np.where(tied, welfare, -np.inf)
        tied &= best_welfare == best_welfare.max(axis=1, keepdims=True)
        winners = np.where(any_feasible, np.argmax(tied, axis=1), -1)
        # Several candidates tied in criterion and welfare: let the solution function break
        # the tie (undominated first, then the lowest index), on that draw's candidates.
        for s in np.flatnonzero(any_feasible & (tied.sum(axis=1) > 1)):
            rows = np.flatnonzero(feasible[s])
            position = solve(utils[s, rows], reservations[s])
            winners[s] = rows[position] if position is not None else -1
        out[role] = winners
    return out


# -- exact answer for interval weights ---------------------------------------------------
@dataclass(frozen=True, eq=False)
class IntervalEfficiency:
    """Which outcomes are efficient for every weight vector the uncertainty allows, and
    which for none (option values exact, only weights uncertain).

    ``status`` is aligned with ``indices`` (the outcomes breaking no red line, index order):
    1 efficient for every weight vector, -1 never efficient (some outcome dominates it for
    every weight vector), 0 undetermined (efficient for some weights, or dominated by
    different outcomes for different weights). ``checked_never`` is False when the
    pairwise check was cut short by ``max_pairs`` (then more outcomes may be never
    efficient than ``status`` says)."""

    scenario: Scenario
    red_lines_respected: bool
    indices: np.ndarray
    status: np.ndarray
    checked_never: bool
    pairs: int  # outcome pairs compared

    @property
    def always(self) -> np.ndarray:
        """Indices of the outcomes efficient for every weight vector."""
        return self.indices[self.status == 1]

    @property
    def never(self) -> np.ndarray:
        """Indices of the outcomes proven never efficient."""
        return self.indices[self.status == -1]

    @property
    def undetermined(self) -> int:
        return int(np.count_nonzero(self.status == 0))


@dataclass(frozen=True)
class _Support:
    """Where one party's weights may lie, enough to tell the sign range of ``w . c``."""

    kind: str  # "fixed", "box" or "face"
    low: np.ndarray  # box: lower bounds; fixed: the weights; face: the fixed weights (0 on the face)
    high: np.ndarray  # box: upper bounds (may be inf)
    face: np.ndarray  # face: boolean mask of the Dirichlet's issues
    mass: float  # face: their total weight
    positive: np.ndarray  # per issue: the weight is > 0 for every allowed weight vector

    def extremes(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Smallest and largest ``w . c`` (rows of ``c``: issues last), up to a positive
        factor per weight vector, over the support."""
        if self.kind == "fixed":
            value = c @ self.low
            return value, value
        if self.kind == "face":
            fixed = c @ self.low
            on_face = c[..., self.face]
            return fixed + self.mass * on_face.min(axis=-1), fixed + self.mass * on_face.max(axis=-1)
        with np.errstate(invalid="ignore"):
            high = (np.where(c > 0, self.high, self.low) * c).sum(axis=-1)
            low = (np.where(c < 0, self.high, self.low) * c).sum(axis=-1)
        return low, high


def _supports(model: UncertainScenario) -> list[_Support]:
    supports = []
    for party, unc in zip(model.scenario.parties, model.parties):
        w = party.preferences.weights
        k = w.size
        if unc.dirichlet is not None:
            face = np.zeros(k, dtype=bool)
            face[list(unc.dirichlet.issues)] = True
            low = np.where(face, 0.0, w)
            # Dirichlet draws are never 0 on the face.
            supports.append(_Support("face", low, low, face, float(w[face].sum()), (w > 0) | face))
        elif unc.weights:
            low, high = w.copy(), w.copy()
            for i, dist in unc.weights:
                low[i], high[i] = dist.support
                # A range starting at 0 allows a zero weight; a truncated normal never draws 0.
                if isinstance(dist, Interval):
                    continue
                low[i] = max(low[i], 0.0)
            positive = low > 0
            for i, dist in unc.weights:
                if not isinstance(dist, Interval):
                    positive[i] = True
            supports.append(_Support("box", low, high, np.zeros(k, bool), 0.0, positive))
        else:
            supports.append(_Support("fixed", w.copy(), w.copy(), np.zeros(k, bool), 0.0, w > 0))
    return supports


def interval_efficiency(
    model: UncertainScenario | Scenario,
    *,
    respect_red_lines: bool = True,
    limit: int | None = None,
    max_pairs: int = 5_000_000,
) -> IntervalEfficiency:
    """Outcomes efficient for every weight vector, and outcomes never efficient, exactly.

    With option values exact, party ``j`` prefers ``a`` to ``o`` by
    ``(w_j . c_j) / sum(w_j)`` where ``c_j = S_j (v_j(a) - v_j(o)) + (M_j(a) - M_j(o))``
    (``S_j`` the nominal weight sum, ``M_j`` the interaction terms) — linear in the
    weights up to a positive factor. So ``a`` can dominate ``o`` for *some* weights exactly
    when every party's largest ``w . c`` over the weights' support is >= 0 and one is > 0,
    and dominates it for *every* weight vector exactly when every party's smallest one is >= 0
    and one is > 0. Over a box (ranges; a normal's support is [0, inf)) the extremes are at
    its corners, taken coordinate by coordinate; over a Dirichlet's face of the simplex at
    its vertices. An outcome is efficient for every weight vector when no outcome can
    dominate it (it must then be efficient at the nominal weights, so only those are
    checked); it is never efficient when one outcome dominates it for every weight vector —
    always so when one of its options is beaten on its issue for every party, and otherwise
    checked pairwise among the other outcomes, each target until a dominator is found (the
    nominally efficient outcomes are tried first), at most ``max_pairs`` pairs in all; the
    targets left unchecked stay undetermined and ``checked_never`` says so.

    Raises
    ------
    UnsupportedError
        When some option value is uncertain (dominance is then not linear in the unknowns).
    """
    if isinstance(model, Scenario):
        model = UncertainScenario.exact(model)
    if not model.values_exact:
        raise UnsupportedError(
            "the exact interval answer needs exact option values (only weights uncertain); "
            "use the sampled acceptability"
        )
    scenario = model.scenario if respect_red_lines else model.scenario.without_red_lines()
    tracked = _tracked(scenario, ROBUST_LIMIT if limit is None else int(limit))
    m = tracked.size
    status = np.zeros(m, dtype=np.int8)
    if m == 0:
        return IntervalEfficiency(scenario, respect_red_lines, tracked.indices, status, True, 0)
    supports = _supports(model)
    digits = scenario.space.digits(tracked.indices)
    parties = scenario.parties
    # Per party: option values of every tracked outcome (m, issues), and interactions (m,).
    values = [np.column_stack([p.preferences.tables[i][digits[:, i]] for i in range(digits.shape[1])])
              for p in parties]
    extra = [sum((t.evaluate(digits) for t in p.preferences.interactions), np.zeros(m)) for p in parties]
    sums = [float(p.preferences.weights.sum()) for p in parties]

    def coefficients(a: np.ndarray, o: np.ndarray, j: int) -> np.ndarray:
        # (len(o), len(a), issues)
        diff = values[j][a][None, :, :] - values[j][o][:, None, :]
        return sums[j] * diff + (extra[j][a][None, :] - extra[j][o][:, None])[:, :, None]

    # Outcomes whose every option survives the issue-by-issue test (box case); others are
    # beaten by swapping an option, for every weight vector.
    if tracked.is_box and all(not p.preferences.interactions for p in parties):
        survivors = _robust_options(scenario, tracked, supports)
        status[~survivors] = -1
        pool = np.flatnonzero(survivors)
    else:
        pool = np.arange(m)
    nominal = utilities(scenario, digits)
    on_frontier = pareto_mask(nominal)
    frontier = np.flatnonzero(on_frontier)
    # Likely dominators first (the nominal frontier), so that most targets find one early.
    pool = np.concatenate([pool[on_frontier[pool]], pool[~on_frontier[pool]]])

    def scan(targets: np.ndarray, rule: str, budget: float) -> tuple[np.ndarray, np.ndarray, int]:
        """Per target, whether some pool outcome can (rule 'some') or must ('every')
        dominate it; a target drops out once one is found. Stops once ``budget`` pairs are
        spent. Returns the hits, which targets are decided (hit, or the whole pool seen),
        and the pairs compared."""
        hit = np.zeros(targets.size, dtype=bool)
        decided = np.zeros(targets.size, dtype=bool)
        spent = 0
        widest = max(1, CHUNK_CELLS // max(1, 64 * digits.shape[1]))
        for lo in range(0, targets.size, 64):
            if spent >= budget:
                break
            alive = np.arange(lo, min(lo + 64, targets.size))
            block = alive
            start, width = 0, 256  # growing: most targets meet a dominator among the first
            while start < pool.size:
                if not alive.size or spent >= budget:
                    break
                a, o = pool[start : start + width], targets[alive]
                weak = np.ones((o.size, a.size), dtype=bool)
                strict = np.zeros((o.size, a.size), dtype=bool)
                for j, support in enumerate(supports):
                    coef = coefficients(a, o, j)
                    low, high = support.extremes(coef)
                    # Floating point cannot tell a tiny difference from none: within ``tol``
                    # a bound counts as undecided, and only identical option values (an
                    # all-zero row) as an exact tie. Both rules then err on the safe side:
                    # "can dominate" says yes, "must dominate" says no.
                    tol = 1e-12 * (1.0 + np.abs(coef).sum(axis=-1))
                    tie = ~np.any(coef, axis=-1)
                    if rule == "some":
                        weak &= high >= -tol
                        strict |= (high > tol) | ((high > -tol) & ~tie)
                    else:
                        weak &= (low > tol) | tie
                        strict |= low > tol
                spent += o.size * a.size
                found = (weak & strict).any(axis=1)
                hit[alive[found]] = True
                alive = alive[~found]
                start, width = start + width, min(widest, 4 * width)
                if start >= pool.size:
                    alive = alive[:0]  # the whole pool seen: decided
            decided[block] = True
            decided[alive] = False
        return hit, decided, spent

    possibly_dominated, _, pairs = scan(frontier, "some", math.inf)
    status[frontier[~possibly_dominated]] = 1
    rest = pool[status[pool] == 0]
    never, decided, used = scan(rest, "every", max_pairs)
    pairs += used
    status[rest[never]] = -1
    checked = bool(decided.all())
    return IntervalEfficiency(scenario, respect_red_lines, tracked.indices, status, checked, pairs)


def _robust_options(scenario: Scenario, tracked: _Tracked, supports: list[_Support]) -> np.ndarray:
    """Mask of the tracked (box) outcomes none of whose options another allowed option of
    its issue beats for every weight vector: at least as good a value for every party and a
    better one for a party whose weight on that issue is always positive."""
    assert tracked.options is not None
    keep = []
    for i, options in enumerate(tracked.options):
        tables = [p.preferences.tables[i][options] for p in scenario.parties]
        weakly = np.ones((options.size, options.size), dtype=bool)
        ahead = np.zeros((options.size, options.size), dtype=bool)
        for table, support in zip(tables, supports):
            weakly &= table[:, None] >= table[None, :]
            if support.positive[i]:
                ahead |= table[:, None] > table[None, :]
        keep.append((~(weakly & ahead).any(axis=0))[None, :])
    return _outer(keep, np.logical_and)[0]


# -- everything at once ------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RobustAnalysis:
    """A robust analysis: the nominal analysis, the acceptability of every outcome, the
    exact interval answer where it applies, and the sensitivity of the nominal conclusions.
    When no draw allows an agreement under the red lines, ``relaxed`` is the same with
    every red line dropped (as :func:`servanda.analysis.analyze` does)."""

    model: UncertainScenario
    nominal: Analysis
    acceptability: Acceptability
    interval: IntervalEfficiency | None
    interval_note: str
    sensitivity: Any  # servanda.analysis.sensitivity.Sensitivity | None
    relaxed: RobustAnalysis | None = None

    @property
    def red_lines_respected(self) -> bool:
        return self.acceptability.red_lines_respected


def robust_analysis(
    model: UncertainScenario | Scenario,
    samples: int = 1000,
    seed: int | None = 0,
    *,
    respect_red_lines: bool = True,
    limit: int | None = None,
    sensitivity: bool = True,
    parameters: str = "all",
    progress: Progress | None = None,
) -> RobustAnalysis:
    """Acceptability, exact interval answer (when only weights are uncertain) and
    sensitivity of a scenario with uncertain preferences; with ``relaxed`` set when no draw
    allows an agreement under the red lines. ``parameters`` ("all" or "uncertain") chooses
    the parameters of the sensitivity analysis."""
    from servanda.analysis.sensitivity import sensitivity as sensitivity_of

    if isinstance(model, Scenario):
        model = UncertainScenario.exact(model)
    scenario = model.scenario if respect_red_lines else model.scenario.without_red_lines()
    nominal = analyze(scenario, count=False)
    if not respect_red_lines:
        nominal = _as_relaxed(nominal)
    accepted = acceptability(
        model, samples, seed, respect_red_lines=respect_red_lines, limit=limit, progress=progress
    )
    interval, note = None, ""
    if model.is_exact:
        note = "nothing is uncertain"
    elif not model.values_exact:
        note = "option values are uncertain: the exact answer covers uncertain weights only"
    else:
        interval = interval_efficiency(model, respect_red_lines=respect_red_lines, limit=limit)
    sens = (
        sensitivity_of(model, respect_red_lines=respect_red_lines, parameters=parameters, limit=limit)
        if sensitivity else None
    )
    relaxed = None
    if respect_red_lines and accepted.agreement == 0 and any(p.red_lines for p in model.scenario.parties):
        relaxed = robust_analysis(
            model, samples, seed, respect_red_lines=False, limit=limit, sensitivity=sensitivity,
            parameters=parameters, progress=progress,
        )
    return RobustAnalysis(model, nominal, accepted, interval, note, sens, relaxed)


def _as_relaxed(nominal: Analysis) -> Analysis:
    return replace(nominal, red_lines_respected=False)


# -- plain data ----------------------------------------------------------------------------
def acceptability_rows(result: Acceptability, rows: np.ndarray, confidence: float = 0.95) -> list[dict[str, Any]]:
    """The given rows as plain data: index, options, and per role probability and interval."""
    scenario = result.scenario
    bounds = {role: result.interval(role, confidence) for role in ROLES}
    out = []
    for row in np.asarray(rows, dtype=np.int64):
        entry: dict[str, Any] = {
            "index": int(result.indices[row]),
            "outcome": scenario.space.describe(result.outcome(int(row))),
        }
        for role in ROLES:
            low, high = bounds[role]
            entry[role] = {
                "probability": float(result.counts[role][row] / result.samples),
                "interval": [float(low[row]), float(high[row])],
            }
        out.append(entry)
    return out


def robust_dict(result: RobustAnalysis, top: int = 10, confidence: float = 0.95) -> dict[str, Any]:
    """The robust analysis as plain data (JSON-ready); ``top`` outcomes per role."""
    from servanda.analysis.report import point_dict
    from servanda.analysis.sensitivity import sensitivity_dict

    acc = result.acceptability
    scenario = acc.scenario
    names = scenario.party_names
    nash = result.nominal.solutions.get("nash")
    nash_row = None if nash is None else acc.row_of(nash.index)
    low, high = acc.agreement_interval(confidence)
    out: dict[str, Any] = {
        "scenario": scenario.name,
        "samples": acc.samples,
        "seed": acc.seed,
        "confidence": confidence,
        "red_lines_respected": acc.red_lines_respected,
        "method": acc.method,
        "outcomes_tracked": len(acc),
        "uncertain": not result.model.is_exact,
        "agreement": {"probability": acc.agreement_probability, "interval": [low, high]},
        "nominal": {
            "agreement_possible": result.nominal.agreement_possible,
            "solutions": {k: point_dict(v, names) for k, v in result.nominal.solutions.items()},
            "nash_acceptability": None if nash_row is None else acceptability_rows(acc, np.array([nash_row]), confidence)[0],
        },
        "top": {role: acceptability_rows(acc, acc.ranking(role, top), confidence) for role in ROLES},
        "interval_weights": None if result.interval is None else {
            "always_efficient": [int(i) for i in result.interval.always],
            "never_efficient": int(result.interval.never.size),
            "undetermined": result.interval.undetermined,
            "never_fully_checked": result.interval.checked_never,
        },
        "interval_note": result.interval_note,
        "sensitivity": None if result.sensitivity is None else sensitivity_dict(result.sensitivity),
        "relaxed": None if result.relaxed is None else robust_dict(result.relaxed, top, confidence),
    }
    return out


__all__ = [
    "Acceptability",
    "DRAW_BLOCK",
    "IntervalEfficiency",
    "ROBUST_LIMIT",
    "ROLES",
    "RobustAnalysis",
    "acceptability",
    "acceptability_rows",
    "interval_efficiency",
    "robust_analysis",
    "robust_dict",
    "wilson_interval",
]
