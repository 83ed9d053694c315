"""The agency's accepted rows on their way into a sealed package, in bounded memory.

``seal`` validates the annex files row by row. Each accepted row is appended to a
private scratch file as it is read (:meth:`RowSpool.add`), and memory keeps 12 bytes
of index per row (the insurer's number and where the row starts: 24 MB at the
2,000,000-row limit), not the row. Once every file is accepted, :meth:`RowSpool.regroup`
copies the rows insurer by insurer, in the commitment's order, into a second scratch
file and hashes each group as it goes; the package's data file is that file, read on
demand while it is encrypted.

Rows never hold a CR LF pair or an LF (the reader splits lines there), so the spool
ends each row with CR LF; rows that lie next to each other are copied in one read, and
a file whose rows end in LF gets its pairs replaced as they are copied.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Sequence
from typing import BinaryIO

from secxfer.chain.datacheck import Positional
from secxfer.chain.provenance import ROWS_LABEL
from secxfer.errors import OperationalError

SEPARATOR = b"\r\n"
COPY_BLOCK = 1 << 20


class RowSpool:
    """One annex file's accepted rows, in file order, in a scratch file (the caller closes it)."""

    def __init__(self, scratch: BinaryIO) -> None:
        self._scratch = scratch
        self._number: dict[str, int] = {}
        self._per_number: list[int] = []
        self._row_number = array("I")
        self._row_start = array("Q")
        self._end = 0

    def add(self, insurer: str, raw: bytes) -> None:
        number = self._number.get(insurer)
        if number is None:
            number = self._number[insurer] = len(self._per_number)
            self._per_number.append(0)
        self._per_number[number] += 1
        self._row_number.append(number)
        self._row_start.append(self._end)
        self._end += self._scratch.write(raw + SEPARATOR)

    def counts(self) -> dict[str, int]:
        """Rows per insurer, every insurer the file routed a row to."""
        return {code: self._per_number[number] for code, number in self._number.items()}

    def regroup(self, codes: Sequence[str], newline: bytes, target: BinaryIO) -> list[tuple[int, bytes]]:
        """Write the rows of ``codes`` to ``target``: code by code in that order, each code's rows
        in file order, each row followed by ``newline``. Returns per code its row count and
        the hash of its rows (:func:`secxfer.chain.provenance.rows_digest` of those bytes);
        rows of codes not named (the withheld) are left out."""
        self._scratch.flush()
        order, first = self._order()
        results = []
        for code in codes:
            digest = hashlib.sha256(ROWS_LABEL)
            number = self._number.get(code)
            count = 0 if number is None else self._per_number[number]
            at = 0 if number is None else first[number]
            while count and at < first[number] + count:
                row = order[at]
                run = 1  # rows that lie next to each other in the spool: one read
                while at + run < first[number] + count and order[at + run] == row + run:
                    run += 1
                self._copy(self._row_start[row], self._start_of(row + run), newline, digest, target)
                at += run
            results.append((count, digest.digest()))
        return results

    def _order(self) -> tuple[array, array]:
        """Row indices sorted by insurer number, file order kept within one (a counting sort)."""
        first = array("Q", bytes(8 * len(self._per_number)))
        total = 0
        for number, count in enumerate(self._per_number):
            first[number] = total
            total += count
        order = array("I", bytes(4 * total))
        filled = array("Q", first)
        for row, number in enumerate(self._row_number):
            order[filled[number]] = row
            filled[number] += 1
        return order, first

    def _start_of(self, row: int) -> int:
        return self._row_start[row] if row < len(self._row_start) else self._end

    def _copy(self, start: int, end: int, newline: bytes, digest: hashlib._Hash, target: BinaryIO) -> None:
        held = b""  # a CR at a block's end, kept until the next block shows what follows it
        position = start
        while position < end:
            read = self._read(min(COPY_BLOCK, end - position), position)
            position += len(read)
            piece = held + read if held else read
            held = b""
            if newline != SEPARATOR:
                if piece.endswith(b"\r") and position < end:
                    held, piece = piece[-1:], piece[:-1]
                piece = piece.replace(SEPARATOR, newline)
            digest.update(piece)
            target.write(piece)

    def _read(self, size: int, at: int) -> bytes:
        """``size`` bytes of the spool from ``at`` (one ``pread`` where there is one: most runs are a row)."""
        if hasattr(os, "pread"):
            read = os.pread(self._scratch.fileno(), size, at)
        else:
            buffer = bytearray(size)
            read = bytes(buffer[: Positional(self._scratch).read_into(memoryview(buffer), at)])
        if len(read) != size:
            raise OperationalError("the seal's scratch file is shorter than what was written to it",
                                   hint="check the free space of the home folder's drive and seal again")
        return read
