"""Who may bind a party: full powers by office, mandates and their delegation chains,
expiry and revocation. The evaluation is fed hand-built log records (including acts a
treaty record would refuse); the record's refusals are tested on a real ledger; and a
property test compares the evaluation of random delegation chains with an oracle written
from the rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.crypto import generate_key, public_hex
from servanda.errors import TreatyError
from servanda.ledger import Ledger
from servanda.ledger.timestamps import utc_timestamp
from servanda.model.parties import Role
from servanda.store import open_database
from servanda.treaty import TreatyRecord
from servanda.treaty.authority import authority, office_label, short
from servanda.treaty.evidence import Act, Evidence
from servanda.treaty.statements import (
    Author,
    Clause,
    DraftVersion,
    Envelope,
    LogRecord,
    Mandate,
    OfficeRegistration,
    Opening,
    PartyRegistration,
    Power,
    Revocation,
    Signature,
)

T0 = datetime(2025, 12, 2, tzinfo=UTC)
DAY = timedelta(days=1)
US, RU = "United States", "Russia"
ALL_POWERS = tuple(Power)

# Keys are costly only to generate; one set serves every test.
ROOT, RU_ROOT, STRANGER, CONVENER = (generate_key() for _ in range(4))
HOLDERS = [generate_key() for _ in range(5)]
WITKOFF, KUSHNER, RUBIO = HOLDERS[0], HOLDERS[1], HOLDERS[2]


class Log:
    """A negotiation's log written by hand: acts appended in order with their log times."""

    def __init__(self) -> None:
        self.negotiation = "ab" * 32
        self.records: list[LogRecord] = []
        self.append(Opening(negotiation=self.negotiation, title="Talks", log_key="0" * 64), CONVENER, T0 - 30 * DAY)
        self.add(PartyRegistration, ROOT, T0 - 30 * DAY, party=US, key=public_hex(ROOT))
        self.add(PartyRegistration, RU_ROOT, T0 - 30 * DAY, party=RU, key=public_hex(RU_ROOT))
        # Signatures must name a text in the log; authority never looks at which one.
        author = Author(party=US, representative="someone")
        self.text = self.add(
            DraftVersion, CONVENER, T0 - 30 * DAY, version=1, title="Text", parties=(US, RU),
            requires_ratification=False, editor=author,
            clauses=(Clause(id="c1", text="Peace.", author=author),),
        )

    def append(self, statement, key, at: datetime) -> int:
        self.records.append(
            LogRecord(entry=Envelope.seal(statement, key), logged_at=utc_timestamp(at))
        )
        return len(self.records) - 1

    def add(self, kind, signer, at: datetime, **fields) -> str:
        """Append an act of ``kind`` signed by ``signer``; its id."""
        statement = kind(negotiation=self.negotiation, **fields)
        self.append(statement, signer, at)
        return statement.id()

    def mandate(
        self,
        issuer,
        holder,
        at: datetime,
        powers=ALL_POWERS,
        start=T0 - 10 * DAY,
        end=T0 + 10 * DAY,
        party=US,
        delegable=False,
        parent=None,
    ) -> str:
        return self.add(
            Mandate,
            issuer,
            at,
            party=party,
            holder="someone",
            key=public_hex(holder),
            powers=tuple(powers),
            not_before=utc_timestamp(start),
            not_after=utc_timestamp(end),
            delegable=delegable,
            parent=parent,
        )

    def revoke(self, target: str, key, at: datetime, reason: str = "") -> str:
        return self.add(Revocation, key, at, target=target, reason=reason)

    def office(
        self, holder, role: Role, registrar, at: datetime, party=US, name="Marco Rubio"
    ) -> str:
        return self.add(
            OfficeRegistration,
            registrar,
            at,
            party=party,
            holder=name,
            role=role,
            key=public_hex(holder),
        )

    def sign(self, key, at: datetime, mandate: str | None = None, party=US) -> int:
        statement = Signature(
            negotiation=self.negotiation,
            text=self.text,
            version=1,
            party=party,
            representative="someone",
            mandate=mandate,
        )
        return self.append(statement, key, at)

    def evidence(self) -> Evidence:
        evidence = Evidence.from_records(enumerate(self.records))
        assert evidence.problems == []
        return evidence

    def authority(self, seq: int, power: Power = Power.SIGN, party: str = US):
        """The authority of the signature (or other act) at ``seq``."""
        evidence = self.evidence()
        act = next(act for act in evidence.acts if act.seq == seq)
        mandate = getattr(act.statement, "mandate", None)
        return authority(evidence, party, act.signer, power, act, mandate)


