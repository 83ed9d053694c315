"""The key directory: one signed document listing every participant and its keys.

Signed (kind ``secxfer/directory``) by a threshold of the current root keys,
versioned and expiring. Readers verify the root signatures over the exact payload
bytes, decode strictly, then check the whole document (:func:`check_directory`):
ids, roles and codes agree; every municipality is backed by an enrollment signed by
its own prefecture's federation; keys are unique to one participant.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Annotated

import msgspec

from secxfer.errors import ExpiredError, FormatError, RevokedKeyError, RollbackError, SignatureError
from secxfer.limits import DIRECTORY_MAX_BYTES, DIRECTORY_MAX_PARTICIPANTS
from secxfer.models import Model
from secxfer.trust import agekeys
from secxfer.trust.cards import read_card
from secxfer.trust.codec import decode_strict
from secxfer.trust.enrollment import ENROLLMENT_MAX_BYTES, read_enrollment, verify_enrollment
from secxfer.trust.entries import AwareDatetime, Consent, KeyEntry, Participant, require_aware
from secxfer.trust.errors import ParticipantIdError, RootChainError, ScopeError, UnknownParticipantError
from secxfer.trust.fingerprint import key_id
from secxfer.trust.ids import Role, check_participant_id, code_of, federation_id, federation_of
from secxfer.trust.kinds import KIND_DIRECTORY
from secxfer.trust.root import Root
from secxfer.trust.signing import SignedDocument, require_threshold

if TYPE_CHECKING:
    from secxfer.age import X25519Recipient

ENROLLMENTS_MAX = 4 * DIRECTORY_MAX_PARTICIPANTS


class Directory(Model, kw_only=True, dict=True):
    """The directory's payload, with the queries the chain needs.

    ``enrollments`` are federation-signed enrollment records kept as signed bytes.
    """

    version: Annotated[int, msgspec.Meta(ge=1)]
    issued: AwareDatetime
    expires: AwareDatetime
    root_version: Annotated[int, msgspec.Meta(ge=1)]
    participants: Annotated[tuple[Participant, ...], msgspec.Meta(max_length=DIRECTORY_MAX_PARTICIPANTS)] = ()
    enrollments: Annotated[
        tuple[Annotated[bytes, msgspec.Meta(max_length=ENROLLMENT_MAX_BYTES)], ...],
        msgspec.Meta(max_length=ENROLLMENTS_MAX),
    ] = ()

    @cached_property
    def _by_id(self) -> dict[str, Participant]:
        return {p.id: p for p in self.participants}

    @cached_property
    def _enrollment_heads(self) -> dict[str, tuple[datetime, bytes]]:
        return enrollment_heads(self.enrollments)

    def participant(self, pid: str) -> Participant:
        """The entry of ``pid``; UnknownParticipantError if the directory does not list it."""
        found = self._by_id.get(pid)
        if found is None:
            raise UnknownParticipantError(f"{pid!r} is not in key directory v{self.version}")
        return found

    def encryption_recipients(self, pid: str, at: datetime) -> list[X25519Recipient]:
        """Age recipients for ``pid`` at time ``at``: every usable key, main before backup.

        Security: revoked and out-of-window keys are left out; if none is left this
        raises (RevokedKeyError / ExpiredError) instead of returning an empty list.
        """
        require_aware(at)
        entries = self.participant(pid).encryption_keys
        usable = sorted((e for e in entries if e.usable_at(at)), key=lambda e: e.label != "main")
        if not usable:
            if any(e.revoked_by(at) and e.in_window(at) for e in entries):
                raise RevokedKeyError(f"every encryption key of {pid} in force at {at.isoformat()} is revoked")
            raise ExpiredError(f"{pid} has no encryption key valid at {at.isoformat()}")
        return [agekeys.recipient(e.key) for e in usable]

    def require_signing_key(self, pid: str, public_key: bytes, at: datetime) -> None:
        """Check that ``public_key`` is a signing key of ``pid`` usable at ``at``.

        Raises SignatureError (not one of its keys), RevokedKeyError (revoked at or
        before ``at``) or ExpiredError (outside its validity window).
        """
        entry = next((e for e in self.participant(pid).signing_keys if e.key == bytes(public_key)), None)
        if entry is None:
            raise SignatureError(f"key {key_id(bytes(public_key))[:16]}… is not a signing key of {pid}")
        entry.require_usable(at, f"signing key {key_id(entry.key)[:16]}… of {pid}")

    def signer_of(self, keyid: str) -> Participant:
        """The participant holding the signing key with id ``keyid``."""
        found = self._by_keyid.get(keyid)
        if found is None:
            raise UnknownParticipantError(f"no participant holds signing key {keyid[:16]}…")
        return found

    @cached_property
    def _by_keyid(self) -> dict[str, Participant]:
        return {key_id(e.key): p for p in self.participants for e in p.signing_keys}

    def consent_in_force(self, pid_or_insurer_code: str, on: date) -> bool:
        """Whether the municipality (``mun-131016`` or ``131016``) has a 委任状 in force on ``on``.

        False for municipalities the directory does not list and for other roles.
        """
        pid = f"mun-{pid_or_insurer_code}" if pid_or_insurer_code.isdigit() else pid_or_insurer_code
        if check_participant_id(pid) is not Role.MUNICIPALITY:
            return False
        entry = self._by_id.get(pid)
        return entry is not None and entry.consent is not None and entry.consent.in_force(on)

    def covered_municipalities(self, on: date) -> list[Participant]:
        """Municipalities with consent in force on ``on``, by id."""
        return [p for p in self.by_role(Role.MUNICIPALITY) if p.consent is not None and p.consent.in_force(on)]

    def municipalities_of(self, federation_id: str) -> list[Participant]:
        """The municipalities a federation relays to, by id."""
        return [p for p in self.by_role(Role.MUNICIPALITY) if p.parent == federation_id]

    def federation_for_prefecture(self, pref_code: str) -> Participant:
        """The federation of a 2-digit prefecture code."""
        try:
            return self.participant(federation_id(pref_code))
        except ParticipantIdError:
            raise UnknownParticipantError(f"{pref_code!r} is not a prefecture code 01-47") from None

    def by_role(self, role: Role | str) -> list[Participant]:
        """Every participant of ``role``, by id."""
        wanted = Role(role)
        return sorted((p for p in self.participants if p.role is wanted), key=lambda p: p.id)


_DIRECTORY = msgspec.json.Decoder(Directory)


def enrollment_heads(enrollments: tuple[bytes, ...]) -> dict[str, tuple[datetime, bytes]]:
    """Municipality id -> (signing time, card bytes) of its newest enrollment.

    Parsed, not verified: for editing; verification walks every record itself.
    """
    heads: dict[str, tuple[datetime, bytes]] = {}
    for raw in enrollments:
        _, record = read_enrollment(raw)
        pid = read_card(record.card)[1].id
        if pid not in heads or record.signed_at >= heads[pid][0]:
            heads[pid] = (record.signed_at, record.card)
    return heads


# -- verification ---------------------------------------------------------------------


def open_directory(signed_bytes: bytes, root: Root) -> Directory:
    """Check the root threshold over the exact payload, then decode it strictly.

    Only the signatures and the form are checked here; :func:`verify_directory` does all.
    """
    document = SignedDocument.decode(signed_bytes, kind=KIND_DIRECTORY, max_bytes=DIRECTORY_MAX_BYTES)
    require_threshold(KIND_DIRECTORY, document.payload, document.signatures, root.keys, root.threshold)
    return decode_directory_payload(document.payload)


def decode_directory_payload(payload: bytes) -> Directory:
    """Strictly decode a directory payload (no signature checks: for drafts and after them)."""
    return decode_strict(payload, _DIRECTORY, what="key directory", max_bytes=DIRECTORY_MAX_BYTES)


def verify_directory(signed_bytes: bytes, root: Root, *, now: datetime) -> Directory:
    """Verify a signed directory against the trusted ``root`` at time ``now``.

    Security: threshold of root signatures over the exact bytes; signed under this
    very root version; not expired; every entry consistent and every municipality
    backed by its own federation's enrollment. Rollback is the trust store's job.
    """
    directory = open_directory(signed_bytes, root)
    check_current(directory, root, now=now)
    check_directory(directory)
    return directory


def check_current(directory: Directory, root: Root, *, now: datetime) -> None:
    """The directory belongs to ``root``'s version and has not expired at ``now``."""
    require_aware(now, "now")
    if directory.root_version < root.version:
        raise RollbackError(
            f"key directory v{directory.version} was signed under root v{directory.root_version}, "
            f"but root v{root.version} is trusted here"
        )
    if directory.root_version > root.version:
        raise RootChainError(
            f"key directory v{directory.version} needs root v{directory.root_version}; root v{root.version} is trusted here",
            hint="import the newer root versions first (they travel with the directory)",
        )
    if now >= directory.expires:
        raise ExpiredError(f"key directory v{directory.version} expired at {directory.expires.isoformat()}")


