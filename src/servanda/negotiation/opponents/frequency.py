"""The frequency model of ANAC: the HardHeaded agent's opponent model (van Krimpen, Looije
and Hajizadeh, "HardHeaded", ANAC 2011; in GENIUS as ``HardHeadedFrequencyModel``), the
best-known of the frequency models compared by Tunalı, Aydoğan and Sanchez-Anguix
("Rethinking frequency opponent modeling in automated negotiation", PRIMA 2017).

An opponent rarely changes its option on the issues that matter most to it, and offers the
options it likes most often:

- weights: all ``1/k`` at first (``k`` issues). After each offer, every issue whose option
  did not change since the opponent's previous offer gains ``golden = learn_coef / k``,
  unless its weight already reached HardHeaded's ceiling ``1 - k * golden / (1 + golden *
  unchanged)``; then all are divided by ``1 + golden * (issues that gained)``, so that they
  still sum to 1. (GENIUS divides by ``1 + golden * unchanged`` even when the ceiling
  withheld a gain, against its own comment that the sum remains 1: the weights then shrink
  below a sum of 1, unevenly, and the ceiling stops bounding the normalised weights.)
- values: every option starts with a count of 1 and gains ``value_addition`` each time it
  is offered; an option's value is its count over the issue's largest count, raised to
  ``value_exponent`` (1 in HardHeaded; Tunalı et al. suggest a power below 1, which lifts
  the options offered rarely).

The model assumes that an opponent offers the options it likes most most often. An
opponent that concedes evenly all the way down to its worst outcomes (a linear
concession to a reservation value of 0, say) offers its bad options as often as its good
ones, in more distinct outcomes, and the model then misreads it, down to a negative
correlation with its true utilities; :class:`~servanda.negotiation.opponents.BayesianModel`
weighs each offer by the utility it expects at that time instead.

A second departure from the GENIUS code: HardHeaded skips the first offer entirely (it has no
previous offer to compare with); here its options are counted, since an opponent's first
offer is usually its best outcome. Weights change from the second offer on, as in GENIUS.
"""

from __future__ import annotations

import math

import numpy as np

from servanda.model import OutcomeSpace
from servanda.negotiation.opponents.base import OpponentModel


class FrequencyModel(OpponentModel):
    """The HardHeaded frequency model (see the module).

    Parameters
    ----------
    space : OutcomeSpace
    learn_coef : float, default 0.2
        What an unchanged issue gains per offer, times the number of issues.
    value_addition : float, default 1
        What an option's count gains each time it is offered.
    value_exponent : float, default 1
        Values are ``(count / largest count) ** value_exponent``.
    seed : int, default 0
        Unused: the model makes no random choice (kept for a common signature).
    """

    name = "frequency"

    def __init__(
        self,
        space: OutcomeSpace,
        *,
        learn_coef: float = 0.2,
        value_addition: float = 1.0,
        value_exponent: float = 1.0,
        seed: int = 0,
    ):
        super().__init__(space, seed=seed)
        for label, number in (
            ("learn_coef", learn_coef),
            ("value_addition", value_addition),
            ("value_exponent", value_exponent),
        ):
            if not (math.isfinite(number) and number > 0):
                raise ValueError(f"{label} must be a positive number, got {number}")
        k = len(self.radices)
        self.learn_coef, self.value_addition, self.value_exponent = (
            learn_coef,
            value_addition,
            value_exponent,
        )
        self._golden = learn_coef / k
        self._weights = np.full(k, 1.0 / k)
        self._counts = tuple(np.ones(r) for r in self.radices)
        self._previous: np.ndarray | None = None

    def _learn(self, digits: np.ndarray, time: float) -> None:
        if self._previous is not None:
            unchanged = digits == self._previous
            ceiling = 1.0 - len(self.radices) * self._golden / (
                1.0 + self._golden * int(unchanged.sum())
            )
            gains = unchanged & (self._weights < ceiling)
            self._weights = (self._weights + self._golden * gains) / (
                1.0 + self._golden * int(gains.sum())
            )
        for counts, option in zip(self._counts, digits):
            counts[option] += self.value_addition
        self._previous = digits

    def weights(self) -> np.ndarray:
        return self._weights / self._weights.sum()  # 1 up to rounding

    def values(self) -> tuple[np.ndarray, ...]:
        return tuple((c / c.max()) ** self.value_exponent for c in self._counts)
