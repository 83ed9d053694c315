"""The streaming annex reader: every problem class, layouts, routing keys, byte-exact splits."""

from __future__ import annotations

import io
from datetime import date

import pytest

from secxfer.domain.annex import ANNEXES, Problem
from secxfer.domain.profiles import Profile, Quoting, get_profile
from secxfer.domain.validate import (
    ANNEX_MAX_ERRORS,
    PROBLEM_CODES,
    AnnexRejectedError,
    read_annex,
    read_annex_file,
    read_record,
    split_by_insurer,
    split_rows,
    validate_files,
)
from secxfer.errors import NotFoundError, UsageError
from secxfer.limits import CSV_MAX_LINE_BYTES

TODAY = date(2026, 11, 26)
GOOD = "NGUYEN VAN ANH,131016,東京都千代田区千代田1-1,1,19950101,20261005"
HEADER1 = ANNEXES[1].header


def csv(*rows: str, annex: int = 1, newline: str = "\r\n", encoding: str = "cp932", header: str | None = "default",
        bom: bool = False) -> bytes:
    lines = ([ANNEXES[annex].header] if header == "default" else [header] if header is not None else []) + list(rows)
    data = "".join(line + newline for line in lines).encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data


def read(data: bytes, *, annex: int = 1, period: str | None = "2026-10", profile: str | Profile = "default"):
    return read_annex(data, annex=annex, period=period, profile=profile, source="in.csv", today=TODAY)


def row(**changes: str) -> str:
    fields = dict(zip(("name", "code", "address", "sex", "birth", "event"), GOOD.split(","), strict=True))
    fields.update(changes)
    return ",".join(fields.values())


def codes(reading, line: int | None = None, severity: str | None = None) -> list[str]:
    return [
        p.code for p in reading.problems
        if (line is None or p.line == line) and (severity is None or p.severity == severity)
    ]


# -- clean files in every supported layout ---------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
@pytest.mark.parametrize(("encoding", "bom"), [("cp932", False), ("utf-8", True)])
def test_clean_file_in_each_layout(newline, encoding, bom):
    data = csv(GOOD, row(name="TRAN THI MAI", sex="2"), newline=newline, encoding=encoding, bom=bom)
    reading = read(data)
    assert reading.ok and reading.problems == ()
    assert reading.encoding == encoding
    assert reading.bom == (b"\xef\xbb\xbf" if bom else b"")
    assert reading.newline == newline.encode()
    assert reading.header == HEADER1.encode(encoding)
    assert [r.line for r in reading.rows] == [2, 3]
    assert reading.rows[0].raw == GOOD.encode(encoding)
    assert (reading.rows_read, reading.rows_rejected) == (2, 0)
    assert reading.insurer_counts == {"131016": 2}


def test_all_quoted_fields_are_read_and_raw_keeps_the_quotes():
    quoted = ",".join(f'"{cell}"' for cell in GOOD.split(","))
    reading = read(csv(quoted, header=",".join(f'"{c}"' for c in HEADER1.split(","))))
    assert reading.ok, reading.problems
    assert reading.rows[0].raw == quoted.encode("cp932")
    assert read_record(reading, reading.rows[0]).name == "NGUYEN VAN ANH"


def test_quoted_field_may_hold_comma_and_doubled_quote():
    reading = read(csv(row(name='"DELA CRUZ, JUAN"', address='"東京都""千代田区"""')))
    assert reading.ok, reading.problems
    record = read_record(reading, reading.rows[0])
    assert record.name == "DELA CRUZ, JUAN" and record.address == '東京都"千代田区"'


def test_header_with_full_width_brackets_and_column_numbers():
    header = "①氏名（英字）,②住居地（地方公共団体コード）,③住居地,④性別,⑤生年月日,⑥入国年月日（上陸年月日）"
    assert read(csv(GOOD, header=header)).ok


