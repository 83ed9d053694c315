"""The operations log as an RFC 6962 Merkle tree (on the shared helpers in secxfer.merkle).

The log's state after ``n`` entries is the Merkle tree hash over their leaf hashes
``SHA-256(0x00 | entry line)``. Two states of one log are consistent when the
smaller tree is a prefix of the larger: a consistency proof (RFC 9162 §2.1.4) shows
it with O(log n) hashes, so a checkpoint carried up last month and one carried up
today prove that nothing written before was changed or dropped — or catch the log
showing two different histories.
"""

from __future__ import annotations

from collections.abc import Sequence

from secxfer import merkle
from secxfer.ledger.errors import LogForkError


def entry_hash(line: bytes) -> bytes:
    """Leaf hash of one log entry (its line without the newline)."""
    return merkle.leaf_hash(line)


def tree_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Merkle tree hash of ``leaf_hashes`` (SHA-256 of nothing for the empty tree)."""
    return merkle.merkle_root(leaf_hashes)


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the first ``old_size`` leaves are a prefix of the whole tree."""
    return list(merkle.consistency_proof(old_size, len(leaf_hashes), leaf_hashes))


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Raise LogForkError unless the tree (old_size, old_root) is a prefix of (new_size, new_root)."""
    try:
        merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)
    except merkle.MerkleProofError as error:
        raise LogForkError(
            f"the log of {new_size} entries does not extend the log of {old_size} entries "
            f"checkpointed before ({error}): it shows a different history"
        ) from None