def _denied(result, *fragments: str) -> None:
    assert not result.granted, result.reason
    for fragment in fragments:
        assert fragment in result.reason, (fragment, result.reason)


# -- one mandate ---------------------------------------------------------------------------


def test_a_valid_mandate_gives_authority_cited_or_not():
    log = Log()
    mandate = log.mandate(ROOT, WITKOFF, T0, powers=[Power.NEGOTIATE, Power.SIGN])
    cited = log.sign(WITKOFF, T0 + DAY, mandate)
    uncited = log.sign(WITKOFF, T0 + DAY)
    for seq in (cited, uncited):
        result = log.authority(seq)
        assert result.granted, result.reason
        assert result.reason == f"under mandate {short(mandate)} to sign"


def test_an_expired_mandate_gives_no_authority():
    log = Log()
    mandate = log.mandate(ROOT, WITKOFF, T0, end=T0 + 2 * DAY)
    inside = log.sign(WITKOFF, T0 + 2 * DAY, mandate)  # the last instant still counts
    after = log.sign(WITKOFF, T0 + 2 * DAY + timedelta(milliseconds=1), mandate)
    assert log.authority(inside).granted
    _denied(log.authority(after), f"mandate {short(mandate)} expired on 2025-12-04T00:00:00.000Z")


def test_a_mandate_not_yet_valid_gives_no_authority():
    log = Log()
    mandate = log.mandate(ROOT, WITKOFF, T0, start=T0 + 3 * DAY)
    early = log.sign(WITKOFF, T0 + DAY, mandate)
    on_time = log.sign(WITKOFF, T0 + 3 * DAY, mandate)
    _denied(
        log.authority(early),
        f"mandate {short(mandate)} is valid only from 2025-12-05T00:00:00.000Z",
    )
    assert log.authority(on_time).granted


def test_a_revocation_counts_from_its_place_in_the_log():
    log = Log()
    mandate = log.mandate(ROOT, WITKOFF, T0)
    before = log.sign(WITKOFF, T0 + DAY, mandate)
    log.revoke(mandate, ROOT, T0 + 2 * DAY, reason="talks moved to the foreign ministry")
    after = log.sign(WITKOFF, T0 + 3 * DAY, mandate)
    assert log.authority(before).granted
    _denied(
        log.authority(after),
        f"mandate {short(mandate)} was revoked on 2025-12-04 00:00 UTC",
        "(talks moved to the foreign ministry)",
    )


def test_a_revocation_by_a_stranger_or_by_the_holder_is_ignored():
    log = Log()
    mandate = log.mandate(ROOT, WITKOFF, T0)
    log.revoke(mandate, STRANGER, T0 + DAY)
    log.revoke(mandate, WITKOFF, T0 + DAY)
    log.revoke(mandate, RU_ROOT, T0 + DAY)
    assert log.authority(log.sign(WITKOFF, T0 + 2 * DAY, mandate)).granted


def test_a_mandate_without_the_power_gives_no_authority():
    log = Log()
    mandate = log.mandate(ROOT, WITKOFF, T0, powers=[Power.NEGOTIATE, Power.ADOPT])
    seq = log.sign(WITKOFF, T0 + DAY, mandate)
    _denied(log.authority(seq), f"whose mandate {short(mandate)} allows only negotiate, adopt")
    _denied(log.authority(seq, Power.RATIFY), "allows only negotiate, adopt")
    assert log.authority(seq, Power.ADOPT).granted


def test_a_mandate_of_the_other_party_gives_no_authority():
    log = Log()
    mandate = log.mandate(RU_ROOT, WITKOFF, T0, party=RU)
    cited = log.sign(WITKOFF, T0 + DAY, mandate)
    uncited = log.sign(WITKOFF, T0 + DAY)
    _denied(log.authority(cited), f"mandate {short(mandate)} is for Russia, not United States")
    _denied(log.authority(uncited), "who holds no mandate to sign")
    assert log.authority(uncited, party=RU).granted


