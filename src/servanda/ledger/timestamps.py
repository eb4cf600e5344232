"""Timestamps as RFC 3339 (§5.6) UTC strings with millisecond precision and a trailing "Z",
e.g. ``"2025-12-02T18:00:00.000Z"``: one spelling per instant, so signed text is stable."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")


def utc_timestamp(at: datetime | None = None) -> str:
    """``at`` (default: now) in UTC as ``YYYY-MM-DDTHH:MM:SS.mmmZ``, truncated to the
    millisecond. A naive datetime is ambiguous and raises ``ValueError``."""
    if at is None:
        at = datetime.now(UTC)
    elif at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} has no time zone; give an aware datetime")
    utc = at.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"


def parse_timestamp(text: str) -> datetime:
    """The aware UTC datetime written as ``text`` by :func:`utc_timestamp`; anything else
    (other offsets, precision or separators, impossible dates) raises ``ValueError``."""
    if not isinstance(text, str) or not _TIMESTAMP.fullmatch(text):
        raise ValueError(f"{text!r} is not a UTC timestamp like 2025-12-02T18:00:00.000Z")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
