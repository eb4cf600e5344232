"""The treaty bundle: one JSON file that lets anyone check an agreement offline.

It holds the log's signed tree head and, each with its inclusion proof under that head:
the opening, every party, office, mandate and revocation entry, every version of the text
(the history, so the chain of versions can be checked), and every signature and
ratification of the chosen version. Verification needs nothing else: it checks the tree
head's signature, every proof, every signature, and recomputes the status from the entries.

What a bundle cannot prove is that the log holds no *other* relevant entry (a revocation,
say) beyond those it carries; a verifier who needs that asks the log for its tree head and
a consistency proof, or for the whole log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from servanda.crypto import canonical_json, fingerprint, parse_json
from servanda.ledger.timestamps import parse_timestamp
from servanda.ledger import SignedTreeHead, leaf_hash, verify_inclusion
from servanda.treaty.evidence import Evidence
from servanda.treaty.record import TreatyRecord, read_records
from servanda.treaty.statements import (
    DraftVersion,
    LogRecord,
    Mandate,
    OfficeRegistration,
    Opening,
    PartyRegistration,
    Ratification,
    Revocation,
    Signature,
)
from servanda.treaty.status import AgreementStatus, Status, agreement_status

FORMAT = "servanda-treaty-bundle"
_AUTHORITY = (Opening, PartyRegistration, OfficeRegistration, Mandate, Revocation, DraftVersion)


class BundleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    seq: int = Field(ge=0)
    record: LogRecord
    proof: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]]


class BundleDoc(BaseModel):
    """The file."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    format: Literal["servanda-treaty-bundle"]
    version: Literal[1]
    text: int = Field(ge=0, description="the seq of the text version the bundle is about")
    tree_head: dict[str, Any]
    entries: list[BundleEntry]


def export_bundle(
    record: TreatyRecord, version: int | None = None, log_key: Ed25519PrivateKey | None = None
) -> dict[str, Any]:
    """The bundle for a version of the text (the latest by default), under a fresh tree
    head (signed with ``log_key`` when the log's operator keeps its key)."""
    text = record.draft(version)
    head = record.ledger.tree_head(key=log_key)
    chosen = []
    for seq, log_record in read_records(record.ledger, head.size):
        statement = log_record.entry.statement
        kind = statement["type"]
        keep = kind in {cls.model_fields["type"].default for cls in _AUTHORITY} or (
            kind in {"signature", "ratification"} and statement["text"] == text.id
        )
        if keep:
            proof = [node.hex() for node in record.ledger.inclusion_proof(seq, head.size)]
            chosen.append({"seq": seq, "record": log_record.model_dump(mode="json"), "proof": proof})
    return {"format": FORMAT, "version": 1, "text": text.seq, "tree_head": head.to_dict(), "entries": chosen}


class Verdict(IntEnum):
    """The outcome of verification, as the exit code of ``servanda verify``."""

    BINDING = 0
    INFORMAL = 3
    AWAITING_RATIFICATION = 4
    INVALID = 5


@dataclass
class Verification:
    """What verifying a bundle found: the verdict, the status, and every reason."""

    verdict: Verdict
    status: AgreementStatus | None = None
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)


def verify_bundle(data: str | bytes, trusted: dict[str, str] | None = None) -> Verification:
    """Check a bundle offline. ``trusted`` pins public keys (hex) by party name, and the
    log's key under ``"log"``: a bundle whose keys differ is invalid, and so is one whose
    text names a party without a pinned key when any key is pinned. Never raises: whatever
    is wrong with the bundle is a problem in the result."""
    try:
        return _verify(data, trusted or {})
    except (RecursionError, ValueError, OverflowError, MemoryError) as exc:
        # Nested beyond what JSON parsing or RFC 8785 allow, numbers or strings it cannot
        # represent: malformed, whatever the exact reason.
        return Verification(Verdict.INVALID, problems=[f"not a treaty bundle: {type(exc).__name__}: {exc}"])


