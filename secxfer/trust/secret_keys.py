"""Participant secret keys and the files that hold them (``<id>.key``).

A participant has an encryption secret (decrypts packages addressed to it; an age
identity) and an Ed25519 seed (signs what it sends). The encryption secret is an
X25519 key, a post-quantum hybrid identity (ML-KEM-768 + X25519, a 32-byte seed
expanded per the age spec), or both: a participant moving to the hybrid type keeps
its X25519 key so that packages already sealed to it still open. Key files are encrypted
under a passphrase by default: Argon2id (``nacl.pwhash.argon2id``, parameters kept in
the file) derives the key of a ``nacl.secret.SecretBox``. An unprotected file can only
be written as a TEST KEY, and says so in its first line.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal, NamedTuple

import msgspec
import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.secret

from secxfer.errors import FormatError, NotFoundError, UsageError, WrongPassphraseError
from secxfer.fsutil import atomic_write
from secxfer.limits import KEY_FILE_MAX_BYTES
from secxfer.models import Model
from secxfer.trust.errors import ParticipantIdError
from secxfer.trust.ids import Role
from secxfer.trust.kinds import SECRET_KEY_FORMAT, TEST_KEY_MARKER
from secxfer.trust.participant_secret import (  # noqa: F401 (re-exported: keys and their files go together)
    EncryptionKeys,
    ParticipantSecret,
    Rng,
    add_hybrid_key,
    generate_participant,
)

PASSPHRASE_MIN_BYTES = 8
# A passphrase as given, or a callable the loader calls only when the file is protected
# (a front end's prompt; it returns None when it has none to give).
Passphrase = bytes | str
PassphraseSource = Passphrase | Callable[[], Passphrase | None]
PROTECTED_MARKER = "SECRET KEY - passphrase-protected - never copy onto transfer media"

Key32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class KdfCost(NamedTuple):
    """Argon2id work factors (operations, memory in bytes)."""

    opslimit: int
    memlimit: int


KDF_INTERACTIVE = KdfCost(argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE)
KDF_MIN = KdfCost(argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN)  # tests only
_KDF_MAX = KdfCost(argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_SENSITIVE)


# -- the file -----------------------------------------------------------------------


class _Material(Model, kw_only=True):
    id: str
    role: Role
    created: AwareDatetime
    # Absent fields stay absent on writing, so X25519 key files keep their original form.
    encryption_secret: Key32 | msgspec.UnsetType = msgspec.UNSET
    signing_seed: Key32
    hybrid_seed: Key32 | msgspec.UnsetType = msgspec.UNSET


class _Kdf(Model, kw_only=True):
    algorithm: Literal["argon2id"] = "argon2id"
    salt: Annotated[bytes, msgspec.Meta(min_length=argon2id.SALTBYTES, max_length=argon2id.SALTBYTES)]
    opslimit: int
    memlimit: int


class _KeyFile(Model, kw_only=True):
    marker: str
    format: Literal["secxfer-secret-key-v1"]
    id: str
    role: Role
    created: AwareDatetime
    test_key: bool
    kdf: _Kdf | None = None
    sealed: bytes | None = None
    sealed_sha256: bytes | None = None  # tells a damaged file from a wrong passphrase
    unprotected: _Material | None = None


_KEY_FILE = msgspec.json.Decoder(_KeyFile)
_MATERIAL = msgspec.json.Decoder(_Material)


def _box(passphrase: bytes, kdf: _Kdf) -> nacl.secret.SecretBox:
    key = argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase, kdf.salt, kdf.opslimit, kdf.memlimit)
    return nacl.secret.SecretBox(key)


def save_secret_key(
    secret: ParticipantSecret,
    path: str | os.PathLike[str],
    *,
    passphrase: Passphrase | None,
    test_key: bool = False,
    overwrite: bool = False,
    kdf: KdfCost = KDF_INTERACTIVE,
    rng: Rng | None = None,
) -> None:
    """Write ``secret`` to ``path`` atomically, owner-only.

    Security: with a passphrase the keys are sealed (Argon2id + XSalsa20-Poly1305);
    without one the file is refused unless ``test_key`` is set, and then the keys lie
    in the file in clear under a TEST KEY marker. Refuses to overwrite unless asked.
    A ``str`` passphrase is taken as UTF-8.
    """
    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    if passphrase is None and not test_key:
        raise UsageError(
            "a secret key file must be protected by a passphrase",
            hint="give a passphrase; only example keys may be written unprotected, as TEST KEYs",
            facts={"advice": "key-needs-passphrase"},
        )
    if passphrase is not None and not test_key and len(passphrase) < PASSPHRASE_MIN_BYTES:
        raise UsageError(f"the passphrase must be at least {PASSPHRASE_MIN_BYTES} bytes long")
    unset = msgspec.UNSET
    material = _Material(
        id=secret.participant_id,
        role=secret.role,
        created=secret.created,
        encryption_secret=unset if secret.encryption_secret_bytes() is None else secret.encryption_secret_bytes(),
        signing_seed=secret._signing.encode(),
        hybrid_seed=unset if secret.hybrid_seed_bytes() is None else secret.hybrid_seed_bytes(),
    )
    common = dict(
        marker=TEST_KEY_MARKER if test_key else PROTECTED_MARKER,
        format=SECRET_KEY_FORMAT,
        id=secret.participant_id,
        role=secret.role,
        created=secret.created,
        test_key=test_key,
    )
    if passphrase is None:
        document = _KeyFile(**common, unprotected=material)
    else:
        draw = rng or os.urandom
        params = _Kdf(salt=draw(argon2id.SALTBYTES), opslimit=kdf.opslimit, memlimit=kdf.memlimit)
        nonce = draw(nacl.secret.SecretBox.NONCE_SIZE)
        sealed = _box(passphrase, params).encrypt(msgspec.json.encode(material), nonce)
        document = _KeyFile(**common, kdf=params, sealed=bytes(sealed), sealed_sha256=hashlib.sha256(sealed).digest())
    atomic_write(path, msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n", overwrite=overwrite)


def load_secret_key(path: str | os.PathLike[str], *, passphrase: PassphraseSource | None = None) -> ParticipantSecret:
    """Read a key file; the result's ``is_test_key`` says whether it was a TEST KEY.

    ``passphrase``: bytes, a ``str`` (taken as UTF-8), or a callable returning either (or
    None when it has none), called only if the file is protected: a front end passes its
    prompt here, so nobody is asked for an unprotected TEST KEY.

    Raises WrongPassphraseError if the passphrase does not open it, FormatError if the
    file is damaged or not a key file, UsageError if a passphrase is needed but none given.
    """
    document, where = _read(path)
    if callable(passphrase):
        passphrase = passphrase() if document.unprotected is None else None
    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    return _secret(document, _open(document, passphrase, where), where)


def _read(path: str | os.PathLike[str]) -> tuple[_KeyFile, str]:
    where = str(path)
    try:
        size = os.stat(path).st_size
        if size > KEY_FILE_MAX_BYTES:
            raise FormatError(f"{where!r} is {size} bytes; a key file is at most {KEY_FILE_MAX_BYTES}")
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"key file {where!r} does not exist") from None
    # A key file opened and saved in Notepad gains a UTF-8 BOM (CRLF is JSON whitespace);
    # its sealed part is checked against the visible fields below, so the BOM is dropped.
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return _KEY_FILE.decode(data), where
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        raise FormatError(f"{where!r} is not a valid secret key file: {error}") from None


def _secret(document: _KeyFile, material: _Material, where: str) -> ParticipantSecret:
    if (material.id, material.role, material.created) != (document.id, document.role, document.created):
        raise FormatError(f"{where!r}: the visible id/role/time do not match the sealed keys")
    unset = msgspec.UNSET
    try:
        return ParticipantSecret(
            material.id,
            material.role,
            encryption_secret=None if material.encryption_secret is unset else material.encryption_secret,
            signing_seed=material.signing_seed,
            created=material.created,
            is_test_key=document.test_key,
            hybrid_seed=None if material.hybrid_seed is unset else material.hybrid_seed,
        )
    except ParticipantIdError as error:
        raise FormatError(f"{where!r}: {error}") from None


def _open(document: _KeyFile, passphrase: bytes | None, where: str) -> _Material:
    if document.unprotected is not None:
        if document.sealed is not None or not document.test_key or document.marker != TEST_KEY_MARKER:
            raise FormatError(f"{where!r} holds unprotected keys but is not marked as a TEST KEY")
        return document.unprotected
    if document.sealed is None or document.kdf is None or document.sealed_sha256 is None:
        raise FormatError(f"{where!r} holds no keys")
    if not hmac.compare_digest(hashlib.sha256(document.sealed).digest(), document.sealed_sha256):
        raise FormatError(f"{where!r} is damaged (its sealed keys do not match their checksum)", hint="restore the key file from its backup")
    kdf = document.kdf
    if not (KDF_MIN.opslimit <= kdf.opslimit <= _KDF_MAX.opslimit and KDF_MIN.memlimit <= kdf.memlimit <= _KDF_MAX.memlimit):
        raise FormatError(f"{where!r}: key derivation parameters out of range")
    if passphrase is None:
        raise UsageError(
            f"{where!r} is protected by a passphrase and none was given",
            hint="give the key file's passphrase",
            facts={"wording": "no-passphrase", "advice": "passphrase-needed", "file": str(where)},
        )
    try:
        plain = _box(passphrase, kdf).decrypt(document.sealed)
    except nacl.exceptions.CryptoError:
        raise WrongPassphraseError(f"the passphrase does not open {where!r} (or the file is damaged)",
                                   facts={"file": str(where)}) from None
    try:
        return _MATERIAL.decode(plain)
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise FormatError(f"{where!r}: sealed key material is malformed") from None
