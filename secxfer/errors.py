"""The one exception tree of secxfer.

Every error says what is wrong (the message) and what to do (the hint). The exit
code belongs to the class, so the CLI never has to guess:

    0 ok · 1 operational failure · 2 usage · 3 authentication/integrity failure ·
    4 input data rejected · 5 done, but a checkpoint could not be proven (a warning:
    no consistency proof to check it against what is held; never an error class)

Wings subclass these; they never raise bare ``Exception``/``ValueError`` for
conditions that outside input can cause.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_OPERATIONAL = 1
EXIT_USAGE = 2
EXIT_INTEGRITY = 3
EXIT_REJECTED = 4
EXIT_UNPROVEN = 5


class SecxferError(Exception):
    """Root of every error secxfer raises on purpose."""

    exit_code = EXIT_OPERATIONAL
    default_hint = "see docs/operations.md"

    def __init__(self, message: str, *, hint: str | None = None, facts: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        # The message's particulars as fields (ids, codes, names, counts), so a front end
        # can word the whole sentence in its own language; the message is the English one.
        self.facts: dict[str, str] = dict(facts or {})

    def __str__(self) -> str:
        return self.message


# -- 1: operational -----------------------------------------------------------------


class OperationalError(SecxferError):
    """The operation could not be carried out (files, space, state), input is fine."""


class OutputExistsError(OperationalError):
    default_hint = "choose another output path or remove the existing one first"


class InsufficientSpaceError(OperationalError):
    default_hint = "free space on the target medium or use a larger one"


class NotFoundError(OperationalError):
    default_hint = "check the path"


# -- 2: usage ---------------------------------------------------------------------


class UsageError(SecxferError):
    """The call itself is wrong: arguments, options, their combination."""

    exit_code = EXIT_USAGE
    default_hint = "check the arguments given and how they combine"


# -- 3: authentication / integrity ------------------------------------------------


class IntegrityError(SecxferError):
    """Something failed to authenticate or is not what it claims to be."""

    exit_code = EXIT_INTEGRITY
    default_hint = (
        "do not use this file; obtain a fresh copy from the sender and report the incident"
    )


class FormatError(IntegrityError):
    """Bytes that do not parse as the format they claim to be (truncated, corrupted)."""


class TextEditedError(FormatError):
    """A signed file re-saved by a text editor: only a BOM or CRLF line ends were added (Notepad)."""

    default_hint = "copy the original file again without opening it in an editor; this alone is not an incident"


class SignatureError(IntegrityError):
    """A signature is missing, invalid, or by a key that may not sign this."""


class DecryptionError(IntegrityError):
    """The encrypted payload could not be decrypted and authenticated."""


class NoIdentityMatchError(DecryptionError):
    default_hint = "check that you are using your own organisation's key file"


class WrongPassphraseError(IntegrityError):
    default_hint = "check the passphrase (SECXFER_PASSPHRASE) for this key file"


class NotForUsError(IntegrityError):
    """A package addressed to someone else, or re-encrypted away from its addressee."""

    default_hint = "this package is not addressed to you; return it to its sender"


class ReplayError(IntegrityError):
    default_hint = "this package was already processed here; nothing was written again"


class RollbackError(IntegrityError):
    default_hint = "an older key directory than the one already trusted was offered; keep the newer one"


class ExpiredError(IntegrityError):
    default_hint = "obtain the current key directory from your parent organisation"


class RevokedKeyError(IntegrityError):
    default_hint = "the key was revoked; ask the sender to re-seal with its current key"


class CompromisedKeyError(RevokedKeyError):
    """A signature by a key revoked for compromise that this installation had not already
    accepted: refused whatever date it claims (docs/keys.md, revocation classes)."""

    default_hint = (
        "the sender's key was revoked as stolen or lost; do not use this file, and ask the "
        "sender for a new package signed with its current key"
    )


class FutureDatedError(IntegrityError):
    """A document dated later than this computer's clock plus the allowed skew."""

    default_hint = "check this computer's clock; if it is right, ask the sender to check theirs and send again"


class ProvenanceError(IntegrityError):
    """Rows that do not match what the agency committed to."""


class TimeOrderError(ProvenanceError):
    """A relay's manifest dated before the manifest it continues (beyond the allowed skew)."""

    default_hint = "a hop's date is impossible; do not use this package and ask the sender which computer's clock is wrong"


class BeforeListingError(SignatureError):
    """A signature dated before the key directory version that first listed its key."""

    default_hint = "the document claims a date before its key was published; do not use it and ask the sender"


class ConsentError(IntegrityError):
    """Rows for a municipality without a power of attorney (委任状) in force."""

    default_hint = "rows for municipalities without consent must never be delivered; report the sender"


# -- 4: input data rejected -------------------------------------------------------


class InputRejectedError(SecxferError):
    """Input data (annex CSV, period, code) that the agreement does not allow."""

    exit_code = EXIT_REJECTED
    default_hint = "correct the listed rows at the source and export the file again"