def test_a_mandate_for_a_party_issued_by_another_party_root_gives_no_authority():
    log = Log()
    mandate = log.mandate(RU_ROOT, WITKOFF, T0, party=US)
    _denied(
        log.authority(log.sign(WITKOFF, T0 + DAY, mandate)),
        f"mandate {short(mandate)} was not issued by United States's root key",
    )


def test_citing_the_mandate_of_another_holder_gives_no_authority():
    log = Log()
    mandate = log.mandate(ROOT, KUSHNER, T0)
    _denied(
        log.authority(log.sign(WITKOFF, T0 + DAY, mandate)),
        f"who cites mandate {short(mandate)}, which names another holder",
    )


def test_citing_a_mandate_logged_later_or_never_gives_no_authority():
    log = Log()
    seq = log.sign(WITKOFF, T0 + DAY, "cd" * 32)
    _denied(log.authority(seq), f"who cites mandate {short('cd' * 32)}, which is not in the log")
    early = log.sign(WITKOFF, T0 + DAY, "ef" * 32)
    later_mandate = log.mandate(ROOT, WITKOFF, T0 + DAY)
    late_seq = log.sign(WITKOFF, T0 + 2 * DAY, later_mandate)
    assert log.authority(late_seq).granted
    # The signature at ``early`` cites a mandate that did not exist yet.
    log.records[early] = LogRecord(
        entry=Envelope.seal(
            Signature(
                negotiation=log.negotiation,
                text=log.text,
                version=1,
                party=US,
                representative="someone",
                mandate=later_mandate,
            ),
            WITKOFF,
        ),
        logged_at=utc_timestamp(T0 + DAY),
    )
    _denied(
        log.authority(early), f"who cites mandate {short(later_mandate)}, which is not in the log"
    )


def test_no_mandate_at_all():
    log = Log()
    _denied(log.authority(log.sign(WITKOFF, T0)), "who holds no mandate to sign")


def test_a_mandate_issued_before_the_party_registered_gives_no_authority():
    log = Log()
    late = generate_key()
    mandate = log.mandate(late, WITKOFF, T0, party="Ukraine")
    log.add(PartyRegistration, late, T0, party="Ukraine", key=public_hex(late))
    _denied(
        log.authority(log.sign(WITKOFF, T0 + DAY, mandate, party="Ukraine"), party="Ukraine"),
        "was not issued by Ukraine's root key",
    )


# -- delegation ----------------------------------------------------------------------------


def test_a_valid_delegation_chain_gives_authority():
    log = Log()
    top = log.mandate(ROOT, WITKOFF, T0, delegable=True)
    middle = log.mandate(
        WITKOFF,
        KUSHNER,
        T0 + DAY,
        powers=[Power.NEGOTIATE, Power.SIGN],
        start=T0 - 5 * DAY,
        end=T0 + 5 * DAY,
        delegable=True,
        parent=top,
    )
    leaf = log.mandate(
        KUSHNER,
        HOLDERS[3],
        T0 + DAY,
        powers=[Power.SIGN],
        start=T0,
        end=T0 + 5 * DAY,
        parent=middle,
    )
    result = log.authority(log.sign(HOLDERS[3], T0 + 2 * DAY, leaf))
    assert result.granted, result.reason
    assert result.reason == f"under mandate {short(leaf)} to sign"


def test_delegation_from_a_mandate_that_may_not_be_delegated():
    log = Log()
    top = log.mandate(ROOT, WITKOFF, T0, delegable=False)
    child = log.mandate(WITKOFF, KUSHNER, T0, parent=top)
    _denied(
        log.authority(log.sign(KUSHNER, T0 + DAY, child)),
        f"mandate {short(child)} was delegated from mandate {short(top)}, which may not be delegated",
    )


def test_delegation_claiming_more_powers_than_its_parent():
    log = Log()
    top = log.mandate(ROOT, WITKOFF, T0, powers=[Power.NEGOTIATE, Power.SIGN], delegable=True)
    child = log.mandate(WITKOFF, KUSHNER, T0, powers=[Power.SIGN, Power.RATIFY], parent=top)
    _denied(
        log.authority(log.sign(KUSHNER, T0 + DAY, child)),
        f"mandate {short(child)} claims powers its parent lacks: ratify",
    )


