"""Deterministic JSON: what is signed or hashed is always the RFC 8785 serialisation, so a
signature made here verifies in any other JCS implementation, and strict parsing of what
comes back in."""

from __future__ import annotations

import json
from typing import Any

import rfc8785


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 (JSON Canonicalization Scheme) bytes of ``value``: keys sorted by UTF-16
    code units, no whitespace, ECMAScript number formatting, UTF-8."""
    return rfc8785.dumps(value)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key '{key}'")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"'{name}' is not JSON")


#: From here on rfc8785 refuses integers (unsafe in a double, its only number type).
_UNSAFE_INTEGERS = 2**53


def _integer(text: str) -> int | float:
    # RFC 8785 writes the double 1e16 as "10000000000000000"; read it back as that double.
    value = int(text)
    if abs(value) < _UNSAFE_INTEGERS:
        return value
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"the number {text[:20]}... is beyond any double") from None


def parse_json(text: str | bytes) -> Any:
    """Parse JSON strictly: duplicate keys and NaN/Infinity are errors (``ValueError``), so
    two readers can never disagree about what a signed document says; integers too large
    for a double are read as the double RFC 8785 wrote."""
    return json.loads(
        text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_int=_integer
    )
