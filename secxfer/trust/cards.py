"""Public key cards (``<id>.card``): what a participant hands to the directory authority.

A card is a signed document of kind ``secxfer/key-card`` whose payload names the
participant and its public keys, signed by the card's own signing key: a proof of
possession, so nobody can register a signing key they do not hold. The card's
fingerprint is read aloud or written on the paper form to confirm it out of band.

A card lists an X25519 encryption key (``encryption_key``, ``age1…``), a post-quantum
hybrid one (``hybrid_encryption_key``, ``age1pq1…``) or both. A field the key does not
have is left out, so cards made before the hybrid type keep their exact bytes.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

import msgspec

from secxfer.errors import FormatError, OutputExistsError, SignatureError
from secxfer.fsutil import atomic_write
from secxfer.limits import KIB
from secxfer.models import Model
from secxfer.trust import agekeys
from secxfer.trust.codec import decode_strict, encode
from secxfer.trust.directory.entries import MLKEM768X25519, X25519
from secxfer.trust.errors import ParticipantIdError
from secxfer.trust.fingerprint import fingerprint, key_id
from secxfer.trust.ids import Role, check_participant_id, code_of
from secxfer.trust.kinds import KIND_KEY_CARD
from secxfer.trust.directory.entries import default_name
from secxfer.trust.secret_keys import (
    KDF_INTERACTIVE,
    EncryptionKeys,
    KdfCost,
    ParticipantSecret,
    generate_participant,
    save_secret_key,
)
from secxfer.trust.signing import SignedDocument, sign_document, verify

CARD_MAX_BYTES = 16 * KIB
NAME_MAX_CHARS = 100

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX_CHARS)]
Key32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
HYBRID_TEXT_MAX_CHARS = 2048  # age1pq1… is 1,958 characters


class KeyCard(Model, kw_only=True):
    """A participant's public identity: ids, name, public keys, creation time."""

    id: Annotated[str, msgspec.Meta(max_length=16)]
    role: Role
    name: Name
    encryption_key: Annotated[str, msgspec.Meta(max_length=128)] | msgspec.UnsetType = msgspec.UNSET  # age1…
    signing_key: Key32  # Ed25519 public key
    created: Annotated[datetime, msgspec.Meta(tz=True)]
    code: str | None = None  # 6-digit municipality code, 2-digit prefecture of a federation
    hybrid_encryption_key: Annotated[str, msgspec.Meta(max_length=HYBRID_TEXT_MAX_CHARS)] | msgspec.UnsetType = msgspec.UNSET

    @property
    def encryption_public_key(self) -> bytes | None:
        """The raw X25519 public key behind ``encryption_key`` (None if the card has none)."""
        if self.encryption_key is msgspec.UNSET:
            return None
        return agekeys.public_key_from_text(self.encryption_key)

    @property
    def encryption_public_keys(self) -> tuple[tuple[str, bytes], ...]:
        """(type, raw public key) of each encryption key: X25519 first, then the hybrid one."""
        keys = []
        if self.encryption_key is not msgspec.UNSET:
            keys.append((X25519, agekeys.public_key_from_text(self.encryption_key)))
        if self.hybrid_encryption_key is not msgspec.UNSET:
            key_type, raw = agekeys.parse_recipient_text(self.hybrid_encryption_key)
            if key_type != MLKEM768X25519:
                raise FormatError(f"key card {self.id!r}: hybrid_encryption_key is not an age1pq1… recipient")
            keys.append((key_type, raw))
        return tuple(keys)

    @property
    def recipients_text(self) -> tuple[str, ...]:
        """The card's encryption keys as age recipients (``age1…``, ``age1pq1…``)."""
        return tuple(k for k in (self.encryption_key, self.hybrid_encryption_key) if k is not msgspec.UNSET)

    @property
    def signing_keyid(self) -> str:
        return key_id(self.signing_key)


_CARD = msgspec.json.Decoder(KeyCard)


def make_card(secret: ParticipantSecret, *, name: str | None = None) -> bytes:
    """The signed key card of ``secret`` (name defaults to the official name)."""
    x25519, hybrid = secret.encryption_public_key, secret.hybrid_public_key
    card = KeyCard(
        id=secret.participant_id,
        role=secret.role,
        name=name if name is not None else default_name(secret.participant_id),
        encryption_key=msgspec.UNSET if x25519 is None else agekeys.recipient_text(x25519, X25519),
        signing_key=secret.signing_public_key,
        created=secret.created,
        code=code_of(secret.participant_id),
        hybrid_encryption_key=msgspec.UNSET if hybrid is None else agekeys.recipient_text(hybrid, MLKEM768X25519),
    )
    _check_consistent(card)
    return sign_document(KIND_KEY_CARD, encode(card), [secret])


