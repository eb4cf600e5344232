"""The negotiation engine: protocols, strategies, sessions, their traces and metrics.

>>> from servanda.negotiation import negotiate, AlternatingOffers
>>> from servanda.negotiation.strategies import Boulware, Conceder
"""

from servanda.negotiation.metrics import SessionMetrics, session_metrics
from servanda.negotiation.protocols import AlternatingOffers, NegotiationProtocol, SingleText
from servanda.negotiation.session import negotiate
from servanda.negotiation.strategy import Context, Strategy
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Ending, Event, Trace

__all__ = [
    "Action",
    "AlternatingOffers",
    "Context",
    "Ending",
    "Event",
    "NegotiationProtocol",
    "OutcomeTable",
    "SessionMetrics",
    "SingleText",
    "Strategy",
    "Trace",
    "negotiate",
    "session_metrics",
]
