"""The RFC 9162 Merkle tree: reference vectors (RFC 6962 hashes and transparency-dev/merkle
proofs), every proof of every small tree, the recursive definitions of the RFC, and
tampering. The vectors live in the project's shared data beside the repository (as in CI),
or wherever ``SERVANDA_VECTORS`` points; missing vectors fail, they do not skip."""

from __future__ import annotations

import base64
import json
import os
import random
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.ledger import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from servanda.ledger.merkle import MerkleTree

VECTORS = Path(os.environ.get("SERVANDA_VECTORS", ROOT.parent / "shared" / "data" / "vectors"))


def _vector_files(kind: str) -> list[Path]:
    folder = VECTORS / "merkle" / kind
    files = sorted(folder.rglob("*.json"))
    assert files, f"no {kind} vectors under {folder}: shared data (or SERVANDA_VECTORS) missing"
    return files


def _case(path: Path) -> dict:
    case = json.loads(path.read_text())
    decode = base64.b64decode
    for field in ("root", "leafHash", "root1", "root2"):
        if field in case:
            case[field] = decode(case[field])
    case["proof"] = [decode(element) for element in case["proof"] or []]
    return case


@pytest.fixture(scope="module")
def reference() -> dict:
    path = VECTORS / "merkle-rfc6962.json"
    assert path.is_file(), f"missing reference vectors {path} (set SERVANDA_VECTORS)"
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def reference_leaves(reference) -> list[bytes]:
    return [leaf_hash(bytes.fromhex(leaf)) for leaf in reference["leaves_hex"]]


def _leaves(count: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(count)]


def _flip(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


# The RFC's recursive definitions, transcribed literally, as an independent reference.


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _mth(d: list[bytes]) -> bytes:  # RFC 9162 §2.1.1
    if not d:
        return EMPTY_ROOT
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(_mth(d[:k]), _mth(d[k:]))


def _path(m: int, d: list[bytes]) -> list[bytes]:  # RFC 9162 §2.1.3.1
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return _path(m, d[:k]) + [_mth(d[k:])]
    return _path(m - k, d[k:]) + [_mth(d[:k])]


def _subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:  # RFC 9162 §2.1.4.1
    if m == len(d):
        return [] if b else [_mth(d)]
    k = _k(len(d))
    if m <= k:
        return _subproof(m, d[:k], b) + [_mth(d[k:])]
    return _subproof(m - k, d[k:], False) + [_mth(d[:k])]


@cache
def _sides(m: int, n: int) -> tuple[str, ...]:
    """On which side of the path each element of PATH(m, D[n]) lies, leaf side first."""
    if n == 1:
        return ()
    k = _k(n)
    return _sides(m, k) + ("right",) if m < k else _sides(m - k, n - k) + ("left",)


# Reference vectors


def test_reference_hashes(reference, reference_leaves):
    hashes = reference["hashes"]
    assert EMPTY_ROOT.hex() == hashes["empty_tree"] == tree_root([]).hex()
    assert leaf_hash(b"").hex() == hashes["leaf('')"]
    assert leaf_hash(b"L123456").hex() == hashes["leaf('L123456')"]
    assert node_hash(b"N123", b"N456").hex() == hashes["node('N123','N456')"]
    for size, root in reference["roots_by_size"].items():
        assert tree_root(reference_leaves[: int(size)]).hex() == root, f"size {size}"


def test_inclusion_vectors():
    files = _vector_files("inclusion")
    assert sum(not _case(path)["wantErr"] for path in files) >= 6
    for path in files:
        case = _case(path)
        verified = verify_inclusion(
            case["leafHash"], case["leafIdx"], case["treeSize"], case["proof"], case["root"]
        )
        assert verified is (not case["wantErr"]), path.relative_to(VECTORS)


def test_consistency_vectors():
    files = _vector_files("consistency")
    assert sum(not _case(path)["wantErr"] for path in files) >= 6
    for path in files:
        case = _case(path)
        verified = verify_consistency(
            case["size1"], case["size2"], case["root1"], case["root2"], case["proof"]
        )
        assert verified is (not case["wantErr"]), path.relative_to(VECTORS)


def test_generated_proofs_are_the_reference_proofs(reference_leaves):
    """The happy paths of transparency-dev/merkle are proofs over the eight reference leaves."""
    inclusion = [_case(p) for p in _vector_files("inclusion") if p.name == "happy-path.json"]
    consistency = [_case(p) for p in _vector_files("consistency") if p.name == "happy-path.json"]
    assert len(inclusion) >= 5 and len(consistency) >= 5
    for case in inclusion:
        leaves = reference_leaves[: case["treeSize"]]
        assert tree_root(leaves) == case["root"]
        assert inclusion_proof(leaves, case["leafIdx"]) == case["proof"]
    for case in consistency:
        leaves = reference_leaves[: case["size2"]]
        assert tree_root(leaves[: case["size1"]]) == case["root1"]
        assert tree_root(leaves) == case["root2"]
        assert consistency_proof(leaves, case["size1"]) == case["proof"]


# Every proof of every tree up to 300 leaves


SIZES = 300


@pytest.fixture(scope="module")
def prefix_roots() -> tuple[list[bytes], list[bytes]]:
    leaves = _leaves(SIZES)
    return leaves, [tree_root(leaves[:size]) for size in range(SIZES + 1)]


def test_every_inclusion_proof_up_to_300_leaves_verifies(prefix_roots):
    leaves, roots = prefix_roots
    for size in range(1, SIZES + 1):
        tree = leaves[:size]
        for index in range(size):
            proof = inclusion_proof(tree, index)
            assert verify_inclusion(tree[index], index, size, proof, roots[size]), (index, size)


def test_every_consistency_proof_up_to_300_leaves_verifies(prefix_roots):
    leaves, roots = prefix_roots
    for size in range(1, SIZES + 1):
        tree = leaves[:size]
        for old in range(1, size + 1):
            proof = consistency_proof(tree, old)
            assert verify_consistency(old, size, roots[old], roots[size], proof), (old, size)


def test_the_recursive_definitions_of_the_rfc_agree():
    leaves = _leaves(48)
    for size in range(49):
        tree = leaves[:size]
        assert tree_root(tree) == _mth(tree)
        for index in range(size):
            assert inclusion_proof(tree, index) == _path(index, tree)
        for old in range(1, size + 1):
            assert consistency_proof(tree, old) == _subproof(old, tree, True)


def test_proof_generation_rejects_impossible_requests():
    tree = _leaves(5)
    for index in (-1, 5, 6):
        with pytest.raises(ValueError):
            inclusion_proof(tree, index)
    for old in (-1, 0, 6):
        with pytest.raises(ValueError):
            consistency_proof(tree, old)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)


