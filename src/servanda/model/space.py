"""The outcome space: every combination of one option per issue, never materialised.

Outcomes are addressed in mixed radix, the last issue varying fastest (the order of
``itertools.product``): outcome ``(d_0, ..., d_{k-1})`` has index
``sum_i d_i * prod_{j>i} n_j``. Indices are exact Python integers, so spaces beyond 2**63
(a 20 x 10 space has 10**20 outcomes) are addressed exactly; the vectorised helpers work in
int64 and therefore on spaces small enough to enumerate.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from servanda.errors import OutcomeError, SpaceTooLargeError
from servanda.model.issues import Issue, Option

#: Default largest number of outcomes that analysis will enumerate (in chunks).
DEFAULT_ENUMERATION_LIMIT = 50_000_000
_INT64_LIMIT = 2**63 - 1


def count_text(count: int) -> str:
    """A count for people: digits with separators, or scientific notation when huge."""
    return f"{count:,}" if count < 10**15 else f"{count:.3e}"


@dataclass(frozen=True)
class OutcomeSpace:
    """All outcomes of a tuple of issues."""

    issues: tuple[Issue, ...]

    @cached_property
    def radices(self) -> np.ndarray:
        """Number of options of each issue."""
        return np.array([issue.size for issue in self.issues], dtype=np.int64)

    @cached_property
    def size(self) -> int:
        """Number of outcomes (exact, without enumeration)."""
        return math.prod(issue.size for issue in self.issues)

    @cached_property
    def _strides(self) -> tuple[int, ...]:
        strides, acc = [], 1
        for issue in reversed(self.issues):
            strides.append(acc)
            acc *= issue.size
        return tuple(reversed(strides))

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(issue.name for issue in self.issues)

    def issue_index(self, name: str) -> int:
        """Position of the issue called ``name``."""
        try:
            return self.names.index(name)
        except ValueError:
            raise OutcomeError(
                f"unknown issue '{name}'; issues: {', '.join(self.names)}"
            ) from None

    # -- single outcomes -------------------------------------------------------------
    def index_of(self, outcome: Sequence[int]) -> int:
        """Index of an outcome given as option indices."""
        self._check(outcome)
        return sum(int(d) * s for d, s in zip(outcome, self._strides))

    def outcome_at(self, index: int) -> tuple[int, ...]:
        """Option indices of the outcome with this index."""
        index = int(index)
        if not 0 <= index < self.size:
            raise OutcomeError(f"outcome index {index} outside [0, {self.size})")
        return tuple((index // s) % issue.size for s, issue in zip(self._strides, self.issues))

    def parse(self, choice: Mapping[str, Option]) -> tuple[int, ...]:
        """Option indices of an outcome given as ``{issue name: option}`` for every issue."""
        unknown = [name for name in choice if name not in self.names]
        if unknown:
            raise OutcomeError(
                f"unknown issue(s) {', '.join(map(repr, unknown))}; issues: {', '.join(self.names)}"
            )
        digits = {issue.name: issue.index_of(choice[issue.name]) for issue in self.issues
                  if issue.name in choice}
        missing = [name for name in self.names if name not in choice]
        if missing:
            raise OutcomeError(f"no option given for issue(s) {', '.join(missing)}")
        return tuple(digits[name] for name in self.names)

    def describe(self, outcome: Sequence[int]) -> dict[str, Option]:
        """``{issue name: option}`` for an outcome given as option indices."""
        self._check(outcome)
        return {issue.name: issue.options[int(d)] for issue, d in zip(self.issues, outcome)}

    def _check(self, outcome: Sequence[int]) -> None:
        if len(outcome) != len(self.issues):
            raise OutcomeError(f"an outcome needs {len(self.issues)} options, got {len(outcome)}")
        for issue, d in zip(self.issues, outcome):
            if not 0 <= int(d) < issue.size:
                raise OutcomeError(f"option index {d} outside issue '{issue.name}'")

    # -- arrays of outcomes ----------------------------------------------------------
    def digits(self, indices: np.ndarray) -> np.ndarray:
        """Option indices, shape ``(n, issues)``, of the outcomes with these int64 indices."""
        self._require_int64()
        indices = np.asarray(indices, dtype=np.int64)
        out = np.empty((indices.shape[0], len(self.issues)), dtype=np.int64)
        rest = indices.copy()
        for i in range(len(self.issues) - 1, -1, -1):
            rest, out[:, i] = np.divmod(rest, self.radices[i])
        return out

    def indices(self, digits: np.ndarray) -> np.ndarray:
        """int64 indices of outcomes given as option indices, shape ``(n, issues)``."""
        self._require_int64()
        digits = np.asarray(digits, dtype=np.int64)
        return digits @ np.array(self._strides, dtype=np.int64)

    def exact_indices(self, digits: np.ndarray) -> list[int]:
        """Exact Python-int indices of outcomes given as option indices, for any space size."""
        digits = np.asarray(digits, dtype=np.int64).reshape(-1, len(self.issues))
        if self.size <= _INT64_LIMIT:
            return self.indices(digits).tolist()
        return list(digits.astype(object) @ np.array(self._strides, dtype=object))

    def chunks(self, chunk_size: int = 1 << 18, limit: int | None = None) -> Iterator[np.ndarray]:
        """Every outcome, in index order, as successive ``(n, issues)`` arrays."""
        self.require_enumerable(limit)
        for start in range(0, self.size, chunk_size):
            stop = min(start + chunk_size, self.size)
            yield self.digits(np.arange(start, stop, dtype=np.int64))

    def all(self, limit: int | None = None) -> np.ndarray:
        """Every outcome as one ``(size, issues)`` array."""
        self.require_enumerable(limit)
        return self.digits(np.arange(self.size, dtype=np.int64))

    def sample(self, n: int, seed: int | None = 0) -> np.ndarray:
        """``n`` outcomes drawn uniformly with replacement, reproducibly from ``seed``."""
        rng = np.random.default_rng(seed)
        return np.column_stack(
            [rng.integers(0, issue.size, size=n, dtype=np.int64) for issue in self.issues]
        ) if self.issues else np.empty((n, 0), dtype=np.int64)

    def require_enumerable(self, limit: int | None = None) -> None:
        """Raise :class:`SpaceTooLargeError` unless the space may be enumerated."""
        limit = DEFAULT_ENUMERATION_LIMIT if limit is None else limit
        if self.size > limit:
            raise SpaceTooLargeError(
                f"the outcome space has {count_text(self.size)} outcomes, more than the enumeration "
                f"limit of {limit:,}; raise the limit only if you have the time and memory, "
                "or use an algorithm that does not enumerate (linear-additive preferences)"
            )

    def _require_int64(self) -> None:
        if self.size > _INT64_LIMIT:
            raise SpaceTooLargeError(
                f"the outcome space has {count_text(self.size)} outcomes; array indices stop at 2**63"
            )
