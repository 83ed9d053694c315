"""A participant's secret keys in memory: ``ParticipantSecret`` and how keys are made.

The encryption secret is an X25519 key, a post-quantum hybrid identity (ML-KEM-768 +
X25519: a 32-byte seed expanded with SHAKE-256 as the age spec says), or both. A
participant moving to the hybrid type keeps its X25519 key, so packages already
sealed to it still open. The files that hold these keys are ``secret_keys``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal, get_args

import nacl.signing
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from secxfer.errors import FormatError, UsageError
from secxfer.trust import agekeys
from secxfer.trust.directory.entries import MLKEM768X25519, X25519
from secxfer.trust.fingerprint import fingerprint, key_id
from secxfer.trust.ids import Role, check_participant_id
from secxfer.trust.signing import Signature, sign

if TYPE_CHECKING:
    from secxfer.age import HybridIdentity, X25519Identity

Rng = Callable[[int], bytes]
EncryptionKeys = Literal["x25519", "hybrid", "both"]


class ParticipantSecret:
    """A participant's secret keys in memory. Not a Model: it must never be serialized
    by accident, and its repr shows ids only, never key material."""

    __slots__ = ("participant_id", "role", "is_test_key", "created", "_x25519", "_hybrid_seed", "_signing", "_identities")

    def __init__(
        self,
        participant_id: str,
        role: Role | str,
        *,
        encryption_secret: bytes | None = None,
        signing_seed: bytes,
        created: datetime,
        is_test_key: bool = False,
        hybrid_seed: bytes | None = None,
    ) -> None:
        self.role = check_participant_id(participant_id, role)
        self.participant_id = participant_id
        if encryption_secret is None and hybrid_seed is None:
            raise FormatError("a participant needs an encryption key (X25519, hybrid or both)")
        if any(k is not None and len(k) != 32 for k in (encryption_secret, hybrid_seed, signing_seed)):
            raise FormatError("secret keys must be 32 bytes each")
        if created.tzinfo is None:
            raise UsageError("created must be an aware datetime")
        self.created = created
        self.is_test_key = is_test_key
        self._x25519 = None if encryption_secret is None else bytes(encryption_secret)
        self._hybrid_seed = None if hybrid_seed is None else bytes(hybrid_seed)
        self._signing = nacl.signing.SigningKey(bytes(signing_seed))
        self._identities: tuple[HybridIdentity | X25519Identity, ...] | None = None

    def __repr__(self) -> str:
        test = ", TEST KEY" if self.is_test_key else ""
        return f"ParticipantSecret({self.participant_id!r}, {self.role.value}, keyid={self.signing_keyid[:16]}…{test})"

    def __reduce__(self) -> object:
        raise TypeError("ParticipantSecret holds secret keys and cannot be pickled")

    @property
    def encryption_identities(self) -> tuple[HybridIdentity | X25519Identity, ...]:
        """Every age identity of this participant, the hybrid one first.

        Decrypt with all of them: a participant that added a hybrid key still opens
        packages sealed to its X25519 key before the change.
        """
        if self._identities is None:
            found: list[HybridIdentity | X25519Identity] = []
            if self._hybrid_seed is not None:
                found.append(agekeys.hybrid_identity(self._hybrid_seed))
            if self._x25519 is not None:
                found.append(agekeys.identity(self._x25519))
            self._identities = tuple(found)
        return self._identities

    @property
    def encryption_identity(self) -> HybridIdentity | X25519Identity:
        """The preferred age identity: the hybrid one when this key has one, else X25519.

        It matches what the directory hands senders (hybrid recipients whenever the
        participant lists a usable hybrid key); see :attr:`encryption_identities`.
        """
        return self.encryption_identities[0]

    @property
    def is_hybrid(self) -> bool:
        """Whether this key holds a post-quantum hybrid identity."""
        return self._hybrid_seed is not None

    @property
    def encryption_public_key(self) -> bytes | None:
        """The raw X25519 public key, or None if this key holds only a hybrid identity."""
        if self._x25519 is None:
            return None
        return X25519PrivateKey.from_private_bytes(self._x25519).public_key().public_bytes_raw()

    @property
    def hybrid_public_key(self) -> bytes | None:
        """The raw hybrid public key (ML-KEM-768 then X25519, 1,216 bytes), or None."""
        if self._hybrid_seed is None:
            return None
        return self.encryption_identities[0].recipient.public_bytes()

    @property
    def encryption_public_keys(self) -> tuple[tuple[str, bytes], ...]:
        """(type, raw public key) of each encryption key: X25519 first, then the hybrid one."""
        keys = [(X25519, self.encryption_public_key), (MLKEM768X25519, self.hybrid_public_key)]
        return tuple((t, k) for t, k in keys if k is not None)

    @property
    def signing_public_key(self) -> bytes:
        return bytes(self._signing.verify_key)

    @property
    def signing_keyid(self) -> str:
        return key_id(self.signing_public_key)

    @property
    def fingerprint(self) -> str:
        encryption = [k for _, k in self.encryption_public_keys]
        return fingerprint(self.participant_id, self.role.value, encryption, self.signing_public_key)

    def sign(self, kind: str, payload: bytes) -> Signature:
        """Sign ``payload`` as a document of ``kind`` (see secxfer.trust.signing)."""
        return sign(self._signing, kind, payload)

    def encryption_secret_bytes(self) -> bytes | None:
        """The raw X25519 secret (None if none). Only for the age layer; never print it."""
        return self._x25519

    def hybrid_seed_bytes(self) -> bytes | None:
        """The 32-byte hybrid identity seed (None if none). Only for the age layer; never print it."""
        return self._hybrid_seed


def generate_participant(
    participant_id: str,
    role: Role | str,
    *,
    now: datetime | None = None,
    rng: Rng | None = None,
    encryption: EncryptionKeys = "x25519",
) -> ParticipantSecret:
    """Make fresh keys for a participant (32 bytes from ``rng`` per key, default os.urandom).

    ``encryption``: ``x25519`` (the classic type, which stock age 1.1.1 reads),
    ``hybrid`` (post-quantum ML-KEM-768 + X25519 only) or ``both``.
    Security: keys are exactly as random as ``rng``; pass ``rng`` only for test keys.
    """
    if encryption not in get_args(EncryptionKeys):
        raise UsageError(f"encryption keys are one of {', '.join(get_args(EncryptionKeys))}, not {encryption!r}")
    draw = rng or os.urandom
    # The draw order of the X25519-only case is the original one, so seeded test keys stay the same.
    encryption_secret = draw(32) if encryption != "hybrid" else None
    hybrid_seed = draw(32) if encryption == "hybrid" else None
    signing_seed = draw(32)
    if encryption == "both":
        hybrid_seed = draw(32)
    created = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    return ParticipantSecret(
        participant_id, role, encryption_secret=encryption_secret, signing_seed=signing_seed, created=created,
        hybrid_seed=hybrid_seed,
    )


def add_hybrid_key(secret: ParticipantSecret, *, now: datetime | None = None, rng: Rng | None = None) -> ParticipantSecret:
    """``secret`` with a new hybrid identity added beside its X25519 key (signing key kept).

    The result's ``created`` is ``now``: its card introduces the hybrid key from then
    on, while the X25519 key keeps opening packages sealed to it before.
    """
    if secret.is_hybrid:
        raise UsageError(f"the key of {secret.participant_id} already holds a hybrid identity")
    created = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    if created < secret.created:
        raise UsageError("the hybrid key cannot be added before the key was created", hint="check the computer's clock")
    return ParticipantSecret(
        secret.participant_id, secret.role, encryption_secret=secret.encryption_secret_bytes(),
        signing_seed=secret._signing.encode(), created=created, is_test_key=secret.is_test_key,
        hybrid_seed=(rng or os.urandom)(32),
    )
