"""People on a server: accounts with argon2id password hashes, and the secrets that stand
for a signed-in person — browser sessions (with their CSRF token) and API tokens — stored
only as SHA-256 digests, so a copy of the database signs no one in."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from servanda.errors import InvalidRequest, RoomError
from servanda.ledger.timestamps import parse_timestamp, utc_timestamp
from servanda.store import accounts, credentials, writing

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
SESSION_LIFETIME = timedelta(days=7)

_CREDENTIAL = (
    select(credentials.c.account_id, credentials.c.csrf, credentials.c.expires_at, accounts.c.username)
    .join(accounts, accounts.c.id == credentials.c.account_id)
    .where(credentials.c.digest == bindparam("digest"), credentials.c.kind == bindparam("kind"))
)
_hasher = PasswordHasher()  # argon2id, RFC 9106's second recommended parameters
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class Person:
    """Who a request comes from, and (for a browser session) its CSRF token."""

    account: int
    username: str
    kind: str  # "session" or "token"
    csrf: str | None = None


def register(engine: Engine, username: str, password: str) -> int:
    """A new account; its id."""
    if not isinstance(username, str) or not USERNAME.match(username):
        raise InvalidRequest("a username is 3 to 64 letters, digits, '.', '_' or '-'", field="username")
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidRequest(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password")
    digest = _hasher.hash(password)
    try:
        with writing(engine) as connection:
            return connection.execute(
                insert(accounts).values(username=username, password_hash=digest, created_at=utc_timestamp())
            ).inserted_primary_key[0]
    except IntegrityError:
        raise RoomError(f"the username '{username}' is taken", field="username") from None


def authenticate(engine: Engine, username: str, password: str) -> int | None:
    """The account whose password this is, or None. Takes as long for an unknown username
    as for a wrong password, so the answer does not reveal which usernames exist."""
    with engine.connect() as connection:
        row = connection.execute(
            select(accounts.c.id, accounts.c.password_hash).where(accounts.c.username == username)
        ).first()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return row.id if row else None


def issue(engine: Engine, account: int, kind: str, label: str = "") -> tuple[str, str | None]:
    """A new secret for ``account``: a browser ``"session"`` (expiring, with a CSRF
    token) or an API ``"token"``. Returns the secret and the CSRF token."""
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32) if kind == "session" else None
    expires = utc_timestamp(datetime.now(timezone.utc) + SESSION_LIFETIME) if kind == "session" else None
    with writing(engine) as connection:
        connection.execute(
            insert(credentials).values(
                digest=_digest(secret), account_id=account, kind=kind, label=label[:200], csrf=csrf,
                created_at=utc_timestamp(), expires_at=expires,
            )
        )
    return secret, csrf


def identify(connection: Connection, secret: str, kind: str) -> Person | None:
    """Whose ``kind`` of secret this is (None if none, or expired), read on ``connection``."""
    row = connection.execute(_CREDENTIAL, {"digest": _digest(secret), "kind": kind}).first()
    if row is None:
        return None
    if row.expires_at is not None and parse_timestamp(row.expires_at) <= datetime.now(timezone.utc):
        return None
    return Person(row.account_id, row.username, kind, row.csrf)


def withdraw(engine: Engine, secret: str) -> None:
    """Sign out: the secret stops working."""
    with writing(engine) as connection:
        connection.execute(delete(credentials).where(credentials.c.digest == _digest(secret)))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
