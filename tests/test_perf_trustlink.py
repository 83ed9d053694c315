"""Per-process caches of the carried full bundle: inflated and parsed once, found by exact bytes."""

from __future__ import annotations

import os
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_trust_support import signed_small, signed_small_root

from secxfer.chain import trustlink
from secxfer.errors import FormatError
from secxfer.trust.directory.excerpt import make_bundle, read_bundle

BUNDLE = make_bundle([signed_small_root()], signed_small())


def _large_payload() -> bytes:
    return os.urandom(trustlink.UNPACK_CACHE_MIN_BYTES + 100)  # incompressible: packed stays large


def test_a_packed_entry_inflates_to_what_was_packed_cached_or_not():
    payload = _large_payload()
    packed = zlib.compress(payload, 6)
    assert len(packed) >= trustlink.UNPACK_CACHE_MIN_BYTES
    assert trustlink.unpack_bundle(packed) == payload
    assert trustlink.unpack_bundle(packed) == payload  # from the cache


def test_what_pack_bundle_made_is_known_to_unpack(monkeypatch):
    monkeypatch.setattr(trustlink, "PACK_CACHE_MIN_BYTES", 1)
    payload = _large_payload()
    packed = trustlink.pack_bundle(payload)
    assert trustlink.unpack_bundle(packed) is payload


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_altered_packed_bytes_are_inflated_afresh_after_a_good_entry_was_cached(data):
    payload = _large_payload()
    packed = zlib.compress(payload, 6)
    assert trustlink.unpack_bundle(packed) == payload
    at = data.draw(st.integers(0, len(packed) - 1))
    altered = packed[:at] + bytes([packed[at] ^ (1 << data.draw(st.integers(0, 7)))]) + packed[at + 1 :]
    try:
        result = trustlink.unpack_bundle(altered)
    except FormatError:
        return  # refused: a corrupt stream or a wrong checksum
    # What these very bytes hold, never a cache entry for other bytes. (A flip in the
    # padding after the last block can leave a stream that still inflates to the same
    # payload with the same checksum: equal is then the right answer.)
    assert result == zlib.decompress(altered)


def test_a_truncated_large_entry_is_refused_every_time():
    packed = zlib.compress(_large_payload(), 6)
    trustlink.unpack_bundle(packed)
    for _ in range(2):
        with pytest.raises(FormatError):
            trustlink.unpack_bundle(packed[:-10])


def test_parse_bundle_caches_by_exact_bytes(monkeypatch):
    monkeypatch.setattr(trustlink, "PACK_CACHE_MIN_BYTES", 1)
    first = trustlink.parse_bundle(BUNDLE)
    assert first == read_bundle(BUNDLE)
    assert trustlink.parse_bundle(bytes(BUNDLE)) is first
    other = make_bundle([signed_small_root()], signed_small(signers=("root-1", "root-3")))
    assert trustlink.parse_bundle(other) == read_bundle(other) != first
    with pytest.raises(FormatError):
        trustlink.parse_bundle(BUNDLE[:-2])
    with pytest.raises(FormatError):
        trustlink.parse_bundle(BUNDLE.replace(b'"roots"', b'"rootz"'))


def test_a_mutable_bundle_changed_after_packing_is_packed_afresh(monkeypatch):
    monkeypatch.setattr(trustlink, "PACK_CACHE_MIN_BYTES", 1)
    buffer = bytearray(_large_payload())
    first = trustlink.pack_bundle(buffer)
    buffer[0] ^= 1
    assert zlib.decompress(trustlink.pack_bundle(buffer)) == bytes(buffer) != zlib.decompress(first)
    payload = bytes(buffer)
    assert trustlink.pack_bundle(payload) is trustlink.pack_bundle(payload)
