"""The web pages: server-rendered HTML (Jinja2) with htmx fragments and live updates from
the room's event stream. They present the rooms layer and hold no logic of their own; every
script and style they use is served from :data:`STATIC`, at a pinned version (no CDN)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from servanda.server.pages import accounts, convening, debrief, mediator, preparation, rooms, treaty
from servanda.server.pages.web import STATIC, install_errors


def install(app: FastAPI) -> None:
    """Serve the pages and their static files on ``app``."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_errors(app)
    for module in (accounts, convening, rooms, treaty, mediator, debrief, preparation):  # convening first: /rooms/new before /rooms/{id}
        app.include_router(module.router)
