"""The trust wing: participant keys, key cards, the signed key directory, the trust store.

Modelled on TUF: signed bytes stay bytes and are verified before decoding; the
directory's header is signed by a threshold of root keys and commits to every entry
by a Merkle root, so an excerpt of a few entries verifies on its own; roots rotate
by a chain of versions; a pure state machine (``store``) refuses rollback, freeze
and skipped roots. Beyond TUF, federations sign the enrollment of their own
municipalities. Encryption keys are X25519 or post-quantum hybrid (ML-KEM-768 +
X25519); the directory's signed policy can require the hybrid type for a role.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secxfer.trust.authoring import (
        add_enrollment,
        add_enrollments,
        add_participant,
        add_participants,
        add_signatures,
        draft_bytes,
        load_draft,
        new_directory,
        next_version,
        record_consent,
        require_hybrid_encryption,
        revoke_key,
        sign_directory,
        sign_draft,
    )
    from secxfer.trust.cards import KeyCard, card_fingerprint, make_card, verify_card
    from secxfer.trust.directory.model import Directory
    from secxfer.trust.directory.verify import verify_directory
    from secxfer.trust.directory.file import DirectoryFile, read_directory_file
    from secxfer.trust.enrollment import Enrollment, enroll
    from secxfer.trust.directory.entries import Consent, KeyEntry, Participant
    from secxfer.trust.directory.excerpt import Excerpter, make_excerpt
    from secxfer.trust.errors import PolicyError, ScopeError, ThresholdError, UnknownParticipantError
    from secxfer.trust.ids import Role, municipality_id
    from secxfer.trust.policy import DirectoryPolicy
    from secxfer.trust.root import Root, new_root, sign_root, verify_root
    from secxfer.trust.secret_keys import (
        ParticipantSecret,
        add_hybrid_key,
        generate_participant,
        load_secret_key,
        save_secret_key,
    )
    from secxfer.trust.signing import Signature, SignedDocument, VerificationResult, sign, threshold_check, verify
    from secxfer.trust.store import TrustState, TrustStore, apply_bundle, apply_directory, apply_root, export_bundle

# Imported on first use (PEP 562): a command that only verifies a package need not load
# key authoring, key cards or the passphrase-protected key files.
_EXPORTS = {
    "Consent": "secxfer.trust.directory.entries",
    "Directory": "secxfer.trust.directory.model",
    "DirectoryFile": "secxfer.trust.directory.file",
    "DirectoryPolicy": "secxfer.trust.policy",
    "Enrollment": "secxfer.trust.enrollment",
    "Excerpter": "secxfer.trust.directory.excerpt",
    "KeyCard": "secxfer.trust.cards",
    "KeyEntry": "secxfer.trust.directory.entries",
    "Participant": "secxfer.trust.directory.entries",
    "ParticipantSecret": "secxfer.trust.secret_keys",
    "PolicyError": "secxfer.trust.errors",
    "Role": "secxfer.trust.ids",
    "Root": "secxfer.trust.root",
    "ScopeError": "secxfer.trust.errors",
    "Signature": "secxfer.trust.signing",
    "SignedDocument": "secxfer.trust.signing",
    "ThresholdError": "secxfer.trust.errors",
    "TrustState": "secxfer.trust.store",
    "TrustStore": "secxfer.trust.store",
    "UnknownParticipantError": "secxfer.trust.errors",
    "VerificationResult": "secxfer.trust.signing",
    "add_enrollment": "secxfer.trust.authoring",
    "add_enrollments": "secxfer.trust.authoring",
    "add_hybrid_key": "secxfer.trust.secret_keys",
    "add_participant": "secxfer.trust.authoring",
    "add_participants": "secxfer.trust.authoring",
    "add_signatures": "secxfer.trust.authoring",
    "apply_bundle": "secxfer.trust.store",
    "apply_directory": "secxfer.trust.store",
    "apply_root": "secxfer.trust.store",
    "card_fingerprint": "secxfer.trust.cards",
    "draft_bytes": "secxfer.trust.authoring",
    "enroll": "secxfer.trust.enrollment",
    "export_bundle": "secxfer.trust.store",
    "generate_participant": "secxfer.trust.secret_keys",
    "load_draft": "secxfer.trust.authoring",
    "load_secret_key": "secxfer.trust.secret_keys",
    "make_card": "secxfer.trust.cards",
    "make_excerpt": "secxfer.trust.directory.excerpt",
    "municipality_id": "secxfer.trust.ids",
    "new_directory": "secxfer.trust.authoring",
    "new_root": "secxfer.trust.root",
    "next_version": "secxfer.trust.authoring",
    "read_directory_file": "secxfer.trust.directory.file",
    "record_consent": "secxfer.trust.authoring",
    "require_hybrid_encryption": "secxfer.trust.authoring",
    "revoke_key": "secxfer.trust.authoring",
    "save_secret_key": "secxfer.trust.secret_keys",
    "sign": "secxfer.trust.signing",
    "sign_directory": "secxfer.trust.authoring",
    "sign_draft": "secxfer.trust.authoring",
    "sign_root": "secxfer.trust.root",
    "threshold_check": "secxfer.trust.signing",
    "verify": "secxfer.trust.signing",
    "verify_card": "secxfer.trust.cards",
    "verify_directory": "secxfer.trust.directory.verify",
    "verify_root": "secxfer.trust.root",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    "Consent", "Directory", "DirectoryFile", "DirectoryPolicy", "Enrollment", "Excerpter", "KeyCard", "KeyEntry", "Participant", "ParticipantSecret",
    "PolicyError", "Role", "Root", "ScopeError", "Signature", "SignedDocument", "ThresholdError", "TrustState",
    "TrustStore", "UnknownParticipantError", "VerificationResult",
    "add_enrollment", "add_enrollments", "add_hybrid_key", "add_participant", "add_participants", "add_signatures",
    "apply_bundle", "apply_directory", "apply_root", "card_fingerprint", "draft_bytes", "enroll",
    "export_bundle", "generate_participant", "load_draft", "load_secret_key", "make_card", "make_excerpt",
    "municipality_id",
    "new_directory", "new_root", "next_version", "record_consent",
    "require_hybrid_encryption", "revoke_key", "save_secret_key", "sign", "sign_directory", "sign_draft", "sign_root",
    "read_directory_file", "threshold_check", "verify", "verify_card", "verify_directory", "verify_root",
]
