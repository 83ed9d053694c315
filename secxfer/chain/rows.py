"""Data files as they travel: prefix (BOM + header + newline), then rows grouped by insurer.

Every data file in every package has the same shape, so a relay splits and checks it
by counting row ends: no CSV parsing after the agency, and no row's bytes ever change.
A row ends at each LF (:data:`ROW_END`) whatever the annex's terminator: the agency
seals no row holding a CR or LF of its own, so in a CRLF file every LF ends a CR LF,
and counting one byte runs about three times as fast as counting two. Groups follow
the carried leaves' order (sorted by insurer code); within a group, rows keep the
order of the agency's source file.

Rows are counted a block at a time (``bytes.count`` in C, no Python work per row
inside a group), so a data file of any size is walked through a buffer of
:data:`BLOCK` bytes: :class:`GroupWalker` takes the blocks in order from whoever
holds them, :func:`walk_groups` reads them for it.
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


def group_spans(buffer: bytes | mmap.mmap, start: int, end: int, counts: Sequence[int]) -> list[tuple[int, int]]:
    """Offsets of each group of ``counts[i]`` rows in ``buffer[start:end]`` (a buffer held whole)."""

    def read(position: int, size: int) -> tuple[bytes, int]:
        block = bytes(buffer[position : position + size])
        return block, len(block)

    return walk_groups(read, start, end, counts)


def _row_ends(block: bytes | bytearray, at: int, limit: int, need: int) -> tuple[int, int]:
    """Where the ``need``-th row end after ``at`` finishes in ``block[:limit]``, and how many
    row ends were found (fewer than ``need``: the block ends first, and ``stop`` means nothing).

    A group of many rows is counted in C, over windows that grow from a guess at its
    size, so it costs a few calls per block it spans; a small one (and the last rows of a
    big one) is found row by row. Either way the bytes looked at stay proportional to
    the group's, however many groups share a block.
    """
    stop, found = at, 0
    width = need * 16  # a first guess at the group's bytes; doubled until it holds the group's end
    while need - found >= MANY_ROWS:
        window = min(limit, stop + width)
        counted = block.count(ROW_END, stop, window)
        if found + counted >= need:
            limit = window  # the group ends in this window: its last rows are found one by one
            break
        found, stop, width = found + counted, window, width * 2
        if stop >= limit:
            return limit, found
    while found < need:
        hit = block.find(ROW_END, stop, limit)
        if hit < 0:
            return limit, found
        stop = hit + 1
        found += 1
    return stop, need


class GroupWalker:
    """Assigns a data file's rows, given in order a block at a time, to groups of
    ``counts[i]`` rows (the carried leaves' order) starting at offset ``start``.

    :meth:`feed` takes the next bytes and says which piece of them belongs to which
    group, so a caller can hash each piece while it still holds the block; it never
    looks at a byte twice. :meth:`finish` gives each group's span once the file ended.
    """

    def __init__(self, counts: Sequence[int], start: int) -> None:
        self._counts = counts
        self.spans: list[tuple[int, int]] = []
        self._group = 0
        self._pos = start  # where the next byte fed lies in the file
        self._group_start = start
        self._close_empty(start)
        self._need = counts[self._group] if self._group < len(counts) else 0

    @property
    def complete(self) -> bool:
        """Every group has all its rows: any further byte is one too many."""
        return self._group >= len(self._counts)

    def _close_empty(self, at: int) -> None:
        while self._group < len(self._counts) and self._counts[self._group] == 0:
            self.spans.append((at, at))
            self._group += 1

    def feed(self, block: bytes | bytearray, limit: int) -> tuple[list[tuple[int, int, int]], int]:
        """Assign ``block[:limit]``, the bytes that follow those fed so far; return its pieces
        (group index, start, end) and how many bytes were taken: all of them unless every
        group completed first."""
        pieces: list[tuple[int, int, int]] = []
        at, total = 0, len(self._counts)
        while at < limit and self._group < total:
            stop, found = _row_ends(block, at, limit, self._need)
            if found < self._need:  # the whole rest of the block belongs to this group
                self._need -= found
                pieces.append((self._group, at, limit))
                at = limit
                break
            pieces.append((self._group, at, stop))
            self.spans.append((self._group_start, self._pos + stop))
            self._group += 1
            self._close_empty(self._pos + stop)
            self._need = self._counts[self._group] if self._group < total else 0
            at, self._group_start = stop, self._pos + stop
        self._pos += at
        return pieces, at

    def finish(self, end: int) -> list[tuple[int, int]]:
        """Each group's span, once the bytes fed are all of ``[start, end)``: raises
        ProvenanceError unless they are exactly ``sum(counts)`` rows."""
        if not self.complete:
            raise ProvenanceError("a data file holds fewer rows than its manifest says")
        if self._pos != end:
            raise ProvenanceError("a data file holds more bytes than its committed rows")
        return self.spans


def walk_groups(
    read: BlockReader, start: int, end: int, counts: Sequence[int], done: BlockDone | None = None
) -> list[tuple[int, int]]:
    """Offsets of each group of ``counts[i]`` rows in bytes ``[start, end)`` that ``read`` gives.

    ``done`` sees each block once its rows are assigned to groups (to hash them), before
    the next block is read. Raises ProvenanceError unless the region is exactly
    ``sum(counts)`` rows.
    """
    walker = GroupWalker(counts, start)
    pos = start
    while pos < end and not walker.complete:
        block, filled = read(pos, min(BLOCK, end - pos))
        pieces, taken = walker.feed(block, filled)
        if done is not None:
            done(block, pieces)
        pos += filled
        if taken < filled:
            break
    return walker.finish(end)
