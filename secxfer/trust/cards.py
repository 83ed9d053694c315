"""Public key cards (``<id>.card``): what a participant hands to the directory authority.

A card is a signed document of kind ``secxfer/key-card`` whose payload names the
participant and both public keys, signed by the card's own signing key: a proof of
possession, so nobody can register a signing key they do not hold. The card's
fingerprint is read aloud or written on the paper form to confirm it out of band.
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
from secxfer.trust.errors import ParticipantIdError
from secxfer.trust.fingerprint import fingerprint, key_id
from secxfer.trust.ids import Role, check_participant_id, code_of
from secxfer.trust.kinds import KIND_KEY_CARD
from secxfer.trust.names import default_name
from secxfer.trust.secret_keys import (
    KDF_INTERACTIVE,
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


class KeyCard(Model, kw_only=True):
    """A participant's public identity: ids, name, both public keys, creation time."""

    id: Annotated[str, msgspec.Meta(max_length=16)]
    role: Role
    name: Name
    encryption_key: Annotated[str, msgspec.Meta(max_length=128)]  # age1…
    signing_key: Key32  # Ed25519 public key
    created: Annotated[datetime, msgspec.Meta(tz=True)]
    code: str | None = None  # 6-digit municipality code, 2-digit prefecture of a federation

    @property
    def encryption_public_key(self) -> bytes:
        """The raw X25519 public key behind ``encryption_key``."""
        return agekeys.public_key_from_text(self.encryption_key)

    @property
    def signing_keyid(self) -> str:
        return key_id(self.signing_key)


_CARD = msgspec.json.Decoder(KeyCard)


def make_card(secret: ParticipantSecret, *, name: str | None = None) -> bytes:
    """The signed key card of ``secret`` (name defaults to the official name)."""
    card = KeyCard(
        id=secret.participant_id,
        role=secret.role,
        name=name if name is not None else default_name(secret.participant_id),
        encryption_key=agekeys.recipient_text(secret.encryption_public_key),
        signing_key=secret.signing_public_key,
        created=secret.created,
        code=code_of(secret.participant_id),
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
    card.encryption_public_key  # noqa: B018 - parses, raising FormatError if not an age recipient


def card_fingerprint(card: KeyCard) -> str:
    """The readable-aloud fingerprint of a verified card (id, role and both keys)."""
    return fingerprint(card.id, card.role.value, card.encryption_public_key, card.signing_key)


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
) -> tuple[Path, Path, str]:
    """Generate a participant's keys; write ``<id>.key`` and ``<id>.card`` into ``out_dir``.

    Returns (key path, card path, fingerprint). Nothing is left behind on failure:
    neither file is written if either exists (unless ``overwrite``).
    """
    role = check_participant_id(participant_id, role)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path, card_path = folder / f"{participant_id}.key", folder / f"{participant_id}.card"
    for path in (key_path, card_path):
        if path.exists() and not overwrite:
            raise OutputExistsError(f"{str(path)!r} already exists", hint="use --force to replace it, or another --out")
    secret = generate_participant(participant_id, role, now=now)
    card = make_card(secret, name=name)
    save_secret_key(secret, key_path, passphrase=passphrase, test_key=test_key, overwrite=overwrite, kdf=kdf)
    try:
        atomic_write(card_path, card, overwrite=overwrite, mode=0o644)
    except BaseException:
        key_path.unlink(missing_ok=True)
        raise
    return key_path, card_path, secret.fingerprint
