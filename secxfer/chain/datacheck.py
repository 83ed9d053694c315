"""A received package's data files against the manifest and the agency's leaves, in bounded memory.

The decrypted container lies in a private scratch file, where the container's parser
(:class:`secxfer.chain.container.Framer`) located each data file as it came out of
decryption. One pass over each data file's rows, read from the file in blocks, checks
it: count the row ends (LF) to find each insurer's group
(:func:`secxfer.chain.rows.walk_groups`) and hash the groups. The groups tile the
file after the agency's prefix, so their hashes, which the agency's leaves commit
to, cover every byte: there is no hash of the whole file to take. For a large package
the groups are hashed on a second thread (hashlib releases the GIL) while this one
reads and counts the next block, over a ring of :data:`RING` reused blocks: memory is
``RING x rows.BLOCK`` whatever the size.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO

from secxfer.chain import rows
from secxfer.chain.manifest import Commitment, Manifest
from secxfer.chain.provenance import ROWS_LABEL, CarriedLeaf
from secxfer.chain.verify import ANNEX_FILES
from secxfer.errors import FormatError, ProvenanceError

if TYPE_CHECKING:
    from hashlib import _Hash as Hasher

    from secxfer.chain.container import Entry
    from secxfer.chain.manifest import FileEntry

RING = 3
HASH_BESIDE_MIN_BYTES = 8 << 20  # below this a second thread costs more than it saves


class Positional:
    """Reads at an offset of a file (``os.preadv`` where there is one), never moving a shared position."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._fd = None
        if hasattr(os, "preadv"):
            try:
                self._fd = handle.fileno()
            except (OSError, io.UnsupportedOperation):
                self._fd = None

    def read_into(self, view: memoryview, offset: int) -> int:
        """Fill ``view`` from ``offset``; the count is short only at the end of the file."""
        filled = 0
        while filled < len(view):
            if self._fd is not None:
                count = os.preadv(self._fd, [view[filled:]], offset + filled)
            else:
                self._handle.seek(offset + filled)
                count = self._handle.readinto(view[filled:])
            if not count:
                break
            filled += count
        return filled

    def read(self, offset: int, size: int) -> bytes:
        buffer = bytearray(size)
        if self.read_into(memoryview(buffer), offset) != size:
            raise FormatError("the decrypted package is shorter than its entries")
        return bytes(buffer)


class Span:
    """Bytes ``[start, end)`` of a file, read on demand a block at a time (a relay's rows).

    ``len()`` is its size; iterating yields views of one reused buffer, so each consumer
    must be done with a piece before it asks for the next (as hashing and
    :class:`secxfer.chain.container.ChunkStream` are).
    """

    __slots__ = ("_source", "start", "end")

    def __init__(self, source: Positional, start: int, end: int) -> None:
        self._source, self.start, self.end = source, start, end

    def __len__(self) -> int:
        return self.end - self.start

    def __bytes__(self) -> bytes:
        return self._source.read(self.start, len(self))

    def read_into(self, view: memoryview, skip: int) -> None:
        """Fill ``view`` with this span's bytes from ``skip`` on (straight from the file)."""
        if skip + len(view) > len(self) or self._source.read_into(view, self.start + skip) != len(view):
            raise FormatError("the decrypted package is shorter than its entries")

    def __iter__(self) -> Iterator[memoryview]:
        buffer = memoryview(bytearray(min(rows.BLOCK, len(self)) or 1))
        pos = self.start
        while pos < self.end:
            count = self._source.read_into(buffer[: min(len(buffer), self.end - pos)], pos)
            if not count:
                raise FormatError("the decrypted package is shorter than its entries")
            yield buffer[:count]
            pos += count


