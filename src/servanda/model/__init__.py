"""The negotiation model: issues, outcome space, parties, preferences, scenario."""

from servanda.model.issues import CategoricalIssue, IntegerIssue, Issue, OrdinalIssue, RealIssue
from servanda.model.parties import Party, Representative, Role
from servanda.model.preferences import Interaction, Preferences
from servanda.model.redlines import RedLine
from servanda.model.scenario import Scenario
from servanda.model.space import DEFAULT_ENUMERATION_LIMIT, OutcomeSpace

__all__ = [
    "CategoricalIssue",
    "DEFAULT_ENUMERATION_LIMIT",
    "IntegerIssue",
    "Interaction",
    "Issue",
    "OrdinalIssue",
    "OutcomeSpace",
    "Party",
    "Preferences",
    "RealIssue",
    "RedLine",
    "Representative",
    "Role",
    "Scenario",
]