def verify_card(card_bytes: bytes) -> KeyCard:
    """Check a card's self-signature and consistency; return its contents.

    Security: proves the holder of the card's signing key made this card (proof of
    possession) and that nothing was altered since. It does not prove who that
    holder is: compare :func:`card_fingerprint` out of band before trusting it.
    """
    # The key that verifies a self-signed card is inside it: decode strictly first.
    document, card = read_card(card_bytes)
    if len(document.signatures) != 1:
        raise SignatureError(f"a key card carries exactly one signature, this one has {len(document.signatures)}")
    verify(card.signing_key, KIND_KEY_CARD, document.payload, document.signatures[0])
    _check_consistent(card)
    return card


def read_card(card_bytes: bytes) -> tuple[SignedDocument, KeyCard]:
    """Parse a card strictly WITHOUT verifying it (for display, indexes and verify_card)."""
    document = SignedDocument.decode(card_bytes, kind=KIND_KEY_CARD, max_bytes=CARD_MAX_BYTES)
    card: KeyCard = decode_strict(document.payload, _CARD, what="key card", max_bytes=CARD_MAX_BYTES)
    return document, card


def _check_consistent(card: KeyCard) -> None:
    try:
        check_participant_id(card.id, card.role)
    except ParticipantIdError as error:
        raise FormatError(f"key card: {error}") from None
    if card.code != code_of(card.id):
        raise FormatError(f"key card {card.id!r}: code {card.code!r} does not match the id")
    if not card.encryption_public_keys:  # parses each, raising FormatError if not an age recipient
        raise FormatError(f"key card {card.id!r} lists no encryption key")


def card_fingerprint(card: KeyCard) -> str:
    """The readable-aloud fingerprint of a verified card (id, role and every public key)."""
    return fingerprint(card.id, card.role.value, [k for _, k in card.encryption_public_keys], card.signing_key)


def generate_key_files(
    participant_id: str,
    out_dir: str | os.PathLike[str],
    *,
    role: Role | str | None = None,
    name: str | None = None,
    passphrase: bytes | None,
    test_key: bool = False,
    overwrite: bool = False,
    kdf: KdfCost = KDF_INTERACTIVE,
    now: datetime | None = None,
    encryption: EncryptionKeys = "x25519",
) -> tuple[Path, Path, str]:
    """Generate a participant's keys; write ``<id>.key`` and ``<id>.card`` into ``out_dir``.

    ``encryption``: ``x25519``, ``hybrid`` (post-quantum) or ``both`` (see
    ``generate_participant``). Returns (key path, card path, fingerprint). Nothing is
    left behind on failure: neither file is written if either exists (unless ``overwrite``).
    """
    role = check_participant_id(participant_id, role)
    _refuse_existing(Path(out_dir), participant_id, overwrite)  # before spending entropy on keys
    secret = generate_participant(participant_id, role, now=now, encryption=encryption)
    return write_key_files(secret, out_dir, name=name, passphrase=passphrase, test_key=test_key, overwrite=overwrite, kdf=kdf)


def _refuse_existing(folder: Path, participant_id: str, overwrite: bool) -> tuple[Path, Path]:
    key_path, card_path = folder / f"{participant_id}.key", folder / f"{participant_id}.card"
    for path in (key_path, card_path):
        if path.exists() and not overwrite:
            raise OutputExistsError(f"{str(path)!r} already exists", hint="replace it on purpose, or choose another folder",
                                    facts={"wording": "key-exists", "advice": "key-exists", "path": str(path)})
    return key_path, card_path


def write_key_files(
    secret: ParticipantSecret,
    out_dir: str | os.PathLike[str],
    *,
    name: str | None = None,
    passphrase: bytes | None,
    test_key: bool = False,
    overwrite: bool = False,
    kdf: KdfCost = KDF_INTERACTIVE,
) -> tuple[Path, Path, str]:
    """Write ``secret``'s ``<id>.key`` and its new ``<id>.card`` into ``out_dir`` (see generate_key_files)."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path, card_path = _refuse_existing(folder, secret.participant_id, overwrite)
    card = make_card(secret, name=name)
    save_secret_key(secret, key_path, passphrase=passphrase, test_key=test_key, overwrite=overwrite, kdf=kdf)
    try:
        atomic_write(card_path, card, overwrite=overwrite, mode=0o644)
    except BaseException:
        key_path.unlink(missing_ok=True)
        raise
    return key_path, card_path, secret.fingerprint
