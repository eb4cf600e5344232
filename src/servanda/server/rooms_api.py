"""Rooms: create, invite, join; preferences; offers, answers and discussion; suggestions;
treaty acts signed by their signers; the record, the status, the bundle and the log."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, status

from servanda.errors import InvalidRequest
from servanda.formats.native import loads_uncertain_yaml
from servanda.rooms import Rooms
from servanda.rooms.accounts import Person
from servanda.server import schemas
from servanda.server.problems import REFUSALS
from servanda.server.security import Credentials, credentials, person
from servanda.treaty.bundle import export_bundle
from servanda.treaty.statements import Envelope

router = APIRouter(prefix="/api", responses=REFUSALS, tags=["rooms"])

RoomId = str


def _rooms(request: Request) -> Rooms:
    return request.app.state.rooms


@router.post("/scenarios", status_code=status.HTTP_201_CREATED, response_model=schemas.StoredScenario)
def store_scenario(body: schemas.ScenarioUpload, request: Request, who: Person = Depends(person)) -> dict:
    """Keep a scenario on the server to create rooms from."""
    rooms = _rooms(request)
    scenario_id = rooms.store_scenario(who.account, loads_uncertain_yaml(body.text, source="scenario"))
    return next(s for s in rooms.stored_scenarios(who.account) if s["id"] == scenario_id)


@router.get("/scenarios", response_model=list[schemas.StoredScenario])
def stored_scenarios(request: Request, who: Person = Depends(person)) -> list[dict]:
    return _rooms(request).stored_scenarios(who.account)


@router.post("/rooms", status_code=status.HTTP_201_CREATED, response_model=schemas.RoomCreated)
def create_room(body: schemas.NewRoom, request: Request, who: Person = Depends(person)) -> schemas.RoomCreated:
    """Convene a room from an uploaded or stored scenario, with a protocol, a deadline and
    the seats that bots take."""
    rooms = _rooms(request)
    if (body.scenario is None) == (body.scenario_id is None):
        raise InvalidRequest("give either 'scenario' (uploaded now) or 'scenario_id' (stored)", field="scenario")
    scenario = (loads_uncertain_yaml(body.scenario.text, source="scenario") if body.scenario is not None
                else rooms.stored_scenario(who.account, body.scenario_id))
    room_id = rooms.create(who.account, scenario, title=body.title, protocol_name=body.protocol,
                           rounds=body.rounds, seconds=body.seconds, bots_by_party=body.bots)
    return schemas.RoomCreated(id=room_id)


@router.get("/rooms", response_model=list[schemas.RoomSummary])
def my_rooms(request: Request, who: Person = Depends(person)) -> list[dict]:
    return _rooms(request).rooms_of(who.account)


@router.get("/rooms/{room_id}", response_model=schemas.RoomView)
def room(room_id: RoomId, request: Request, who: Person = Depends(person)) -> dict:
    """The room as you see it: packages scored from your side only."""
    return _rooms(request).view(who.account, room_id)


@router.get("/rooms/{room_id}/scenario", response_model=dict[str, Any])
def room_scenario(room_id: RoomId, request: Request, who: Person = Depends(person)) -> dict:
    """The public structure: issues and options, parties and representatives."""
    return _rooms(request).public_scenario(who.account, room_id)


@router.post("/rooms/{room_id}/invitations", status_code=status.HTTP_201_CREATED, response_model=schemas.Invitation)
def invite(room_id: RoomId, body: schemas.NewInvitation, request: Request,
           who: Person = Depends(person)) -> schemas.Invitation:
    """A one-time invitation (the convener only)."""
    token = _rooms(request).invite(who.account, room_id, body.role, body.party, body.representative,
                                   body.representative_role)
    return schemas.Invitation(token=token, path=f"/api/invitations/{token}", page=f"/invitations/{token}")


@router.post("/invitations/{token}", response_model=schemas.Joined)
def join(token: str, request: Request, who: Person = Depends(person)) -> schemas.Joined:
    """Accept an invitation: take its place in its room."""
    return schemas.Joined(room=_rooms(request).join(who.account, who.username, token))


@router.get("/rooms/{room_id}/preferences/{party}", response_model=schemas.Preferences)
def preferences(room_id: RoomId, party: str, request: Request, who: Person = Depends(person)) -> dict:
    """A party's confidential preferences: for its own people, and the mediator it allows."""
    return _rooms(request).preferences(who.account, room_id, party)


@router.put("/rooms/{room_id}/preferences", response_model=schemas.EventId)
def set_preferences(room_id: RoomId, body: schemas.NewPreferences, request: Request,
                    who: Person = Depends(person)) -> schemas.EventId:
    """Replace your party's preferences; the ledger records only a commitment to them."""
    return schemas.EventId(id=_rooms(request).set_preferences(who.account, room_id, body.preferences))


@router.put("/rooms/{room_id}/grant", response_model=schemas.EventId)
def grant(room_id: RoomId, body: schemas.Grant, request: Request, who: Person = Depends(person)) -> schemas.EventId:
    """Let the room's mediator read your party's preferences (or stop it)."""
    return schemas.EventId(id=_rooms(request).grant_mediator(who.account, room_id, body.mediator_may_read))


# The moves are the busiest requests: they wait for their transaction without holding a
# thread, and check the credentials inside it (see Rooms.move).


