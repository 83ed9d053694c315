"""The reader's fast path for clean rows reads exactly what the general path reads.

``CleanRowReader`` may only take a row the general checks have nothing to say
about; every other row must reach the general path. Generated rows mix clean cells
with random defects, and the whole reading (rows, keys, problems, notes, counts) is
compared with the fast path switched on and off.
"""

from __future__ import annotations

import io
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secxfer.domain.annex import ANNEXES
from secxfer.domain.annex_checks import name_pattern
from secxfer.domain.annex_reader import AnnexReader
from secxfer.domain.clean_rows import CleanRowReader
from secxfer.domain.dates import DateFormat
from secxfer.domain.period import parse_period
from secxfer.domain.profiles import NewlineRule, Profile, Quoting, get_profile

TODAY = date(2026, 11, 26)

NAMES = ["NGUYEN VAN ANH", "O'NEIL MARY-JANE", "nguyen van", "ＮＧＵＹＥＮ　ＡＮＨ", "", "-SMITH", "=SUM(A1)", "1234",
         "グエン", "A" * 300, "JOHN\u202eSMITH", "JOHN\ue000", "J.R. R", " LEE", "ANN\t", "@HOME",
         " =1+1", "|cmd", ";=1+1", "\u3000＝1", "\tLEE", "  @X"]
CODES = ["131016", "１３１０１６", "141011", "141020", "13101", "131008", "130001", "131017", "999999", "12345a",
         "", "221317", "22131", "-131016", "1310166", "０１１００２", "011002", "011002\x00"]
ADDRESSES = ["東京都千代田区千代田1-1", "大阪府堺市東町8丁目26", "", "=cmd|' /C calc'!A0", "＋81", "住所\ue000外字",
             "tab\there", "x" * 257, "bad\udc81byte", "line\u2028sep", "普通の住所 第二ハイツ４０３号室",
             " =1+1", "|cmd", ";=1+1", "\u3000＋81", "\u3000｜x", "；=A1", " \t東京", "\r東京", "東京都港区1-2-3|4;5"]
SEXES = ["1", "2", "男", "女", "M", "F", "Ｍ", "１", "3", "", "m", "+1", "1 "]
BIRTHS = ["19950101", "1995/01/01", "1995-01-01", "1995/1/1", "H070101", "7070101", "S500505", "R020230", "２０００１２３１",
          "19950230", "00000101", "20270101", "20261120", "18990101", "19060101", "1995/01-01", "", "19950101 ", "平成7年1月1日",
          "H310501", "R010430", "1995-13-01", "R08.10.05", "20261210"]
EVENTS = ["20261005", "2026/10/31", "2026-10-01", "R081005", "8081005", "20261101", "20260930", "２０２６１００５",
          "20261032", "", "2026/10/5", "R8/10/5", "20240101", "20231231", "令和8年10月5日", "20261220"]

COLUMNS = (NAMES, CODES, ADDRESSES, SEXES, BIRTHS, EVENTS)
CLEAN_VALUES = (2, 3, 2, 2, 3, 2)  # the first values of each list are clean
CLEAN_ROW = st.tuples(*(st.sampled_from(values[:clean]) for values, clean in zip(COLUMNS, CLEAN_VALUES)))
# Up to two cells replaced with any value of their column (most of them defects).
DEFECTS = st.lists(st.integers(min_value=0, max_value=5).flatmap(
    lambda column: st.tuples(st.just(column), st.sampled_from(COLUMNS[column]))), max_size=2)


def _row(cells: tuple[str, ...], defects: list[tuple[int, str]]) -> str:
    changed = list(cells)
    for column, value in defects:
        changed[column] = value
    return ",".join(changed)


ROW = st.builds(_row, CLEAN_ROW, DEFECTS)
LINE = st.one_of(ROW, ROW.map(lambda row: row + ",extra"), ROW.map(lambda row: row.replace(",", '","', 1)),
                 ROW.map(lambda row: '"' + row.replace(",", '","') + '"'), st.just(""),
                 st.text(alphabet=',"=1A東\r\t', max_size=12))

STRICT = Profile(name="strict-fast-test", description="compact dates only, half-width, short cells",
                 date_formats=(DateFormat.COMPACT,), full_width=False, quoting=Quoting.NONE, max_field_chars=20)
QUOTED = Profile(name="quoted-fast-test", description="every field quoted", quoting=Quoting.ALL)
KANJI = Profile(name="kanji-fast-test", description="era kanji dates too", newline=NewlineRule.CRLF,
                date_formats=(*get_profile("default").date_formats, DateFormat.ERA_KANJI))
PROFILES = st.sampled_from([get_profile("default"), get_profile("utf-8"), get_profile("no-header"), STRICT, QUOTED,
                            KANJI])
PERIODS = st.sampled_from(["2026-10", "2019-04..2026-10", "2023-12..2024-01", "2026-10..2026-12", None])


def _read(data: bytes, *, fast: bool, profile: Profile, period: str | None, annex: int = 1):
    reader = AnnexReader(annex=annex, period=period, profile=profile, source="in.csv", today=TODAY, keep_rows=True,
                     fast=fast)
    return reader.read(io.BytesIO(data))


