"""An agreement's status (informal deal, signed, in force) with its reasons party by party;
what the evidence refuses to count; and the texts themselves: composing versions with their
clause authors, the diff between versions, and the outcome a text implies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import EXAMPLES

from servanda.crypto import generate_key, public_hex, sign
from servanda.errors import TreatyError
from servanda.formats import load_scenario
from servanda.formats.drafts import DraftDoc, load_draft_document
from servanda.ledger import Ledger
from servanda.ledger.timestamps import utc_timestamp
from servanda.model.parties import Role
from servanda.store import open_database
from servanda.treaty import (
    Status,
    TreatyRecord,
    agreement_status,
    diff,
    implied_outcome,
    settled_issues,
)
from servanda.treaty.authority import short
from servanda.treaty.drafts import Change, compose
from servanda.treaty.evidence import Evidence
from servanda.treaty.statements import (
    Author,
    DraftVersion,
    Envelope,
    LogRecord,
    OfficeRegistration,
    Opening,
    PartyRegistration,
    Power,
    Ratification,
    Signature,
)

MEETING = datetime(2025, 12, 2, 17, 0, tzinfo=UTC)
EVENING = MEETING + timedelta(hours=5)
LATER = MEETING + timedelta(days=14)
US, RU = "United States", "Russia"

PEOPLE = {  # name: (party, office)
    "Steve Witkoff": (US, Role.ENVOY),
    "Jared Kushner": (US, Role.ENVOY),
    "Marco Rubio": (US, Role.FOREIGN_MINISTER),
    "Yuri Ushakov": (RU, Role.AIDE),
    "Kirill Dmitriev": (RU, Role.ENVOY),
    "Sergey Lavrov": (RU, Role.FOREIGN_MINISTER),
}
ROOTS = {US: generate_key(), RU: generate_key()}
KEYS = {name: generate_key() for name in PEOPLE}
CONVENER, IMPOSTOR, CLERK = generate_key(), generate_key(), generate_key()


def _doc(
    title: str = "Ceasefire", parties=(US, RU), ratification: bool = True, clauses=None
) -> DraftDoc:
    clauses = clauses or [
        {
            "id": "ceasefire",
            "text": "The parties cease fire.",
            "issue": "form_of_agreement",
            "option": "ceasefire",
        }
    ]
    return DraftDoc.model_validate(
        {
            "title": title,
            "parties": list(parties),
            "requires_ratification": ratification,
            "clauses": clauses,
        }
    )


def _new_record(tmp_path, doc: DraftDoc | None = None) -> TreatyRecord:
    """The Moscow talks: both parties registered, the envoys and the aide in their offices,
    Russia's envoy with a mandate to negotiate only, and the text (version 1 from ``doc``
    or the two example versions)."""
    ledger = Ledger.create(open_database(tmp_path / "moscow.ledger"), "treaty")
    record = TreatyRecord.open_new(ledger, "Moscow talks", CONVENER, at=MEETING)
    for party, root in ROOTS.items():
        record.register_party(party, root, at=MEETING)
    for name, (party, office) in PEOPLE.items():
        if office is not Role.FOREIGN_MINISTER:
            record.register_office(
                party, name, office, public_hex(KEYS[name]), ROOTS[party], at=MEETING
            )
    record.issue_mandate(
        RU,
        "Kirill Dmitriev",
        public_hex(KEYS["Kirill Dmitriev"]),
        [Power.NEGOTIATE],
        MEETING - timedelta(days=7),
        MEETING + timedelta(days=30),
        ROOTS[RU],
        at=MEETING,
    )
    if doc is not None:
        record.add_draft(doc, KEYS["Steve Witkoff"], US, "Steve Witkoff", at=MEETING)
    else:
        record.add_draft(
            load_draft_document(EXAMPLES / "texts" / "moscow-ceasefire-v1.yaml"),
            KEYS["Steve Witkoff"],
            US,
            "Steve Witkoff",
            at=MEETING,
        )
        record.add_draft(
            load_draft_document(EXAMPLES / "texts" / "moscow-ceasefire-v2.yaml"),
            KEYS["Kirill Dmitriev"],
            RU,
            "Kirill Dmitriev",
            at=MEETING + timedelta(hours=2),
        )
    return record


def _ministers_sign(record: TreatyRecord, version: int | None = None, at: datetime = LATER) -> None:
    for name in ("Marco Rubio", "Sergey Lavrov"):
        party = PEOPLE[name][0]
        if not record.evidence().offices(party, public_hex(KEYS[name]), record.ledger.size):
            record.register_office(
                party, name, Role.FOREIGN_MINISTER, public_hex(KEYS[name]), ROOTS[party], at=at
            )
        record.sign(KEYS[name], party, name, version=version, at=at)


def _standing(status, party):
    return next(standing for standing in status.parties if standing.party == party)


# -- transitions ---------------------------------------------------------------------------


def test_from_informal_deal_to_signed_to_in_force(tmp_path):
    record = _new_record(tmp_path)
    status = record.status()
    assert (status.status, status.version, status.requires_ratification) == (
        Status.INFORMAL,
        2,
        True,
    )
    assert status.explanation() == [
        "United States: has not signed version 2",
        "United States: has not ratified",
        "Russia: has not signed version 2",
        "Russia: has not ratified",
    ]

    for name in ("Steve Witkoff", "Jared Kushner", "Yuri Ushakov"):
        record.sign(KEYS[name], PEOPLE[name][0], name, at=EVENING)
    dmitriev = record.evidence().mandates_held(
        RU, public_hex(KEYS["Kirill Dmitriev"]), record.ledger.size
    )[0]
    record.sign(KEYS["Kirill Dmitriev"], RU, "Kirill Dmitriev", mandate=dmitriev.id, at=EVENING)
    status = record.status()
    assert status.status is Status.INFORMAL
    assert status.explanation() == [
        "United States: signed by Steve Witkoff (envoy), who holds no mandate to sign",
        "United States: signed by Jared Kushner (envoy), who holds no mandate to sign",
        "United States: has not ratified",
        "Russia: signed by Yuri Ushakov (aide), who holds no mandate to sign",
        f"Russia: signed by Kirill Dmitriev (envoy), whose mandate {short(dmitriev.id)} allows only negotiate",
        "Russia: has not ratified",
    ]
    assert not any(standing.signed for standing in status.parties)

    _ministers_sign(record)
    status = record.status()
    assert status.status is Status.SIGNED
    assert (
        "United States: signed by Marco Rubio (foreign minister), with full powers by office"
        in status.explanation()
    )
    assert (
        "Russia: signed by Sergey Lavrov (foreign minister), with full powers by office"
        in status.explanation()
    )
    assert all(standing.signed and not standing.ratified for standing in status.parties)

    record.ratify(ROOTS[US], US, at=LATER + timedelta(days=60))
    assert record.status().status is Status.SIGNED
    record.ratify(ROOTS[RU], RU, at=LATER + timedelta(days=61))
    status = record.status()
    assert status.status is Status.IN_FORCE
    assert status.explanation()[-1] == "Russia: ratified by its root key on 2026-02-15"
    assert "United States: ratified by its root key on 2026-02-14" in status.explanation()
    assert all(standing.signed and standing.ratified for standing in status.parties)


def test_one_party_signing_is_not_enough(tmp_path):
    record = _new_record(tmp_path)
    record.register_office(
        US,
        "Marco Rubio",
        Role.FOREIGN_MINISTER,
        public_hex(KEYS["Marco Rubio"]),
        ROOTS[US],
        at=LATER,
    )
    record.sign(KEYS["Marco Rubio"], US, "Marco Rubio", at=LATER)
    status = record.status()
    assert status.status is Status.INFORMAL
    assert _standing(status, US).signed and not _standing(status, RU).signed


def test_a_text_that_needs_no_ratification_is_in_force_once_signed(tmp_path):
    record = _new_record(tmp_path, _doc(ratification=False))
    assert record.status().status is Status.INFORMAL
    _ministers_sign(record)
    status = record.status()
    assert (status.status, status.requires_ratification) == (Status.IN_FORCE, False)
    assert not any("ratif" in line for line in status.explanation())


def test_a_mandate_to_sign_binds(tmp_path):
    record = _new_record(tmp_path, _doc(ratification=False))
    mandate = record.issue_mandate(
        US,
        "Steve Witkoff",
        public_hex(KEYS["Steve Witkoff"]),
        [Power.SIGN],
        MEETING,
        LATER,
        ROOTS[US],
        at=MEETING,
    )
    record.sign(KEYS["Steve Witkoff"], US, "Steve Witkoff", mandate=mandate.id, at=EVENING)
    status = record.status()
    assert (
        f"United States: signed by Steve Witkoff (envoy), under mandate {short(mandate.id)} to sign"
        in status.explanation()
    )
    assert _standing(status, US).signed


def test_ratification_by_a_key_without_the_power_does_not_count(tmp_path):
    record = _new_record(tmp_path)
    _ministers_sign(record)
    record.ratify(KEYS["Steve Witkoff"], US, at=LATER + timedelta(days=1))
    record.ratify(ROOTS[RU], US, at=LATER + timedelta(days=1))  # another party's root key
    sign_only = record.issue_mandate(
        US,
        "Jared Kushner",
        public_hex(KEYS["Jared Kushner"]),
        [Power.SIGN],
        MEETING,
        LATER + timedelta(days=90),
        ROOTS[US],
        at=LATER + timedelta(days=1),  # a log's times never run backwards
    )
    record.ratify(KEYS["Jared Kushner"], US, at=LATER + timedelta(days=1))
    record.ratify(ROOTS[RU], RU, at=LATER + timedelta(days=1))
    status = record.status()
    assert status.status is Status.SIGNED
    lines = status.explanation()
    assert "United States: ratification by Steve Witkoff (envoy), who holds no mandate to ratify" in lines
    assert "United States: ratification by a key, who holds no mandate to ratify" in lines
    assert (
        f"United States: ratification by Jared Kushner (envoy), whose mandate {short(sign_only.id)} "
        "allows only sign"
    ) in lines
    assert not _standing(status, US).ratified and _standing(status, RU).ratified


def test_ratification_by_office_or_by_a_mandate_to_ratify_counts(tmp_path):
    record = _new_record(tmp_path)
    _ministers_sign(record)
    mandate = record.issue_mandate(
        US,
        "Jared Kushner",
        public_hex(KEYS["Jared Kushner"]),
        [Power.RATIFY],
        MEETING,
        LATER + timedelta(days=90),
        ROOTS[US],
        at=LATER,
    )
    record.ratify(KEYS["Jared Kushner"], US, at=LATER + timedelta(days=2))
    record.ratify(KEYS["Sergey Lavrov"], RU, at=LATER + timedelta(days=3))
    status = record.status()
    assert status.status is Status.IN_FORCE
    assert (
        f"United States: ratified by Jared Kushner (envoy) on 2025-12-18, under mandate {short(mandate.id)} "
        "to ratify"
    ) in status.explanation()
    assert (
        "Russia: ratified by Sergey Lavrov (foreign minister) on 2025-12-19, with full powers by office"
        in status.explanation()
    )


def test_ratification_before_a_valid_signature_does_not_count(tmp_path):
    record = _new_record(tmp_path)
    record.sign(KEYS["Steve Witkoff"], US, "Steve Witkoff", at=EVENING)
    for party, root in ROOTS.items():
        record.ratify(root, party, at=EVENING)  # after an envoy's signature, before a valid one
    _ministers_sign(record)
    status = record.status()
    assert status.status is Status.SIGNED
    assert (
        "United States: ratified by its root key before validly signing, which does not count"
        in status.explanation()
    )
    assert (
        "Russia: ratified by its root key before validly signing, which does not count"
        in status.explanation()
    )
    for party, root in ROOTS.items():
        record.ratify(root, party, at=LATER + timedelta(days=1))
    assert record.status().status is Status.IN_FORCE


def test_signatures_on_an_older_version_do_not_count_for_the_newer(tmp_path):
    record = _new_record(tmp_path)
    _ministers_sign(record, version=1)
    older = record.status(1)
    assert (older.status, older.version) == (Status.SIGNED, 1)
    status = record.status()
    assert (status.status, status.version) == (Status.INFORMAL, 2)
    assert "United States: signed only other versions (1), not version 2" in status.explanation()
    assert "Russia: signed only other versions (1), not version 2" in status.explanation()

    record.add_draft(_doc(), KEYS["Marco Rubio"], US, "Marco Rubio", at=LATER)
    assert "Russia: signed only other versions (1), not version 3" in record.status().explanation()
    _ministers_sign(record, version=3)
    assert record.status().status is Status.SIGNED
    with pytest.raises(TreatyError, match="no draft version 4"):
        record.status(4)


def test_a_party_without_a_root_key_cannot_be_bound(tmp_path):
    record = _new_record(tmp_path, _doc(parties=(US, RU, "Ukraine"), ratification=False))
    _ministers_sign(record)
    status = record.status()
    assert status.status is Status.INFORMAL
    assert "Ukraine: has not registered a root key" in status.explanation()
    assert [standing.signed for standing in status.parties] == [True, True, False]
    with pytest.raises(TreatyError, match="Ukraine has not registered a root key"):
        record.register_office(
            "Ukraine",
            "Volodymyr Zelensky",
            Role.HEAD_OF_STATE,
            public_hex(generate_key()),
            generate_key(),
            at=LATER,
        )


def test_status_needs_a_text(tmp_path):
    ledger = Ledger.create(open_database(tmp_path / "empty.ledger"), "treaty")
    record = TreatyRecord.open_new(ledger, "Talks", CONVENER, at=MEETING)
    with pytest.raises(TreatyError, match="no draft"):
        record.status()


# -- hand-built evidence: what the record would refuse -------------------------------------


class Log:
    """A negotiation's log written by hand."""

    def __init__(self) -> None:
        self.negotiation = "ab" * 32
        self.records: list[LogRecord] = []
        self.drafts: list[DraftVersion] = []
        self.append(Opening(negotiation=self.negotiation, title="Talks", log_key="0" * 64), CONVENER)
        for party, root in ROOTS.items():
            self.add(PartyRegistration, root, party=party, key=public_hex(root))

    def append(self, statement, key, at: datetime = MEETING) -> int:
        return self.append_envelope(Envelope.seal(statement, key), at)

    def append_envelope(self, envelope: Envelope, at: datetime = MEETING) -> int:
        self.records.append(LogRecord(entry=envelope, logged_at=utc_timestamp(at)))
        return len(self.records) - 1

    def add(self, kind, signer, at: datetime = MEETING, **fields) -> int:
        return self.append(kind(negotiation=self.negotiation, **fields), signer, at)

    def draft(self, doc: DraftDoc, key=CLERK) -> int:
        previous = (self.drafts[-1].id(), self.drafts[-1]) if self.drafts else None
        self.drafts.append(
            compose(doc, self.negotiation, Author(party=US, representative="clerk"), previous)
        )
        return self.append(self.drafts[-1], key)

    def minister(self, name: str, registrar=None) -> None:
        party = PEOPLE[name][0]
        self.add(
            OfficeRegistration,
            registrar or ROOTS[party],
            party=party,
            holder=name,
            role=Role.FOREIGN_MINISTER,
            key=public_hex(KEYS[name]),
        )

    def signature(self, name: str, text: DraftVersion, party: str | None = None) -> Signature:
        return Signature(
            negotiation=self.negotiation,
            text=text.id(),
            version=text.version,
            party=party or PEOPLE[name][0],
            representative=name,
        )

    def evidence(self) -> Evidence:
        return Evidence.from_records(enumerate(self.records))