def _verify(data: str | bytes, trusted: dict[str, str]) -> Verification:
    try:
        doc = BundleDoc.model_validate(parse_json(data))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return Verification(Verdict.INVALID, problems=[f"not a treaty bundle: {where}: {error['msg']}"])
    except (ValueError, UnicodeDecodeError) as exc:
        return Verification(Verdict.INVALID, problems=[f"not a treaty bundle: invalid JSON ({exc})"])
    try:
        head = SignedTreeHead.from_dict(doc.tree_head)
    except ValueError as exc:
        return Verification(Verdict.INVALID, problems=[str(exc)])
    result = Verification(Verdict.INVALID)
    result.facts.append(f"log key {fingerprint(head.log_key)}, {head.size} entries, tree head of {head.timestamp}")
    if not head.verify():
        result.problems.append("the tree head's signature does not verify under the log key")
    seqs = [entry.seq for entry in doc.entries]
    if seqs != sorted(set(seqs)):
        result.problems.append("entries are not in strictly increasing log order")
    root = bytes.fromhex(head.root)
    for entry in doc.entries:
        leaf = leaf_hash(canonical_json(entry.record.model_dump(mode="json")))
        proof = [bytes.fromhex(node) for node in entry.proof]
        if not verify_inclusion(leaf, entry.seq, head.size, proof, root):
            result.problems.append(f"entry {entry.seq}: its inclusion proof does not lead to the tree head")
    evidence = Evidence.from_records((entry.seq, entry.record) for entry in doc.entries)
    result.problems.extend(evidence.problems)
    result.problems.extend(_log_problems(evidence, head))
    for party in evidence.parties():
        result.facts.append(f"{party}: root key {fingerprint(evidence.root_key(party))}")
    text = next((act for act in evidence.acts if act.seq == doc.text), None)
    if text is None or not isinstance(text.statement, DraftVersion):
        result.problems.append(f"entry {doc.text}, the agreement text, is not among the entries")
    else:
        result.problems.extend(_foreign_acts(evidence, text.id))
        result.problems.extend(_untrusted(evidence, head, trusted, text.statement.parties))
    if result.problems:
        return result
    result.status = agreement_status(evidence, text.statement.version)
    result.verdict = {
        Status.IN_FORCE: Verdict.BINDING,
        Status.SIGNED: Verdict.AWAITING_RATIFICATION,
        Status.INFORMAL: Verdict.INFORMAL,
    }[result.status.status]
    return result


def _log_problems(evidence: Evidence, head: SignedTreeHead) -> list[str]:
    """The tree head must be signed by the log the negotiation opened with, and no entry it
    covers may be logged after it."""
    problems = []
    opening = evidence.opening()
    if opening is not None and opening.log_key != head.log_key:
        problems.append(
            f"the tree head is signed by log key {fingerprint(head.log_key)}, but the negotiation "
            f"was opened with log key {fingerprint(opening.log_key)}"
        )
    if evidence.acts and evidence.acts[-1].logged_at > parse_timestamp(head.timestamp):
        problems.append(f"entry {evidence.acts[-1].seq} is logged after the tree head that covers it")
    return problems


def _untrusted(
    evidence: Evidence, head: SignedTreeHead, trusted: dict[str, str], parties: tuple[str, ...]
) -> list[str]:
    problems = []
    for name, key in trusted.items():
        actual = head.log_key if name == "log" else evidence.root_key(name)
        if actual is None:
            problems.append(f"{name}: the bundle holds no root key for this party")
        elif actual != key:
            problems.append(f"{name}: the key is {fingerprint(actual)}, not the trusted {fingerprint(key)}")
    if trusted:
        # A pinned key vouches for one name; a party of the text nobody pinned (a look-alike
        # name, say) could be anyone's.
        problems += [
            f"{party}: the text names this party, but no trusted key was given for it"
            for party in parties if party not in trusted
        ]
    return problems


def _foreign_acts(evidence: Evidence, text_id: str) -> list[str]:
    """Signatures or ratifications of another text: an exported bundle never carries
    them, so the bundle was put together by hand; refuse rather than guess."""
    return [
        f"entry {act.seq}: a {act.statement.type} of another version of the text"
        for act in evidence.acts
        if isinstance(act.statement, Signature | Ratification) and act.statement.text != text_id
    ]