def _file(lines: list[str], *, profile: Profile, newline: str, encoding: str) -> bytes:
    header = [] if profile.name == "no-header" else [ANNEXES[1].header]
    if profile.quoting is Quoting.ALL:
        header = ['"' + ANNEXES[1].header.replace(",", '","') + '"']
    data = "".join(line + newline for line in header + lines).encode(encoding, "surrogateescape")
    return b"\xef\xbb\xbf" + data if encoding == "utf-8" and profile.encoding != "utf-8" else data


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=25), PROFILES, PERIODS, st.sampled_from(["\r\n", "\n"]),
       st.sampled_from(["cp932", "utf-8"]))
def test_fast_and_general_paths_read_the_same(lines, profile, period, newline, encoding):
    try:
        data = _file(lines, profile=profile, newline=newline, encoding=encoding)
    except UnicodeEncodeError:
        data = _file(lines, profile=profile, newline=newline, encoding="utf-8")
    assert _read(data, fast=True, profile=profile, period=period) == _read(data, fast=False, profile=profile,
                                                                           period=period)


@settings(max_examples=200, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=30), PROFILES, PERIODS)
def test_paths_agree_on_rows_with_cell_defects(lines, profile, period):
    encoding = "utf-8" if profile.encoding == "utf-8" else "cp932"
    try:
        data = _file(lines, profile=profile, newline="\r\n", encoding=encoding)
    except UnicodeEncodeError:
        data = _file(lines, profile=profile, newline="\r\n", encoding="utf-8")
    assert _read(data, fast=True, profile=profile, period=period) == _read(data, fast=False, profile=profile,
                                                                           period=period)


@settings(max_examples=150, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=10), st.binary(max_size=6), st.integers(min_value=0, max_value=400))
def test_paths_agree_on_mangled_bytes(lines, junk, position):
    profile = get_profile("default")
    data = _file(lines, profile=profile, newline="\r\n", encoding="utf-8")
    data = data[:position] + junk + data[position:]
    assert _read(data, fast=True, profile=profile, period="2026-10") == _read(data, fast=False, profile=profile,
                                                                              period="2026-10")


def _clean_reader(profile: Profile | None = None, period: str | None = "2026-10") -> CleanRowReader:
    profile = profile or get_profile("default")
    return CleanRowReader(profile, parse_period(period) if period else None, TODAY, name_pattern(profile))


def test_clean_rows_take_the_fast_path():
    reader = _clean_reader()
    for row in ("NGUYEN VAN ANH,131016,東京都千代田区千代田1-1,1,19950101,20261005",
                "NGUYEN VAN ANH,１３１０１６,東京都,男,1995/01/01,2026-10-31",
                "O'NEIL MARY-JANE,141011,横浜市,F,H070101,R081005"):
        clean = reader.read(row)
        assert clean is not None, row
    assert reader.read("O'NEIL MARY-JANE,141011,横浜市,F,H070101,R081005").era_dates == (
        (5, "H070101", date(1995, 1, 1)), (6, "R081005", date(2026, 10, 5)))
    assert reader.read("A,141011,横浜市,1,19950101,20261005").resolution.insurer.code == "141003"


def test_rows_with_anything_to_report_leave_the_fast_path():
    reader = _clean_reader()
    good = ["NGUYEN VAN ANH", "131016", "東京都", "1", "19950101", "20261005"]
    defects = {
        0: ["", "=A1", "-SMITH", "ＮＧＵＹＥＮ\u202e", "グエン", "A" * 257],
        1: ["13101", "131008", "130001", "131017", "", "+131016", "221317"],
        2: ["", "@SUM", "\ue000外字", "a\x00b", "x" * 257, "\udc81", " =1+1", "|cmd", ";=1+1", "\u3000＝1",
            "\u3000 -1", "｜cmd"],
        3: ["", "3", "+1", "1 "],
        4: ["", "19950230", "20270101", "18990101", "H310501", "1995/01-01"],
        5: ["", "20261101", "20260930", "20261032", "R010430"],
    }
    for column, values in defects.items():
        for value in values:
            cells = list(good)
            cells[column] = value
            assert reader.read(",".join(cells)) is None, (column, value)
    assert reader.read(",".join(good) + ",") is None
    assert reader.read('"NGUYEN",' + ",".join(good[1:])) is None
    assert reader.read("") is None


def test_quote_everything_profiles_never_take_the_fast_path():
    assert not CleanRowReader.applies(QUOTED)
    data = _file(['"NGUYEN VAN ANH","131016","東京都","1","19950101","20261005"'], profile=QUOTED, newline="\r\n",
                 encoding="cp932")
    reading = _read(data, fast=True, profile=QUOTED, period="2026-10")
    assert reading.ok and len(reading.rows) == 1
    assert reading == _read(data, fast=False, profile=QUOTED, period="2026-10")


def test_paths_agree_on_every_single_cell_defect():
    clean = [values[0] for values in COLUMNS]
    lines = [_row(tuple(clean), [(column, value)]) for column, values in enumerate(COLUMNS) for value in values]
    lines += [_row(tuple(clean), [(4, "20261210"), (5, event)]) for event in EVENTS]  # born after today
    for profile in (get_profile("default"), get_profile("no-header"), STRICT, KANJI):
        data = _file(lines, profile=profile, newline="\r\n", encoding="utf-8")
        for period in ("2026-10", "2019-04..2026-10", "2023-12..2024-01", "2026-10..2026-12", None):
            fast = _read(data, fast=True, profile=profile, period=period)
            assert fast == _read(data, fast=False, profile=profile, period=period)
            assert fast.rows and fast.problems