@pytest.mark.parametrize(("start", "end"), [(-11, 5), (-5, 11), (-11, 11)])
def test_delegation_valid_longer_than_its_parent(start, end):
    log = Log()
    top = log.mandate(ROOT, WITKOFF, T0, delegable=True)  # valid T0-10d .. T0+10d
    child = log.mandate(
        WITKOFF, KUSHNER, T0, start=T0 + start * DAY, end=T0 + end * DAY, parent=top
    )
    _denied(
        log.authority(log.sign(KUSHNER, T0 + DAY, child)),
        f"mandate {short(child)} outlasts the validity of its parent mandate",
    )


@pytest.mark.parametrize("issuer", ["root", "stranger", "other holder"])
def test_delegation_by_someone_other_than_the_parent_holder(issuer):
    log = Log()
    top = log.mandate(ROOT, WITKOFF, T0, delegable=True)
    log.mandate(ROOT, RUBIO, T0, delegable=True)
    key = {"root": ROOT, "stranger": STRANGER, "other holder": RUBIO}[issuer]
    child = log.mandate(key, KUSHNER, T0, parent=top)
    _denied(
        log.authority(log.sign(KUSHNER, T0 + DAY, child)),
        f"mandate {short(child)} was delegated by someone other than the holder of its parent mandate",
    )


def test_delegation_from_a_parent_not_in_the_log():
    log = Log()
    child = log.mandate(WITKOFF, KUSHNER, T0, parent="12" * 32)
    _denied(
        log.authority(log.sign(KUSHNER, T0 + DAY, child)),
        f"mandate {short(child)} is delegated from a mandate that is not in the log before it",
    )


def test_a_parent_revoked_later_takes_the_child_authority_from_then_on():
    log = Log()
    top = log.mandate(ROOT, WITKOFF, T0, delegable=True)
    child = log.mandate(WITKOFF, KUSHNER, T0, parent=top)
    before = log.sign(KUSHNER, T0 + DAY, child)
    log.revoke(top, ROOT, T0 + 2 * DAY, reason="envoy recalled")
    after = log.sign(KUSHNER, T0 + 3 * DAY, child)
    assert log.authority(before).granted
    _denied(
        log.authority(after),
        f"mandate {short(child)} depends on mandate {short(top)} was revoked",
        "(envoy recalled)",
    )


def test_a_parent_expiring_takes_the_child_authority_with_it():
    log = Log()
    top = log.mandate(ROOT, WITKOFF, T0, end=T0 + 2 * DAY, delegable=True)
    child = log.mandate(WITKOFF, KUSHNER, T0, end=T0 + 2 * DAY, parent=top)
    _denied(
        log.authority(log.sign(KUSHNER, T0 + 3 * DAY, child)), f"mandate {short(child)} expired"
    )


def test_a_child_revoked_by_its_issuer_or_the_root_key():
    for revoker in (WITKOFF, ROOT):
        log = Log()
        top = log.mandate(ROOT, WITKOFF, T0, delegable=True)
        child = log.mandate(WITKOFF, KUSHNER, T0, parent=top)
        log.revoke(child, revoker, T0 + DAY)
        _denied(
            log.authority(log.sign(KUSHNER, T0 + 2 * DAY, child)),
            f"mandate {short(child)} was revoked",
        )


def test_delegation_made_before_the_parent_is_valid_never_counts():
    log = Log()
    top = log.mandate(ROOT, WITKOFF, T0, start=T0 + 5 * DAY, delegable=True)
    child = log.mandate(WITKOFF, KUSHNER, T0 + DAY, start=T0 + 5 * DAY, parent=top)
    _denied(
        log.authority(log.sign(KUSHNER, T0 + 6 * DAY, child)),
        f"mandate {short(child)} was delegated under mandate {short(top)} is valid only from",
    )


def test_delegation_under_a_parent_revoked_before_the_delegation():
    log = Log()
    top = log.mandate(ROOT, WITKOFF, T0, delegable=True)
    log.revoke(top, ROOT, T0)
    child = log.mandate(WITKOFF, KUSHNER, T0 + DAY, parent=top)
    _denied(
        log.authority(log.sign(KUSHNER, T0 + DAY, child)),
        f"mandate {short(child)} was delegated under mandate {short(top)} was revoked",
    )


