"""The workbook's archive is byte for byte what zipfile writes for the same parts."""

from __future__ import annotations

import io
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.domain import fixedzip
from secxfer.domain.xlsx import Sheet, _package_files, write_xlsx


def by_zipfile(parts) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=1)
    return out.getvalue()


def test_a_workbook_equals_zipfiles_archive_of_its_parts():
    sheets = [Sheet("表紙", rows=[["a", 1]]), Sheet("別紙1", rows=[["x&<y>", None, 3]], freeze_header=True)]
    parts = [(name, text.encode("utf-8")) for name, text in _package_files(sheets, "secxfer")]
    for _ in range(2):  # the second time the constant parts come from the cache
        data = write_xlsx(sheets)
        assert data == by_zipfile(parts)
        assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[a-z][a-z0-9/._]{0,20}", fullmatch=True), st.binary(max_size=3000),
                          st.booleans()), min_size=1, max_size=6, unique_by=lambda part: part[0]))
def test_any_parts_equal_zipfiles_archive(parts):
    assert fixedzip.zip_parts(parts) == by_zipfile([(name, data) for name, data, _ in parts])


def test_a_kept_part_is_found_by_its_exact_bytes_only():
    first = fixedzip.zip_parts([("a.xml", b"<same/>" * 50, True)])
    changed = fixedzip.zip_parts([("a.xml", b"<same/>" * 49 + b"<diff/>", True)])
    assert changed == by_zipfile([("a.xml", b"<same/>" * 49 + b"<diff/>")]) != first
    assert zipfile.ZipFile(io.BytesIO(changed)).read("a.xml").endswith(b"<diff/>")
