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

from servanda.errors import OutcomeError, ScenarioError

Option = str | int | float

#: Most options one numeric range may have: the options of an issue are materialised.
MAX_RANGE_OPTIONS = 1_000_000
#: Integer bounds stay within this magnitude so that every option fits in int64 arithmetic.
_INTEGER_BOUND = 2**53


@dataclass(frozen=True)
class Issue:
    """Base class: a named issue with a finite tuple of options."""

    name: str
    kind: ClassVar[str] = "issue"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ScenarioError("an issue needs a non-empty name")

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

    def __post_init__(self) -> None:
        super().__post_init__()
        if any(not isinstance(c, str) or not c.strip() for c in self.choices):
            raise ScenarioError(f"issue '{self.name}': option names must be non-empty text")

    @property
    def options(self) -> tuple[Option, ...]:
        return self.choices


@dataclass(frozen=True)
class OrdinalIssue(CategoricalIssue):
    """Named options in a meaningful order (listed from lowest to highest)."""

    kind: ClassVar[str] = "ordinal"


@dataclass(frozen=True)
class NumericIssue(Issue):
    """Base of the numeric ranges: a range plus optional extra named options (listed after
    the range)."""

    low: float = 0
    high: float = 0
    extra: tuple[str, ...] = ()

    @property
    def is_numeric(self) -> bool:
        return True

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ScenarioError(f"issue '{self.name}': bounds must be finite numbers")
        if self.low > self.high:
            raise ScenarioError(f"issue '{self.name}': min {self.low} is above max {self.high}")
        if any(not isinstance(e, str) or not e.strip() for e in self.extra):
            raise ScenarioError(f"issue '{self.name}': extra option names must be non-empty text")

    def _check_count(self, count: int) -> None:
        if count > MAX_RANGE_OPTIONS:
            raise ScenarioError(
                f"issue '{self.name}' would have {count:,} options; expected at most "
                f"{MAX_RANGE_OPTIONS:,} (use a larger step)"
            )

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
class IntegerIssue(NumericIssue):
    """Integers ``low, low+step, ..., high``."""

    step: int = 1
    kind: ClassVar[str] = "integer"

    def __post_init__(self) -> None:
        super().__post_init__()
        for value in (self.low, self.high, self.step):
            if int(value) != value or abs(value) > _INTEGER_BOUND:
                raise ScenarioError(
                    f"issue '{self.name}': min, max and step must be integers of magnitude "
                    f"at most 2**53, got {value}"
                )
        if self.step < 1:
            raise ScenarioError(f"issue '{self.name}': step must be at least 1, got {self.step}")
        self._check_count((int(self.high) - int(self.low)) // int(self.step) + 1)

    @property
    def grid(self) -> np.ndarray:
        return np.arange(int(self.low), int(self.high) + 1, int(self.step), dtype=np.int64)


@dataclass(frozen=True)
class RealIssue(NumericIssue):
    """Real numbers in ``[low, high]``, enumerated as ``steps`` evenly spaced values."""

    steps: int = 11
    kind: ClassVar[str] = "real"

    def __post_init__(self) -> None:
        super().__post_init__()
        if int(self.steps) != self.steps or self.steps < 1:
            raise ScenarioError(f"issue '{self.name}': steps must be a whole number >= 1")
        if (self.steps == 1) != (self.low == self.high):
            raise ScenarioError(
                f"issue '{self.name}': a range from {self.low} to {self.high} needs "
                + ("steps >= 2" if self.low < self.high else "steps: 1 (min equals max)")
            )
        if not math.isfinite(float(self.high) - float(self.low)):
            raise ScenarioError(f"issue '{self.name}': the range is wider than a float can hold")
        self._check_count(int(self.steps))

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
    "NumericIssue",
    "RealIssue",
    "ISSUE_KINDS",
    "MAX_RANGE_OPTIONS",
]