class _Blocks:
    """The blocks :func:`rows.walk_groups` reads, and the hashing of their pieces:
    beside it on one worker thread for a large package, inline for a small one."""

    def __init__(self, source: Positional, total: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._source = source
        beside = total >= HASH_BESIDE_MIN_BYTES
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="secxfer-hash") if beside else None
        size = max(2, min(rows.BLOCK, total))
        self._ring = deque((bytearray(size), None) for _ in range(RING if beside else 1))

    def read(self, offset: int, size: int) -> tuple[bytearray, int]:
        block, pending = self._ring.popleft()
        if pending is not None:
            pending.result()  # its pieces are hashed: the block may be reused
        if len(block) < size:
            block = bytearray(size)
        filled = self._source.read_into(memoryview(block)[:size], offset)
        if filled != size:
            raise FormatError("the decrypted package is shorter than its entries")
        return block, filled

    def hash(self, hashers: Sequence, block: bytearray, pieces: list[tuple[int, int, int]]) -> None:
        """Hash each piece into its group's hasher."""
        work = [(hashers[group], start, end) for group, start, end in pieces]
        if self._pool is None:
            _update(block, work)
            self._ring.append((block, None))
        else:
            self._ring.append((block, self._pool.submit(_update, block, work)))

    def drain(self) -> None:
        for _, pending in self._ring:
            if pending is not None:
                pending.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)  # never leave a thread reading a block


def _update(block: bytearray, work: Iterable[tuple[Hasher, int, int]]) -> None:
    view = memoryview(block)
    for hasher, start, end in work:
        hasher.update(view[start:end])


def verify_data(
    source: Positional,
    entries: dict,
    manifest: Manifest,
    commitment: Commitment,
    leaves: Sequence[CarriedLeaf],
) -> dict[int, list[tuple[int, int]]]:
    """Check each data file against the manifest and the leaves; return per-leaf row spans.

    Every file's size is compared first, then each file's row count, header and row
    groups (docs/format.md §10.2 step 13).
    """
    listed = {f.name: f for f in manifest.files}
    if set(listed) != set(ANNEX_FILES.values()) or len(manifest.files) != len(ANNEX_FILES):
        raise ProvenanceError("the manifest must list exactly annex1.csv, annex2.csv and annex3.csv")
    files = []
    for annex, name in ANNEX_FILES.items():
        info = listed[name]
        entry = entries.get(name)
        if entry is None:
            raise FormatError(f"package lacks {name}")
        if info.annex != annex or info.size != entry.size:
            raise ProvenanceError(f"{name} differs from what the sender's manifest states")
        files.append((annex, name, info, entry))
    blocks = _Blocks(source, sum(entry.size for *_, entry in files))
    spans: dict[int, list[tuple[int, int]]] = {}
    try:
        for annex, name, info, entry in files:
            spans[annex], digests = _row_groups(source, blocks, entry, name, info, annex, commitment, leaves)
            _check_groups(name, annex, leaves, digests)
    finally:
        blocks.close()
    return spans


def _row_groups(source: Positional, blocks: _Blocks, entry: Entry, name: str, info: FileEntry, annex: int,
                commitment: Commitment, leaves: Sequence[CarriedLeaf]) -> tuple[list[tuple[int, int]], list[bytes]]:
    """One data file's row count, header and row groups: the groups' spans and digests."""
    counts = [c.leaf.rows[annex - 1] for c in leaves]
    if info.rows != sum(counts):
        raise ProvenanceError(f"{name}: manifest row count disagrees with the leaves")
    rows.newline_bytes(commitment.newlines[annex - 1])  # a terminator the format knows
    prefix = commitment.prefixes[annex - 1]
    if entry.size < len(prefix) or source.read(entry.offset, len(prefix)) != prefix:
        raise ProvenanceError(f"{name}: header differs from the agency's")
    hashers = [hashlib.sha256(ROWS_LABEL) for _ in counts]
    try:
        spans = rows.walk_groups(
            blocks.read, entry.offset + len(prefix), entry.offset + entry.size, counts,
            lambda block, pieces: blocks.hash(hashers, block, pieces),
        )
    except ProvenanceError as error:
        raise ProvenanceError(f"{name}: {error.message}", hint=error.hint) from None
    blocks.drain()
    return spans, [h.digest() for h in hashers]


def _check_groups(name: str, annex: int, leaves: Sequence[CarriedLeaf], digests: Sequence[bytes]) -> None:
    for carried, digest in zip(leaves, digests, strict=True):
        if not hmac.compare_digest(digest, carried.leaf.rows_sha256[annex - 1]):
            raise ProvenanceError(
                f"{name}: rows for {carried.leaf.code} differ from what the agency sealed",
                hint="a row was altered, dropped, added or reordered on the way; report it to the sender",
            )
