"""A negotiation's treaty record: every act signed, checked and appended to its ledger.

This is the one way acts enter a ledger. An act that could never count (a mandate issued
by someone without the power to issue it, a revocation by a stranger, a second opening) is
refused with the reason; an act that counts for nothing yet still matters as evidence — a
signature by an envoy without full powers — is recorded, and the status explains it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from servanda.crypto import canonical_json, parse_json, public_hex
from servanda.errors import LedgerError, TreatyError
from servanda.formats.drafts import DraftDoc
from servanda.ledger import Ledger
from servanda.ledger.timestamps import parse_timestamp, utc_timestamp
from servanda.model.parties import Role
from servanda.treaty.authority import mandate_defect, short
from servanda.treaty.drafts import compose
from servanda.treaty.evidence import Act, Evidence
from servanda.treaty.statements import (
    Author,
    DraftVersion,
    Envelope,
    LogRecord,
    Mandate,
    OfficeRegistration,
    Opening,
    PartyRegistration,
    Power,
    Proposal,
    Ratification,
    Revocation,
    Signature,
    parse_statement,
)
from servanda.treaty.status import AgreementStatus, agreement_status


#: Entries whose kind starts with this are a live room's events (joins, offers, replies,
#: comments), which a room's ledger holds between the treaty's acts; they are not acts.
ROOM_EVENTS = "room."


def read_records(ledger: Ledger, stop: int | None = None, start: int = 0) -> Iterable[tuple[int, LogRecord]]:
    """The ledger's treaty entries from ``start`` to ``stop`` as log records, in order; an
    entry that is not one (and not a room event) is a LedgerError naming it."""
    for entry in ledger.entries(start, stop, excluding=ROOM_EVENTS):
        try:
            record = LogRecord.model_validate(parse_json(entry.data))
        except (ValueError, ValidationError) as exc:
            raise LedgerError(f"entry {entry.seq} is not a treaty record: {str(exc).splitlines()[0]}") from None
        if canonical_json(record.model_dump(mode="json")) != entry.data:
            raise LedgerError(f"entry {entry.seq} is not in canonical form")
        yield entry.seq, record


class TreatyRecord:
    """The acts of one negotiation, kept in ``ledger``."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self._evidence: Evidence | None = None
        self._evidence_size = -1
        self._reading = threading.Lock()  # one thread at a time adds the new entries
        if self.evidence().negotiation is None:
            raise LedgerError("the ledger holds no negotiation (it does not start with an opening)")

    @classmethod
    def open_new(cls, ledger: Ledger, title: str, convener: Ed25519PrivateKey,
                 at: datetime | None = None) -> TreatyRecord:
        """Start a negotiation in an empty ledger: a random id, the title, the convener's key."""
        if ledger.size:
            raise LedgerError("the ledger is not empty; a negotiation starts in a new ledger")
        opening = Opening(negotiation=secrets.token_hex(32), title=title, log_key=ledger.public_key)
        _append(ledger, Envelope.seal(opening, convener), at or _now(), expected_seq=0)
        return cls(ledger)

    # -- reading -------------------------------------------------------------------------

    def evidence(self) -> Evidence:
        """Every act so far (entries appended since the last call are read and added, by one
        thread at a time: threads sharing a record would otherwise each add them)."""
        with self._reading:
            size = self.ledger.size
            if self._evidence is None:
                self._evidence, self._evidence_size = Evidence(), 0
            if self._evidence_size != size:
                for seq, record in read_records(self.ledger, size, self._evidence_size):
                    self._evidence.add(seq, record)
                self._evidence_size = size
            return self._evidence

    def bound(self, connection, ledger: Ledger | None = None) -> TreatyRecord:
        """This record inside the caller's write transaction ``connection`` (see
        :meth:`Ledger.bound`), starting from the evidence already read; ``ledger``: the
        caller's own view of the log bound to that transaction, to append through."""
        record = TreatyRecord.__new__(TreatyRecord)
        record.ledger = ledger if ledger is not None else self.ledger.bound(connection)
        record._reading = threading.Lock()
        current = self.evidence()
        record._evidence = _copy(current)
        record._evidence_size = self._evidence_size
        return record

    @property
    def negotiation(self) -> str:
        return self.evidence().negotiation

    @property
    def title(self) -> str:
        return self.evidence().opening().title

    def status(self, version: int | None = None) -> AgreementStatus:
        return agreement_status(self.evidence(), version)

    def draft(self, version: int | None = None) -> Act:
        """A version of the text (the latest with ``None``)."""
        act = self.evidence().draft(version)
        if act is None:
            raise TreatyError("the negotiation has no draft yet" if version is None else f"no draft version {version}")
        return act

    def resolve(self, prefix: str) -> Act:
        """The act whose id starts with ``prefix`` (at least 8 hex digits, unambiguous)."""
        prefix = prefix.lower()
        if len(prefix) < 8:
            raise TreatyError(f"id '{prefix}' is too short; give at least 8 hex digits")
        found = [act for act in self.evidence().acts if act.id.startswith(prefix)]
        if len(found) != 1:
            raise TreatyError(f"{'no' if not found else 'more than one'} act has an id starting with '{prefix}'")
        return found[0]

    # -- acts ----------------------------------------------------------------------------

    def register_party(self, party: str, root: Ed25519PrivateKey, at: datetime | None = None) -> Act:
        """Register ``party`` with its root key (self-signed)."""
        return self._act(self.party_statement(party, public_hex(root)), root, at)

    def register_office(self, party: str, holder: str, role: Role, key: str,
                        root: Ed25519PrivateKey, at: datetime | None = None) -> Act:
        """The party's root key registers ``holder``'s public ``key`` (hex) in an office."""
        return self._act(self.office_statement(party, holder, role, key), root, at)

    def issue_mandate(self, party: str, holder: str, key: str, powers: Iterable[Power],
                      not_before: datetime, not_after: datetime, issuer: Ed25519PrivateKey,
                      delegable: bool = False, parent: str | None = None,
                      at: datetime | None = None) -> Act:
        """Full powers for ``holder``'s ``key`` (hex): from the party's root key, or
        delegated by the holder of mandate ``parent`` (an id or unambiguous prefix)."""
        return self._act(
            self.mandate_statement(party, holder, key, powers, not_before, not_after, delegable, parent),
            issuer, at,
        )

    def revoke(self, target: str, key: Ed25519PrivateKey, reason: str = "", at: datetime | None = None) -> Act:
        """Revoke a mandate (by its party's root key or its issuer) or an office
        registration (by the root key) from now on."""
        return self._act(self.revocation_statement(target, reason), key, at)

    def add_draft(self, doc: DraftDoc, key: Ed25519PrivateKey, party: str, representative: str,
                  at: datetime | None = None) -> Act:
        """A new version of the text, written by ``representative`` for ``party``."""
        return self._act(self.draft_statement(doc, party, representative), key, at)

    def propose(self, party: str, representative: str, outcome: dict[str, str],
                key: Ed25519PrivateKey, binding: bool = True, at: datetime | None = None) -> Act:
        """Record an offer (one option per issue)."""
        statement = Proposal(negotiation=self.negotiation, party=party, representative=representative,
                             outcome=outcome, binding=binding)
        return self._act(statement, key, at)

    def sign(self, key: Ed25519PrivateKey, party: str, representative: str, version: int | None = None,
             mandate: str | None = None, at: datetime | None = None) -> Act:
        """Sign a version of the text (the latest by default) for ``party``. Recorded even
        when the signer lacks the power to bind: the status then says so."""
        return self._act(self.signature_statement(party, representative, version, mandate), key, at)

    def ratify(self, key: Ed25519PrivateKey, party: str, version: int | None = None,
               instrument: str = "", at: datetime | None = None) -> Act:
        """Deposit ``party``'s ratification of a version of the text."""
        return self._act(self.ratification_statement(party, version, instrument), key, at)

    # -- statements, for signers who sign elsewhere ----------------------------------------

    def party_statement(self, party: str, key: str) -> PartyRegistration:
        """The registration of ``party`` with its root ``key`` (hex), to be self-signed."""
        return PartyRegistration(negotiation=self.negotiation, party=party, key=key)

    def office_statement(self, party: str, holder: str, role: Role, key: str) -> OfficeRegistration:
        """The registration of ``holder``'s ``key`` in an office, to be signed by the root key."""
        return OfficeRegistration(
            negotiation=self.negotiation, party=party, holder=holder, role=role, key=key, serial=secrets.token_hex(16)
        )

    def mandate_statement(self, party: str, holder: str, key: str, powers: Iterable[Power],
                          not_before: datetime, not_after: datetime, delegable: bool = False,
                          parent: str | None = None) -> Mandate:
        """Full powers for ``holder``'s ``key``, to be signed by the root key or, delegated,
        by the holder of mandate ``parent`` (an id or unambiguous prefix)."""
        if not_after <= not_before:
            raise TreatyError("a mandate must end after it begins")
        return Mandate(
            negotiation=self.negotiation, party=party, holder=holder, key=key,
            powers=tuple(sorted(set(powers), key=list(Power).index)),
            not_before=utc_timestamp(not_before), not_after=utc_timestamp(not_after),
            delegable=delegable, parent=self.resolve(parent).id if parent else None, serial=secrets.token_hex(16),
        )

    def revocation_statement(self, target: str, reason: str = "") -> Revocation:
        """The revocation of a mandate or office (an id or unambiguous prefix)."""
        act = self.resolve(target)
        if not isinstance(act.statement, Mandate | OfficeRegistration):
            raise TreatyError(f"{short(act.id)} is a {act.statement.type}, not a mandate or an office")
        return Revocation(negotiation=self.negotiation, target=act.id, reason=reason)

    def draft_statement(self, doc: DraftDoc, party: str, representative: str) -> DraftVersion:
        """The next version of the text, written by ``representative`` for ``party``."""
        latest = self.evidence().draft()
        previous = None if latest is None else (latest.id, latest.statement)
        return compose(doc, self.negotiation, Author(party=party, representative=representative), previous)

    def signature_statement(self, party: str, representative: str, version: int | None = None,
                            mandate: str | None = None) -> Signature:
        """The signature of a version of the text (the latest by default) for ``party``."""
        text = self._text_for(party, version)
        return Signature(
            negotiation=self.negotiation, text=text.id, version=text.statement.version, party=party,
            representative=representative, mandate=self.resolve(mandate).id if mandate else None,
        )

    def ratification_statement(self, party: str, version: int | None = None, instrument: str = "") -> Ratification:
        """``party``'s ratification of a version of the text (the latest by default)."""
        text = self._text_for(party, version)
        return Ratification(negotiation=self.negotiation, text=text.id,
                            version=text.statement.version, party=party, instrument=instrument)

    def submit(self, envelope: Envelope, at: datetime | None = None) -> Act:
        """Check a signed act and append it: the one way every act enters the log, whether
        signed here or by a signer elsewhere. Refused (TreatyError, nothing written) when
        it could never count."""
        if not envelope.verifies():
            raise TreatyError("refused: the signature does not verify over the statement")
        try:
            statement = parse_statement(envelope.statement)
        except ValueError as exc:
            raise TreatyError(f"refused: not a valid statement ({str(exc).splitlines()[0]})") from None
        if isinstance(statement, Opening):
            raise TreatyError("refused: the negotiation is already open")
        signer = envelope.signer
        if isinstance(statement, PartyRegistration) and self.evidence().root_key(statement.party) is not None:
            raise TreatyError(f"{statement.party} is already registered; its root key cannot be replaced")
        if isinstance(statement, OfficeRegistration):
            self._require_root(statement.party, signer)
        if isinstance(statement, Revocation):
            self._require_revoker(statement, signer)
        if isinstance(statement, DraftVersion):
            self._require_standing(statement.editor.party, signer, at)
        if isinstance(statement, Signature | Ratification):
            self._require_text(statement)
        evidence, act = self._preview(envelope, at)
        if isinstance(statement, Mandate):
            # Judged as of its first moment of validity, which may lie ahead: a mandate for
            # next week is fine, one that could never be valid is refused.
            first_valid = max(act.logged_at, parse_timestamp(statement.not_before))
            defect = mandate_defect(evidence, act, statement.party, act.seq, first_valid)
            if defect is not None:
                raise TreatyError(f"refused: {defect}")
        return self._commit(envelope, act)

    # -- internals -----------------------------------------------------------------------

    def _text_for(self, party: str, version: int | None) -> Act:
        text = self.draft(version)
        draft: DraftVersion = text.statement
        if party not in draft.parties:
            raise TreatyError(f"{party} is not a party to version {draft.version}: {', '.join(draft.parties)}")
        return text

    def _require_text(self, statement: Signature | Ratification) -> None:
        """A signature or ratification names a version of the text that exists, by its id,
        and a party to it."""
        act = self.evidence().by_id.get(statement.text)
        if act is None or not isinstance(act.statement, DraftVersion) or act.statement.version != statement.version:
            raise TreatyError(f"refused: no version {statement.version} of the text has id {short(statement.text)}")
        if statement.party not in act.statement.parties:
            raise TreatyError(
                f"{statement.party} is not a party to version {statement.version}: {', '.join(act.statement.parties)}"
            )

    def _require_revoker(self, statement: Revocation, signer: str) -> None:
        act = self.evidence().by_id.get(statement.target)
        if act is None or not isinstance(act.statement, Mandate | OfficeRegistration):
            raise TreatyError(f"refused: {short(statement.target)} is not a mandate or an office in this log")
        allowed = {self.evidence().root_key(act.statement.party)}
        if isinstance(act.statement, Mandate) and act.statement.parent is not None:
            allowed.add(act.signer)
        if signer not in allowed:
            raise TreatyError(f"refused: only {act.statement.party}'s root key or the issuer may revoke {short(act.id)}")

    def _require_standing(self, party: str, signer: str, at: datetime | None) -> None:
        """Only someone the party stands behind writes the text in its name: its root key,
        a representative it registered in an office, or the holder of a valid mandate."""
        evidence, now = self.evidence(), self.ledger.size
        if signer == evidence.root_key(party) or evidence.offices(party, signer, now):
            return
        moment = at or _now()
        if any(
            mandate_defect(evidence, act, party, now, moment) is None
            for act in evidence.mandates_held(party, signer, now)
        ):
            return
        raise TreatyError(
            f"refused: the key is neither {party}'s root key nor that of a representative it "
            "registered or mandated; it cannot write the text in its name"
        )

    def _require_root(self, party: str, signer: str) -> None:
        root = self.evidence().root_key(party)
        if root is None:
            raise TreatyError(f"{party} has not registered a root key")
        if signer != root:
            raise TreatyError(f"refused: the key is not {party}'s root key")

    def _act(self, statement, key: Ed25519PrivateKey, at: datetime | None) -> Act:
        return self.submit(Envelope.seal(statement, key), at)

    def _preview(self, envelope: Envelope, at: datetime | None) -> tuple[Evidence, Act]:
        """The evidence as it would be with ``envelope`` appended now (at ``at``), and its
        act; a TreatyError if the evidence would not admit it."""
        trial = _copy(self.evidence())
        trial.problems = []
        trial.add(self._evidence_size, LogRecord(entry=envelope, logged_at=utc_timestamp(at or _now())))
        if trial.problems:
            raise TreatyError(f"refused: {trial.problems[0].split(': ', 1)[1]}")
        return trial, trial.acts[-1]

    def _commit(self, envelope: Envelope, act: Act) -> Act:
        """Append the previewed act, unless the log grew since the preview."""
        _append(self.ledger, envelope, act.logged_at, expected_seq=act.seq)
        # The preview checked the act against this very log, one entry shorter.
        self._evidence.append(act)
        self._evidence_size = act.seq + 1
        return act


def _copy(evidence: Evidence) -> Evidence:
    """An evidence that can be added to without changing ``evidence``."""
    return Evidence(
        evidence.negotiation, list(evidence.acts), list(evidence.problems), dict(evidence.by_id),
        {key: list(acts) for key, acts in evidence.by_subject.items()},
    )


def _now() -> datetime:
    return datetime.now().astimezone()


def _append(ledger: Ledger, envelope: Envelope, at: datetime, expected_seq: int | None = None) -> int:
    """Append one record; returns its seq once durable."""
    record = LogRecord(entry=envelope, logged_at=utc_timestamp(at))
    return ledger.append(envelope.statement["type"], record.data(), at=at, expected_seq=expected_seq).seq
