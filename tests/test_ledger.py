"""The ledger over a real SQLite store: round trips against the Merkle functions, signed
tree heads, tampering in the database file, several logs in one store, bad files, appends
from concurrent processes, and processes killed while appending."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from servanda.crypto import canonical_json, parse_json
from servanda.errors import LedgerError
from servanda.ledger import (
    EMPTY_ROOT,
    Entry,
    Ledger,
    SignedTreeHead,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    parse_timestamp,
    tree_root,
    utc_timestamp,
    verify_consistency,
    verify_inclusion,
)
from servanda.store import open_database, writing

#: Appends to a log until killed (or ``count`` entries), printing "seq sha256(data)" as soon
#: as each append has returned, i.e. been acknowledged.
APPENDER = """
import hashlib, sys
from servanda.ledger import Ledger
from servanda.store import open_database

path, name, tag, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ledger = Ledger.open(open_database(path), name)
print("ready", flush=True)
sys.stdin.readline()
i = 0
while count < 0 or i < count:
    data = hashlib.sha256(f"{tag}-{i}".encode()).digest() * (i % 200 + 1)
    entry = ledger.append(tag, data)
    print(entry.seq, hashlib.sha256(data).hexdigest(), flush=True)
    i += 1
"""


@pytest.fixture
def store(tmp_path):
    engine = open_database(tmp_path / "store.db")
    yield engine
    engine.dispose()


@pytest.fixture
def ledger(store) -> Ledger:
    log = Ledger.create(store, "room-1")
    for i in range(23):
        log.append("draft" if i % 3 else "mandate", f"entry {i}".encode() * (i + 1))
    return log


def _tamper(path: Path, sql: str, *parameters: object) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(sql, parameters)
    connection.close()


def _start(script: Path, db: Path, name: str, tag: str, count: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, str(script), str(db), name, tag, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline() == "ready\n"
    return process


# Timestamps


def test_timestamps_have_one_spelling():
    moment = datetime(2025, 12, 2, 21, 0, 0, 123999, tzinfo=timezone(timedelta(hours=3)))
    assert utc_timestamp(moment) == "2025-12-02T18:00:00.123Z"
    assert parse_timestamp("2025-12-02T18:00:00.123Z") == moment.replace(microsecond=123000)
    assert parse_timestamp(utc_timestamp()).tzinfo is UTC
    assert utc_timestamp(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000Z"
    with pytest.raises(ValueError):
        utc_timestamp(datetime(2025, 12, 2, 18))  # naive: which zone?
    for bad in [
        "2025-12-02T18:00:00Z",
        "2025-12-02T18:00:00.000000Z",
        "2025-12-02T18:00:00.000+00:00",
        "2025-12-02 18:00:00.000Z",
        "2025-12-02t18:00:00.000z",
        "2025-13-02T18:00:00.000Z",
        "2025-02-30T18:00:00.000Z",
        "2025-12-02T24:00:00.000Z",
        "2025-12-02T18:00:60.000Z",
        "２025-12-02T18:00:00.000Z",
        " 2025-12-02T18:00:00.000Z",
        "2025-12-02T18:00:00.000Z\n",
        "",
        None,
        1764698400,
    ]:
        with pytest.raises(ValueError):
            parse_timestamp(bad)


# Appending and reading


def test_append_and_read_back(store):
    log = Ledger.create(store, "room")
    assert log.size == 0 and log.entries() == []
    at = datetime(2025, 12, 2, 18, 0, tzinfo=UTC)
    appended = [log.append(f"kind-{i % 2}", f"data {i}".encode(), at=at) for i in range(10)]
    assert [entry.seq for entry in appended] == list(range(10))
    stamp = "2025-12-02T18:00:00.000Z"
    assert appended[3] == Entry(3, "kind-1", b"data 3", leaf_hash(b"data 3"), stamp)
    assert log.size == 10
    assert log.entries() == appended
    assert log.entries(4, 7) == appended[4:7]
    assert log.entries(8, 100) == appended[8:]
    assert log.entry(9) == appended[9]
    assert log.leaf_hashes() == [leaf_hash(b"data %d" % i) for i in range(10)]
    assert log.leaf_hashes(4) == log.leaf_hashes()[:4]
    fresh = log.append("kind", b"")
    assert fresh.seq == 10 and parse_timestamp(fresh.appended_at)
    assert Ledger.open(store, "room").entries() == log.entries()


def test_proofs_agree_with_the_merkle_functions(ledger):
    hashes = ledger.leaf_hashes()
    assert hashes == [entry.leaf_hash for entry in ledger.entries()]
    heads = {size: ledger.tree_head(size) for size in range(ledger.size + 1)}
    for size, head in heads.items():
        assert head.verify() and head.size == size and head.log_key == ledger.public_key
        assert head.root == tree_root(hashes[:size]).hex()
        root = bytes.fromhex(head.root)
        for seq in range(size):
            proof = ledger.inclusion_proof(seq, size)
            assert proof == inclusion_proof(hashes[:size], seq)
            assert verify_inclusion(hashes[seq], seq, size, proof, root)
        for old in range(1, size + 1):
            proof = ledger.consistency_proof(old, size)
            assert proof == consistency_proof(hashes[:size], old)
            assert verify_consistency(old, size, bytes.fromhex(heads[old].root), root, proof)
    assert ledger.tree_head().size == ledger.size
    assert ledger.inclusion_proof(0) == inclusion_proof(hashes, 0)
    assert ledger.consistency_proof(5) == consistency_proof(hashes, 5)


def test_proofs_follow_appends_by_another_ledger_on_another_connection(tmp_path):
    """A Ledger keeps its Merkle tree between calls; entries appended meanwhile through
    another Ledger and engine (as by another process) are in its next answer, never a
    stale size."""
    path = tmp_path / "shared.db"
    reader_engine, writer_engine = open_database(path), open_database(path)
    reader = Ledger.create(reader_engine, "room")
    writer = Ledger.open(writer_engine, "room")
    heads = {0: reader.tree_head()}
    for step, count in enumerate((1, 1, 2, 3, 5, 8, 13, 1, 30)):
        for i in range(count):
            writer.append("draft", b"%d-%d" % (step, i))
        hashes = writer.leaf_hashes()
        size = len(hashes)
        head = reader.tree_head()
        assert head.size == size and head.root == tree_root(hashes).hex()
        heads[size] = head
        root = bytes.fromhex(head.root)
        for seq in {0, size // 2, size - 1, size - count}:
            proof = reader.inclusion_proof(seq)
            assert proof == inclusion_proof(hashes, seq)
            assert verify_inclusion(hashes[seq], seq, size, proof, root)
        for old, old_head in heads.items():
            if old:
                proof = reader.consistency_proof(old)
                assert proof == consistency_proof(hashes, old)
                old_root = bytes.fromhex(old_head.root)
                assert verify_consistency(old, size, old_root, root, proof)
                assert reader.tree_head(old).root == old_head.root
        # Appended after the reader's last look: its proofs are of the current size.
        writer.append("draft", b"unseen %d" % step)
        assert reader.inclusion_proof(size) == inclusion_proof(writer.leaf_hashes(), size)
        assert reader.consistency_proof(size) == consistency_proof(writer.leaf_hashes(), size)
    reader_engine.dispose()
    writer_engine.dispose()


def test_one_ledger_shared_by_threads_while_another_appends(store):
    shared = Ledger.create(store, "room")
    writer = Ledger.open(store, "room")
    writer.append("draft", b"first")
    done = threading.Event()
    failures: list[BaseException] = []

    def prove() -> None:
        try:
            calls = 0
            while not done.is_set():
                head = shared.tree_head()
                root, size = bytes.fromhex(head.root), head.size
                hashes = shared.leaf_hashes(size)
                seq = calls * 7919 % size
                calls += 1
                proof = shared.inclusion_proof(seq, size)
                assert verify_inclusion(hashes[seq], seq, size, proof, root)
                assert shared.tree_head(size).root == head.root
        except BaseException as exc:  # re-raised in the test's thread
            failures.append(exc)
            done.set()

    threads = [threading.Thread(target=prove) for _ in range(3)]
    for thread in threads:
        thread.start()
    for i in range(60):
        writer.append("draft", b"%d" % i)
    done.set()
    for thread in threads:
        thread.join()
    assert not failures, failures[0]
    assert shared.tree_head().root == tree_root(writer.leaf_hashes()).hex()
    shared.check()


def test_an_empty_log_has_the_empty_root(store):
    head = Ledger.create(store, "empty").tree_head()
    assert head.size == 0 and head.root == EMPTY_ROOT.hex() and head.verify()


def test_what_a_log_does_not_hold_is_an_error(ledger, store):
    size = ledger.size
    for call in [
        lambda: ledger.entry(size),
        lambda: ledger.entry(-1),
        lambda: ledger.entries(-1),
        lambda: ledger.leaf_hashes(size + 1),
        lambda: ledger.tree_head(size + 1),
        lambda: ledger.inclusion_proof(size),
        lambda: ledger.inclusion_proof(3, 3),
        lambda: ledger.consistency_proof(0),
        lambda: ledger.consistency_proof(5, 4),
        lambda: ledger.consistency_proof(1, size + 1),
        lambda: ledger.append("", b"x"),
        lambda: ledger.append("kind", "text, not bytes"),
        lambda: Ledger.open(store, "no such room"),
        lambda: Ledger.create(store, "room-1"),
        lambda: Ledger.create(store, ""),
    ]:
        with pytest.raises(LedgerError):
            call()
    assert ledger.size == size


def test_two_logs_in_one_store_are_independent(store, tmp_path):
    first, second = Ledger.create(store, "a"), Ledger.create(store, "b")
    assert first.public_key != second.public_key
    for i in range(7):
        first.append("a", b"a%d" % i)
        if i % 2:
            second.append("b", b"b%d" % i)
    assert (first.size, second.size) == (7, 3)
    assert [entry.seq for entry in second.entries()] == [0, 1, 2]
    assert [entry.data for entry in second.entries()] == [b"b1", b"b3", b"b5"]
    _tamper(
        tmp_path / "store.db",
        "UPDATE log_entries SET data = x'00' WHERE log_id = "
        "(SELECT id FROM logs WHERE name = 'b') AND seq = 1",
    )
    first.check()
    with pytest.raises(LedgerError, match="'b': entry 1"):
        second.check()
    reopened = Ledger.open(store, "a")
    assert reopened.public_key == first.public_key
    assert reopened.tree_head().root == first.tree_head().root


# Signed tree heads


def _other(character: str) -> str:
    return "1" if character == "0" else "0"


def test_a_tree_head_round_trips_and_any_changed_field_fails(ledger):
    head = ledger.tree_head(at=datetime(2025, 12, 2, 18, tzinfo=UTC))
    assert head.timestamp == "2025-12-02T18:00:00.000Z"
    assert head.statement() == {
        "type": "servanda-tree-head",
        "log_key": ledger.public_key,
        "size": 23,
        "root": head.root,
        "timestamp": head.timestamp,
    }
    assert SignedTreeHead.from_dict(parse_json(canonical_json(head.to_dict()))) == head
    assert head.verify()
    for field in ("log_key", "root", "signature", "timestamp"):
        text = getattr(head, field)
        for at, character in enumerate(text):
            if character.isdigit() or field != "timestamp":
                changed = text[:at] + _other(character) + text[at + 1 :]
                tampered = SignedTreeHead(**{**head.to_dict(), field: changed})
                assert not tampered.verify(), (field, at)
    for size in (head.size - 1, head.size + 1, 0, True, -1, 2**53, "23"):
        assert not SignedTreeHead(**{**head.to_dict(), "size": size}).verify(), size
    other_log = Ledger.create(ledger.engine, "other").tree_head()
    assert not SignedTreeHead(**{**head.to_dict(), "log_key": other_log.log_key}).verify()


def test_reading_a_tree_head_is_strict(ledger):
    good = ledger.tree_head().to_dict()
    variants = [
        None,
        [],
        {key: value for key, value in good.items() if key != "timestamp"},
        {**good, "type": "servanda-tree-head"},
        {**good, "log_key": good["log_key"].upper()},
        {**good, "log_key": good["log_key"][:-2]},
        {**good, "root": good["root"] + "00"},
        {**good, "root": bytes.fromhex(good["root"])},
        {**good, "signature": good["signature"][:-1] + "g"},
        {**good, "size": True},
        {**good, "size": -1},
        {**good, "size": 23.0},
        {**good, "size": "23"},
        {**good, "timestamp": "2025-12-02T18:00:00Z"},
    ]
    for variant in variants:
        with pytest.raises(ValueError, match="tree head"):
            SignedTreeHead.from_dict(variant)


# Tampering with the database file


def test_check_finds_data_changed_in_the_database_file(ledger, tmp_path):
    ledger.check()
    _tamper(tmp_path / "store.db", "UPDATE log_entries SET data = ? WHERE seq = 7", b"forged")
    with pytest.raises(LedgerError, match=r"'room-1': entry 7: its data does not match"):
        ledger.check()


def test_check_finds_a_missing_entry(ledger, tmp_path):
    _tamper(tmp_path / "store.db", "DELETE FROM log_entries WHERE seq = 4")
    with pytest.raises(LedgerError, match="entry 4 is missing"):
        ledger.check()
    with pytest.raises(LedgerError, match="missing"):
        ledger.tree_head()
    # Only trees that need the missing entry fail.
    assert ledger.tree_head(4).root == tree_root(ledger.leaf_hashes(4)).hex()
    assert ledger.inclusion_proof(1, 4) == inclusion_proof(ledger.leaf_hashes(4), 1)
    with pytest.raises(LedgerError, match="missing"):
        ledger.inclusion_proof(1, 5)


def test_check_finds_an_entry_deleted_after_the_ledger_read_it(ledger, tmp_path):
    head = ledger.tree_head()
    _tamper(tmp_path / "store.db", "DELETE FROM log_entries WHERE seq = ?", head.size - 1)
    with pytest.raises(LedgerError, match=f"entry {head.size - 1} is missing"):
        ledger.check()


def test_check_finds_a_bad_time(ledger, tmp_path):
    _tamper(tmp_path / "store.db", "UPDATE log_entries SET appended_at = 'yesterday' WHERE seq = 9")
    with pytest.raises(LedgerError, match="entry 9: bad time"):
        ledger.check()


def test_a_rewritten_history_breaks_consistency_with_an_earlier_tree_head(ledger, tmp_path):
    """Rewriting data and leaf hash together passes check() on the rewritten database, but
    not a tree head someone kept: the new tree no longer extends it. The Ledger that signed
    the kept head reads only new entries, so it goes on proving the history it served, and
    its check() names the rewritten entry."""
    kept = ledger.tree_head()
    forged = b"forged"
    _tamper(
        tmp_path / "store.db",
        "UPDATE log_entries SET data = ?, leaf_hash = ? WHERE seq = 2",
        forged,
        leaf_hash(forged),
    )
    rewritten = Ledger.open(ledger.engine, "room-1")
    rewritten.check()
    rewritten.append("draft", b"after the forgery")
    now = rewritten.tree_head()
    proof = rewritten.consistency_proof(kept.size)
    assert now.verify()
    assert not verify_consistency(
        kept.size, now.size, bytes.fromhex(kept.root), bytes.fromhex(now.root), proof
    )

    with pytest.raises(LedgerError, match=r"'room-1': entry 2: .* history was rewritten"):
        ledger.check()
    served = ledger.tree_head()
    assert served.size == now.size and served.root != now.root
    assert ledger.tree_head(kept.size).root == kept.root
    proof = ledger.consistency_proof(kept.size)
    assert verify_consistency(
        kept.size, served.size, bytes.fromhex(kept.root), bytes.fromhex(served.root), proof
    )
    # The forged entry, as the database now serves it, is not in what the Ledger proves.
    assert not verify_inclusion(
        leaf_hash(forged), 2, served.size, ledger.inclusion_proof(2), bytes.fromhex(served.root)
    )


def test_a_damaged_signing_key_is_reported(ledger, tmp_path):
    damaged = "UPDATE logs SET public_key = ? WHERE name = 'room-1'"
    _tamper(tmp_path / "store.db", damaged, "ab" * 32)
    with pytest.raises(LedgerError, match="signing key"):
        Ledger.open(ledger.engine, "room-1")


# Opening stores


def test_a_store_persists_and_is_configured_for_durability(tmp_path):
    path = tmp_path / "persist.db"
    engine = open_database(path)
    log = Ledger.create(engine, "room")
    log.append("draft", b"kept")
    engine.dispose()
    engine = open_database(str(path))
    with engine.connect() as connection:
        settings = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert settings == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 10000,
    }
    reopened = Ledger.open(engine, "room")
    assert reopened.public_key == log.public_key
    assert reopened.entries() == log.entries()
    engine.dispose()
    url_engine = open_database(f"sqlite:///{path}")
    assert Ledger.open(url_engine, "room").size == 1
    url_engine.dispose()


def test_a_write_transaction_holds_the_write_lock_from_its_start(store, tmp_path):
    Ledger.create(store, "room")
    other = sqlite3.connect(tmp_path / "store.db", timeout=0, isolation_level=None)
    with writing(store), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


def _not_sqlite(path: Path) -> Path:
    path.write_text("minutes of the meeting\n")
    return path


def _noise(path: Path) -> Path:
    path.write_bytes(hashlib.sha256(b"noise").digest() * 200)
    return path


def _other_application(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE logs (line TEXT)")
    connection.close()
    return path


def _unrelated(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    connection.close()
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (_not_sqlite, "not an SQLite database"),
        (_noise, "not an SQLite database"),
        (_other_application, "not a Servanda store"),
        (_unrelated, "not a Servanda store"),
        (lambda path: path.parent / "missing" / "store.db", "does not exist"),
        (lambda path: path.parent, "is a directory"),
    ],
)
def test_a_bad_database_file_is_one_clear_error(tmp_path, make, message):
    path = make(tmp_path / "bad.db")
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(LedgerError, match=message) as error:
        open_database(path)
    assert str(path) in str(error.value) or str(path.parent) in str(error.value)
    if before is not None:
        assert path.read_bytes() == before


# Several processes


def test_concurrent_appends_from_two_processes_are_contiguous(tmp_path):
    db, script = tmp_path / "shared.db", tmp_path / "appender.py"
    script.write_text(APPENDER)
    engine = open_database(db)
    log = Ledger.create(engine, "room")
    writers = [_start(script, db, "room", tag, 40) for tag in ("east", "west")]
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    acknowledged = {}
    for tag, writer in zip(("east", "west"), writers):
        output, _ = writer.communicate()
        assert writer.returncode == 0
        lines = [line.split() for line in output.splitlines()]
        seqs = [int(seq) for seq, _ in lines]
        assert len(seqs) == 40 and seqs == sorted(seqs)
        for seq, digest in lines:
            assert int(seq) not in acknowledged
            acknowledged[int(seq)] = (tag, digest)
    assert sorted(acknowledged) == list(range(80))
    log.check()
    for entry in log.entries():
        assert (entry.kind, hashlib.sha256(entry.data).hexdigest()) == acknowledged[entry.seq]
    engine.dispose()


def test_acknowledged_entries_survive_a_killed_process(tmp_path):
    db, script = tmp_path / "crash.db", tmp_path / "appender.py"
    script.write_text(APPENDER)
    engine = open_database(db)
    Ledger.create(engine, "room")
    engine.dispose()
    acknowledged: dict[int, tuple[str, str]] = {}
    kept = None
    for run, wanted in enumerate((1, 4, 13, 40, 90)):
        tag = f"run-{run}"
        writer = _start(script, db, "room", tag, -1)
        writer.stdin.write("go\n")
        writer.stdin.flush()
        fresh = []
        while len(fresh) < wanted:
            seq, digest = writer.stdout.readline().split()
            acknowledged[int(seq)] = (tag, digest)
            fresh.append(int(seq))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        writer.stdin.close()

        engine = open_database(db)
        log = Ledger.open(engine, "room")
        log.check()
        assert log.size >= max(acknowledged) + 1
        for seq, (kind, digest) in acknowledged.items():
            entry = log.entry(seq)
            assert (entry.kind, hashlib.sha256(entry.data).hexdigest()) == (kind, digest)
        head = log.tree_head()
        root = bytes.fromhex(head.root)
        assert head.verify()
        hashes = log.leaf_hashes(head.size)
        for seq in fresh:
            proof = log.inclusion_proof(seq, head.size)
            assert verify_inclusion(hashes[seq], seq, head.size, proof, root)
        if kept is not None:
            proof = log.consistency_proof(kept.size, head.size)
            assert verify_consistency(kept.size, head.size, bytes.fromhex(kept.root), root, proof)
        kept = head
        engine.dispose()
