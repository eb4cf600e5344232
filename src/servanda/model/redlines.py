"""Red lines: sets of outcomes a party never accepts.

A red line is a union of *boxes*; a box is a conjunction of conditions ``issue in S``.
``never: {form: [ceasefire], guarantees: [none]}`` is one box with two conditions;
``only: {form: [treaty]}`` is the box ``form in (every option but treaty)``. An outcome
breaks the red line when it lies in any of its boxes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Condition = tuple[int, np.ndarray]  # (issue position, boolean mask over its options)


@dataclass(frozen=True, eq=False)
class RedLine:
    """A named set of outcomes a party never accepts."""

    name: str
    boxes: tuple[tuple[Condition, ...], ...]
    description: str = ""

    def __post_init__(self) -> None:
        boxes = []
        for box in self.boxes:
            conditions = []
            for issue, mask in box:
                frozen = np.array(mask, dtype=bool)
                frozen.setflags(write=False)
                conditions.append((int(issue), frozen))
            boxes.append(tuple(conditions))
        object.__setattr__(self, "boxes", tuple(boxes))

    def violated(self, digits: np.ndarray) -> np.ndarray:
        """Boolean per outcome in ``digits``: True where the outcome breaks this red line."""
        digits = np.asarray(digits)
        hit = np.zeros(digits.shape[0], dtype=bool)
        for box in self.boxes:
            inside = np.ones(digits.shape[0], dtype=bool)
            for issue, mask in box:
                inside &= mask[digits[:, issue]]
            hit |= inside
        return hit

    @property
    def is_separable(self) -> bool:
        """True when every box constrains a single issue, so the red line amounts to
        removing options issue by issue."""
        return all(len(box) == 1 for box in self.boxes)

    def forbidden_options(self, issue: int, size: int) -> np.ndarray:
        """For a separable red line: mask of the options of ``issue`` it forbids."""
        forbidden = np.zeros(size, dtype=bool)
        for box in self.boxes:
            (position, mask), = box
            if position == issue:
                forbidden |= mask
        return forbidden
