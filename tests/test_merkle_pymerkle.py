"""Servanda's RFC 9162 Merkle tree against pymerkle 7, an independent implementation: the
same roots, and each library's proofs accepted by the other's verifier where their formats
allow it.

What pymerkle computes, read from ``pymerkle/hasher.py``, ``core.py`` and ``proof.py``:

Hashing
    Trees default to ``algorithm="sha256"`` and ``disable_security=False``, so
    ``MerkleHasher`` prefixes leaves with 0x00 and interior nodes with 0x01, and the empty
    tree hashes to SHA-256 of nothing: RFC 9162 §2.1.1 exactly. ``disable_security=True``
    would drop both prefixes (not RFC 9162); ``test_pymerkle_defaults_are_rfc9162`` asserts
    the defaults instead of assuming them.
Roots
    the roots of the maximal perfect subtrees folded right to left, which is the RFC's
    split at the largest power of two below the size; ``InmemoryTree`` reads the current
    root off its root node, built incrementally on every append, and computes older roots.
Inclusion proofs
    ``path`` is the leaf hash followed by the RFC's PATH(m, D[n]), leaf side first;
    ``rule`` says on which side each hash goes, and the verifier recomputes it from the
    claimed index (counted from one) and size and rejects any other. So Servanda's proof,
    with the leaf hash in front, is a pymerkle proof, and the tail of pymerkle's is
    Servanda's.
Consistency proofs
    *not* the RFC's PROOF(m, D[n]). Where SUBPROOF meets an old tree ending exactly at the
    split (m = k), the RFC goes left and sends MTH(D[k:n]); pymerkle goes right and sends
    MTH(D[0:k]) (flagged in ``subset`` as part of the old root) and then the inclusion path
    of leaf k within D[k:n], in place of MTH(D[k:n]). Every proof of a smaller tree meets
    that case once, so pymerkle's paths are as long or longer and in another order, and an
    RFC proof cannot become a pymerkle proof: it lacks the hashes below MTH(D[k:n]). The
    tests therefore turn pymerkle's proof into the RFC's with pymerkle's own hashing
    (``_rfc_consistency_path``) and require it to equal Servanda's and to pass Servanda's
    verifier; Servanda's proofs are checked against the roots pymerkle computes.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import ConsistencyProof, InclusionProof, InmemoryTree, InvalidProof, SqliteTree
from pymerkle import verify_consistency as pymerkle_verify_consistency
from pymerkle import verify_inclusion as pymerkle_verify_inclusion
from pymerkle.hasher import MerkleHasher

from servanda.ledger import (
    EMPTY_ROOT,
    Ledger,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from servanda.store import open_database

ALGORITHM = "sha256"
SIZES = 64  # every tree of 1..SIZES leaves, every proof of each


def _rfc_consistency_path(proof: ConsistencyProof) -> list[bytes]:
    """RFC 9162's PROOF(m, D[n]) rebuilt from pymerkle's proof of the same sizes.

    pymerkle's path is: leaf k with the hashes that fold it into MTH(D[k:n]) (``subset``
    0), then MTH(D[0:k]) (the first ``subset`` 1, where the RFC stops descending), then the
    hashes of the levels above, the same as the RFC's. The RFC sends MTH(D[0:k]) only if
    some level above went right (its flag b is false), as the verifier then needs it.
    """
    if proof.prior_size == proof.size:
        return []
    split = proof.subset.index(1)
    new_part = proof.path[0]
    # rule[i] is the side of the hash folded so far when path[i + 1] joins it.
    for right, digest in zip(proof.rule, proof.path[1:split]):
        if right:
            new_part = proof.hasher.hash_pair(digest, new_part)
        else:
            new_part = proof.hasher.hash_pair(new_part, digest)
    above = proof.path[split + 1 :]
    old_part = [proof.path[split]] if any(proof.subset[split + 1 :]) else []
    return old_part + [new_part] + above


def _check_inclusion(tree, hashes: list[bytes], index: int, size: int, root: bytes) -> None:
    """Leaf ``index`` (from zero) of the first ``size`` leaves, both ways round."""
    ours = inclusion_proof(hashes[:size], index)
    theirs = tree.prove_inclusion(index + 1, size)
    assert theirs.path[0] == hashes[index]
    assert theirs.path[1:] == ours
    assert verify_inclusion(theirs.path[0], index, size, theirs.path[1:], root)
    # Servanda's proof in pymerkle's clothes: the verifier recomputes the rule from the
    # index and size, so borrowing it from pymerkle's proof takes nothing on trust.
    as_pymerkle = InclusionProof(
        ALGORITHM, True, size, index + 1, theirs.rule, [hashes[index]] + ours
    )
    pymerkle_verify_inclusion(
        hashes[index], root, as_pymerkle, index=index + 1, size=size, algorithm=ALGORITHM
    )


def _check_consistency(tree, hashes: list[bytes], old: int, new: int, roots: dict) -> None:
    """From the first ``old`` leaves to the first ``new``; ``roots`` maps sizes to
    pymerkle's roots."""
    ours = consistency_proof(hashes[:new], old)
    theirs = tree.prove_consistency(old, new)
    pymerkle_verify_consistency(
        roots[old], roots[new], theirs, prior_size=old, later_size=new, algorithm=ALGORITHM
    )
    translated = _rfc_consistency_path(theirs)
    assert translated == ours
    assert verify_consistency(old, new, roots[old], roots[new], translated)
    assert verify_consistency(old, new, roots[old], roots[new], ours)


