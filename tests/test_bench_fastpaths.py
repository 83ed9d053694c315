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
    # Blocks of a few bytes put row boundaries, and CRLF pairs, across block edges
    # (the same constants for every generated example, so sharing the fixture is fine).
    monkeypatch.setattr(rows, "_BLOCK", 7)
    monkeypatch.setattr(rows, "_MANY_ROWS", 2)


row_text = st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"x"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(row_text, max_size=40),
    newline=st.sampled_from([b"\r\n", b"\n"]),
    counts=st.lists(st.integers(0, 25), max_size=6),
    junk=st.binary(max_size=3),
    as_mmap=st.booleans(),
)
def test_block_counting_matches_row_by_row(tiny_blocks, data, newline, counts, junk, as_mmap):
    body = b"".join(r.replace(newline, b"y") + newline for r in data) + junk  # junk: a torn last row, stray CR
    buffer = b"HEADER" + body + b"TRAILER"
    start, end = 6, 6 + len(body)
    target = buffer
    if as_mmap:
        target = mmap.mmap(-1, len(buffer))
        target.write(buffer)
    assert _outcome(rows.group_spans, target, start, end, newline, counts) == _outcome(
        _reference_spans, buffer, start, end, newline, counts
    )


def test_a_big_group_is_found_exactly():
    data = b"".join(b"%06d,ROW\r\n" % i for i in range(50_000))
    spans = rows.group_spans(data, 0, len(data), b"\r\n", [10_000, 0, 39_999, 1])
    assert spans == [(0, 120_000), (120_000, 120_000), (120_000, 599_988), (599_988, 600_000)]
    with pytest.raises(ProvenanceError):
        rows.group_spans(data, 0, len(data), b"\r\n", [50_001])
    with pytest.raises(ProvenanceError):
        rows.group_spans(data, 0, len(data), b"\r\n", [49_999])
