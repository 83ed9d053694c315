"""Hostile input: arbitrary bytes and mutated files never make the reader raise."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secxfer.domain.annex import ANNEXES
from secxfer.domain.validate import read_annex, split_by_insurer

TODAY = date(2026, 11, 26)
GOOD = "NGUYEN VAN ANH,131016,東京都千代田区千代田1-1,1,19950101,20261005"
VALID = (ANNEXES[1].header + "\r\n" + GOOD + "\r\n" + GOOD.replace("131016", "141011") + "\r\n").encode("cp932")

# Bytes that matter to the reader: separators, quotes, terminators, BOMs, CP932 lead
# and trail bytes, UTF-8 starters, formula starters, digits.
INTERESTING = st.sampled_from(
    [b",", b'"', b"\r", b"\n", b"\r\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\x81", b"\x82\xa0", b"\xe3\x81\x82",
     b"=", b"-", b"@", b"\t", b"\x00", b"1", b"131016", b"R010501", b"H310501", b"\xf0\x40", b"\x80"]
)
CHUNKS = st.lists(st.one_of(st.binary(max_size=12), INTERESTING), max_size=40).map(b"".join)


def _check(data: bytes, *, profile: str = "default") -> None:
    for annex in (1, 2):
        reading = read_annex(data, annex=annex, period="2026-10", profile=profile, today=TODAY)
        # Accounting holds whatever came in.
        assert reading.rows_read == len(reading.rows) + reading.rows_rejected
        for row in reading.rows:
            assert b"\n" not in row.raw
            assert row.raw in data
            assert len(row.insurer) == 6 and row.insurer.isdigit()
        for problem in reading.problems:
            assert problem.line >= 1 and problem.column >= 1
            assert problem.severity in ("error", "note")
        if reading.ok:
            split_by_insurer(reading)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CHUNKS)
def test_arbitrary_bytes_are_reported_not_raised(data):
    _check(data)
    _check(data, profile="no-header")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_after_a_valid_header(data):
    _check(VALID[: len(ANNEXES[1].header) + 2] + data)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(VALID) - 1), st.binary(min_size=1, max_size=3), st.booleans())
def test_mutated_valid_file(position, replacement, insert):
    end = position if insert else position + len(replacement)
    mutated = VALID[:position] + replacement + VALID[end:]
    _check(mutated)
    _check(mutated, profile="utf-8")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=0, max_size=8))
def test_arbitrary_cells_in_utf8(cells):
    line = ",".join(cells)
    data = b"\xef\xbb\xbf" + (ANNEXES[1].header + "\n" + line + "\n").encode("utf-8", "surrogatepass")
    _check(data)
