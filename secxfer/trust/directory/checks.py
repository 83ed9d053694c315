"""The content checks every directory passes: before it is signed and whenever it is read.

A full directory: ids, roles and codes agree; every municipality's parent is its own
prefecture's federation and is listed; keys are unique to one participant; every
municipality is backed by an enrollment signed by its federation, whose newest
record sets its consent; every key has the size of its type (and a hybrid key is a
valid ML-KEM-768 + X25519 key); the directory keeps its own policy (a role that must
have hybrid encryption keys has them). An excerpt passes the same checks for the
entries present, and always holds agency, central and the federation of every
municipality in it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import msgspec

from secxfer.errors import FormatError, SignatureError
from secxfer.limits import DIRECTORY_MAX_PARTICIPANTS
from secxfer.trust import agekeys
from secxfer.trust.directory.entries import KEY_SIZES, Consent, Participant
from secxfer.trust.directory.model import Directory
from secxfer.trust.enrollment import read_enrollment, verify_enrollment
from secxfer.trust.errors import ParticipantIdError, ScopeError
from secxfer.trust.ids import Role, check_participant_id, code_of, federation_of
from secxfer.trust.policy import check_policy_form, require_listed_hybrid_key

ENROLLMENTS_MAX = 4 * DIRECTORY_MAX_PARTICIPANTS
EXCERPT_ALWAYS = ("agency", "central")


def check_directory(directory: Directory) -> None:
    """Check a directory's content on its own (everything but the root signatures and time).

    Run before signing, so a root holder never signs an inconsistent directory, and on
    every verification (for an excerpt: over the entries present).
    """
    if directory.issued >= directory.expires:
        raise FormatError(f"key directory v{directory.version} expires before it is issued")
    if len(directory.participants) > DIRECTORY_MAX_PARTICIPANTS or len(directory.enrollments) > ENROLLMENTS_MAX:
        raise FormatError(f"key directory v{directory.version} lists more entries than allowed")
    check_policy_form(directory.policy, directory.version)
    by_id: dict[str, Participant] = {}
    for participant in directory.participants:
        if participant.id in by_id:
            raise FormatError(f"key directory lists {participant.id!r} twice")
        by_id[participant.id] = participant
        _check_participant(participant)
        _check_listing(directory, participant)
    if directory.is_excerpt:
        missing = [pid for pid in EXCERPT_ALWAYS if pid not in by_id]
        if missing:
            raise FormatError(f"an excerpt of key directory v{directory.version} lacks {', '.join(missing)}")
    _check_parents(by_id)
    _check_keys_unique(directory.participants)
    _check_enrollments(directory, by_id)
    for participant in directory.participants:
        require_listed_hybrid_key(directory.policy, directory.version, participant, directory.issued, directory.expires)


def _check_participant(p: Participant) -> None:
    try:
        check_participant_id(p.id, p.role)
    except ParticipantIdError as error:
        raise FormatError(f"key directory entry: {error}") from None
    if p.code != code_of(p.id):
        raise FormatError(f"{p.id}: code {p.code!r} does not match the id")
    if not p.encryption_keys or not p.signing_keys:
        raise FormatError(f"{p.id}: needs at least one encryption key and one signing key")
    for entry in p.encryption_keys:
        if len(entry.key) != KEY_SIZES[entry.key_type]:
            raise FormatError(f"{p.id}: a {entry.key_type} encryption key of {len(entry.key)} bytes")
        agekeys.recipient(entry.key, entry.key_type)  # a hybrid key must be a valid ML-KEM-768 + X25519 key
    for entry in p.signing_keys:
        if entry.is_hybrid or len(entry.key) != 32:
            raise FormatError(f"{p.id}: a signing key is a 32-byte Ed25519 key without a type")
    for entry in (*p.encryption_keys, *p.signing_keys):
        if entry.valid_until is not None and entry.valid_until <= entry.valid_from:
            raise FormatError(f"{p.id}: a key's validity ends before it starts")
        if (entry.revoked_at is None) != (entry.revoked_reason is None):
            raise FormatError(f"{p.id}: a revocation needs both a time and a reason")
        if entry.revoked_at is None and entry.revoked_class is not msgspec.UNSET:
            raise FormatError(f"{p.id}: a revocation class on a key that is not revoked")
        if (entry.listed_in is msgspec.UNSET) != (entry.listed_at is msgspec.UNSET):
            raise FormatError(f"{p.id}: a key's listing needs both its directory version and issue time")
    if p.consent is not None and p.role is not Role.MUNICIPALITY:
        raise FormatError(f"{p.id}: only municipalities carry a consent record")


def _check_listing(directory: Directory, p: Participant) -> None:
    """A key cannot have been first listed by a later version than the one listing it now."""
    for entry in (*p.encryption_keys, *p.signing_keys):
        listing = entry.listing
        if listing is not None and (listing[0] > directory.version or listing[1] > directory.issued):
            raise FormatError(
                f"{p.id}: a key says key directory v{listing[0]} ({listing[1].isoformat()}) first listed it, "
                f"after this v{directory.version} ({directory.issued.isoformat()})"
            )


def _check_parents(by_id: dict[str, Participant]) -> None:
    for p in by_id.values():
        expected = federation_of(p.id) if p.role is Role.MUNICIPALITY else None
        if p.parent != expected:
            raise FormatError(f"{p.id}: parent {p.parent!r}, expected {expected!r}")
        if expected is not None and expected not in by_id:
            raise FormatError(f"{p.id}: its federation {expected} is not in the directory")


def _check_keys_unique(participants: tuple[Participant, ...]) -> None:
    seen: set[bytes] = set()
    for p in participants:
        for entry in (*p.encryption_keys, *p.signing_keys):
            if entry.key in seen:
                raise FormatError(f"{p.id}: key {entry.key[:4].hex()}… is listed more than once in the directory")
            seen.add(entry.key)


class _Backing:
    __slots__ = ("keys", "latest", "consent")

    def __init__(self) -> None:
        self.keys: set[bytes] = set()
        self.latest: datetime | None = None
        self.consent: Consent | None = None


def _check_enrollments(directory: Directory, by_id: dict[str, Participant]) -> None:
    """Each enrollment verifies against its federation; each municipality is backed.

    A municipality's consent is that of its newest enrollment (by signing time; among
    equal times, the one listed last).
    """
    backing: dict[str, _Backing] = defaultdict(_Backing)
    if len(set(directory.enrollments)) != len(directory.enrollments):
        raise FormatError("key directory carries the same enrollment twice")
    for raw in directory.enrollments:
        _, record = read_enrollment(raw)
        federation = by_id.get(record.federation)
        if federation is None:
            raise ScopeError(f"enrollment by {record.federation!r}, which is not in the directory")
        record, card = verify_enrollment(raw, federation, revoked_by=directory.issued)
        if card.id not in by_id:
            raise FormatError(f"enrollment of {card.id}, which is not in the directory")
        b = backing[card.id]
        b.keys.update((*(key for _, key in card.encryption_public_keys), card.signing_key))
        if b.latest is None or record.signed_at >= b.latest:
            b.latest, b.consent = record.signed_at, record.consent
    for p in by_id.values():
        if p.role is not Role.MUNICIPALITY:
            continue
        b = backing.get(p.id)
        if b is None:
            raise ScopeError(f"{p.id} is not backed by an enrollment signed by {p.parent}")
        unbacked = [e for e in (*p.encryption_keys, *p.signing_keys) if e.key not in b.keys]
        if unbacked:
            raise SignatureError(f"{p.id}: key {unbacked[0].key[:4].hex()}… is not in any enrollment by {p.parent}")
        if p.consent != b.consent:
            raise SignatureError(
                f"{p.id}: consent {_show(p.consent)} differs from {p.parent}'s latest enrollment ({_show(b.consent)})",
                hint="consent is attested by the federation: record it with its key",
                facts={"advice": "record-consent"},
            )


def _show(consent: Consent | None) -> str:
    if consent is None:
        return "none"
    return f"filed {consent.filed_on}" + (f", withdrawn {consent.withdrawn_on}" if consent.withdrawn_on else "")
