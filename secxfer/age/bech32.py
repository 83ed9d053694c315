"""Bech32 (BIP 173) as age uses it: no length limit, one case throughout.

age encodes recipients (``age1...``) and identities (``AGE-SECRET-KEY-1...``) this
way. The checksum is always computed over the lower-case form; a string must be
entirely upper or entirely lower case.
"""

from __future__ import annotations

from secxfer.age.errors import AgeKeyError

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_VALUE = {char: index for index, char in enumerate(_CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_CHECKSUM_LENGTH = 6


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def _expand_hrp(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int] | None:
    accumulator = 0
    bits = 0
    out: list[int] = []
    mask = (1 << to_bits) - 1
    for value in data:
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((accumulator >> bits) & mask)
    if pad:
        if bits:
            out.append((accumulator << (to_bits - bits)) & mask)
    elif bits >= from_bits or (accumulator << (to_bits - bits)) & mask:
        return None  # leftover padding that is too long or not zero: not canonical
    return out


def encode(hrp: str, data: bytes) -> str:
    """Bech32-encode ``data`` under ``hrp``; the result has the case of ``hrp``."""
    lower = hrp.lower()
    if not lower or any(not 33 <= ord(c) <= 126 for c in lower):
        raise ValueError(f"invalid Bech32 human-readable part {hrp!r}")
    values = _convert_bits(data, 8, 5, pad=True)
    assert values is not None
    polymod = _polymod(_expand_hrp(lower) + values + [0] * _CHECKSUM_LENGTH) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(_CHECKSUM_LENGTH)]
    text = lower + "1" + "".join(_CHARSET[v] for v in values + checksum)
    return text.upper() if hrp.isupper() else text


def decode(text: str) -> tuple[str, bytes]:
    """Decode a Bech32 string into (human-readable part as written, data bytes).

    Raises AgeKeyError for mixed case, bad characters, a bad checksum or
    non-canonical padding. The error never echoes ``text``: it may be a secret key.
    """
    if text.lower() != text and text.upper() != text:
        raise AgeKeyError("key mixes upper and lower case")
    if any(not 33 <= ord(c) <= 126 for c in text):
        raise AgeKeyError("key contains characters outside printable ASCII")
    separator = text.rfind("1")
    if separator < 1 or separator + 1 + _CHECKSUM_LENGTH > len(text):
        raise AgeKeyError("key is too short or lacks the '1' separator")
    hrp, payload = text[:separator], text[separator + 1 :].lower()
    try:
        values = [_VALUE[c] for c in payload]
    except KeyError:
        raise AgeKeyError("key contains a character outside the Bech32 alphabet") from None
    if _polymod(_expand_hrp(hrp.lower()) + values) != 1:
        raise AgeKeyError("key checksum does not match (mistyped or truncated?)")
    data = _convert_bits(values[:-_CHECKSUM_LENGTH], 5, 8, pad=False)
    if data is None:
        raise AgeKeyError("key has non-canonical padding bits")
    return hrp, bytes(data)
