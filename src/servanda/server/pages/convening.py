"""Convening: a new room from a scenario file or a stored scenario, and invitations (one-time
links) to its seats, from the browser."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from servanda.formats.native import loads_uncertain_yaml
from servanda.negotiation.strategies import STRATEGIES
from servanda.server.pages.rooms import PROTOCOLS, room_context
from servanda.server.pages.web import PageError, form_of, person, render, rooms_of

router = APIRouter(include_in_schema=False)

MAX_SCENARIO_BYTES = 2_000_000  # as the API's upload



@router.get("/rooms/new")
def new_room_page(request: Request) -> Response:
    who = person(request)
    return render(request, "new_room.html", stored=rooms_of(request).stored_scenarios(who.account),
                  protocols=PROTOCOLS, strategies=sorted(STRATEGIES))


@router.post("/rooms/new")
async def new_room(request: Request) -> Response:
    """Convene: the scenario uploaded (or stored before), a protocol, a deadline, bots."""
    who = person(request)
    form = await form_of(request)
    rooms = rooms_of(request)
    upload = form.get("scenario_file")
    stored = str(form.get("scenario_id") or "")
    text = ""
    if upload is not None and getattr(upload, "filename", ""):
        data = await upload.read(MAX_SCENARIO_BYTES + 1)
        if len(data) > MAX_SCENARIO_BYTES:
            raise PageError(413, f"scenario_file: at most {MAX_SCENARIO_BYTES:,} bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise PageError(422, "scenario_file: a scenario file is UTF-8 text (YAML or JSON)") from None
    if bool(text) == bool(stored):
        raise PageError(422, "scenario: upload a scenario file or choose a stored scenario (one of the two)")
    bots = _bots(str(form.get("bots") or ""))

    def create() -> str:
        scenario = (loads_uncertain_yaml(text, source=getattr(upload, "filename", "scenario")) if text
                    else rooms.stored_scenario(who.account, stored))
        return rooms.create(who.account, scenario, title=str(form.get("title") or "") or None,
                            protocol_name=str(form.get("protocol") or "alternating"),
                            rounds=_number(form, "rounds", int), seconds=_minutes(form), bots_by_party=bots)

    room_id = await asyncio.to_thread(create)
    return RedirectResponse(f"/rooms/{room_id}", status_code=303)


@router.post("/rooms/{room_id}/invitations")
async def invite(room_id: str, request: Request) -> Response:
    """A one-time invitation link, shown to the convener to send on."""
    who = person(request)
    form = await form_of(request)
    role = str(form.get("role", "party"))
    party, _, representative = str(form.get("seat", "")).partition("\u241f")  # party ␟ representative
    token = await asyncio.to_thread(
        rooms_of(request).invite, who.account, room_id, role,
        party if role == "party" else None, representative if role == "party" else None)
    link = str(request.base_url).rstrip("/") + f"/invitations/{token}"
    context = room_context(request, room_id)
    return render(request, "_invitation_link.html", link=link, role=role, party=party if role == "party" else None,
                  representative=representative, **context)


def _bots(text: str) -> dict[str, str]:
    """``Party: strategy`` lines (the rooms layer checks parties and strategies)."""
    bots = {}
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            party, colon, strategy = line.partition(":")
            if not colon or not party.strip() or not strategy.strip():
                raise PageError(422, f"bots, line {number}: write 'Party: strategy', not '{line.strip()}'")
            bots[party.strip()] = strategy.strip()
    return bots


def _number(form: dict[str, Any], name: str, kind: type) -> Any:
    value = str(form.get(name) or "").strip()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise PageError(422, f"{name}: a number, not '{value}'") from None


def _minutes(form: dict[str, Any]) -> float | None:
    minutes = _number(form, "minutes", float)
    return None if minutes is None else minutes * 60
