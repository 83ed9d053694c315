"""ASCII armor for age files: strict PEM ("AGE ENCRYPTED FILE"), streamed.

age files are binary; armor makes them 7-bit text. Armor is malleable unless it
is parsed strictly, so the reader accepts exactly one spelling of the content:

* optional whitespace, then ``-----BEGIN AGE ENCRYPTED FILE-----``;
* base64 lines of exactly 64 columns, then one final line of 1-64 columns that
  carries any ``=`` padding; canonical encoding only; no blank lines, no headers,
  no whitespace inside lines;
* ``-----END AGE ENCRYPTED FILE-----``, then only whitespace to the end.

Lines may end in LF or CRLF. Both directions work in constant memory.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import BinaryIO

from secxfer.age._io import Source, fill, write_all
from secxfer.age._labels import ARMOR_BEGIN, ARMOR_COLUMNS, ARMOR_END, ARMOR_WHITESPACE
from secxfer.age._limits import ARMOR_MAX_LINE_BYTES, ARMOR_MAX_OUTSIDE_WHITESPACE
from secxfer.age.errors import AgeArmorError

_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_FULL_LINES = re.compile(rb"(?:[A-Za-z0-9+/]{64}\r?\n)+")  # fast path: runs of full lines
_BYTES_PER_LINE = ARMOR_COLUMNS // 4 * 3
_READ_BLOCK = 64 * 1024


def looks_armored(source: Source) -> bool:
    """True when ``source`` starts (after whitespace) like a PEM block; consumes nothing.

    A binary age file starts with ``age-encryption.org/``, never with whitespace,
    so leading whitespace alone is enough to treat the input as (possibly bad) armor.
    """
    peek = bytearray(ARMOR_MAX_OUTSIDE_WHITESPACE + 5)
    count = fill(source, memoryview(peek))
    data = bytes(peek[:count])
    source.unread(data)
    rest = data.lstrip(ARMOR_WHITESPACE)
    return rest.startswith(b"-----") or (bool(data) and rest != data)


class ArmorReader:
    """Decode an armored age file; ``readinto`` yields the binary age file."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self._buffer = b""
        self._position = 0
        self._eof = False
        self._pending = b""
        self._pending_at = 0
        self._started = False
        self._finished = False
        self._saw_short_line = False

    # -- raw lines ------------------------------------------------------------------

    def _more(self) -> bool:
        block = self._source.read(_READ_BLOCK)
        if not block:
            self._eof = True
            return False
        self._buffer = self._buffer[self._position :] + block
        self._position = 0
        return True

    def _line(self) -> tuple[bytes, bool]:
        """Next line without its end-of-line, and whether it had one."""
        while True:
            end = self._buffer.find(b"\n", self._position)
            if end >= 0:
                line = self._buffer[self._position : end]
                self._position = end + 1
                return (line[:-1] if line.endswith(b"\r") else line), True
            if len(self._buffer) - self._position > ARMOR_MAX_LINE_BYTES:
                raise AgeArmorError("line is longer than 64 columns")
            if self._eof or not self._more():
                line = self._buffer[self._position :]
                self._position = len(self._buffer)
                return line, False

    # -- structure ------------------------------------------------------------------

    def _start(self) -> None:
        skipped = 0
        while True:
            if self._position == len(self._buffer) and (self._eof or not self._more()):
                raise AgeArmorError("no '-----BEGIN AGE ENCRYPTED FILE-----' line")
            if self._buffer[self._position] not in ARMOR_WHITESPACE:
                break
            self._position += 1
            skipped += 1
            if skipped > ARMOR_MAX_OUTSIDE_WHITESPACE:
                raise AgeArmorError("too much whitespace before the armor")
        line, had_eol = self._line()
        if line != ARMOR_BEGIN or not had_eol:
            raise AgeArmorError("first line is not exactly '-----BEGIN AGE ENCRYPTED FILE-----'")
        self._started = True

    def _finish(self) -> None:
        trailing = self._buffer[self._position :]
        while len(trailing) <= ARMOR_MAX_OUTSIDE_WHITESPACE and not self._eof and self._more():
            trailing = self._buffer[self._position :]
        if len(trailing) > ARMOR_MAX_OUTSIDE_WHITESPACE or trailing.strip(ARMOR_WHITESPACE):
            raise AgeArmorError("data after the '-----END AGE ENCRYPTED FILE-----' line")
        self._finished = True

    def _full_lines(self) -> bytes:
        """Decode the run of complete 64-column lines at the read position, if any.

        Such lines are canonical by construction (48 bytes each, no padding), so
        one regular-expression check and one decode cover thousands of lines.
        """
        match = _FULL_LINES.match(self._buffer, self._position)
        if match is None:
            return b""
        segment = self._buffer[self._position : match.end()]
        self._position = match.end()
        return base64.b64decode(segment.replace(b"\r", b"").replace(b"\n", b""))

    def _next_block(self) -> None:
        if not self._started:
            self._start()
        if not self._saw_short_line:
            self._pending = self._full_lines()
            self._pending_at = 0
            if self._pending:
                return
        line, had_eol = self._line()
        if line == ARMOR_END:
            self._finish()
            return
        if not had_eol:
            raise AgeArmorError("file ends before the '-----END AGE ENCRYPTED FILE-----' line")
        if self._saw_short_line:
            raise AgeArmorError("a line shorter than 64 columns must be the last before the END line")
        if not line:
            raise AgeArmorError("blank line inside the armor")
        if len(line) > ARMOR_COLUMNS:
            raise AgeArmorError("line is longer than 64 columns")
        if _BASE64_LINE.fullmatch(line) is None or len(line) % 4:
            raise AgeArmorError("line is not base64 (headers and whitespace are not allowed)")
        try:
            data = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise AgeArmorError("line is not valid base64") from None
        if base64.b64encode(data) != line:
            raise AgeArmorError("base64 is not canonical")
        if len(data) < _BYTES_PER_LINE:
            self._saw_short_line = True
        self._pending = data
        self._pending_at = 0

    def readinto(self, view: memoryview) -> int:
        while self._pending_at == len(self._pending):
            if self._finished:
                return 0
            self._next_block()
        start = self._pending_at
        count = min(len(view), len(self._pending) - start)
        view[:count] = memoryview(self._pending)[start : start + count]
        self._pending_at = start + count
        return count


class ArmorWriter:
    """Encode bytes written to it as armor on ``dst``; ``close`` writes the END line."""

    def __init__(self, dst: BinaryIO) -> None:
        self._dst = dst
        self._carry = b""
        write_all(dst, memoryview(ARMOR_BEGIN + b"\n"))

    def write(self, data: memoryview | bytes) -> int:
        joined = self._carry + bytes(data)
        whole = len(joined) - len(joined) % _BYTES_PER_LINE
        if whole:
            encoded = base64.b64encode(joined[:whole])
            lines = b"".join(
                encoded[i : i + ARMOR_COLUMNS] + b"\n" for i in range(0, len(encoded), ARMOR_COLUMNS)
            )
            write_all(self._dst, memoryview(lines))
        self._carry = joined[whole:]
        return len(data)

    def close(self) -> None:
        tail = base64.b64encode(self._carry) + b"\n" if self._carry else b""
        write_all(self._dst, memoryview(tail + ARMOR_END + b"\n"))
        self._carry = b""
