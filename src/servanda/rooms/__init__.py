"""Live negotiations: rooms with seats taken by people or bots, turns under the engine's
protocols, each party's confidential preferences, and every event in the room's ledger."""

from servanda.rooms.protocol import MEDIATOR, Phase, RoomState
from servanda.rooms.service import Member, Rooms
from servanda.rooms.views import Viewer

__all__ = ["MEDIATOR", "Member", "Phase", "RoomState", "Rooms", "Viewer"]
