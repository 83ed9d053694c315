"""seal's row spool: rows regrouped per insurer from scratch files give exactly the bytes and hashes
of the rows held in memory, whatever the order, the newline and the size of the copy blocks."""

from __future__ import annotations

import io
import random
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.chain import spool as spool_module
from secxfer.chain.provenance import rows_digest
from secxfer.chain.spool import RowSpool

CODES = ["011002", "131016", "131024", "141003"]
# A row is what lies between two line ends: any bytes but LF (a bare CR included, also at its end).
row_bytes = st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"x"))


def _expected(rows: list[tuple[str, bytes]], codes: list[str], newline: bytes) -> tuple[bytes, list[tuple[int, bytes]]]:
    data, results = b"", []
    for code in codes:
        group = b"".join(raw + newline for insurer, raw in rows if insurer == code)
        data += group
        results.append((sum(1 for insurer, _ in rows if insurer == code), rows_digest(group)))
    return data, results


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(CODES), row_bytes), max_size=40),
    covered=st.lists(st.sampled_from(CODES + ["271004"]), unique=True).map(sorted),
    newline=st.sampled_from([b"\r\n", b"\n"]),
    block=st.integers(1, 64),
)
def test_regrouped_rows_are_the_rows_held_in_memory(rows, covered, newline, block):
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryFile() as scratch:
        patch.setattr(spool_module, "COPY_BLOCK", block)  # pieces cut anywhere, a CR LF pair too
        spool = RowSpool(scratch)
        for insurer, raw in rows:
            spool.add(insurer, raw)
        target = io.BytesIO()
        results = spool.regroup(covered, newline, target)
        counts = spool.counts()
    data, expected = _expected(rows, covered, newline)
    assert target.getvalue() == data and results == expected
    assert counts == {code: n for code in CODES if (n := sum(1 for c, _ in rows if c == code))}


def test_rows_of_one_insurer_that_lie_together_are_read_in_one_piece(monkeypatch):
    reads = []
    real_read_into = spool_module.Positional.read_into
    monkeypatch.setattr(spool_module.Positional, "read_into",
                        lambda self, view, at: reads.append(len(view)) or real_read_into(self, view, at))
    rng = random.Random(3)
    rows = [("131016", bytes(rng.randrange(65, 90) for _ in range(20))) for _ in range(500)]
    rows += [("141003", b"y" * 20)] + [("131016", b"z" * 20)]
    with tempfile.TemporaryFile() as scratch:
        spool = RowSpool(scratch)
        for insurer, raw in rows:
            spool.add(insurer, raw)
        target = io.BytesIO()
        spool.regroup(["131016", "141003"], b"\r\n", target)
    assert target.getvalue() == _expected(rows, ["131016", "141003"], b"\r\n")[0]
    assert len(reads) == 3  # 500 neighbours, the one after the other insurer's row, that row


def test_a_spool_cut_short_under_it_is_an_error_not_short_data():
    with tempfile.TemporaryFile() as scratch:
        spool = RowSpool(scratch)
        spool.add("131016", b"a" * 100)
        scratch.flush()
        scratch.truncate(10)
        with pytest.raises(spool_module.OperationalError, match="shorter"):
            spool.regroup(["131016"], b"\r\n", io.BytesIO())
