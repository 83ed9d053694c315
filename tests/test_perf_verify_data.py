"""Row groups hashed beside the row counting: the same verdicts as hashed inline, and
every altered byte refused, naming its file."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.chain import datacheck, rows
from secxfer.chain.provenance import rows_digest
from secxfer.chain.datacheck import Positional, verify_data
from secxfer.chain.verify import ANNEX_FILES
from secxfer.errors import ProvenanceError

PREFIX = b"\xef\xbb\xbfh1,h2\r\n"
rows_st = st.lists(st.binary(min_size=1, max_size=12).map(lambda b: b.replace(b"\r", b"r").replace(b"\n", b"n")), max_size=6)


def _package(groups: list[list[list[bytes]]]):
    """A container-like buffer with three data files; ``groups[annex][insurer]`` are rows."""
    buffer = bytearray(b"container-head")
    entries, files = {}, []
    for annex, name in ANNEX_FILES.items():
        body = b"".join(b"".join(r + b"\r\n" for r in group) for group in groups[annex - 1])
        data = PREFIX + body
        entries[name] = SimpleNamespace(offset=len(buffer), size=len(data), data=None)
        buffer += data
        files.append(SimpleNamespace(name=name, annex=annex, size=len(data), rows=sum(len(g) for g in groups[annex - 1])))
    leaves = [
        SimpleNamespace(leaf=SimpleNamespace(
            code=f"{i:06d}",
            rows=tuple(len(groups[a][i]) for a in range(3)),
            rows_sha256=tuple(rows_digest(b"".join(r + b"\r\n" for r in groups[a][i])) for a in range(3)),
        ))
        for i in range(len(groups[0]))
    ]
    commitment = SimpleNamespace(newlines=("crlf",) * 3, prefixes=(PREFIX,) * 3)
    return buffer, entries, SimpleNamespace(files=tuple(files)), commitment, leaves


def _verdict(buffer, entries, manifest, commitment, leaves, beside: bool, monkeypatch):
    monkeypatch.setattr(datacheck, "HASH_BESIDE_MIN_BYTES", 0 if beside else 1 << 60)
    monkeypatch.setattr(rows, "BLOCK", 5)  # groups and CRLF pairs across block edges, several blocks in the ring
    try:
        return verify_data(Positional(io.BytesIO(bytes(buffer))), entries, manifest, commitment, leaves)
    except ProvenanceError as error:
        return str(error).split(":")[0]


@settings(max_examples=60, deadline=None)
@given(
    groups=st.lists(st.tuples(rows_st, rows_st, rows_st), min_size=1, max_size=4),
    flip=st.one_of(st.none(), st.tuples(st.integers(0, 2), st.integers(0, 10_000))),
)
def test_beside_and_inline_agree_and_any_flipped_byte_is_refused(groups, flip):
    with pytest.MonkeyPatch.context() as monkeypatch:
        by_annex = [[list(g[a]) for g in groups] for a in range(3)]
        buffer, entries, manifest, commitment, leaves = _package(by_annex)
        if flip is not None:
            entry = entries[ANNEX_FILES[flip[0] + 1]]
            at = entry.offset + flip[1] % entry.size
            buffer[at] ^= 0x40
        inline = _verdict(buffer, entries, manifest, commitment, leaves, False, monkeypatch)
        beside = _verdict(buffer, entries, manifest, commitment, leaves, True, monkeypatch)
        if flip is None:
            assert isinstance(inline, dict) and inline == beside
        else:
            # the altered file is named whichever way the hash was taken, a row end lost or added too
            assert inline == beside == ANNEX_FILES[flip[0] + 1]


@pytest.mark.parametrize(("rows_as_sent", "finding"), [
    (b"a\r\rb\r\n", "annex1.csv: a data file holds fewer rows than its manifest says"),  # a row end lost
    (b"a\r\nb\n\n", "annex1.csv: a data file holds more bytes than its committed rows"),  # one added
    (b"a\n\rb\r\n", "annex1.csv: rows for 000000 differ from what the agency sealed"),  # same count, CR moved
])
def test_a_changed_row_end_is_refused_naming_the_file(monkeypatch, rows_as_sent, finding):
    buffer, entries, manifest, commitment, leaves = _package([[[b"a", b"b"]], [[b"c"]], [[]]])
    start = entries["annex1.csv"].offset + len(PREFIX)
    assert buffer[start : start + len(rows_as_sent)] == b"a\r\nb\r\n"
    buffer[start : start + len(rows_as_sent)] = rows_as_sent
    monkeypatch.setattr(datacheck, "HASH_BESIDE_MIN_BYTES", 0)
    with pytest.raises(ProvenanceError) as refused:
        verify_data(Positional(io.BytesIO(bytes(buffer))), entries, manifest, commitment, leaves)
    assert str(refused.value) == finding


def test_a_failing_hash_thread_is_reported_not_lost(monkeypatch):
    buffer, entries, manifest, commitment, leaves = _package([[[b"a"]], [[b"c"]], [[b"d"]]])
    monkeypatch.setattr(datacheck, "HASH_BESIDE_MIN_BYTES", 0)

    def broken(_block, _work):
        raise MemoryError("no memory for the hash")

    monkeypatch.setattr(datacheck, "_update", broken)
    with pytest.raises(MemoryError):
        verify_data(Positional(io.BytesIO(bytes(buffer))), entries, manifest, commitment, leaves)
