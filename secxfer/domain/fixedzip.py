"""A deflated zip archive of named parts, byte for byte what ``zipfile`` writes for them.

The workbook is eleven parts, seven of them the same text in every open (content
types, relationships, styles, the workbook part for the same sheet titles). Through
``zipfile`` each part costs a new deflate stream and its bookkeeping (about 0.1 ms a
part); here a part already compressed in this process is found again by its exact
bytes (the parts are never secret: they are the same in every workbook) and the
archive's records are packed directly. The bytes equal ``zipfile.ZipFile.writestr``
with a ``ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))``, ZIP_DEFLATED and
``compresslevel=1`` (tests compare the two).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterable

# As zipfile: version 2.0 (deflate), this system's "made by" (3 on POSIX, 0 on Windows).
_VERSION = 20
_SYSTEM = 0 if os.name == "nt" else 3
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0
_ATTRIBUTES = 0o600 << 16  # rw------- , as zipfile gives a part without attributes
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_CACHE_MAX = 64  # compressed parts kept (a few kilobytes each); cleared when full
_compressed: dict[bytes, tuple[int, bytes]] = {}


def _deflate(data: bytes, *, keep: bool) -> tuple[int, bytes]:
    """(CRC-32, raw deflate at level 1) of ``data``; with ``keep``, found again by its bytes."""
    known = _compressed.get(data) if keep else None
    if known is not None:
        return known
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    found = zlib.crc32(data), compressor.compress(data) + compressor.flush()
    if keep:
        if len(_compressed) >= _CACHE_MAX:
            _compressed.clear()
        _compressed[data] = found
    return found


def zip_parts(parts: Iterable[tuple[str, bytes, bool]]) -> bytes:
    """The archive of ``(name, data, constant)`` parts in order; ``constant`` parts are
    kept compressed for the next archive. Names are ASCII; every part is under 4 GiB."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, data, constant in parts:
        encoded = name.encode("ascii")
        crc, packed = _deflate(data, keep=constant)
        header = _LOCAL.pack(b"PK\003\004", _VERSION, 0, 0, zlib.DEFLATED, _DOS_TIME, _DOS_DATE, crc,
                             len(packed), len(data), len(encoded), 0)
        central.append(_CENTRAL.pack(b"PK\001\002", _VERSION, _SYSTEM, _VERSION, 0, 0, zlib.DEFLATED, _DOS_TIME,
                                     _DOS_DATE, crc, len(packed), len(data), len(encoded), 0, 0, 0, 0, _ATTRIBUTES, offset)
                       + encoded)
        out += (header, encoded, packed)
        offset += len(header) + len(encoded) + len(packed)
    directory = b"".join(central)
    out += (directory, _END.pack(b"PK\005\006", 0, 0, len(central), len(central), len(directory), offset, 0))
    return b"".join(out)
