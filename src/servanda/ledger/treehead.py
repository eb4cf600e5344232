"""Signed tree heads: the log's signed statement of its size and Merkle root at a time
(the role of RFC 9162 §4.10, as an Ed25519 signature over canonical JSON)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from servanda.crypto import PUBLIC_KEY_HEX, SIGNATURE_HEX, public_hex, sign, verify
from servanda.ledger.timestamps import parse_timestamp

_ROOT_HEX = re.compile(r"[0-9a-f]{64}")
_FIELDS = ("log_key", "size", "root", "timestamp", "signature")
#: RFC 8785 numbers are IEEE doubles: larger integers have no canonical spelling.
_MAX_SIZE = 2**53 - 1


@dataclass(frozen=True)
class SignedTreeHead:
    """A log's signature (``signature``, hex) by its key ``log_key`` (hex) over its first
    ``size`` entries having the Merkle root ``root`` (hex) at ``timestamp``."""

    log_key: str
    size: int
    root: str
    timestamp: str
    signature: str

    def statement(self) -> dict[str, Any]:
        """What the log signs."""
        return {
            "type": "servanda-tree-head",
            "log_key": self.log_key,
            "size": self.size,
            "root": self.root,
            "timestamp": self.timestamp,
        }

    def verify(self) -> bool:
        """Whether every field is well formed and the signature is the log key's."""
        return _problem(self.to_dict()) is None and verify(
            self.log_key, self.statement(), self.signature
        )

    def to_dict(self) -> dict[str, Any]:
        """The tree head as plain JSON data."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_dict(cls, data: Any) -> SignedTreeHead:
        """Read a tree head strictly (exact keys, canonical spellings); ``ValueError`` says
        which field is wrong. The signature is checked by :meth:`verify`, not here."""
        problem = _problem(data)
        if problem:
            raise ValueError(f"tree head: {problem}")
        return cls(**{name: data[name] for name in _FIELDS})


def sign_tree_head(
    key: Ed25519PrivateKey, size: int, root: bytes, timestamp: str
) -> SignedTreeHead:
    """The tree head for ``size`` entries with Merkle ``root``, signed by the log's ``key``."""
    head = SignedTreeHead(public_hex(key), size, root.hex(), timestamp, signature="")
    return replace(head, signature=sign(key, head.statement()))


def _problem(data: Any) -> str | None:
    """What is wrong with a tree head in dict form, or ``None``."""
    if not isinstance(data, dict) or set(data) != set(_FIELDS):
        return f"expected exactly the keys {', '.join(_FIELDS)}"
    if not isinstance(data["log_key"], str) or not PUBLIC_KEY_HEX.fullmatch(data["log_key"]):
        return "'log_key' must be 64 lowercase hex digits"
    size = data["size"]
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= _MAX_SIZE:
        return "'size' must be an integer from 0 to 2**53 - 1"
    if not isinstance(data["root"], str) or not _ROOT_HEX.fullmatch(data["root"]):
        return "'root' must be 64 lowercase hex digits"
    try:
        parse_timestamp(data["timestamp"])
    except ValueError as exc:
        return f"'timestamp': {exc}"
    if not isinstance(data["signature"], str) or not SIGNATURE_HEX.fullmatch(data["signature"]):
        return "'signature' must be 128 lowercase hex digits"
    return None
