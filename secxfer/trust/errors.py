"""Errors of the trust wing, each a subclass of the shared tree in ``secxfer.errors``."""

from __future__ import annotations

from secxfer.errors import IntegrityError, SignatureError, UsageError


class ParticipantIdError(UsageError):
    """A participant id that is not one of the documented forms."""

    default_hint = "use root-N, agency, central, fed-01..fed-47 or mun-NNNNNN (6-digit code)"


class UnknownParticipantError(IntegrityError):
    """A participant the key directory does not list."""

    default_hint = "check the id, or import a newer key directory that lists this participant"


class ThresholdError(SignatureError):
    """Fewer valid signatures by trusted keys than the threshold requires."""

    default_hint = "collect signatures from more root key holders, then combine them"


class RootChainError(IntegrityError):
    """A root version offered out of order (skipped) or not properly chained."""

    default_hint = "import every root version in order, starting right after the one trusted here"


class ScopeError(SignatureError):
    """A signer acting outside its authority (e.g. a federation enrolling another prefecture)."""

    default_hint = "the enrollment must be signed by the federation of the municipality's own prefecture"


class NotPinnedError(UsageError):
    """The trust store has no root yet."""

    default_hint = (
        "a municipality: put the root.json you received with your key beside the key file (or give that "
        "root); a relay or the agency: import the key directory with its root. Compare the root's "
        "fingerprint with your paper form"
    )


class PolicyError(IntegrityError):
    """A key directory that breaks its own policy, or a use the policy forbids."""

    default_hint = (
        "the participant must make a post-quantum key (a new hybrid key, or one added beside its X25519 key) "
        "and be added or enrolled again before the directory is signed"
    )


class EncryptionDowngradeError(PolicyError):
    """A package whose age header is not encrypted as the directory's policy requires
    (classical stanzas where hybrid ones are required, or the two types mixed)."""

    default_hint = (
        "do not use this package; keep the medium and ask the sender to import the current "
        "key directory and seal again to post-quantum keys only"
    )