def _ministers_log(ratification: bool = False) -> Log:
    log = Log()
    log.draft(_doc(ratification=ratification))
    log.minister("Marco Rubio")
    log.minister("Sergey Lavrov")
    return log


def test_the_hand_built_log_agrees_with_the_record():
    log = _ministers_log()
    for name in ("Marco Rubio", "Sergey Lavrov"):
        log.append(log.signature(name, log.drafts[-1]), KEYS[name], LATER)
    evidence = log.evidence()
    assert evidence.problems == []
    assert agreement_status(evidence).status is Status.IN_FORCE


def test_a_second_registration_of_a_party_is_ignored():
    log = _ministers_log(ratification=True)
    log.add(PartyRegistration, IMPOSTOR, party=US, key=public_hex(IMPOSTOR))
    impostor_minister = generate_key()
    log.add(
        OfficeRegistration,
        IMPOSTOR,
        party=US,
        holder="Impostor",
        role=Role.FOREIGN_MINISTER,
        key=public_hex(impostor_minister),
    )
    text = log.drafts[-1]
    log.append(log.signature("Impostor", text, party=US), impostor_minister, LATER)
    log.append(log.signature("Sergey Lavrov", text), KEYS["Sergey Lavrov"], LATER)
    log.add(Ratification, IMPOSTOR, LATER, text=text.id(), version=1, party=US)
    evidence = log.evidence()
    assert evidence.problems == []
    assert evidence.root_key(US) == public_hex(ROOTS[US])
    assert evidence.parties() == [US, RU]
    status = agreement_status(evidence)
    assert status.status is Status.INFORMAL
    assert "United States: signed by Impostor, who holds no mandate to sign" in status.explanation()
    assert (
        "United States: ratification by a key, who holds no mandate to ratify"
        in status.explanation()
    )

    log.append(log.signature("Marco Rubio", text), KEYS["Marco Rubio"], LATER)
    assert agreement_status(log.evidence()).status is Status.SIGNED


