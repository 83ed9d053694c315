"""Fast paths found by profiling keep the exact behaviour of the simple code they replace."""

from __future__ import annotations

import mmap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secxfer.chain import rows
from secxfer.errors import ProvenanceError


def _reference_spans(buffer: bytes, start: int, end: int, newline: bytes, counts: list[int]):
    """The row-by-row definition: each group is the next counts[i] newline-terminated rows."""
    spans, pos = [], start
    for count in counts:
        group_start = pos
        for _ in range(count):
            hit = buffer.find(newline, pos, end)
            if hit < 0:
                raise ProvenanceError("fewer rows")
            pos = hit + len(newline)
        spans.append((group_start, pos))
    if pos != end:
        raise ProvenanceError("more bytes")
    return spans


def _outcome(function, *args):
    try:
        return function(*args)
    except ProvenanceError:
        return "refused"


@pytest.fixture
def tiny_blocks(monkeypatch):
    # Blocks of a few bytes put row boundaries, and CR LF pairs, across block edges
    # (the same constants for every generated example, so sharing the fixture is fine).
    monkeypatch.setattr(rows, "BLOCK", 7)
    monkeypatch.setattr(rows, "MANY_ROWS", 2)  # the counted path for most groups


row_text = st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"x"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(row_text, max_size=40),
    counts=st.lists(st.integers(0, 25), max_size=6),
    junk=st.binary(max_size=3),
    as_mmap=st.booleans(),
)
def test_block_counting_matches_row_by_row(tiny_blocks, data, counts, junk, as_mmap):
    body = b"".join(r + b"\n" for r in data) + junk  # junk: a torn last row, stray CR or LF
    buffer = b"HEADER" + body + b"TRAILER"
    start, end = 6, 6 + len(body)
    target = buffer
    if as_mmap:
        target = mmap.mmap(-1, len(buffer))
        target.write(buffer)
    assert _outcome(rows.group_spans, target, start, end, counts) == _outcome(
        _reference_spans, buffer, start, end, rows.ROW_END, counts
    )


sealed_row = st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"x").replace(b"\r", b"x"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(sealed_row, max_size=40), counts=st.lists(st.integers(0, 25), max_size=6),
       cut=st.integers(0, 3))
def test_counting_lf_finds_the_crlf_rows_the_agency_sealed(tiny_blocks, data, counts, cut):
    """docs/format.md §9: a reader counts LF. Over rows as the agency seals them (no CR or
    LF inside a row), in a CRLF file, that gives the same verdict and the same groups as
    counting CR LF, torn last rows included."""
    body = b"".join(r + b"\r\n" for r in data)
    body = body[: len(body) - cut] if cut <= len(body) else body
    assert _outcome(rows.group_spans, body, 0, len(body), counts) == _outcome(
        _reference_spans, body, 0, len(body), b"\r\n", counts
    )


def test_a_big_group_is_found_exactly():
    data = b"".join(b"%06d,ROW\r\n" % i for i in range(50_000))
    spans = rows.group_spans(data, 0, len(data), [10_000, 0, 39_999, 1])
    assert spans == [(0, 120_000), (120_000, 120_000), (120_000, 599_988), (599_988, 600_000)]
    with pytest.raises(ProvenanceError):
        rows.group_spans(data, 0, len(data), [50_001])
    with pytest.raises(ProvenanceError):
        rows.group_spans(data, 0, len(data), [49_999])


# --- age: decryption reads ahead on a thread -------------------------------------

import io  # noqa: E402
import threading  # noqa: E402

from secxfer.age import _crypto, stream  # noqa: E402
from secxfer.age._io import Source  # noqa: E402
from secxfer.age._labels import CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, TAG_SIZE  # noqa: E402
from secxfer.age._pipeline import ReadAhead  # noqa: E402
from secxfer.age.errors import AgePayloadError  # noqa: E402

AEAD = _crypto.payload_aead(bytes(16), bytes(16))
BATCH = 2


def _sealed(size: int) -> bytes:
    out = bytearray()
    stream.encrypt(AEAD, Source(io.BytesIO(bytes(size))), out.extend)
    return bytes(out)


