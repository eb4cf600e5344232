"""Errors as RFC 9457 problem details (``application/problem+json``), each naming the field
at fault when there is one. Every refusal is a 4xx; an unexpected failure is a 500 whose
detail says nothing about the inside."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from servanda.server.schemas import Problem
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

#: The refusals every operation may answer, documented with the problem+json schema.
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The request could not be read (a body that is not UTF-8 JSON)."},
    401: {"model": Problem, "description": "Not signed in (no, or no valid, bearer token or session)."},
    403: {"model": Problem, "description": "Forbidden: not yours to do (or a session request without its CSRF token)."},
    404: {"model": Problem, "description": "No such room, invitation or party — or none you are in."},
    409: {"model": Problem, "description": "Refused by the room's state or rules (not your turn, ended, red line)."},
    422: {"model": Problem, "description": "Invalid request; `field` names the part at fault."},
    429: {"model": Problem, "description": "Too many attempts; see Retry-After."},
}
#: Operations open to anyone: signing up and signing in.
PUBLIC = {("post", "/api/accounts"), ("post", "/api/tokens"), ("post", "/api/session")}
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


def _answer(request: Request, status: int, detail: str, field: str | None = None,
            headers: dict[str, str] | None = None, errors: list[dict[str, Any]] | None = None) -> Response:
    """An error as problem+json; on a web page (outside ``/api``), as the page's error."""
    error_page = getattr(request.app.state, "error_page", None)
    if error_page is not None and not request.url.path.startswith("/api/"):
        response = error_page(request, status, detail)
        response.headers.update(headers or {})
        return response
    return problem(status, detail, request, field, headers, errors)


def install(app: FastAPI) -> None:
    """Answer every error as problem+json (as HTML on the web pages)."""

    @app.exception_handler(ServandaError)
    async def servanda_error(request: Request, exc: ServandaError) -> Response:
        field = getattr(exc, "field", None)
        if isinstance(exc, ScenarioError) and exc.location:
            field = exc.location
        return _answer(request, status_of(exc), str(exc), field)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": "body" if error["type"] == "json_invalid" else _dotted(error["loc"]), "message": error["msg"]}
            for error in exc.errors()
        ]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return _answer(request, 422, detail, first["field"], errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _answer(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        _log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _answer(request, 500, "the server failed to answer this request")


def _dotted(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    text = ""
    for part in parts:
        text += f"[{part}]" if part.isdigit() else f".{part}"
    return text.lstrip(".") or (str(loc[0]) if loc else "")


def document(app: FastAPI) -> None:
    """Complete the OpenAPI document: refusals as ``application/problem+json``, and how to
    sign in (bearer token, or session cookie with its CSRF header)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if code.startswith("4") and "application/json" in content:
                        content[MEDIA_TYPE] = content.pop("application/json")
                if (method, path) in PUBLIC:
                    operation["security"] = []
        components = schema.setdefault("components", {})
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "A token from POST /api/tokens (the Python client and the CLI)."},
            "session": {"type": "apiKey", "in": "cookie", "name": "servanda_session",
                        "description": "A browser session from POST /api/session; every state-changing "
                                       "request must also send its CSRF token in X-CSRF-Token."},
        }
        schema["security"] = [{"bearer": []}, {"session": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
