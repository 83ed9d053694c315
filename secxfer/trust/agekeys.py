"""The bridge to the age layer: X25519 keys as age recipients and identities.

The trust wing stores raw 32-byte X25519 keys; their text forms (``age1…`` and
``AGE-SECRET-KEY-1…``) belong to ``secxfer.age``, so stock ``age`` can use them.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from secxfer.errors import FormatError, SecxferError

if TYPE_CHECKING:
    from secxfer.age import X25519Identity, X25519Recipient


def recipient(public_key: bytes) -> X25519Recipient:
    """The age recipient for a raw X25519 public key."""
    from secxfer.age import X25519Recipient

    return X25519Recipient(bytes(public_key))


@functools.lru_cache(maxsize=8192)
def recipient_text(public_key: bytes) -> str:
    """``age1…`` for a raw X25519 public key (cached: public data only)."""
    return recipient(public_key).encode()


@functools.lru_cache(maxsize=8192)
def public_key_from_text(text: str) -> bytes:
    """The raw X25519 public key of an ``age1…`` string; FormatError if it is not one.

    Cached (public data only): a national directory parses each card several times.
    """
    from secxfer.age import X25519Recipient

    try:
        return X25519Recipient.parse(text).public_bytes()
    except (SecxferError, ValueError) as error:
        raise FormatError(f"{text[:12]!r}… is not an age X25519 recipient: {error}") from None


def identity(secret_key: bytes) -> X25519Identity:
    """The age identity for a raw 32-byte X25519 secret key."""
    from secxfer.age import X25519Identity

    return X25519Identity(bytes(secret_key))
