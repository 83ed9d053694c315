"""Government business days, deadlines, the override file and ``secxfer calendar``."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.cli import run
from secxfer.domain import calendar as cal
from secxfer.domain.errors import CalendarRangeError, HolidayFileError
from secxfer.domain.period import parse_period
from secxfer.errors import EXIT_OPERATIONAL, EXIT_USAGE, NotFoundError

D = datetime.date


@pytest.mark.parametrize(
    ("period", "due"),
    [("2024-03", D(2024, 4, 26)), ("2024-11", D(2024, 12, 26)), ("2025-04", D(2025, 5, 29)), ("2026-10", D(2026, 11, 27))],
)
def test_brief_examples(period: str, due: datetime.date) -> None:
    assert cal.deadline(period) == due
    assert cal.deadline(parse_period(period)) == due


def test_2024_03_skips_showa_day_and_the_weekend() -> None:
    explanation = cal.explain_deadline("2024-03")
    assert explanation.last_business_day == D(2024, 4, 30)
    assert [(day.date, day.reason) for day in explanation.skipped] == [
        (D(2024, 4, 29), "昭和の日"),
        (D(2024, 4, 28), "日曜日"),
        (D(2024, 4, 27), "土曜日"),
    ]


def test_year_end_is_closed() -> None:
    explanation = cal.explain_deadline("2025-11")
    assert explanation.last_business_day == D(2025, 12, 26)
    assert explanation.deadline == D(2025, 12, 25)
    reasons = {day.date: day.reason for day in explanation.skipped}
    assert reasons[D(2025, 12, 29)] == reasons[D(2025, 12, 30)] == reasons[D(2025, 12, 31)] == "年末年始"
    assert reasons[D(2025, 12, 28)] == "日曜日" and reasons[D(2025, 12, 27)] == "土曜日"
    # 29 Dec - 3 Jan whatever the weekday; 元日 is both a holiday and year-end
    for day in (D(2025, 12, 29), D(2026, 1, 2), D(2026, 1, 3), D(2027, 1, 1)):
        assert not cal.is_business_day(day)
    assert cal.closure_reasons(D(2026, 1, 1)) == ("年末年始", "元日")
    assert cal.is_business_day(D(2025, 12, 26)) and cal.is_business_day(D(2026, 1, 5))
    assert cal.is_business_day(D(2027, 1, 4))  # a Monday


def test_golden_week() -> None:
    closed = [D(2025, 4, 29), D(2025, 5, 3), D(2025, 5, 4), D(2025, 5, 5), D(2025, 5, 6)]
    assert not any(cal.is_business_day(day) for day in closed)
    assert cal.is_business_day(D(2025, 5, 1)) and cal.is_business_day(D(2025, 5, 2)) and cal.is_business_day(D(2025, 5, 7))
    assert cal.closure_reasons(D(2025, 5, 6)) == ("振替休日",)
    # 2019: the enthronement made ten days in a row, with two citizens' holidays
    assert [day for day in (D(2019, 4, 27) + datetime.timedelta(n) for n in range(10)) if cal.is_business_day(day)] == []
    assert cal.closure_reasons(D(2019, 4, 30)) == ("国民の休日",)
    assert cal.closure_reasons(D(2019, 5, 1)) == ("天皇の即位の日",)


def test_citizens_holiday_and_substitute_holiday() -> None:
    assert cal.closure_reasons(D(2026, 9, 22)) == ("国民の休日",)
    assert cal.closure_reasons(D(2024, 11, 4)) == ("振替休日",)
    assert cal.closure_reasons(D(2024, 11, 3)) == ("文化の日", "日曜日")


def test_ranges_use_their_last_month() -> None:
    assert cal.deadline("2019-04..2026-10") == D(2026, 11, 27)
    explanation = cal.explain_deadline("2019-04..2026-10")
    assert explanation.period.label == "2019-04..2026-10"


def test_days_left() -> None:
    assert cal.days_left("2026-10", D(2026, 11, 15)) == 12
    assert cal.days_left("2026-10", D(2026, 11, 27)) == 0
    assert cal.days_left("2026-10", D(2026, 11, 30)) == -3


def test_every_deadline_is_the_second_to_last_business_day_of_the_next_month() -> None:
    # An independent formulation, for every data month the tool accepts.
    for month in parse_period("2019-04..2099-11").months():
        explanation = cal.explain_deadline(month)
        first = explanation.period.last_day + datetime.timedelta(days=1)
        days = [first + datetime.timedelta(n) for n in range(31)]
        business = [day for day in days if day.month == first.month and cal.is_business_day(day)]
        assert explanation.last_business_day == business[-1], month
        assert explanation.deadline == business[-2], month
        for skipped in explanation.skipped:
            assert not cal.is_business_day(skipped.date) and skipped.reason


def test_beyond_the_holiday_data() -> None:
    with pytest.raises(CalendarRangeError, match="2100"):
        cal.deadline("2099-12")
    with pytest.raises(CalendarRangeError):
        cal.is_business_day(D(1900, 1, 1))


# -- overrides ------------------------------------------------------------------------


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "holidays.txt"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_override_file_adds_and_cancels(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "# newly announced\n"
        "\n"
        "2026-11-27 臨時の休日\n"
        "２０２６－１１－２６　全角の休日\n"
        "2026-11-25\n"
        "-2026-11-23  moved elsewhere\n",
    )
    overrides = cal.load_holiday_overrides(path)
    assert overrides == {
        D(2026, 11, 27): "臨時の休日",
        D(2026, 11, 26): "全角の休日",
        D(2026, 11, 25): cal.OVERRIDE_DEFAULT_NAME,
        D(2026, 11, 23): None,
    }
    explanation = cal.explain_deadline("2026-10", extra_holidays=overrides)
    assert explanation.deadline == D(2026, 11, 24)
    assert {day.date: day.reason for day in explanation.skipped}[D(2026, 11, 27)] == "臨時の休日"
    assert cal.is_business_day(D(2026, 11, 23), extra_holidays=overrides)  # 勤労感謝の日 cancelled
    assert not cal.is_business_day(D(2026, 11, 23))
    # a cancellation never opens a weekend or the year-end
    weekend = {D(2026, 11, 29): None, D(2026, 12, 30): None}
    assert not cal.is_business_day(D(2026, 11, 29), extra_holidays=weekend)
    assert not cal.is_business_day(D(2026, 12, 30), extra_holidays=weekend)


def test_override_file_with_bom_and_crlf(tmp_path: Path) -> None:
    path = _write(tmp_path, "\ufeff2027-05-06 休日\r\n# c\r\n")
    assert cal.load_holiday_overrides(path) == {D(2027, 5, 6): "休日"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026-11-27x\n", ":1: expected"),
        ("# ok\nnot a date\n", ":2: expected"),
        ("2026-02-30 bad\n", "not a real date"),
        ("2026-11-27 a\n-2026-11-27\n", "already listed on line 1"),
        ("26-11-27 short year\n", "expected"),
    ],
)
def test_override_file_errors_name_the_line(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(HolidayFileError, match=fragment):
        cal.load_holiday_overrides(_write(tmp_path, text))


def test_override_file_refuses_non_utf8_huge_and_missing(tmp_path: Path) -> None:
    with pytest.raises(HolidayFileError, match="not UTF-8"):
        cal.load_holiday_overrides(_write(tmp_path, "2026-11-27 休日\n".encode("cp932")))
    with pytest.raises(HolidayFileError, match="larger than"):
        cal.load_holiday_overrides(_write(tmp_path, "# x\n" * (cal.HOLIDAY_FILE_MAX_BYTES // 4 + 1)))
    with pytest.raises(NotFoundError):
        cal.load_holiday_overrides(tmp_path / "missing.txt")


def test_a_month_of_holidays_is_reported_not_looped(tmp_path: Path) -> None:
    every_day = {D(2026, 11, 1) + datetime.timedelta(n): "x" for n in range(30)}
    with pytest.raises(CalendarRangeError, match="no business day"):
        cal.deadline("2026-10", extra_holidays=every_day)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_override_text_raises_only_holiday_file_errors(text: str) -> None:
    try:
        overrides = cal.parse_holiday_overrides(text)
    except HolidayFileError:
        return
    assert all(isinstance(day, datetime.date) for day in overrides)


# -- CLI ------------------------------------------------------------------------------


def test_cli_prints_the_deadline_first(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["calendar", "2026-10", "--today", "2026-11-15"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2026-11-27"
    text = "\n".join(lines)
    assert "last business day of 2026-11: 2026-11-30" in text
    assert "2026-11-29 (日) 日曜日" in text and "2026-11-28 (土) 土曜日" in text
    assert "12 days left" in text


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["calendar", "2024-11", "--json", "--today", "2024-12-01"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["deadline"] == "2024-12-26" and report["last_business_day"] == "2024-12-27"
    assert report["period"] == {"first": "2024-11", "last": "2024-11"} and report["days_left"] == 25
    assert {"date": "2024-12-31", "reason": "年末年始"} in report["skipped"]


def test_cli_holidays_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "2026-11-27 臨時の休日\n")
    assert run(["calendar", "2026-10", "--holidays-file", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "2026-11-26" and "臨時の休日" in out


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["calendar", "2019-03"]) == EXIT_USAGE
    assert run(["calendar", "2026-10", "--holidays-file", str(_write(tmp_path, "junk\n"))]) == EXIT_USAGE
    assert run(["calendar", "2026-10", "--holidays-file", str(tmp_path / "none")]) == EXIT_OPERATIONAL
    assert run(["calendar", "2026-10", "--today", "tomorrow"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert all(line.startswith("secxfer: error: ") for line in captured.err.splitlines())
    assert "Traceback" not in captured.err


def test_cli_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["calendar", "--help"]) == 0
    assert "secxfer calendar 2026-10" in capsys.readouterr().out
