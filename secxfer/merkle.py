"""RFC 6962 / RFC 9162 Merkle trees: roots, inclusion proofs, consistency proofs.

Shared ground for every wing that commits to a list: the agency's commitment to each
insurer's rows (``chain.provenance``), the key directory's entries (``trust``) and the
operations log (``ledger``). Leaves and inner nodes are domain-separated with the fixed
RFC 6962 prefixes 0x00 and 0x01, so no inner node can be passed off as a leaf. Callers
hash their own leaves (:func:`leaf_hash`, optionally under a label naming what the
leaf is) and hand the digests in; this module never sees leaf contents.

Every verifier raises :class:`MerkleProofError` instead of returning a boolean.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from secxfer.errors import IntegrityError
from secxfer.limits import PROOF_MAX_DEPTH

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class MerkleProofError(IntegrityError):
    """An inclusion or consistency proof that does not hold."""


def leaf_hash(data: bytes, *, label: bytes = b"") -> bytes:
    """Hash one leaf: SHA-256(0x00 || label || data). The label separates kinds of trees."""
    return hashlib.sha256(LEAF_PREFIX + label + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an inner node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash over ``leaf_hashes`` (already leaf-hashed)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    # Bottom-up construction that yields the RFC 6962 shape: pair neighbours and carry
    # an odd last node up unchanged.
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def audit_paths(leaf_hashes: Sequence[bytes]) -> list[tuple[bytes, ...]]:
    """Audit path (RFC 9162 §2.1.3.1) for every leaf, in one pass over the tree."""
    paths: list[list[bytes]] = [[] for _ in leaf_hashes]
    level = list(leaf_hashes)
    members = [[i] for i in range(len(level))]
    while len(level) > 1:
        nxt, nxt_members = [], []
        for i in range(0, len(level) - 1, 2):
            for leaf in members[i]:
                paths[leaf].append(level[i + 1])
            for leaf in members[i + 1]:
                paths[leaf].append(level[i])
            nxt.append(node_hash(level[i], level[i + 1]))
            nxt_members.append(members[i] + members[i + 1])
        if len(level) % 2:
            nxt.append(level[-1])
            nxt_members.append(members[-1])
        level, members = nxt, nxt_members
    return [tuple(p) for p in paths]


def _check_path(path: Sequence[bytes], what: str) -> None:
    if len(path) > PROOF_MAX_DEPTH or any(len(h) != HASH_BYTES for h in path):
        raise MerkleProofError(f"{what} has an impossible length or a malformed hash")


def root_from_path(leaf_digest: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """Recompute the root from one leaf and its audit path (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise MerkleProofError("inclusion proof has an impossible index or length")
    _check_path(path, "inclusion proof")
    fn, sn = index, size - 1
    r = leaf_digest
    for p in path:
        if sn == 0:
            raise MerkleProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleProofError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(leaf_digest: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> None:
    """Raise MerkleProofError unless ``leaf_digest`` is leaf ``index`` of the tree with ``root``."""
    got = root_from_path(leaf_digest, index, size, path)
    if not hmac.compare_digest(got, root):
        raise MerkleProofError("inclusion proof does not lead to the signed root")


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def consistency_proof(old_size: int, new_size: int, leaf_hashes: Sequence[bytes]) -> tuple[bytes, ...]:
    """Proof that the first ``old_size`` leaves are a prefix of the first ``new_size``.

    RFC 9162 §2.1.4.1 (SUBPROOF). ``leaf_hashes`` must hold at least ``new_size``
    digests; the proof is empty when ``old_size`` is 0 or equal to ``new_size``.
    """
    if not 0 <= old_size <= new_size <= len(leaf_hashes):
        raise ValueError("consistency proof needs 0 <= old_size <= new_size <= len(leaf_hashes)")
    if old_size in (0, new_size):
        return ()
    proof: list[bytes] = []
    lo, hi, m, complete = 0, new_size, old_size, True
    # Iterative SUBPROOF(m, D[lo:hi], complete); sibling subtrees are collected leaf-
    # side first, so the list is reversed at the end to match the recursive order.
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            proof.append(merkle_root(leaf_hashes[lo + k : hi]))
            hi = lo + k
        else:
            proof.append(merkle_root(leaf_hashes[lo : lo + k]))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(merkle_root(leaf_hashes[lo:hi]))
    return tuple(reversed(proof))


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise MerkleProofError unless the tree ``old_root`` is a prefix of ``new_root``.

    RFC 9162 §2.1.4.2. An empty old tree is a prefix of every tree; equal sizes need
    equal roots and an empty proof.
    """
    if not 0 <= old_size <= new_size:
        raise MerkleProofError("consistency proof between impossible tree sizes")
    _check_path(proof, "consistency proof")
    if old_size == 0 or old_size == new_size:
        expected = EMPTY_ROOT if old_size == 0 else new_root
        if proof or not hmac.compare_digest(old_root, expected):
            raise MerkleProofError("trees of these sizes cannot be consistent with this proof")
        return
    path = list(proof)
    if not path:
        raise MerkleProofError("consistency proof is empty")
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise MerkleProofError("consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    ok_old = hmac.compare_digest(fr, old_root)
    ok_new = hmac.compare_digest(sr, new_root)
    if sn != 0 or not (ok_old and ok_new):
        raise MerkleProofError("consistency proof does not link the two roots")
