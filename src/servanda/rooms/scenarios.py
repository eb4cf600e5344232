"""A room's scenario in two parts: the public structure every member sees (the issues and
options, the parties and their representatives) and each party's confidential block (its
weights, option values, interactions, red lines, reservation value, outside pressure,
discount and uncertainty), which only that party reads.

The ledger holds a commitment to each confidential block — SHA-256 over the block and a
random salt, in canonical JSON — never the block itself: a party can later prove what its
preferences were by revealing block and salt, and no one can learn them from the log.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from servanda.crypto import canonical_json
from servanda.errors import InvalidRequest, ScenarioError
from servanda.formats.native import from_document, to_document
from servanda.model import Scenario
from servanda.model.uncertainty import UncertainScenario

#: The keys of a party's entry in a scenario document that every member may read.
PUBLIC_KEYS = ("name", "description", "representatives")


def document_of(scenario: Scenario | UncertainScenario) -> dict[str, Any]:
    """The whole scenario as a plain JSON document (string keys only)."""
    return json.loads(json.dumps(to_document(scenario)))


def from_json(text: str) -> UncertainScenario:
    """A scenario from the JSON text of its document."""
    return from_document(json.loads(text), source="stored scenario")


def split(scenario: Scenario | UncertainScenario) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The public document (no preferences) and each party's confidential block."""
    document = document_of(scenario)
    public = {key: value for key, value in document.items() if key != "parties"}
    public["parties"] = [{key: party[key] for key in PUBLIC_KEYS if key in party} for party in document["parties"]]
    private = {
        party["name"]: {key: value for key, value in party.items() if key not in PUBLIC_KEYS}
        for party in document["parties"]
    }
    return public, private


def assemble(public: Mapping[str, Any], private: Mapping[str, Mapping[str, Any]]) -> Scenario:
    """The whole scenario from its public document and every party's block (cached: the
    same texts give the same object)."""
    blocks = tuple(canonical_json(private[party["name"]]).decode() for party in public["parties"])
    return _assemble(canonical_json(public).decode(), blocks).scenario


def check_block(public: Mapping[str, Any], private: Mapping[str, Mapping[str, Any]], party: str,
                block: Any) -> dict[str, Any]:
    """``block`` as ``party``'s new confidential block, checked against the room's issues;
    an :class:`InvalidRequest` names the field at fault (e.g. ``weights.donbass``)."""
    if not isinstance(block, dict):
        raise InvalidRequest("expected the party's preferences as an object", field="preferences")
    public_keys = sorted(set(block) & set(PUBLIC_KEYS))
    if public_keys:
        raise InvalidRequest(
            f"'{public_keys[0]}' is part of the room's public structure, not of a party's preferences",
            field=f"preferences.{public_keys[0]}",
        )
    trial = {name: dict(other) for name, other in private.items()}
    trial[party] = block
    document = _document(public, trial)
    index = [p["name"] for p in public["parties"]].index(party)
    try:
        from_document(json.loads(json.dumps(document)), source="preferences")
    except ScenarioError as exc:
        prefix = f"parties[{index}]"
        location = exc.location or ""
        field = "preferences" + location[len(prefix):] if location.startswith(prefix) else "preferences"
        raise InvalidRequest(f"{field}: {exc.message}", field=field) from None
    return json.loads(json.dumps(block))


def new_salt() -> str:
    """A fresh random salt for a commitment (256 bits, hex)."""
    return secrets.token_hex(32)


def commitment(party: str, block: Mapping[str, Any], salt: str) -> str:
    """The hiding commitment to ``party``'s block: SHA-256 (hex) of the canonical JSON of
    ``{"party", "preferences", "salt"}``."""
    return hashlib.sha256(canonical_json({"party": party, "preferences": block, "salt": salt})).hexdigest()


def _document(public: Mapping[str, Any], private: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    document = dict(public)
    document["parties"] = [{**party, **private[party["name"]]} for party in public["parties"]]
    return document


@lru_cache(maxsize=64)
def _assemble(public: str, blocks: tuple[str, ...]) -> UncertainScenario:
    document = json.loads(public)
    private = {party["name"]: json.loads(block) for party, block in zip(document["parties"], blocks)}
    return from_document(_document(document, private), source="room scenario")
