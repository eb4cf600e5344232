"""The table definitions of a Servanda store, in one :data:`metadata` that ``create_all``
(and later the migrations) build from. Only portable column types: SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    Column,
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
