"""Servanda: negotiation support for multi-issue, multi-party negotiations.

*Pacta sunt servanda.* Model who wants what, analyse where agreement lies and why it does
not, negotiate, and bind.
"""

from importlib import import_module
from typing import Any

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

#: Names loaded on first use, so that ``import servanda`` does not load the solver, scipy
#: or the cryptography stack.
_LAZY = {
    "diagnose": "servanda.analysis.diagnosis",
    "mediate": "servanda.analysis.mediation",
    "adjusted_winner": "servanda.analysis.fair_division",
    "robust_analysis": "servanda.analysis.uncertainty",
    "sensitivity": "servanda.analysis.sensitivity",
    "UncertainScenario": "servanda.model.uncertainty",
    "TreatyRecord": "servanda.treaty",
    "verify_bundle": "servanda.treaty",
    "export_bundle": "servanda.treaty",
    "Ledger": "servanda.ledger",
    "Rooms": "servanda.rooms",
    "Client": "servanda.client",
    "create_app": "servanda.server",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'servanda' has no attribute {name!r}")

__all__ = [
    "Analysis",
    "Client",
    "Ledger",
    "Rooms",
    "create_app",
    "TreatyRecord",
    "UncertainScenario",
    "adjusted_winner",
    "diagnose",
    "export_bundle",
    "mediate",
    "robust_analysis",
    "sensitivity",
    "verify_bundle",
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