def check_directory(directory: Directory) -> None:
    """Check a directory's content on its own (everything but the root signatures and time).

    Run before signing, so a root holder never signs an inconsistent directory, and on
    every verification.
    """
    if directory.issued >= directory.expires:
        raise FormatError(f"key directory v{directory.version} expires before it is issued")
    by_id: dict[str, Participant] = {}
    for participant in directory.participants:
        if participant.id in by_id:
            raise FormatError(f"key directory lists {participant.id!r} twice")
        by_id[participant.id] = participant
        _check_participant(participant)
    _check_parents(by_id)
    _check_keys_unique(directory.participants)
    _check_enrollments(directory, by_id)


def _check_participant(p: Participant) -> None:
    try:
        check_participant_id(p.id, p.role)
    except ParticipantIdError as error:
        raise FormatError(f"key directory entry: {error}") from None
    if p.code != code_of(p.id):
        raise FormatError(f"{p.id}: code {p.code!r} does not match the id")
    if not p.encryption_keys or not p.signing_keys:
        raise FormatError(f"{p.id}: needs at least one encryption key and one signing key")
    for entry in (*p.encryption_keys, *p.signing_keys):
        if entry.valid_until is not None and entry.valid_until <= entry.valid_from:
            raise FormatError(f"{p.id}: a key's validity ends before it starts")
        if (entry.revoked_at is None) != (entry.revoked_reason is None):
            raise FormatError(f"{p.id}: a revocation needs both a time and a reason")
    if p.consent is not None and p.role is not Role.MUNICIPALITY:
        raise FormatError(f"{p.id}: only municipalities carry a consent record")


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
        b.keys.update((card.encryption_public_key, card.signing_key))
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
                hint="consent is attested by the federation: record it with its key (secxfer directory consent … --key)",
            )


def _show(consent: Consent | None) -> str:
    if consent is None:
        return "none"
    return f"filed {consent.filed_on}" + (f", withdrawn {consent.withdrawn_on}" if consent.withdrawn_on else "")


__all__ = [
    "Consent",
    "Directory",
    "KeyEntry",
    "Participant",
    "check_current",
    "check_directory",
    "decode_directory_payload",
    "open_directory",
    "verify_directory",
]
