"""Servanda: negotiation support for multi-issue, multi-party negotiations.

*Pacta sunt servanda.* Model who wants what, analyse where agreement lies, and (in later
layers) negotiate and bind.
"""

from servanda.analysis import Analysis, Score, analyze, pareto_mask, score, utilities
from servanda.errors import (
    OutcomeError,
    ScenarioError,
    ServandaError,
    SpaceTooLargeError,
    UnsupportedError,
)
from servanda.formats import dump_yaml, load_scenario, load_yaml, save_scenario
from servanda.model import (
    CategoricalIssue,
    IntegerIssue,
    Interaction,
    Issue,
    OrdinalIssue,
    OutcomeSpace,
    Party,
    Preferences,
    RealIssue,
    RedLine,
    Representative,
    Role,
    Scenario,
)

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "CategoricalIssue",
    "IntegerIssue",
    "Interaction",
    "Issue",
    "OrdinalIssue",
    "OutcomeError",
    "OutcomeSpace",
    "Party",
    "Preferences",
    "RealIssue",
    "RedLine",
    "Representative",
    "Role",
    "Scenario",
    "ScenarioError",
    "Score",
    "ServandaError",
    "SpaceTooLargeError",
    "UnsupportedError",
    "analyze",
    "dump_yaml",
    "load_scenario",
    "load_yaml",
    "pareto_mask",
    "save_scenario",
    "score",
    "utilities",
]
