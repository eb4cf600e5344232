"""The treaty record: acts are checked against the log as it is, and appended only if
nobody appended in between."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from servanda.crypto import generate_key
from servanda.errors import LedgerError
from servanda.ledger import Ledger
from servanda.store import open_database
from servanda.treaty import TreatyRecord

AT = datetime(2025, 12, 2, 17, tzinfo=UTC)


def test_an_act_checked_against_an_older_log_is_not_appended(tmp_path):
    engine = open_database(tmp_path / "l.db")
    mine = TreatyRecord.open_new(Ledger.create(engine, "treaty"), "Talks", generate_key(), at=AT)
    theirs = TreatyRecord(Ledger.open(engine, "treaty"))
    mine.evidence()
    theirs.register_party("Russia", generate_key(), at=AT)
    # ``mine`` refreshes from the log before checking, so it sees Russia and appends after it.
    act = mine.register_party("Ukraine", generate_key(), at=AT)
    assert act.seq == 2 and mine.evidence().parties() == ["Russia", "Ukraine"]


def test_expected_seq_guards_the_append(tmp_path):
    ledger = Ledger.create(open_database(tmp_path / "l.db"), "log")
    ledger.append("x", b"a", at=AT, expected_seq=0)
    with pytest.raises(LedgerError, match="appended meanwhile"):
        ledger.append("x", b"b", at=AT, expected_seq=0)
    assert ledger.size == 1


def test_the_record_survives_reopening(tmp_path):
    path = tmp_path / "l.db"
    record = TreatyRecord.open_new(Ledger.create(open_database(path), "treaty"), "Talks", generate_key(), at=AT)
    record.register_party("Russia", generate_key(), at=AT)
    again = TreatyRecord(Ledger.open(open_database(path), "treaty"))
    assert again.negotiation == record.negotiation and again.evidence().parties() == ["Russia"]
    assert again.title == "Talks"


def test_a_ledger_without_an_opening_is_refused(tmp_path):
    ledger = Ledger.create(open_database(tmp_path / "l.db"), "treaty")
    with pytest.raises(LedgerError, match="holds no negotiation"):
        TreatyRecord(ledger)
    ledger.append("junk", b"not json", at=AT)
    with pytest.raises(LedgerError, match="entry 0 is not a treaty record"):
        TreatyRecord(ledger)


def test_an_append_between_check_and_write_is_refused(tmp_path, monkeypatch):
    engine = open_database(tmp_path / "l.db")
    mine = TreatyRecord.open_new(Ledger.create(engine, "treaty"), "Talks", generate_key(), at=AT)
    theirs = TreatyRecord(Ledger.open(engine, "treaty"))
    russia = generate_key()
    check = TreatyRecord._preview

    def check_then_race(self, envelope, at):
        checked = check(self, envelope, at)
        monkeypatch.undo()
        theirs.register_party("Russia", russia, at=AT)  # lands between the check and the write
        return checked

    monkeypatch.setattr(TreatyRecord, "_preview", check_then_race)
    with pytest.raises(LedgerError, match="appended meanwhile"):
        mine.register_party("Russia", generate_key(), at=AT)
    assert mine.evidence().parties() == ["Russia"] and mine.evidence().root_key("Russia") is not None
    assert mine.ledger.size == 2


def test_concurrent_readers_of_new_entries_add_each_act_once(tmp_path, monkeypatch):
    """Several threads refreshing one record at once (a server's page requests) each find
    new entries; every act must still be evidence once, not once per thread."""
    import threading

    from servanda.treaty import record as module

    engine = open_database(tmp_path / "l.db")
    shared = TreatyRecord.open_new(Ledger.create(engine, "treaty"), "Talks", generate_key(), at=AT)
    TreatyRecord(Ledger.open(engine, "treaty")).register_party("Russia", generate_key(), at=AT)
    reading = threading.Barrier(2, timeout=1)
    real = module.read_records

    def slow(*args, **kwargs):  # both threads inside the read before either has added a record
        try:
            reading.wait()
        except threading.BrokenBarrierError:
            pass  # the record serialises its readers: the second waits outside
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "read_records", slow)
    threads = [threading.Thread(target=shared.evidence) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    evidence = shared.evidence()
    assert [act.seq for act in evidence.acts] == [0, 1]
    assert len(evidence.of_type(type(evidence.acts[1].statement))) == 1
