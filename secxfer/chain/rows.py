"""Data files as they travel: prefix (BOM + header + newline), then rows grouped by insurer.

Every data file in every package has the same shape, so a relay splits and checks it
by counting row terminators: no CSV parsing after the agency, and no row's bytes ever
change. Groups follow the carried leaves' order (sorted by insurer code); within a
group, rows keep the order of the agency's source file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from secxfer.errors import ProvenanceError

if TYPE_CHECKING:
    import mmap

NEWLINES = {"crlf": b"\r\n", "lf": b"\n"}
# Groups of at least _MANY_ROWS rows are skipped a block at a time (no Python work per row).
_MANY_ROWS = 1024
_BLOCK = 1 << 20


def newline_bytes(name: str) -> bytes:
    try:
        return NEWLINES[name]
    except KeyError:
        raise ProvenanceError(f"unknown row separator {name!r} in the commitment") from None


def group_spans(
    buffer: bytes | mmap.mmap, start: int, end: int, newline: bytes, counts: Sequence[int]
) -> list[tuple[int, int]]:
    """Offsets of each group of ``counts[i]`` rows in ``buffer[start:end]``.

    ``buffer`` is anything with ``find(sub, start, end)`` (bytes, mmap). Raises
    ProvenanceError unless the region is exactly ``sum(counts)`` newline-terminated rows.
    """
    spans: list[tuple[int, int]] = []
    pos = start
    step = len(newline)
    for count in counts:
        group_start = pos
        while count >= _MANY_ROWS:  # big group: count whole blocks in C, find rows only in the last
            block = bytes(buffer[pos : min(pos + _BLOCK, end)])
            found = block.count(newline)
            if found == 0 or found >= count:
                break
            pos += block.rfind(newline) + step
            count -= found
        for _ in range(count):
            hit = buffer.find(newline, pos, end)
            if hit < 0:
                raise ProvenanceError("a data file holds fewer rows than its manifest says")
            pos = hit + step
        spans.append((group_start, pos))
    if pos != end:
        raise ProvenanceError("a data file holds more bytes than its committed rows")
    return spans
