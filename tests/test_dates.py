"""Date reading: Gregorian forms, era forms, the 平成/令和 boundary, full-width digits."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secxfer.domain.dates import (
    DEFAULT_DATE_FORMATS,
    DateError,
    DateFormat,
    format_era,
    halfwidth,
    parse_date,
    read_date,
)
from secxfer.errors import InputRejectedError


@pytest.mark.parametrize(
    ("text", "expected", "form"),
    [
        ("20200319", date(2020, 3, 19), DateFormat.COMPACT),
        ("2020/03/19", date(2020, 3, 19), DateFormat.SLASHED),
        ("2020/3/9", date(2020, 3, 9), DateFormat.SLASHED),
        ("2020-03-19", date(2020, 3, 19), DateFormat.DASHED),
        ("R020319", date(2020, 3, 19), DateFormat.ERA_LETTER),
        ("r020319", date(2020, 3, 19), DateFormat.ERA_LETTER),
        ("R02.03.19", date(2020, 3, 19), DateFormat.ERA_LETTER),
        ("5020319", date(2020, 3, 19), DateFormat.ERA_DIGIT),
        ("S640107", date(1989, 1, 7), DateFormat.ERA_LETTER),
        ("H010108", date(1989, 1, 8), DateFormat.ERA_LETTER),
        ("3500903", date(1975, 9, 3), DateFormat.ERA_DIGIT),
        ("２０２００３１９", date(2020, 3, 19), DateFormat.COMPACT),
        ("２０２０／０３／１９", date(2020, 3, 19), DateFormat.SLASHED),
        ("Ｒ０２０３１９", date(2020, 3, 19), DateFormat.ERA_LETTER),
        ("５０２０３１９", date(2020, 3, 19), DateFormat.ERA_DIGIT),
    ],
)
def test_accepted_forms(text, expected, form):
    reading = read_date(text)
    assert reading.value == expected and reading.format is form


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("H310430", date(2019, 4, 30)),
        ("4310430", date(2019, 4, 30)),
        ("R010501", date(2019, 5, 1)),
        ("5010501", date(2019, 5, 1)),
    ],
)
def test_heisei_reiwa_boundary_valid(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["H310501", "4310501", "R010430", "5010430", "S640108", "H010107", "T151225"])
def test_era_dates_outside_their_era_are_rejected(text):
    with pytest.raises(DateError) as caught:
        parse_date(text)
    assert caught.value.code == "era-mismatch"
    assert isinstance(caught.value, InputRejectedError)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("20230230", "impossible-date"),
        ("20231301", "impossible-date"),
        ("R000101", "impossible-date"),
        ("R020230", "impossible-date"),
        ("6010101", "bad-date"),
        ("0010101", "bad-date"),
        ("X020319", "bad-date"),
        ("2020.03.19", "bad-date"),
        ("01/02/1990", "bad-date"),
        ("2020/03-19", "bad-date"),
        ("", "bad-date"),
        ("٢٠٢٠٠٣١٩", "bad-date"),  # Arabic-Indic digits are not full-width digits
        ("②⓪②⓪⓪③①⑨", "bad-date"),  # nor are circled digits
        ("M050101", "era-mismatch"),  # Meiji before the Gregorian calendar (1873)
    ],
)
def test_rejections_carry_a_stable_code(text, code):
    with pytest.raises(DateError) as caught:
        read_date(text)
    assert caught.value.code == code
    assert caught.value.hint


def test_formats_are_a_profile_choice():
    with pytest.raises(DateError):
        read_date("R020319", [DateFormat.COMPACT])
    with pytest.raises(DateError):
        read_date("２０２００３１９", DEFAULT_DATE_FORMATS, full_width=False)
    assert read_date("令和元年5月1日", [DateFormat.ERA_KANJI]).value == date(2019, 5, 1)
    assert DateFormat.ERA_KANJI not in DEFAULT_DATE_FORMATS


def test_halfwidth_folds_only_full_width_ascii():
    assert halfwidth("ＡＢ１２／－") == "AB12/-"
    assert halfwidth("①\u3000東京") == "①\u3000東京"


def test_format_era_boundary():
    assert format_era(date(2019, 4, 30)) == "H310430"
    assert format_era(date(2019, 5, 1)) == "R010501"
    assert format_era(date(2019, 5, 1), style=DateFormat.ERA_DIGIT) == "5010501"
    assert format_era(date(2019, 5, 1), style=DateFormat.ERA_KANJI) == "令和元年5月1日"


@given(st.dates(min_value=date(1873, 1, 1), max_value=date(2099, 12, 31)))
def test_era_forms_round_trip(day):
    for style in (DateFormat.ERA_LETTER, DateFormat.ERA_DIGIT, DateFormat.ERA_KANJI):
        assert read_date(format_era(day, style=style), list(DateFormat)).value == day


@given(st.text(max_size=20))
def test_any_text_reads_or_raises_date_error(text):
    try:
        read_date(text, list(DateFormat))
    except DateError:
        pass
