"""The debrief, for the parties, the mediator and teachers once the room has ended: how it
ended and, for each party whose preferences the viewer reads, its result against the
efficient frontier (the headroom on it, the share of the joint gain) with the plots.
:mod:`servanda.rooms.insight` computes; this presents."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from servanda.rooms import insight
from servanda.server.pages.rooms import room_context
from servanda.server.pages.web import render, rooms_of

router = APIRouter(include_in_schema=False)



@router.get("/rooms/{room_id}/debrief")
def debrief(room_id: str, request: Request, x: str | None = None, y: str | None = None) -> Response:
    """The debrief page; ``x`` and ``y`` choose the two parties of its utility space (by
    default the first two the viewer reads)."""
    context = room_context(request, room_id)
    found = insight.debriefing(rooms_of(request), context["me"].account, room_id,
                               (x or "", y or "") if x or y else None)
    context |= {
        "debrief": found,
        "results_plot": insight.results_dict(found) if found.results else None,
        "space_plot": None if found.space is None else insight.space_dict(found.space, insight.result_point(found)),
        "names": insight.SOLUTION_NAMES,
    }
    return render(request, "debrief.html", **context)
