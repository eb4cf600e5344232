"""What every page shares: the templates, who is signed in, the CSRF check of a form, and
errors shown as pages (a fragment for htmx) rather than problem+json."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from servanda.crypto import fingerprint
from servanda.rooms import Rooms
from servanda.rooms.accounts import Person, identify
from servanda.rooms.views import EVENT_TYPES
from servanda.server.security import CSRF_HEADER, SESSION_COOKIE

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["fingerprint"] = fingerprint  # a public key as people compare it
templates.env.globals["event_types"] = " ".join(sorted(EVENT_TYPES))  # what a room's stream sends


class SignInFirst(Exception):  # noqa: N818 - a redirect, not an error
    """Raised by a page for someone not signed in: they are sent to the sign-in page."""


def is_fragment(request: Request) -> bool:
    """Whether htmx asks (``HX-Request``): then a page answers with a fragment."""
    return request.headers.get("hx-request") == "true"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered for ``request`` (the signed-in person, if any, is ``me``)."""
    context.setdefault("me", signed_in(request))
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def rooms_of(request: Request) -> Rooms:
    """The server's rooms layer."""
    return request.app.state.rooms


def signed_in(request: Request) -> Person | None:
    """The person of the request's session cookie, or None."""
    if "servanda_person" not in request.scope:
        secret = request.cookies.get(SESSION_COOKIE)
        found = None
        if secret:
            with request.app.state.engine.connect() as connection:
                found = identify(connection, secret, "session")
        request.scope["servanda_person"] = found
    return request.scope["servanda_person"]


def person(request: Request) -> Person:
    """The signed-in person; anyone else is sent to sign in."""
    found = signed_in(request)
    if found is None:
        raise SignInFirst()
    return found


async def form_of(request: Request) -> dict[str, Any]:
    """A state-changing request's form, once its CSRF token (form field ``csrf`` or the
    ``X-CSRF-Token`` header that htmx sends) matches the session's; a 403 otherwise."""
    who = person(request)
    form = await request.form()
    sent = request.headers.get(CSRF_HEADER) or str(form.get("csrf", ""))
    if not who.csrf or not hmac.compare_digest(sent.encode(), who.csrf.encode()):
        raise PageError(403, "this form is out of date or came from another site: reload the page and try again")
    return dict(form.multi_items())


class PageError(Exception):
    """A request a page refuses: shown as an error message with ``status``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def error_page(request: Request, status: int, detail: str) -> Response:
    """An error as HTML: a fragment for htmx (it shows it in the page's message area), a
    whole page otherwise."""
    template = "_error.html" if is_fragment(request) else "error.html"
    response = render(request, template, status_code=status, status=status, detail=detail)
    if is_fragment(request):
        # htmx swaps only 2xx answers by default: send the message to the page's message area
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def install_errors(app: FastAPI) -> None:
    """Pages answer errors as HTML and send whoever is not signed in to sign in."""

    @app.exception_handler(SignInFirst)
    async def sign_in_first(request: Request, exc: SignInFirst) -> Response:
        target = "/sign-in?next=" + quote(request.url.path, safe="/")
        if is_fragment(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return error_page(request, exc.status, str(exc))

    app.state.error_page = error_page