def _entries(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(rng.randrange(0, 80)) for _ in range(count)]


def test_pymerkle_defaults_are_rfc9162():
    tree = InmemoryTree()
    assert (tree.algorithm, tree.security) == (ALGORITHM, True)
    assert (tree.leaf_prefix, tree.node_prefix) == (b"\x00", b"\x01")
    assert tree.get_root() == tree.hash_empty() == EMPTY_ROOT
    hasher = MerkleHasher(ALGORITHM)
    left, right = leaf_hash(b"left"), leaf_hash(b"right")
    assert hasher.hash_buff(b"left") == left
    assert hasher.hash_pair(left, right) == node_hash(left, right)
    for data in _entries(20, seed=1):
        assert hasher.hash_buff(data) == leaf_hash(data)


def test_every_tree_and_proof_up_to_64_leaves():
    entries = _entries(SIZES, seed=9162)
    hashes = [leaf_hash(data) for data in entries]
    for size in range(1, SIZES + 1):
        tree = InmemoryTree.init_from_entries(entries[:size], algorithm=ALGORITHM)
        roots = {old: tree.get_root(old) for old in range(1, size + 1)}
        assert tree.get_root() == roots[size] == tree_root(hashes[:size]), size
        for index in range(size):
            _check_inclusion(tree, hashes, index, size, roots[size])
        for old in range(1, size + 1):
            assert roots[old] == tree_root(hashes[:old]), (old, size)
            _check_consistency(tree, hashes, old, size, roots)


@settings(max_examples=80, deadline=None)
@given(
    entries=st.lists(st.binary(max_size=64), min_size=1, max_size=300),
    choice=st.integers(min_value=0),
    old_choice=st.integers(min_value=0),
)
def test_random_trees(entries, choice, old_choice):
    size = len(entries)
    index, old = choice % size, old_choice % size + 1
    hashes = [leaf_hash(data) for data in entries]
    tree = InmemoryTree.init_from_entries(entries, algorithm=ALGORITHM)
    roots = {old: tree.get_root(old), size: tree.get_root()}
    assert roots[size] == tree_root(hashes)
    assert roots[old] == tree_root(hashes[:old])
    _check_inclusion(tree, hashes, index, size, roots[size])
    _check_consistency(tree, hashes, old, size, roots)


@settings(max_examples=30, deadline=None)
@given(size=st.integers(SIZES + 1, 2000), seed=st.integers(0, 2**32), choice=st.integers(0))
def test_random_larger_trees(size, seed, choice):
    entries = _entries(size, seed)
    hashes = [leaf_hash(data) for data in entries]
    tree = InmemoryTree.init_from_entries(entries, algorithm=ALGORITHM)
    index, old = choice % size, choice % (size - 1) + 1
    roots = {old: tree.get_root(old), size: tree.get_root()}
    assert roots[size] == tree_root(hashes)
    _check_inclusion(tree, hashes, index, size, roots[size])
    _check_consistency(tree, hashes, old, size, roots)


@pytest.mark.parametrize("size", [1, 2, 5, 8, 13])
def test_tampered_proofs_fail_both_verifiers(size):
    entries = _entries(size, seed=size)
    hashes = [leaf_hash(data) for data in entries]
    tree = InmemoryTree.init_from_entries(entries, algorithm=ALGORITHM)
    root, other = tree.get_root(), leaf_hash(b"not the root")
    index = size // 2
    proof = tree.prove_inclusion(index + 1)
    assert not verify_inclusion(hashes[index], index, size, proof.path[1:], other)
    with pytest.raises(InvalidProof, match="State does not match"):
        pymerkle_verify_inclusion(hashes[index], other, proof, algorithm=ALGORITHM)
    # A tree without RFC 9162's prefixes has other roots: no accidental agreement.
    bare = InmemoryTree.init_from_entries(entries, algorithm=ALGORITHM, disable_security=True)
    assert bare.get_root() != root


def test_durable_logs_agree(tmp_path):
    """Servanda's SQLite ``Ledger`` and pymerkle's ``SqliteTree`` over the same entries."""
    entries = _entries(24, seed=24)
    ledger = Ledger.create(open_database(tmp_path / "servanda.db"), "cross-check")
    with SqliteTree(str(tmp_path / "pymerkle.db"), algorithm=ALGORITHM) as tree:
        for data in entries:
            ledger.append("entry", data)
            tree.append_entry(data)
        roots = {old: tree.get_root(old) for old in range(1, len(entries) + 1)}
        assert bytes.fromhex(ledger.tree_head().root) == roots[len(entries)]
        for size in (1, 7, 16, 24):
            assert bytes.fromhex(ledger.tree_head(size).root) == roots[size]
            for seq in range(size):
                proof = tree.prove_inclusion(seq + 1, size)
                assert ledger.inclusion_proof(seq, size) == proof.path[1:]
            for old in range(1, size + 1):
                expected = _rfc_consistency_path(tree.prove_consistency(old, size))
                assert ledger.consistency_proof(old, size) == expected
