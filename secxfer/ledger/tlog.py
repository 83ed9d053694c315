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


class Frontier:
    """A Merkle tree grown one leaf at a time: the stack of perfect subtrees it is made of.

    The tree hash at any size is those subtrees folded from the right (RFC 6962), so
    checking a log's links (each entry's ``prev``) and a kept checkpoint at every size
    costs one pass over the leaves, not one tree per entry.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (subtree size, subtree hash), sizes decreasing

    def add(self, leaf: bytes) -> None:
        node = (1, leaf)
        while self._stack and self._stack[-1][0] == node[0]:
            size, left = self._stack.pop()
            node = (size * 2, merkle.node_hash(left, node[1]))
        self._stack.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return tree_root([])
        folded = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            folded = merkle.node_hash(left, folded)
        return folded


def prefix_roots(leaf_hashes: Sequence[bytes], sizes: set[int]) -> dict[int, bytes]:
    """Tree hashes of the first ``s`` leaves for every ``s`` in ``sizes`` (up to the log's length), in one pass."""
    wanted = {s for s in sizes if 0 <= s <= len(leaf_hashes)}
    frontier = Frontier()
    roots = {0: frontier.root()} if 0 in wanted else {}
    for leaf in leaf_hashes:
        frontier.add(leaf)
        if frontier.size in wanted:
            roots[frontier.size] = frontier.root()
    return roots
