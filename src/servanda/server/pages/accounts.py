"""Sign in, create an account, sign out: the browser session of the API (an HttpOnly,
SameSite cookie and its CSRF token), from plain forms."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from servanda.errors import ServandaError
from servanda.rooms import accounts
from servanda.server.pages.web import form_of, render, signed_in
from servanda.server.security import SESSION_COOKIE, client_address, set_session_cookie

router = APIRouter(include_in_schema=False)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/") -> Response:
    return render(request, "sign_in.html", next=_local(next))


@router.post("/sign-in")
def sign_in(request: Request, username: str = Form(max_length=64), password: str = Form(max_length=1024),
            next: str = Form("/")) -> Response:
    request.app.state.logins.hit(client_address(request), username)
    account = accounts.authenticate(request.app.state.engine, username, password)
    if account is None:
        return render(request, "sign_in.html", 401, next=_local(next), username=username,
                      error="Wrong username or password.")
    return _session(request, account, _local(next))


@router.post("/register")
def register(request: Request, username: str = Form(max_length=64), password: str = Form(max_length=1024),
             next: str = Form("/")) -> Response:
    request.app.state.registrations.hit(client_address(request))
    try:
        account = accounts.register(request.app.state.engine, username, password)
    except ServandaError as error:
        return render(request, "sign_in.html", 422, next=_local(next), error=f"Cannot create the account: {error}.")
    return _session(request, account, _local(next))


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    if signed_in(request) is not None:
        await form_of(request)  # the CSRF check: no other site can sign anyone out
        accounts.withdraw(request.app.state.engine, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _session(request: Request, account: int, target: str) -> Response:
    secret, _ = accounts.issue(request.app.state.engine, account, "session")
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, secret)
    return response


def _local(target: str) -> str:
    """Only a path on this server: never a redirect to another site."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
