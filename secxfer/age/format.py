"""The age v1 header grammar: parse and serialize, no cryptography.

    age-encryption.org/v1
    -> X25519 <base64 share>
    <base64 body, 64 columns per line, ending with a shorter (maybe empty) line>
    --- <base64 MAC>

The parser is strict (canonical base64 without padding, LF only, visible-ASCII
arguments, bounded sizes from :mod:`secxfer.limits`), so that one header has
exactly one spelling and the MAC over it cannot be sidestepped. It never sees a
key: unwrapping stanzas and checking the MAC happen elsewhere.
"""

from __future__ import annotations

import re

from secxfer import limits
from secxfer.age import _base64
from secxfer.age._io import Source
from secxfer.age._labels import (
    COLUMNS_PER_LINE,
    MAC_PREFIX,
    MAC_SIZE,
    STANZA_PREFIX,
    VERSION_LINE,
    VERSION_PREFIX,
)
from secxfer.age.errors import AgeHeaderError
from secxfer.models import Model

_READ_BLOCK = 4096
_ARGUMENT = re.compile(rb"[\x21-\x7e]+")  # 1*VCHAR
_MAC_TEXT_LENGTH = 43  # unpadded base64 of 32 bytes


class Stanza(Model, kw_only=True):
    """One recipient stanza: its type (first argument), further arguments, raw body."""

    type: str
    args: tuple[str, ...] = ()
    body: bytes = b""


class Header(Model, kw_only=True):
    """A parsed age header. ``size`` is its length in bytes, MAC line included."""

    stanzas: tuple[Stanza, ...]
    mac: bytes
    size: int


# -- serialization ------------------------------------------------------------------


def _check_argument(argument: str) -> bytes:
    raw = argument.encode("ascii") if argument.isascii() else b""
    if _ARGUMENT.fullmatch(raw) is None:
        raise ValueError(f"stanza argument {argument!r} is not 1+ visible ASCII characters")
    return raw


def stanza_bytes(stanza: Stanza) -> bytes:
    """The canonical text of one stanza, arguments line and wrapped body."""
    arguments = b" ".join(_check_argument(a) for a in (stanza.type, *stanza.args))
    body = _base64.encode(stanza.body)
    lines = [body[i : i + COLUMNS_PER_LINE] for i in range(0, len(body), COLUMNS_PER_LINE)]
    if not lines or len(lines[-1]) == COLUMNS_PER_LINE:
        lines.append(b"")  # the body always ends with a short line, possibly empty
    return STANZA_PREFIX + arguments + b"\n" + b"".join(line + b"\n" for line in lines)


def mac_input(stanzas: tuple[Stanza, ...] | list[Stanza]) -> bytes:
    """The bytes the header MAC covers: everything up to and including ``---``."""
    return VERSION_LINE + b"\n" + b"".join(stanza_bytes(s) for s in stanzas) + MAC_PREFIX


def serialize(stanzas: tuple[Stanza, ...] | list[Stanza], mac: bytes) -> bytes:
    """The complete header text, MAC line included."""
    if len(mac) != MAC_SIZE:
        raise ValueError("header MAC must be 32 bytes")
    return mac_input(stanzas) + b" " + _base64.encode(mac) + b"\n"


# -- parsing ------------------------------------------------------------------------