def test_an_office_registered_by_a_non_root_key_does_not_bind():
    log = Log()
    log.draft(_doc(ratification=False))
    log.minister("Marco Rubio", registrar=IMPOSTOR)
    log.minister("Sergey Lavrov")
    for name in ("Marco Rubio", "Sergey Lavrov"):
        log.append(log.signature(name, log.drafts[-1]), KEYS[name], LATER)
    status = agreement_status(log.evidence())
    assert status.status is Status.INFORMAL
    assert (
        "United States: signed by Marco Rubio, who holds no mandate to sign" in status.explanation()
    )


def test_a_record_with_a_bad_signature_is_a_problem_and_does_not_count():
    log = _ministers_log()
    text = log.drafts[-1]
    good = Envelope.seal(log.signature("Marco Rubio", text), KEYS["Marco Rubio"])
    forged = Envelope(
        statement=good.statement,
        signer=good.signer,
        signature=Envelope.seal(
            log.signature("Marco Rubio", text), KEYS["Jared Kushner"]
        ).signature,
    )
    changed = Envelope(
        statement={**good.statement, "representative": "Marco Rubio, Secretary of State"},
        signer=good.signer,
        signature=good.signature,
    )
    first = log.append_envelope(forged, LATER)
    second = log.append_envelope(changed, LATER)
    log.append(log.signature("Sergey Lavrov", text), KEYS["Sergey Lavrov"], LATER)
    evidence = log.evidence()
    assert evidence.problems == [
        f"entry {first}: the signature does not verify",
        f"entry {second}: the signature does not verify",
    ]
    assert all(act.seq not in (first, second) for act in evidence.acts)
    status = agreement_status(evidence)
    assert status.status is Status.INFORMAL
    assert "United States: has not signed version 1" in status.explanation()


