"""Annex model and input profiles: columns, header matching, the profile registry."""

from __future__ import annotations

import msgspec
import pytest

from secxfer.domain.annex import ANNEXES, check_header, get_annex, header_key, looks_like_header
from secxfer.domain.dates import DateFormat
from secxfer.domain.profiles import (
    PROFILES,
    BomRule,
    HeaderRule,
    Profile,
    ProfileError,
    Quoting,
    Sex,
    get_profile,
    register_profile,
)
from secxfer.domain.validate import read_annex
from secxfer.errors import UsageError


def test_three_annexes_share_five_columns_and_differ_in_the_event():
    assert sorted(ANNEXES) == [1, 2, 3]
    assert [c.label for c in ANNEXES[1].columns[:5]] == [
        "氏名(英字)", "住居地(地方公共団体コード)", "住居地", "性別", "生年月日"]
    assert [ANNEXES[n].event.label for n in (1, 2, 3)] == [
        "入国年月日(上陸年月日)", "受入終了(離職)年月日", "在留資格変更年月日"]
    assert [c.number for c in ANNEXES[2].columns] == [1, 2, 3, 4, 5, 6]
    assert get_annex(3) is ANNEXES[3]
    for bad in (0, 4, "x", None):
        with pytest.raises(UsageError):
            get_annex(bad)


def test_header_keys_ignore_bracket_width_spaces_and_column_numbers():
    assert header_key("① 氏名（英字）") == header_key("氏名(英字)") == "氏名(英字)"
    assert header_key("　住居地（地方公共団体コード） ") == "住居地(地方公共団体コード)"


def test_check_header_locates_the_first_difference_and_names_another_annex():
    cells = ANNEXES[1].header.split(",")
    assert check_header(cells, 1).matches
    wrong = check_header(cells[:3] + ["性"] + cells[4:], 1)
    assert (wrong.matches, wrong.column, wrong.other_annex) == (False, 4, None)
    other = check_header(ANNEXES[2].header.split(","), 1)
    assert (other.matches, other.column, other.other_annex) == (False, 6, 2)
    assert check_header(cells[:5], 1).column == 6
    assert check_header(cells + ["x"], 1).column == 7
    assert looks_like_header(ANNEXES[3].header.split(",")) and not looks_like_header(["A", "131016"])


def test_default_profile_matches_the_brief():
    profile = get_profile("default")
    assert profile.encoding == "cp932" and profile.bom is BomRule.ALLOWED
    assert profile.header is HeaderRule.REQUIRED and profile.quoting is Quoting.EITHER
    assert set(profile.date_formats) == {DateFormat.COMPACT, DateFormat.SLASHED, DateFormat.DASHED,
                                         DateFormat.ERA_LETTER, DateFormat.ERA_DIGIT}
    assert profile.sex_codes == {"1": Sex.MALE, "2": Sex.FEMALE, "男": Sex.MALE, "女": Sex.FEMALE,
                                 "M": Sex.MALE, "F": Sex.FEMALE}
    assert profile.full_width


def test_profiles_are_documented_models():
    for name, profile in PROFILES.items():
        assert profile.name == name and len(profile.description) > 20
        assert msgspec.json.decode(msgspec.json.encode(profile), type=Profile) == profile


@pytest.mark.parametrize(
    "changes",
    [
        {"encoding": "latin-1"},
        {"bom": "sometimes"},
        {"bom": "required"},  # with cp932
        {"date_formats": ()},
        {"date_formats": ("DDMMYYYY",)},
        {"sex_codes": {}},
        {"max_field_chars": 100_000},
        {"name_punctuation": "=-"},
    ],
)
def test_nonsense_profiles_are_refused(changes):
    with pytest.raises(ProfileError):
        Profile(name="t", description="test", **changes)


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ProfileError) as caught:
        get_profile("nope")
    assert "default" in str(caught.value) and caught.value.exit_code == 2


def test_a_registered_profile_is_used_by_name():
    profile = Profile(
        name="t-custom-sex",
        description="test: sex written as 0/1, dates only YYYYMMDD",
        sex_codes={"0": "male", "1": "female"},
        date_formats=("YYYYMMDD",),
        header="absent",
    )
    register_profile(profile)
    try:
        with pytest.raises(ProfileError):
            register_profile(profile)
        data = "NGUYEN,131016,東京都,0,19950101,20261005\r\nLE,131016,東京都,1,R070101,20261005\r\n".encode("cp932")
        reading = read_annex(data, annex=1, period="2026-10", profile="t-custom-sex")
        assert [r.line for r in reading.rows] == [1]
        assert [p.code for p in reading.problems] == ["bad-date"]
    finally:
        del PROFILES[profile.name]


def test_every_problem_code_is_documented():
    from pathlib import Path

    from secxfer.domain.validate import PROBLEM_CODES

    text = (Path(__file__).resolve().parent.parent / "docs" / "input-profiles.md").read_text(encoding="utf-8")
    missing = [code for code in PROBLEM_CODES if f"| `{code}` |" not in text]
    assert missing == []
    for name in PROFILES:
        assert f"`{name}`" in text


def test_control_characters_never_pass_as_header_spacing():
    cells = ANNEXES[1].header.split(",")
    for junk in ("\t", "\x0b", "\x1c", "\u2028", "\r"):
        assert not check_header([junk + cells[0], *cells[1:]], 1).matches, repr(junk)
    assert check_header([" " + cells[0] + "\u3000", *cells[1:]], 1).matches
