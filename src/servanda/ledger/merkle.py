"""The Merkle Tree Hash of RFC 9162 §2.1 and its inclusion and consistency proofs.

Pure functions over leaf hashes (32-byte SHA-256 digests, in log order). Proofs are built
from subtree hashes recomputed on demand: every sibling subtree on a path is disjoint from
the others, so one proof costs at most one hash per leaf.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

#: Length of every hash in the tree (SHA-256).
HASH_SIZE = 32

#: MTH({}) = SHA-256() (RFC 9162 §2.1.1).
EMPTY_ROOT = sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """MTH({d0}) = SHA-256(0x00 || d0) (RFC 9162 §2.1.1)."""
    return sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), an interior node (RFC 9162 §2.1.1)."""
    return sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1), where MTH splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree(hashes: Sequence[bytes], start: int, stop: int) -> bytes:
    """MTH(D[start:stop]) for a non-empty range, bottom-up in O(stop - start).

    Pairing neighbours level by level and carrying an odd last node up unchanged builds the
    same tree as the recursive split at the largest power of two: every left subtree of that
    split is complete, so only the rightmost node of a level can lack a partner.
    """
    level = list(hashes[start:stop])
    while len(level) > 1:
        carried = level[-1:] if len(level) % 2 else []
        # node_hash inlined: this loop does all the hashing of roots and proofs.
        pairs = zip(level[::2], level[1::2])
        level = [sha256(b"\x01" + left + right).digest() for left, right in pairs]
        level += carried
    return level[0]


def tree_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of the leaves (RFC 9162 §2.1.1)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _subtree(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) for the tree of all ``leaf_hashes`` (RFC 9162 §2.1.3.1), leaf
    side first. ``ValueError`` unless 0 <= index < n."""
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    siblings = []  # root side first: PATH(m, D[n]) = PATH(m', D[half]) : MTH(other half)
    start, stop = 0, size
    while stop - start > 1:
        middle = start + _split(stop - start)
        if index < middle:
            siblings.append(_subtree(leaf_hashes, middle, stop))
            stop = middle
        else:
            siblings.append(_subtree(leaf_hashes, start, middle))
            start = middle
    return siblings[::-1]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) for the tree of all ``leaf_hashes`` (RFC 9162 §2.1.4.1).

    ``ValueError`` unless 0 < old_size <= n: nothing can be proved about an empty tree.
    """
    size = len(leaf_hashes)
    if not 0 < old_size <= size:
        raise ValueError(f"old size {old_size} is not between 1 and the tree size {size}")
    proof = []  # root side first, like PATH
    start, stop, old = 0, size, old_size
    whole = True  # SUBPROOF's flag b: the old tree is still a subtree of the same origin
    while old != stop - start:
        middle = start + _split(stop - start)
        if old <= middle - start:
            proof.append(_subtree(leaf_hashes, middle, stop))
            stop = middle
        else:
            proof.append(_subtree(leaf_hashes, start, middle))
            old -= middle - start
            start = middle
            whole = False
    if not whole:
        proof.append(_subtree(leaf_hashes, start, stop))
    return proof[::-1]


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_path(proof: object) -> bool:
    return (
        isinstance(proof, Sequence)
        and not isinstance(proof, (bytes, str))
        and all(_is_hash(element) for element in proof)
    )


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows ``leaf_hash`` at ``index`` in the tree of ``size`` leaves
    with ``root`` (RFC 9162 §2.1.3.2). Malformed input is simply not a valid proof."""
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_path(proof)):
        return False
    if not (_is_size(index) and _is_size(size)) or index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # fn == sn on an even fn: the last node of its level has no right sibling and
            # moves up unchanged until it is a right child (or the left edge).
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows that the tree of ``new_size`` leaves with ``new_root``
    extends the tree of ``old_size`` leaves with ``old_root`` (RFC 9162 §2.1.4.2).

    Equal sizes need an empty proof and equal roots. An empty old tree is rejected: every
    tree extends it, so such a proof would prove nothing (as in transparency-dev/merkle's
    reference vectors). Malformed input is simply not a valid proof.
    """
    if not (_is_size(old_size) and _is_size(new_size) and _is_path(proof)):
        return False
    if not (isinstance(old_root, bytes) and isinstance(new_root, bytes)):
        return False
    if old_size == 0 or old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not (proof and _is_hash(old_root) and _is_hash(new_root)):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # the old tree is a complete subtree: its root starts
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