def test_full_width_digits_names_and_sexes():
    line = "ＮＧＵＹＥＮ　ＶＡＮ　ＡＮＨ,１３１０１６,東京都千代田区,１,１９９５０１０１,２０２６／１０／０５"
    reading = read(csv(line, row(sex="Ｆ"), row(sex="女")))
    assert reading.ok, reading.problems
    assert reading.rows[0].residence_code == "131016"
    assert reading.rows[0].event_date == date(2026, 10, 5)
    assert reading.rows[0].raw == line.encode("cp932")  # never normalized in place


def test_header_only_file_is_valid_with_zero_rows():
    reading = read(csv())
    assert reading.ok and reading.rows == () and reading.rows_read == 0


def test_last_line_without_terminator_is_read():
    reading = read((HEADER1 + "\r\n" + GOOD).encode("cp932"))
    assert reading.ok and reading.rows[0].raw == GOOD.encode("cp932")
    assert reading.newline == b"\r\n"


# -- era dates and the 平成/令和 boundary --------------------------------------------------


def test_era_dates_accepted_with_one_note_per_file():
    reading = read(csv(row(birth="H070101"), row(birth="4070101"), row(event="R081005")))
    assert reading.ok
    assert codes(reading, severity="note") == ["era-date"]
    assert "3 date(s)" in reading.problems[0].message
    assert reading.rows[2].event_date == date(2026, 10, 5)


def test_heisei_reiwa_boundary_in_rows():
    reading = read(
        csv(row(birth="H310430", event="20190501"), row(birth="R010501", event="20190502"),
            row(birth="H310501"), row(birth="R010430")),
        period="2019-04..2026-10",
    )
    assert codes(reading, 2, "error") == [] and codes(reading, 3, "error") == []
    assert codes(reading, 4) == ["era-mismatch"] and codes(reading, 5) == ["era-mismatch"]


# -- each problem class ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code", "column"),
    [
        ({"code": "131017"}, "bad-check-digit", 2),
        ({"code": "481009"}, "unknown-code", 2),
        ({"code": "13-101"}, "bad-code", 2),
        ({"code": "1310160"}, "bad-code", 2),
        ({"code": "①③①⓪①⑥"}, "bad-code", 2),
        ({"code": " 131016"}, "bad-code", 2),
        ({"code": "11100"}, "ambiguous-code", 2),
        ({"code": "130001"}, "prefecture-code", 2),
        ({"code": "131008"}, "tokyo-ward-area", 2),
        ({"code": "13100"}, "tokyo-ward-area", 2),
        ({"birth": "20230230"}, "impossible-date", 5),
        ({"birth": "1995.01.01"}, "bad-date", 5),
        ({"event": "H310501"}, "era-mismatch", 6),
        ({"event": "20260930"}, "outside-period", 6),
        ({"event": "20261101"}, "outside-period", 6),
        ({"birth": "20261006"}, "birth-after-event", 5),
        ({"birth": "18990101"}, "implausible-birth-date", 5),
        ({"sex": "3"}, "bad-sex", 4),
        ({"sex": "male"}, "bad-sex", 4),
        ({"name": "グエン"}, "bad-name-character", 1),
        ({"name": "NGUYEN VAN ANH2"}, "bad-name-character", 1),
        ({"name": "NGUYỄN"}, "bad-name-character", 1),
        ({"name": "--- ..."}, "formula-injection", 1),
        ({"name": ""}, "empty-field", 1),
        ({"code": ""}, "empty-field", 2),
        ({"address": ""}, "empty-field", 3),
        ({"sex": ""}, "empty-field", 4),
        ({"birth": ""}, "empty-field", 5),
        ({"event": ""}, "empty-field", 6),
        ({"address": "=1+2"}, "formula-injection", 3),
        ({"address": "+81 3"}, "formula-injection", 3),
        ({"address": "-1"}, "formula-injection", 3),
        ({"address": "@SUM(A1)"}, "formula-injection", 3),
        ({"address": "＝1+2"}, "formula-injection", 3),
        ({"address": "\t東京"}, "formula-injection", 3),
        ({"address": " =1+1"}, "formula-injection", 3),
        ({"address": "  @SUM(A1)"}, "formula-injection", 3),
        ({"address": "|cmd"}, "formula-injection", 3),
        ({"address": "=cmd|' /C calc'!A0"}, "formula-injection", 3),
        ({"address": ";=1+1"}, "formula-injection", 3),
        ({"address": "\u3000＝1+1"}, "formula-injection", 3),
        ({"address": "\u3000\u3000＋81"}, "formula-injection", 3),
        ({"address": "｜cmd"}, "formula-injection", 3),
        ({"address": "；=1"}, "formula-injection", 3),
        ({"address": " \t東京"}, "formula-injection", 3),
        ({"address": "\r東京"}, "formula-injection", 3),
        ({"name": " =1+1"}, "formula-injection", 1),
        ({"name": " -SMITH"}, "formula-injection", 1),
        ({"address": "東京\x07都"}, "control-character", 3),
        ({"address": "東京\x7f都"}, "control-character", 3),
        ({"name": "NGUYEN\tVAN"}, "control-character", 1),
        ({"address": "東京\r都"}, "control-character", 3),
        ({"name": "A" * 257}, "field-too-long", 1),
    ],
)
def test_each_row_problem_is_reported_at_its_column(changes, code, column):
    lines = (GOOD, row(**changes), GOOD)
    try:
        reading = read(csv(*lines))
    except UnicodeEncodeError:  # characters CP932 cannot hold are checked in a UTF-8 file
        reading = read(csv(*lines, encoding="utf-8", bom=True))
    found = [(p.code, p.column) for p in reading.problems if p.line == 3 and p.severity == "error"]
    assert (code, column) in found
    assert code in PROBLEM_CODES
    assert reading.rows_rejected == 1 and [r.line for r in reading.rows] == [2, 4]


