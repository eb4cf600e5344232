"""The table definitions of a Servanda store, in one :data:`metadata`; the Alembic
migrations in :mod:`servanda.store.migrations` build the same schema step by step. Only
portable column types: SQLite and PostgreSQL.

Two groups: the ledger (``logs``, ``log_entries``), and the live server's accounts and
rooms. A room's events are the entries of its own log: the event id is the entry's seq."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

#: One append-only log and the Ed25519 key that signs its tree heads: stored here for a
#: log the store itself operates (a server), absent when its operator keeps it apart.
logs = Table(
    "logs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("public_key", String(64), nullable=False),  # 64 lowercase hex digits
    Column("private_key", Text, nullable=True),  # PKCS#8 PEM; NULL: held by the operator
    Column("created_at", String(24), nullable=False),  # RFC 3339 UTC, milliseconds
)

#: The entries of every log; ``seq`` runs 0, 1, 2, ... within a log, without gaps.
log_entries = Table(
    "log_entries",
    metadata,
    Column("log_id", Integer, ForeignKey("logs.id"), primary_key=True, autoincrement=False),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),  # RFC 9162 leaf hash of data
    Column("appended_at", String(24), nullable=False),
)


#: A person's account on a server; the password only as an argon2id hash.
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", String(24), nullable=False),
)

#: Browser sessions and API tokens, by the SHA-256 of the secret (never the secret itself);
#: a session also has its CSRF token.
credentials = Table(
    "credentials",
    metadata,
    Column("digest", String(64), primary_key=True),  # hex SHA-256 of the secret
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # "session" or "token"
    Column("label", String(200), nullable=False, default=""),
    Column("csrf", String(64), nullable=True),
    Column("created_at", String(24), nullable=False),
    Column("expires_at", String(24), nullable=True),
)

#: A live negotiation: the public part of its scenario, its protocol and deadline, the
#: state of its turns (JSON), and its log (whose entries are the room's events).
rooms = Table(
    "rooms",
    metadata,
    Column("id", String(32), primary_key=True),  # random, URL-safe
    Column("title", String(200), nullable=False),
    Column("convener_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("log_id", Integer, ForeignKey("logs.id"), nullable=False, unique=True),
    Column("scenario", Text, nullable=False),  # JSON: issues and parties, no preferences
    Column("protocol", String(32), nullable=False),
    Column("state", Text, nullable=False),  # JSON: see servanda.rooms.protocol
    Column("created_at", String(24), nullable=False),
)

#: Who takes each party's seat in the protocol: people (NULL) or a bot running a strategy.
seats = Table(
    "seats",
    metadata,
    Column("room_id", String(32), ForeignKey("rooms.id"), primary_key=True),
    Column("party", String(200), primary_key=True),
    Column("bot", String(200), nullable=True),  # strategy spec, e.g. "boulware(e=0.2)"
)

#: A person in a room: for a party (as one of its representatives), as the neutral
#: mediator, or as an observer of the public record.
members = Table(
    "members",
    metadata,
    Column("room_id", String(32), ForeignKey("rooms.id"), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("role", String(16), nullable=False),  # "party", "mediator", "observer"
    Column("party", String(200), nullable=True),
    Column("representative", String(200), nullable=True),
    Column("joined_at", String(24), nullable=False),
)

#: One-time invitations, by the SHA-256 of their token.
invitations = Table(
    "invitations",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("room_id", String(32), ForeignKey("rooms.id"), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("party", String(200), nullable=True),
    Column("representative", String(200), nullable=True),
    Column("created_at", String(24), nullable=False),
    Column("used_by", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("used_at", String(24), nullable=True),
)

#: Each party's confidential preferences in a room (JSON: weights, values, red lines,
#: reservation value, ...), the salt of their commitment in the log, and whether the
#: party lets the room's mediator read them.
preferences = Table(
    "preferences",
    metadata,
    Column("room_id", String(32), ForeignKey("rooms.id"), primary_key=True),
    Column("party", String(200), primary_key=True),
    Column("document", Text, nullable=False),
    Column("salt", String(64), nullable=False),
    Column("mediator_may_read", Boolean, nullable=False, default=False),
    Column("updated_at", String(24), nullable=False),
)

#: Scenarios uploaded to a server, for rooms to be created from; readable by their owner.
stored_scenarios = Table(
    "scenarios",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("document", Text, nullable=False),  # JSON: the native document, uncertainty included
    Column("created_at", String(24), nullable=False),
)

#: Counters of rate limits (login attempts per address and user), shared by every server
#: process: a count and when its window ends (seconds since the epoch).
rate_counters = Table(
    "rate_counters",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", Float, nullable=False),
)
