"""Property tests: round trips at chunk boundaries, and every mutation is rejected.

Payloads use the real 64 KiB chunk size; the stream functions are also driven with
small batches so that batch boundaries (normally every 16 chunks) are crossed by
payloads of only a few chunks.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import secxfer.age as age
from secxfer.age import _crypto, format, stream
from secxfer.age._io import Source
from secxfer.age._labels import CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, PAYLOAD_NONCE_SIZE, TAG_SIZE
from secxfer.errors import IntegrityError

IDENTITY = age.X25519Identity(bytes(range(32)))
OTHER = age.X25519Identity(bytes(range(1, 33)))
RECIPIENTS = [OTHER.recipient, IDENTITY.recipient]
DATA = os.urandom(4 * CHUNK_SIZE + 100)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

boundary_sizes = st.sampled_from(
    sorted({max(0, k * CHUNK_SIZE + d) for k in range(4) for d in (-2, -1, 0, 1, 2)})
) | st.integers(min_value=0, max_value=4 * CHUNK_SIZE)


def _sealed_length(header_size: int, size: int) -> int:
    chunks = max(1, -(-size // CHUNK_SIZE))
    return header_size + PAYLOAD_NONCE_SIZE + size + chunks * TAG_SIZE


@FAST
@given(size=boundary_sizes)
def test_round_trip_at_and_around_chunk_boundaries(size):
    data = DATA[:size]
    sealed = age.encrypt_bytes(RECIPIENTS, data)
    header = age.read_header(io.BytesIO(sealed))
    assert len(sealed) == _sealed_length(header.size, size)
    assert age.decrypt_bytes([IDENTITY], sealed) == data
    assert age.decrypt_bytes([OTHER], sealed) == data


@FAST
@given(size=boundary_sizes, batch=st.integers(min_value=2, max_value=4), observe=st.booleans())
def test_stream_round_trip_across_batch_boundaries(size, batch, observe):
    aead = _crypto.payload_aead(bytes(16), bytes(16))
    data = DATA[:size]
    seen = []
    observer = (lambda view: seen.append(bytes(view))) if observe else None
    sealed = bytearray()
    assert stream.encrypt(aead, Source(io.BytesIO(data)), sealed.extend, batch_chunks=batch, chunk_observer=observer) == size
    reference = bytearray()
    stream.encrypt(aead, Source(io.BytesIO(data)), reference.extend)
    assert sealed == reference, "batching must not change the ciphertext"
    if observe:
        assert b"".join(seen) == data and all(len(c) == CHUNK_SIZE for c in seen[:-1])
    opened = bytearray()
    assert stream.decrypt(aead, Source(io.BytesIO(bytes(sealed))), opened.extend, batch_chunks=batch) == size
    assert opened == data


def test_multi_batch_payload_round_trip_through_the_writer_thread(tmp_path):
    data = os.urandom(40 * CHUNK_SIZE + 5)  # crosses two 16-chunk batches
    sealed = tmp_path / "big.age"
    with sealed.open("wb") as out:
        assert age.encrypt_stream(RECIPIENTS, io.BytesIO(data), out) == len(data)
    out_path = tmp_path / "big.out"
    with sealed.open("rb") as src:
        assert age.decrypt_to_path([IDENTITY], src, out_path) == len(data)
    assert out_path.read_bytes() == data


# -- every mutation fails, and nothing is released ------------------------------------

SAMPLE = os.urandom(3 * CHUNK_SIZE + 1234)
SEALED = age.encrypt_bytes(RECIPIENTS, SAMPLE)
PAYLOAD_START = age.read_header(io.BytesIO(SEALED)).size + PAYLOAD_NONCE_SIZE


def _chunks(sealed: bytes) -> list[bytes]:
    body = sealed[PAYLOAD_START:]
    return [body[i : i + ENCRYPTED_CHUNK_SIZE] for i in range(0, len(body), ENCRYPTED_CHUNK_SIZE)]


def _join(chunks: list[bytes]) -> bytes:
    return SEALED[:PAYLOAD_START] + b"".join(chunks)


def _assert_rejected(tampered: bytes) -> None:
    """Rejected by every decrypt path, and no output file is left behind."""
    assert tampered != SEALED
    with pytest.raises(IntegrityError):
        age.decrypt_bytes([IDENTITY], tampered)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out"
        with pytest.raises(IntegrityError):
            age.decrypt_to_path([IDENTITY], io.BytesIO(tampered), target)
        assert list(Path(folder).iterdir()) == []


@FAST
@given(position=st.integers(min_value=0, max_value=len(SEALED) - 1), xor=st.integers(min_value=1, max_value=255))
def test_any_single_byte_change_is_rejected(position, xor):
    tampered = bytearray(SEALED)
    tampered[position] ^= xor
    _assert_rejected(bytes(tampered))


@FAST
@given(length=st.integers(min_value=0, max_value=len(SEALED) - 1))
def test_any_truncation_is_rejected(length):
    _assert_rejected(SEALED[:length])


@FAST
@given(extra=st.binary(min_size=1, max_size=ENCRYPTED_CHUNK_SIZE + 20))
def test_appended_bytes_are_rejected(extra):
    _assert_rejected(SEALED + extra)


@FAST
@given(data=st.data())
def test_chunk_swaps_drops_and_duplicates_are_rejected(data):
    chunks = _chunks(SEALED)
    first = data.draw(st.integers(min_value=0, max_value=len(chunks) - 1))
    second = data.draw(st.integers(min_value=0, max_value=len(chunks) - 1).filter(lambda i: i != first))
    swapped = list(chunks)
    swapped[first], swapped[second] = swapped[second], swapped[first]
    _assert_rejected(_join(swapped))
    _assert_rejected(_join(chunks[:first] + chunks[first + 1 :]))
    _assert_rejected(_join(chunks[: first + 1] + chunks[first:]))


def test_a_full_final_chunk_cannot_be_extended_with_an_empty_one():
    aead = _crypto.payload_aead(bytes(16), bytes(16))
    sealed = bytearray()
    stream.encrypt(aead, Source(io.BytesIO(DATA[:CHUNK_SIZE])), sealed.extend)
    forged = aead.encrypt(bytes(10) + b"\x00\x00", DATA[:CHUNK_SIZE], None) + aead.encrypt(
        bytes(10) + b"\x01\x01", b"", None
    )
    assert len(forged) == ENCRYPTED_CHUNK_SIZE + TAG_SIZE
    with pytest.raises(age.AgePayloadError, match="corrupted or tampered"):
        stream.decrypt(aead, Source(io.BytesIO(forged)), bytearray().extend)


@FAST
@given(stanzas=st.lists(
    st.builds(
        format.Stanza,
        type=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12),
        args=st.lists(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=70), max_size=3).map(tuple),
        body=st.binary(max_size=200),
    ),
    min_size=1, max_size=4,
), mac=st.binary(min_size=32, max_size=32), payload=st.binary(max_size=40))
def test_header_parse_serialize_identity(stanzas, mac, payload):
    text = format.serialize(stanzas, mac)
    source = Source(io.BytesIO(text + payload))
    header = format.parse(source)
    assert header.stanzas == tuple(stanzas) and header.mac == mac and header.size == len(text)
    rest = b""
    while block := source.read(4096):
        rest += block
    assert rest == payload
