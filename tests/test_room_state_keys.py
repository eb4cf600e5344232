"""What a room's state keeps so that a move needs fewer reads — the ledger's tail, the event of
the preferences in force, the number of joins — stays right through treaty acts, joins and
changes of preferences, and rooms whose state predates them still work."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from servanda.crypto import generate_key, public_hex, sign
from servanda.rooms.protocol import RoomState
from servanda.store import rooms as rooms_table
from servanda.treaty.statements import Envelope
from test_review_server_security import AGREED, Room


def _state(room: Room) -> RoomState:
    with room.engine.connect() as connection:
        return RoomState.model_validate_json(connection.execute(
            select(rooms_table.c.state).where(rooms_table.c.id == room.id)).scalar_one())


def _ids(room: Room, name: str = "alice") -> list[int]:
    return [event["id"] for event in room.events(name)]


def test_the_kept_tail_follows_moves_and_treaty_acts(tmp_path):
    room = Room(tmp_path)
    key = generate_key()
    statement = room.prepare("alice", "party", {"key": public_hex(key)})["statement"]
    act = room.submit("alice", Envelope(statement=statement, signer=public_hex(key), signature=sign(key, statement)))
    comment = room.comment("bob", "after the act")
    assert comment == act + 1
    offer = room.propose("alice", AGREED)
    assert offer == [comment + 1]
    ledger = room.rooms.treaty(room.id).ledger
    assert _state(room).log == (ledger.size, ledger.entry(ledger.size - 1).appended_at)
    assert _ids(room) == list(range(ledger.size))


def test_a_room_whose_state_predates_the_kept_keys_still_takes_moves(tmp_path):
    room = Room(tmp_path)
    room.comment("bob", "before")
    with room.engine.begin() as connection:  # as a room stored before these keys were kept
        state = json.loads(connection.execute(
            select(rooms_table.c.state).where(rooms_table.c.id == room.id)).scalar_one())
        for key in ("log", "preferences", "joins"):
            state.pop(key, None)
        connection.execute(update(rooms_table).where(rooms_table.c.id == room.id).values(state=json.dumps(state)))
    size = room.size()
    assert room.propose("alice", AGREED) == [size]
    assert room.comment("bob", "after") == size + 1
    assert _ids(room) == list(range(size + 2))
    assert _state(room).log[0] == size + 2


def test_a_new_place_counts_at_once(tmp_path):
    room = Room(tmp_path)
    joins = _state(room).joins
    room.ids["newcomer"] = room.ids["outsider"]
    room.join("newcomer", "observer")
    assert _state(room).joins == joins + 1
    assert room.comment("alice", "the observer reads this")  # cached places of others still hold
    assert any(event["type"] == "joined" and event.get("username") == "newcomer" for event in room.events("newcomer"))


def test_preferences_changed_are_used_at_the_next_move(tmp_path):
    room = Room(tmp_path)
    before = _state(room).preferences
    block = room.preferences("alice", "A")["preferences"]
    event = room.set_preferences("alice", block)
    assert _state(room).preferences == event != before
    assert room.propose("alice", AGREED)  # scored and checked with the preferences now in force
