"""The Merkle Tree Hash of RFC 9162 §2.1 and its inclusion and consistency proofs.

A :class:`MerkleTree` keeps, above the leaf hashes (32-byte SHA-256 digests, in log order),
the hash of every complete subtree aligned on its size; every range the RFC's recursion
asks about is a run of such subtrees, so a root or a proof costs O(log n) hashes once the
tree is built (O(n)) and an appended leaf costs amortised O(1). The pure functions over a
list of leaf hashes build a tree per call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


class MerkleTree:
    """The RFC 9162 Merkle tree of a growing list of leaf hashes, answering for the tree of
    any prefix of them (the log at an earlier size) as well as for the whole.

    Level k holds MTH(D[i * 2^k : (i + 1) * 2^k]) for every i such that the range lies
    within the leaves (level 0 is the leaf hashes). Appending only adds to the end of the
    levels, so what a tree has answered about a size it will answer again.

    Parameters
    ----------
    leaf_hashes : iterable of bytes, default ()
        The first leaves, in log order; :meth:`extend` appends more.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()):
        self._levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    def __len__(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def __repr__(self) -> str:
        return f"MerkleTree(<{len(self)} leaves>)"

    def leaf(self, index: int) -> bytes:
        """The hash of leaf ``index``."""
        return self._levels[0][index]

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf: amortised O(1) hashes."""
        self.extend((leaf_hash,))

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add leaves, in log order: O(added) hashes, amortised."""
        levels = self._levels
        levels[0].extend(leaf_hashes)
        k = 0
        while len(levels[k]) >= 2:
            if k + 1 == len(levels):
                levels.append([])
            below, above = levels[k], levels[k + 1]
            done = len(above)
            if done == len(below) // 2:  # no new pair here, hence none further up
                break
            pairs = zip(below[2 * done :: 2], below[2 * done + 1 :: 2])
            # node_hash inlined: this loop does all the hashing of a tree.
            above += [sha256(b"\x01" + left + right).digest() for left, right in pairs]
            k += 1

    def root(self, size: int | None = None) -> bytes:
        """MTH(D[size]), the root of the tree of the first ``size`` leaves (default: all)
        (RFC 9162 §2.1.1)."""
        size = self._size(size)
        return self._range(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) for the tree of the first ``size`` leaves (default: all)
        (RFC 9162 §2.1.3.1), leaf side first. ``ValueError`` unless 0 <= index < size."""
        size = self._size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is not in a tree of size {size}")
        siblings = []  # root side first: PATH(m, D[n]) = PATH(m', D[half]) : MTH(other half)
        start, stop = 0, size
        while stop - start > 1:
            middle = start + _split(stop - start)
            if index < middle:
                siblings.append(self._range(middle, stop))
                stop = middle
            else:
                siblings.append(self._range(start, middle))
                start = middle
        return siblings[::-1]

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[size]) for the tree of the first ``size`` leaves (default: all)
        (RFC 9162 §2.1.4.1).

        ``ValueError`` unless 0 < old_size <= size: nothing can be proved about an empty tree.
        """
        size = self._size(size)
        if not 0 < old_size <= size:
            raise ValueError(f"old size {old_size} is not between 1 and the tree size {size}")
        proof = []  # root side first, like PATH
        start, stop, old = 0, size, old_size
        whole = True  # SUBPROOF's flag b: the old tree is still a subtree of the same origin
        while old != stop - start:
            middle = start + _split(stop - start)
            if old <= middle - start:
                proof.append(self._range(middle, stop))
                stop = middle
            else:
                proof.append(self._range(start, middle))
                old -= middle - start
                start = middle
                whole = False
        if not whole:
            proof.append(self._range(start, stop))
        return proof[::-1]

    def _size(self, size: int | None) -> int:
        if size is None:
            return len(self)
        if not 0 <= size <= len(self):
            raise ValueError(f"size {size} is not between 0 and the tree size {len(self)}")
        return size

    def _range(self, start: int, stop: int) -> bytes:
        """MTH(D[start:stop]) for a non-empty range whose start is a multiple of the least
        power of two at least its length, in popcount(stop - start) - 1 hashes.

        Every range of the RFC's recursion from D[0:n] is of that kind: splitting a range
        of length L at k, the largest power of two below L, leaves a left part of length k
        at a multiple of 2k and a right part of length at most k at a multiple of k. Such a
        range is the complete subtrees of the binary digits of its length, largest first,
        each aligned on its size (so each is in a level), and MTH splits it exactly between
        the first of them and the rest: the rest is shorter than the first.
        """
        levels = self._levels
        pieces = []
        while start < stop:
            k = (stop - start).bit_length() - 1
            pieces.append(levels[k][start >> k])
            start += 1 << k
        result = pieces.pop()
        while pieces:
            result = node_hash(pieces.pop(), result)
        return result


def tree_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of the leaves (RFC 9162 §2.1.1)."""
    return MerkleTree(leaf_hashes).root()


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) for the tree of all ``leaf_hashes`` (RFC 9162 §2.1.3.1), leaf
    side first. ``ValueError`` unless 0 <= index < n.

    Builds the tree (O(n)); for several proofs over the same leaves build a
    :class:`MerkleTree` once."""
    size = len(leaf_hashes)
    if not 0 <= index < size:  # before building anything
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    return MerkleTree(leaf_hashes).inclusion_proof(index)


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) for the tree of all ``leaf_hashes`` (RFC 9162 §2.1.4.1).

    ``ValueError`` unless 0 < old_size <= n: nothing can be proved about an empty tree.
    Builds the tree (O(n)); for several proofs over the same leaves build a
    :class:`MerkleTree` once.
    """
    size = len(leaf_hashes)
    if not 0 < old_size <= size:
        raise ValueError(f"old size {old_size} is not between 1 and the tree size {size}")
    return MerkleTree(leaf_hashes).consistency_proof(old_size)


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
