"""The Moscow talks of December 2025, from a "deal" to a treaty in force.

Run ``python examples/moscow_treaty.py [FOLDER]``. It writes keys, a ledger and a treaty
bundle into FOLDER (a temporary folder by default) and prints the agreement's status at
each step:

1. the US envoys and a Russian presidential aide sign the ceasefire text: an informal deal,
   because none of them holds full powers;
2. the foreign ministers, registered by their states in that office, sign the same text:
   signed;
3. both states ratify: in force. The bundle then verifies offline.

The people and roles come from examples/moscow-2025.yaml; the dates and the texts are
illustrative.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from servanda.crypto import generate_key, public_hex
from servanda.formats.drafts import load_draft_document
from servanda.ledger import Ledger
from servanda.model.parties import Role
from servanda.store import open_database
from servanda.treaty import AgreementStatus, Power, TreatyRecord, diff, export_bundle, verify_bundle

EXAMPLES = Path(__file__).resolve().parent
MEETING = datetime(2025, 12, 2, 17, 0, tzinfo=UTC)

PEOPLE = {  # name: (party, office)
    "Steve Witkoff": ("United States", Role.ENVOY),
    "Jared Kushner": ("United States", Role.ENVOY),
    "Marco Rubio": ("United States", Role.FOREIGN_MINISTER),
    "Yuri Ushakov": ("Russia", Role.AIDE),
    "Kirill Dmitriev": ("Russia", Role.ENVOY),
    "Sergey Lavrov": ("Russia", Role.FOREIGN_MINISTER),
}


def show(title: str, status: AgreementStatus) -> None:
    print(f"\n== {title}: {status.status.value.upper()} (version {status.version})")
    for line in status.explanation():
        print(f"   {line}")


def main(folder: Path) -> dict[str, str]:
    """Play the example in ``folder``; returns the status after each step."""
    convener = generate_key()  # opens the negotiation and keeps the log's key
    record = TreatyRecord.open_new(
        Ledger.create(open_database(folder / "moscow.ledger"), "treaty", key=convener),
        "Moscow talks on ending the war in Ukraine", convener, at=MEETING,
    )
    roots = {party: generate_key() for party in ("United States", "Russia")}
    keys = {name: generate_key() for name in PEOPLE}
    for party, root in roots.items():
        record.register_party(party, root, at=MEETING)
    # The envoys and the aide are registered as what they are; the foreign ministers come later.
    for name, (party, office) in PEOPLE.items():
        if office is not Role.FOREIGN_MINISTER:
            record.register_office(party, name, office, public_hex(keys[name]), roots[party], at=MEETING)
    # Russia's envoy may negotiate, no more (an assumption for the example).
    record.issue_mandate("Russia", "Kirill Dmitriev", public_hex(keys["Kirill Dmitriev"]), [Power.NEGOTIATE],
                         MEETING - timedelta(days=7), MEETING + timedelta(days=30), roots["Russia"], at=MEETING)

    record.add_draft(load_draft_document(EXAMPLES / "texts" / "moscow-ceasefire-v1.yaml"), keys["Steve Witkoff"],
                     "United States", "Steve Witkoff", at=MEETING)
    record.add_draft(load_draft_document(EXAMPLES / "texts" / "moscow-ceasefire-v2.yaml"), keys["Kirill Dmitriev"],
                     "Russia", "Kirill Dmitriev", at=MEETING + timedelta(hours=2))
    print("Changes from version 1 to version 2:")
    for change in diff(record.draft(1).statement, record.draft(2).statement):
        print(f"   {change.change.value:8} {change.clause:10} by {change.by.representative} ({change.by.party})")

    statuses = {}
    evening = MEETING + timedelta(hours=5)
    for name in ("Steve Witkoff", "Jared Kushner", "Yuri Ushakov"):
        record.sign(keys[name], PEOPLE[name][0], name, at=evening)
    show("The envoys' deal", record.status())
    statuses["deal"] = record.status().status.value

    later = MEETING + timedelta(days=14)
    for name in ("Marco Rubio", "Sergey Lavrov"):
        party = PEOPLE[name][0]
        record.register_office(party, name, Role.FOREIGN_MINISTER, public_hex(keys[name]), roots[party], at=later)
        record.sign(keys[name], party, name, at=later)
    show("Signed by the foreign ministers", record.status())
    statuses["signed"] = record.status().status.value

    for party, root in roots.items():
        record.ratify(root, party, instrument=f"Instrument of ratification of {party}", at=later + timedelta(days=60))
    show("Ratified", record.status())
    statuses["ratified"] = record.status().status.value

    bundle_path = folder / "moscow-treaty.json"
    bundle_path.write_text(json.dumps(export_bundle(record, log_key=convener), indent=1) + "\n", encoding="utf-8")
    verdict = verify_bundle(bundle_path.read_bytes())
    print(f"\nBundle {bundle_path}: {verdict.verdict.name.lower()} ({'; '.join(verdict.facts)})")
    statuses["bundle"] = verdict.verdict.name.lower()
    return statuses


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
