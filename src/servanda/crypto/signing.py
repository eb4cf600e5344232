"""Ed25519 signatures over canonical JSON statements."""

from __future__ import annotations

import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from servanda.crypto.canonical import canonical_json
from servanda.crypto.keys import public_key_from_hex

#: A signature inside a document: 64 bytes, lowercase hex.
SIGNATURE_HEX = re.compile(r"[0-9a-f]{128}")


def sign(key: Ed25519PrivateKey, statement: Any) -> str:
    """Sign the RFC 8785 bytes of ``statement``; the signature as lowercase hex."""
    return key.sign(canonical_json(statement)).hex()


def verify(public: str, statement: Any, signature: str) -> bool:
    """Whether ``signature`` (hex) is ``public``'s (hex) Ed25519 signature of the canonical
    bytes of ``statement``. Malformed keys or signatures are simply not valid."""
    if not isinstance(signature, str) or not SIGNATURE_HEX.fullmatch(signature):
        return False
    try:
        public_key_from_hex(public).verify(bytes.fromhex(signature), canonical_json(statement))
    except (InvalidSignature, ValueError):
        return False
    return True
