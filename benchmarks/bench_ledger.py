"""Merkle tree and durable log: Servanda against pymerkle, side by side in one run.

Run from the repository root::

    .venv/bin/python benchmarks/bench_ledger.py                   # N = 10^4 and 10^5 (~1.5 min)
    .venv/bin/python benchmarks/bench_ledger.py --sizes 1000 --appends 200   # a few seconds

pymerkle (https://github.com/fmerg/pymerkle) is an independent implementation of RFC 9162
Merkle trees; with its defaults (SHA-256, security prefixes on) it computes the same roots and
inclusion paths as Servanda, which ``tests/test_merkle_pymerkle.py`` checks. Both run in this
one process, one after the other, on the same seeded random entries (64 bytes each) and the
same seeded random indices; nothing touches the network.

What is timed, per tree size N
------------------------------
tree root
    from the N entries: Servanda ``MerkleTree(leaf hashes).root()``, which keeps the hash of
    every aligned complete subtree; pymerkle ``InmemoryTree.init_from_entries(entries)
    .get_root()``, which builds every interior node as it appends.
inclusion proofs
    ``--proofs`` of them at random leaf indices, over the whole tree, each side on the tree it
    built above (outside the clock): Servanda ``tree.inclusion_proof(i)``; pymerkle
    ``tree.prove_inclusion(i + 1)``.
consistency proofs
    as many, from random old sizes 1..N-1 to N: ``tree.consistency_proof(m)``;
    ``tree.prove_consistency(m)``.
verifying
    each side's proofs with its own verifier, given the leaf hashes, sizes and roots:
    ``verify_inclusion`` / ``verify_consistency``; pymerkle's ``verify_inclusion`` /
    ``verify_consistency`` with the sizes passed, so both check the same claims. The roots
    of the old sizes are pymerkle's (``tree.get_root(m)``, outside the clock) for both
    sides, so Servanda's verifier accepting every proof is itself a cross-check.

Both keep a tree in memory and read a proof's hashes off it (Servanda's ``Ledger`` keeps one
such tree and extends it with new rows). pymerkle's consistency proofs are
not RFC 9162's PROOF (they are as long or longer, see the test module), so the two
consistency rows produce different paths; the "same result" column compares what can be
compared.

Durable appends
---------------
``--appends`` entries appended one by one to a fresh SQLite file in ``--dir``: Servanda
``Ledger.append(kind, data)`` (one immediate transaction per entry, committed before it
returns) and pymerkle ``SqliteTree.append_entry(data)`` (one ``sqlite3`` transaction per
entry, committed by ``with self.con``). The output states each side's journal mode and
``synchronous`` setting as read from its own connection, and the file system the files are
on: on tmpfs an fsync costs nothing and the comparison says little about durability.

Each timed call is repeated (up to three runs, while the runs so far took under two
seconds in all) and the fastest run is reported; the appends run once, each side into a
new file.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from timing import best_of, duration, filesystem, markdown_table

ENTRY_BYTES = 64
#: SQLite's names for ``PRAGMA synchronous`` values.
SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}






def _yes(ok: bool, why: str = "") -> str:
    return ("yes" if ok else "NO") + (f" ({why})" if why else "")


# -- in-memory trees ---------------------------------------------------------------------


def tree_rows(size: int, proofs: int, seed: int) -> list[list[str]]:
    """Root, proofs and verification for one tree of ``size`` leaves."""
    from pymerkle import InmemoryTree
    from pymerkle import verify_consistency as pm_verify_consistency
    from pymerkle import verify_inclusion as pm_verify_inclusion

    from servanda.ledger import MerkleTree, leaf_hash, verify_consistency, verify_inclusion

    rng = random.Random(seed * 1_000_003 + size)
    entries = [rng.randbytes(ENTRY_BYTES) for _ in range(size)]
    indices = [rng.randrange(size) for _ in range(proofs)]
    old_sizes = [rng.randrange(1, size) for _ in range(proofs)] if size > 1 else [1] * proofs

    def pymerkle_root():
        tree = InmemoryTree.init_from_entries(entries)
        return tree, tree.get_root()

    def servanda_root():
        ours = MerkleTree(leaf_hash(d) for d in entries)
        return ours, ours.root()

    ours_root_s, (ours_tree, root) = best_of(servanda_root)
    theirs_root_s, (tree, their_root) = best_of(pymerkle_root)
    hashes = [leaf_hash(d) for d in entries]
    old_roots = {m: tree.get_root(m) for m in set(old_sizes)}

    ours_inc_s, ours_inc = best_of(lambda: [ours_tree.inclusion_proof(i) for i in indices])
    theirs_inc_s, theirs_inc = best_of(lambda: [tree.prove_inclusion(i + 1) for i in indices])
    ours_con_s, ours_con = best_of(lambda: [ours_tree.consistency_proof(m) for m in old_sizes])
    theirs_con_s, theirs_con = best_of(lambda: [tree.prove_consistency(m) for m in old_sizes])

    def ours_verify_inclusion():
        return all(
            verify_inclusion(hashes[i], i, size, p, root) for i, p in zip(indices, ours_inc)
        )

    def theirs_verify_inclusion():
        for i, p in zip(indices, theirs_inc):
            pm_verify_inclusion(hashes[i], their_root, p, index=i + 1, size=size)
        return True  # pymerkle raises InvalidProof on a bad proof

    def ours_verify_consistency():
        return all(
            verify_consistency(m, size, old_roots[m], root, p)
            for m, p in zip(old_sizes, ours_con)
        )

    def theirs_verify_consistency():
        for m, p in zip(old_sizes, theirs_con):
            pm_verify_consistency(old_roots[m], their_root, p, prior_size=m, later_size=size)
        return True

    ours_vi_s, ours_vi = best_of(ours_verify_inclusion)
    theirs_vi_s, theirs_vi = best_of(theirs_verify_inclusion)
    ours_vc_s, ours_vc = best_of(ours_verify_consistency)
    theirs_vc_s, theirs_vc = best_of(theirs_verify_consistency)

    same_paths = all(p.path[1:] == q for p, q in zip(theirs_inc, ours_inc))
    ours_len = sum(map(len, ours_con)) / len(ours_con)
    theirs_len = sum(len(p.path) for p in theirs_con) / len(theirs_con)
    n = f"{size:,}"
    return [
        ["tree root from the entries", n, duration(ours_root_s), duration(theirs_root_s),
         _ratio(theirs_root_s, ours_root_s), _yes(root == their_root, "same root")],
        [f"{proofs:,} inclusion proofs", n, duration(ours_inc_s), duration(theirs_inc_s),
         _ratio(theirs_inc_s, ours_inc_s), _yes(same_paths, "same paths")],
        [f"{proofs:,} consistency proofs", n, duration(ours_con_s), duration(theirs_con_s),
         _ratio(theirs_con_s, ours_con_s),
         f"other format: {ours_len:.1f} vs {theirs_len:.1f} hashes on average"],
        [f"verify {proofs:,} inclusion proofs", n, duration(ours_vi_s), duration(theirs_vi_s),
         _ratio(theirs_vi_s, ours_vi_s), _yes(ours_vi and theirs_vi, "all valid")],
        [f"verify {proofs:,} consistency proofs", n, duration(ours_vc_s), duration(theirs_vc_s),
         _ratio(theirs_vc_s, ours_vc_s),
         _yes(ours_vc and theirs_vc, "all valid against pymerkle's roots")],
    ]  # fmt: skip


def _ratio(theirs: float, ours: float) -> str:
    if ours <= 0 or theirs <= 0:
        return "-"
    ratio = theirs / ours
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x (1/{1 / ratio:,.0f})"


# -- durable appends ---------------------------------------------------------------------


def append_rows(count: int, seed: int, folder: Path) -> tuple[list[list[str]], list[str]]:
    """Durable appends of ``count`` entries on each side, and notes on their settings."""
    from pymerkle import SqliteTree

    from servanda.ledger import Ledger
    from servanda.store import open_database

    rng = random.Random(seed)
    entries = [rng.randbytes(ENTRY_BYTES) for _ in range(count)]

    engine = open_database(folder / "servanda.db")
    ledger = Ledger.create(engine, "bench")
    with engine.connect() as connection:
        ours_journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        ours_sync = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    start = time.perf_counter()
    for data in entries:
        ledger.append("entry", data)
    ours_s = time.perf_counter() - start
    ours_root = bytes.fromhex(ledger.tree_head().root)
    engine.dispose()

    with SqliteTree(str(folder / "pymerkle.db")) as tree:
        theirs_journal = tree.con.execute("PRAGMA journal_mode").fetchone()
        theirs_sync = tree.con.execute("PRAGMA synchronous").fetchone()
        start = time.perf_counter()
        for data in entries:
            tree.append_entry(data)
        theirs_s = time.perf_counter() - start
        theirs_root = tree.get_root()

    rows = [
        [f"{count:,} durable appends", "-", duration(ours_s), duration(theirs_s),
         _ratio(theirs_s, ours_s), _yes(ours_root == theirs_root, "same root")],
        ["  per append", "-", duration(ours_s / count), duration(theirs_s / count), "", ""],
    ]  # fmt: skip
    notes = [
        f"Durable appends, in {folder} on {filesystem(folder)}:",
        f"- Servanda Ledger.append: journal_mode={ours_journal}, "
        f"synchronous={SYNCHRONOUS.get(ours_sync, ours_sync)} (set by servanda.store), one "
        "immediate transaction per entry (reads the next number, inserts), committed before "
        "it returns.",
        f"- pymerkle SqliteTree.append_entry: journal_mode={theirs_journal}, "
        f"synchronous={SYNCHRONOUS.get(theirs_sync, theirs_sync)} (SQLite's defaults; "
        "pymerkle sets no pragma), one transaction per entry (a single INSERT), committed by "
        "`with self.con`.",
        "- Both are durable when the call returns. In WAL mode a FULL commit syncs the "
        "write-ahead log once; in rollback-journal mode it syncs the journal and the "
        "database file.",
    ]
    return rows, notes


# -- report ------------------------------------------------------------------------------

HEADER = ["operation", "N", "Servanda", "pymerkle", "ratio pymerkle/Servanda", "same result"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10**4, 10**5], metavar="N",
        help="tree sizes (default: 10000 100000)",
    )  # fmt: skip
    parser.add_argument("--proofs", type=int, default=1000, help="proofs per kind (default 1000)")
    parser.add_argument("--appends", type=int, default=2000, help="durable appends (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--dir", type=Path, default=None,
        help="directory for the SQLite files (default: a new temporary directory, removed)",
    )  # fmt: skip
    args = parser.parse_args()
    if min(args.sizes) < 1 or args.proofs < 1 or args.appends < 1:
        parser.error("sizes, --proofs and --appends must be at least 1")

    import pymerkle

    print(
        f"Python {platform.python_version()}, pymerkle {pymerkle.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, {platform.machine()}; "
        f"seed {args.seed}",
        flush=True,
    )
    rows = []
    for size in args.sizes:
        rows += tree_rows(size, args.proofs, args.seed)
        print(f"  done: N = {size:,}", file=sys.stderr, flush=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-ledger-", dir=args.dir))
    try:
        appended, notes = append_rows(args.appends, args.seed, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows += appended
    print()
    print(markdown_table(HEADER, rows))
    print()
    print("Ratio above 1: Servanda is faster. Trees: fastest of up to three runs; appends: one run.")
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
