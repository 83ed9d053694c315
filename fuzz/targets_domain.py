"""Fuzz targets for annex CSVs and the short texts inside them and on command lines."""

from __future__ import annotations

import datetime as dt

from fuzz.registry import KIB, as_text, each, target


# -- the domain: annex CSVs and the texts inside them ------------------------------------------


@target("annex-csv", max_len=16 * KIB)
def annex_csv(data: bytes) -> None:
    """secxfer.domain.validate.read_annex; the first byte picks annex and profile."""
    from secxfer.domain.validate import read_annex, read_record

    selector, body = (data[0], data[1:]) if data else (0, b"")
    profile = ("default", "utf-8", "no-header")[selector // 3 % 3]
    reading = read_annex(body, annex=selector % 3 + 1, period="2026-10", profile=profile)
    for row in reading.rows[:4]:
        each(lambda row=row: read_record(reading, row))


@target("code", max_len=64)
def code(data: bytes) -> None:
    """Local-government codes: 5 or 6 digits, full-width, insurer routing on a date."""
    from secxfer.domain import municipalities as m

    text = as_text(data)
    each(
        lambda: m.read_code(text),
        lambda: m.lookup(text),
        lambda: m.resolve_insurer(text, dt.date(2026, 10, 1)),
        lambda: m.resolve_insurer(text, dt.date(2023, 12, 31)),
    )


@target("date", max_len=64)
def date(data: bytes) -> None:
    """Dates in every accepted form (YYYYMMDD, slashed, era letter/digit/kanji)."""
    from secxfer.domain.dates import DateFormat, read_date

    text = as_text(data)
    each(lambda: read_date(text, frozenset(DateFormat)), lambda: read_date(text, frozenset(DateFormat), full_width=False))


@target("period", max_len=64)
def period(data: bytes) -> None:
    """Periods (YYYY-MM, ranges, open ends) and the deadline derived from them."""
    from secxfer.domain.calendar import explain_deadline
    from secxfer.domain.period import parse_period

    text = as_text(data)
    each(lambda: parse_period(text, today=dt.date(2026, 11, 2)), lambda: explain_deadline(text))


@target("holidays", max_len=4 * KIB)
def holidays(data: bytes) -> None:
    """A holiday override file's text."""
    from secxfer.domain.calendar import parse_holiday_overrides

    parse_holiday_overrides(as_text(data))
