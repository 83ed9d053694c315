"""Signed ledger documents: their kinds, limits, and verification by the signer they name.

Receipts, hop reports and aggregates are ``SignedDocument`` envelopes (docs/format.md
§3) with exactly one signature, by the participant the payload names as its author.
Verification follows the project rule: check the signature over the exact payload
bytes first, then decode strictly (canonical form, unknown fields refused), then
check that the author named inside holds the signing key at the time it states.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec

from secxfer.domain.counts import RowCounts
from secxfer.errors import SignatureError
from secxfer.limits import MIB, RECEIPT_MAX_BYTES
from secxfer.models import Model
from secxfer.trust.codec import decode_strict, encode
from secxfer.trust.fingerprint import key_id
from secxfer.trust.signing import SignedDocument, sign_document, verify

if TYPE_CHECKING:
    from pathlib import Path

    from secxfer.trust import Directory, ParticipantSecret

RECEIPT_KIND = "secxfer/receipt"
REPORT_KIND = "secxfer/hop-report"
AGGREGATE_KIND = "secxfer/receipt-aggregate"

# A hop report lists every leaf the hop handled: central's holds ~1,741 (≈200 KiB).
REPORT_MAX_BYTES = 8 * MIB
# An aggregate carries a whole country's receipts and reports for one period.
AGGREGATE_MAX_BYTES = 64 * MIB
AGGREGATE_MAX_ITEMS = 20_000



class LeafFacts(Model, kw_only=True):
    """One insurer's leaf of the agency's commitment, as a hop verified it.

    ``leaf_sha256`` is the leaf hash (docs/format.md §5): it commits to the salt, the
    code, and per annex the row count and the hash of the rows' exact bytes, so two
    parties holding equal leaf hashes hold exactly the same rows.
    """

    code: str
    rows: RowCounts
    leaf_sha256: bytes


MAX_BYTES = {RECEIPT_KIND: RECEIPT_MAX_BYTES, REPORT_KIND: REPORT_MAX_BYTES, AGGREGATE_KIND: AGGREGATE_MAX_BYTES}


@dataclass(frozen=True)
class Verified:
    """A signed document whose single signature verified, with its decoded payload."""

    kind: str
    signer: str
    document: Model
    raw: bytes  # the exact envelope bytes (what is stored and forwarded)

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.raw).digest()


def sign_model(kind: str, model: Model, key: ParticipantSecret) -> bytes:
    """Serialize ``model`` once and sign those bytes as ``kind`` with ``key``."""
    return sign_document(kind, encode(model), [key])


def verify_signed(
    raw: bytes, decoder: msgspec.json.Decoder, *, kind: str, directory: Directory, now: dt.datetime,
    held: bool = False,
) -> Verified:
    """Verify a ledger document and decode it; the payload's author must be the signer.

    The payload must have an ``author`` property (the participant it speaks for) and a
    ``created`` time: the signature must stand by the one signature rule
    (``secxfer.trust.validity``) at ``now``, this computer's clock. ``held`` is True
    only for a document read back from this home's own ledger (it was verified when
    it was kept): a key revoked for compromise since then leaves it standing, to be
    flagged (``secxfer.ledger.compromised``), not lost.
    Raises SignatureError, FormatError or UnknownParticipantError (all exit 3).
    """
    doc = SignedDocument.decode(raw, kind=kind, max_bytes=MAX_BYTES[kind])
    if len(doc.signatures) != 1:
        raise SignatureError(f"a {kind} document must carry exactly one signature, its author's")
    signature = doc.signatures[0]
    signer = directory.signer_of(signature.keyid)
    public = next(e.key for e in signer.signing_keys if key_id(e.key) == signature.keyid)
    verify(public, kind, doc.payload, signature)
    model = decode_strict(doc.payload, decoder, what=kind, max_bytes=MAX_BYTES[kind])
    author = model.author  # type: ignore[attr-defined]
    if author != signer.id:
        raise SignatureError(
            f"{kind} claims to be by {author!r} but is signed by {signer.id!r}",
            hint="this document is forged or mislabelled; keep it and report it",
        )
    directory.require_signing_key(signer.id, public, model.created, now=now, held=held)  # type: ignore[attr-defined]
    return Verified(kind=kind, signer=signer.id, document=model, raw=bytes(raw))


def trusted_directory(home: Path, now: dt.datetime) -> Directory:
    """The key directory this home trusts (full, or a municipality's excerpt), verified."""
    from secxfer.chain.trustlink import directory_for_checks

    return directory_for_checks(home, None, now)


def kind_of(raw: bytes) -> str:
    """The kind an envelope claims (nothing verified): to pick the right decoder."""
    return SignedDocument.decode(raw, max_bytes=AGGREGATE_MAX_BYTES).kind