def test_a_record_of_another_negotiation_is_a_problem_and_does_not_count():
    log = _ministers_log()
    text = log.drafts[-1]
    replayed = log.signature("Marco Rubio", text).model_copy(update={"negotiation": "cd" * 32})
    seq = log.append(replayed, KEYS["Marco Rubio"], LATER)
    log.append(log.signature("Sergey Lavrov", text), KEYS["Sergey Lavrov"], LATER)
    evidence = log.evidence()
    assert evidence.problems == [f"entry {seq}: belongs to another negotiation"]
    assert agreement_status(evidence).status is Status.INFORMAL


def test_a_draft_out_of_sequence_is_a_problem_and_does_not_count():
    log = _ministers_log()
    first = log.drafts[-1]
    skipped = first.model_copy(update={"version": 3, "previous": first.id(), "title": "Skipped"})
    unlinked = first.model_copy(update={"version": 2, "previous": None, "title": "Unlinked"})
    wrong_link = first.model_copy(
        update={"version": 2, "previous": "ef" * 32, "title": "Wrong link"}
    )
    again = first.model_copy(update={"title": "Again version 1"})
    seqs = [log.append(draft, CLERK) for draft in (skipped, unlinked, wrong_link, again)]
    evidence = log.evidence()
    assert evidence.problems == [
        f"entry {seqs[0]}: draft version 3 does not follow the last one",
        f"entry {seqs[1]}: draft version 2 does not follow the last one",
        f"entry {seqs[2]}: draft version 2 does not follow the last one",
        f"entry {seqs[3]}: draft version 1 does not follow the last one",
    ]
    assert [act.statement.title for act in evidence.drafts()] == ["Ceasefire"]
    assert agreement_status(evidence).version == 1
    with pytest.raises(TreatyError, match="no draft version 3"):
        agreement_status(evidence, 3)


