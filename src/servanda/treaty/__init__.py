"""Binding agreements: versioned texts, mandates (full powers), signatures, ratification,
and the status they add up to — every act signed with Ed25519 and kept in a ledger."""

from servanda.treaty.bundle import Verdict, Verification, export_bundle, verify_bundle
from servanda.treaty.drafts import ClauseChange, diff, implied_outcome, settled_issues
from servanda.treaty.evidence import Act, Evidence
from servanda.treaty.record import TreatyRecord
from servanda.treaty.statements import Author, Clause, DraftVersion, Envelope, Mandate, Power
from servanda.treaty.status import AgreementStatus, PartyStanding, Status, agreement_status

__all__ = [
    "Act",
    "AgreementStatus",
    "Author",
    "Clause",
    "ClauseChange",
    "DraftVersion",
    "Envelope",
    "Evidence",
    "Mandate",
    "PartyStanding",
    "Power",
    "Status",
    "TreatyRecord",
    "Verdict",
    "Verification",
    "agreement_status",
    "diff",
    "export_bundle",
    "implied_outcome",
    "settled_issues",
    "verify_bundle",
]
