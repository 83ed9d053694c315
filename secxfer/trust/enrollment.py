"""Delegated enrollment: a federation vouches for the municipalities of its prefecture.

Municipalities file their 委任状 with their prefectural federation, so the federation
is who knows a municipality's key card (confirmed by fingerprint on the paper form)
and its consent dates. It signs an ``Enrollment`` record (kind ``secxfer/enrollment``)
carrying the card's exact bytes and the consent; the directory keeps these records
as signed bytes, and directory verification checks each municipality entry against
them. A federation may enroll municipalities of its own prefecture only.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated

import msgspec

from secxfer.errors import FormatError, SignatureError, UsageError
from secxfer.limits import KIB
from secxfer.models import Model
from secxfer.trust.cards import CARD_MAX_BYTES, KeyCard, verify_card
from secxfer.trust.codec import decode_strict, encode
from secxfer.trust.directory.entries import Consent, Participant
from secxfer.trust.errors import ScopeError
from secxfer.trust.fingerprint import key_id
from secxfer.trust.ids import Role, federation_of
from secxfer.trust.kinds import KIND_ENROLLMENT
from secxfer.trust.secret_keys import ParticipantSecret
from secxfer.trust.signing import SignedDocument, sign_document, verify
from secxfer.trust.validity import require_signature_stands

ENROLLMENT_MAX_BYTES = 32 * KIB


class Enrollment(Model, kw_only=True):
    """A federation's statement: this card is this municipality's, with this consent."""

    federation: Annotated[str, msgspec.Meta(max_length=16)]
    card: Annotated[bytes, msgspec.Meta(max_length=CARD_MAX_BYTES)]
    consent: Consent | None = None
    signed_at: Annotated[datetime, msgspec.Meta(tz=True)]


_ENROLLMENT = msgspec.json.Decoder(Enrollment)


def enroll(
    federation: ParticipantSecret,
    card_bytes: bytes,
    *,
    filed_on: date | None = None,
    withdrawn_on: date | None = None,
    now: datetime | None = None,
) -> bytes:
    """Sign an enrollment of a municipality's card, with its consent dates.

    ``filed_on=None`` enrolls the key without consent (nothing will be delivered to it).
    Security: refuses cards that fail their own signature and municipalities outside
    the federation's prefecture; check the card's fingerprint against the paper form
    before calling this.
    """
    if federation.role is not Role.FEDERATION:
        raise ScopeError(f"{federation.participant_id!r} is not a federation and cannot enroll municipalities")
    card = verify_card(card_bytes)
    _check_scope(federation.participant_id, card)
    if filed_on is None and withdrawn_on is not None:
        raise UsageError("a withdrawal needs the date the 委任状 was filed")
    consent = Consent(filed_on=filed_on, withdrawn_on=withdrawn_on) if filed_on is not None else None
    _check_consent(consent)
    record = Enrollment(
        federation=federation.participant_id,
        card=bytes(card_bytes),
        consent=consent,
        signed_at=(now or datetime.now(timezone.utc)).replace(microsecond=0),
    )
    return sign_document(KIND_ENROLLMENT, encode(record), [federation])


def _check_scope(federation_id: str, card: KeyCard) -> None:
    if card.role is not Role.MUNICIPALITY:
        raise ScopeError(f"only municipalities are enrolled by federations, not {card.id!r} ({card.role})")
    if federation_of(card.id) != federation_id:
        raise ScopeError(
            f"{federation_id} may not enroll {card.id}: it belongs to {federation_of(card.id)} "
            f"(prefecture {card.id[4:6]})"
        )


def _check_consent(consent: Consent | None) -> None:
    if consent is not None and consent.withdrawn_on is not None and consent.withdrawn_on < consent.filed_on:
        raise UsageError(f"consent withdrawn on {consent.withdrawn_on} before it was filed on {consent.filed_on}")


def read_enrollment(enrollment_bytes: bytes) -> tuple[SignedDocument, Enrollment]:
    """Parse an enrollment without trusting it (its signature is checked by verify_enrollment)."""
    document = SignedDocument.decode(enrollment_bytes, kind=KIND_ENROLLMENT, max_bytes=ENROLLMENT_MAX_BYTES)
    record: Enrollment = decode_strict(
        document.payload, _ENROLLMENT, what="enrollment", max_bytes=ENROLLMENT_MAX_BYTES
    )
    return document, record


def verify_enrollment(
    enrollment_bytes: bytes, federation: Participant, *, revoked_by: datetime
) -> tuple[Enrollment, KeyCard]:
    """Verify an enrollment against the federation's directory entry; return it and its card.

    Security: the signature must stand by the one signature rule
    (``secxfer.trust.validity``) as of ``revoked_by``: a key revoked for compromise at
    or before it vouches for nothing, whatever date the record claims; a retired key
    for records dated before its retirement; always within the key's window. The
    card must verify and name a municipality of the federation's prefecture.
    """
    document, record = read_enrollment(enrollment_bytes)
    if record.federation != federation.id or federation.role is not Role.FEDERATION:
        raise ScopeError(f"enrollment by {record.federation!r} checked against {federation.id!r}")
    if len(document.signatures) != 1:
        raise SignatureError(f"an enrollment carries exactly one signature, this one has {len(document.signatures)}")
    signature = document.signatures[0]
    entry = next((k for k in federation.signing_keys if key_id(k.key) == signature.keyid), None)
    if entry is None:
        raise SignatureError(f"enrollment signed by a key that is not one of {federation.id}'s signing keys")
    verify(entry.key, KIND_ENROLLMENT, document.payload, signature)
    require_signature_stands(
        entry, record.signed_at, now=revoked_by, clock=False, what=f"{federation.id}'s signing key"
    )
    card = verify_card(record.card)
    _check_scope(federation.id, card)
    try:
        _check_consent(record.consent)
    except UsageError as error:
        raise FormatError(f"enrollment of {card.id}: {error}") from None
    return record, card
