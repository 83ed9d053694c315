"""The package container: the plaintext inside a package's age encryption.

A container is a magic line followed by length-prefixed entries and an end marker::

    "secxfer-package-v1\\n"
    repeated: u16be name length | name (ASCII) | u64be data length | data
    u16be 0                                    (end marker; nothing may follow)

Entry names come from a closed set (see ``ENTRY_NAME``) so a name can never be a
path, and appear in the one order writers use (``entry_rank``), so a container has
a single byte form. The container knows nothing about manifests or crypto; it only
frames bytes.
Parsing (:class:`Framer`) takes the bytes in order, as they come out of decryption,
and checks every length against the named limits before it holds anything: small
entries are held, data files only located (offset and size), so memory stays bounded
whatever the package's size. :func:`parse` runs it over a buffer held whole.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    """One named entry: its bytes (``data``) when held, else only where it lies.

    ``offset`` and ``size`` place the data in the container.
    """

    __slots__ = ("name", "data", "offset", "size")

    def __init__(self, name: str, data: bytes | None, offset: int, size: int) -> None:
        self.name = name
        self.data = data
        self.offset = offset
        self.size = size

    def __repr__(self) -> str:
        return f"Entry({self.name!r}, {self.size} bytes)"


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
        yield from pieces(chunks, direct=True)
    yield _NAME_LEN.pack(0)


def serialized_size(entries: Sequence[tuple[str, Sequence[Chunk]]]) -> int:
    total = len(MAGIC) + _NAME_LEN.size
    for name, chunks in entries:
        total += _NAME_LEN.size + len(name) + _DATA_LEN.size + sum(len(c) for c in chunks)
    return total


def parse(buffer: Chunk | mmap.mmap) -> dict[str, Entry]:
    """Parse a whole container held in memory; raise FormatError on any deviation from the grammar."""
    if len(buffer) > PACKAGE_MAX_BYTES:
        raise FormatError("package content exceeds the 4 GiB limit")
    framer = Framer()
    framer.feed(buffer)
    return framer.finish()


def hold_all(name: str) -> bool:
    return True


# Entries a streaming reader holds whole are bounded here, so a crafted size cannot
# make it buffer a package (their own checks later are stricter).
HELD_MAX_BYTES = 64 << 20


class Framer:
    """The container grammar over its bytes fed in order, in bounded memory.

    Entries ``hold(name)`` selects are kept whole (at most :data:`HELD_MAX_BYTES`
    each); the others pass by and keep only their offset and size. The first deviation
    from the grammar is recorded, not raised, and everything fed after it is ignored: a
    caller feeding decrypted chunks reports a payload that fails to authenticate first,
    then :meth:`finish` raises it.
    """

    def __init__(self, hold: Callable[[str], bool] = hold_all) -> None:
        self._hold = hold
        self._entries: dict[str, Entry] = {}
        self._pos = 0  # bytes consumed so far
        self._want = len(MAGIC)  # header bytes still needed for the current field
        self._field = bytearray()
        self._state = "magic"
        self._name = ""
        self._left = 0  # data bytes of the current entry still to come
        self._sink: bytearray | None = None
        self.error: FormatError | None = None

    def feed(self, chunk: Chunk) -> None:
        view = memoryview(chunk).cast("B")
        try:
            while len(view) and self.error is None:
                view = self._step(view)
        except FormatError as error:
            self.error = error

    def finish(self) -> dict[str, Entry]:
        if self.error is None and self._state != "end":
            self.error = FormatError(_ENDED_IN[self._state].format(name=self._name))
        if self.error is not None:
            raise self.error
        return self._entries

    def _step(self, view: memoryview) -> memoryview:
        if self._state == "data":
            take = min(self._left, len(view))
            piece = view[:take]
            if self._sink is not None:
                self._sink += piece
            self._pos += take
            self._left -= take
            if not self._left:
                self._close_entry()
            return view[take:]
        if self._state == "end":
            raise FormatError("package content has trailing data after the end marker")
        take = min(self._want - len(self._field), len(view))
        self._field += view[:take]
        self._pos += take
        if self._pos > PACKAGE_MAX_BYTES:
            raise FormatError("package content exceeds the 4 GiB limit")
        if len(self._field) == self._want:
            field, self._field = bytes(self._field), bytearray()
            self._header_field(field)
        return view[take:]

    def _header_field(self, field: bytes) -> None:
        if self._state == "magic":
            if field != MAGIC:
                raise FormatError("not a secxfer package (bad container magic)")
            self._state, self._want = "name_len", _NAME_LEN.size
        elif self._state == "name_len":
            (name_len,) = _NAME_LEN.unpack(field)
            if name_len == 0:
                self._state = "end"
            elif name_len > ENTRY_NAME_MAX_BYTES:
                raise FormatError("package content has a malformed entry header")
            else:
                self._state, self._want = "name", name_len
        elif self._state == "name":
            self._raw_name = field
            self._state, self._want = "data_len", _DATA_LEN.size
        else:
            (size,) = _DATA_LEN.unpack(field)
            self._open_entry(self._raw_name, size)

    def _open_entry(self, raw: bytes, size: int) -> None:
        try:
            name = raw.decode("ascii")
        except UnicodeDecodeError:
            raise FormatError("package entry name is not ASCII") from None
        entries = self._entries
        if not ENTRY_NAME.match(name):
            raise FormatError(f"package has an unexpected entry {name!r}")
        if name in entries:
            raise FormatError(f"package has entry {name!r} twice")
        if entries and entry_rank(name) < entry_rank(next(reversed(entries))):
            raise FormatError(f"package entry {name!r} is out of order")
        if len(entries) >= PACKAGE_MAX_FILES:
            raise FormatError("package has too many entries")
        if size > PACKAGE_MAX_BYTES - self._pos:
            raise FormatError(f"package entry {name!r} is truncated")
        held = self._hold(name)
        if held and size > HELD_MAX_BYTES:
            raise FormatError(f"package entry {name!r} exceeds its size limit")
        self._name, self._left, self._start = name, size, self._pos
        self._sink = bytearray() if held else None
        self._state = "data"
        if not size:
            self._close_entry()

    def _close_entry(self) -> None:
        name, size = self._name, self._pos - self._start
        self._entries[name] = Entry(name, bytes(self._sink) if self._sink is not None else None, self._start, size)
        self._sink = None
        self._state, self._want = "name_len", _NAME_LEN.size


_ENDED_IN = {
    "magic": "not a secxfer package (bad container magic)",
    "name_len": "package content is truncated (missing end marker)",
    "name": "package content has a malformed entry header",
    "data_len": "package content has a malformed entry header",
    "data": "package entry {name!r} is truncated",
}


def pieces(chunks: Iterable, *, direct: bool = False) -> Iterator:
    """The byte pieces of a data file's chunks: bytes-like chunks as they are, any
    other chunk (such as a span of a file read on demand) iterated for its pieces; with
    ``direct``, a chunk that can ``read_into`` a buffer itself is passed on whole, so
    :class:`ChunkStream` reads it straight into the encryptor's buffer."""
    for chunk in chunks:
        if isinstance(chunk, (bytes, bytearray, memoryview)) or (direct and hasattr(chunk, "read_into")):
            yield chunk
        else:
            yield from chunk


class ChunkStream(io.RawIOBase):
    """A read-only stream over an iterable of byte chunks (feeds the encryptor lazily).

    A chunk with ``read_into(view, skip)`` (a span of a file) is read straight into the
    caller's buffer, never copied through one of its own.
    """

    def __init__(self, chunks: Iterable) -> None:
        self._chunks = iter(chunks)
        self._current = memoryview(b"")
        self._span = None
        self._span_at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        out = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(out):
            if self._span is not None:
                n = min(len(out) - filled, len(self._span) - self._span_at)
                self._span.read_into(out[filled : filled + n], self._span_at)
                self._span_at += n
                filled += n
                if self._span_at == len(self._span):
                    self._span = None
                continue
            if not self._current:
                nxt = next(self._chunks, None)
                if nxt is None:
                    break
                if hasattr(nxt, "read_into"):
                    self._span, self._span_at = (nxt, 0) if len(nxt) else (None, 0)
                else:
                    self._current = memoryview(nxt).cast("B")
                continue
            n = min(len(out) - filled, len(self._current))
            out[filled : filled + n] = self._current[:n]
            self._current = self._current[n:]
            filled += n
        return filled