# The tree structure against the definitions: the same definitions over ranges
# D[start:stop] of fixed leaves, memoised on the range so that every proof of every prefix
# costs a few lookups.


def _definitions(d: list[bytes]):
    @cache
    def mth(start: int, stop: int) -> bytes:  # MTH(D[start:stop])
        n = stop - start
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return d[start]
        k = _k(n)
        return node_hash(mth(start, start + k), mth(start + k, stop))

    def path(m: int, start: int, stop: int) -> list[bytes]:  # PATH(m, D[start:stop])
        if stop - start == 1:
            return []
        k = _k(stop - start)
        if m < k:
            return path(m, start, start + k) + [mth(start + k, stop)]
        return path(m - k, start + k, stop) + [mth(start, start + k)]

    def subproof(m: int, start: int, stop: int, b: bool) -> list[bytes]:
        if m == stop - start:
            return [] if b else [mth(start, stop)]
        k = _k(stop - start)
        if m <= k:
            return subproof(m, start, start + k, b) + [mth(start + k, stop)]
        return subproof(m - k, start + k, stop, False) + [mth(start, start + k)]

    return mth, path, subproof


def test_the_tree_answers_as_the_definitions_for_every_size_up_to_300():
    """One tree grown leaf by leaf answers for every earlier size as the definitions do;
    the pure functions (a tree built at once) too."""
    leaves = _leaves(SIZES, salt=b"d")
    mth, path, subproof = _definitions(leaves)
    tree = MerkleTree()
    assert len(tree) == 0 and tree.root() == EMPTY_ROOT
    for size in range(1, SIZES + 1):
        tree.append(leaves[size - 1])
        assert len(tree) == size and tree.root() == mth(0, size), size
    for size in range(SIZES + 1):
        assert tree.root(size) == mth(0, size)
        for index in range(size):
            assert tree.inclusion_proof(index, size) == path(index, 0, size), (index, size)
        for old in range(1, size + 1):
            assert tree.consistency_proof(old, size) == subproof(old, 0, size, True), (old, size)
    for size in range(1, SIZES + 1):
        prefix = leaves[:size]
        assert tree_root(prefix) == mth(0, size)
        for choice in {0, size // 3, size - 1}:
            assert inclusion_proof(prefix, choice) == path(choice, 0, size)
            assert consistency_proof(prefix, choice + 1) == subproof(choice + 1, 0, size, True)


def test_the_tree_answers_as_the_definitions_for_random_larger_sizes():
    rng = random.Random(9162)
    largest = 5000
    leaves = _leaves(largest, salt=b"r")
    mth, path, subproof = _definitions(leaves)
    grown = MerkleTree()
    edges = {1023, 1024, 1025, 4097, largest}
    sizes = sorted(edges | {rng.randrange(SIZES + 1, largest) for _ in range(6)})
    for size in sizes:
        while len(grown) < size:  # in uneven chunks, as a log is read
            grown.extend(leaves[len(grown) : min(size, len(grown) + rng.randrange(1, 700))])
        built = MerkleTree(leaves[:size])
        assert built.root() == grown.root() == mth(0, size)
        for _ in range(20):
            index, old = rng.randrange(size), rng.randrange(1, size + 1)
            want = path(index, 0, size)
            assert built.inclusion_proof(index) == grown.inclusion_proof(index, size) == want
            assert (
                built.consistency_proof(old)
                == grown.consistency_proof(old, size)
                == subproof(old, 0, size, True)
            )
    for _ in range(20):  # earlier sizes of the largest tree
        size = rng.randrange(1, largest + 1)
        index, old = rng.randrange(size), rng.randrange(1, size + 1)
        assert grown.root(size) == mth(0, size)
        assert grown.inclusion_proof(index, size) == path(index, 0, size)
        assert grown.consistency_proof(old, size) == subproof(old, 0, size, True)


def test_the_tree_rejects_impossible_requests():
    tree = MerkleTree(_leaves(5))
    for size in (-1, 6):
        with pytest.raises(ValueError):
            tree.root(size)
        with pytest.raises(ValueError):
            tree.inclusion_proof(0, size)
        with pytest.raises(ValueError):
            tree.consistency_proof(1, size)
    for index, size in ((-1, None), (5, None), (3, 3), (0, 0)):
        with pytest.raises(ValueError):
            tree.inclusion_proof(index, size)
    for old, size in ((0, None), (6, None), (4, 3), (1, 0)):
        with pytest.raises(ValueError):
            tree.consistency_proof(old, size)
    assert tree.root(0) == EMPTY_ROOT and len(tree) == 5


# Random leaves and tampering


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.binary(max_size=12), min_size=1, max_size=SIZES),
    choice=st.integers(min_value=0),
)
def test_proofs_over_random_leaves_verify(data, choice):
    tree = [leaf_hash(item) for item in data]
    size, index, old = len(tree), choice % len(tree), choice % len(tree) + 1
    root = tree_root(tree)
    assert verify_inclusion(tree[index], index, size, inclusion_proof(tree, index), root)
    old_root = tree_root(tree[:old])
    assert verify_consistency(old, size, old_root, root, consistency_proof(tree, old))


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, SIZES), choice=st.integers(min_value=0), bit=st.integers(0, 255))
def test_a_tampered_inclusion_proof_fails(size, choice, bit):
    tree = _leaves(size, salt=b"t")
    index = choice % size
    leaf, root, proof = tree[index], tree_root(tree), inclusion_proof(tree, index)
    assert verify_inclusion(leaf, index, size, proof, root)
    assert not verify_inclusion(_flip(leaf, bit), index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, _flip(root, bit))
    for at in range(len(proof)):
        tampered = proof[:at] + [_flip(proof[at], bit)] + proof[at + 1 :]
        assert not verify_inclusion(leaf, index, size, tampered, root)
        assert not verify_inclusion(leaf, index, size, proof[:at] + proof[at + 1 :], root)
    for extra in (leaf, root, proof[-1] if proof else root):
        assert not verify_inclusion(leaf, index, size, proof + [extra], root)
        assert not verify_inclusion(leaf, index, size, [extra] + proof, root)
    for other in {0, index - 1, index + 1, index ^ 1, size - 1, size, size + 1, -1} - {index}:
        assert not verify_inclusion(leaf, other, size, proof, root), other


