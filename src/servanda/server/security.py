"""Who is asking: a bearer token (API client, CLI) or a browser session cookie, whose
state-changing requests must also carry the session's CSRF token in ``X-CSRF-Token``;
and the limits on login and registration attempts."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request, Response
from limits import parse
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Connection, Engine

from servanda.rooms.accounts import SESSION_LIFETIME, Person, identify
from servanda.store.counters import DatabaseStorage

SESSION_COOKIE = "servanda_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Limiter:
    """Fixed-window limits on attempts, counted in the database so that every server process
    shares them: ``rule`` per key (client address and username), and ``spread`` times as
    many per client address alone (trying many usernames from one address)."""

    def __init__(self, rule: str, engine: Engine, spread: int = 10):
        self.rule = parse(rule)
        self.per_address = type(self.rule)(self.rule.amount * spread, self.rule.multiples, "ADDRESS")
        self._limiter = FixedWindowRateLimiter(DatabaseStorage(engine))

    def hit(self, address: str, *key: str) -> None:
        """Count an attempt; a 429 with ``Retry-After`` once a limit is reached."""
        self._hit(self.per_address, address)
        if key:
            self._hit(self.rule, address, *key)

    def _hit(self, rule, *key: str) -> None:
        if not self._limiter.hit(rule, *key):
            reset, _ = self._limiter.get_window_stats(rule, *key)
            wait = max(1, int(reset - time.time()))
            raise HTTPException(429, f"too many attempts; try again in {wait} s", headers={"Retry-After": str(wait)})


@dataclass(frozen=True)
class Credentials:
    """What a request presents: a bearer token, or a session cookie and, on a state-changing
    request, the CSRF token it carries. Read from the headers alone; checked against the
    store by :meth:`person`."""

    secret: str
    kind: str  # "token" or "session"
    csrf: str | None  # the CSRF token sent with a state-changing session request

    def person(self, connection: Connection) -> Person:
        """The signed-in person, read on ``connection``, or a 401 (403 for a session request
        without its CSRF token)."""
        found = identify(connection, self.secret, self.kind)
        if found is None:
            raise _unauthenticated("the token is not valid (revoked, or never issued)" if self.kind == "token"
                                   else "the session has expired; sign in again")
        if self.csrf is not None and (not found.csrf or not hmac.compare_digest(self.csrf.encode(),
                                                                                found.csrf.encode())):
            raise HTTPException(403, f"a request from a browser session must carry its {CSRF_HEADER} header")
        return found

    def account(self, connection: Connection) -> int:
        """The signed-in person's account (see :meth:`person`)."""
        return self.person(connection).account


async def credentials(request: Request) -> Credentials:
    """The request's credentials, not yet checked (a 401 if there are none, or malformed):
    for the moves, which check them in their own transaction."""
    return credentials_of(request)


def credentials_of(request: Request) -> Credentials:
    """The credentials ``request`` presents (see :func:`credentials`)."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise _unauthenticated("the Authorization header must be 'Bearer <token>'")
        return Credentials(secret.strip(), "token", None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        csrf = request.headers.get(CSRF_HEADER, "") if request.method not in SAFE_METHODS else None
        return Credentials(cookie, "session", csrf)
    raise _unauthenticated("sign in: send 'Authorization: Bearer <token>' or a session cookie")


def person(request: Request) -> Person:
    """The signed-in person, or a 401 (403 for a session request without its CSRF token)."""
    presented = credentials_of(request)
    with request.app.state.engine.connect() as connection:
        return presented.person(connection)


def set_session_cookie(response: Response, request: Request, secret: str) -> None:
    """Hand the browser its session: an HttpOnly, SameSite cookie (HTTPS only where the
    settings say so)."""
    response.set_cookie(SESSION_COOKIE, secret, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                        samesite="lax", secure=request.app.state.settings.secure_cookies, path="/")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _unauthenticated(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})
