"""Every finding of the annex reader reads as a whole Japanese sentence, from its facts."""

from __future__ import annotations

import re

import pytest

from secxfer.cli.i18n import catalog, set_language, t
from secxfer.cli.messages import problem_line
from secxfer.domain.annex import ANNEXES
from secxfer.domain.validate import PROBLEM_CODES, read_annex

GOOD = "NGUYEN VAN ANH,131016,東京都千代田区千代田1-1,1,19950101,20261005"
HEADER = ANNEXES[1].header


def row(**changes: str) -> str:
    fields = dict(zip(("name", "code", "address", "sex", "birth", "event"), GOOD.split(","), strict=True))
    fields.update(changes)
    return ",".join(fields.values())


def data(*rows: str, header: str = HEADER, newline: str = "\r\n", bom: bytes = b"") -> bytes:
    return bom + "".join(line + newline for line in (header, *rows)).encode("utf-8" if bom else "cp932")


CASES = [
    data(row(code="131017")),  # bad-check-digit
    data(row(code="99999")),  # unknown-code
    data(row(code="12ab")),  # bad-code
    data(row(code="130001")),  # prefecture-code
    data(row(code="131008")),  # tokyo-ward-area
    data(row(code="221317", event="20261005")),  # retired-code
    data(row(code="141011"), row(code="11002"), row(event="R081006")),  # ward-code, five-digit-code, era-date
    data(row(sex="X"), row(name="NGUYEN 1"), row(address=""), row(name="=1+1")),
    data(row(birth="20300101"), row(birth="19950230"), row(birth="H310501"), row(birth="18000101")),
    data(row(event="20250101"), row(birth="20261101", event="20261005"), row(event="banana")),
    data(row() + ",extra", "", row(name="A" * 300)),
    data(row(), header="x,y,z"),
    data(row(), header=ANNEXES[2].header),
    data(row(), row(), newline="\n") + (row() + "\r\n").encode("cp932"),
    data(row(address="東京都\x07千代田区")),
    b"PK\x03\x04" + bytes(200),
    "\ufeff".encode("utf-16-le") + b"x",
    b"",  # missing-header
    data(row()) + b"NGUYEN\x81\xff,131016,x,1,19950101,20261005\r\n",  # undecodable-bytes
    data(row(address="東京都\ue000町")),  # private-use-character
    data(row(name="A" * 9000)),  # line-too-long
    data('"NGUYEN VAN ANH,131016,x,1,19950101,20261005'),  # bad-quoting
]
# (input, period) for findings that need another month
DATED = [
    (data(row(code="221384", event="20231231")), "2023-12"),  # code-not-yet-valid
    (data(row(code="221317", event="20231231")), "2023-12"),  # retired-code-accepted
]


def test_every_finding_code_has_a_japanese_sentence():
    missing = [code for code in PROBLEM_CODES if f"finding.{code}" not in catalog()]
    assert missing == []


@pytest.mark.parametrize("case", [(c, "2026-10") for c in CASES] + DATED, ids=lambda c: str(hash(c[0]) % 997))
def test_each_finding_renders_whole_in_japanese(case, english_afterwards):
    reading = read_annex(case[0], annex=1, period=case[1], source="in.csv")
    assert reading.problems
    set_language("ja")
    for problem in reading.problems:
        line = problem_line(problem)
        assert problem.message not in line, f"English fallback for {problem.code}: {line}"
        assert t(f"finding.severity.{problem.severity}") in line
        # no English sentence: at most ids, codes, values, paths (no three English words in a row)
        text = line.split(": ", 3)[-1]
        assert not re.search(r"[A-Za-z]{3,} [a-z]{2,} [a-z]{2,}", text), line
