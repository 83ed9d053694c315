"""The rows of the key directory: participants, their keys, municipalities' consent.

Times are aware datetimes; consent dates are calendar dates (Asia/Tokyo, as on the
委任状). A key is usable at time ``t`` when ``valid_from <= t < valid_until`` and it
was not revoked at or before ``t``.

Encryption keys are of one of two types: X25519 (32 bytes; an entry without a
``type`` field, the original form, so directories written before the hybrid type
keep their exact bytes and signatures) or ``mlkem768x25519``, the post-quantum
hybrid (the 1,184-byte ML-KEM-768 encapsulation key then the 32-byte X25519 key).
Signing keys are Ed25519 (32 bytes) and carry no type.

A revocation carries a class (``revoked_class``): ``compromise`` (the key may be in
someone else's hands; also what a revocation without a class means, so directories
written before the field keep their bytes and read as the strict case), ``retired``
or ``superseded`` (the key was taken out of use honestly). ``listed_in`` /
``listed_at`` name the directory version that first listed the key and its issue
time; entries written before those fields lack them. What each field means for a
signature is stated once, in ``secxfer.trust.validity``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from secxfer.errors import ExpiredError, RevokedKeyError, UsageError
from secxfer.models import Model
from secxfer.trust.ids import Role, check_participant_id

NAME_MAX_CHARS = 100
REASON_MAX_CHARS = 200
COMPROMISE = "compromise"
RETIRED = "retired"
SUPERSEDED = "superseded"
REVOCATION_CLASSES = (COMPROMISE, RETIRED, SUPERSEDED)
RevocationClass = Literal["compromise", "retired", "superseded"]
KEYS_PER_PARTICIPANT_MAX = 16

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
Key32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]

X25519 = "x25519"
MLKEM768X25519 = "mlkem768x25519"
ENCRYPTION_KEY_TYPES = (X25519, MLKEM768X25519)
KEY_SIZES = {X25519: 32, MLKEM768X25519: 1184 + 32}
PublicKey = Annotated[bytes, msgspec.Meta(min_length=32, max_length=KEY_SIZES[MLKEM768X25519])]


def require_aware(at: datetime, what: str = "time") -> datetime:
    """Refuse a naive datetime: every time in the trust wing carries its zone."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise UsageError(f"{what} must be an aware datetime (with a time zone), got {at!r}")
    return at


class Consent(Model, kw_only=True):
    """A municipality's power of attorney (委任状): in force from ``filed_on`` until the
    day before ``withdrawn_on``."""

    filed_on: date
    withdrawn_on: date | None = None

    def in_force(self, on: date) -> bool:
        return self.filed_on <= on and (self.withdrawn_on is None or on < self.withdrawn_on)


class KeyEntry(Model, kw_only=True):
    """One public key of a participant with its validity window and revocation.

    ``type`` is written only for the hybrid type (see the module docstring); read it
    through :attr:`key_type`. Its size is checked against the type by the directory's
    content checks.
    """

    key: PublicKey
    type: Literal["mlkem768x25519"] | msgspec.UnsetType = msgspec.UNSET
    label: Literal["main", "backup"] = "main"
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None
    revoked_at: AwareDatetime | None = None
    revoked_reason: Annotated[str, msgspec.Meta(max_length=REASON_MAX_CHARS)] | None = None
    revoked_class: RevocationClass | msgspec.UnsetType = msgspec.UNSET
    listed_in: Annotated[int, msgspec.Meta(ge=1)] | msgspec.UnsetType = msgspec.UNSET
    listed_at: AwareDatetime | msgspec.UnsetType = msgspec.UNSET

    @property
    def key_type(self) -> str:
        """``x25519`` or ``mlkem768x25519`` (signing keys read as ``x25519``: never ask them)."""
        return X25519 if self.type is msgspec.UNSET else self.type

    @property
    def is_hybrid(self) -> bool:
        return self.type == MLKEM768X25519

    @property
    def revocation_class(self) -> str | None:
        """``compromise``, ``retired`` or ``superseded`` when revoked (no class written reads
        ``compromise``, the strict case); None when not revoked."""
        if self.revoked_at is None:
            return None
        return COMPROMISE if self.revoked_class is msgspec.UNSET else self.revoked_class

    @property
    def listing(self) -> tuple[int, datetime] | None:
        """(version, issue time) of the directory that first listed the key, when written."""
        if self.listed_in is msgspec.UNSET or self.listed_at is msgspec.UNSET:
            return None
        return self.listed_in, self.listed_at

    def revoked_by(self, at: datetime) -> bool:
        """Revoked at or before ``at``."""
        return self.revoked_at is not None and self.revoked_at <= at

    def in_window(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)

    def usable_at(self, at: datetime) -> bool:
        return self.in_window(at) and not self.revoked_by(at)

    def require_usable(self, at: datetime, what: str) -> None:
        """Raise RevokedKeyError / ExpiredError unless the key is usable at ``at``: for an
        encryption key as a recipient. Whether a *signature* stands is decided by
        ``secxfer.trust.validity`` alone (it does not believe the date a signer wrote)."""
        require_aware(at)
        if self.revoked_by(at):
            raise RevokedKeyError(
                f"{what} was revoked at {self.revoked_at.isoformat()} ({self.revoked_reason or 'no reason given'})"
            )
        if not self.in_window(at):
            until = self.valid_until.isoformat() if self.valid_until else "open"
            raise ExpiredError(
                f"{what} is valid from {self.valid_from.isoformat()} until {until}, not at {at.isoformat()}"
            )


class Participant(Model, kw_only=True):
    """A directory entry: who (id, role, Japanese name, code, federation) and which keys."""

    id: Annotated[str, msgspec.Meta(max_length=16)]
    role: Role
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX_CHARS)]
    code: str | None = None  # 6-digit municipality code / 2-digit prefecture of a federation
    parent: str | None = None  # a municipality's federation id
    encryption_keys: Annotated[tuple[KeyEntry, ...], msgspec.Meta(max_length=KEYS_PER_PARTICIPANT_MAX)] = ()
    signing_keys: Annotated[tuple[KeyEntry, ...], msgspec.Meta(max_length=KEYS_PER_PARTICIPANT_MAX)] = ()
    consent: Consent | None = None


# Default display names of participants (Japanese, as on the paper forms). Municipality
# and federation names come from the shipped code table (``secxfer.domain.municipalities``),
# which also confirms that a municipality id names one of the 1,741 insurers.
AGENCY_NAME = "出入国在留管理庁"
CENTRAL_NAME = "公益社団法人国民健康保険中央会"
ROOT_NAME = "ルート鍵保持者 {n}"


def default_name(participant_id: str) -> str:
    """The official name of a participant; raises if a municipality id is not an insurer."""
    role = check_participant_id(participant_id)
    if role is Role.AGENCY:
        return AGENCY_NAME
    if role is Role.CENTRAL:
        return CENTRAL_NAME
    if role is Role.ROOT:
        return ROOT_NAME.format(n=participant_id.removeprefix("root-"))
    from secxfer.domain import municipalities

    if role is Role.FEDERATION:
        return municipalities.federation_for(participant_id.removeprefix("fed-")).name
    code = participant_id.removeprefix("mun-")
    municipalities.participant_id(code)  # refuses wards, prefectures, unknown codes
    return municipalities.lookup(code).name
