"""The workbook's one-pass reading of clean files gives the same bytes as the general reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from secxfer.domain import workbook
from secxfer.domain.annex import ANNEXES
from secxfer.domain.sample import generate_sample
from secxfer.domain.workbook import AnnexFile, WorkbookFacts, build_workbook

FACTS = WorkbookFacts(period="2026-10", recipient_id="mun-012131", recipient_name="苫小牧市",
                      profile="default", rehearsal=False)


def general(files, facts=FACTS) -> bytes:
    """The workbook read the general way only (validation of the file, then each row)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workbook, "_clean_reader", lambda profile: None)
        return build_workbook(files, facts)


def sample_files(tmp_path: Path, **options) -> list[AnnexFile]:
    sample = generate_sample(tmp_path, period="2026-10", seed=11, **options)
    return [AnnexFile(n, Path(f).read_bytes()) for n, f in enumerate(sample.files, start=1)]


def read_by(monkeypatch, files, facts=FACTS) -> tuple[bytes, list[str]]:
    """The workbook's bytes and which files took the one-pass reading."""
    fast: list[str] = []
    original = workbook._clean_rows

    def spy(annex_file, clean):
        found = original(annex_file, clean)
        fast.append("fast" if found is not None else "general")
        return found

    monkeypatch.setattr(workbook, "_clean_rows", spy)
    return build_workbook(files, facts), fast


@pytest.mark.parametrize("encoding", ["cp932", "utf-8"])
def test_a_clean_month_takes_one_pass_and_gives_the_same_bytes(tmp_path, monkeypatch, encoding):
    files = sample_files(tmp_path, rows=400, encoding=encoding)
    data, paths = read_by(monkeypatch, files, FACTS if encoding == "cp932" else
                          WorkbookFacts(**{**FACTS.__dict__, "profile": "utf-8"}))
    assert paths == ["fast"] * 3
    assert data == general(files, FACTS if encoding == "cp932" else WorkbookFacts(**{**FACTS.__dict__, "profile": "utf-8"}))


def test_rows_with_problems_send_their_file_the_general_way(tmp_path, monkeypatch):
    files = sample_files(tmp_path, rows=300, invalid=30)
    data, paths = read_by(monkeypatch, files)
    assert "general" in paths
    assert data == general(files)


def csv(annex: int, *rows: str, newline: str = "\r\n", bom: bool = False) -> bytes:
    text = "".join(line + newline for line in (ANNEXES[annex].header, *rows))
    return (b"\xef\xbb\xbf" + text.encode("utf-8")) if bom else text.encode("cp932")


CLEAN = "NGUYEN VAN ANH,012131,北海道苫小牧市旭町1-1,1,19950101,20261005"


@pytest.mark.parametrize("accepted", [
    "TRAN THI BINH,01213,北海道苫小牧市旭町2-2,女,1998/03/12,R081006",  # a 5-digit code: a note
    "LE VAN C,141011,横浜市鶴見区鶴見1-1,2,20000101,20261001",  # a ward code: a per-file note
    "A B,012131,x,M,H100401,20261005",  # an era date: a note
    '"A B",012131,x,1,19950101,20261005',  # quoted
    "Ａ Ｂ,０１２１３１,x,Ｍ,１９９５／０１／０１,20261005",  # full-width
])
def test_a_row_the_fast_path_leaves_is_read_the_general_way_alone(monkeypatch, accepted):
    files = [AnnexFile(1, csv(1, CLEAN, accepted, CLEAN)), AnnexFile(2, csv(2, CLEAN)), AnnexFile(3, csv(3))]
    data, paths = read_by(monkeypatch, files)
    assert paths == ["fast"] * 3
    assert data == general(files)


@pytest.mark.parametrize("odd", [
    "=1+1,131016,x,1,19950101,20261005",  # a formula cell: rejected, shown raw
    "A B,012131,x\nC,1,19950101,20261005",  # a bare LF inside a CRLF file: mixed line ends
    "A B,012131,x\rC,1,19950101,20261005",  # a lone CR
    "",  # an empty line
    "A B,012131," + "x" * 5000 + ",1,19950101,20261005",  # overlong
    "A B,012131,x,9,19950101,20261005",  # unknown sex
    "A B,999999,x,1,19950101,20261005",  # unknown code
])
def test_an_odd_row_anywhere_gives_the_general_reading(monkeypatch, odd):
    files = [AnnexFile(1, csv(1, CLEAN, odd, CLEAN)), AnnexFile(2, csv(2, CLEAN)), AnnexFile(3, csv(3))]
    data, paths = read_by(monkeypatch, files)
    assert paths[0] == "general" and paths[1:] == ["fast", "fast"]
    assert data == general(files)


@pytest.mark.parametrize("variant", [
    {"newline": "\n"}, {"bom": True},
])
def test_line_ends_and_byte_order_marks_read_alike(monkeypatch, variant):
    files = [AnnexFile(n, csv(n, CLEAN, CLEAN, **variant)) for n in (1, 2, 3)]
    data, paths = read_by(monkeypatch, files)
    assert paths == ["fast"] * 3
    assert data == general(files)


@pytest.mark.parametrize("head", [
    b"", ANNEXES[2].header.encode("cp932") + b"\r\n",  # no header; another annex's header
])
def test_a_file_whose_header_is_not_plain_gives_the_general_reading(monkeypatch, head):
    rows = (CLEAN + "\r\n").encode("cp932")
    files = [AnnexFile(1, head + rows), AnnexFile(2, csv(2)), AnnexFile(3, csv(3))]
    data, paths = read_by(monkeypatch, files)
    assert paths[0] == "general"
    assert data == general(files)


def test_a_file_without_a_final_line_end_reads_alike(monkeypatch):
    files = [AnnexFile(1, csv(1, CLEAN, CLEAN)[:-2]), AnnexFile(2, csv(2)), AnnexFile(3, csv(3)[:-2])]
    data, paths = read_by(monkeypatch, files)
    assert paths == ["fast"] * 3
    assert data == general(files)


def test_a_header_read_before_is_known_by_its_exact_bytes_only(monkeypatch):
    good = [AnnexFile(n, csv(n, CLEAN)) for n in (1, 2, 3)]
    assert read_by(monkeypatch, good)[1] == ["fast"] * 3  # the three headers are now known
    altered = bytearray(good[0].data)
    altered[0:2] = "姓".encode("cp932")  # the header's first cell changed, same length
    files = [AnnexFile(1, bytes(altered)), *good[1:]]
    data, paths = read_by(monkeypatch, files)
    assert paths[0] == "general" and data == general(files)
