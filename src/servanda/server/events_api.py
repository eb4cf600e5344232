"""A room's events as Server-Sent Events, filtered for the viewer.

The person's place in the room is checked when the stream opens (a person's place only
ever grows: an observer may join as a party, never the reverse; a reconnect sees the new
place); a mediator's grants are read again for every batch.

Every event carries its id (the room ledger's entry number: gapless, increasing). A client
that reconnects with ``Last-Event-ID`` (or ``?after=``) gets every event after that one,
read from the store, then each new one as it is committed."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Header, Query, Request
from sse_starlette.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from servanda.errors import InvalidRequest
from servanda.server.problems import REFUSALS
from servanda.server.security import person

router = APIRouter(prefix="/api", responses=REFUSALS, tags=["events"])

BATCH = 500
RECHECK_SECONDS = 5.0


@router.get(
    "/rooms/{room_id}/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "The room's events, as they happen."}},
)
async def stream(
    room_id: str,
    request: Request,
    after: int | None = Query(None, ge=-1, le=2**31, description="Start after this event id."),
    last_event_id: str | None = Header(None, description="Set by a reconnecting EventSource."),
) -> EventSourceResponse:
    """Stream the room's events after ``Last-Event-ID`` (or ``after``; default: all)."""
    who = await run_in_threadpool(person, request)
    rooms = request.app.state.rooms
    member = await run_in_threadpool(rooms.member, who.account, room_id)  # 404 for anyone not in the room
    cursor = _start(last_event_id, after)
    broker = request.app.state.broker

    async def events():
        nonlocal cursor
        with broker.subscribe(room_id) as wake:
            look = True  # in the store too: at the start, and when no wake-up came for a while
            while True:
                wake.clear()
                batch = rooms.recent_events_for(member, room_id, cursor, BATCH)
                if batch is None:  # not in memory: from the store, unless nothing new was announced
                    announced = broker.announced(room_id)
                    unseen = look or announced is None or announced > cursor
                    batch = await run_in_threadpool(rooms.events_for, member, room_id, cursor, BATCH) if unseen else []
                if batch:
                    yield b"".join(_encoded(event) for event in batch)  # one write for the batch
                    cursor = batch[-1]["id"]
                if len(batch) == BATCH:
                    continue  # more to read; otherwise caught up: anything newer sets ``wake``
                try:
                    await asyncio.wait_for(wake.wait(), RECHECK_SECONDS)
                    look = False
                except TimeoutError:
                    look = True

    return EventSourceResponse(events(), ping=15)


def _encoded(event: dict) -> bytes:
    return ServerSentEvent(data=json.dumps(event, separators=(",", ":")), id=str(event["id"]),
                           event=event["type"]).encode()


def _start(last_event_id: str | None, after: int | None) -> int:
    if last_event_id is not None and last_event_id.strip():
        try:
            value = int(last_event_id)
        except ValueError:
            raise InvalidRequest("Last-Event-ID must be an event id (an integer)", field="Last-Event-ID") from None
        if not -1 <= value <= 2**31:
            raise InvalidRequest("Last-Event-ID is out of range", field="Last-Event-ID")
        return value
    return -1 if after is None else after
