"""Dates as the annex CSVs write them: Gregorian forms and Japanese era (和暦) forms.

The agency's systems may export ``20200319``, ``2020/03/19``, ``2020-03-19``, the
era-letter form ``R020319`` (also ``R02.03.19``) or the era-digit form ``5020319``
(1 明治, 2 大正, 3 昭和, 4 平成, 5 令和), often with full-width digits. Every form is
read to a :class:`datetime.date` for checking only; the bytes of the row are never
rewritten.

An era date is valid only inside its era: 平成31年4月30日 (``H310430``) is the last
day of 平成 and 令和元年5月1日 (``R010501``) the first of 令和, so ``H310501`` and
``R010430`` are rejected rather than silently shifted into the neighbouring era.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from secxfer.errors import InputRejectedError


class DateError(InputRejectedError):
    """A date cell that cannot be read as a real date in an accepted form.

    ``code`` is the stable problem slug the validator reports (``bad-date``,
    ``impossible-date``, ``era-mismatch``).
    """

    default_hint = "write dates as YYYYMMDD, YYYY/MM/DD, YYYY-MM-DD or an era form such as R020319"

    def __init__(self, message: str, *, code: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


class DateFormat(StrEnum):
    """The date spellings a profile may accept."""

    COMPACT = "YYYYMMDD"
    SLASHED = "YYYY/MM/DD"  # also YYYY/M/D, as spreadsheets display it
    DASHED = "YYYY-MM-DD"  # also YYYY-M-D
    ERA_LETTER = "era-letter"  # R020319, R02.03.19, R2/3/19
    ERA_DIGIT = "era-digit"  # 5020319
    ERA_KANJI = "era-kanji"  # 令和2年3月19日, 令和元年5月1日


class Era(NamedTuple):
    digit: int
    letter: str
    name: str
    first_day: date  # first day this era's dates can be converted to the Gregorian calendar
    last_day: date | None


# Meiji dates before Meiji 6 (1873) are in the lunisolar calendar and cannot be read
# by adding 1867 to the year, so conversion starts on the day Japan adopted the
# Gregorian calendar.
ERAS: tuple[Era, ...] = (
    Era(1, "M", "明治", date(1873, 1, 1), date(1912, 7, 29)),
    Era(2, "T", "大正", date(1912, 7, 30), date(1926, 12, 24)),
    Era(3, "S", "昭和", date(1926, 12, 25), date(1989, 1, 7)),
    Era(4, "H", "平成", date(1989, 1, 8), date(2019, 4, 30)),
    Era(5, "R", "令和", date(2019, 5, 1), None),
)
_ERA_START_YEAR = {1: 1868, 2: 1912, 3: 1926, 4: 1989, 5: 2019}
_BY_DIGIT = {era.digit: era for era in ERAS}
_BY_LETTER = {era.letter: era for era in ERAS}
_BY_NAME = {era.name: era for era in ERAS}

DEFAULT_DATE_FORMATS: tuple[DateFormat, ...] = (
    DateFormat.COMPACT,
    DateFormat.SLASHED,
    DateFormat.DASHED,
    DateFormat.ERA_LETTER,
    DateFormat.ERA_DIGIT,
)
ERA_FORMATS = frozenset({DateFormat.ERA_LETTER, DateFormat.ERA_DIGIT, DateFormat.ERA_KANJI})

# Full-width ASCII (U+FF01..U+FF5E) maps one to one onto ASCII; nothing else is folded,
# so look-alikes such as circled or superscript digits stay invalid.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def halfwidth(text: str) -> str:
    """Fold full-width ASCII forms (``２０２０／０３``) to ASCII; other characters are kept."""
    return text if text.isascii() else text.translate(_HALFWIDTH)


class DateReading(NamedTuple):
    value: date
    format: DateFormat


_SEPARATED = re.compile(r"(\d{4})([/-])(\d{1,2})\2(\d{1,2})", re.ASCII)
_ERA_LETTER = re.compile(r"([MTSHRmtshr])(?:(\d{2})(\d{2})(\d{2})|(\d{1,2})([./-])(\d{1,2})\6(\d{1,2}))", re.ASCII)
_ERA_KANJI = re.compile(r"(明治|大正|昭和|平成|令和)(元|\d{1,2})年(\d{1,2})月(\d{1,2})日", re.ASCII)


def read_date(
    text: str, formats: Iterable[DateFormat] = DEFAULT_DATE_FORMATS, *, full_width: bool = True
) -> DateReading:
    """Read ``text`` in one of ``formats`` and return the date and the form it was in.

    Full-width digits and letters are read as their ASCII forms unless ``full_width``
    is false. Raises :class:`DateError` (an input rejection) for anything else; never
    guesses.
    """
    allowed = formats if isinstance(formats, (frozenset, set)) else frozenset(formats)
    value = halfwidth(text) if full_width else text
    plain = value.isascii()  # str.isdigit() alone would accept other scripts' digits
    if not plain and DateFormat.ERA_KANJI not in allowed:
        raise _unreadable(text, allowed)
    size = len(value)
    if size == 8 and plain and value.isdigit() and DateFormat.COMPACT in allowed:
        return DateReading(_gregorian(text, int(value[:4]), int(value[4:6]), int(value[6:])), DateFormat.COMPACT)
    if size == 7 and plain and value.isdigit() and DateFormat.ERA_DIGIT in allowed:
        era = _BY_DIGIT.get(int(value[0]))
        if era is None:
            raise DateError(f"{text!r} has era digit {value[0]}; known eras are 1 明治 … 5 令和", code="bad-date")
        return DateReading(_from_era(text, era, int(value[1:3]), int(value[3:5]), int(value[5:])), DateFormat.ERA_DIGIT)
    match = _SEPARATED.fullmatch(value)
    if match:
        wanted = DateFormat.SLASHED if match[2] == "/" else DateFormat.DASHED
        if wanted in allowed:
            return DateReading(_gregorian(text, int(match[1]), int(match[3]), int(match[4])), wanted)
    match = _ERA_LETTER.fullmatch(value)
    if match and DateFormat.ERA_LETTER in allowed:
        era = _BY_LETTER[match[1].upper()]
        parts = match.group(2, 3, 4) if match[2] else match.group(5, 7, 8)
        year, month, day = (int(part) for part in parts)
        return DateReading(_from_era(text, era, year, month, day), DateFormat.ERA_LETTER)
    match = _ERA_KANJI.fullmatch(value)
    if match and DateFormat.ERA_KANJI in allowed:
        year = 1 if match[2] == "元" else int(match[2])
        era = _BY_NAME[match[1]]
        return DateReading(_from_era(text, era, year, int(match[3]), int(match[4])), DateFormat.ERA_KANJI)
    raise _unreadable(text, allowed)


def parse_date(text: str, formats: Iterable[DateFormat] = DEFAULT_DATE_FORMATS) -> date:
    """Read ``text`` as a date in one of ``formats`` (see :func:`read_date`)."""
    return read_date(text, formats).value


def era_of(day: date) -> Era:
    """The era ``day`` falls in (raises DateError before 1873, see ``ERAS``)."""
    for era in reversed(ERAS):
        if day >= era.first_day:
            return era
    raise DateError(f"{day.isoformat()} precedes the eras this reader converts (from 1873)", code="bad-date")


def format_era(day: date, *, style: DateFormat = DateFormat.ERA_LETTER) -> str:
    """Write ``day`` in an era form: ``R020319`` (era-letter), ``5020319`` (era-digit) or kanji."""
    era = era_of(day)
    year = day.year - _ERA_START_YEAR[era.digit] + 1
    if style is DateFormat.ERA_DIGIT:
        return f"{era.digit}{year:02d}{day.month:02d}{day.day:02d}"
    if style is DateFormat.ERA_KANJI:
        shown = "元" if year == 1 else str(year)
        return f"{era.name}{shown}年{day.month}月{day.day}日"
    return f"{era.letter}{year:02d}{day.month:02d}{day.day:02d}"


def _gregorian(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(f"{text!r} is not a real calendar date", code="impossible-date") from None


def _from_era(text: str, era: Era, year: int, month: int, day: int) -> date:
    if year < 1:
        raise DateError(f"{text!r}: era years start at 1 (元年)", code="impossible-date")
    value = _gregorian(text, _ERA_START_YEAR[era.digit] + year - 1, month, day)
    if value < era.first_day or (era.last_day is not None and value > era.last_day):
        span = f"{era.first_day.isoformat()} to {era.last_day.isoformat()}" if era.last_day else (
            f"from {era.first_day.isoformat()}"
        )
        raise DateError(
            f"{text!r} would be {value.isoformat()}, outside {era.name} ({span})",
            code="era-mismatch",
            hint="an era date must fall inside its era (平成 ended 2019-04-30, 令和 began 2019-05-01)",
        )
    return value


def _unreadable(text: str, allowed: frozenset[DateFormat]) -> DateError:
    forms = ", ".join(form.value for form in DateFormat if form in allowed)
    return DateError(f"{_short(text)} is not a date in an accepted form ({forms})", code="bad-date")


def _short(text: str, limit: int = 24) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"
