"""The officer's workbook: codes as text, real dates, one form of sex, names unchanged, never a formula."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from secxfer.domain.annex import ANNEXES
from secxfer.domain.workbook import AnnexFile, WorkbookFacts, build_workbook, workbook_name

openpyxl = pytest.importorskip("openpyxl")

FACTS = WorkbookFacts(period="2026-10", recipient_id="mun-012131", recipient_name="苫小牧市",
                      profile="default", rehearsal=False)


def csv(annex: int, *rows: str) -> bytes:
    return "".join(line + "\r\n" for line in (ANNEXES[annex].header, *rows)).encode("cp932")


def three(rows1=(), rows2=(), rows3=()) -> list[AnnexFile]:
    return [AnnexFile(1, csv(1, *rows1)), AnnexFile(2, csv(2, *rows2)), AnnexFile(3, csv(3, *rows3))]


def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_codes_stay_text_dates_become_dates_and_sex_is_one_form():
    rows = (
        "NGUYEN VAN ANH,012131,北海道苫小牧市旭町1-1,1,19950101,20261005",
        "TRAN THI BINH,01213,北海道苫小牧市旭町2-2,女,1998/03/12,R081006",
        "SMITH JOHN PAUL ALEXANDER MAXIMILIAN,012131,北海道苫小牧市旭町3-3,M,H100401,5081007",
    )
    book = load(build_workbook(three(rows1=rows), FACTS))
    assert book.sheetnames == ["表紙", "別紙1", "別紙2", "別紙3"]
    sheet = book["別紙1"]
    header = [cell.value for cell in sheet[1]]
    assert header[1] == "氏名(英字)" and header[9] == "入国年月日(上陸年月日)"
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [v[1] for v in values] == ["NGUYEN VAN ANH", "TRAN THI BINH", "SMITH JOHN PAUL ALEXANDER MAXIMILIAN"]
    assert [v[2] for v in values] == ["012131", "012131", "012131"]  # the lost leading zero is restored, as text
    assert all(sheet.cell(row=r, column=3).data_type == "s" for r in (2, 3, 4))
    assert [v[3] for v in values] == ["苫小牧市"] * 3 and [v[5] for v in values] == ["苫小牧市"] * 3
    assert [v[7] for v in values] == ["男", "女", "男"]
    assert [v[8] for v in values] == [dt.datetime(1995, 1, 1), dt.datetime(1998, 3, 12), dt.datetime(1998, 4, 1)]
    assert [v[9] for v in values] == [dt.datetime(2026, 10, 5), dt.datetime(2026, 10, 6), dt.datetime(2026, 10, 7)]


def test_a_ward_names_ward_and_city():
    book = load(build_workbook(three(rows2=("LE VAN C,141011,横浜市鶴見区鶴見1-1,2,20000101,20261001",)), FACTS))
    row = [cell.value for cell in book["別紙2"][2]]
    assert row[2:6] == ["141011", "横浜市鶴見区", "141003", "横浜市"]


def test_text_that_looks_like_a_formula_is_never_a_formula():
    # Validation refuses such cells; a row that still arrives is shown as text, never evaluated.
    book = load(build_workbook(three(rows3=("=1+1,131016,x,1,19950101,20261005",)), FACTS))
    cell = book["別紙3"]["B2"]
    assert cell.data_type == "s" and str(cell.value).startswith("=1+1")
    assert "読み取れない行" in book["別紙3"]["K2"].value
    cover = "\n".join(str(c.value) for row in book["表紙"].iter_rows() for c in row if c.value)
    assert "読み取れない行が 1 行あります" in cover


def test_the_cover_sheet_states_period_municipality_counts_and_use_limits():
    rehearsal = WorkbookFacts(**{**FACTS.__dict__, "rehearsal": True})
    book = load(build_workbook(three(rows1=("A B,012131,x,1,19950101,20261005",)), rehearsal))
    cover = "\n".join(str(c.value) for row in book["表紙"].iter_rows() for c in row if c.value)
    for expected in ("2026-10", "苫小牧市(mun-012131)", "試験", "1 行", "0 行", "加入促進の目的にのみ", "第三者に提供"):
        assert expected in cover


def test_equal_input_gives_equal_bytes_whatever_the_clock():
    # A rerun of an interrupted open recognises its own output only if the bytes repeat.
    import zipfile

    files = three(rows1=("A B,012131,x,1,19950101,20261005",))
    data = build_workbook(files, FACTS)
    assert data == build_workbook(files, FACTS)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    core = archive.read("docProps/core.xml").decode()
    assert str(dt.date.today().year) not in core and core.count("2000-01-01T00:00:00Z") == 2


def test_the_name_carries_period_and_municipality_and_suits_fat_media():
    assert workbook_name("2026-10", "mun-131016", "千代田区") == "2026-10_mun-131016_千代田区_特定技能.xlsx"
    assert workbook_name("2026-10", "mun-1", 'a<b>:"/\\|?*') == "2026-10_mun-1_a_b" + "_" * 9 + "特定技能.xlsx"


def test_text_xml_cannot_carry_is_escaped_and_markup_stays_text():
    from secxfer.domain.xlsx import escape

    assert escape("a&b<c>\"d\"") == "a&amp;b&lt;c&gt;&quot;d&quot;"
    assert escape("x\x01y\x1fz\ufffe") == "x_x0001_y_x001F_z_xFFFE_"
    assert escape("literal _x0041_ stays") == "literal _x005F_x0041_ stays"  # not read back as "A"
    assert escape("cr\rlf\n\ttab") == "cr&#13;lf\n\ttab"


def test_a_hostile_unread_line_still_makes_a_readable_workbook():
    # A line the reader cannot read is shown raw; markup and control characters must not break the file.
    raw = '</t></is></c><c r="Z9"><f>1+1</f></c>,\x01,x'
    book = load(build_workbook(three(rows1=(raw,)), FACTS))
    sheet = book["別紙1"]
    assert sheet["B2"].data_type == "s" and sheet["B2"].value.startswith("</t></is></c><c r=")
    assert sheet["Z9"].value is None and "読み取れない行" in sheet["K2"].value
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_header_bold_first_row_frozen_dates_and_text_formats():
    book = load(build_workbook(three(rows1=("A B,012131,x,1,19950101,20261005",)), FACTS))
    sheet = book["別紙1"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b and not sheet["B2"].font.b
    assert sheet["C2"].number_format == "@" and sheet["I2"].number_format == "yyyy/mm/dd"
    assert sheet["A2"].value == 2 and sheet["A2"].data_type == "n"
    assert sheet.column_dimensions["G"].width == 40 and book["表紙"]["A1"].font.sz == 14
    assert book["表紙"]["B3"].alignment.wrap_text