def test_an_inclusion_proof_with_another_size_fails_unless_the_path_is_the_same():
    """A proof does not bind the tree size: where leaf ``index`` has the same path in trees of
    both sizes (leaf 0 of 5 and of 6, say) the same proof leads to the same root. The signed
    tree head binds size and root together."""
    leaves = _leaves(80, salt=b"s")
    roots = [tree_root(leaves[:size]) for size in range(81)]
    for size in range(1, 41):
        tree, root = leaves[:size], roots[size]
        for index in range(size):
            proof = inclusion_proof(tree, index)
            for other in range(81):
                if other == size:
                    continue
                same_path = index < other and _sides(index, other) == _sides(index, size)
                verified = verify_inclusion(tree[index], index, other, proof, root)
                assert verified is same_path, (index, size, other)
                assert not verify_inclusion(tree[index], index, other, proof, roots[other])


@settings(max_examples=60, deadline=None)
@given(size=st.integers(2, SIZES), choice=st.integers(min_value=0), bit=st.integers(0, 255))
def test_a_tampered_consistency_proof_fails(size, choice, bit):
    tree = _leaves(size, salt=b"c")
    old = choice % size + 1
    old_root, root = tree_root(tree[:old]), tree_root(tree)
    proof = consistency_proof(tree, old)
    assert verify_consistency(old, size, old_root, root, proof)
    assert not verify_consistency(old, size, _flip(old_root, bit), root, proof)
    assert not verify_consistency(old, size, old_root, _flip(root, bit), proof)
    for at in range(len(proof)):
        tampered = proof[:at] + [_flip(proof[at], bit)] + proof[at + 1 :]
        assert not verify_consistency(old, size, old_root, root, tampered)
        assert not verify_consistency(old, size, old_root, root, proof[:at] + proof[at + 1 :])
    for extra in (old_root, root, proof[-1] if proof else root):
        assert not verify_consistency(old, size, old_root, root, proof + [extra])
        assert not verify_consistency(old, size, old_root, root, [extra] + proof)
    # With other sizes (and the true roots of those trees) a proof only verifies if it is
    # exactly the proof for them, e.g. the empty proof between equal sizes.
    longer = _leaves(size + 2, salt=b"c")
    for other_old, other_size in {
        (old - 1, size),
        (old + 1, size),
        (old, size - 1),
        (old, size + 1),
        (old + 1, size + 1),
        (old - 1, size - 1),
        (old, old),
        (size, size),
        (0, size),
        (size + 1, size),
    } - {(old, size)}:
        other_roots = tree_root(longer[:other_old]), tree_root(longer[:other_size])
        genuine = 0 < other_old <= other_size and proof == consistency_proof(
            longer[:other_size], other_old
        )
        assert verify_consistency(other_old, other_size, *other_roots, proof) is genuine


