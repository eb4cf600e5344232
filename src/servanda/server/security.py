"""Who is asking: a bearer token (API client, CLI) or a browser session cookie, whose
state-changing requests must also carry the session's CSRF token in ``X-CSRF-Token``;
and the limits on login and registration attempts."""

from __future__ import annotations

import hmac
import time

from fastapi import HTTPException, Request
from limits import parse
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Engine

from servanda.rooms.accounts import Person, identify
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


def person(request: Request) -> Person:
    """The signed-in person, or a 401 (403 for a session request without its CSRF token)."""
    engine = request.app.state.engine
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise _unauthenticated("the Authorization header must be 'Bearer <token>'")
        found = identify(engine, secret.strip(), "token")
        if found is None:
            raise _unauthenticated("the token is not valid (revoked, or never issued)")
        return found
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = identify(engine, cookie, "session")
        if found is None:
            raise _unauthenticated("the session has expired; sign in again")
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not found.csrf or not hmac.compare_digest(sent.encode(), found.csrf.encode()):
                raise HTTPException(403, f"a request from a browser session must carry its {CSRF_HEADER} header")
        return found
    raise _unauthenticated("sign in: send 'Authorization: Bearer <token>' or a session cookie")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _unauthenticated(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})
