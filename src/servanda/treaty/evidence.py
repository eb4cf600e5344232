"""The evidence of a negotiation: its logged acts, checked and indexed.

An :class:`Evidence` is built from log records in log order, from a ledger or from a bundle.
Each record must carry a valid signature over a well-formed statement of this negotiation;
anything else is a problem, reported with the entry's number, and ignored thereafter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from servanda.ledger.timestamps import parse_timestamp
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
    Statement,
    parse_statement,
)


@dataclass(frozen=True)
class Act:
    """One checked, logged act: where it sits in the log, when it was logged, who signed."""

    seq: int
    logged_at: datetime
    signer: str
    statement: Statement
    id: str  # the statement's content address, computed once


@dataclass
class Evidence:
    """Every valid act of one negotiation, in log order, with the problems found."""

    negotiation: str | None = None
    acts: list[Act] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    by_id: dict[str, Act] = field(default_factory=dict)
    # Acts by (statement class, subject), in log order, so that every lookup touches only
    # the acts it is about: verifying a bundle stays near-linear in its size.
    by_subject: dict[tuple, list[Act]] = field(default_factory=dict)

    @classmethod
    def from_records(cls, records: Iterable[tuple[int, LogRecord]]) -> Evidence:
        """Check and index ``(seq, record)`` pairs, which must come in log order."""
        evidence = cls()
        for seq, record in records:
            evidence.add(seq, record)
        return evidence

    def add(self, seq: int, record: LogRecord) -> None:
        """Admit one record, or note why it is not evidence."""
        envelope = record.entry
        try:
            logged_at = parse_timestamp(record.logged_at)
        except ValueError:
            self.problems.append(f"entry {seq}: its log time is not a timestamp")
            return
        if self.acts and logged_at < self.acts[-1].logged_at:
            # A log's times never run backwards: an act cannot be dated before one logged earlier.
            self.problems.append(f"entry {seq}: logged at {record.logged_at}, before the entry preceding it")
            return
        if not envelope.verifies():
            self.problems.append(f"entry {seq}: the signature does not verify")
            return
        try:
            statement = parse_statement(envelope.statement)
        except ValueError as exc:
            self.problems.append(f"entry {seq}: not a valid statement ({_first_line(exc)})")
            return
        if self.negotiation is None:
            if not isinstance(statement, Opening):
                self.problems.append(f"entry {seq}: a negotiation's log must open with its opening")
                return
            self.negotiation = statement.negotiation
        elif statement.negotiation != self.negotiation:
            self.problems.append(f"entry {seq}: belongs to another negotiation")
            return
        elif isinstance(statement, Opening):
            self.problems.append(f"entry {seq}: a second opening")
            return
        if isinstance(statement, PartyRegistration) and envelope.signer != statement.key:
            self.problems.append(f"entry {seq}: a party registration must be signed by its own key")
            return
        if isinstance(statement, Signature | Ratification):
            text = self.find(statement.text)
            if text is None or not isinstance(text.statement, DraftVersion):
                self.problems.append(f"entry {seq}: a {statement.type} of a text that is not in the log before it")
                return
            if text.statement.version != statement.version:
                self.problems.append(
                    f"entry {seq}: a {statement.type} naming version {statement.version} of a text "
                    f"that is version {text.statement.version}"
                )
                return
        if isinstance(statement, DraftVersion):
            drafts = self.drafts()
            previous = drafts[-1].id if drafts else None
            if statement.version != len(drafts) + 1 or statement.previous != previous:
                self.problems.append(f"entry {seq}: draft version {statement.version} does not follow the last one")
                return
        self.append(Act(seq, logged_at, envelope.signer, statement, statement.id()))

    def append(self, act: Act) -> None:
        """Add an act already checked against this evidence."""
        self.acts.append(act)
        self.by_id.setdefault(act.id, act)
        kind, subject = type(act.statement), _subject(act.statement)
        for key in {(kind, None), (kind, subject)}:
            self.by_subject.setdefault(key, []).append(act)

    def _about(self, kind: type, subject: object, before: int | None) -> list[Act]:
        acts = self.by_subject.get((kind, subject), [])
        return acts if before is None else [act for act in acts if act.seq < before]

    # -- lookups -------------------------------------------------------------------------

    def of_type(self, kind: type, before: int | None = None) -> list[Act]:
        """The acts of one statement class, optionally only those logged before seq ``before``."""
        return self._about(kind, None, before)

    def opening(self) -> Opening | None:
        acts = self.of_type(Opening)
        return acts[0].statement if acts else None

    def root_key(self, party: str, before: int | None = None) -> str | None:
        """The party's root key: its first registration (later ones cannot replace it)."""
        acts = self._about(PartyRegistration, party, before)
        return acts[0].statement.key if acts else None

    def parties(self) -> list[str]:
        """The registered parties, in order of registration."""
        names: list[str] = []
        for act in self.of_type(PartyRegistration):
            if act.statement.party not in names:
                names.append(act.statement.party)
        return names

    def find(self, act_id: str) -> Act | None:
        """The act whose statement has this id."""
        return self.by_id.get(act_id)

    def revocation_of(self, target: str, allowed_signers: set[str], before: int) -> Act | None:
        """The first revocation of ``target`` logged before ``before`` by an allowed key."""
        for act in self._about(Revocation, target, before):
            if act.signer in allowed_signers:
                return act
        return None

    def offices(self, party: str, key: str, before: int) -> list[Act]:
        """The party's registrations of ``key`` in an office, made by its root key before
        ``before`` and not revoked before it."""
        root = self.root_key(party, before)
        found = []
        for act in self._about(OfficeRegistration, (party, key), before):
            if act.signer == root and self.revocation_of(act.id, {root}, before) is None:
                found.append(act)
        return found

    def mandates_held(self, party: str, key: str, before: int) -> list[Act]:
        """Every mandate for ``party`` naming ``key`` as holder, logged before ``before``."""
        return self._about(Mandate, (party, key), before)

    def drafts(self) -> list[Act]:
        return self.of_type(DraftVersion)

    def draft(self, version: int | None = None) -> Act | None:
        """A version of the text (the latest with ``None``)."""
        drafts = self.drafts()
        if version is None:
            return drafts[-1] if drafts else None
        return next((act for act in drafts if act.statement.version == version), None)

    def signatures(self, text: str) -> list[Act]:
        return self._about(Signature, text, None)

    def ratifications(self, text: str) -> list[Act]:
        return self._about(Ratification, text, None)


def _subject(statement: Statement) -> object:
    """What an act is about, for the index: a party, a (party, key), a target, a text."""
    if isinstance(statement, PartyRegistration):
        return statement.party
    if isinstance(statement, OfficeRegistration | Mandate):
        return (statement.party, statement.key)
    if isinstance(statement, Revocation):
        return statement.target
    if isinstance(statement, Signature | Ratification):
        return statement.text
    return None


def _first_line(exc: Exception) -> str:
    lines = str(exc).splitlines()
    return "; ".join(line.strip() for line in lines[:3])
