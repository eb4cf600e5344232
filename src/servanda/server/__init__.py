"""The live server: FastAPI over the rooms layer (``servanda serve``)."""

from servanda.server.app import create_app
from servanda.server.settings import Settings

__all__ = ["Settings", "create_app"]
