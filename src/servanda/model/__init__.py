"""The negotiation model: issues, outcome space, parties, preferences, scenario."""

from servanda.model.issues import (
    MAX_RANGE_OPTIONS,
    CategoricalIssue,
    IntegerIssue,
    Issue,
    NumericIssue,
    OrdinalIssue,
    RealIssue,
)
from servanda.model.parties import Party, Representative, Role
from servanda.model.preferences import Interaction, Preferences
from servanda.model.pressure import Pressure
from servanda.model.redlines import RedLine
from servanda.model.scenario import Scenario
from servanda.model.space import DEFAULT_ENUMERATION_LIMIT, OutcomeSpace

__all__ = [
    "CategoricalIssue",
    "DEFAULT_ENUMERATION_LIMIT",
    "IntegerIssue",
    "Interaction",
    "Issue",
    "MAX_RANGE_OPTIONS",
    "NumericIssue",
    "OrdinalIssue",
    "OutcomeSpace",
    "Party",
    "Preferences",
    "Pressure",
    "RealIssue",
    "RedLine",
    "Representative",
    "Role",
    "Scenario",
]
