"""The FastAPI application: thin — HTTP in, calls into the rooms layer, HTTP out."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from servanda.rooms import Rooms
from servanda.server import accounts_api, events_api, pages, problems, rooms_api
from servanda.server.broker import Broker, PostgresListener
from servanda.server.security import Limiter
from servanda.server.settings import Settings
from servanda.store import open_database


def create_app(settings: Settings | None = None) -> FastAPI:
    """The server for ``settings`` (default: the embedded SQLite database)."""
    settings = settings or Settings()
    broker = Broker()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        broker.bind(asyncio.get_running_loop())
        # The collector's pauses are what the slowest requests wait for. Everything made while
        # starting (modules, the app, the engine) lives as long as the process: frozen, out of
        # its way, a full collection scans only what came since (a tenth as long); and it
        # runs less often (every 10,000 new objects instead of 700: under load, collections
        # found no cycles to free; reference counting frees a server's garbage).
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 20, 20)
        listener = None
        if app.state.rooms.postgres:
            url = app.state.engine.url.set(drivername="postgresql")
            listener = PostgresListener(url.render_as_string(hide_password=False), broker)
            listener.start()
        yield
        if listener is not None:
            listener.stop()
        app.state.rooms.close()
        app.state.engine.dispose()

    app = FastAPI(
        title="Servanda",
        summary="Live multi-issue, multi-party negotiations: rooms, confidential preferences, offers, "
                "signed agreements in a tamper-evident ledger.",
        version="0.1.0",
        lifespan=lifespan,
    )
    engine = _engine(settings.database)
    rooms = Rooms(engine)
    rooms.listen(broker.notify)
    app.state.settings, app.state.engine, app.state.rooms, app.state.broker = settings, engine, rooms, broker
    app.state.logins = Limiter(settings.login_limit, engine)
    app.state.registrations = Limiter(settings.registration_limit, engine, spread=1)
    problems.install(app)
    problems.document(app)
    app.include_router(accounts_api.router)
    app.include_router(rooms_api.router)
    app.include_router(events_api.router)
    pages.install(app)
    return app


def _engine(database: str):
    if "://" not in database:
        from pathlib import Path

        Path(database).parent.mkdir(parents=True, exist_ok=True)
    return open_database(database)
