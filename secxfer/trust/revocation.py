"""Revoking keys in a directory draft, and naming a key by its text.

A revocation has a class (docs/keys.md, revocation classes): ``compromise`` (the
default) refuses every signature by the key that a verifier had not accepted before,
whatever date it claims; ``retired`` / ``superseded`` keep signatures dated before
the revocation valid. Either way the key is left out as a recipient from then on;
``secxfer.trust.validity`` states the rule for signatures. Revoking a federation's signing key also drops the
enrollments it signed, since a revoked key vouches for nothing.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from secxfer.errors import UsageError
from secxfer.trust.agekeys import parse_recipient_text
from secxfer.trust.directory.entries import COMPROMISE, REVOCATION_CLASSES, Participant
from secxfer.trust.directory.model import Directory, enrollment_heads, replaced
from secxfer.trust.enrollment import read_enrollment
from secxfer.trust.errors import UnknownParticipantError
from secxfer.trust.fingerprint import key_id
from secxfer.trust.ids import Role


def revoke_key(
    directory: Directory, pid: str, key: bytes, *, at: datetime, reason: str, revocation_class: str = COMPROMISE
) -> Directory:
    """Revoke one of ``pid``'s keys (encryption or signing) from time ``at`` on.

    Security: from ``at`` the key is left out as a recipient; for signatures the
    class decides (``compromise``: refused whatever date they claim; ``retired`` /
    ``superseded``: refused when dated at or after ``at``). Revoking a federation's signing key also removes the enrollments it
    signed: a revoked key vouches for nothing, so the federation enrolls those
    municipalities again with its new key before the directory can be signed.
    """
    if at.tzinfo is None:
        raise UsageError("the revocation time must be an aware datetime")
    if revocation_class not in REVOCATION_CLASSES:
        raise UsageError(
            f"revocation class {revocation_class!r} is not one of {', '.join(REVOCATION_CLASSES)}",
            hint="use 'compromise' when the key may be in anyone else's hands",
        )
    if not reason.strip():
        raise UsageError("a revocation needs a reason")
    participant = directory.participant(pid)
    key = bytes(key)
    entries = (*participant.encryption_keys, *participant.signing_keys)
    target = next((e for e in entries if e.key == key), None)
    if target is None:
        raise UnknownParticipantError(f"{pid} has no such key", hint="list the participant's keys in the directory",
                                      facts={"advice": "show-keys", "participant": pid})
    if target.revoked_at is not None:
        raise UsageError(f"that key of {pid} was already revoked at {target.revoked_at.isoformat()}")
    revoked = msgspec.structs.replace(
        target, revoked_at=at, revoked_reason=reason.strip(), revoked_class=revocation_class
    )
    table = dict(directory._by_id)
    table[pid] = msgspec.structs.replace(
        participant,
        encryption_keys=tuple(revoked if e is target else e for e in participant.encryption_keys),
        signing_keys=tuple(revoked if e is target else e for e in participant.signing_keys),
    )
    enrollments = directory.enrollments
    if participant.role is Role.FEDERATION and target in participant.signing_keys:
        signer = key_id(key)
        enrollments = tuple(
            raw for raw in enrollments if all(s.keyid != signer for s in read_enrollment(raw)[0].signatures)
        )
    heads = None if enrollments == directory.enrollments else enrollment_heads(enrollments)
    return replaced(directory, table, enrollments, heads)


def find_key(participant: Participant, text: str) -> bytes:
    """One of ``participant``'s public keys named by ``text``: an ``age1…`` or ``age1pq1…``
    recipient, a signing key id, the key in hex, or a unique hex prefix (8+ digits) of either."""
    text = text.strip()
    if text.lower().startswith("age1"):  # Bech32 may be written in capitals
        wanted = parse_recipient_text(text)
        matches = [e.key for e in participant.encryption_keys if (e.key_type, e.key) == wanted]
    else:
        lowered = text.lower()
        if len(lowered) < 8 or any(c not in "0123456789abcdef" for c in lowered):
            raise UsageError(f"{text!r} names no key", hint="give an age1… recipient, a key id, or 8+ hex digits of one")
        matches = [
            e.key
            for e in (*participant.encryption_keys, *participant.signing_keys)
            if e.key.hex().startswith(lowered) or (e in participant.signing_keys and key_id(e.key).startswith(lowered))
        ]
    if len(matches) != 1:
        raise UsageError(
            f"{text!r} matches {len(matches)} keys of {participant.id}",
            hint="list the participant's keys in the directory and give more of the key",
            facts={"advice": "show-keys", "participant": participant.id},
        )
    return matches[0]