def test_other_malformed_records_are_problems():
    log = Log()
    log.add(Opening, CONVENER, title="A second opening", log_key="0" * 64)
    log.add(PartyRegistration, IMPOSTOR, party="Ukraine", key=public_hex(ROOTS[US]))
    statement = Signature(
        negotiation=log.negotiation, text="ab" * 32, version=1, party=US, representative="x"
    )
    loose = {**statement.payload(), "mandate": None}  # an omitted default spelled out
    log.append_envelope(
        Envelope(
            statement=loose,
            signer=public_hex(CLERK),
            signature=Envelope.seal(statement, CLERK).signature,
        )
    )
    log.append_envelope(
        Envelope(statement=loose, signer=public_hex(CLERK), signature=sign(CLERK, loose))
    )
    unknown = {"negotiation": log.negotiation, "type": "treaty-of-everything"}
    log.append_envelope(
        Envelope(statement=unknown, signer=public_hex(CLERK), signature=sign(CLERK, unknown))
    )
    problems = log.evidence().problems
    assert problems[0] == "entry 3: a second opening"
    assert problems[1] == "entry 4: a party registration must be signed by its own key"
    assert problems[2] == "entry 5: the signature does not verify"
    assert problems[3].startswith("entry 6: not a valid statement (")
    assert problems[4].startswith("entry 7: not a valid statement (")
    assert len(problems) == 5
    assert log.evidence().parties() == [US, RU]


