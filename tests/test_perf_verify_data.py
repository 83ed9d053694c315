"""Row groups hashed beside the row counting: the same verdicts as hashed inline."""

from __future__ import annotations

import hashlib
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
        entries[name] = SimpleNamespace(offset=len(buffer), size=len(data), data=None, sha256=None)
        buffer += data
        files.append(SimpleNamespace(name=name, annex=annex, size=len(data), sha256=hashlib.sha256(data).digest(),
                                     rows=sum(len(g) for g in groups[annex - 1])))
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


def _hash_from(entries, buffer) -> None:
    """Each data file's hash as receive takes it: of the bytes as they lie (altered or not)."""
    for entry in entries.values():
        entry.sha256 = hashlib.sha256(bytes(buffer[entry.offset : entry.offset + entry.size])).digest()


def _verdict(buffer, entries, manifest, commitment, leaves, beside: bool, monkeypatch):
    monkeypatch.setattr(datacheck, "HASH_BESIDE_MIN_BYTES", 0 if beside else 1 << 60)
    monkeypatch.setattr(rows, "BLOCK", 5)  # groups and CRLF pairs across block edges, several blocks in the ring
    _hash_from(entries, buffer)
    try:
        return verify_data(Positional(io.BytesIO(bytes(buffer))), entries, manifest, commitment, leaves)
    except ProvenanceError as error:
        return str(error).split(":")[0].split(" differs")[0]


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
            assert isinstance(inline, tuple) and inline == beside
        else:
            # the altered file is named whichever way the hash was taken
            assert inline == beside == ANNEX_FILES[flip[0] + 1]


def test_a_file_whose_hash_differs_is_the_finding_even_when_its_rows_fail_first(monkeypatch):
    buffer, entries, manifest, commitment, leaves = _package([[[b"a", b"b"]], [[b"c"]], [[]]])
    start = entries["annex1.csv"].offset + len(PREFIX)
    buffer[start : start + 3] = b"a\nb"  # a row end lost: the row count fails, and so does the hash
    monkeypatch.setattr(datacheck, "HASH_BESIDE_MIN_BYTES", 0)
    _hash_from(entries, buffer)
    with pytest.raises(ProvenanceError, match="annex1.csv differs from what the sender's manifest states"):
        verify_data(Positional(io.BytesIO(bytes(buffer))), entries, manifest, commitment, leaves)


def test_a_failing_hash_thread_is_reported_not_lost(monkeypatch):
    buffer, entries, manifest, commitment, leaves = _package([[[b"a"]], [[b"c"]], [[b"d"]]])
    monkeypatch.setattr(datacheck, "HASH_BESIDE_MIN_BYTES", 0)
    _hash_from(entries, buffer)

    def broken(_block, _work):
        raise MemoryError("no memory for the hash")

    monkeypatch.setattr(datacheck, "_update", broken)
    with pytest.raises(MemoryError):
        verify_data(Positional(io.BytesIO(bytes(buffer))), entries, manifest, commitment, leaves)


@settings(max_examples=40, deadline=None)
@given(
    groups=st.lists(st.tuples(rows_st, rows_st, rows_st), min_size=1, max_size=5),
    owners=st.lists(st.integers(-1, 2), min_size=5, max_size=5),
    beside=st.booleans(),
)
def test_a_relays_output_files_are_hashed_in_the_same_pass(groups, owners, beside):
    """Each output's data file (the header, then its leaves' groups in order) hashes as written out."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        by_annex = [[list(g[a]) for g in groups] for a in range(3)]
        buffer, entries, manifest, commitment, leaves = _package(by_annex)
        split = [[p for p in range(len(groups)) if owners[p] == out] for out in range(3)]  # -1: held back
        monkeypatch.setattr(datacheck, "HASH_BESIDE_MIN_BYTES", 0 if beside else 1 << 60)
        monkeypatch.setattr(rows, "BLOCK", 5)
        _hash_from(entries, buffer)
        spans, hashed = verify_data(Positional(io.BytesIO(bytes(buffer))), entries, manifest, commitment, leaves, split)
        for out, positions in enumerate(split):
            for annex in (1, 2, 3):
                body = b"".join(bytes(buffer[lo:hi]) for lo, hi in (spans[annex][p] for p in positions))
                assert hashed[out][annex] == hashlib.sha256(PREFIX + body).digest()


def test_a_leaf_given_to_two_outputs_is_a_programming_error():
    buffer, entries, manifest, commitment, leaves = _package([[[b"a"]], [[b"c"]], [[b"d"]]])
    _hash_from(entries, buffer)
    with pytest.raises(ValueError):
        verify_data(Positional(io.BytesIO(bytes(buffer))), entries, manifest, commitment, leaves, [[0], [0]])
