"""Verify-after-write (secxfer.chain.media.write_encrypted): the medium is read back and
must hold exactly what was written, and the hash returned (the one the sender signs)
is the SHA-256 of those bytes."""

from __future__ import annotations

import hashlib
import os
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.chain import beside, media
from secxfer.errors import IntegrityError


def _writer_of(payload: bytes, pieces: int):
    def encrypt(writer) -> None:
        step = max(1, len(payload) // pieces)
        for at in range(0, len(payload), step):
            writer.write(memoryview(payload)[at : at + step])

    return encrypt


@settings(max_examples=25, deadline=None)
@given(size=st.integers(0, 3 << 20), pieces=st.integers(1, 9), on_a_second_thread=st.booleans())
def test_the_hash_returned_is_of_the_bytes_on_the_medium(tmp_path_factory, size, pieces, on_a_second_thread):
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(beside, "BESIDE_MIN_BYTES", 0 if on_a_second_thread else 1 << 60)
        payload = os.urandom(size)
        path = tmp_path_factory.mktemp("medium") / "p.age"
        written, digest = media.write_encrypted(path, _writer_of(payload, pieces), expected_size=size)
        assert (written, digest) == (size, hashlib.sha256(payload).digest())
        assert path.read_bytes() == payload
        assert media.file_sha256_and_crc32(path) == (size, digest, zlib.crc32(payload))
        assert media.file_sha256(path) == (size, digest)


@pytest.mark.parametrize("fault", ["flip", "cut", "grow"])
def test_a_medium_that_does_not_keep_what_was_written_is_refused_and_nothing_stays(tmp_path, monkeypatch, fault):
    payload = os.urandom(5 << 20)
    path = tmp_path / "medium" / "p.age"
    forget = media._forget_cached

    def faulty_medium(written) -> None:
        data = bytearray(written.read_bytes())
        if fault == "flip":
            data[len(data) // 2] ^= 0x01  # one bit of one sector
        elif fault == "cut":
            del data[-4096:]
        else:
            data += b"\0" * 512
        written.write_bytes(bytes(data))
        forget(written)

    monkeypatch.setattr(media, "_forget_cached", faulty_medium)
    with pytest.raises(IntegrityError, match="did not read back as written"):
        media.write_encrypted(path, _writer_of(payload, 4), expected_size=len(payload))
    assert not path.exists() and list(path.parent.iterdir()) == []
