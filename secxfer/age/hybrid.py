"""The post-quantum hybrid recipient type: ML-KEM-768 + X25519 (``mlkem768x25519``).

The file key is sealed with HPKE (RFC 9180) base mode, KEM MLKEM768-X25519
(X-Wing style), KDF HKDF-SHA-256, AEAD ChaCha20-Poly1305 and
info = "age-encryption.org/mlkem768x25519". The identity is a 32-byte seed,
expanded with SHAKE-256 to 96 bytes: 64 for the ML-KEM-768 key, 32 for the
X25519 key. The recipient is the ML-KEM-768 encapsulation key (1184 bytes)
followed by the X25519 public key (32 bytes).

Recipients carry the label ``postquantum`` so they are never mixed with classic
recipients in one file. Wrapping draws its randomness inside HPKE from the OS
CSPRNG: ``rng`` cannot make hybrid stanzas reproducible.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from secxfer.age import _base64, bech32
from secxfer.age._labels import (
    FILE_KEY_SIZE,
    HYBRID_HPKE_INFO,
    HYBRID_IDENTITY_HRP,
    HYBRID_RECIPIENT_HRP,
    HYBRID_STANZA_TYPE,
    WRAPPED_FILE_KEY_SIZE,
)
from secxfer.age.errors import AgeHeaderError, AgeKeyError
from secxfer.age.format import Stanza
from secxfer.age.recipients import Rng

SEED_SIZE = 32
MLKEM_PUBLIC_SIZE = 1184
MLKEM_CIPHERTEXT_SIZE = 1088
X25519_SIZE = 32
PUBLIC_SIZE = MLKEM_PUBLIC_SIZE + X25519_SIZE
ENC_SIZE = MLKEM_CIPHERTEXT_SIZE + X25519_SIZE
POSTQUANTUM_LABEL = "postquantum"

_SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


class HybridRecipient:
    """An ML-KEM-768 + X25519 public key (``age1pq1...``)."""

    labels = frozenset({POSTQUANTUM_LABEL})

    def __init__(self, public: bytes) -> None:
        if not isinstance(public, bytes) or len(public) != PUBLIC_SIZE:
            raise AgeKeyError(f"hybrid recipient must be {PUBLIC_SIZE} bytes")
        try:
            mlkem_public = mlkem.MLKEM768PublicKey.from_public_bytes(public[:MLKEM_PUBLIC_SIZE])
            x25519_public = x25519.X25519PublicKey.from_public_bytes(public[MLKEM_PUBLIC_SIZE:])
        except ValueError:
            raise AgeKeyError("hybrid recipient is not a valid ML-KEM-768 + X25519 key") from None
        self._public = public
        self._hpke_public = hpke.MLKEM768X25519PublicKey(mlkem_public, x25519_public)

    @classmethod
    def parse(cls, text: str) -> HybridRecipient:
        """Parse ``age1pq1...``; raises AgeKeyError if it is not a valid hybrid recipient."""
        hrp, data = bech32.decode(text.strip())
        if hrp.lower() != HYBRID_RECIPIENT_HRP:
            raise AgeKeyError("not a hybrid recipient (expected 'age1pq1...')")
        return cls(data)

    def encode(self) -> str:
        return bech32.encode(HYBRID_RECIPIENT_HRP, self._public)

    def public_bytes(self) -> bytes:
        return self._public

    def wrap(self, file_key: bytes, rng: Rng | None = None) -> list[Stanza]:
        """One stanza sealed with HPKE to this recipient (``rng`` is not used, see module doc)."""
        if len(file_key) != FILE_KEY_SIZE:
            raise ValueError("file key must be 16 bytes")
        sealed = _SUITE.encrypt(file_key, self._hpke_public, HYBRID_HPKE_INFO)
        enc, body = sealed[:ENC_SIZE], sealed[ENC_SIZE:]
        return [Stanza(type=HYBRID_STANZA_TYPE, args=(_base64.encode(enc).decode("ascii"),), body=body)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HybridRecipient) and other._public == self._public

    def __hash__(self) -> int:
        return hash((HybridRecipient, self._public))

    def __repr__(self) -> str:
        return f"HybridRecipient({self.encode()[:20]!r}...)"


class HybridIdentity:
    """An ML-KEM-768 + X25519 secret key (``AGE-SECRET-KEY-PQ-1...``), from a 32-byte seed."""

    def __init__(self, seed: bytes) -> None:
        if not isinstance(seed, bytes) or len(seed) != SEED_SIZE:
            raise AgeKeyError("hybrid identity seed must be 32 bytes")
        expanded = hashlib.shake_256(seed).digest(96)
        mlkem_private = mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
        self._x25519 = x25519.X25519PrivateKey.from_private_bytes(expanded[64:])
        self._seed = seed
        self._hpke_private = hpke.MLKEM768X25519PrivateKey(mlkem_private, self._x25519)
        self._public = (
            mlkem_private.public_key().public_bytes_raw() + self._x25519.public_key().public_bytes_raw()
        )

    @classmethod
    def generate(cls, rng: Rng | None = None) -> HybridIdentity:
        """A new identity from 32 bytes of CSPRNG output (``rng`` for tests only)."""
        return cls((rng or os.urandom)(SEED_SIZE))

    @classmethod
    def parse(cls, text: str) -> HybridIdentity:
        """Parse ``AGE-SECRET-KEY-PQ-1...``; errors never echo the key."""
        hrp, data = bech32.decode(text.strip())
        if hrp.upper() != HYBRID_IDENTITY_HRP:
            raise AgeKeyError("not a hybrid identity (expected 'AGE-SECRET-KEY-PQ-1...')")
        return cls(data)

    def encode(self) -> str:
        return bech32.encode(HYBRID_IDENTITY_HRP, self._seed)

    @property
    def recipient(self) -> HybridRecipient:
        return HybridRecipient(self._public)

    def secret_bytes(self) -> bytes:
        return self._seed

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        """The file key from the first hybrid stanza that opens with this key, else None.

        A malformed hybrid stanza (argument count, non-canonical or wrong-size enc,
        body not 32 bytes, X25519 share of low order) raises AgeHeaderError.
        """
        for index, stanza in enumerate(stanzas):
            if stanza.type != HYBRID_STANZA_TYPE:
                continue
            where = f"stanza {index + 1} ({HYBRID_STANZA_TYPE})"
            if len(stanza.args) != 1:
                raise AgeHeaderError("hybrid stanza must have exactly one argument", location=where)
            enc = _base64.decode(stanza.args[0].encode("ascii"))
            if enc is None or len(enc) != ENC_SIZE:
                raise AgeHeaderError(f"hybrid enc is not canonical base64 of {ENC_SIZE} bytes", location=where)
            if len(stanza.body) != WRAPPED_FILE_KEY_SIZE:
                raise AgeHeaderError("hybrid stanza body must be 32 bytes", location=where)
            if _x25519_is_low_order(self._x25519, enc[MLKEM_CIPHERTEXT_SIZE:]):
                raise AgeHeaderError("X25519 part of the hybrid enc is a low-order point", location=where)
            try:
                return _SUITE.decrypt(enc + stanza.body, self._hpke_private, HYBRID_HPKE_INFO)
            except InvalidTag:
                continue
        return None

    def __repr__(self) -> str:
        return "HybridIdentity(<secret>)"


def _x25519_is_low_order(private: x25519.X25519PrivateKey, share: bytes) -> bool:
    try:
        shared = private.exchange(x25519.X25519PublicKey.from_public_bytes(share))
    except ValueError:  # cryptography refuses the all-zero result
        return True
    return shared == bytes(X25519_SIZE)
