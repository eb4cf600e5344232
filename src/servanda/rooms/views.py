"""What each person sees of a room: every event and the room itself, with packages scored
from the viewer's own side only.

A party's member sees its own utility, reservation value, gain and broken red lines for
every package; the mediator sees those of the parties that granted it; an observer sees no
score at all. Nothing else of any party's preferences leaves the room's computations.
Every event says which part of the record it belongs to: ``binding`` acts (offers,
answers, agreement, signed acts), ``discussion`` (comments, questions, suggestions), or
the room's ``procedure`` (who joined, commitments to preferences, grants).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from servanda.model import Scenario
from servanda.treaty.record import ROOM_EVENTS

BINDING = {"offer", "accept", "reject", "agreement", "improvement", "end"}
DISCUSSION = {"comment"}
SIGNED_BINDING = {"draft", "signature", "ratification", "mandate", "office", "party", "revocation"}
PROCEDURE = {"opening", "created", "invited", "joined", "preferences", "grant"}
#: Every type of event a room's stream sends (its SSE event names).
EVENT_TYPES = frozenset(BINDING | DISCUSSION | SIGNED_BINDING | PROCEDURE)


@dataclass(frozen=True)
class Viewer:
    """A person as the room shows itself to them: their role, their party, and the parties
    whose preferences they may read (their own; a mediator's grants)."""

    role: str
    party: str | None
    readable: frozenset[str]


def score(scenario: Scenario, party: str, labels: Mapping[str, Any]) -> dict[str, Any]:
    """A package from ``party``'s side: its utility, reservation value, gain over it, and
    which of its own red lines the package breaks."""
    model = scenario.parties[scenario.party_names.index(party)]
    digits = np.asarray([scenario.space.parse(dict(labels))])
    utility = float(model.preferences.evaluate(digits)[0])
    return {
        "utility": round(utility, 9),
        "reservation": model.reservation,
        "gain": round(utility - model.reservation, 9),
        "breaks": [line.name for line in model.red_lines if bool(line.violated(digits)[0])],
    }


def scores(scenario: Scenario, viewer: Viewer, labels: Mapping[str, Any]) -> dict[str, Any]:
    """The package scored for each party the viewer may read."""
    return {party: score(scenario, party, labels) for party in scenario.party_names if party in viewer.readable}


def event(record: tuple[int, str, str, Any], scenario: Scenario | None, viewer: Viewer) -> dict[str, Any]:
    """One event as ``viewer`` sees it (``scenario`` may be None when nothing is scored)."""
    seq, kind, at, payload = record
    if kind.startswith(ROOM_EVENTS):
        body = {key: value for key, value in payload.items() if key != "room"}
        kind_ = body["type"]
        category = "binding" if kind_ in BINDING else "discussion" if kind_ in DISCUSSION else "procedure"
        shown = {"id": seq, "at": at, "category": category, **body}
        if "outcome" in body and viewer.readable and scenario is not None:
            shown["scores"] = scores(scenario, viewer, body["outcome"])
        return shown
    statement = payload["entry"]["statement"]
    return {
        "id": seq, "at": at, "category": "binding" if statement["type"] in SIGNED_BINDING else "procedure",
        "type": statement["type"], "signed": True, "signer": payload["entry"]["signer"], "statement": statement,
        **({"party": statement["party"]} if "party" in statement else {}),
    }


def events(records: Iterable[tuple[int, str, str, Any]], scenario: Scenario | None,
           viewer: Viewer) -> list[dict[str, Any]]:
    return [event(record, scenario, viewer) for record in records]


def improvements(scenario: Scenario, labels: Mapping[str, Any], viewer: Viewer, top: int = 5) -> list[dict[str, Any]]:
    """Packages at least as good as ``labels`` for every party and better for one (the
    efficient ones, ranked by the Nash product of everyone's gains), computed from every
    party's preferences; each shown with the gains of the parties the viewer may read
    only."""
    from servanda.analysis.mediation import mediate

    result = mediate(scenario, scenario.space.parse(dict(labels)), top=top)
    names = scenario.party_names
    return [
        {"outcome": package.point.labels,
         "gains": {party: round(gain, 9) for party, gain in zip(names, package.gains) if party in viewer.readable}}
        for package in result.by_nash
    ]
