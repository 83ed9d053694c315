"""Structured mutations of valid secxfer packages, for the mutation campaign: the file.

On the encrypted file as it lies on a medium (:func:`file_mutants`): bit flips in
every region of the age file (version line, stanza lines and bodies, MAC line,
payload nonce, each chunk's body and tag, the final chunk), truncation at every
boundary, appended bytes, chunk swaps, duplications and drops, stanza and header
splices between packages. The container inside is mutated by
``tests/mutation_container.py``. Every mutant must be refused with an IntegrityError
subclass and write nothing.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from dataclasses import dataclass

from secxfer.age import read_header

CHUNK = 64 * 1024
TAG = 16
NONCE = 16


@dataclass(frozen=True)
class Mutant:
    kind: str  # the class counted in the report
    label: str  # exactly what was done, for a failure message
    data: bytes


# -- the encrypted file ------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    lines: list[tuple[int, int]]  # header lines, LF included
    payload: int  # first byte after the nonce
    chunks: list[tuple[int, int]]


def layout(data: bytes) -> Layout:
    size = read_header(io.BytesIO(data)).size
    lines, start = [], 0
    while start < size:
        end = data.index(b"\n", start) + 1
        lines.append((start, end))
        start = end
    chunks, pos = [], size + NONCE
    while pos < len(data):
        chunks.append((pos, min(pos + CHUNK + TAG, len(data))))
        pos = chunks[-1][1]
    return Layout(lines, size + NONCE, chunks)


def flip(data: bytes, offset: int) -> bytes:
    out = bytearray(data)
    out[offset] ^= 1 << (offset % 8)
    return bytes(out)


def _regions(data: bytes, shape: Layout, stride: int) -> Iterator[tuple[str, int, int, int]]:
    """(region name, start, end, stride) — every byte of the header, a sample of the payload."""
    for number, (lo, hi) in enumerate(shape.lines):
        line = data[lo:hi]
        name = "version" if number == 0 else "mac" if line.startswith(b"---") else (
            "stanza" if line.startswith(b"->") else "stanza-body")
        yield f"header:{name}", lo, hi, 1
    yield "payload:nonce", shape.payload - NONCE, shape.payload, 1
    for index, (lo, hi) in enumerate(shape.chunks):
        final = index == len(shape.chunks) - 1
        yield ("payload:final-chunk" if final else "payload:chunk"), lo, hi - TAG, stride
        yield "payload:tag", hi - TAG, hi, 1


def file_mutants(data: bytes, other: bytes, *, stride: int = 89) -> Iterator[Mutant]:
    """Mutants of the encrypted package ``data``; ``other`` is another package (for splices).

    Every header byte and tag byte is flipped; in chunk bodies every ``stride``-th byte.
    """
    shape = layout(data)
    for region, lo, hi, stride in _regions(data, shape, stride):
        for offset in range(lo, hi, stride):
            yield Mutant(f"bitflip {region}", f"bit {offset % 8} of byte {offset}", flip(data, offset))
    cuts = {0, 1, len(data) - 1, len(data) - TAG, len(data) - TAG - 1}
    for lo, hi in shape.lines:
        cuts |= {hi - 1, hi, hi + 1}
    for lo, hi in shape.chunks:
        cuts |= {lo - 1, lo, lo + 1, hi - 1, hi, hi + 1}
    for cut in sorted(c for c in cuts if 0 <= c < len(data)):
        yield Mutant("truncate", f"cut at byte {cut} of {len(data)}", data[:cut])
    yield Mutant("append", "one zero byte appended", data + b"\0")
    yield Mutant("append", "last chunk repeated", data + data[shape.chunks[-1][0] :])
    yield Mutant("append", "first chunk appended", data + data[slice(*shape.chunks[0])])
    yield from _chunk_mutants(data, shape)
    yield from _header_mutants(data, shape, other)


def _rebuild(data: bytes, shape: Layout, order: list[int]) -> bytes:
    return data[: shape.payload] + b"".join(data[slice(*shape.chunks[i])] for i in order)


def _chunk_mutants(data: bytes, shape: Layout) -> Iterator[Mutant]:
    n = len(shape.chunks)
    for i in range(n):
        for j in range(i + 1, n):
            order = list(range(n))
            order[i], order[j] = order[j], order[i]
            yield Mutant("chunk swap", f"chunks {i} and {j} swapped", _rebuild(data, shape, order))
        yield Mutant("chunk duplicate", f"chunk {i} twice", _rebuild(data, shape, [*range(i + 1), *range(i, n)]))
        if n > 1:
            yield Mutant("chunk drop", f"chunk {i} dropped", _rebuild(data, shape, [k for k in range(n) if k != i]))
    if n > 1:
        yield Mutant("chunk swap", "chunks reversed", _rebuild(data, shape, list(reversed(range(n)))))


def _header_mutants(data: bytes, shape: Layout, other: bytes) -> Iterator[Mutant]:
    other_shape = layout(other)
    header, body = data[: shape.lines[-1][1]], data[shape.lines[-1][1] :]
    other_header = other[: other_shape.lines[-1][1]]
    stanza = data[shape.lines[1][0] : shape.lines[-1][0]]
    mac_line = data[slice(*shape.lines[-1])]
    version = data[slice(*shape.lines[0])]
    yield Mutant("header splice", "other package's header on this payload", other_header + body)
    yield Mutant("header splice", "this header on the other package's payload", header + other[other_shape.lines[-1][1] :])
    yield Mutant("header splice", "other package's MAC line", data[: shape.lines[-1][0]] + other[slice(*other_shape.lines[-1])] + body)
    yield Mutant("header splice", "stanzas repeated", version + stanza + stanza + mac_line + body)
    yield Mutant("header splice", "other package's stanzas added", version + stanza + other[other_shape.lines[1][0] : other_shape.lines[-1][0]] + mac_line + body)
    yield Mutant("header splice", "stanzas removed", version + mac_line + body)
    yield Mutant("header splice", "CRLF line ends", header.replace(b"\n", b"\r\n") + body)
    yield Mutant("header splice", "armored", b"-----BEGIN AGE ENCRYPTED FILE-----\n" + base64.encodebytes(data) + b"-----END AGE ENCRYPTED FILE-----\n")
