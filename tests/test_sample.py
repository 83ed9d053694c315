"""The sample generator: clean output, labelled invalid rows, determinism, realism."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from secxfer.domain.counts import RowCounts
from secxfer.domain.errors import NotAnInsurerError
from secxfer.domain.municipalities import BodyKind, lookup, prefectures
from secxfer.domain.sample import generate_sample
from secxfer.domain.validate import read_annex_file, read_record, validate_files
from secxfer.errors import OutputExistsError, UsageError

TODAY = date(2026, 11, 26)


def readings(sample, period):
    return [
        read_annex_file(path, annex=number, period=period, today=TODAY)
        for number, path in enumerate(sample.files, start=1)
    ]


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    return generate_sample(tmp_path_factory.mktemp("month"), period="2026-10", rows=3000, seed=11)


def test_output_validates_clean(month):
    assert [Path(f).name for f in month.files] == ["annex1_2026-10.csv", "annex2_2026-10.csv", "annex3_2026-10.csv"]
    assert month.rows_per_file == RowCounts(1500, 750, 750) and month.invalid_rows == ()
    for reading in readings(month, "2026-10"):
        assert reading.ok, [str(p) for p in reading.problems if p.severity == "error"][:5]
        assert reading.encoding == "cp932" and reading.bom == b"" and reading.newline == b"\r\n"
        assert reading.header is not None


def test_output_is_realistic(month):
    reading = readings(month, "2026-10")[0]
    records = [read_record(reading, row) for row in reading.rows]
    raw = Path(month.files[0]).read_bytes()
    names = [r.name for r in records]
    assert all(name == name.upper() for name in names)
    assert any(len(name) > 30 for name in names)
    assert len(set(names)) > 1000
    assert any(r.name.startswith("NGUYEN ") for r in records)
    kinds = Counter(lookup(row.residence_code).kind for row in reading.rows)
    assert kinds[BodyKind.WARD] > 100 and kinds[BodyKind.TOWN] > 10 and kinds[BodyKind.SPECIAL_WARD] > 50
    assert all(18 <= (r.event_date - r.birth_date).days / 365.25 <= 61 for r in records)
    prefecture = {body.prefecture_code: body.name for body in prefectures()}
    for record in records:
        body = lookup(record.residence_code)
        assert record.address.startswith(prefecture[body.prefecture_code] + body.name)
        assert any(mark in record.address for mark in ("丁目", "番地", "-", "－"))
    text = raw.decode("cp932")
    assert "１" in text or "２" in text  # full-width digits now and then
    sexes = Counter(line.split(",")[3] for line in text.splitlines()[1:])
    assert {"1", "2"} <= set(sexes) and set(sexes) <= {"1", "2", "男", "女", "M", "F"}
    big = Counter(row.insurer for row in reading.rows).most_common(3)
    assert all(lookup(code).kind in (BodyKind.DESIGNATED_CITY, BodyKind.SPECIAL_WARD) for code, _ in big)


def test_spread_touches_many_municipalities(tmp_path):
    sample = generate_sample(tmp_path, period="2026-10", rows=20000, seed=3)
    report = validate_files(sample.files, annex=1, period="2026-10", today=TODAY)
    # Read as annex 1, only the other annexes' headers are wrong; the rows are all good.
    assert report.rejected == 0 and report.accepted == 20000
    assert len(report.insurer_counts) > 1200


def test_same_seed_same_bytes(tmp_path):
    first = generate_sample(tmp_path / "a", period="2026-10", rows=500, seed=5, invalid=9)
    second = generate_sample(tmp_path / "b", period="2026-10", rows=500, seed=5, invalid=9)
    other = generate_sample(tmp_path / "c", period="2026-10", rows=500, seed=6, invalid=9)

    def digests(sample):
        return [hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in sample.files]

    assert digests(first) == digests(second) != digests(other)
    assert [(r.line, r.code) for r in first.invalid_rows] == [(r.line, r.code) for r in second.invalid_rows]


def test_invalid_rows_are_reported_at_the_stated_lines(tmp_path):
    sample = generate_sample(tmp_path, period="2024-01..2026-10", rows=900, seed=2, invalid=60)
    assert len(sample.invalid_rows) == 60
    assert len({row.code for row in sample.invalid_rows}) >= 20
    assert "retired-code" in {row.code for row in sample.invalid_rows}
    labelled = {(row.file, row.line): row.code for row in sample.invalid_rows}
    for number, reading in enumerate(readings(sample, "2024-01..2026-10"), start=1):
        errors: dict[int, set[str]] = {}
        for problem in reading.problems:
            if problem.severity == "error":
                errors.setdefault(problem.line, set()).add(problem.code)
        mine = {line: code for (file, line), code in labelled.items() if file == sample.files[number - 1]}
        assert set(errors) == set(mine), "errors only on the labelled lines"
        for line, code in mine.items():
            assert code in errors[line], (line, code, errors[line])
        assert reading.rows_rejected == len(mine)


def test_retired_hamamatsu_wards_only_before_2024(tmp_path):
    retired = {f"2213{n}" for n in range(1, 8)}
    sample = generate_sample(tmp_path, period="2023-07..2024-06", rows=6000, seed=4, insurers=["221309"])
    seen_before = seen_after = 0
    for reading in readings(sample, "2023-07..2024-06"):
        assert reading.ok
        for row in reading.rows:
            assert row.insurer == "221309"
            if row.residence_code[:5] in retired:
                assert row.event_date <= date(2023, 12, 31)
                seen_before += 1
            elif row.residence_code != "221309":
                seen_after += row.event_date >= date(2024, 1, 1)
    assert seen_before > 100 and seen_after > 100


def test_insurers_restrict_rows_to_them_and_their_wards(tmp_path):
    sample = generate_sample(tmp_path, period="2026-10", rows=400, seed=8, insurers=["131016", "14100"])
    reading = readings(sample, "2026-10")[0]
    assert reading.ok and {row.insurer for row in reading.rows} == {"131016", "141003"}
    with pytest.raises(NotAnInsurerError):
        generate_sample(tmp_path / "x", period="2026-10", rows=10, seed=1, insurers=["130001"])


def test_utf8_with_bom(tmp_path):
    sample = generate_sample(tmp_path, period="2026-10", rows=300, seed=9, encoding="utf-8")
    for reading in readings(sample, "2026-10"):
        assert reading.ok and reading.encoding == "utf-8" and reading.bom == b"\xef\xbb\xbf"


def test_refuses_bad_arguments_and_overwrites(tmp_path):
    generate_sample(tmp_path, period="2026-10", rows=3, seed=1)
    (tmp_path / "annex1_2026-10.csv").unlink()
    before = (tmp_path / "annex3_2026-10.csv").read_bytes()
    with pytest.raises(OutputExistsError):
        generate_sample(tmp_path, period="2026-10", rows=3, seed=2)
    assert not (tmp_path / "annex1_2026-10.csv").exists()  # nothing written beside the old files
    assert (tmp_path / "annex3_2026-10.csv").read_bytes() == before
    with pytest.raises(UsageError):
        generate_sample(tmp_path / "y", period="2026-10", rows=-1, seed=1)
    with pytest.raises(UsageError):
        generate_sample(tmp_path / "y", period="2026-10", rows=1, seed=1, encoding="latin-1")


def test_files_are_owner_only(tmp_path):
    sample = generate_sample(tmp_path, period="2026-10", rows=3, seed=1)
    assert all(Path(f).stat().st_mode & 0o077 == 0 for f in sample.files)


def test_large_file_validates_in_constant_memory(tmp_path):
    import tracemalloc

    sample = generate_sample(tmp_path, period="2019-04..2026-10", rows=60000, seed=12)
    report = validate_files(sample.files[:1], annex=1, period="2019-04..2026-10", today=TODAY)
    assert report.ok and report.rows == 30000
    tracemalloc.start()
    try:
        validate_files(sample.files[:1], annex=1, period="2019-04..2026-10", today=TODAY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, peak  # the file is ~2.5 MiB; validation holds no rows
