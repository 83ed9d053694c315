"""The X25519 recipient type (age's default): keys, wrapping and unwrapping.

Wrapping uses a fresh ephemeral key per stanza; the wrap key is
HKDF-SHA-256(shared secret, salt = ephemeral share || recipient,
info = "age-encryption.org/v1/X25519") and the file key is sealed with
ChaCha20-Poly1305 under a zero nonce (each wrap key is used once).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from secxfer.age import _base64, _crypto, bech32
from secxfer.age._labels import (
    FILE_KEY_SIZE,
    WRAPPED_FILE_KEY_SIZE,
    X25519_IDENTITY_HRP,
    X25519_KEY_SIZE,
    X25519_RECIPIENT_HRP,
    X25519_STANZA_TYPE,
    X25519_WRAP_INFO,
)
from secxfer.age.errors import AgeHeaderError, AgeKeyError
from secxfer.age.format import Stanza
from secxfer.age.recipients import Rng


def _shared_secret(private: X25519PrivateKey, public: bytes) -> bytes | None:
    """X25519(private, public), or None when the result is all zeros (low-order point)."""
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError:  # cryptography refuses the all-zero shared secret
        return None
    return None if shared == bytes(X25519_KEY_SIZE) else shared


class X25519Recipient:
    """An X25519 public key (``age1...``): anyone holding it can encrypt to its owner."""

    labels: frozenset[str] = frozenset()

    def __init__(self, public: bytes) -> None:
        if not isinstance(public, bytes) or len(public) != X25519_KEY_SIZE:
            raise AgeKeyError("X25519 recipient must be 32 bytes")
        self._public = public

    @classmethod
    def parse(cls, text: str) -> X25519Recipient:
        """Parse ``age1...``; raises AgeKeyError if it is not a valid X25519 recipient."""
        hrp, data = bech32.decode(text.strip())
        if hrp.lower() != X25519_RECIPIENT_HRP:
            raise AgeKeyError(f"not an X25519 recipient (prefix {hrp!r}, expected 'age1...')")
        if len(data) != X25519_KEY_SIZE:
            raise AgeKeyError(f"X25519 recipient holds {len(data)} bytes, expected 32")
        return cls(data)

    def encode(self) -> str:
        return bech32.encode(X25519_RECIPIENT_HRP, self._public)

    def public_bytes(self) -> bytes:
        return self._public

    def wrap(self, file_key: bytes, rng: Rng | None = None) -> list[Stanza]:
        """One stanza that only the matching identity can open."""
        if len(file_key) != FILE_KEY_SIZE:
            raise ValueError("file key must be 16 bytes")
        ephemeral = X25519PrivateKey.from_private_bytes((rng or os.urandom)(X25519_KEY_SIZE))
        share = ephemeral.public_key().public_bytes_raw()
        shared = _shared_secret(ephemeral, self._public)
        if shared is None:
            raise AgeKeyError("X25519 recipient is a low-order point and cannot receive files")
        wrap_key = _crypto.hkdf_sha256(shared, share + self._public, X25519_WRAP_INFO)
        body = _crypto.seal_file_key(wrap_key, file_key)
        return [Stanza(type=X25519_STANZA_TYPE, args=(_base64.encode(share).decode("ascii"),), body=body)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X25519Recipient) and other._public == self._public

    def __hash__(self) -> int:
        return hash((X25519Recipient, self._public))

    def __repr__(self) -> str:
        return f"X25519Recipient({self.encode()!r})"


class X25519Identity:
    """An X25519 secret key (``AGE-SECRET-KEY-1...``): opens files sent to its recipient."""

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) != X25519_KEY_SIZE:
            raise AgeKeyError("X25519 identity must be 32 bytes")
        self._secret = secret
        self._private = X25519PrivateKey.from_private_bytes(secret)
        self._public = self._private.public_key().public_bytes_raw()

    @classmethod
    def generate(cls, rng: Rng | None = None) -> X25519Identity:
        """A new identity from 32 bytes of CSPRNG output (``rng`` for tests only)."""
        return cls((rng or os.urandom)(X25519_KEY_SIZE))

    @classmethod
    def parse(cls, text: str) -> X25519Identity:
        """Parse ``AGE-SECRET-KEY-1...``; errors never echo the key."""
        hrp, data = bech32.decode(text.strip())
        if hrp.upper() != X25519_IDENTITY_HRP:
            raise AgeKeyError("not an X25519 identity (expected 'AGE-SECRET-KEY-1...')")
        if len(data) != X25519_KEY_SIZE:
            raise AgeKeyError(f"X25519 identity holds {len(data)} bytes, expected 32")
        return cls(data)

    def encode(self) -> str:
        return bech32.encode(X25519_IDENTITY_HRP, self._secret)

    @property
    def recipient(self) -> X25519Recipient:
        return X25519Recipient(self._public)

    def secret_bytes(self) -> bytes:
        return self._secret

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        """The file key from the first X25519 stanza that opens with this key, else None.

        Stanzas of other types are ignored. A malformed X25519 stanza (wrong
        argument count, non-canonical or wrong-size share, body not 32 bytes,
        low-order share) raises AgeHeaderError: the spec makes these fatal.
        """
        for index, stanza in enumerate(stanzas):
            if stanza.type != X25519_STANZA_TYPE:
                continue
            where = f"stanza {index + 1} (X25519)"
            if len(stanza.args) != 1:
                raise AgeHeaderError("X25519 stanza must have exactly one argument", location=where)
            share = _base64.decode(stanza.args[0].encode("ascii"))
            if share is None or len(share) != X25519_KEY_SIZE:
                raise AgeHeaderError("X25519 share is not canonical base64 of 32 bytes", location=where)
            if len(stanza.body) != WRAPPED_FILE_KEY_SIZE:
                raise AgeHeaderError("X25519 stanza body must be 32 bytes", location=where)
            shared = _shared_secret(self._private, share)
            if shared is None:
                raise AgeHeaderError("X25519 share is a low-order point", location=where)
            wrap_key = _crypto.hkdf_sha256(shared, share + self._public, X25519_WRAP_INFO)
            file_key = _crypto.open_file_key(wrap_key, stanza.body)
            if file_key is not None:
                return file_key
        return None

    def __repr__(self) -> str:
        return f"X25519Identity(recipient={self.recipient.encode()!r})"
