"""The per-process cache of verified signatures: a hit only for the very bytes verified before."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_trust_support import NOW, example_key, signed_small, small_root

from secxfer import merkle
from secxfer.errors import IntegrityError, SignatureError
from secxfer.trust import (
    make_excerpt,
    read_directory_file,
    verified_cache,
    verify_directory,
)
from secxfer.trust.directory.file import DirectoryLeaf, LeafProof
from secxfer.trust.signing import Signature, SignedDocument, verify

ROOT = small_root()
FULL = read_directory_file(signed_small())
KEY = example_key("agency")
PUBLIC = KEY.signing_public_key


def _signed(payload: bytes) -> Signature:
    return KEY.sign("test/perf", payload)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


def _excerpt(pid: str = "mun-131016"):
    return make_excerpt(FULL, [pid])


def _position(file, pid: str) -> int:
    return next(i for i, leaf in enumerate(file.leaves) if msgspec.json.decode(leaf.participant)["id"] == pid)


def test_a_verified_signature_is_recorded_and_a_second_check_still_passes():
    verified_cache.clear()
    signature = _signed(b"payload")
    verify(PUBLIC, "test/perf", b"payload", signature)
    assert len(verified_cache._verified) == 1
    verify(PUBLIC, "test/perf", b"payload", signature)
    assert len(verified_cache._verified) == 1


@settings(max_examples=60, deadline=None)
@given(payload=st.binary(min_size=1, max_size=200), data=st.data())
def test_after_a_good_check_altered_bytes_are_still_refused(payload, data):
    signature = _signed(payload)
    verify(PUBLIC, "test/perf", payload, signature)  # cached now
    at = data.draw(st.integers(0, len(payload) - 1))
    with pytest.raises(SignatureError):
        verify(PUBLIC, "test/perf", _flip(payload, at), signature)
    with pytest.raises(SignatureError):
        verify(PUBLIC, "test/perf", payload + b"\x00", signature)
    with pytest.raises(SignatureError):
        verify(PUBLIC, "test/other", payload, signature)
    bad = msgspec.structs.replace(signature, sig=_flip(signature.sig, data.draw(st.integers(0, 63))))
    with pytest.raises(SignatureError):
        verify(PUBLIC, "test/perf", payload, bad)
    verify(PUBLIC, "test/perf", payload, signature)


def test_a_failure_is_never_recorded():
    verified_cache.clear()
    signature = _signed(b"x")
    bad = msgspec.structs.replace(signature, sig=_flip(signature.sig, 5))
    for _ in range(2):
        with pytest.raises(SignatureError):
            verify(PUBLIC, "test/perf", b"x", bad)
    assert not verified_cache._verified


def test_a_full_cache_starts_over(monkeypatch):
    verified_cache.clear()
    monkeypatch.setattr(verified_cache, "MAX_ENTRIES", 3)
    for i in range(7):
        verify(PUBLIC, "test/perf", bytes([i]), _signed(bytes([i])))
        assert len(verified_cache._verified) <= 3


def test_a_tampered_excerpt_is_refused_after_a_good_one_was_cached():
    verified_cache.clear()
    good = _excerpt()
    verify_directory(good, ROOT, now=NOW)
    assert verified_cache._verified  # the header and the entries' signatures are recorded
    # the header's root signature altered
    header = good.header
    bad_sig = msgspec.structs.replace(header.signatures[0], sig=_flip(header.signatures[0].sig, 0))
    forged_header = msgspec.structs.replace(header, signatures=(bad_sig, *header.signatures[1:]))
    with pytest.raises(SignatureError):
        verify_directory(msgspec.structs.replace(good, header=forged_header), ROOT, now=NOW)
    # the header's payload altered under the cached signatures
    forged_payload = msgspec.structs.replace(header, payload=header.payload.replace(b'"version":1', b'"version":2'))
    assert forged_payload.payload != header.payload
    with pytest.raises(IntegrityError):
        verify_directory(msgspec.structs.replace(good, header=forged_payload), ROOT, now=NOW)
    # an entry's enrollment altered (its proof then fails too: the leaf changed)
    i = _position(good, "mun-131016")
    leaf = good.leaves[i]
    document = SignedDocument.decode(leaf.enrollments[0])
    tampered = msgspec.structs.replace(document, payload=document.payload.replace(b"2020-04-01", b"2020-04-02"))
    assert tampered.payload != document.payload
    leaves = list(good.leaves)
    leaves[i] = DirectoryLeaf(participant=leaf.participant, enrollments=(tampered.encode(), *leaf.enrollments[1:]))
    with pytest.raises(IntegrityError):
        verify_directory(msgspec.structs.replace(good, leaves=tuple(leaves)), ROOT, now=NOW)
    # a forged proof for a cached entry
    proof = good.proofs[i]
    forged = LeafProof(index=proof.index, path=(_flip(proof.path[0], 0), *proof.path[1:]))
    proofs = list(good.proofs)
    proofs[i] = forged
    with pytest.raises(merkle.MerkleProofError):
        verify_directory(msgspec.structs.replace(good, proofs=tuple(proofs)), ROOT, now=NOW)
    # and the good excerpt, and another one under the same header, still verify
    assert verify_directory(good, ROOT, now=NOW).is_excerpt
    assert verify_directory(_excerpt("mun-141003"), ROOT, now=NOW).is_excerpt


def test_a_cached_header_does_not_vouch_for_a_root_that_did_not_sign_it():
    verified_cache.clear()
    verify_directory(FULL, ROOT, now=NOW)
    other_root = small_root(holders=("root-1", "root-3"), threshold=2)
    with pytest.raises(IntegrityError):
        verify_directory(FULL, other_root, now=NOW)


def test_a_proof_cached_for_an_entry_does_not_vouch_for_other_path_bytes():
    verified_cache.clear()
    good = _excerpt()
    verify_directory(good, ROOT, now=NOW)
    i = _position(good, "mun-131016")
    proof = good.proofs[i]
    assert len(proof.path) >= 2
    joined = b"".join(proof.path)
    resplit = (joined[:31], joined[31:64], *proof.path[2:])  # the same bytes cut elsewhere
    for path in (resplit, proof.path[:-1], (*proof.path, proof.path[-1])):
        proofs = list(good.proofs)
        proofs[i] = LeafProof(index=proof.index, path=path)
        with pytest.raises((IntegrityError, msgspec.ValidationError)):
            verify_directory(msgspec.structs.replace(good, proofs=tuple(proofs)), ROOT, now=NOW)
    assert any(key[0] == b"entry" for key in verified_cache._verified)
