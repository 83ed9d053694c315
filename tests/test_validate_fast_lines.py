"""The annex line source: terminators, overlong lines skipped unread, text streams refused."""

from __future__ import annotations

import io

import pytest

from secxfer.domain.annex_lines import annex_lines
from secxfer.errors import UsageError


def test_lines_split_as_written():
    data = b"a,b\r\nc\n\r\nlong-line-here\r\n123456\nlong-tail"
    assert list(annex_lines(io.BytesIO(data), 5)) == [
        (b"a,b", b"\r\n", False), (b"c", b"\n", False), (b"", b"\r\n", False), (b"", b"\r\n", True),
        (b"123456", b"\n", True), (b"", b"", True)]


def test_bytearray_lines_are_read_as_bytes():
    class ByteArrays(io.BytesIO):
        def readline(self, size=-1):
            return bytearray(super().readline(size))

    assert list(annex_lines(ByteArrays(b"a\nb"), 10)) == [(b"a", b"\n", False), (b"b", b"", False)]


def test_text_streams_are_refused():
    with pytest.raises(UsageError):
        list(annex_lines(io.StringIO("a,b\n"), 100))