@pytest.mark.parametrize("chunks", [BATCH, 2 * BATCH, 2 * BATCH + 1, 3 * BATCH - 1])
def test_payloads_ending_exactly_on_a_batch_open(chunks):
    # Full final chunks: the last batch is full and only the empty read after it says "final".
    sealed = _sealed(chunks * CHUNK_SIZE)
    assert len(sealed) == chunks * ENCRYPTED_CHUNK_SIZE
    opened = bytearray()
    assert stream.decrypt(AEAD, Source(io.BytesIO(sealed)), opened.extend, batch_chunks=BATCH) == chunks * CHUNK_SIZE
    assert opened == bytes(chunks * CHUNK_SIZE)


@pytest.mark.parametrize("cut", [BATCH * ENCRYPTED_CHUNK_SIZE, 2 * BATCH * ENCRYPTED_CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE])
def test_truncation_at_a_batch_or_chunk_boundary_fails(cut):
    sealed = _sealed(3 * BATCH * CHUNK_SIZE + 10)
    with pytest.raises(AgePayloadError):
        stream.decrypt(AEAD, Source(io.BytesIO(sealed[:cut])), lambda view: None, batch_chunks=BATCH)


def test_an_empty_final_chunk_after_a_full_batch_fails():
    sealed = _sealed(BATCH * CHUNK_SIZE)
    forged = sealed + bytes(TAG_SIZE)
    with pytest.raises(AgePayloadError):
        stream.decrypt(AEAD, Source(io.BytesIO(forged)), lambda view: None, batch_chunks=BATCH)


class _FailingReader(io.RawIOBase):
    """Serves ``good`` bytes, then fails as a broken medium would."""

    def __init__(self, good: bytes) -> None:
        self._data = io.BytesIO(good)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._data.readinto(buffer)
        if n == 0:
            raise OSError(5, "Input/output error")
        return n


def test_a_read_error_on_the_reader_thread_reaches_the_caller():
    sealed = _sealed(5 * BATCH * CHUNK_SIZE)
    with pytest.raises(OSError, match="Input/output"):
        stream.decrypt(AEAD, Source(_FailingReader(sealed[: 3 * BATCH * ENCRYPTED_CHUNK_SIZE])), lambda v: None,
                       batch_chunks=BATCH)


class _EndlessPipe(io.RawIOBase):
    """A pipe whose writer stalls forever after some tampered bytes."""

    def __init__(self, first: bytes) -> None:
        self._first = io.BytesIO(first)
        self.release = threading.Event()
        self.gave_up = False  # set if nobody released the stall: the caller waited on it

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._first.readinto(buffer)
        if n:
            return n
        if not self.release.wait(30):
            self.gave_up = True
        return 0


def test_a_failure_does_not_wait_for_a_stalled_reader():
    sealed = bytearray(_sealed(4 * BATCH * CHUNK_SIZE))
    sealed[10] ^= 1  # the first batch fails to authenticate
    pipe = _EndlessPipe(bytes(sealed[: 3 * BATCH * ENCRYPTED_CHUNK_SIZE]))
    try:
        with pytest.raises(AgePayloadError):
            stream.decrypt(AEAD, Source(pipe), lambda view: None, batch_chunks=BATCH)
        assert not pipe.gave_up  # decrypt returned while the reader was still blocked
    finally:
        pipe.release.set()


def test_small_inputs_start_no_reader_thread():
    reader = ReadAhead(Source(io.BytesIO(b"x" * 100)), 1024)
    before = threading.active_count()
    buffer, filled = reader.next()
    assert (bytes(buffer[:filled]), threading.active_count()) == (b"x" * 100, before)
    reader.close()


def test_many_small_groups_are_walked_in_one_pass_over_their_bytes():
    """Each byte is looked at a bounded number of times, however many groups share a block."""
    scanned = [0]

    class Tally(bytes):
        def count(self, sub, start, end):
            scanned[0] += end - start
            return super().count(sub, start, end)

        def find(self, sub, start, end):
            hit = super().find(sub, start, end)
            scanned[0] += (hit if hit >= 0 else end) - start
            return hit

    counts = [3, 0, 1500, 7, 2, 1100, 1] * 40
    data = b"".join(b"%05d,ROW\r\n" % i * c for i, c in enumerate(counts))

    def read(position, size):
        block = Tally(data[position : position + size])
        return block, len(block)

    spans = rows.walk_groups(read, 0, len(data), counts)
    assert spans[-1][1] == len(data)
    assert scanned[0] <= 4 * len(data)
