"""Issues: the things to decide, each with a finite list of options.

Categorical and ordinal issues list their options; integer and real ranges generate them
(a real range is discretised into ``steps`` evenly spaced values for enumeration). Numeric
issues may carry extra named options beside the range, such as ``no_cap`` next to a cap on
armed forces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import numpy as np

from servanda.errors import OutcomeError

Option = str | int | float


@dataclass(frozen=True)
class Issue:
    """Base class: a named issue with a finite tuple of options."""

    name: str
    kind: ClassVar[str] = "issue"

    @property
    def options(self) -> tuple[Option, ...]:
        raise NotImplementedError

    @property
    def size(self) -> int:
        return len(self.options)

    @property
    def is_numeric(self) -> bool:
        return False

    def index_of(self, option: Option | str) -> int:
        """Index of an option, given as the option itself or as its text."""
        options = self.options
        for i, candidate in enumerate(options):
            if candidate == option or str(candidate) == str(option):
                return i
        if self.is_numeric and not isinstance(option, bool):
            try:
                number = float(option)
            except (TypeError, ValueError):
                number = math.nan
            for i, candidate in enumerate(options):
                if not isinstance(candidate, str) and math.isclose(
                    float(candidate), number, rel_tol=1e-12, abs_tol=1e-12
                ):
                    return i
        shown = ", ".join(map(str, options[:8])) + (", ..." if len(options) > 8 else "")
        raise OutcomeError(f"issue '{self.name}' has no option {option!r}; options: {shown}")


@dataclass(frozen=True)
class CategoricalIssue(Issue):
    """Unordered named options."""

    choices: tuple[str, ...] = ()
    kind: ClassVar[str] = "categorical"

    @property
    def options(self) -> tuple[Option, ...]:
        return self.choices


@dataclass(frozen=True)
class OrdinalIssue(CategoricalIssue):
    """Named options in a meaningful order (listed from lowest to highest)."""

    kind: ClassVar[str] = "ordinal"


@dataclass(frozen=True)
class _RangeIssue(Issue):
    """A numeric range plus optional extra named options (listed after the range)."""

    low: float = 0
    high: float = 0
    extra: tuple[str, ...] = ()

    @property
    def is_numeric(self) -> bool:
        return True

    @property
    def grid(self) -> np.ndarray:
        """The numeric options, in increasing order."""
        raise NotImplementedError

    @cached_property
    def options(self) -> tuple[Option, ...]:
        return tuple(v.item() for v in self.grid) + self.extra

    @cached_property
    def numeric_values(self) -> np.ndarray:
        """Numeric value of every option; NaN for the extra named options."""
        return np.concatenate([self.grid.astype(float), np.full(len(self.extra), np.nan)])


@dataclass(frozen=True)
class IntegerIssue(_RangeIssue):
    """Integers ``low, low+step, ..., high``."""

    step: int = 1
    kind: ClassVar[str] = "integer"

    @property
    def grid(self) -> np.ndarray:
        return np.arange(int(self.low), int(self.high) + 1, int(self.step), dtype=np.int64)


@dataclass(frozen=True)
class RealIssue(_RangeIssue):
    """Real numbers in ``[low, high]``, enumerated as ``steps`` evenly spaced values."""

    steps: int = 11
    kind: ClassVar[str] = "real"

    @property
    def grid(self) -> np.ndarray:
        return np.linspace(float(self.low), float(self.high), int(self.steps))


ISSUE_KINDS: dict[str, type[Issue]] = {
    cls.kind: cls for cls in (CategoricalIssue, OrdinalIssue, IntegerIssue, RealIssue)
}

__all__ = [
    "Option",
    "Issue",
    "CategoricalIssue",
    "OrdinalIssue",
    "IntegerIssue",
    "RealIssue",
    "ISSUE_KINDS",
]
