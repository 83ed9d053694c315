"""Business days of Japanese government offices and the monthly delivery deadline.

A business day (行政機関の休日に関する法律, 第1条) is none of: Saturday, Sunday, a
national holiday under 国民の祝日に関する法律 (including substitute holidays 振替休日
and citizens' holidays 国民の休日), or 29 December - 3 January. National holidays
come from the ``holidays`` package (country JP, the Cabinet Office list); an
override file can add newly announced ones (or cancel one that was moved).

Data for month M is due at central one business day before the last business day
of month M+1 (翌月の最終業務日の遅くとも一業務日前). All dates are Asia/Tokyo dates.
"""

from __future__ import annotations

import datetime
import functools
import os
import re
import unicodedata
from collections.abc import Mapping

from secxfer.domain.errors import CalendarRangeError, HolidayFileError
from secxfer.domain.period import Period, parse_period
from secxfer.errors import NotFoundError
from secxfer.limits import KIB
from secxfer.models import Model

HOLIDAY_FILE_MAX_BYTES = 64 * KIB
YEAR_END_REASON = "年末年始"  # 12月29日から翌年1月3日まで
OVERRIDE_DEFAULT_NAME = "休日 (override file)"
WEEKDAYS_JA = "月火水木金土日"
# A deadline walk never needs more than a few days; this bounds a hostile override file.
_WALK_LIMIT_DAYS = 62

# Overrides: a date mapped to a holiday name adds a holiday; mapped to None it cancels
# a national holiday the package lists (weekends and 年末年始 stay closed by law).
HolidayOverrides = Mapping[datetime.date, str | None]


class SkippedDay(Model, kw_only=True):
    """A day the deadline walk passed over, and why it is not a business day."""

    date: datetime.date
    reason: str  # 土曜日 / 日曜日 / the holiday's name / 年末年始, joined with ・ when several


class DeadlineExplanation(Model, kw_only=True):
    """How the deadline of a period was found."""

    period: Period
    deadline: datetime.date
    last_business_day: datetime.date  # of the month after period.last
    skipped: tuple[SkippedDay, ...]  # newest first, as the walk met them


def closure_reasons(day: datetime.date, *, extra_holidays: HolidayOverrides | None = None) -> tuple[str, ...]:
    """Why government offices are closed on ``day``; empty for a business day."""
    reasons = []
    if (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3):
        reasons.append(YEAR_END_REASON)
    holiday = _holiday_name(day, extra_holidays)
    if holiday:
        reasons.append(holiday)
    if day.weekday() >= 5:
        reasons.append(WEEKDAYS_JA[day.weekday()] + "曜日")
    return tuple(reasons)


def is_business_day(day: datetime.date, *, extra_holidays: HolidayOverrides | None = None) -> bool:
    """Whether ``day`` is a business day of Japanese government offices."""
    return not closure_reasons(day, extra_holidays=extra_holidays)


