"""Ed25519 keys and their files.

File formats (documented in the README):

- private key: PKCS#8 PEM (``-----BEGIN PRIVATE KEY-----``), written with mode 0600; a JWK
  (RFC 8037, ``{"kty": "OKP", "crv": "Ed25519", "x": ..., "d": ...}``) is read as well;
- public key: JWK (RFC 8037, ``{"kty": "OKP", "crv": "Ed25519", "x": ...}``); a
  SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``) is read as well.

Inside signed statements a public key is its 32 raw bytes as 64 lowercase hex digits.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from servanda.crypto.canonical import parse_json
from servanda.errors import KeyFileError

#: A public key inside a statement: 32 bytes, lowercase hex (one spelling per key).
PUBLIC_KEY_HEX = re.compile(r"[0-9a-f]{64}")
_PRIVATE_PEM = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


def generate_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 private key from the operating system's randomness."""
    return Ed25519PrivateKey.generate()


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as 64 lowercase hex digits."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def public_key_from_hex(text: str) -> Ed25519PublicKey:
    """The public key spelled as 64 lowercase hex digits (anything else: ``ValueError``)."""
    if not isinstance(text, str) or not PUBLIC_KEY_HEX.fullmatch(text):
        raise ValueError("a public key is 64 lowercase hex digits")
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))


def fingerprint(public: str) -> str:
    """A short, stable name for a public key (hex): the first 16 hex digits of its SHA-256,
    in groups of four, for people to compare out of band."""
    digest = hashlib.sha256(bytes.fromhex(public)).hexdigest()[:16]
    return ":".join(digest[i : i + 4] for i in range(0, 16, 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: object, field: str, source: str) -> bytes:
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]{43}", text):
        raise KeyFileError(f"{source}: JWK field '{field}' must be 43 base64url characters (32 bytes)")
    raw = base64.urlsafe_b64decode(text + "=")
    if _b64url(raw) != text:  # unused trailing bits set: not the one spelling of these bytes
        raise KeyFileError(f"{source}: JWK field '{field}' is not canonical base64url")
    return raw


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such key file") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the key file ({exc.strerror or exc})") from None


def _jwk(data: bytes, source: str) -> dict:
    try:
        jwk = parse_json(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{source}: not a PEM key and not a JSON Web Key ({exc})") from None
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise KeyFileError(f'{source}: expected an Ed25519 JWK with "kty": "OKP", "crv": "Ed25519"')
    return jwk


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a private key file (PKCS#8 PEM or JWK with ``d``)."""
    data = _read(path)
    source = str(path)
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyFileError(f"{source}: not an unencrypted PKCS#8 PEM private key ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"{source}: the key is not an Ed25519 key")
        return key
    jwk = _jwk(data, source)
    if "d" not in jwk:
        raise KeyFileError(f"{source}: this JWK is a public key; a private key has the field 'd'")
    key = Ed25519PrivateKey.from_private_bytes(_unb64url(jwk["d"], "d", source))
    if "x" in jwk and _unb64url(jwk["x"], "x", source).hex() != public_hex(key):
        raise KeyFileError(f"{source}: the JWK's 'x' is not the public key of its 'd'")
    return key


def load_public_key(path: Path) -> str:
    """Read a public key file (JWK, SubjectPublicKeyInfo PEM, or a private key file, whose
    public half is taken) and return it as hex."""
    data = _read(path)
    source = str(path)
    if data.lstrip().startswith(b"-----BEGIN"):
        if _PRIVATE_PEM.match(data.lstrip()):
            return public_hex(load_private_key(path))
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise KeyFileError(f"{source}: not a PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise KeyFileError(f"{source}: the key is not an Ed25519 key")
        return public_hex(key)
    jwk = _jwk(data, source)
    if "d" in jwk:  # a private JWK: its public half, once the two are checked to match
        return public_hex(load_private_key(path))
    if "x" not in jwk:
        raise KeyFileError(f"{source}: an Ed25519 JWK needs the public key in field 'x'")
    raw = _unb64url(jwk["x"], "x", source)
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise KeyFileError(f"{source}: 'x' is not an Ed25519 public key ({exc})") from None
    return raw.hex()


def save_private_key(key: Ed25519PrivateKey, path: Path) -> None:
    """Write the private key as PKCS#8 PEM, readable by its owner only; never overwrites."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)


def save_public_key(public: str, path: Path) -> None:
    """Write a public key (hex) as a JWK; never overwrites."""
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(bytes.fromhex(public))}
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(json.dumps(jwk) + "\n")