@router.post("/rooms/{room_id}/offers", response_model=schemas.EventIds)
async def offer(room_id: RoomId, body: schemas.Offer, request: Request,
                who: Credentials = Depends(credentials)) -> schemas.EventIds:
    """Put a package on the table: an offer on your turn (countering the one there), a
    mediator's text, or a post-settlement improvement."""
    return schemas.EventIds(events=await _move(request, who, "propose", room_id, outcome=body.outcome))


@router.post("/rooms/{room_id}/accept", response_model=schemas.EventIds)
async def accept(room_id: RoomId, request: Request, who: Credentials = Depends(credentials)) -> schemas.EventIds:
    return schemas.EventIds(events=await _move(request, who, "accept", room_id))


@router.post("/rooms/{room_id}/reject", response_model=schemas.EventIds)
async def reject(room_id: RoomId, request: Request, who: Credentials = Depends(credentials)) -> schemas.EventIds:
    return schemas.EventIds(events=await _move(request, who, "reject", room_id))


@router.post("/rooms/{room_id}/walk-away", response_model=schemas.EventIds)
async def walk_away(room_id: RoomId, request: Request, who: Credentials = Depends(credentials)) -> schemas.EventIds:
    return schemas.EventIds(events=await _move(request, who, "walk_away", room_id))


@router.post("/rooms/{room_id}/comments", response_model=schemas.EventId)
async def comment(room_id: RoomId, body: schemas.Comment, request: Request,
                  who: Credentials = Depends(credentials)) -> schemas.EventId:
    """Discussion (not binding): a comment, a question, or a suggestion with a package."""
    return schemas.EventId(id=await _move(request, who, "comment", room_id, body=body.text, kind=body.kind,
                                          outcome=body.outcome))


async def _move(request: Request, who: Credentials, name: str, room_id: str, **fields: Any) -> Any:
    return await asyncio.wrap_future(_rooms(request).move(who.account, name, room_id, **fields))


@router.post("/rooms/{room_id}/score", response_model=schemas.Scored)
def score(room_id: RoomId, body: schemas.Offer, request: Request, who: Person = Depends(person)) -> dict:
    """A package scored from your side, before you send it."""
    return _rooms(request).score(who.account, room_id, body.outcome)


@router.post("/rooms/{room_id}/improvements", response_model=list[schemas.Suggestion])
def improvements(room_id: RoomId, request: Request, body: schemas.ImprovementsOf | None = None,
                 top: int = Query(5, ge=1, le=50), who: Person = Depends(person)) -> list[dict]:
    """Packages at least as good for every party and better for one, on an offer of the
    record (default: the agreement, or else the offer on the table); each with your own gain
    only."""
    return _rooms(request).improvements(who.account, room_id, body.offer if body else None, top)


@router.get("/rooms/{room_id}/events", response_model=list[schemas.Event])
def events(room_id: RoomId, request: Request, after: int = Query(-1, ge=-1, le=2**31),
           limit: int = Query(500, ge=1, le=5000), who: Person = Depends(person)) -> list[dict]:
    """The numbered record after event ``after``, as you see it."""
    return _rooms(request).events(who.account, room_id, after, limit)


@router.post("/rooms/{room_id}/acts/prepare", response_model=schemas.Prepared)
def prepare(room_id: RoomId, body: schemas.Prepare, request: Request, who: Person = Depends(person)) -> dict:
    """The statement of a treaty act, to sign where your key is: the server holds no key."""
    return _rooms(request).prepare(who.account, room_id, body.act, body.fields)


@router.post("/rooms/{room_id}/acts", status_code=status.HTTP_201_CREATED, response_model=schemas.EventId)
def submit(room_id: RoomId, body: schemas.SignedAct, request: Request, who: Person = Depends(person)) -> schemas.EventId:
    """A signed treaty act: checked (signature, mandate, standing) before it counts."""
    envelope = Envelope(statement=body.statement, signer=body.signer, signature=body.signature)
    return schemas.EventId(id=_rooms(request).submit(who.account, room_id, envelope))


@router.get("/rooms/{room_id}/bundle", response_model=dict[str, Any])
def bundle(room_id: RoomId, request: Request, version: int | None = Query(None, ge=1, le=2**31),
           who: Person = Depends(person)) -> dict:
    """The verification bundle of a version of the text, for `servanda verify` offline."""
    rooms = _rooms(request)
    rooms.member(who.account, room_id)
    record = rooms.treaty(room_id)
    return export_bundle(record, version)


@router.get("/rooms/{room_id}/log/head", response_model=dict[str, Any])
def tree_head(room_id: RoomId, request: Request, who: Person = Depends(person)) -> dict:
    """The room ledger's signed tree head, now."""
    rooms = _rooms(request)
    rooms.member(who.account, room_id)
    return rooms.treaty(room_id).ledger.tree_head().to_dict()


@router.get("/rooms/{room_id}/log/consistency", response_model=schemas.Consistency)
def consistency(room_id: RoomId, request: Request, old_size: int = Query(ge=1, le=2**31),
                new_size: int | None = Query(None, ge=1, le=2**31), who: Person = Depends(person)) -> dict:
    """The proof that the ledger now extends the tree of its first ``old_size`` entries."""
    rooms = _rooms(request)
    rooms.member(who.account, room_id)
    ledger = rooms.treaty(room_id).ledger
    new = ledger.size if new_size is None else new_size
    proof = ledger.consistency_proof(old_size, new)
    return {"old_size": old_size, "new_size": new, "proof": [node.hex() for node in proof]}
