"""The ledger: an append-only, tamper-evident log (RFC 9162 Merkle tree) with signed tree
heads and inclusion and consistency proofs."""

from servanda.ledger.log import Entry, Ledger
from servanda.ledger.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from servanda.ledger.timestamps import parse_timestamp, utc_timestamp
from servanda.ledger.treehead import SignedTreeHead, sign_tree_head

__all__ = [
    "EMPTY_ROOT",
    "Entry",
    "Ledger",
    "MerkleTree",
    "SignedTreeHead",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "parse_timestamp",
    "sign_tree_head",
    "tree_root",
    "utc_timestamp",
    "verify_consistency",
    "verify_inclusion",
]