# -- offices -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.HEAD_OF_STATE, Role.HEAD_OF_GOVERNMENT, Role.FOREIGN_MINISTER]
)
def test_full_powers_by_office_need_no_mandate(role):
    log = Log()
    log.office(RUBIO, role, ROOT, T0)
    seq = log.sign(RUBIO, T0 + DAY)
    for power in Power:
        result = log.authority(seq, power)
        assert result.granted and result.reason == "with full powers by office"
    _denied(log.authority(seq, party=RU), "who holds no mandate to sign")


@pytest.mark.parametrize("role", [Role.ENVOY, Role.AIDE, Role.OTHER])
def test_other_offices_carry_no_full_powers(role):
    log = Log()
    log.office(WITKOFF, role, ROOT, T0, name="Steve Witkoff")
    seq = log.sign(WITKOFF, T0 + DAY)
    _denied(log.authority(seq), "who holds no mandate to sign")
    evidence = log.evidence()
    label = f"Steve Witkoff ({role.value.replace('_', ' ')})"
    assert office_label(evidence, US, public_hex(WITKOFF), "Steve Witkoff", seq) == label


@pytest.mark.parametrize("registrar", ["stranger", "other party's root", "the holder"])
def test_an_office_registered_by_a_key_other_than_the_root_key_is_ignored(registrar):
    log = Log()
    key = {"stranger": STRANGER, "other party's root": RU_ROOT, "the holder": RUBIO}[registrar]
    log.office(RUBIO, Role.FOREIGN_MINISTER, key, T0)
    seq = log.sign(RUBIO, T0 + DAY)
    _denied(log.authority(seq), "who holds no mandate to sign")
    assert office_label(log.evidence(), US, public_hex(RUBIO), "Marco Rubio", seq) == "Marco Rubio"


def test_a_revoked_office_stops_working_from_the_revocation_on():
    log = Log()
    office = log.office(RUBIO, Role.FOREIGN_MINISTER, ROOT, T0)
    before = log.sign(RUBIO, T0 + DAY)
    log.revoke(office, STRANGER, T0 + DAY)  # ignored: not the root key
    still = log.sign(RUBIO, T0 + DAY)
    log.revoke(office, ROOT, T0 + 2 * DAY, reason="resigned")
    after = log.sign(RUBIO, T0 + 3 * DAY)
    assert log.authority(before).granted
    assert log.authority(still).granted
    _denied(log.authority(after), "who holds no mandate to sign")


def test_an_office_registered_after_the_signature_does_not_count_for_it():
    log = Log()
    seq = log.sign(RUBIO, T0)
    log.office(RUBIO, Role.FOREIGN_MINISTER, ROOT, T0 + DAY)
    _denied(log.authority(seq), "who holds no mandate to sign")


# -- what the treaty record refuses --------------------------------------------------------


@pytest.fixture
def record(tmp_path) -> TreatyRecord:
    ledger = Ledger.create(open_database(tmp_path / "treaty.ledger"), "treaty")
    record = TreatyRecord.open_new(ledger, "Talks", CONVENER, at=T0 - 30 * DAY)
    record.register_party(US, ROOT, at=T0 - 30 * DAY)
    record.register_party(RU, RU_ROOT, at=T0 - 30 * DAY)
    return record


def _issue(
    record: TreatyRecord,
    issuer,
    holder,
    powers=ALL_POWERS,
    start=T0 - 10 * DAY,
    end=T0 + 10 * DAY,
    delegable=False,
    parent: Act | None = None,
    at=T0,
) -> Act:
    return record.issue_mandate(
        US,
        "someone",
        public_hex(holder),
        powers,
        start,
        end,
        issuer,
        delegable=delegable,
        parent=parent.id if parent else None,
        at=at,
    )


