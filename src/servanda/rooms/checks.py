"""Checking what a request to a room asks for, at the edge: packages (one option of each
issue), names of parties and representatives, titles, and the fields of treaty acts. Each
problem is one :class:`InvalidRequest` naming the field at fault."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from servanda.errors import InvalidRequest, OutcomeError
from servanda.model import Scenario
from servanda.model.parties import Role
from servanda.treaty.statements import Name

_NAME = TypeAdapter(Name)


def party_doc(public: Mapping[str, Any], party: str | None) -> dict[str, Any]:
    """The public entry of ``party`` in the room's scenario."""
    for doc in public["parties"]:
        if doc["name"] == party:
            return doc
    raise InvalidRequest(f"no party '{party}' in this room", field="party")


def representative(party_doc: Mapping[str, Any], name: str | None, role: str | None) -> tuple[str, str]:
    """The representative a person will be: one the model names (its role from the model),
    or, for a party whose model names none, a new one with a role given."""
    listed = {rep["name"]: rep["role"] for rep in party_doc.get("representatives", [])}
    if not name:
        raise InvalidRequest("name the representative the person will be", field="representative")
    if name in listed:
        if role is not None and role != listed[name]:
            raise InvalidRequest(f"{name} is {listed[name]} in the model, not {role}", field="representative_role")
        return name, listed[name]
    if listed:
        raise InvalidRequest(f"{party_doc['name']} has no representative '{name}'; expected one of "
                             f"{', '.join(listed)}", field="representative")
    if role not in {r.value for r in Role}:
        raise InvalidRequest(f"give the representative's role, one of {', '.join(r.value for r in Role)}",
                             field="representative_role")
    return name, role


def package(scenario: Scenario, outcome: Any) -> dict[str, Any]:
    """A package as ``{issue: option}``, every issue settled with one of its options."""
    if not isinstance(outcome, Mapping):
        raise InvalidRequest("expected a package: {issue: option, ...}", field="outcome")
    space = scenario.space
    unknown = sorted(set(outcome) - set(space.names))
    if unknown:
        raise InvalidRequest(f"unknown issue '{unknown[0]}'", field=f"outcome.{unknown[0]}")
    typed = [issue for issue, option in outcome.items() if isinstance(option, bool) or
             not isinstance(option, str | int | float)]
    if typed:
        raise InvalidRequest("an option is a name or a number", field=f"outcome.{typed[0]}")
    missing = [name for name in space.names if name not in outcome]
    if missing:
        raise InvalidRequest(f"the package leaves issue '{missing[0]}' open", field=f"outcome.{missing[0]}")
    try:
        return space.describe(space.parse(dict(outcome)))
    except (OutcomeError, ValueError, TypeError) as exc:
        raise InvalidRequest(str(exc), field="outcome") from None


def broken_red_lines(scenario: Scenario, party: str, labels: Mapping[str, Any]) -> list[str]:
    """The names of ``party``'s red lines the package breaks."""
    row = np.asarray([scenario.space.parse(dict(labels))])
    return [line.name for line in scenario.party(party).red_lines if bool(line.violated(row)[0])]


def title(text: str, given: bool) -> str:
    """A room's title as the ledger's opening statement will hold it (1 to 200 printable
    characters, NFC); the scenario's name when none is given."""
    try:
        return _NAME.validate_python(text.strip())
    except ValueError as exc:
        reason = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
        where = "" if given else " (the scenario's name, as no title was given)"
        raise InvalidRequest(f"not a usable title{where}: {reason}", field="title") from None


def key_hex(values: Mapping[str, Any], name: str) -> str:
    """Field ``name``: an Ed25519 public key as 64 lowercase hex digits."""
    value = values.get(name)
    if not isinstance(value, str) or len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise InvalidRequest("expected an Ed25519 public key as 64 lowercase hex digits", field=f"fields.{name}")
    return value


def required_text(values: Mapping[str, Any], name: str) -> str:
    """Field ``name``: a non-blank text."""
    value = values.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"'{name}' is required", field=f"fields.{name}")
    return value


def time_field(values: Mapping[str, Any], name: str) -> datetime:
    """An RFC 3339 time with its offset (``Z``, ``+02:00``; fractions of seconds optional)."""
    value = values.get(name)
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidRequest("expected an RFC 3339 time with its offset, e.g. 2025-12-02T18:00:00Z",
                             field=f"fields.{name}")
    return moment


def flag(values: Mapping[str, Any], name: str) -> bool:
    """Field ``name``: true or false (default false), never a string that looks like one."""
    value = values.get(name, False)
    if not isinstance(value, bool):
        raise InvalidRequest("expected true or false", field=f"fields.{name}")
    return value


def optional_text(values: Mapping[str, Any], name: str) -> str | None:
    """Field ``name``, when given: an act's id or its prefix."""
    value = values.get(name)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidRequest("expected an act's id (or its first 8 or more hex digits)", field=f"fields.{name}")
    return value


def version(values: Mapping[str, Any]) -> int | None:
    """Field ``version``, when given: a text version number (1, 2, ...)."""
    value = values.get("version")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise InvalidRequest("expected a version number (1, 2, ...)", field="fields.version")
    return value