def test_a_log_must_open_with_its_opening():
    records = [
        (
            0,
            LogRecord(
                entry=Envelope.seal(
                    PartyRegistration(negotiation="ab" * 32, party=US, key=public_hex(ROOTS[US])),
                    ROOTS[US],
                ),
                logged_at=utc_timestamp(MEETING),
            ),
        )
    ]
    evidence = Evidence.from_records(records)
    assert evidence.problems == ["entry 0: a negotiation's log must open with its opening"]
    assert evidence.negotiation is None and evidence.acts == []


def test_a_signature_naming_the_wrong_version_of_its_text_is_a_problem():
    log = _ministers_log()
    log.draft(_doc(title="Second"))
    first = log.drafts[0]
    mislabelled = log.signature("Marco Rubio", first).model_copy(update={"version": 2})
    seq = log.append(mislabelled, KEYS["Marco Rubio"], LATER)
    evidence = log.evidence()
    assert any(problem.startswith(f"entry {seq}:") for problem in evidence.problems)
    assert not any(
        "other versions (2), not version 2" in line
        for line in agreement_status(evidence).explanation()
    )


# -- texts ---------------------------------------------------------------------------------


def _clause(id_: str, text: str, issue: str | None = None, option: str | None = None) -> dict:
    clause = {"id": id_, "text": text}
    if issue is not None:
        clause |= {"issue": issue, "option": option}
    return clause


