"""The private preparation page of a party (``/rooms/{id}/prepare``): its preferences as a
form (importance points, option ratings, red lines, reservation value), saved as the
party's confidential block; the package check; and whether the room's mediator may read
them. Every computation is :mod:`servanda.rooms.preparation`'s; this module presents it."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from servanda.errors import AccessDenied, NotFound, RoomError
from servanda.rooms import preparation as prep
from servanda.server.pages.rooms import room_context
from servanda.server.pages.web import PageError, form_of, is_fragment, person, render, rooms_of

router = APIRouter(include_in_schema=False)



@router.get("/rooms/{room_id}/prepare")
def preparation_page(room_id: str, request: Request, saved: int | None = None) -> Response:
    """The party's own preparation, filled from its stored preferences."""
    context = room_context(request, room_id)
    found = prep.preparation(rooms_of(request), context["me"].account, room_id)
    return render(request, "preparation.html", prep=found, inputs=found.inputs, check=None, saved=saved,
                  **_mediator(context["view"], found.mediator_may_read), **context)


@router.post("/rooms/{room_id}/prepare")
async def save(room_id: str, request: Request) -> Response:
    """Store the form as the party's preferences: a confirmation (htmx) or the page again."""
    who = person(request)
    form = await form_of(request)
    try:
        event = await asyncio.to_thread(prep.save, rooms_of(request), who.account, room_id, form)
    except (AccessDenied, NotFound):
        raise
    except RoomError as exc:  # a field at fault, or a room that no longer takes preferences
        if is_fragment(request):
            return render(request, "_prep_error.html", status_code=422, detail=str(exc), field=exc.field)
        raise
    if is_fragment(request):
        return render(request, "_prep_saved.html", event=event)
    return RedirectResponse(f"/rooms/{room_id}/prepare?saved={event}", status_code=303)


@router.post("/rooms/{room_id}/prepare/check")
async def package_check(room_id: str, request: Request) -> Response:
    """The package check of the form: a fragment for htmx, the page with it otherwise."""
    who = person(request)
    form = await form_of(request)
    try:
        inputs, check = await asyncio.to_thread(prep.check, rooms_of(request), who.account, room_id, form)
    except (AccessDenied, NotFound):
        raise
    except RoomError as exc:
        if is_fragment(request):
            return render(request, "_prep_error.html", status_code=422, detail=str(exc), field=exc.field)
        raise
    if is_fragment(request):
        return render(request, "_prep_check.html", check=check)
    context = await asyncio.to_thread(room_context, request, room_id)
    found = await asyncio.to_thread(prep.preparation, rooms_of(request), who.account, room_id)
    return render(request, "preparation.html", prep=found, inputs=inputs, check=check, saved=None,
                  ratings=check.ratings, **_mediator(context["view"], found.mediator_may_read), **context)


@router.post("/rooms/{room_id}/prepare/mediator")
async def mediator(room_id: str, request: Request) -> Response:
    """Let the room's mediator read the party's preferences, or stop it."""
    who = person(request)
    form = await form_of(request)
    allowed = {"yes": True, "no": False}.get(str(form.get("allowed", "")))
    if allowed is None:
        raise PageError(422, "allowed: expected 'yes' or 'no'")
    await asyncio.to_thread(rooms_of(request).grant_mediator, who.account, room_id, allowed)
    if not is_fragment(request):
        return RedirectResponse(f"/rooms/{room_id}/prepare", status_code=303)
    context = await asyncio.to_thread(room_context, request, room_id)
    return render(request, "_prep_mediator.html", **_mediator(context["view"], allowed), **context)


def _mediator(view: dict[str, Any], granted: bool) -> dict[str, Any]:
    return {"granted": granted, "mediators": [p["username"] for p in view["people"] if p["role"] == "mediator"]}
