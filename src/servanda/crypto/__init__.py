"""Cryptographic ground shared by the treaty and the ledger: canonical JSON (RFC 8785),
Ed25519 keys in documented files, and signatures over canonical statements."""

from servanda.crypto.canonical import canonical_json, parse_json
from servanda.crypto.keys import (
    PUBLIC_KEY_HEX,
    fingerprint,
    generate_key,
    load_private_key,
    load_public_key,
    public_hex,
    public_key_from_hex,
    save_private_key,
    save_public_key,
)
from servanda.crypto.signing import SIGNATURE_HEX, sign, verify

__all__ = [
    "PUBLIC_KEY_HEX",
    "SIGNATURE_HEX",
    "canonical_json",
    "fingerprint",
    "generate_key",
    "load_private_key",
    "load_public_key",
    "parse_json",
    "public_hex",
    "public_key_from_hex",
    "save_private_key",
    "save_public_key",
    "sign",
    "verify",
]
