"""My negotiations, invitations, and a room's overview and negotiation pages: the room as
the rooms layer shows it to the signed-in person, its moves sent from forms."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from servanda.server.pages.web import PageError, form_of, is_fragment, person, render, rooms_of

router = APIRouter(include_in_schema=False)

PROTOCOLS = {"alternating": "Alternating offers", "single-text": "Single negotiating text (mediated)"}
#: The moves a form may send.
MOVES = {"propose", "accept", "reject", "walk_away", "comment"}


@router.get("/")
def home(request: Request) -> Response:
    who = person(request)
    return render(request, "home.html", rooms=rooms_of(request).rooms_of(who.account), protocols=PROTOCOLS)


@router.get("/invitations/{token}")
def invitation(token: str, request: Request) -> Response:
    person(request)
    return render(request, "invitation.html", token=token)


@router.post("/invitations/{token}")
async def accept_invitation(token: str, request: Request) -> Response:
    who = person(request)
    await form_of(request)
    room_id = await asyncio.to_thread(rooms_of(request).join, who.account, who.username, token)
    return RedirectResponse(f"/rooms/{room_id}", status_code=303)


@router.get("/rooms/{room_id}")
def overview(room_id: str, request: Request) -> Response:
    context = room_context(request, room_id)
    powers = rooms_of(request).powers(context["me"].account, room_id)
    return render(request, "overview.html", powers=powers, **context)


@router.get("/rooms/{room_id}/negotiate")
def negotiation(room_id: str, request: Request) -> Response:
    """The negotiation page; with ``HX-Request``, its live part alone (the table, the
    history and the dance), which the page reloads on every event of the room."""
    context = room_context(request, room_id)
    who = context["me"]
    context["events"] = rooms_of(request).events(who.account, room_id)
    context["dance"] = dance(context["events"], context["view"])
    return render(request, "_negotiation_live.html" if is_fragment(request) else "negotiation.html", **context)


@router.post("/rooms/{room_id}/compose")
async def compose(room_id: str, request: Request) -> Response:
    """The composer's package scored from one's own side, before it is sent."""
    who = person(request)
    form = await form_of(request)
    context = room_context(request, room_id)
    package = chosen_package(form, context["issues"])
    scored = None
    if len(package) == len(context["issues"]):
        scored = await asyncio.to_thread(rooms_of(request).score, who.account, room_id, package)
    return render(request, "_composer_score.html", scored=scored, view=context["view"])


@router.post("/rooms/{room_id}/moves/{move}")
async def move(room_id: str, move: str, request: Request) -> Response:
    """One move from the negotiation page: an offer (counter-offer), accept, reject, walk
    away, or a comment, question or suggestion."""
    if move not in MOVES:
        raise PageError(404, f"no move '{move}'")
    who = person(request)
    form = await form_of(request)
    fields: dict[str, Any] = {}
    if move == "propose":
        fields["outcome"] = chosen_package(form, room_context(request, room_id)["issues"])
    elif move == "comment":  # the rooms layer checks the kind and the text
        fields |= {"body": str(form.get("text", "")), "kind": str(form.get("kind", "comment"))}
    await asyncio.wrap_future(rooms_of(request).move(who.account, move, room_id, **fields))
    if is_fragment(request):
        return Response(status_code=204)  # the room's event stream brings the change
    return RedirectResponse(f"/rooms/{room_id}/negotiate", status_code=303)


def room_context(request: Request, room_id: str) -> dict[str, Any]:
    """What every room page shows: the room as the person sees it, and its issues."""
    who = person(request)
    rooms = rooms_of(request)
    view = rooms.view(who.account, room_id)
    public = rooms.public_scenario(who.account, room_id)
    issues = [{"name": issue["name"], "options": _options(issue)} for issue in public["issues"]]
    return {"me": who, "view": view, "public": public, "issues": issues, "protocols": PROTOCOLS}


def _options(issue: dict[str, Any]) -> list[str]:
    """An issue's options as labels, in order (a numeric issue's grid, then its extras)."""
    if "options" in issue:
        return [str(option) for option in issue["options"]]
    if issue["type"] == "integer":
        grid = range(int(issue["min"]), int(issue["max"]) + 1, int(issue.get("step", 1)))
        return [str(value) for value in grid] + [str(extra) for extra in issue.get("extra", [])]
    steps = int(issue.get("steps", 11))
    low, high = float(issue["min"]), float(issue["max"])
    grid = [low + (high - low) * k / (steps - 1) for k in range(steps)]
    return [f"{value:g}" for value in grid] + [str(extra) for extra in issue.get("extra", [])]


def chosen_package(form: dict[str, Any], issues: list[dict[str, Any]]) -> dict[str, str]:
    """The package chosen in a form (``issue.<name>`` fields); options are checked by the
    rooms layer, which names the issue at fault."""
    return {issue["name"]: str(form[f"issue.{issue['name']}"]) for issue in issues
            if str(form.get(f"issue.{issue['name']}", ""))}


def dance(events: list[dict[str, Any]], view: dict[str, Any]) -> dict[str, Any]:
    """The negotiation dance from the viewer's side: their own utility of every offer, by
    the party that made it, in order (the plot's data)."""
    mine = view["me"]["party"]
    traces: dict[str, dict[str, list]] = {}
    for event in events:
        if event["type"] == "offer" and mine in event.get("scores", {}):
            trace = traces.setdefault(event["party"], {"x": [], "y": [], "text": []})
            trace["x"].append(event["id"])
            trace["y"].append(event["scores"][mine]["utility"])
            trace["text"].append(f"offer #{event['id']} by {event['party']}")
    reservation = next((event["scores"][mine]["reservation"] for event in events
                        if mine is not None and mine in event.get("scores", {})), None)
    return {"party": mine, "traces": traces, "reservation": reservation}


@router.post("/rooms/{room_id}/suggestions")
async def suggestions(room_id: str, request: Request) -> Response:
    """Packages at least as good as the one on the table (or the agreement) for every
    party and better for one, computed from everyone's preferences; each shown with the
    viewer's own gain only."""
    who = person(request)
    form = await form_of(request)
    offer = str(form.get("offer") or "")
    if offer and not offer.isdigit():
        raise PageError(422, f"offer: an event id, not '{offer}'")
    found = await asyncio.to_thread(rooms_of(request).improvements, who.account, room_id, int(offer) if offer else None)
    return render(request, "_suggestions.html", found=found, **room_context(request, room_id))
