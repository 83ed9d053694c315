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
import re
from collections.abc import Sequence
from dataclasses import dataclass

from secxfer.domain.annex import get_annex
from secxfer.domain.clean_rows import CleanRowReader
from secxfer.domain.dates import halfwidth
from secxfer.domain.errors import CodeError
from secxfer.domain.municipalities import lookup
from secxfer.domain.period import tokyo_today
from secxfer.domain.profiles import Profile, Sex, get_profile
from secxfer.domain.annex_checks import name_pattern
from secxfer.domain.validate import AnnexRejectedError, read_annex, read_record
from secxfer.limits import CSV_MAX_ROWS
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
_SURROGATE = re.compile("[\udc80-\udcff]")  # bytes that did not decode (surrogateescape)


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
    clean = _clean_reader(facts.profile)
    for annex_file in sorted(files, key=lambda f: f.annex):
        annex = get_annex(annex_file.annex)
        found = _clean_rows(annex_file, clean) if clean is not None else None
        rows, unread = (found, 0) if found is not None else _annex_rows(annex_file, facts.profile)
        unread_total += unread
        counts.append((annex.title, len(rows)))
        sheet = Sheet(f"別紙{annex.number}", widths=_WIDTHS, freeze_header=True)
        sheet.rows.append([Styled(title, BOLD) for title in (*COLUMNS, annex.event.label, "備考")])
        sheet.rows.extend(rows)  # each cell styled by its type: text, date or row number
        sheets.append(sheet)
    return write_xlsx([_cover(facts, counts, unread_total), *sheets])


def _clean_reader(profile_name: str) -> CleanRowReader | None:
    profile = get_profile(profile_name)
    if not CleanRowReader.applies(profile):
        return None
    return CleanRowReader(profile, None, tokyo_today(), name_pattern(profile))


def _clean_rows(annex_file: AnnexFile, clean: CleanRowReader) -> list[tuple] | None:
    """The rows' cells in one pass, or None when the file needs :func:`_annex_rows`.

    The CSVs were validated by the agency and verified on the way, so almost every row
    is one the annex reader's own fast path (secxfer.domain.clean_rows) accepts with
    nothing to report: its cells come from that one reading instead of a validation of
    the whole file followed by a second parse of every row. Any other row (a 5-digit
    code, a formula cell, an empty line) is read by :func:`read_annex` alone, after the
    file's header, which is what the general reading decides for it (its acceptance
    depends on nothing else). A header with anything to report, a CR or LF inside a
    line, bytes that do not decode or too many rows send the whole file the general
    way, so the workbook is the same either way (tests compare the two).
    """
    data, profile = annex_file.data, clean.profile
    end = data.find(b"\n")
    head = data if end < 0 else data[:end + 1]
    plain = _plain_header(head, annex_file.annex, profile)
    if plain is None:
        return None
    encoding, newline = plain
    lines = data[len(head):].split(newline)
    if lines and lines[-1] == b"":
        lines.pop()
    if len(lines) > CSV_MAX_ROWS:
        return None
    limit, sex_codes, full_width = profile.max_line_bytes, profile.sex_codes, profile.full_width
    rows: list[tuple] = []
    for number, raw in enumerate(lines, start=2):
        text = raw.decode(encoding, "surrogateescape")
        found = clean.read(text) if len(raw) <= limit else None
        if found is None:
            if "\r" in text or "\n" in text or _SURROGATE.search(text) or not _one_row(
                    rows, number, head + raw + newline, annex_file.annex, profile):
                return None
            continue
        name, _, address, sex, _, _ = text.split(",")
        body, insurer = found.resolution.body.code, found.resolution.insurer.code
        rows.append(_cells(number, name, body, insurer, address, sex_codes[halfwidth(sex) if full_width else sex],
                           found.birth, found.event))
    return rows


# Header lines already read, keyed by their exact bytes, annex and profile (every open of a
# month reads the same three); bounded, cleared when full.
_HEADERS: dict[tuple[bytes, int, int], tuple[Profile, tuple[str, bytes] | None]] = {}
_HEADERS_MAX = 64


def _plain_header(head: bytes, annex: int, profile: Profile) -> tuple[str, bytes] | None:
    """(encoding, newline) if ``head`` is a header line the reader has nothing to say about."""
    key = (head, annex, id(profile))
    known = _HEADERS.get(key)
    if known is not None and known[0] is profile:
        return known[1]
    reading = read_annex(head, annex=annex, period=None, profile=profile)
    plain = None
    if reading.header is not None and not reading.problems and not reading.rows_read:
        plain = reading.encoding, reading.newline
    if len(_HEADERS) >= _HEADERS_MAX:
        _HEADERS.clear()
    _HEADERS[key] = (profile, plain)
    return plain


def _one_row(rows: list[tuple], number: int, data: bytes, annex: int, profile: Profile) -> bool:
    """Append the row the general reading makes of ``data`` (the header and one line); False if
    it is not accepted (the general reading then shows it raw and counts it on the cover)."""
    reading = read_annex(data, annex=annex, period=None, profile=profile)
    if not reading.rows:
        return False
    row = reading.rows[0]
    try:
        record = read_record(reading, row)
    except AnnexRejectedError:
        return False
    rows.append(_cells(number, record.name, record.residence_code, row.insurer, record.address, record.sex,
                       record.birth_date, record.event_date))
    return True


def _cells(number: int, name: str, residence: str, insurer: str, address: str, sex: Sex,
           birth: dt.date, event: dt.date) -> tuple:
    return (number, name, residence, _name_of(residence), insurer, _name_of(insurer), address, SEX_JA[sex],
            birth, event, None)


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
        rows.append(_cells(number, record.name, record.residence_code, row.insurer, record.address, record.sex,
                           record.birth_date, record.event_date))
    return rows, unread


@functools.lru_cache(maxsize=4096)  # the code table is fixed; a month repeats a few codes many times
def _name_of(code: str) -> str | None:
    try:
        return lookup(code).name
    except CodeError:
        return None


def _cover(facts: WorkbookFacts, counts: list[tuple[str, int]], unread: int) -> Sheet:
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