def test_the_record_accepts_a_narrowing_chain_and_a_future_mandate(record):
    top = _issue(record, ROOT, WITKOFF, delegable=True)
    child = _issue(
        record, WITKOFF, KUSHNER, powers=[Power.SIGN], start=T0, end=T0 + DAY, parent=top
    )
    future = _issue(record, ROOT, RUBIO, start=T0 + 5 * DAY, end=T0 + 6 * DAY)
    assert [act.seq for act in (top, child, future)] == [3, 4, 5]
    assert record.evidence().problems == []


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not delegable", "may not be delegated"),
        ("more powers", "claims powers its parent lacks: ratify"),
        ("longer", "outlasts the validity of its parent mandate"),
        ("earlier", "outlasts the validity of its parent mandate"),
        ("other key", "was delegated by someone other than the holder of its parent mandate"),
        ("root key", "was delegated by someone other than the holder of its parent mandate"),
    ],
)
def test_the_record_refuses_an_over_delegated_mandate(record, case, message):
    top = _issue(
        record,
        ROOT,
        WITKOFF,
        powers=[Power.NEGOTIATE, Power.SIGN],
        delegable=case != "not delegable",
    )
    kwargs = {"issuer": WITKOFF, "powers": [Power.SIGN]}
    if case == "more powers":
        kwargs["powers"] = [Power.SIGN, Power.RATIFY]
    elif case == "longer":
        kwargs["end"] = T0 + 11 * DAY
    elif case == "earlier":
        kwargs["start"] = T0 - 11 * DAY
    elif case == "other key":
        kwargs["issuer"] = STRANGER
    elif case == "root key":
        kwargs["issuer"] = ROOT
    size = record.ledger.size
    with pytest.raises(TreatyError, match=message):
        _issue(record, holder=KUSHNER, parent=top, **kwargs)
    assert record.ledger.size == size


@pytest.mark.parametrize(
    "case", ["not delegable", "more powers", "longer", "other key", "root by a stranger"]
)
def test_the_record_refuses_an_over_delegated_mandate_that_starts_later(record, case):
    top = _issue(record, ROOT, WITKOFF, powers=[Power.SIGN], delegable=case != "not delegable")
    kwargs = {
        "issuer": WITKOFF,
        "powers": [Power.SIGN],
        "start": T0 + DAY,
        "end": T0 + 2 * DAY,
        "parent": top,
    }
    if case == "more powers":
        kwargs["powers"] = list(Power)
    elif case == "longer":
        kwargs["end"] = T0 + 50 * DAY
    elif case == "other key":
        kwargs["issuer"] = STRANGER
    elif case == "root by a stranger":
        kwargs.update(issuer=STRANGER, parent=None)
    size = record.ledger.size
    with pytest.raises(TreatyError, match="refused"):
        _issue(record, holder=KUSHNER, at=T0, **kwargs)
    assert record.ledger.size == size


def test_the_record_refuses_a_root_mandate_not_signed_by_the_root_key(record):
    for issuer in (STRANGER, RU_ROOT):
        with pytest.raises(TreatyError, match="was not issued by United States's root key"):
            _issue(record, issuer, WITKOFF)


def test_the_record_refuses_delegation_under_an_expired_or_revoked_parent(record):
    top = _issue(record, ROOT, WITKOFF, end=T0 + DAY, delegable=True)
    with pytest.raises(TreatyError, match="expired"):
        _issue(record, WITKOFF, KUSHNER, end=T0 + DAY, parent=top, at=T0 + 2 * DAY)
    other = _issue(record, ROOT, RUBIO, delegable=True)
    record.revoke(other.id, ROOT, at=T0)
    with pytest.raises(TreatyError, match="was revoked"):
        _issue(record, RUBIO, KUSHNER, parent=other, at=T0)


def test_the_record_refuses_a_revocation_by_a_stranger(record):
    top = _issue(record, ROOT, WITKOFF, delegable=True)
    child = _issue(record, WITKOFF, KUSHNER, parent=top)
    office = record.register_office(
        US, "Marco Rubio", Role.FOREIGN_MINISTER, public_hex(RUBIO), ROOT, at=T0
    )
    size = record.ledger.size
    for target, key in (
        (top, STRANGER),
        (top, WITKOFF),
        (top, RU_ROOT),
        (child, STRANGER),
        (child, KUSHNER),
        (office, RUBIO),
        (office, STRANGER),
    ):
        with pytest.raises(
            TreatyError, match="only United States's root key or the issuer may revoke"
        ):
            record.revoke(target.id, key, at=T0)
    assert record.ledger.size == size
    # The issuer of a delegated mandate, and the root key, may.
    record.revoke(child.id, WITKOFF, at=T0)
    record.revoke(top.id, ROOT, at=T0)
    record.revoke(office.id, ROOT, at=T0)
    assert record.ledger.size == size + 3