US_ENVOY = Author(party=US, representative="Steve Witkoff")
RU_ENVOY = Author(party=RU, representative="Kirill Dmitriev")


def test_compose_keeps_the_authors_of_unchanged_clauses():
    negotiation = "ab" * 32
    v1 = compose(
        _doc(
            clauses=[
                _clause("a", "First."),
                _clause("b", "Second.", "donbass", "status_quo"),
                _clause("c", "Third."),
            ]
        ),
        negotiation,
        US_ENVOY,
        None,
    )
    assert (v1.version, v1.previous, v1.editor) == (1, None, US_ENVOY)
    assert {clause.author for clause in v1.clauses} == {US_ENVOY}
    v2 = compose(
        _doc(
            clauses=[
                _clause("b", "Second.", "donbass", "partial_withdrawal"),
                _clause("a", "First."),
                _clause("d", "Fourth."),
            ]
        ),
        negotiation,
        RU_ENVOY,
        (v1.id(), v1),
    )
    assert (v2.version, v2.previous, v2.editor) == (2, v1.id(), RU_ENVOY)
    assert [(clause.id, clause.author) for clause in v2.clauses] == [
        ("b", RU_ENVOY),
        ("a", US_ENVOY),
        ("d", RU_ENVOY),
    ]
    v3 = compose(
        _doc(
            clauses=[
                _clause("b", "Second.", "donbass", "partial_withdrawal"),
                _clause("a", "First!"),
                _clause("d", "Fourth."),
            ]
        ),
        negotiation,
        US_ENVOY,
        (v2.id(), v2),
    )
    assert [(clause.id, clause.author) for clause in v3.clauses] == [
        ("b", RU_ENVOY),
        ("a", US_ENVOY),
        ("d", RU_ENVOY),
    ]


def test_diff_reports_added_removed_and_changed_clauses_with_their_author():
    negotiation = "ab" * 32
    v1 = compose(
        _doc(
            clauses=[
                _clause("a", "First."),
                _clause("b", "Second.", "donbass", "status_quo"),
                _clause("c", "Third."),
                _clause("e", "Fifth."),
            ]
        ),
        negotiation,
        US_ENVOY,
        None,
    )
    v2 = compose(
        _doc(
            title="Renamed",
            parties=(RU, US),
            clauses=[
                _clause("d", "Fourth."),
                _clause("b", "Second.", "donbass", "partial_withdrawal"),
                _clause("a", "First."),
                _clause("e", "Fifth, amended."),
            ],
        ),
        negotiation,
        RU_ENVOY,
        (v1.id(), v1),
    )
    changes = diff(v1, v2)
    assert [(change.change, change.clause, change.by) for change in changes] == [
        (Change.CHANGED, "(title)", RU_ENVOY),
        (Change.CHANGED, "(parties)", RU_ENVOY),
        (Change.ADDED, "d", RU_ENVOY),
        (Change.CHANGED, "b", RU_ENVOY),
        (Change.CHANGED, "e", RU_ENVOY),
        (Change.REMOVED, "c", RU_ENVOY),
    ]
    added, changed_b = changes[2], changes[3]
    assert (added.before, added.after.text) == (None, "Fourth.")
    assert (changed_b.before.option, changed_b.after.option) == ("status_quo", "partial_withdrawal")
    assert changes[-1].before.text == "Third." and changes[-1].after is None
    assert diff(v2, v2) == []


