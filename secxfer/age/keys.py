"""Parsing recipients and identities by their encoding, and age key files.

Dispatch is by Bech32 prefix, so a new recipient type is one more branch here and
nothing else changes (the hybrid type was added exactly that way). Errors never echo secret key material.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from secxfer import limits
from secxfer.age._labels import (
    HYBRID_IDENTITY_HRP,
    HYBRID_RECIPIENT_HRP,
    PLUGIN_IDENTITY_PREFIX,
    PLUGIN_RECIPIENT_PREFIX,
    X25519_IDENTITY_HRP,
    X25519_RECIPIENT_HRP,
)
from secxfer.age._limits import RECIPIENTS_FILE_MAX_BYTES
from secxfer.age.errors import AgeKeyError, AgeUnsupportedError
from secxfer.age.hybrid import HybridIdentity, HybridRecipient
from secxfer.age.recipients import Identity, Recipient
from secxfer.age.x25519 import X25519Identity, X25519Recipient


def _hrp(text: str) -> str:
    separator = text.rfind("1")  # '1' is not in the Bech32 data alphabet
    return text[:separator] if separator > 0 else ""


def parse_recipient(text: str) -> Recipient:
    """A recipient from its text form: X25519 ``age1...`` or hybrid ``age1pq1...``.

    Raises AgeUnsupportedError for valid encodings of types not implemented here
    (plugins ``age1<name>1...``, SSH keys) and AgeKeyError for anything malformed.
    """
    text = text.strip()
    hrp = _hrp(text).lower()
    if hrp == X25519_RECIPIENT_HRP:
        return X25519Recipient.parse(text)
    if hrp == HYBRID_RECIPIENT_HRP:
        return HybridRecipient.parse(text)
    if hrp.startswith(PLUGIN_RECIPIENT_PREFIX):
        raise AgeUnsupportedError(f"age plugin recipients ({hrp}1...) are not supported")
    if text.startswith(("ssh-", "ecdsa-")):
        raise AgeUnsupportedError("SSH public keys are not supported as age recipients", hint="use an age1... recipient")
    raise AgeKeyError(f"not an age recipient: {text[:12]!r}...", hint="a recipient looks like age1 followed by 58 characters")


def parse_identity(text: str) -> Identity:
    """An identity from its text form (``AGE-SECRET-KEY-1...`` or ``AGE-SECRET-KEY-PQ-1...``).

    Errors never echo the key.
    """
    text = text.strip()
    hrp = _hrp(text).upper()
    if hrp == X25519_IDENTITY_HRP:
        return X25519Identity.parse(text)
    if hrp == HYBRID_IDENTITY_HRP:
        return HybridIdentity.parse(text)
    if text.upper().startswith(PLUGIN_IDENTITY_PREFIX):
        raise AgeUnsupportedError("age plugin identities (AGE-PLUGIN-...) are not supported")
    raise AgeKeyError("not an age identity", hint="an identity line looks like AGE-SECRET-KEY-1 followed by 58 characters")


def _lines(text: str, max_bytes: int, what: str) -> list[tuple[int, str]]:
    if len(text.encode("utf-8", "surrogateescape")) > max_bytes:
        raise AgeKeyError(f"{what} is larger than {max_bytes} bytes")
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append((number, line))
    if not entries:
        raise AgeKeyError(f"{what} contains no keys")
    return entries


def _relocated(error: AgeKeyError | AgeUnsupportedError, what: str, number: int) -> AgeKeyError | AgeUnsupportedError:
    return type(error)(f"{what} line {number}: {error.message}", hint=error.hint)


def parse_identity_file(text: str) -> list[Identity]:
    """Identities from an age identity file: one per line, ``#`` comments and blank lines allowed."""
    identities = []
    for number, line in _lines(text, limits.KEY_FILE_MAX_BYTES, "identity file"):
        try:
            identities.append(parse_identity(line))
        except (AgeKeyError, AgeUnsupportedError) as error:
            raise _relocated(error, "identity file", number) from None
    return identities


def parse_recipients_file(text: str) -> list[Recipient]:
    """Recipients from an age recipients file (``-R``): one per line, comments allowed."""
    recipients = []
    for number, line in _lines(text, RECIPIENTS_FILE_MAX_BYTES, "recipients file"):
        try:
            recipients.append(parse_recipient(line))
        except (AgeKeyError, AgeUnsupportedError) as error:
            raise _relocated(error, "recipients file", number) from None
    return recipients


def _read_bounded(path: str | os.PathLike[str], max_bytes: int, what: str) -> str:
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AgeKeyError(f"{what} {str(path)!r} is larger than {max_bytes} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise AgeKeyError(f"{what} {str(path)!r} is not UTF-8 text") from None


def load_identity_file(path: str | os.PathLike[str]) -> list[Identity]:
    """Identities from the age identity file at ``path`` (size-bounded read)."""
    return parse_identity_file(_read_bounded(path, limits.KEY_FILE_MAX_BYTES, "identity file"))


def load_recipients_file(path: str | os.PathLike[str]) -> list[Recipient]:
    """Recipients from the recipients file at ``path`` (size-bounded read)."""
    return parse_recipients_file(_read_bounded(path, RECIPIENTS_FILE_MAX_BYTES, "recipients file"))


def identity_file_text(identity: X25519Identity | HybridIdentity, *, created: datetime | None = None) -> str:
    """An identity file as ``age-keygen`` writes it: created and public-key comments, then the key."""
    created = created or datetime.now(timezone.utc).astimezone()
    return (
        f"# created: {created.isoformat(timespec='seconds')}\n"
        f"# public key: {identity.recipient.encode()}\n"
        f"{identity.encode()}\n"
    )
