"""The bridge to the age layer: directory keys as age recipients and identities.

The trust wing stores raw public keys with their type: X25519 (32 bytes) and the
post-quantum hybrid ``mlkem768x25519`` (ML-KEM-768 + X25519, 1,216 bytes). Their text
forms (``age1…`` / ``age1pq1…`` and ``AGE-SECRET-KEY-1…`` / ``AGE-SECRET-KEY-PQ-1…``)
belong to ``secxfer.age``, so stock ``age`` can use them (the hybrid type needs an
``age`` that implements it; 1.1.1 does not).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from secxfer.errors import FormatError, SecxferError
from secxfer.trust.directory.entries import KEY_SIZES, MLKEM768X25519, X25519

if TYPE_CHECKING:
    from secxfer.age import HybridIdentity, HybridRecipient, X25519Identity, X25519Recipient

HYBRID_TEXT_PREFIX = "age1pq1"


def key_type_of(public_key: bytes) -> str:
    """The type of a raw encryption public key, told by its size (the two sizes differ)."""
    for key_type, size in KEY_SIZES.items():
        if len(public_key) == size:
            return key_type
    raise FormatError(f"an encryption public key is 32 (X25519) or 1216 (hybrid) bytes, not {len(public_key)}")


@functools.lru_cache(maxsize=8192)
def recipient(public_key: bytes, key_type: str = X25519) -> X25519Recipient | HybridRecipient:
    """The age recipient for a raw public key of ``key_type``; FormatError if it is not one.

    Cached (public data only): a hybrid key is validated as it is made, and a national
    directory is checked many times.
    """
    from secxfer.age import HybridRecipient, X25519Recipient

    if key_type not in KEY_SIZES or len(public_key) != KEY_SIZES[key_type]:
        raise FormatError(f"not a {key_type} public key ({len(public_key)} bytes)")
    try:
        if key_type == MLKEM768X25519:
            return HybridRecipient(bytes(public_key))
        return X25519Recipient(bytes(public_key))
    except (SecxferError, ValueError) as error:
        raise FormatError(f"not a valid {key_type} public key: {error}") from None


@functools.lru_cache(maxsize=8192)
def recipient_text(public_key: bytes, key_type: str | None = None) -> str:
    """``age1…`` or ``age1pq1…`` for a raw public key (type told by size unless given)."""
    return recipient(bytes(public_key), key_type or key_type_of(public_key)).encode()


@functools.lru_cache(maxsize=8192)
def parse_recipient_text(text: str) -> tuple[str, bytes]:
    """(type, raw public key) of an ``age1…`` or ``age1pq1…`` string; FormatError otherwise.

    Cached (public data only): a national directory parses each card several times.
    """
    from secxfer.age import HybridRecipient, X25519Recipient

    hybrid = text.lower().startswith(HYBRID_TEXT_PREFIX)
    try:
        if hybrid:
            return MLKEM768X25519, HybridRecipient.parse(text).public_bytes()
        return X25519, X25519Recipient.parse(text).public_bytes()
    except (SecxferError, ValueError) as error:
        kind = "hybrid (age1pq1…)" if hybrid else "X25519"
        raise FormatError(f"{text[:12]!r}… is not an age {kind} recipient: {error}") from None


def public_key_from_text(text: str) -> bytes:
    """The raw X25519 public key of an ``age1…`` string; FormatError if it is not one."""
    key_type, raw = parse_recipient_text(text)
    if key_type != X25519:
        raise FormatError(f"{text[:12]!r}… is a hybrid recipient, not an X25519 one")
    return raw


def identity(secret_key: bytes) -> X25519Identity:
    """The age identity for a raw 32-byte X25519 secret key."""
    from secxfer.age import X25519Identity

    return X25519Identity(bytes(secret_key))


def hybrid_identity(seed: bytes) -> HybridIdentity:
    """The age hybrid identity (ML-KEM-768 + X25519) for a 32-byte seed, expanded per the spec."""
    from secxfer.age import HybridIdentity

    return HybridIdentity(bytes(seed))
