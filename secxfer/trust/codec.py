"""Strict, canonical decoding of outside bytes into models.

Every document is decoded with a size bound checked before parsing, unknown fields
refused (``secxfer.models.Model``), and then re-encoded and compared with the input:
a document has exactly one byte form, so bytes that decode to the same value but
differ (non-canonical base64, other whitespace, another time-zone spelling) are
refused instead of silently accepted.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec

from secxfer.errors import FormatError, TextEditedError

T = TypeVar("T")

ENCODER = msgspec.json.Encoder()


def encode(value: object) -> bytes:
    """The one canonical byte form of a model."""
    return ENCODER.encode(value)


def decode_strict(data: bytes, decoder: msgspec.json.Decoder, *, what: str, max_bytes: int) -> T:
    """Decode ``data`` with ``decoder``; raise FormatError if oversize, malformed or non-canonical."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError(f"{what}: expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise FormatError(f"{what} is {len(data)} bytes, more than the limit of {max_bytes}")
    try:
        value = decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:  # msgspec lets bad UTF-8 through as the latter
        _refuse_if_text_edited(bytes(data), decoder, what)
        raise FormatError(f"{what} is malformed: {error}", facts={"wording": "malformed", "what": what}) from None
    if ENCODER.encode(value) != bytes(data):
        _refuse_if_text_edited(bytes(data), decoder, what)
        raise FormatError(f"{what} is not in canonical form (re-encoded or altered)")
    return value


def _refuse_if_text_edited(data: bytes, decoder: msgspec.json.Decoder, what: str) -> None:
    """TextEditedError when undoing what Windows editors do (BOM, CRLF, a final newline) gives canonical bytes.

    The file is refused all the same; only the message changes, so an officer whose
    Notepad re-saved a card copies it again instead of reporting an incident.
    """
    cleaned = data.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").rstrip(b"\r\n")
    if cleaned == data:
        return
    try:
        canonical = ENCODER.encode(decoder.decode(cleaned)) == cleaned
    except (msgspec.DecodeError, UnicodeDecodeError):
        return
    if canonical:
        added = [name for name, present in (("a UTF-8 BOM", data.startswith(b"\xef\xbb\xbf")),
                                             ("CRLF line ends", b"\r" in data)) if present] or ["a final newline"]
        raise TextEditedError(f"{what} was re-saved by a text editor ({' and '.join(added)} added); refused as it is")
