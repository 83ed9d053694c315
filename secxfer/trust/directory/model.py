"""The key directory as a value: every participant (or, in an excerpt, some) and the queries.

A ``Directory`` is what editing works on and what verification yields; its published
form (a root-signed header over a Merkle tree of entries) is in ``directory_file``.
An excerpt holds only some entries: the queries answer for the entries present and
``is_excerpt`` tells callers that anything absent may still exist in the full one.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Annotated

import msgspec

from secxfer.errors import ExpiredError, RevokedKeyError, SignatureError
from secxfer.models import Model
from secxfer.trust import agekeys
from secxfer.trust.cards import read_card
from secxfer.trust.directory.entries import AwareDatetime, Participant, require_aware
from secxfer.trust.enrollment import read_enrollment
from secxfer.trust.errors import ParticipantIdError, UnknownParticipantError
from secxfer.trust.fingerprint import key_id
from secxfer.trust.ids import Role, check_participant_id, federation_id
from secxfer.trust.policy import DirectoryPolicy, require_hybrid_key
from secxfer.trust.validity import require_signature_stands

if TYPE_CHECKING:
    from secxfer.age import HybridRecipient, X25519Recipient


class Directory(Model, kw_only=True, dict=True):
    """The directory's content, with the queries the chain needs.

    ``participants`` are sorted by id. ``enrollments`` are federation-signed
    enrollment records kept as signed bytes. ``policy`` is what the directory requires
    of itself (``secxfer.trust.policy``; signed in the header). ``excerpt`` is True
    when the value was read from an excerpt: only some of the signed directory's
    entries are present.
    """

    version: Annotated[int, msgspec.Meta(ge=1)]
    issued: AwareDatetime
    expires: AwareDatetime
    root_version: Annotated[int, msgspec.Meta(ge=1)]
    participants: tuple[Participant, ...] = ()
    enrollments: tuple[bytes, ...] = ()
    excerpt: bool = False
    policy: DirectoryPolicy | None = None

    @property
    def is_excerpt(self) -> bool:
        """Whether only some entries of the signed directory are present.

        Queries then answer for the entries present only: whoever needs every
        participant (the seal's covered municipalities, a relay's targets) needs the
        full directory.
        """
        return self.excerpt

    @cached_property
    def _by_id(self) -> dict[str, Participant]:
        return {p.id: p for p in self.participants}

    @cached_property
    def _enrollment_heads(self) -> dict[str, tuple[datetime, bytes]]:
        return enrollment_heads(self.enrollments)

    def _where(self) -> str:
        return f"{'this excerpt of ' if self.excerpt else ''}key directory v{self.version}"

    def participant(self, pid: str) -> Participant:
        """The entry of ``pid``; UnknownParticipantError if the directory does not list it."""
        found = self._by_id.get(pid)
        if found is None:
            raise UnknownParticipantError(f"{pid!r} is not in {self._where()}")
        return found

    def encryption_recipients(self, pid: str, at: datetime) -> list[X25519Recipient] | list[HybridRecipient]:
        """Age recipients for ``pid`` at time ``at``: every usable key of one type, main before backup.

        Hybrid (ML-KEM-768 + X25519) recipients when the participant has a usable
        hybrid key, and then only those: classic and post-quantum recipients are never
        mixed, since a file also sealed to X25519 would lose its quantum resistance.
        Otherwise its X25519 keys.
        Security: revoked and out-of-window keys are left out; if none is left this
        raises (RevokedKeyError / ExpiredError) instead of returning an empty list;
        when the policy requires a hybrid key for the participant's role and none is
        usable, PolicyError (never a fallback to X25519).
        """
        require_aware(at)
        participant = self.participant(pid)
        entries = participant.encryption_keys
        usable = sorted((e for e in entries if e.usable_at(at)), key=lambda e: e.label != "main")
        hybrid = [e for e in usable if e.is_hybrid]
        if not hybrid:
            require_hybrid_key(self.policy, self.version, participant, at)
        if not usable:
            if any(e.revoked_by(at) and e.in_window(at) for e in entries):
                raise RevokedKeyError(f"every encryption key of {pid} in force at {at.isoformat()} is revoked",
                                      facts={"wording": "encryption-keys", "id": pid, "at": at.isoformat()})
            raise ExpiredError(f"{pid} has no encryption key valid at {at.isoformat()}",
                               facts={"wording": "encryption-key", "id": pid, "at": at.isoformat()})
        return [agekeys.recipient(e.key, e.key_type) for e in (hybrid or usable)]

    def require_signing_key(
        self, pid: str, public_key: bytes, signed_at: datetime | None, *, now: datetime, held: bool = False
    ) -> None:
        """Check that a signature by ``public_key``, dated ``signed_at``, stands for ``pid`` at ``now``.

        Raises SignatureError (not one of its keys) or what the one signature rule
        raises (``secxfer.trust.validity``: revoked, compromised, dated in the future
        or before the key was listed, outside the key's window). ``held``: the
        verifier's own record shows it accepted this document before.
        """
        entry = next((e for e in self.participant(pid).signing_keys if e.key == bytes(public_key)), None)
        if entry is None:
            raise SignatureError(f"key {key_id(bytes(public_key))[:16]}… is not a signing key of {pid}")
        require_signature_stands(
            entry, signed_at, now=now, held=held, what=f"signing key {key_id(entry.key)[:16]}… of {pid}"
        )

    def signer_of(self, keyid: str) -> Participant:
        """The participant holding the signing key with id ``keyid``."""
        found = self._by_keyid.get(keyid)
        if found is None:
            raise UnknownParticipantError(f"no participant in {self._where()} holds signing key {keyid[:16]}…")
        return found

    @cached_property
    def _by_keyid(self) -> dict[str, Participant]:
        return {key_id(e.key): p for p in self.participants for e in p.signing_keys}

    def consent_in_force(self, pid_or_insurer_code: str, on: date) -> bool:
        """Whether the municipality (``mun-131016`` or ``131016``) has a 委任状 in force on ``on``.

        False for municipalities the directory (or excerpt) does not list and for other roles.
        """
        pid = f"mun-{pid_or_insurer_code}" if pid_or_insurer_code.isdigit() else pid_or_insurer_code
        if check_participant_id(pid) is not Role.MUNICIPALITY:
            return False
        entry = self._by_id.get(pid)
        return entry is not None and entry.consent is not None and entry.consent.in_force(on)

    def covered_municipalities(self, on: date) -> list[Participant]:
        """Municipalities with consent in force on ``on``, by id (of those present)."""
        return [p for p in self.by_role(Role.MUNICIPALITY) if p.consent is not None and p.consent.in_force(on)]

    def municipalities_of(self, federation_id: str) -> list[Participant]:
        """The municipalities a federation relays to, by id (of those present)."""
        return [p for p in self.by_role(Role.MUNICIPALITY) if p.parent == federation_id]

    def federation_for_prefecture(self, pref_code: str) -> Participant:
        """The federation of a 2-digit prefecture code."""
        try:
            return self.participant(federation_id(pref_code))
        except ParticipantIdError:
            raise UnknownParticipantError(f"{pref_code!r} is not a prefecture code 01-47") from None

    def by_role(self, role: Role | str) -> list[Participant]:
        """Every participant of ``role`` (present), by id."""
        wanted = Role(role)
        return sorted((p for p in self.participants if p.role is wanted), key=lambda p: p.id)


def enrollment_owner(enrollment_bytes: bytes) -> str:
    """The municipality id an enrollment record is about (parsed, not verified)."""
    return read_card(read_enrollment(enrollment_bytes)[1].card)[1].id


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


def replaced(
    directory: Directory,
    table: dict[str, Participant],
    enrollments: tuple[bytes, ...] | None = None,
    heads: dict[str, tuple[datetime, bytes]] | None = None,
) -> Directory:
    """``directory`` with the participants of ``table`` (and new enrollments), for editing."""
    new = msgspec.structs.replace(
        directory,
        participants=tuple(table[k] for k in sorted(table)),
        enrollments=directory.enrollments if enrollments is None else enrollments,
    )
    # Hand the indexes already built to the new value, so that adding 1,741
    # municipalities one call at a time stays linear instead of re-indexing each time.
    new.__dict__["_by_id"] = table
    new.__dict__["_enrollment_heads"] = directory._enrollment_heads if heads is None else heads
    return new