def test_birth_in_future_is_judged_against_today():
    reading = read_annex(csv(row(birth="20261201", event="20261005")), annex=1, period=None, today=TODAY)
    assert "birth-after-event" in codes(reading)
    reading = read_annex(csv(row(birth="20261201", event="20270105")), annex=1, period=None, today=TODAY)
    assert "birth-in-future" in codes(reading)


def test_bidi_and_invisible_characters_in_utf8_are_control_characters():
    for char in ("\u202e", "\u200b", "\ufeff", "\u2028"):
        reading = read(csv(row(address=f"東京{char}都"), encoding="utf-8", bom=True))
        assert codes(reading, 2) == ["control-character"], char


def test_private_use_character_in_address_is_a_note():
    data = csv(GOOD).replace("千代田1-1".encode("cp932"), b"\xf0\x40")  # a user-defined (外字) code point
    reading = read(data)
    assert reading.ok and codes(reading) == ["private-use-character"]


def test_undecodable_bytes_point_at_the_field():
    data = csv(GOOD).replace("千代田1-1".encode("cp932"), b"\x81\x7f")
    reading = read(data)
    assert [(p.code, p.column) for p in reading.problems] == [("undecodable-bytes", 3)]


def test_utf8_file_without_bom_is_recognised_in_the_message():
    reading = read(csv(GOOD, encoding="utf-8"))
    assert not reading.ok
    assert any("UTF-8" in p.message for p in reading.problems)
    assert read(csv(GOOD, encoding="utf-8"), profile="utf-8").ok


@pytest.mark.parametrize(
    ("line", "code", "column"),
    [
        ("a,b", "wrong-column-count", 3),
        (GOOD + ",extra", "wrong-column-count", 7),
        ("", "empty-line", 1),
        ('"NGUYEN VAN ANH,131016,x,1,19950101,20261005', "bad-quoting", 1),
        ('NGUYEN "VAN",131016,x,1,19950101,20261005', "bad-quoting", 1),
        ('"NGUYEN"X,131016,x,1,19950101,20261005', "bad-quoting", 1),
    ],
)
def test_line_problems(line, code, column):
    reading = read(csv(line, GOOD))
    assert (code, column) in [(p.code, p.column) for p in reading.problems if p.line == 2]
    assert [r.line for r in reading.rows] == [3]


