"""Accounts, sign-in (browser sessions and API tokens) and "my rooms"."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from servanda.rooms import accounts
from servanda.rooms.accounts import Person
from servanda.server import schemas
from servanda.server.problems import REFUSALS
from servanda.server.security import SESSION_COOKIE, client_address, person, set_session_cookie

router = APIRouter(prefix="/api", responses=REFUSALS, tags=["accounts"])


@router.post("/accounts", status_code=status.HTTP_201_CREATED, response_model=schemas.Account)
def register(body: schemas.Credentials, request: Request) -> schemas.Account:
    """Open an account (a password of 8 characters or more)."""
    request.app.state.registrations.hit(client_address(request))
    account = accounts.register(request.app.state.engine, body.username, body.password)
    return schemas.Account(id=account, username=body.username)


@router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=schemas.Token)
def new_token(body: schemas.TokenRequest, request: Request) -> schemas.Token:
    """Sign in for the API: a bearer token for the Python client and the CLI."""
    account = _login(request, body.username, body.password)
    token, _ = accounts.issue(request.app.state.engine, account, "token", body.label)
    return schemas.Token(username=body.username, token=token)


@router.post("/session", response_model=schemas.Session)
def sign_in(body: schemas.Credentials, request: Request, response: Response) -> schemas.Session:
    """Sign in from a browser: an HttpOnly, SameSite session cookie, and the CSRF token to
    send with every state-changing request."""
    account = _login(request, body.username, body.password)
    secret, csrf = accounts.issue(request.app.state.engine, account, "session")
    set_session_cookie(response, request, secret)
    return schemas.Session(username=body.username, csrf=csrf)


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(request: Request, response: Response, who: Person = Depends(person)) -> Response:
    """End the browser session (or revoke the bearer token used)."""
    header = request.headers.get("authorization", "")
    secret = header.partition(" ")[2].strip() if header else request.cookies.get(SESSION_COOKIE, "")
    accounts.withdraw(request.app.state.engine, secret)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = status.HTTP_204_NO_CONTENT
    return response


@router.get("/me", response_model=schemas.Me)
def me(request: Request, who: Person = Depends(person)) -> schemas.Me:
    """Who you are, and your rooms."""
    return schemas.Me(username=who.username, rooms=request.app.state.rooms.rooms_of(who.account))


def _login(request: Request, username: str, password: str) -> int:
    request.app.state.logins.hit(client_address(request), username)
    account = accounts.authenticate(request.app.state.engine, username, password)
    if account is None:
        raise HTTPException(401, "wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    return account
