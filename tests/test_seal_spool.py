"""seal's row spool: rows regrouped per insurer from scratch files give exactly the bytes and hashes
of the rows held in memory, whatever the order, the newline and the size of the copy blocks."""

from __future__ import annotations

import datetime as dt
import io
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.chain import spool as spool_module
from secxfer.chain.package import receive
from secxfer.chain.provenance import rows_digest
from secxfer.chain.seal import seal_without_trail as seal
from secxfer.chain.spool import RowSpool
from secxfer.chain.verify import ANNEX_FILES
from secxfer.domain.sample import generate_sample
from secxfer.domain.validate import read_annex
from secxfer.testing.network import build_network

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
    real_read_into, real_pread = spool_module.Positional.read_into, spool_module.os.pread
    monkeypatch.setattr(spool_module.Positional, "read_into",
                        lambda self, view, at: reads.append(len(view)) or real_read_into(self, view, at))
    monkeypatch.setattr(spool_module.os, "pread", lambda fd, n, at: reads.append(n) or real_pread(fd, n, at))
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


@pytest.mark.parametrize("block", [1 << 20, 7])
def test_a_spool_cut_short_under_it_is_an_error_not_short_data(monkeypatch, block):
    monkeypatch.setattr(spool_module, "COPY_BLOCK", block)
    with tempfile.TemporaryFile() as scratch:
        spool = RowSpool(scratch)
        spool.add("131016", b"a" * 100)
        scratch.flush()
        scratch.truncate(10)
        with pytest.raises(spool_module.OperationalError, match="shorter"):
            spool.regroup(["131016"], b"\r\n", io.BytesIO())


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_a_sealed_data_file_is_the_accepted_rows_grouped_by_insurer(tmp_path, newline):
    """What seal spools and regroups is what grouping the rows held in memory gives, for a month
    of CRLF files and one of LF files, withheld rows left out."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    codes = ["011002", "131016", "131024", "141003"]
    network = build_network(tmp_path / "net", insurer_codes=codes, without_consent=["131024"], now=now)
    sample = generate_sample(tmp_path / "source", period="2026-10", rows=3000, seed=11, insurers=codes)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    for path in files.values():
        path.write_bytes(path.read_bytes().replace(b"\r\n", newline))
    sealed = seal(annex_files=files, period="2026-10", key=network.secrets["agency"],
                  home=network.workdir / "homes" / "agency", out=tmp_path / "media", now=now)
    covered = sorted(set(codes) - {"131024"})
    with receive(sealed.package.path, me=network.secrets["central"], home=network.workdir / "homes" / "central",
                 now=now) as received:
        for annex, name in ANNEX_FILES.items():
            with files[annex].open("rb") as handle:
                reading = read_annex(handle, annex=annex, period="2026-10")
            prefix = reading.bom + (reading.header + reading.newline if reading.header is not None else b"")
            expected = prefix + b"".join(row.raw + newline for code in covered for row in reading.rows
                                         if row.insurer == code)
            assert received.data(name) == expected
    assert sealed.withheld["131024"].total > 0 and "131024" not in sealed.per_insurer