@cache
def _shape(old: int, size: int, whole: bool = True) -> tuple[str, ...]:
    """How the verifier reads each element of SUBPROOF(old, D[size], whole): the starting
    hash, or a sibling on the left or on the right (RFC 9162 §2.1.4.1)."""
    if old == size:
        return () if whole else ("start",)
    k = _k(size)
    if old <= k:
        return _shape(old, k, whole) + ("right",)
    return _shape(old - k, size - k, False) + ("left",)


def test_a_consistency_proof_with_other_sizes_fails_unless_read_the_same_way():
    """As for inclusion, the sizes are bound by the signed tree heads, not by the proof: the
    same proof and roots verify for other sizes exactly where the verifier reads the proof
    the same way."""
    leaves = _leaves(16, salt=b"k")
    roots = [tree_root(leaves[:size]) for size in range(17)]
    for size in range(1, 17):
        for old in range(1, size + 1):
            proof = consistency_proof(leaves[:size], old)
            for other_size in range(33):
                for other_old in range(other_size + 2):
                    if (other_old, other_size) == (old, size):
                        continue
                    same = 0 < other_old <= other_size and _shape(other_old, other_size) == _shape(
                        old, size
                    )
                    verified = verify_consistency(
                        other_old, other_size, roots[old], roots[size], proof
                    )
                    assert verified is same, (old, size, other_old, other_size)


MALFORMED = [None, "", "00" * 32, b"", b"\x00" * 31, b"\x00" * 33, 1, 1.0, True, [b"\x00" * 32]]
SIZES_MALFORMED = [None, -1, -(2**70), 2**70, True, False, 1.0, "1", b"1", [1]]


def test_verifiers_reject_malformed_input_without_raising():
    tree = _leaves(6)
    root, proof = tree_root(tree), inclusion_proof(tree, 2)
    cons, old_root = consistency_proof(tree, 3), tree_root(tree[:3])
    assert verify_inclusion(tree[2], 2, 6, proof, root)
    assert verify_consistency(3, 6, old_root, root, cons)
    for bad in MALFORMED:
        assert not verify_inclusion(bad, 2, 6, proof, root)
        assert not verify_inclusion(tree[2], 2, 6, proof, bad)
        assert not verify_inclusion(tree[2], 2, 6, bad, root)
        assert not verify_inclusion(tree[2], 2, 6, [bad, *proof[1:]], root)
        assert not verify_consistency(3, 6, bad, root, cons)
        assert not verify_consistency(3, 6, old_root, bad, cons)
        assert not verify_consistency(3, 6, old_root, root, bad)
        assert not verify_consistency(3, 6, old_root, root, [bad, *cons[1:]])
    for bad in SIZES_MALFORMED:
        assert not verify_inclusion(tree[2], bad, 6, proof, root)
        assert not verify_inclusion(tree[2], 2, bad, proof, root)
        assert not verify_consistency(bad, 6, old_root, root, cons)
        assert not verify_consistency(3, bad, old_root, root, cons)
    assert not verify_inclusion(tree[2], 2, 6, b"".join(proof), root)
    assert not verify_inclusion(tree[2], 2, 6, tuple(proof) + ("x",), root)
    assert verify_inclusion(tree[2], 2, 6, tuple(proof), root)
