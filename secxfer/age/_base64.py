"""Strict base64 as the age header uses it: standard alphabet, no padding, canonical.

Decoders reject padding, foreign characters and non-canonical encodings (non-zero
trailing bits), because the header MAC is computed over the text and two spellings
of one value would make the header malleable.
"""

from __future__ import annotations

import base64
import binascii
import re

_UNPADDED = re.compile(rb"[A-Za-z0-9+/]*")


def encode(data: bytes) -> bytes:
    """Unpadded standard base64 of ``data``."""
    return base64.b64encode(data).rstrip(b"=")


def decode(text: bytes) -> bytes | None:
    """Decode canonical unpadded base64, or return None if ``text`` is not exactly that."""
    if _UNPADDED.fullmatch(text) is None or len(text) % 4 == 1:
        return None
    try:
        data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        return None
    if encode(data) != text:
        return None
    return data


def is_alphabet(text: bytes) -> bool:
    """True when ``text`` uses only unpadded base64 characters."""
    return _UNPADDED.fullmatch(text) is not None
