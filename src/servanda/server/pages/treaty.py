"""The drafting and signing page: the agreement's status party by party, the text clause by
clause with the changes between versions, who holds powers, and the treaty acts a person
may take. Every act is prepared by the JSON API, signed in the browser (``signing.js``,
WebCrypto Ed25519: the private key never leaves it) and submitted there; this module only
reads the room's record."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from servanda.model.parties import Role
from servanda.server.pages.rooms import room_context
from servanda.server.pages.web import PageError, is_fragment, render
from servanda.treaty.statements import FULL_POWERS_OFFICES, Power
from servanda.treaty.wording import compare

router = APIRouter(include_in_schema=False)

#: The parts of the page that reload on the room's events (``?part=`` with ``HX-Request``).
PARTS = {"status": "_treaty_status.html", "text": "_treaty_text.html", "actions": "_treaty_actions.html"}


@router.get("/rooms/{room_id}/treaty")
def treaty(room_id: str, request: Request, part: str = "", version: str = "", old: str = "") -> Response:
    """The page; with ``HX-Request`` and ``part``, that part alone. ``version`` picks the
    version of the text shown (default: the latest), ``old`` the one it is compared with
    (default: the one before it; 0: none)."""
    if part and part not in PARTS:
        raise PageError(404, f"no part '{part}' of this page; expected one of {', '.join(PARTS)}")
    context = room_context(request, room_id)
    context |= _treaty_context(request, context, version, old)
    template = PARTS[part] if part and is_fragment(request) else "treaty.html"
    return render(request, template, **context)


def _treaty_context(request: Request, context: dict[str, Any], version: str, old: str) -> dict[str, Any]:
    view, who = context["view"], context["me"]
    rooms = request.app.state.rooms
    evidence = rooms.treaty(view["id"]).evidence()  # the room's record: read only
    powers = rooms.powers(who.account, view["id"])
    drafts = evidence.drafts()
    latest = len(drafts)
    shown = _version(version, latest, "version") or latest
    before = _version(old, latest, "old", zero=True)
    if before is None:
        before = shown - 1
    versions = [{"version": act.statement.version, "id": act.id, "draft": act.statement, "logged_at": act.logged_at}
                for act in drafts]
    comparison = None
    if shown and before:
        comparison = compare(drafts[before - 1].statement, drafts[shown - 1].statement)
    party = view["me"]["party"]
    root = evidence.root_key(party) if party else None
    mine = [power for power in powers if power["party"] == party]
    standing = None
    if view["status"] is not None:
        standing = next((s for s in view["status"]["parties"] if s["party"] == party), None)
    return {
        "versions": versions, "shown": versions[shown - 1] if shown else None, "old": before,
        "comparison": comparison, "powers": powers,
        "root": root, "standing": standing,
        "registered": {"party": party, "root": root, "keys": _bases(mine)},
        "roles": [(role.value, role in FULL_POWERS_OFFICES) for role in Role],
        "all_powers": [power.value for power in Power],
    }


def _bases(powers: list[dict[str, Any]]) -> dict[str, str]:
    """What each key of the party holds, for the page's script to tell the person about
    the keys in their browser: ``{key: "holder, basis; holder, basis"}``."""
    bases: dict[str, list[str]] = {}
    for power in powers:
        bases.setdefault(power["key"], []).append(f"{power['holder']}, {power['basis']}")
    return {key: "; ".join(found) for key, found in bases.items()}


def _version(text: str, latest: int, name: str, zero: bool = False) -> int | None:
    """A version number from the query (None when not given)."""
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not (int(text) <= latest and (zero or int(text) >= 1)):
        raise PageError(404, f"'{name}': no version {text} of the text; it has {latest} version(s)")
    return int(text)
