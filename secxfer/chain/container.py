"""The package container: the plaintext inside a package's age encryption.

A container is a magic line followed by length-prefixed entries and an end marker::

    "secxfer-package-v1\\n"
    repeated: u16be name length | name (ASCII) | u64be data length | data
    u16be 0                                    (end marker; nothing may follow)

Entry names come from a closed set (see ``ENTRY_NAME``) so a name can never be a
path, and appear in the one order writers use (``entry_rank``), so a container has
a single byte form. The container knows nothing about manifests or crypto; it only
frames bytes.
Parsing works on any buffer (bytes or an mmap of a private scratch file) and checks
every length against the buffer and the named limits before slicing.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from secxfer.errors import FormatError
from secxfer.limits import PACKAGE_MAX_BYTES, PACKAGE_MAX_FILES

if TYPE_CHECKING:
    import mmap

MAGIC = b"secxfer-package-v1\n"
ENTRY_NAME = re.compile(r"(trust|leaves|manifest-[0-7]|annex[123]\.csv)\Z")
ENTRY_NAME_MAX_BYTES = 16  # the longest allowed name ("manifest-7", "annex1.csv") has 10
_NAME_LEN = struct.Struct(">H")
_DATA_LEN = struct.Struct(">Q")

Chunk = bytes | bytearray | memoryview


class Entry:
    """One named entry: a zero-copy view into the parsed buffer."""

    __slots__ = ("name", "data", "offset")

    def __init__(self, name: str, data: memoryview, offset: int) -> None:
        self.name = name
        self.data = data
        self.offset = offset

    def __repr__(self) -> str:
        return f"Entry({self.name!r}, {len(self.data)} bytes)"


def entry_rank(name: str) -> int:
    """Position of an allowed entry name in the writers' order: trust, manifests, leaves, annexes."""
    if name.startswith("manifest-"):
        return 1 + int(name[len("manifest-") :])
    return {"trust": 0, "leaves": 9, "annex1.csv": 10, "annex2.csv": 11, "annex3.csv": 12}[name]


def entry_header(name: str, size: int) -> bytes:
    if not ENTRY_NAME.match(name):
        raise ValueError(f"entry name {name!r} is not allowed")  # programming error
    raw = name.encode("ascii")
    return _NAME_LEN.pack(len(raw)) + raw + _DATA_LEN.pack(size)


def serialize(entries: Sequence[tuple[str, Sequence[Chunk]]]) -> Iterator[Chunk]:
    """Yield the container's bytes for ``entries`` (name, list of data chunks)."""
    yield MAGIC
    for name, chunks in entries:
        yield entry_header(name, sum(len(c) for c in chunks))
        yield from chunks
    yield _NAME_LEN.pack(0)


def serialized_size(entries: Sequence[tuple[str, Sequence[Chunk]]]) -> int:
    total = len(MAGIC) + _NAME_LEN.size
    for name, chunks in entries:
        total += _NAME_LEN.size + len(name) + _DATA_LEN.size + sum(len(c) for c in chunks)
    return total


def parse(buffer: Chunk | mmap.mmap) -> dict[str, Entry]:
    """Parse a whole container; raise FormatError on any deviation from the grammar."""
    view = memoryview(buffer)
    if len(view) > PACKAGE_MAX_BYTES:
        raise FormatError("package content exceeds the 4 GiB limit")
    if bytes(view[: len(MAGIC)]) != MAGIC:
        raise FormatError("not a secxfer package (bad container magic)")
    pos = len(MAGIC)
    entries: dict[str, Entry] = {}
    while True:
        if pos + _NAME_LEN.size > len(view):
            raise FormatError("package content is truncated (missing end marker)")
        (name_len,) = _NAME_LEN.unpack_from(view, pos)
        pos += _NAME_LEN.size
        if name_len == 0:
            break
        if name_len > ENTRY_NAME_MAX_BYTES or pos + name_len + _DATA_LEN.size > len(view):
            raise FormatError("package content has a malformed entry header")
        try:
            name = bytes(view[pos : pos + name_len]).decode("ascii")
        except UnicodeDecodeError:
            raise FormatError("package entry name is not ASCII") from None
        pos += name_len
        if not ENTRY_NAME.match(name):
            raise FormatError(f"package has an unexpected entry {name!r}")
        if name in entries:
            raise FormatError(f"package has entry {name!r} twice")
        if entries and entry_rank(name) < entry_rank(next(reversed(entries))):
            raise FormatError(f"package entry {name!r} is out of order")
        if len(entries) >= PACKAGE_MAX_FILES:
            raise FormatError("package has too many entries")
        (size,) = _DATA_LEN.unpack_from(view, pos)
        pos += _DATA_LEN.size
        if size > len(view) - pos:
            raise FormatError(f"package entry {name!r} is truncated")
        entries[name] = Entry(name, view[pos : pos + size], pos)
        pos += size
    if pos != len(view):
        raise FormatError("package content has trailing data after the end marker")
    return entries


class ChunkStream(io.RawIOBase):
    """A read-only stream over an iterable of byte chunks (feeds the encryptor lazily)."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        self._chunks = iter(chunks)
        self._current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        out = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(out):
            if not self._current:
                nxt = next(self._chunks, None)
                if nxt is None:
                    break
                self._current = memoryview(nxt).cast("B")
                continue
            n = min(len(out) - filled, len(self._current))
            out[filled : filled + n] = self._current[:n]
            self._current = self._current[n:]
            filled += n
        return filled
