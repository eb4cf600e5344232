"""A scenario as NegMAS sees it (NegMAS is optional: ``pip install negmas``).

NegMAS's outcome space has one discrete issue per Servanda issue, with the options' text as
values; each party becomes a ``LinearAdditiveUtilityFunction`` over Servanda's own weighted
value tables (weights 1), so both libraries add the same numbers in the same order and
value every outcome bit for bit alike. Used by the cross-checks and the benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from servanda.errors import UnsupportedError
from servanda.model import Scenario


@dataclass(frozen=True, eq=False)
class NegmasScenario:
    """NegMAS's outcome space, one utility function per party, and the option labels."""

    labels: list[list[str]]
    outcome_space: Any
    ufuns: list[Any]

    def outcomes(self, digits: np.ndarray) -> list[tuple[str, ...]]:
        """Outcomes (rows of option indices) as NegMAS outcomes (tuples of labels)."""
        return [tuple(self.labels[i][d] for i, d in enumerate(row)) for row in digits.tolist()]


def to_negmas(
    scenario: Scenario,
    *,
    reservations: Sequence[float] | None = None,
    red_line_value: float | None = None,
) -> NegmasScenario:
    """The scenario for NegMAS.

    Parameters
    ----------
    reservations : optional
        Reserved values to give NegMAS instead of the parties' own.
    red_line_value : float, optional
        NegMAS has no red lines: with this value, every option a (single-issue) red line
        forbids is valued at it instead; without it, red lines are refused.
    """
    try:
        from negmas.outcomes import make_issue, make_os
        from negmas.preferences import LinearAdditiveUtilityFunction
        from negmas.preferences.value_fun import TableFun
    except ImportError:
        raise UnsupportedError("the NegMAS export needs NegMAS: pip install negmas") from None
    labels = [[str(option) for option in issue.options] for issue in scenario.issues]
    outcome_space = make_os(
        [make_issue(values=names, name=issue.name) for names, issue in zip(labels, scenario.issues)]
    )
    reservations = [p.reservation for p in scenario.parties] if reservations is None else reservations
    ufuns = []
    for party, reserved in zip(scenario.parties, reservations):
        if not party.preferences.is_linear_additive:
            raise UnsupportedError(f"party '{party.name}': NegMAS needs linear-additive utilities")
        if party.red_lines and (
            red_line_value is None or not all(line.is_separable for line in party.red_lines)
        ):
            raise UnsupportedError(
                f"party '{party.name}': NegMAS has no red lines; give red_line_value for red "
                "lines on single issues"
            )
        tables = []
        for i, (names, table) in enumerate(zip(labels, party.preferences.weighted_tables)):
            values = np.array(table, dtype=float)
            for line in party.red_lines:
                values[line.forbidden_options(i, len(names))] = red_line_value
            tables.append(TableFun(dict(zip(names, values.tolist()))))
        ufuns.append(
            LinearAdditiveUtilityFunction(
                values=tables,
                weights=[1.0] * len(labels),
                outcome_space=outcome_space,
                reserved_value=float(reserved),
            )
        )
    return NegmasScenario(labels, outcome_space, ufuns)
