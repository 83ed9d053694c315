"""Periods: parsing, month arithmetic, the open end in Asia/Tokyo."""

from __future__ import annotations

import datetime

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.domain.errors import PeriodError
from secxfer.domain.period import FIRST_DELIVERY_START, Period, parse_period, tokyo_today
from secxfer.errors import EXIT_USAGE, SecxferError, UsageError

UTC = datetime.UTC


def test_single_month() -> None:
    period = parse_period("2026-10")
    assert period == Period(first="2026-10", last="2026-10")
    assert not period.is_range and period.months() == ["2026-10"]
    assert period.label == "2026-10" and period.slug == "2026-10" and str(period) == "2026-10"
    assert period.first_day == datetime.date(2026, 10, 1) and period.last_day == datetime.date(2026, 10, 31)


def test_range() -> None:
    period = parse_period("2019-04..2026-10")
    assert period.is_range and period.first == "2019-04" and period.last == "2026-10"
    months = period.months()
    assert months[0] == "2019-04" and months[-1] == "2026-10" and len(months) == 12 * 7 + 7
    assert "2019-12" in months and "2020-01" in months
    assert period.label == "2019-04..2026-10" and period.slug == "2019-04_2026-10"
    assert parse_period("2024-01..2024-01") == parse_period("2024-01")


def test_open_end_is_the_current_month() -> None:
    assert parse_period("2019-04..", today=datetime.date(2026, 3, 15)).last == "2026-03"
    assert parse_period(f"{FIRST_DELIVERY_START}..").last == f"{tokyo_today():%Y-%m}"
    with pytest.raises(PeriodError, match="reversed"):
        parse_period("2026-04..", today=datetime.date(2026, 3, 31))


def test_full_width_input() -> None:
    assert parse_period("２０２６－１０") == parse_period("2026-10")
    assert parse_period("２０１９－０４．．２０２０－０３").label == "2019-04..2020-03"
    assert parse_period("  2026-10\n") == parse_period("2026-10")


def test_last_day_of_february() -> None:
    assert parse_period("2024-02").last_day == datetime.date(2024, 2, 29)
    assert parse_period("2025-02").last_day == datetime.date(2025, 2, 28)


def test_contains() -> None:
    period = parse_period("2023-12..2024-01")
    assert period.contains(datetime.date(2023, 12, 1)) and period.contains(datetime.date(2024, 1, 31))
    assert not period.contains(datetime.date(2023, 11, 30)) and not period.contains(datetime.date(2024, 2, 1))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2019-03", "before 2019-04"),
        ("2018-12..2019-05", "before 2019-04"),
        ("2026-10..2026-09", "reversed"),
        ("2026-13", "not between 01 and 12"),
        ("2026-00", "not between 01 and 12"),
        ("2100-01", "after 2099"),
        ("2026-1", "not a period"),
        ("202610", "not a period"),
        ("2026/10", "not a period"),
        ("2026-10...2026-11", "not a period"),
        ("..2026-10", "not a period"),
        ("", "not a period"),
        ("x" * 100, "short text"),
    ],
)
def test_rejections(text: str, fragment: str) -> None:
    with pytest.raises(PeriodError, match=fragment) as caught:
        parse_period(text)
    assert caught.value.exit_code == EXIT_USAGE and caught.value.hint


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(PeriodError):
        Period(first="2019-03", last="2019-04")
    with pytest.raises(PeriodError):
        Period(first="2020-02", last="2020-01")
    with pytest.raises(PeriodError):
        Period(first="2020-1", last="2020-01")


def test_msgspec_round_trip() -> None:
    period = parse_period("2019-04..2026-10")
    assert msgspec.json.decode(msgspec.json.encode(period), type=Period) == period
    with pytest.raises(PeriodError):
        msgspec.json.decode(b'{"first":"2026-10","last":"2026-09"}', type=Period)


def test_tokyo_today() -> None:
    # 15:00 UTC is already midnight in Tokyo
    assert tokyo_today(datetime.datetime(2025, 12, 31, 14, 59, tzinfo=UTC)) == datetime.date(2025, 12, 31)
    assert tokyo_today(datetime.datetime(2025, 12, 31, 15, 0, tzinfo=UTC)) == datetime.date(2026, 1, 1)
    new_york = datetime.timezone(datetime.timedelta(hours=-5))
    assert tokyo_today(datetime.datetime(2026, 3, 31, 20, 0, tzinfo=new_york)) == datetime.date(2026, 4, 1)
    with pytest.raises(UsageError):
        tokyo_today(datetime.datetime(2025, 1, 1, 12, 0))


_months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2019, 2099), st.integers(1, 12)).filter(
    lambda month: month >= FIRST_DELIVERY_START
)


@settings(max_examples=200, deadline=None)
@given(a=_months, b=_months)
def test_label_round_trips_and_months_are_contiguous(a: str, b: str) -> None:
    first, last = min(a, b), max(a, b)
    period = parse_period(f"{first}..{last}")
    assert parse_period(period.label) == period
    months = period.months()
    assert months[0] == first and months[-1] == last and months == sorted(set(months))
    assert all(period.contains(datetime.date(int(m[:4]), int(m[5:]), 15)) for m in months)
    assert (period.last_day - period.first_day).days + 1 == sum(
        (Period(first=m, last=m).last_day.day) for m in months
    )


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=30))
def test_arbitrary_text_raises_only_period_errors(text: str) -> None:
    try:
        period = parse_period(text, today=datetime.date(2026, 1, 1))
    except SecxferError as error:
        assert isinstance(error, PeriodError)
        return
    assert period.first >= FIRST_DELIVERY_START