def test_the_record_refuses_an_office_registered_by_a_key_other_than_the_root(record):
    with pytest.raises(TreatyError, match="not United States's root key"):
        record.register_office(
            US, "Marco Rubio", Role.FOREIGN_MINISTER, public_hex(RUBIO), STRANGER, at=T0
        )
    with pytest.raises(TreatyError, match="has not registered a root key"):
        record.register_office(
            "Ukraine", "someone", Role.FOREIGN_MINISTER, public_hex(RUBIO), ROOT, at=T0
        )


def test_the_record_refuses_a_second_registration_of_a_party(record):
    with pytest.raises(TreatyError, match="already registered"):
        record.register_party(US, STRANGER, at=T0)


# -- random delegation chains against an oracle --------------------------------------------


@dataclass
class Link:
    powers: frozenset[Power]
    start: int  # days from T0, inclusive
    end: int
    delegable: bool
    # "proper" (the root key for the first link, the parent's holder after), "root", "stranger"
    issuer: str
    issued: int  # day the link is logged


@dataclass
class Revoke:
    link: int
    revoker: str  # "root", "issuer", "holder" (of the revoked link), "stranger"
    # Logged just before link ``slot``; slot == depth: before the signature; depth + 1: after it.
    slot: int


@dataclass
class Chain:
    links: list[Link]
    signed: int  # day of the signature
    power: Power
    cite: bool  # whether the signature names the last link
    revocations: list[Revoke]


def _mostly(draw) -> bool:
    """True four times in five: chains that keep most rules, so that deep chains are often valid."""
    return draw(st.sampled_from([True, True, True, True, False]))


@st.composite
def chains(draw) -> Chain:
    depth = draw(st.integers(1, 4))
    windows: list[tuple[int, int]] = []
    powers: list[frozenset[Power]] = []
    for index in range(depth):
        if index and _mostly(draw):  # narrower than the parent
            low, high = windows[-1]
            start = draw(st.integers(low, high - 1))
            windows.append((start, draw(st.integers(start + 1, high))))
            powers.append(frozenset(draw(st.sets(st.sampled_from(sorted(powers[-1])), min_size=1))))
        else:
            start = draw(st.integers(-10, 8))
            windows.append((start, start + draw(st.integers(1, 10))))
            powers.append(frozenset(draw(st.sets(st.sampled_from(ALL_POWERS), min_size=1))))
    low, high = windows[-1]
    signed = draw(st.integers(low, high) if _mostly(draw) else st.integers(-12, 12))
    links, issued = [], -12
    for index in range(depth):
        low, high = issued, signed
        if index and _mostly(draw):  # while the parent is valid, if the log order allows it
            parent_start, parent_end = windows[index - 1]
            if max(low, parent_start) <= min(high, parent_end):
                low, high = max(low, parent_start), min(high, parent_end)
        issued = draw(st.integers(low, high)) if low <= high else low
        links.append(
            Link(
                powers=powers[index],
                start=windows[index][0],
                end=windows[index][1],
                delegable=draw(st.sampled_from([True, True, True, False])),
                issuer="proper"
                if _mostly(draw)
                else draw(st.sampled_from(["root", "stranger"] if index else ["stranger"])),
                issued=issued,
            )
        )
    revocations = []
    for _ in range(draw(st.integers(0, 2))):
        link = draw(st.integers(0, depth - 1))
        revoker = draw(st.sampled_from(["root", "issuer", "holder", "stranger"]))
        revocations.append(Revoke(link, revoker, draw(st.integers(link + 1, depth + 1))))
    power = draw(st.sampled_from(sorted(powers[-1]) if _mostly(draw) else ALL_POWERS))
    return Chain(links, signed, power, draw(st.booleans()), revocations)


