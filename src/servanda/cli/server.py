"""``servanda serve`` and ``servanda db upgrade``: run the live server, migrate its database."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from servanda.errors import LedgerError

db_app = typer.Typer(help="The server's database: schema migrations.", no_args_is_help=True)

DbOpt = Annotated[
    Optional[str],
    typer.Option("--db", help="SQLAlchemy URL (postgresql+psycopg://...) or SQLite file; default: the "
                              "embedded database in the data directory ($SERVANDA_DATA)."),
]


def serve(
    db: DbOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on (put TLS in a reverse proxy in front).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (PostgreSQL only).")] = 1,
    secure_cookies: Annotated[bool, typer.Option(help="Send cookies over HTTPS only.")] = False,
    login_limit: Annotated[str, typer.Option(help="Login attempts per address and user.")] = "10/minute",
    registration_limit: Annotated[str, typer.Option(
        help="New accounts per client address (raise it for a classroom behind one address).")] = "20/hour",
) -> None:
    """Run the live negotiation server (API docs at /docs, OpenAPI at /openapi.json)."""
    import uvicorn
    from limits import parse

    from servanda.server.settings import Settings
    from servanda.store import open_database

    for limit, option in ((login_limit, "--login-limit"), (registration_limit, "--registration-limit")):
        try:
            parse(limit)
        except ValueError:
            raise typer.BadParameter(f"'{limit}' is not a limit like 10/minute", param_hint=option) from None
    settings = Settings(database=db or Settings().database, secure_cookies=secure_cookies, login_limit=login_limit,
                        registration_limit=registration_limit)
    postgres = "://" in settings.database and not settings.database.startswith("sqlite")
    if workers > 1 and not postgres:
        raise typer.BadParameter("several workers share rooms through PostgreSQL; SQLite serves one process",
                                 param_hint="--workers")
    if "://" not in settings.database:
        os.makedirs(os.path.dirname(os.path.abspath(settings.database)), exist_ok=True)
    open_database(settings.database).dispose()  # migrated? (SQLite migrates itself; else one clear error)
    os.environ.update(settings.environment())
    uvicorn.run("servanda.server.asgi:app", host=host, port=port, workers=workers, log_level="info",
                timeout_graceful_shutdown=5)


@db_app.command("upgrade")
def upgrade(db: DbOpt = None) -> None:
    """Migrate the database's schema to this version of Servanda."""
    from sqlalchemy import create_engine

    from servanda.server.settings import Settings
    from servanda.store import migrate, open_database
    from servanda.store.database import shown

    location = db or Settings().database
    if "://" not in location:
        open_database(location).dispose()  # an SQLite store migrates itself
    else:
        engine = create_engine(location)
        try:
            with engine.begin() as connection:
                migrate.upgrade(connection, shown(location))
        except LedgerError:
            raise
        except Exception as exc:  # noqa: BLE001 - a database that cannot be reached: one line
            raise LedgerError(f"{shown(location)}: cannot migrate ({str(exc).splitlines()[0]})") from None
        finally:
            engine.dispose()
    typer.echo(f"{shown(location)}: schema at revision {migrate.head()}")


def add_server_commands(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
