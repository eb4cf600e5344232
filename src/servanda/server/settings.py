"""How a server runs: its database, cookies and login limits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def default_data_dir() -> Path:
    """Where the embedded database lives: ``$SERVANDA_DATA``, else the XDG data home."""
    explicit = os.environ.get("SERVANDA_DATA")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "servanda"


@dataclass(frozen=True)
class Settings:
    """``database``: an SQLAlchemy URL, or the path of the embedded SQLite file.
    ``secure_cookies``: send cookies over HTTPS only (set it behind a TLS proxy).
    ``login_limit``: login attempts allowed per client address and username, in the
    notation of the ``limits`` package (e.g. ``"5/minute"``)."""

    database: str = field(default_factory=lambda: str(default_data_dir() / "servanda.db"))
    secure_cookies: bool = False
    login_limit: str = "10/minute"
    registration_limit: str = "20/hour"

    @classmethod
    def from_environment(cls) -> Settings:
        """Settings from ``SERVANDA_DB``, ``SERVANDA_SECURE_COOKIES`` (1/0),
        ``SERVANDA_LOGIN_LIMIT`` and ``SERVANDA_REGISTRATION_LIMIT`` (for worker processes,
        which ``servanda serve`` starts with these set)."""
        defaults = cls()
        return cls(
            database=os.environ.get("SERVANDA_DB") or defaults.database,
            secure_cookies=os.environ.get("SERVANDA_SECURE_COOKIES", "0") == "1",
            login_limit=os.environ.get("SERVANDA_LOGIN_LIMIT") or defaults.login_limit,
            registration_limit=os.environ.get("SERVANDA_REGISTRATION_LIMIT") or defaults.registration_limit,
        )

    def environment(self) -> dict[str, str]:
        """These settings as the environment :meth:`from_environment` reads."""
        return {
            "SERVANDA_DB": self.database, "SERVANDA_SECURE_COOKIES": "1" if self.secure_cookies else "0",
            "SERVANDA_LOGIN_LIMIT": self.login_limit, "SERVANDA_REGISTRATION_LIMIT": self.registration_limit,
        }
