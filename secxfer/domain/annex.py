"""The three annexes (別紙1–3) of the agreement: their columns and typed records.

Each annex is one record type with the same six columns; only the event in ⑥
differs. The column names below are the agreement's own, which the ``default``
profile expects as the header row (half- or full-width brackets alike, with or
without the circled column numbers).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

import msgspec

from secxfer.domain.dates import halfwidth
from secxfer.domain.profiles import Sex
from secxfer.errors import UsageError
from secxfer.models import Model


class Column(Model, kw_only=True):
    number: int  # 1-based, the ① … ⑥ of the agreement and the column of a problem
    key: str  # field name in AnnexRecord
    label: str  # the agreement's column name, the header cell
    english: str  # used in messages


class Annex(Model, kw_only=True):
    number: int
    title: str
    english: str
    columns: tuple[Column, ...]

    @property
    def event(self) -> Column:
        return self.columns[-1]

    @property
    def header(self) -> str:
        """The header row the default profile expects (unquoted, comma-separated)."""
        return ",".join(column.label for column in self.columns)


class AnnexRecord(Model, kw_only=True):
    """One row read as typed values (for display at the final recipient, never for re-encoding)."""

    annex: int
    name: str
    residence_code: str  # the 6-digit code of the body named in the row
    address: str
    sex: Sex
    birth_date: date
    event_date: date


class UnknownAnnexError(UsageError):
    default_hint = "the agreement has annexes 1, 2 and 3 (別紙1–3)"


_COMMON = (
    Column(number=1, key="name", label="氏名(英字)", english="name"),
    Column(number=2, key="residence_code", label="住居地(地方公共団体コード)", english="residence code"),
    Column(number=3, key="address", label="住居地", english="address"),
    Column(number=4, key="sex", label="性別", english="sex"),
    Column(number=5, key="birth_date", label="生年月日", english="date of birth"),
)


def _annex(number: int, title: str, english: str, label: str, event: str) -> Annex:
    column = Column(number=6, key="event_date", label=label, english=event)
    return Annex(number=number, title=title, english=english, columns=(*_COMMON, column))


ANNEXES: dict[int, Annex] = {
    1: _annex(1, "別紙1 特定技能外国人に係る情報(入国時)", "annex 1: entry, employer not covered",
              "入国年月日(上陸年月日)", "entry (landing) date"),
    2: _annex(2, "別紙2 特定技能外国人に係る情報(離職時)", "annex 2: leaving a covered employer",
              "受入終了(離職)年月日", "end of employment date"),
    3: _annex(3, "別紙3 特定技能外国人に係る情報(在留資格変更時)", "annex 3: change of status, employer not covered",
              "在留資格変更年月日", "change of status date"),
}
COLUMN_COUNT = 6


def get_annex(number: int | Annex) -> Annex:
    """Annex ``number`` (1, 2 or 3)."""
    if isinstance(number, Annex):
        return number
    try:
        return ANNEXES[int(number)]
    except (KeyError, TypeError, ValueError):
        raise UnknownAnnexError(f"there is no annex {number!r}") from None


_CIRCLED = re.compile(r"^[①②③④⑤⑥]")
# Only ordinary and ideographic spaces are ignored: a TAB or control character in a
# header cell must make the header fail, not travel on with it.
_SPACES = re.compile("[ \u3000]+")


def header_key(cell: str) -> str:
    """A header cell reduced to what identifies it: ASCII brackets, no spaces, no ①…⑥."""
    return _SPACES.sub("", _CIRCLED.sub("", halfwidth(cell).strip(" \u3000")))


_KEYS = {number: tuple(header_key(column.label) for column in annex.columns) for number, annex in ANNEXES.items()}


class HeaderCheck(Model, kw_only=True):
    """How a row of cells compares with an annex's header."""

    matches: bool
    column: int  # first column that differs (0 when matches)
    other_annex: int | None  # the annex whose event column the row names, when not this one


def check_header(cells: list[str], annex: int) -> HeaderCheck:
    """Compare ``cells`` with annex ``annex``'s header (see :func:`header_key`)."""
    keys = [header_key(cell) for cell in cells]
    expected = _KEYS[annex]
    if keys == list(expected):
        return HeaderCheck(matches=True, column=0, other_annex=None)
    other = None
    if len(keys) == COLUMN_COUNT and keys[:5] == list(expected[:5]):
        other = next((n for n, k in _KEYS.items() if n != annex and k[5] == keys[5]), None)
    column = next((i + 1 for i, key in enumerate(keys) if i >= COLUMN_COUNT or key != expected[i]), len(keys) + 1)
    return HeaderCheck(matches=False, column=min(column, COLUMN_COUNT + 1), other_annex=other)


def looks_like_header(cells: list[str]) -> bool:
    """True when ``cells`` are any annex's header (used where a header is optional or absent)."""
    keys = [header_key(cell) for cell in cells]
    return any(keys[:5] == list(expected[:5]) for expected in _KEYS.values())


# -- what reading a file yields ---------------------------------------------------


class Problem(Model, kw_only=True):
    """One finding about an input file, located like a compiler diagnostic."""

    source: str  # the file as the user named it
    line: int  # 1-based physical line
    column: int  # 1-based field number (1 for whole-line findings)
    code: str  # stable slug, e.g. "bad-check-digit" (see secxfer.domain.validate.PROBLEM_CODES)
    message: str
    severity: Literal["error", "note"] = "error"  # an error rejects the row (or the file); a note informs
    # The message's particulars (values as read, counts, limits, the column's label), so a
    # front end can word the finding in another language; ``message`` is the English one.
    facts: dict[str, str] = msgspec.field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: {self.message}"


class AnnexRow(Model, kw_only=True):
    """An accepted row: its original bytes and the keys read from them.

    ``raw`` is exactly the bytes between two line terminators (no BOM, no CR/LF); it
    is what travels, is hashed and is split. The keys are normalized copies.
    """

    line: int
    raw: bytes
    residence_code: str  # the 6-digit code of the body the row names (a ward or the insurer)
    insurer: str  # the 6-digit code of the insurer the row routes to
    event_date: date


class AnnexReading(Model, kw_only=True):
    """One annex file read and checked: the layout found, the good rows and every problem."""

    source: str
    annex: int
    profile: str
    encoding: str  # "cp932" or "utf-8"
    bom: bytes  # b"" or the UTF-8 byte-order mark, as found
    header: bytes | None  # the header line's original bytes (no terminator), None without one
    newline: bytes  # b"\r\n" or b"\n"
    rows: tuple[AnnexRow, ...]  # only rows without errors, in file order
    problems: tuple[Problem, ...]
    rows_read: int  # lines after the header (every candidate row, empty lines included)
    rows_rejected: int  # of those, the ones with at least one error
    period: str | None = None  # the period label the rows were checked against

    @property
    def ok(self) -> bool:
        """True when nothing in the file is an error (notes are fine)."""
        return not any(problem.severity == "error" for problem in self.problems)

    @property
    def insurer_counts(self) -> dict[str, int]:
        """Accepted rows per insurer code, sorted by code."""
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.insurer] = counts.get(row.insurer, 0) + 1
        return dict(sorted(counts.items()))