def explain_deadline(period: Period | str, *, extra_holidays: HolidayOverrides | None = None) -> DeadlineExplanation:
    """The deadline of ``period`` with the days skipped to reach it.

    Walks back from the end of the month after ``period.last`` to its last business
    day, then back to the business day before that one.
    """
    resolved = period if isinstance(period, Period) else parse_period(period)
    year, month = resolved.last_day.year, resolved.last_day.month
    next_month_start = datetime.date(year + month // 12, month % 12 + 1, 1)
    month_end = datetime.date(next_month_start.year + next_month_start.month // 12, next_month_start.month % 12 + 1, 1)
    skipped: list[SkippedDay] = []
    last_business_day = _walk_back(month_end - datetime.timedelta(days=1), skipped, extra_holidays)
    if last_business_day < next_month_start:
        raise CalendarRangeError(
            f"{next_month_start:%Y-%m} has no business day at all",
            hint="check the holiday override file",
        )
    deadline = _walk_back(last_business_day - datetime.timedelta(days=1), skipped, extra_holidays)
    return DeadlineExplanation(
        period=resolved, deadline=deadline, last_business_day=last_business_day, skipped=tuple(skipped)
    )


def deadline(period: Period | str, *, extra_holidays: HolidayOverrides | None = None) -> datetime.date:
    """Due date at central for ``period``: one business day before the last business day
    of the month after ``period.last``."""
    return explain_deadline(period, extra_holidays=extra_holidays).deadline


def days_left(period: Period | str, today: datetime.date, *, extra_holidays: HolidayOverrides | None = None) -> int:
    """Calendar days from ``today`` to the deadline (0 on the day, negative when overdue)."""
    return (deadline(period, extra_holidays=extra_holidays) - today).days


def explanation_lines(explanation: DeadlineExplanation, *, today: datetime.date | None = None) -> list[str]:
    """Human-readable reasoning, deadline first (the CLI prints these lines)."""
    last = explanation.last_business_day
    lines = [
        explanation.deadline.isoformat(),
        f"period {explanation.period.label}: due one business day before the last business day of {last:%Y-%m}",
    ]
    at_month_end = [day for day in explanation.skipped if day.date > last]
    before_last = [day for day in explanation.skipped if day.date < last]
    if at_month_end:
        lines.append(f"closed at the end of {last:%Y-%m}:")
        lines += [f"  {_show(day.date)} {day.reason}" for day in at_month_end]
    lines.append(f"last business day of {last:%Y-%m}: {_show(last)}")
    if before_last:
        lines.append("closed before it:")
        lines += [f"  {_show(day.date)} {day.reason}" for day in before_last]
    lines.append(f"deadline: {_show(explanation.deadline)}")
    if today is not None:
        left = (explanation.deadline - today).days
        state = f"{left} day{'s' if left != 1 else ''} left" if left >= 0 else f"overdue by {-left} day{'s' if left != -1 else ''}"
        lines.append(f"{state} (today {today.isoformat()}, Asia/Tokyo)")
    return lines


def load_holiday_overrides(path: str | os.PathLike[str]) -> dict[datetime.date, str | None]:
    """Read a holiday override file (UTF-8, see docs/calendar.md).

    One entry a line: ``YYYY-MM-DD name`` adds a holiday, ``-YYYY-MM-DD`` cancels a
    national holiday; blank lines and lines starting with ``#`` are ignored.
    Raises HolidayFileError naming the line for anything else.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(HOLIDAY_FILE_MAX_BYTES + 1)
    except FileNotFoundError:
        raise NotFoundError(f"holiday override file {os.fspath(path)!r} does not exist") from None
    if len(data) > HOLIDAY_FILE_MAX_BYTES:
        raise HolidayFileError(f"holiday override file {os.fspath(path)!r} is larger than {HOLIDAY_FILE_MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise HolidayFileError(
            f"holiday override file {os.fspath(path)!r} is not UTF-8 (byte {error.start})",
            hint="save the file as UTF-8",
        ) from None
    return parse_holiday_overrides(text, source=os.fspath(path))


_OVERRIDE_LINE = re.compile(r"(-?)([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ \t]+(.*))?")


def parse_holiday_overrides(text: str, *, source: str = "<text>") -> dict[datetime.date, str | None]:
    """Parse override text (the format of :func:`load_holiday_overrides`)."""
    overrides: dict[datetime.date, str | None] = {}
    seen_on: dict[datetime.date, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = unicodedata.normalize("NFKC", line).strip()
        if not line or line.startswith("#"):
            continue
        match = _OVERRIDE_LINE.fullmatch(line)
        if match is None:
            raise HolidayFileError(f"{source}:{number}: expected 'YYYY-MM-DD name' or '-YYYY-MM-DD', got {line[:60]!r}")
        remove, iso, name = match.groups()
        try:
            day = datetime.date.fromisoformat(iso)
        except ValueError:
            raise HolidayFileError(f"{source}:{number}: {iso} is not a real date") from None
        if day in seen_on:
            raise HolidayFileError(f"{source}:{number}: {iso} is already listed on line {seen_on[day]}")
        seen_on[day] = number
        name = (name or "").strip()
        overrides[day] = None if remove else (name or OVERRIDE_DEFAULT_NAME)
    return overrides


def _walk_back(day: datetime.date, skipped: list[SkippedDay], extra: HolidayOverrides | None) -> datetime.date:
    for _ in range(_WALK_LIMIT_DAYS):
        reasons = closure_reasons(day, extra_holidays=extra)
        if not reasons:
            return day
        skipped.append(SkippedDay(date=day, reason="・".join(reasons)))
        day -= datetime.timedelta(days=1)
    raise CalendarRangeError(
        f"no business day in the {_WALK_LIMIT_DAYS} days up to {day}", hint="check the holiday override file"
    )


def _holiday_name(day: datetime.date, extra: HolidayOverrides | None) -> str | None:
    if extra is not None and day in extra:
        return extra[day]
    return _national_holidays(day.year).get(day)


@functools.cache
def _national_holidays(year: int) -> dict[datetime.date, str]:
    # Imported here: the holidays package takes a noticeable time to import.
    import holidays

    first, last = holidays.JP.start_year, holidays.JP.end_year
    if not first <= year <= last:
        raise CalendarRangeError(f"no national holiday data for {year} (the list covers {first}-{last})")
    return dict(holidays.country_holidays("JP", years=year, language="ja"))


def _show(day: datetime.date) -> str:
    return f"{day.isoformat()} ({WEEKDAYS_JA[day.weekday()]})"
