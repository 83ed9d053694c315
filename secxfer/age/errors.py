"""Errors of the age layer, one per failure class of the age test vectors.

Checks run in a fixed order and each stage raises its own class, so a lower-level
failure is never reported as a higher-level one:

    armor  →  header grammar  →  recipient stanzas  →  header MAC  →  payload

Every class maps to exit code 3 (authentication/integrity failure).
"""

from __future__ import annotations

from secxfer.errors import DecryptionError, FormatError, NoIdentityMatchError


class AgeHeaderError(FormatError):
    """The age header does not parse, or a stanza addressed to us is malformed.

    ``location`` says where (for example ``"line 3"``) when it is known.
    """

    default_hint = (
        "the file is not a valid age file or is damaged; obtain a fresh copy from the sender"
    )

    def __init__(self, message: str, *, location: str | None = None, hint: str | None = None) -> None:
        self.location = location
        text = f"age header, {location}: {message}" if location else f"age header: {message}"
        super().__init__(text, hint=hint)


class AgeArmorError(FormatError):
    """The ASCII armor (PEM) wrapping of an age file is not strictly valid."""

    default_hint = "the armored file was altered or damaged; obtain a fresh copy from the sender"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"age armor: {message}", hint=hint)


class AgeHeaderMacError(DecryptionError):
    """A file key was unwrapped but the header MAC does not match: the header was altered."""

    default_hint = (
        "the file header was altered after encryption; do not use this file, report it "
        "and obtain a fresh copy from the sender"
    )


class AgeNoIdentityMatchError(NoIdentityMatchError):
    """None of the given identities can unwrap any recipient stanza of the file."""


class AgeDowngradeError(DecryptionError):
    """The file is not encrypted to post-quantum recipients only, where the caller requires it.

    Raised before any identity is tried, so no key is used on a downgraded file.
    """

    default_hint = (
        "do not use this file; ask the sender to encrypt it to post-quantum (age1pq1...) "
        "recipients only"
    )


class AgePayloadError(DecryptionError):
    """The encrypted payload did not decrypt and authenticate all the way to its end.

    Deliberately generic: truncation, corruption, reordering and appended data all
    look the same to the reader, and none of it may be trusted.
    """

    default_hint = "nothing was released; obtain a fresh copy from the sender and report the incident"


class AgeKeyError(FormatError):
    """A recipient or identity string does not parse (bad Bech32, wrong length)."""

    default_hint = "check that the key was copied completely (age1... or AGE-SECRET-KEY-1...)"


class AgeUnsupportedError(FormatError):
    """A valid age feature that this implementation does not support (yet).

    Kept apart from :class:`AgeHeaderError` so callers can tell "this file is
    broken" from "this file needs a feature we lack" (for example post-quantum
    hybrid identities or plugins).
    """

    default_hint = "decrypt this file with a tool that supports the feature, or ask the sender to use an X25519 recipient"
