"""An append-only, tamper-evident log in a store: entries numbered 0, 1, 2, ..., their
RFC 9162 Merkle tree, signed tree heads, and inclusion and consistency proofs."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, Select, bindparam, func, insert, select

from servanda.crypto import generate_key, public_hex
from servanda.errors import LedgerError
from servanda.ledger import merkle
from servanda.ledger.timestamps import parse_timestamp, utc_timestamp
from servanda.ledger.treehead import SignedTreeHead, sign_tree_head
from servanda.store import log_entries, logs, writing


# The statements of every append, built once (building a statement costs more than running it).
_NEXT_SEQ = select(func.coalesce(func.max(log_entries.c.seq) + 1, 0)).where(log_entries.c.log_id == bindparam("log"))
_LOCK_LOG = select(logs.c.id).where(logs.c.id == bindparam("log")).with_for_update()
_LAST = (select(log_entries.c.seq).where(log_entries.c.log_id == bindparam("log"))
         .order_by(log_entries.c.seq.desc()).limit(1))
_TAIL = select(_LAST.scalar_subquery(), _LAST.with_only_columns(log_entries.c.appended_at).scalar_subquery())


def read_tail(connection: Connection, log_id: int) -> tuple[int, str | None]:
    """The size of the log ``log_id`` and its last entry's time (None when empty), read on
    ``connection``. Under a lock that keeps others from appending, read it in a statement
    after the one that took the lock: on PostgreSQL, what a statement that waited for a
    lock reads besides the locked row is as it was before the wait."""
    last_seq, last_at = connection.execute(_TAIL, {"log": log_id}).one()
    return (0, None) if last_seq is None else (last_seq + 1, last_at)



@dataclass(frozen=True)
class Entry:
    """One log entry: its number, what kind of record it is, the bytes recorded, their
    RFC 9162 leaf hash (which covers ``data`` only) and when the log received it."""

    seq: int
    kind: str
    data: bytes
    leaf_hash: bytes
    appended_at: str


class Ledger:
    """One named log in a store. Every method reads the database afresh, so several
    processes may append to and read the same log.

    Tree heads and proofs come from a Merkle tree the Ledger keeps between calls (it may be
    shared by threads): each call reads the log's current size and adds to the tree only
    the entries appended since, by anyone. The entries already in the tree are not read
    again, so if the database rewrites them the Ledger keeps proving the history it has
    already served; :meth:`check` reports such a rewrite.

    :meth:`bound` gives a view of the log inside a caller's write transaction: its appends
    commit (or roll back) with whatever else that transaction writes.
    """

    def __init__(self, engine: Engine, name: str, log_id: int, public_key: str,
                 key: Ed25519PrivateKey | None, connection: Connection | None = None):
        self.engine = engine
        self.name = name
        self.public_key = public_key
        self._id = log_id
        self._key = key
        self._connection = connection
        # A bound Ledger, once it has locked the log in its transaction, knows the next
        # number and the last time itself: nobody else can append until that commits.
        self._tail: tuple[int, str | None] | None = None
        self._tree = merkle.MerkleTree()
        self._growing = threading.Lock()  # one caller at a time extends self._tree

    def bound(self, connection: Connection, tail: tuple[int, str | None] | None = None) -> Ledger:
        """This log as seen from ``connection``, a write transaction (see :func:`writing`)
        that the caller commits: everything read and appended goes through it. ``tail``
        (the log's size and its last entry's time) is for a caller whose transaction already
        keeps others from appending to the log, by a lock of its own (see
        :func:`read_tail`): the Ledger then neither locks nor reads it again."""
        ledger = Ledger(self.engine, self.name, self._id, self.public_key, self._key, connection)
        ledger._tail = tail
        return ledger

    @classmethod
    def create(cls, engine: Engine, name: str, key: Ed25519PrivateKey | None = None,
               connection: Connection | None = None) -> Ledger:
        """A new, empty log called ``name``. Without ``key`` it gets a fresh signing key,
        stored with it (a log the store operates); with ``key``, that key signs its tree
        heads and only its public half is stored: whoever can read the database cannot
        sign for the log. Given ``connection``, the log is created in that write
        transaction and the Ledger returned is bound to it."""
        if not isinstance(name, str) or not name:
            raise LedgerError("a log needs a non-empty name")
        stored = key is None
        key = generate_key() if key is None else key
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode() if stored else None
        given = connection
        with nullcontext(given) if given is not None else writing(engine) as connection:
            if connection.execute(select(logs.c.id).where(logs.c.name == name)).first():
                raise LedgerError(f"a log named '{name}' already exists")
            inserted = connection.execute(
                insert(logs).values(
                    name=name,
                    public_key=public_hex(key),
                    private_key=pem,
                    created_at=utc_timestamp(),
                )
            )
            log_id = inserted.inserted_primary_key[0]
        return cls(engine, name, log_id, public_hex(key), key if stored else None, given)

    @classmethod
    def open(cls, engine: Engine, name: str, connection: Connection | None = None) -> Ledger:
        """The existing log called ``name`` (bound to ``connection`` when given)."""
        with nullcontext(connection) if connection is not None else engine.connect() as reader:
            row = reader.execute(select(logs).where(logs.c.name == name)).first()
        if row is None:
            raise LedgerError(f"no log named '{name}'")
        if row.private_key is None:
            return cls(engine, name, row.id, row.public_key, None, connection)
        try:
            key = serialization.load_pem_private_key(row.private_key.encode(), password=None)
        except (ValueError, TypeError):
            key = None
        if not isinstance(key, Ed25519PrivateKey) or public_hex(key) != row.public_key:
            raise LedgerError(f"log '{name}': its stored signing key is damaged")
        return cls(engine, name, row.id, row.public_key, key, connection)

    @property
    def stored_key(self) -> Ed25519PrivateKey | None:
        """The log's signing key when the store keeps it (a log the store operates)."""
        return self._key

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        if self._connection is not None:
            yield self._connection
        else:
            with self.engine.connect() as connection:
                yield connection

    def _writing(self) -> Iterator[Connection]:
        return nullcontext(self._connection) if self._connection is not None else writing(self.engine)

    def __repr__(self) -> str:
        return f"Ledger({self.name!r}, log_key={self.public_key[:16]}...)"

    @property
    def tail(self) -> tuple[int, str | None] | None:
        """For a bound Ledger that has locked the log (or appended): its size and its last
        entry's time; None before."""
        return self._tail

    @property
    def size(self) -> int:
        """The number of entries."""
        if self._tail is not None:
            return self._tail[0]
        with self._reading() as connection:
            return connection.execute(_NEXT_SEQ, {"log": self._id}).scalar_one()

    def append(
        self, kind: str, data: bytes, at: datetime | None = None, expected_seq: int | None = None
    ) -> Entry:
        """Record ``data`` as the next entry, received at ``at`` (default: now). The entry
        is committed, and durable, when this returns. With ``expected_seq``, the append
        fails (LedgerError, nothing written) unless the entry gets that number: a writer
        that checked the entry against the log as it was is sure nobody appended since."""
        return self.extend([(kind, data)], at, expected_seq)[0]

    def extend(
        self, records: Sequence[tuple[str, bytes]], at: datetime | None = None, expected_seq: int | None = None
    ) -> list[Entry]:
        """Record each ``(kind, data)`` of ``records`` as the next entries, in order, all at
        once (see :meth:`append`; ``expected_seq`` is the number the first one must get)."""
        for kind, data in records:
            if not isinstance(kind, str) or not kind:
                raise LedgerError(f"log '{self.name}': an entry needs a non-empty kind")
            if not isinstance(data, bytes):
                raise LedgerError(
                    f"log '{self.name}': entry data must be bytes, not {type(data).__name__}"
                )
        with self._writing() as connection:
            seq, last = self._lock(connection)
            appended_at = utc_timestamp(at)  # "now" read under the lock, so times never run back
            if expected_seq is not None and seq != expected_seq:
                raise LedgerError(
                    f"log '{self.name}': another entry was appended meanwhile; try again"
                )
            # Fixed-width UTC timestamps sort as text in time order.
            if last is not None and appended_at < last:
                raise LedgerError(
                    f"log '{self.name}': an entry at {appended_at} would come after one "
                    f"logged at {last}; a log's time never runs backwards"
                )
            entries = [Entry(seq + k, kind, data, merkle.leaf_hash(data), appended_at)
                       for k, (kind, data) in enumerate(records)]
            if entries:
                # An executemany: compiled once and cached (a multi-VALUES INSERT never is),
                # sent by psycopg as one pipeline.
                connection.execute(insert(log_entries), [
                    {"log_id": self._id, "seq": entry.seq, "kind": entry.kind, "data": entry.data,
                     "leaf_hash": entry.leaf_hash, "appended_at": appended_at} for entry in entries])
            if entries and self._connection is not None:
                self._tail = (seq + len(entries), appended_at)
        return entries

    def lock(self) -> int:
        """For a bound Ledger: lock the log until the caller's transaction ends, and return
        its size (the number the next entry will get)."""
        if self._connection is None:
            raise LedgerError(f"log '{self.name}': only a Ledger bound to a transaction holds a lock")
        self._tail = self._lock(self._connection)
        return self._tail[0]

    def _lock(self, connection: Connection) -> tuple[int, str | None]:
        """Lock the log's row (PostgreSQL then serialises appends to this log as SQLite's
        immediate transaction does; SQLite compiles FOR UPDATE away): the next entry's
        number, and when the last entry was appended (None for an empty log)."""
        if self._tail is not None:
            return self._tail
        connection.execute(_LOCK_LOG, {"log": self._id})
        return read_tail(connection, self._id)

    def entry(self, seq: int) -> Entry:
        """The entry numbered ``seq``."""
        found = self.entries(seq, seq + 1) if isinstance(seq, int) and seq >= 0 else []
        if not found:
            raise LedgerError(f"log '{self.name}' has no entry {seq}")
        return found[0]

    def entries(self, start: int = 0, stop: int | None = None, excluding: str | None = None) -> list[Entry]:
        """The entries numbered ``start`` up to (not including) ``stop``, in order; those
        whose kind starts with ``excluding`` left out."""
        if start < 0 or (stop is not None and stop < start):
            raise LedgerError(f"log '{self.name}': no entries from {start} to {stop}")
        query = self._rows().where(log_entries.c.seq >= start)
        if excluding is not None:
            query = query.where(~log_entries.c.kind.startswith(excluding, autoescape=True))
        if stop is not None:
            query = query.where(log_entries.c.seq < stop)
        with self._reading() as connection:
            return [Entry(*row) for row in connection.execute(query)]

    def leaf_hashes(self, size: int | None = None) -> list[bytes]:
        """The leaf hashes of the first ``size`` entries (default: all)."""
        with self._reading() as connection:
            current = connection.execute(_NEXT_SEQ, {"log": self._id}).scalar_one()
            size = current if size is None else size
            if not 0 <= size <= current:
                raise LedgerError(f"log '{self.name}' has {current} entries, not {size}")
            hashes = (
                connection.execute(
                    select(log_entries.c.leaf_hash)
                    .where(log_entries.c.log_id == self._id, log_entries.c.seq < size)
                    .order_by(log_entries.c.seq)
                )
                .scalars()
                .all()
            )
        if len(hashes) != size:
            raise LedgerError(f"log '{self.name}': entries are missing below {size}; run check()")
        return list(hashes)

    def tree_head(
        self, size: int | None = None, at: datetime | None = None, key: Ed25519PrivateKey | None = None
    ) -> SignedTreeHead:
        """The log's signed tree head over its first ``size`` entries (default: all), dated
        ``at`` (default: now), signed by the stored key or, for a log whose operator keeps
        its key, by ``key``, which must be that key."""
        signer = self._key if key is None else key
        if signer is None:
            raise LedgerError(f"log '{self.name}': its tree heads are signed by its operator's key; give that key")
        if public_hex(signer) != self.public_key:
            raise LedgerError(f"log '{self.name}': the key given is not the key of this log")
        tree, size = self._current_tree(size)
        return sign_tree_head(signer, size, tree.root(size), utc_timestamp(at))

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        """The proof that entry ``seq`` is in the tree of the first ``size`` entries
        (default: all) (RFC 9162 §2.1.3)."""
        tree, size = self._current_tree(size)
        if not 0 <= seq < size:
            raise LedgerError(f"log '{self.name}': entry {seq} is not among the first {size}")
        return tree.inclusion_proof(seq, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The proof that the tree of the first ``new_size`` entries (default: all) extends
        the tree of the first ``old_size`` (RFC 9162 §2.1.4); ``old_size`` must be at least 1."""
        tree, new_size = self._current_tree(new_size)
        if not 0 < old_size <= new_size:
            raise LedgerError(
                f"log '{self.name}': no consistency proof from size {old_size} to {new_size}"
            )
        return tree.consistency_proof(old_size, new_size)

    def check(self) -> None:
        """Recompute every leaf hash from the stored data and check that the entries are
        numbered 0..n-1 without gaps, and that the entries this Ledger has already put in its
        Merkle tree are still there with the same leaf hashes; ``LedgerError`` names the
        first bad entry."""
        served = len(self._tree)  # the tree only grows: its first `served` leaves are fixed
        count = 0
        with self._reading() as connection:
            rows = connection.execute(self._rows())
            for expected, row in enumerate(rows):
                entry = Entry(*row)
                where = f"log '{self.name}': entry {entry.seq}"
                if entry.seq != expected:
                    raise LedgerError(f"log '{self.name}': entry {expected} is missing")
                if merkle.leaf_hash(entry.data) != entry.leaf_hash:
                    raise LedgerError(f"{where}: its data does not match its leaf hash")
                if expected < served and self._tree.leaf(expected) != entry.leaf_hash:
                    raise LedgerError(
                        f"{where}: its leaf hash changed since this Ledger read it "
                        "(the history was rewritten)"
                    )
                try:
                    parse_timestamp(entry.appended_at)
                except ValueError as exc:
                    raise LedgerError(f"{where}: bad time of appending ({exc})") from None
                count += 1
        if count < served:
            raise LedgerError(f"log '{self.name}': entry {count} is missing")

    def _current_tree(self, size: int | None) -> tuple[merkle.MerkleTree, int]:
        """The Merkle tree with every entry the log now holds, and ``size`` checked against
        the log's current size (default: that size).

        Only the entries appended since the tree was last extended are read. Entries
        missing from the database fail only a tree that needs them: ``size`` beyond them.
        """
        with self._reading() as connection:
            current = connection.execute(_NEXT_SEQ, {"log": self._id}).scalar_one()
            size = current if size is None else size
            if not 0 <= size <= current:
                raise LedgerError(f"log '{self.name}' has {current} entries, not {size}")
            with self._growing:
                known = len(self._tree)
                if known < current:
                    rows = connection.execute(
                        select(log_entries.c.seq, log_entries.c.leaf_hash)
                        .where(
                            log_entries.c.log_id == self._id,
                            log_entries.c.seq >= known,
                            log_entries.c.seq < current,
                        )
                        .order_by(log_entries.c.seq)
                    ).all()
                    # Up to the first gap; an answer about a larger size waits for it.
                    contiguous = 0
                    while contiguous < len(rows) and rows[contiguous][0] == known + contiguous:
                        contiguous += 1
                    self._tree.extend(leaf for _, leaf in rows[:contiguous])
        # The tree may grow meanwhile, by another caller: appending leaves the first `size`
        # leaves and every level built on them as they are.
        if len(self._tree) < size:
            raise LedgerError(f"log '{self.name}': entries are missing below {size}; run check()")
        return self._tree, size

    def _rows(self) -> Select:
        return (
            select(
                log_entries.c.seq,
                log_entries.c.kind,
                log_entries.c.data,
                log_entries.c.leaf_hash,
                log_entries.c.appended_at,
            )
            .where(log_entries.c.log_id == self._id)
            .order_by(log_entries.c.seq)
        )