def oracle(chain: Chain) -> bool:
    """The rules, restated: every link is issued by the party's root key (the first) or by
    the holder of its parent (the others), from a delegable parent, with no more powers
    and no wider validity than the parent, while the parent is valid; no link is revoked
    by the root key or by its issuer before the signature; the signature falls inside
    every link's validity; and the last link carries the power used."""
    depth = len(chain.links)
    for index, link in enumerate(chain.links):
        if link.issuer != "proper":
            return False
        if index > 0:
            parent = chain.links[index - 1]
            if not parent.delegable:
                return False
            if not link.powers <= parent.powers:
                return False
            if not (parent.start <= link.start and link.end <= parent.end):
                return False
            if not parent.start <= link.issued <= parent.end:
                return False
        if not link.start <= chain.signed <= link.end:
            return False
    for revocation in chain.revocations:
        if revocation.slot <= depth and revocation.revoker in ("root", "issuer"):
            return False
    return chain.power in chain.links[-1].powers


def evaluate(chain: Chain):
    """Write the chain as a log and ask the library; (authority, mandate ids)."""
    log = Log()
    depth = len(chain.links)
    holders = HOLDERS[:depth]
    issuers = [
        (ROOT if index == 0 else holders[index - 1])
        if link.issuer == "proper"
        else {"root": ROOT, "stranger": STRANGER}[link.issuer]
        for index, link in enumerate(chain.links)
    ]
    mandates = [
        Mandate(
            negotiation=log.negotiation,
            party=US,
            holder="someone",
            key=public_hex(holders[index]),
            powers=tuple(power for power in ALL_POWERS if power in link.powers),
            not_before=utc_timestamp(T0 + link.start * DAY),
            not_after=utc_timestamp(T0 + link.end * DAY),
            delegable=link.delegable,
            parent=None,
        )
        for index, link in enumerate(chain.links)
    ]
    for index in range(1, depth):  # ids are content addresses: each parent is known before
        mandates[index] = mandates[index].model_copy(update={"parent": mandates[index - 1].id()})
    ids = [mandate.id() for mandate in mandates]
    revokers = {
        "root": lambda i: ROOT,
        "issuer": lambda i: issuers[i],
        "holder": lambda i: holders[i],
        "stranger": lambda i: STRANGER,
    }
    times = [T0 + link.issued * DAY for link in chain.links] + [T0 + chain.signed * DAY] * 2
    seq = None
    for slot in range(depth + 2):
        for revocation in chain.revocations:
            if revocation.slot == slot:
                log.revoke(
                    ids[revocation.link],
                    revokers[revocation.revoker](revocation.link),
                    times[slot - 1],
                )
        if slot < depth:
            log.append(mandates[slot], issuers[slot], times[slot])
        elif slot == depth:
            seq = log.sign(holders[-1], times[slot], ids[-1] if chain.cite else None)
    return log.authority(seq, chain.power), ids


@settings(max_examples=300, deadline=None)
@given(chain=chains())
def test_random_delegation_chains_agree_with_the_rules(chain):
    result, ids = evaluate(chain)
    assert result.granted == oracle(chain), result.reason
    if result.granted:
        assert result.reason == f"under mandate {short(ids[-1])} to {chain.power.value}"
    else:
        assert short(ids[-1]) in result.reason


def test_a_chain_longer_than_the_limit_is_refused_and_cheap_to_judge():
    """Forty delegable links: without memoising, judging it would take 2**40 checks."""
    from servanda.treaty.authority import MAX_DELEGATIONS

    log = Log()
    keys = [generate_key() for _ in range(41)]
    parent = log.mandate(ROOT, keys[0], T0, delegable=True)
    for issuer, holder in zip(keys, keys[1:]):
        parent = log.mandate(issuer, holder, T0, delegable=True, parent=parent)
    seq = log.sign(keys[-1], T0 + DAY, parent)
    _denied(log.authority(seq), f"ends a chain of more than {MAX_DELEGATIONS} delegations")
    # Sixteen links are still fine.
    short_log = Log()
    parent = short_log.mandate(ROOT, keys[0], T0, delegable=True)
    for issuer, holder in zip(keys[:MAX_DELEGATIONS], keys[1 : MAX_DELEGATIONS + 1]):
        parent = short_log.mandate(issuer, holder, T0, delegable=True, parent=parent)
    assert short_log.authority(short_log.sign(keys[MAX_DELEGATIONS], T0 + DAY, parent)).granted