def test_diff_of_the_moscow_versions(tmp_path):
    record = _new_record(tmp_path)
    changes = diff(record.draft(1).statement, record.draft(2).statement)
    assert [(change.change, change.clause, change.by.representative) for change in changes] == [
        (Change.CHANGED, "ceasefire", "Kirill Dmitriev"),
        (Change.CHANGED, "army", "Kirill Dmitriev"),
    ]
    v2 = record.draft(2).statement
    assert {clause.id: clause.author.representative for clause in v2.clauses} == {
        "ceasefire": "Kirill Dmitriev",
        "sanctions": "Steve Witkoff",
        "army": "Kirill Dmitriev",
        "dialogue": "Steve Witkoff",
        "open-questions": "Steve Witkoff",
    }


@pytest.fixture(scope="module")
def moscow():
    return load_scenario(EXAMPLES / "moscow-2025.yaml")


def test_implied_outcome_lists_the_issues_a_text_leaves_open(moscow):
    doc = load_draft_document(EXAMPLES / "texts" / "moscow-ceasefire-v2.yaml")
    v2 = compose(doc, "ab" * 32, RU_ENVOY, None)
    assert settled_issues(v2, moscow) == {
        "form_of_agreement": "ceasefire_with_framework",
        "sanctions_relief": "phased_at_us_discretion",
        "army_cap": "600000",
        "russia_nato_dialogue": "vague_us_mediated",
    }
    with pytest.raises(TreatyError) as raised:
        implied_outcome(v2, moscow)
    assert str(raised.value) == (
        "version 1 leaves issue(s) open: territorial_status, donbass, security_guarantees, "
        "nato_expansion, missile_deployments; only a text that settles every issue can be scored"
    )


def test_implied_outcome_of_a_text_that_settles_every_issue(moscow):
    settled = [
        ("form_of_agreement", "binding_treaty"),
        ("territorial_status", "de_facto"),
        ("donbass", "status_quo"),
        ("army_cap", "600000"),
        ("security_guarantees", "european_coordinated"),
        ("sanctions_relief", "phased_at_us_discretion"),
        ("nato_expansion", "moratorium"),
        ("missile_deployments", "limited"),
        ("russia_nato_dialogue", "vague_us_mediated"),
    ]
    clauses = [
        _clause(f"c{index}", f"Clause {index}.", issue, option)
        for index, (issue, option) in enumerate(reversed(settled))
    ] + [_clause("preamble", "The parties agree:")]
    draft = compose(_doc(clauses=clauses), "ab" * 32, US_ENVOY, None)
    # Option indices from examples/moscow-2025.yaml; army_cap runs 50,000 to 800,000 by 50,000.
    assert implied_outcome(draft, moscow) == (2, 1, 0, 11, 1, 1, 1, 1, 0)


def test_a_clause_must_fit_the_scenario(moscow):
    unknown = compose(
        _doc(clauses=[_clause("x", "Text.", "oil_price", "high")]), "ab" * 32, US_ENVOY, None
    )
    with pytest.raises(TreatyError, match="clause 'x' settles issue 'oil_price', which scenario"):
        settled_issues(unknown, moscow)
    bad_option = compose(
        _doc(clauses=[_clause("army", "Cap.", "army_cap", "123")]), "ab" * 32, US_ENVOY, None
    )
    with pytest.raises(TreatyError, match="clause 'army': .*no option '123'"):
        implied_outcome(bad_option, moscow)