class _Lines:
    """Line reader over a Source that never reads more than the header limit."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self._buffer = bytearray()
        self._position = 0
        self._eof = False
        self.number = 0

    def next(self) -> bytes | None:
        """The next line without its LF; None at a clean end of input."""
        while True:
            end = self._buffer.find(b"\n", self._position)
            if end >= 0:
                line = bytes(self._buffer[self._position : end])
                self._position = end + 1
                self.number += 1
                return line
            if len(self._buffer) > limits.AGE_MAX_HEADER_BYTES:
                raise AgeHeaderError(
                    f"header is longer than {limits.AGE_MAX_HEADER_BYTES} bytes",
                    location=f"line {self.number + 1}",
                )
            if self._eof:
                if self._position == len(self._buffer):
                    return None
                raise AgeHeaderError("file ends in the middle of a header line", location=f"line {self.number + 1}")
            block = self._source.read(_READ_BLOCK)
            if block:
                self._buffer += block
            else:
                self._eof = True

    def consumed(self) -> bytes:
        return bytes(self._buffer[: self._position])

    def give_back(self) -> None:
        """Return the bytes read past the last line to the source (the payload)."""
        self._source.unread(bytes(self._buffer[self._position :]))


def parse(source: Source) -> Header:
    """Parse the header at the start of ``source``; leave ``source`` at the payload.

    Raises AgeHeaderError, with the line, for anything that is not a canonical v1
    header within the size and count limits.
    """
    lines = _Lines(source)
    first = lines.next()
    if first is None:
        raise AgeHeaderError("file is empty", location="line 1")
    if first != VERSION_LINE:
        if first.startswith(VERSION_PREFIX):
            version = first[len(VERSION_PREFIX) :].decode("ascii", "replace")
            raise AgeHeaderError(f"unsupported age format version {version!r}; only v1 is known", location="line 1")
        raise AgeHeaderError("not an age file: the first line is not 'age-encryption.org/v1'", location="line 1")
    stanzas: list[Stanza] = []
    while True:
        line = _require(lines, "header ends before the '---' MAC line")
        where = f"line {lines.number}"
        if line.startswith(STANZA_PREFIX):
            if len(stanzas) >= limits.AGE_MAX_STANZAS:
                raise AgeHeaderError(f"more than {limits.AGE_MAX_STANZAS} recipient stanzas", location=where)
            stanzas.append(_parse_stanza(line, lines))
        elif line.startswith(MAC_PREFIX):
            mac = _parse_mac(line, where)
            break
        elif line.startswith(b"->"):
            raise AgeHeaderError("recipient stanza has no arguments", location=where)
        else:
            raise AgeHeaderError("expected a recipient stanza ('-> ') or the MAC line ('---')", location=where)
    if not stanzas:
        raise AgeHeaderError("header has no recipient stanzas", location=where)
    text = lines.consumed()
    if len(text) > limits.AGE_MAX_HEADER_BYTES:
        raise AgeHeaderError(f"header is longer than {limits.AGE_MAX_HEADER_BYTES} bytes", location=where)
    if text != serialize(stanzas, mac):  # cannot happen for a strict parse; defence in depth
        raise AgeHeaderError("header is not in canonical form", location=where)
    lines.give_back()
    return Header(stanzas=tuple(stanzas), mac=mac, size=len(text))


def _require(lines: _Lines, message: str) -> bytes:
    line = lines.next()
    if line is None:
        raise AgeHeaderError(message, location=f"line {lines.number + 1}")
    return line


def _parse_stanza(line: bytes, lines: _Lines) -> Stanza:
    where = f"line {lines.number}"
    arguments = line[len(STANZA_PREFIX) :].split(b" ")
    for argument in arguments:
        if not argument:
            raise AgeHeaderError("recipient stanza has an empty argument", location=where)
        if _ARGUMENT.fullmatch(argument) is None:
            raise AgeHeaderError("stanza argument contains characters outside visible ASCII", location=where)
    body_lines: list[bytes] = []
    body_length = 0
    while True:
        body_line = _require(lines, "header ends inside a recipient stanza body")
        where = f"line {lines.number}"
        if len(body_line) > COLUMNS_PER_LINE:
            raise AgeHeaderError("stanza body line is longer than 64 columns", location=where)
        if not _base64.is_alphabet(body_line):
            raise AgeHeaderError(
                "stanza body line is not unpadded base64 (every stanza ends with a line shorter than 64 columns)",
                location=where,
            )
        body_length += len(body_line)
        if body_length // 4 * 3 > limits.AGE_MAX_STANZA_BODY_BYTES:
            raise AgeHeaderError(f"stanza body is larger than {limits.AGE_MAX_STANZA_BODY_BYTES} bytes", location=where)
        body_lines.append(body_line)
        if len(body_line) < COLUMNS_PER_LINE:
            break
    body = _base64.decode(b"".join(body_lines))
    if body is None:
        raise AgeHeaderError("stanza body is not canonical base64", location=where)
    decoded = [a.decode("ascii") for a in arguments]
    return Stanza(type=decoded[0], args=tuple(decoded[1:]), body=body)


def _parse_mac(line: bytes, where: str) -> bytes:
    if not line.startswith(MAC_PREFIX + b" ") or len(line) != len(MAC_PREFIX) + 1 + _MAC_TEXT_LENGTH:
        raise AgeHeaderError("MAC line must be '--- ' followed by 43 base64 characters", location=where)
    mac = _base64.decode(line[len(MAC_PREFIX) + 1 :])
    if mac is None or len(mac) != MAC_SIZE:
        raise AgeHeaderError("header MAC is not canonical base64", location=where)
    return mac