def test_overlong_line_is_skipped_without_being_held():
    long_line = "A" * (CSV_MAX_LINE_BYTES + 10) + "," + GOOD
    reading = read(csv(long_line, GOOD))
    assert codes(reading, 2) == ["line-too-long"]
    assert [r.line for r in reading.rows] == [3]
    assert reading.rows_read == 2 and reading.rows_rejected == 1


def test_line_exactly_at_the_limit_is_read():
    name = "A" * 200
    filler = ",".join([name] * 40)
    reading = read(csv(filler[:CSV_MAX_LINE_BYTES]))
    assert "line-too-long" not in codes(reading)


def test_mixed_newlines_are_reported():
    data = (HEADER1 + "\r\n" + GOOD + "\n" + GOOD + "\r\n").encode("cp932")
    reading = read(data)
    assert codes(reading, 2) == ["mixed-newlines"]
    assert [r.line for r in reading.rows] == [3]


def test_every_problem_is_reported_at_once():
    reading = read(csv(row(code="131017", sex="9", birth="20230230", address="=x"), "", "a,b"))
    assert sorted(codes(reading, 2)) == ["bad-check-digit", "bad-sex", "formula-injection", "impossible-date"]
    assert codes(reading, 3) == ["empty-line"] and codes(reading, 4) == ["wrong-column-count"]
    assert reading.rows_rejected == 3 and reading.rows == ()
    first = reading.problems[0]
    assert str(first) == f"in.csv:2:2: {first.message}"


# -- headers and file-level problems -----------------------------------------------------


def test_missing_header_is_reported_and_the_record_still_checked():
    reading = read(csv(GOOD, header=None))
    assert codes(reading) == ["missing-header"]
    assert not reading.ok and reading.header is None and [r.line for r in reading.rows] == [1]


def test_wrong_header_column_is_located():
    header = HEADER1.replace("性別", "性")
    reading = read(csv(GOOD, header=header))
    assert [(p.code, p.line, p.column) for p in reading.problems] == [("wrong-header", 1, 4)]


def test_header_of_another_annex():
    reading = read(csv(GOOD, annex=2), annex=1)
    assert codes(reading) == ["wrong-annex"]
    with pytest.raises(AnnexRejectedError):
        split_rows(reading, "131016")


def test_empty_file_needs_a_header():
    assert codes(read(b"")) == ["missing-header"]
    assert read(b"", profile="no-header").ok


def test_no_header_profile():
    assert read(csv(GOOD, header=None), profile="no-header").ok
    reading = read(csv(GOOD), profile="no-header")
    assert codes(reading) == ["unexpected-header"]


def test_bom_rules():
    strict = Profile(name="t-no-bom", description="test", bom="forbidden")
    assert codes(read(csv(GOOD, encoding="utf-8", bom=True), profile=strict)) == ["unexpected-bom"]
    needs = Profile(name="t-bom", description="test", bom="required", encoding="utf-8")
    assert codes(read(csv(GOOD, encoding="utf-8"), profile=needs)) == ["missing-bom"]


def test_utf16_is_refused_at_once():
    reading = read(b"\xff\xfe" + (HEADER1 + "\r\n" + GOOD + "\r\n").encode("utf-16-le"))
    assert codes(reading) == ["unsupported-encoding"] and reading.rows_read == 0


def test_newline_rule():
    crlf_only = Profile(name="t-crlf", description="test", newline="crlf")
    assert codes(read(csv(GOOD, newline="\n"), profile=crlf_only)) == ["wrong-newline", "wrong-newline"]


@pytest.mark.parametrize(
    ("quoting", "line", "ok"),
    [
        (Quoting.NONE, GOOD, True),
        (Quoting.NONE, '"NGUYEN",131016,x,1,19950101,20261005', False),
        (Quoting.ALL, GOOD, False),
        (Quoting.ALL, ",".join(f'"{c}"' for c in GOOD.split(",")), True),
    ],
)
def test_quoting_rules(quoting, line, ok):
    profile = Profile(name="t-q", description="test", quoting=quoting, header="absent")
    reading = read(csv(line, header=None), profile=profile)
    assert reading.ok is ok
    assert ok or codes(reading) == ["bad-quoting"]


