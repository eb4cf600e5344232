"""What every opponent model offers: learning another party's preferences from its offers,
one offer at a time, knowing nothing but the outcome space (its issues and options).

A model estimates a linear-additive utility function — issue weights summing to 1 and,
per issue, a value in [0, 1] for every option — because that is the form of the field's
models (Baarslag, Hindriks, Hendrikx, Dirkzwager and Jonker, "Decoupling negotiating
agents to explore the space of negotiation strategies", 2014; the BOA framework's
``OpponentModel``) and of almost every ANAC profile. A model is built from the space alone,
so it cannot read the opponent's preferences; the engine's strategies see only their own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from servanda.model import OutcomeSpace


class OpponentModel(ABC):
    """An estimate of one other party's utility function, updated offer by offer.

    Subclasses implement :meth:`update`, :meth:`weights` and :meth:`values`;
    :meth:`estimated_utilities` combines the last two for any outcomes.

    Parameters
    ----------
    space : OutcomeSpace
        The issues and their options: all a model may know beforehand.
    seed : int, default 0
        Seeds every random choice the model makes (the same seed and the same offers give
        the same estimates).
    """

    name: ClassVar[str] = "opponent model"

    def __init__(self, space: OutcomeSpace, *, seed: int = 0):
        if not isinstance(space, OutcomeSpace):
            raise TypeError(
                f"an opponent model is built from an OutcomeSpace (issues and options), "
                f"got {type(space).__name__}"
            )
        if not space.issues:
            raise ValueError("an opponent model needs at least one issue")
        self.space = space
        self.seed = seed
        self.radices = tuple(int(r) for r in space.radices)
        self.offers = 0  # offers observed so far

    def update(self, offer: np.ndarray, time: float) -> None:
        """Learn from one offer of the opponent: ``offer`` its option index on every issue
        (an outcome's digits), ``time`` the relative time in [0, 1] it was made."""
        digits = np.asarray(offer, dtype=np.int64).reshape(-1)
        if (
            digits.shape[0] != len(self.radices)
            or np.any(digits < 0)
            or np.any(digits >= np.asarray(self.radices))
        ):
            raise ValueError(
                f"an offer gives one option index per issue within its options "
                f"({len(self.radices)} issues of {', '.join(map(str, self.radices))} options), "
                f"got {digits.tolist()}"
            )
        if not 0.0 <= float(time) <= 1.0:
            raise ValueError(f"the relative time of an offer lies in [0, 1], got {time}")
        self._learn(digits, float(time))
        self.offers += 1

    @abstractmethod
    def _learn(self, digits: np.ndarray, time: float) -> None:
        """:meth:`update` for a checked offer."""

    @abstractmethod
    def weights(self) -> np.ndarray:
        """``(issues,)``: the estimated issue weights, non-negative, summing to 1."""

    @abstractmethod
    def values(self) -> tuple[np.ndarray, ...]:
        """Per issue, ``(options,)``: the estimated value of every option, in [0, 1]."""

    def estimated_utilities(self, digits: np.ndarray) -> np.ndarray:
        """``(n,)``: the estimated utility of each outcome of ``digits`` ``(n, issues)``:
        ``sum_i w_i * v_i[d_i]``."""
        digits = np.asarray(digits)
        if digits.ndim != 2 or digits.shape[1] != len(self.radices):
            raise ValueError(
                f"expected outcomes as an (n, {len(self.radices)}) array of option indices, "
                f"got shape {digits.shape}"
            )
        weights, values = self.weights(), self.values()
        total = np.zeros(digits.shape[0])
        for issue, (weight, table) in enumerate(zip(weights, values)):
            total += (weight * table)[digits[:, issue]]
        return total

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.offers} offers)"
