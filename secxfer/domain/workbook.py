"""An Excel workbook a municipal officer can use, made from the verified annex CSVs.

The CSVs stay the evidence, byte for byte; the workbook is a reading of them for
people: one sheet per 別紙 with codes as text (012131 keeps its zero), dates as real
dates whatever form the agency wrote (8 digits, slashes, Japanese era), sex as 男/女,
the names of the residence and of the insurer, and a cover sheet with the period, the
municipality, the row counts and the use limits of the agreement.

Security properties: a cell is never a formula (every text cell is typed as a
string, so ``=1+1`` stays text); names and addresses are copied as read, never
altered; a row that cannot be read is shown as its raw text and counted on the
cover sheet, never dropped. The bytes are deterministic for the same input (fixed
document and archive times), so a rerun of an interrupted open recognises its own
output.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from secxfer.domain.annex import get_annex
from secxfer.domain.errors import CodeError
from secxfer.domain.municipalities import lookup
from secxfer.domain.profiles import Sex
from secxfer.domain.validate import AnnexRejectedError, read_annex, read_record
from secxfer.domain.xlsx import BOLD, TITLE, WRAPPED, Sheet, Styled, write_xlsx

WORKBOOK_SUFFIX = ".xlsx"
SEX_JA = {Sex.MALE: "男", Sex.FEMALE: "女"}
USE_LIMITS_JA = (
    "このデータは国民健康保険の加入促進の目的にのみ利用してください。",
    "第三者に提供してはいけません(委託事業者を除く)。",
    "機密性を保持してください。媒体や共有フォルダに平文のまま残さないでください。",
    "根拠: 特定技能外国人に係る情報の提供に関する確認書(入管庁管第1370号/保発0319第5号/国保中発第115号、2020-03-19)",
)
COLUMNS = ("行", "氏名(英字)", "住居地コード", "住居地の市区町村", "保険者コード", "保険者", "住居地", "性別", "生年月日")
_WIDTHS = (6, 36, 12, 20, 12, 16, 40, 6, 12, 14, 24)


@dataclass(frozen=True)
class AnnexFile:
    """One verified annex CSV as received: its number and exact bytes."""

    annex: int
    data: bytes


@dataclass(frozen=True)
class WorkbookFacts:
    """What the cover sheet states about the delivery."""

    period: str
    recipient_id: str
    recipient_name: str
    profile: str
    rehearsal: bool


def workbook_name(period: str, recipient_id: str, recipient_name: str) -> str:
    """``2026-10_mun-131016_千代田区_特定技能.xlsx``: period and municipality in the name.

    Only characters that FAT, exFAT and Windows accept (the name comes from the
    directory and the period, both checked formats; anything else becomes ``_``).
    """
    raw = f"{period}_{recipient_id}_{recipient_name}_特定技能"
    safe = "".join("_" if ch in '<>:"/\\|?*' or ord(ch) < 32 else ch for ch in raw).strip(" .")
    return safe[:100] + WORKBOOK_SUFFIX


def build_workbook(files: Sequence[AnnexFile], facts: WorkbookFacts) -> bytes:
    """The workbook's bytes for ``files`` (the three verified annex CSVs)."""
    sheets: list[Sheet] = []
    unread_total = 0
    counts: list[tuple[str, int]] = []
    for annex_file in sorted(files, key=lambda f: f.annex):
        annex = get_annex(annex_file.annex)
        rows, unread = _annex_rows(annex_file, facts.profile)
        unread_total += unread
        counts.append((annex.title, len(rows)))
        sheet = Sheet(f"別紙{annex.number}", widths=_WIDTHS, freeze_header=True)
        sheet.rows.append([Styled(title, BOLD) for title in (*COLUMNS, annex.event.label, "備考")])
        sheet.rows.extend(rows)  # each cell styled by its type: text, date or row number
        sheets.append(sheet)
    return write_xlsx([_cover(facts, counts, unread_total), *sheets])


def _annex_rows(annex_file: AnnexFile, profile: str) -> tuple[list[tuple], int]:
    """Each line after the header as cell values; unreadable lines as their raw text."""
    reading = read_annex(annex_file.data, annex=annex_file.annex, period=None, profile=profile)
    accepted = {row.line: row for row in reading.rows}
    text = annex_file.data.removeprefix(reading.bom).decode(reading.encoding, "replace")
    lines = text.split(reading.newline.decode())
    if lines and lines[-1] == "":
        lines.pop()
    first = 2 if reading.header is not None else 1
    rows: list[tuple] = []
    unread = 0
    for number in range(first, len(lines) + 1):
        row = accepted.get(number)
        if row is None:
            if lines[number - 1].strip():
                rows.append((number, lines[number - 1], *([None] * 8), "読み取れない行(元のCSVを確認)"))
                unread += 1
            continue
        try:
            record = read_record(reading, row)
        except AnnexRejectedError:
            rows.append((number, lines[number - 1], *([None] * 8), "読み取れない行(元のCSVを確認)"))
            unread += 1
            continue
        rows.append((
            number, record.name, record.residence_code, _name_of(record.residence_code), row.insurer,
            _name_of(row.insurer), record.address, SEX_JA[record.sex], record.birth_date, record.event_date, None,
        ))
    return rows, unread


@functools.lru_cache(maxsize=4096)  # the code table is fixed; a month repeats a few codes many times
def _name_of(code: str) -> str | None:
    try:
        return lookup(code).name
    except CodeError:
        return None


def _cover(facts: WorkbookFacts, counts, unread: int) -> Sheet:
    lines: list[tuple[str, str]] = [
        ("特定技能外国人に係る情報", ""),
        ("対象期間", facts.period),
        ("提供先", f"{facts.recipient_name}({facts.recipient_id})"),
    ]
    if facts.rehearsal:
        lines.insert(1, ("試験(リハーサル)", "これは試験の提供です。本番のデータとして扱わないでください。"))
    lines += [(title, f"{rows} 行") for title, rows in counts]
    if unread:
        lines.append(("注意", f"読み取れない行が {unread} 行あります。各シートの備考欄と元のCSVを確認してください。"))
    lines.append(("元のCSV", "同じフォルダのCSVファイルが受け取ったままの原本(証拠)です。"))
    lines.append(("", ""))
    lines += [("利用の制限", text) for text in USE_LIMITS_JA]
    sheet = Sheet("表紙", widths=(22, 90))
    for label, text in lines:
        sheet.rows.append([Styled(label or None, WRAPPED), Styled(text or None, WRAPPED)])
    sheet.rows[0] = [Styled(lines[0][0], TITLE), sheet.rows[0][1]]
    return sheet
