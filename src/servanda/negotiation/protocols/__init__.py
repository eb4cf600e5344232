"""Negotiation protocols: the rules of a session."""

from servanda.negotiation.protocols.alternating import AlternatingOffers
from servanda.negotiation.protocols.base import Deadline, NegotiationProtocol, ReservationSchedule
from servanda.negotiation.protocols.mediation import MEDIATOR, SingleText

__all__ = [
    "MEDIATOR",
    "AlternatingOffers",
    "Deadline",
    "NegotiationProtocol",
    "ReservationSchedule",
    "SingleText",
]
