"""Shared Merkle helpers: RFC 6962 roots, inclusion and consistency proofs (RFC 9162)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.merkle import (
    EMPTY_ROOT,
    MerkleProofError,
    audit_paths,
    consistency_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_path,
    verify_consistency,
    verify_inclusion,
)


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(b"entry %d" % i, label=b"test") for i in range(n)]


def mth(hashes: list[bytes]) -> bytes:
    """Reference: the recursive definition of RFC 6962 §2.1."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k << 1 < len(hashes):
        k <<= 1
    return hashlib.sha256(b"\x01" + mth(hashes[:k]) + mth(hashes[k:])).digest()


def reference_subproof(m: int, d: list[bytes], complete: bool) -> list[bytes]:
    """Reference: RFC 9162 §2.1.4.1 SUBPROOF, written recursively as in the text."""
    n = len(d)
    if m == n:
        return [] if complete else [mth(d)]
    k = 1
    while k << 1 < n:
        k <<= 1
    if m <= k:
        return reference_subproof(m, d[:k], complete) + [mth(d[k:])]
    return reference_subproof(m - k, d[k:], False) + [mth(d[:k])]


def test_leaf_and_node_are_domain_separated():
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert leaf_hash(b"x", label=b"L") == hashlib.sha256(b"\x00Lx").digest()
    a, b = leaves(2)
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert merkle_root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 47, 100])
def test_root_and_every_inclusion_proof(n):
    hashes = leaves(n)
    root = merkle_root(hashes)
    assert root == mth(hashes)
    for i, path in enumerate(audit_paths(hashes)):
        verify_inclusion(hashes[i], i, n, path, root)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(2, 60), data=st.data())
def test_inclusion_refuses_wrong_leaf_index_size_or_path(n, data):
    hashes = leaves(n)
    root = merkle_root(hashes)
    paths = audit_paths(hashes)
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
    with pytest.raises(MerkleProofError):
        verify_inclusion(hashes[j], i, n, paths[i], root)
    with pytest.raises(MerkleProofError):
        verify_inclusion(hashes[i], j, n, paths[i], root)
    with pytest.raises(MerkleProofError):
        verify_inclusion(hashes[i], i, n + 1, paths[i], merkle_root(hashes + leaves(1)))
    if paths[i]:
        k = data.draw(st.integers(0, len(paths[i]) - 1))
        bad = list(paths[i])
        bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
        with pytest.raises(MerkleProofError):
            verify_inclusion(hashes[i], i, n, bad, root)
        with pytest.raises(MerkleProofError):
            verify_inclusion(hashes[i], i, n, paths[i][:-1], root)
        with pytest.raises(MerkleProofError):
            verify_inclusion(hashes[i], i, n, paths[i] + (root,), root)


def test_inclusion_refuses_impossible_shapes():
    hashes = leaves(4)
    with pytest.raises(MerkleProofError):
        root_from_path(hashes[0], 4, 4, [])
    with pytest.raises(MerkleProofError):
        root_from_path(hashes[0], -1, 4, [])
    with pytest.raises(MerkleProofError):
        root_from_path(hashes[0], 0, 4, [b"short", hashes[1]])
    with pytest.raises(MerkleProofError):
        root_from_path(hashes[0], 0, 4, [hashes[1]] * 33)


@pytest.mark.parametrize("new", [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 33])
def test_consistency_matches_rfc_and_verifies(new):
    hashes = leaves(new)
    for old in range(0, new + 1):
        proof = consistency_proof(old, new, hashes)
        expected = [] if old in (0, new) else reference_subproof(old, hashes, True)
        assert list(proof) == expected
        verify_consistency(old, new, merkle_root(hashes[:old]), merkle_root(hashes), proof)


def test_consistency_uses_only_the_first_new_size_leaves():
    hashes = leaves(10)
    proof = consistency_proof(3, 6, hashes)
    verify_consistency(3, 6, merkle_root(hashes[:3]), merkle_root(hashes[:6]), proof)


@settings(max_examples=80, deadline=None)
@given(new=st.integers(2, 70), data=st.data())
def test_consistency_refuses_any_change(new, data):
    hashes = leaves(new)
    old = data.draw(st.integers(1, new - 1))
    old_root, new_root = merkle_root(hashes[:old]), merkle_root(hashes)
    proof = consistency_proof(old, new, hashes)
    verify_consistency(old, new, old_root, new_root, proof)
    # A history that was rewritten below the old size is not consistent.
    k = data.draw(st.integers(0, old - 1))
    forged = list(hashes)
    forged[k] = leaf_hash(b"rewritten")
    with pytest.raises(MerkleProofError):
        verify_consistency(old, new, old_root, merkle_root(forged), proof)
    with pytest.raises(MerkleProofError):
        verify_consistency(old, new, merkle_root(forged[:old]), new_root, proof)
    # Any flipped byte, dropped or extra element fails.
    i = data.draw(st.integers(0, len(proof) - 1))
    flipped = list(proof)
    flipped[i] = bytes([flipped[i][0] ^ 0x80]) + flipped[i][1:]
    with pytest.raises(MerkleProofError):
        verify_consistency(old, new, old_root, new_root, flipped)
    with pytest.raises(MerkleProofError):
        verify_consistency(old, new, old_root, new_root, proof[:-1])
    with pytest.raises(MerkleProofError):
        verify_consistency(old, new, old_root, new_root, proof + (new_root,))


def test_consistency_trivial_and_impossible_cases():
    hashes = leaves(5)
    root = merkle_root(hashes)
    verify_consistency(0, 5, EMPTY_ROOT, root, ())
    verify_consistency(5, 5, root, root, ())
    with pytest.raises(MerkleProofError):
        verify_consistency(5, 5, root, merkle_root(hashes[:4]), ())
    with pytest.raises(MerkleProofError):
        verify_consistency(5, 5, root, root, (root,))
    with pytest.raises(MerkleProofError):
        verify_consistency(0, 5, root, root, ())
    with pytest.raises(MerkleProofError):
        verify_consistency(6, 5, root, root, ())
    with pytest.raises(MerkleProofError):
        verify_consistency(2, 5, merkle_root(hashes[:2]), root, ())
    with pytest.raises(ValueError):
        consistency_proof(3, 6, hashes)
