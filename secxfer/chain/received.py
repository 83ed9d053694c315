"""A received package: the readers receive decrypts through, and the verified package it hands over.

``receive`` (:mod:`secxfer.chain.package`) hashes the ciphertext as it reads it
(:class:`HashingReader`) and parses the container as the plaintext goes to the scratch
file (:class:`FramingWriter`); :class:`ReceivedPackage` then serves the verified
entries, reading the data files' rows back from the scratch file on demand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from secxfer.chain import container
from secxfer.chain.datacheck import Positional, Span
from secxfer.chain.manifest import Manifest
from secxfer.chain.provenance import CarriedLeaf
from secxfer.chain.trustlink import unpack_bundle
from secxfer.chain.verify import ANNEX_FILES, VerifiedChain

if TYPE_CHECKING:
    from secxfer.trust import Directory


class HashingReader:
    """Read a file while hashing it, so the encrypted file is read once."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.hash = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._handle.read(n)
        self.hash.update(data)
        self.size += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        n = self._handle.readinto(buffer)
        if n:
            self.hash.update(memoryview(buffer)[:n])
            self.size += n
        return n


class FramingWriter:
    """Write decrypted bytes to the scratch file and parse the container from them as they pass.

    The parser holds the small entries and only locates the data files (their rows are
    checked from the scratch file once every byte has authenticated), so it costs next
    to nothing per batch and runs on this thread.
    """

    def __init__(self, scratch: BinaryIO, framer: container.Framer) -> None:
        self._scratch = scratch
        self._framer = framer

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = memoryview(data)
        self._framer.feed(view)
        count = self._scratch.write(view)  # buffered: it takes every batch whole, a short count is an error
        if count != len(view):
            raise OSError(f"the scratch file took {count} of {len(view)} bytes")
        return count


_DATA_ENTRIES = frozenset(ANNEX_FILES.values())


def held_in_memory(name: str) -> bool:
    """The entries receive keeps in memory (bounded by their limits); data files are only located."""
    return name not in _DATA_ENTRIES


class ReceivedPackage:
    """A decrypted and fully verified package (plaintext only in anonymous scratch)."""

    def __init__(
        self, *, path: Path, size: int, sha256: bytes, scratch: BinaryIO,
        entries: dict[str, container.Entry], chain: VerifiedChain, directory: Directory,
        leaves: tuple[CarriedLeaf, ...], spans: dict[int, list[tuple[int, int]]], bundle: bytes | None = None,
        outer_checked: bool = False,
    ) -> None:
        self.path: Path = path
        self.size: int = size
        self.sha256: bytes = sha256
        self._scratch = scratch
        self._source = Positional(scratch)
        self.entries: dict[str, container.Entry] = entries
        self.chain: VerifiedChain = chain
        self.directory = directory
        self.leaves: tuple[CarriedLeaf, ...] = leaves
        self.spans: dict[int, list[tuple[int, int]]] = spans
        self._bundle: bytes | None = bundle  # the carried bundle, decompressed once by receive
        self.outer_checked: bool = outer_checked  # its .age.sig was beside it and verified

    @property
    def manifest(self) -> Manifest:
        return self.chain.current

    def bundle(self) -> bytes:
        if self._bundle is None:
            self._bundle = unpack_bundle(bytes(self.entries["trust"].data))
        return self._bundle

    def rows(self, annex: int, positions: Sequence[int]) -> list[Span]:
        """These leaves' rows (ascending positions) of one data file, read from the scratch
        file when iterated; groups that lie next to each other are read as one span."""
        spans: list[Span] = []
        for position in positions:
            lo, hi = self.spans[annex][position]
            if spans and spans[-1].end == lo:
                spans[-1] = Span(self._source, spans[-1].start, hi)
            else:
                spans.append(Span(self._source, lo, hi))
        return spans

    def data(self, name: str) -> bytes:
        """An entry's bytes in full (a data file is read from the scratch file: mind its size)."""
        entry = self.entries[name]
        return entry.data if entry.data is not None else self._source.read(entry.offset, entry.size)

    def prefix(self, annex: int) -> bytes:
        return self.chain.commitment.prefixes[annex - 1]

    def close(self) -> None:
        self.entries = {}
        self._scratch.close()

    def __enter__(self) -> ReceivedPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
