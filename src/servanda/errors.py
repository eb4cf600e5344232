"""The whole error hierarchy of Servanda, so callers can catch precisely."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class ServandaError(Exception):
    """Base class of every error Servanda raises on purpose."""


class ScenarioError(ServandaError):
    """A scenario (file or object) is malformed.

    ``source`` names the file (or other origin) and ``location`` the place inside it:
    ``"line 12"`` for YAML, an element path for XML, a key path for JSON.
    """

    def __init__(self, message: str, *, source: str | None = None, location: str | None = None):
        self.message = message
        self.source = source
        self.location = location
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.source, self.location) if part)
        return f"{where}: {self.message}" if where else self.message

    def at(self, source: str | None = None, location: str | None = None) -> ScenarioError:
        """The same error with its origin filled in where it was not known yet."""
        return ScenarioError(
            self.message, source=self.source or source, location=self.location or location
        )


class OutcomeError(ServandaError):
    """An outcome or proposal does not fit the outcome space."""


class SpaceTooLargeError(ServandaError):
    """An operation would have to enumerate more outcomes than allowed."""


class UnsupportedError(ServandaError):
    """The requested algorithm does not apply to this scenario (say which one would)."""


@contextmanager
def reported_at(source: str | None, location: str | None = None) -> Iterator[None]:
    """Give a :class:`ScenarioError` raised inside (by the model, which knows no files) the
    file and place it came from, unless it already names them."""
    try:
        yield
    except ScenarioError as exc:
        raise exc.at(source, location) from None


class KeyFileError(ServandaError):
    """A key file is missing, unreadable or not an Ed25519 key in a supported format."""


class LedgerError(ServandaError):
    """A ledger cannot be opened or does not hold what was asked for."""


class TreatyError(ServandaError):
    """A treaty act (draft, mandate, signature, ratification) is malformed or not allowed."""


class BundleError(ServandaError):
    """A treaty bundle is unreadable, malformed or fails verification."""


class RoomError(ServandaError):
    """A request to a live room that its rules refuse now (not your turn, the room has
    ended, the offer breaks your red line...): a conflict with the room's state.

    ``field`` names the part of the request at fault, when one is."""

    def __init__(self, message: str, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(message)


class InvalidRequest(RoomError):
    """A request to a live room is malformed (an unknown issue or option, a bad name)."""


class AccessDenied(RoomError):
    """The person may not do this (not signed in, not in the room, not of that party)."""


class NotFound(RoomError):
    """No such room, invitation, event or account (or none the person may see)."""