def test_problem_list_is_bounded_but_rows_are_counted():
    data = csv(*["a,b"] * (ANNEX_MAX_ERRORS + 5))
    reading = read(data)
    assert len([p for p in reading.problems if p.severity == "error"]) == ANNEX_MAX_ERRORS
    assert reading.problems[-1].code == "problems-truncated"
    assert reading.rows_rejected == ANNEX_MAX_ERRORS + 5


# -- codes: wards, 5 digits, 浜松 ----------------------------------------------------------


def test_ward_routes_to_its_city_with_one_note_per_code():
    reading = read(csv(row(code="141011"), row(code="141011"), row(code="011002")))
    assert reading.ok
    assert [r.insurer for r in reading.rows] == ["141003", "141003", "011002"]
    assert [r.residence_code for r in reading.rows] == ["141011", "141011", "011002"]
    notes = [p for p in reading.problems if p.code == "ward-code"]
    assert len(notes) == 1 and "横浜市" in notes[0].message and "2 row(s)" in notes[0].message


def test_five_digit_codes_read_unambiguously_with_a_note():
    reading = read(csv(row(code="13101"), row(code="１３１０１"), row(code="11002")))
    assert reading.ok
    assert [r.residence_code for r in reading.rows] == ["131016", "131016", "011002"]
    assert codes(reading) == ["five-digit-code"]
    # only 11002 lost a zero (13101 is the 5-digit form): the note says which and why
    (note,) = reading.problems
    assert "1 of them lost their leading zero" in note.message and "Excel" in note.message


def test_the_five_digit_note_stays_quiet_about_zeros_when_none_was_lost():
    (note,) = read(csv(row(code="13101"))).problems
    assert "leading zero" not in note.message


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"PK\x03\x04" + bytes(range(256)) * 20, "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(300), "old Excel"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 4, "PDF"),
        (b"\x7fELF\x02\x01\x01" + bytes(64) + b"\n" * 200, "NUL bytes"),
    ],
)
def test_a_binary_file_is_one_finding_not_a_line_each(data, looks_like):
    reading = read(data)
    assert [p.code for p in reading.problems] == ["not-text"]
    assert looks_like in reading.problems[0].message and reading.rows == ()


@pytest.mark.parametrize(
    ("code", "event", "outcome"),
    [
        ("221317", "20231231", "retired-code-accepted"),  # 浜松市中区 on its last day
        ("221317", "20240101", "retired-code"),
        ("22131", "20240101", "retired-code"),
        ("221384", "20240101", None),  # 浜松市中央区 from its first day
        ("221384", "20231231", "code-not-yet-valid"),
        ("221309", "20231231", None),  # the city itself, any date
    ],
)
def test_hamamatsu_ward_change(code, event, outcome):
    reading = read(csv(row(code=code, event=event)), period="2023-12..2024-01")
    found = codes(reading)
    if outcome is None:
        assert reading.ok and "retired-code" not in found
        assert reading.rows[0].insurer == "221309"
    elif outcome == "retired-code-accepted":
        assert reading.ok and outcome in found and reading.rows[0].insurer == "221309"
    else:
        assert found == [outcome]


# -- splitting keeps bytes exact ------------------------------------------------------------


def test_split_rows_is_byte_exact():
    lines = [row(code="141011"), GOOD, row(code="１４１０１１", name="LE  VAN  A"), row(code="011002")]
    for encoding, bom, newline in (("cp932", False, "\r\n"), ("utf-8", True, "\n")):
        data = csv(*lines, encoding=encoding, bom=bom, newline=newline)
        reading = read(data)
        yokohama = split_rows(reading, "141003")
        nl = newline.encode()
        expected = ((b"\xef\xbb\xbf" if bom else b"") + HEADER1.encode(encoding) + nl
                    + lines[0].encode(encoding) + nl + lines[2].encode(encoding) + nl)
        assert yokohama == expected
        every = split_by_insurer(reading)
        assert sorted(every) == ["011002", "131016", "141003"]
        # Re-reading every split gives back each row's bytes, and they add up to the input rows.
        raws = sorted(r.raw for part in every.values() for r in read(part).rows)
        assert raws == sorted(line.encode(encoding) for line in lines)


