"""The mediator's page: the utility space of two parties that granted their preferences
(every outcome, the Pareto frontier, Nash, Kalai-Smorodinsky and the offers), the zone of
possible agreement, the deadlock diagnosis with the minimal relaxation, and the controls of
single-negotiating-text mediation. :mod:`servanda.rooms.insight` computes; this presents."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from servanda.rooms import insight
from servanda.server.pages.rooms import room_context
from servanda.server.pages.web import PageError, is_fragment, render, rooms_of

router = APIRouter(include_in_schema=False)



@router.get("/rooms/{room_id}/mediate")
def mediator(room_id: str, request: Request, x: str | None = None, y: str | None = None) -> Response:
    """The mediator's page; with ``HX-Request``, its live part alone (reloaded on every
    event of the room, and when the mediator chooses the two parties ``x`` and ``y``)."""
    context = room_context(request, room_id)
    if context["view"]["me"]["role"] != "mediator":
        raise PageError(403, "this page is for the room's mediator")
    who = context["me"]
    found = insight.mediation(rooms_of(request), who.account, room_id, (x or "", y or "") if x or y else None)
    view = context["view"]
    context |= {
        "insight": found,
        "events": rooms_of(request).events(who.account, room_id),
        "space_plot": None if found.space is None else insight.space_dict(found.space),
        "names": insight.SOLUTION_NAMES,
        # a text may be put: single-text mediation, open, and texts left before the deadline
        "can_put": view["protocol"] == "single-text" and view["phase"] == "open"
        and (view["rounds"] is None or view["offers"] < view["rounds"]),
    }
    return render(request, "_mediator_live.html" if is_fragment(request) else "mediator.html", **context)
