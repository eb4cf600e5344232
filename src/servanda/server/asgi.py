"""The application uvicorn's worker processes import (``servanda.server.asgi:app``),
configured from the environment that ``servanda serve`` sets."""

from servanda.server.app import create_app
from servanda.server.settings import Settings

app = create_app(Settings.from_environment())