def test_split_for_an_insurer_without_rows_is_the_header_alone():
    reading = read(csv(GOOD))
    assert split_rows(reading, "271004") == (HEADER1 + "\r\n").encode("cp932")
    assert split_by_insurer(reading, insurers=["271004"])["271004"] == (HEADER1 + "\r\n").encode("cp932")
    with pytest.raises(UsageError):
        split_rows(reading, "27100")


def test_split_without_header():
    reading = read(csv(GOOD, header=None), profile="no-header")
    assert split_rows(reading, "131016") == (GOOD + "\r\n").encode("cp932")


# -- streams, files, reports ---------------------------------------------------------------


def test_reads_from_a_binary_stream_and_refuses_text():
    assert read_annex(io.BytesIO(csv(GOOD)), annex=1, period="2026-10", today=TODAY).ok
    with pytest.raises(UsageError):
        read_annex(io.StringIO(HEADER1), annex=1, period=None)
    with pytest.raises(UsageError):
        read_annex(HEADER1, annex=1, period=None)  # type: ignore[arg-type]


def test_bad_arguments_are_usage_errors():
    with pytest.raises(UsageError):
        read(csv(GOOD), annex=4)
    with pytest.raises(UsageError):
        read(csv(GOOD), profile="nope")
    with pytest.raises(UsageError):
        read(csv(GOOD), period="2026-13")


def test_validate_files_summarises_without_rows(tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv(GOOD, row(code="141011")))
    bad.write_bytes(csv(GOOD, row(code="131017")))
    report = validate_files([good, bad], annex=1, period="2026-10", today=TODAY)
    assert not report.ok
    assert (report.rows, report.accepted, report.rejected, report.errors) == (4, 3, 1, 1)
    assert report.insurer_counts == {"131016": 2, "141003": 1}
    assert [f.rows_rejected for f in report.files] == [0, 1]
    assert report.files[0].newline == "CRLF" and report.files[0].encoding == "cp932"
    with pytest.raises(AnnexRejectedError) as caught:
        report.raise_if_rejected()
    assert "bad.csv:3:2" in str(caught.value) and caught.value.exit_code == 4
    validate_files([good], annex=1, period="2026-10", today=TODAY).raise_if_rejected()


def test_validate_files_checks_paths_first(tmp_path):
    with pytest.raises(NotFoundError):
        validate_files([tmp_path / "missing.csv"], annex=1, period=None)
    with pytest.raises(UsageError):
        validate_files([], annex=1, period=None)


def test_read_annex_file_names_the_source(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(csv(row(code="131017")))
    reading = read_annex_file(path, annex=1, period="2026-10", today=TODAY)
    assert reading.source == str(path) and str(reading.problems[0]).startswith(f"{path}:2:2: ")


def test_problem_string_format():
    problem = Problem(source="f.csv", line=3, column=2, code="bad-check-digit", message="m")
    assert str(problem) == "f.csv:3:2: m"


def test_profiles_registry():
    assert get_profile("default").encoding == "cp932"
    assert get_profile("utf-8").encoding == "utf-8"


class _Flood(io.RawIOBase):
    """A stream of ``size`` bytes of one line without a terminator, never held in memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = b"A" * count
        self.left -= count
        return count


def test_a_huge_line_is_drained_in_bounded_memory():
    import tracemalloc

    tracemalloc.start()
    try:
        reading = read_annex(io.BufferedReader(_Flood(30 * 2**20)), annex=1, period=None, today=TODAY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert codes(reading) == ["line-too-long"] and reading.rows_read == 1
    assert peak < 2**20, peak
