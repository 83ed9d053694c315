"""Data files as they travel: prefix (BOM + header + newline), then rows grouped by insurer.

Every data file in every package has the same shape, so a relay splits and checks it
by counting row ends: no CSV parsing after the agency, and no row's bytes ever change.
A row ends at each LF (:data:`ROW_END`) whatever the annex's terminator: the agency
seals no row holding a CR or LF of its own, so in a CRLF file every LF ends a CR LF,
and counting one byte runs about three times as fast as counting two. Groups follow the carried leaves' order (sorted by insurer code); within a
group, rows keep the order of the agency's source file.

Rows are counted a block at a time (``bytes.count`` in C, no Python work per row
inside a group), so a data file of any size is walked through a buffer of
:data:`BLOCK` bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from secxfer.errors import ProvenanceError

if TYPE_CHECKING:
    import mmap

NEWLINES = {"crlf": b"\r\n", "lf": b"\n"}
ROW_END = b"\n"  # what a reader counts (docs/format.md §9)
BLOCK = 1 << 20
MANY_ROWS = 1024  # groups of this many rows or more are counted a block at a time, smaller ones found row by row

# read(position, size) -> (block, filled): ``block[:filled]`` holds the bytes at position.
BlockReader = Callable[[int, int], tuple[bytes | bytearray, int]]
# done(block, pieces): every piece (group index, start, end) of the block was assigned.
BlockDone = Callable[[bytes | bytearray, list[tuple[int, int, int]]], object]


def newline_bytes(name: str) -> bytes:
    try:
        return NEWLINES[name]
    except KeyError:
        raise ProvenanceError(f"unknown row separator {name!r} in the commitment") from None


def group_spans(
    buffer: bytes | mmap.mmap, start: int, end: int, newline: bytes, counts: Sequence[int]
) -> list[tuple[int, int]]:
    """Offsets of each group of ``counts[i]`` rows in ``buffer[start:end]`` (a buffer held whole)."""

    def read(position: int, size: int) -> tuple[bytes, int]:
        block = bytes(buffer[position : position + size])
        return block, len(block)

    return walk_groups(read, start, end, newline, counts)


def _row_ends(block: bytes | bytearray, at: int, limit: int, newline: bytes, need: int) -> tuple[int, int]:
    """Where the ``need``-th row end after ``at`` finishes in ``block[:limit]``, and how many
    row ends were found (fewer than ``need``: the block ends first, and ``stop`` means nothing).

    A group of many rows is counted in C, over windows that grow from a guess at its
    size, so it costs a few calls per block it spans; a small one (and the last rows of a
    big one) is found row by row. Either way the bytes looked at stay proportional to
    the group's, however many groups share a block.
    """
    step = len(newline)
    stop, found = at, 0
    width = need * 16  # a first guess at the group's bytes; doubled until it holds the group's end
    while need - found >= MANY_ROWS:
        window = min(limit, stop + width)
        if step > 1 and window < limit and block[window - 1] == newline[0]:
            window -= 1  # never split a row end between two windows
        counted = block.count(newline, stop, window)
        if found + counted >= need:
            limit = window  # the group ends in this window: its last rows are found one by one
            break
        found, stop, width = found + counted, window, width * 2
        if stop >= limit:
            return limit, found
    while found < need:
        hit = block.find(newline, stop, limit)
        if hit < 0:
            return limit, found
        stop = hit + step
        found += 1
    return stop, need


def walk_groups(
    read: BlockReader, start: int, end: int, newline: bytes, counts: Sequence[int], done: BlockDone | None = None
) -> list[tuple[int, int]]:
    """Offsets of each group of ``counts[i]`` rows in bytes ``[start, end)`` that ``read`` gives.

    ``done`` sees each block once its rows are assigned to groups (to hash them), before
    the next block is read. Raises ProvenanceError unless the region is exactly
    ``sum(counts)`` newline-terminated rows.
    """
    step = len(newline)
    total = len(counts)
    spans: list[tuple[int, int]] = []
    group, pos = 0, start

    def close_empty(at: int) -> None:
        nonlocal group
        while group < total and counts[group] == 0:
            spans.append((at, at))
            group += 1

    close_empty(pos)
    need = counts[group] if group < total else 0
    group_start = pos
    while group < total:
        if pos >= end:
            raise ProvenanceError("a data file holds fewer rows than its manifest says")
        block, filled = read(pos, min(BLOCK, end - pos))
        limit = filled
        if step > 1 and pos + filled < end and block[filled - 1] == newline[0]:
            limit -= 1  # a row end may straddle two blocks: this byte starts the next one
        pieces: list[tuple[int, int, int]] = []
        at = 0
        while at < limit and group < total:
            stop, found = _row_ends(block, at, limit, newline, need)
            if found < need:  # the whole rest of the block belongs to this group
                need -= found
                pieces.append((group, at, limit))
                at = limit
                break
            pieces.append((group, at, stop))
            spans.append((group_start, pos + stop))
            group += 1
            close_empty(pos + stop)
            need = counts[group] if group < total else 0
            at, group_start = stop, pos + stop
        if done is not None:
            done(block, pieces)
        pos += at
    if pos != end:
        raise ProvenanceError("a data file holds more bytes than its committed rows")
    return spans
