"""Periods: the data month, or the inclusive range of months a delivery covers.

A period is ``YYYY-MM`` or ``YYYY-MM..YYYY-MM``; the first delivery is
``2019-04..`` up to the current month in Japan. Months before 2019-04 (the start of
the Specified Skilled Worker status) are refused.
"""

from __future__ import annotations

import calendar as _gregorian
import datetime
import re
import unicodedata

from secxfer.domain.errors import PeriodError
from secxfer.errors import UsageError
from secxfer.models import Model

FIRST_DELIVERY_START = "2019-04"
# The last year a period may name; the national holiday list ends with 2099, and a
# deadline falls in the month after the period.
PERIOD_LAST_YEAR = 2099
PERIOD_MAX_TEXT_CHARS = 64

# Japan has kept UTC+9 without daylight saving since 1951; a fixed offset avoids
# depending on the system's time zone database.
TOKYO = datetime.timezone(datetime.timedelta(hours=9), "Asia/Tokyo")

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_PERIOD = re.compile(r"([0-9]{4}-[0-9]{2})(?:(\.\.)([0-9]{4}-[0-9]{2})?)?")


class Period(Model, kw_only=True):
    """An inclusive range of months; ``first == last`` for a single data month.

    Constructing one checks the months (format, 2019-04 or later, not reversed), so
    a Period that exists is always valid.
    """

    first: str  # "2019-04"
    last: str  # "2026-10"

    def __post_init__(self) -> None:
        for month in (self.first, self.last):
            _check_month(month)
        if self.last < self.first:
            raise PeriodError(f"period {self.first}..{self.last} is reversed: it ends before it starts")

    @property
    def is_range(self) -> bool:
        return self.first != self.last

    def months(self) -> list[str]:
        """Every month of the period in order, as ``YYYY-MM``."""
        year, month = _year_month(self.first)
        out = []
        while (current := f"{year:04d}-{month:02d}") <= self.last:
            out.append(current)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    @property
    def first_day(self) -> datetime.date:
        year, month = _year_month(self.first)
        return datetime.date(year, month, 1)

    @property
    def last_day(self) -> datetime.date:
        year, month = _year_month(self.last)
        return datetime.date(year, month, _gregorian.monthrange(year, month)[1])

    def contains(self, day: datetime.date) -> bool:
        """Whether ``day`` falls within the period (first day to last day, inclusive)."""
        return self.first_day <= day <= self.last_day

    @property
    def label(self) -> str:
        """``2026-10`` or ``2019-04..2026-10``: the form parse_period reads back."""
        return f"{self.first}..{self.last}" if self.is_range else self.first

    @property
    def slug(self) -> str:
        """File-name safe label: ``2026-10`` or ``2019-04_2026-10``."""
        return f"{self.first}_{self.last}" if self.is_range else self.first

    def __str__(self) -> str:
        return self.label


def parse_period(text: str, *, today: datetime.date | None = None) -> Period:
    """Parse ``YYYY-MM``, ``YYYY-MM..YYYY-MM`` or ``YYYY-MM..`` (open end).

    An open end is the current month in Asia/Tokyo (``today`` overrides it for
    tests and planning). Full-width digits and punctuation are accepted.
    Raises PeriodError for bad syntax, impossible months, months before 2019-04,
    years after 2099 and reversed ranges.
    """
    if not isinstance(text, str) or len(text) > PERIOD_MAX_TEXT_CHARS:
        raise PeriodError("a period must be a short text such as 2026-10 or 2019-04..2026-10")
    normalized = unicodedata.normalize("NFKC", text).strip()
    match = _PERIOD.fullmatch(normalized)
    if match is None:
        raise PeriodError(
            f"{text!r} is not a period: expected YYYY-MM, YYYY-MM..YYYY-MM or YYYY-MM.."
        )
    first, is_range, last = match.groups()
    if is_range and last is None:
        day = today if today is not None else tokyo_today()
        last = f"{day.year:04d}-{day.month:02d}"
    return Period(first=first, last=last or first)


def tokyo_today(now: datetime.datetime | None = None) -> datetime.date:
    """Today's date in Japan (``now`` must be timezone-aware; default: the system clock)."""
    if now is None:
        now = datetime.datetime.now(datetime.UTC)
    elif now.tzinfo is None or now.utcoffset() is None:
        raise UsageError("tokyo_today needs a timezone-aware datetime", hint="pass now=datetime.now(UTC)")
    return now.astimezone(TOKYO).date()


def _check_month(month: str) -> None:
    if not isinstance(month, str) or not _MONTH.fullmatch(month):
        raise PeriodError(f"{month!r} is not a month: expected YYYY-MM")
    year, number = _year_month(month)
    if not 1 <= number <= 12:
        raise PeriodError(f"{month!r} is not a month: {number:02d} is not between 01 and 12")
    if month < FIRST_DELIVERY_START:
        raise PeriodError(
            f"{month} is before {FIRST_DELIVERY_START}, the first month the agreement covers",
            hint="the first delivery starts with 2019-04; give 2019-04 or later",
        )
    if year > PERIOD_LAST_YEAR:
        raise PeriodError(f"{month} is after {PERIOD_LAST_YEAR}, beyond the calendar this tool knows")


def _year_month(month: str) -> tuple[int, int]:
    return int(month[:4]), int(month[5:7])
