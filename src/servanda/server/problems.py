"""Errors as RFC 9457 problem details (``application/problem+json``), each naming the field
at fault when there is one. Every refusal is a 4xx; an unexpected failure is a 500 whose
detail says nothing about the inside."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from servanda.errors import (
    AccessDenied,
    BundleError,
    InvalidRequest,
    LedgerError,
    NotFound,
    RoomError,
    ScenarioError,
    ServandaError,
    TreatyError,
)

MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger(__name__)

_TITLES = {
    400: "Bad request", 401: "Not signed in", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
    409: "Conflict with the room's state", 413: "Request too large", 415: "Unsupported media type",
    422: "Invalid request", 429: "Too many requests", 500: "Internal error",
}


def problem(status: int, detail: str, request: Request | None = None, field: str | None = None,
            headers: dict[str, str] | None = None, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status,
                            "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def status_of(exc: ServandaError) -> int:
    """The HTTP status of an error Servanda raised on purpose."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, AccessDenied):
        return 403
    if isinstance(exc, InvalidRequest | ScenarioError | TreatyError | BundleError):
        return 422
    if isinstance(exc, RoomError | LedgerError):
        return 409
    return 422


def install(app: FastAPI) -> None:
    """Answer every error as problem+json."""

    @app.exception_handler(ServandaError)
    async def servanda_error(request: Request, exc: ServandaError) -> JSONResponse:
        field = getattr(exc, "field", None)
        if isinstance(exc, ScenarioError) and exc.location:
            field = exc.location
        return problem(status_of(exc), str(exc), request, field)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": "body" if error["type"] == "json_invalid" else _dotted(error["loc"]), "message": error["msg"]}
            for error in exc.errors()
        ]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return problem(422, detail, request, first["field"], errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), request, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "the server failed to answer this request", request)


def _dotted(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    text = ""
    for part in parts:
        text += f"[{part}]" if part.isdigit() else f".{part}"
    return text.lstrip(".") or (str(loc[0]) if loc else "")
