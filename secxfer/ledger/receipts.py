"""Signed receipts: what a recipient says it did with a package (accepted, or why not).

A receipt is made by whoever received a package — a municipality that opened it, a
relay that split it — and is signed by that participant and sealed (age) to the
package's sender, like a signed delivery notice. An accepted receipt names the exact
encrypted file (SHA-256), the signed manifest it verified, the rows per annex and,
for a municipality, the leaf of the agency's commitment it checked its rows against,
so the agency can prove end to end that each municipality got exactly its rows.

A failed receipt's disposition comes from the error's class (:data:`DISPOSITIONS`);
what it says about the package then comes from the outer signature file if that
verifies, else from unverified claims (``claims_verified`` false).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from secxfer.chain.identity import PackageIdentity, received_identity
from secxfer.domain.counts import RowCounts
from secxfer.errors import (
    ConsentError,
    ExpiredError,
    IntegrityError,
    NoIdentityMatchError,
    NotForUsError,
    ProvenanceError,
    ReplayError,
    RevokedKeyError,
    RollbackError,
    SecxferError,
    SignatureError,
)
from secxfer.ledger.evidence import RECEIPT_KIND, LeafFacts, Verified, verify_signed
from secxfer.models import Model
from secxfer.trust.directory.entries import AwareDatetime
from secxfer.trust.errors import UnknownParticipantError

if TYPE_CHECKING:
    from secxfer.chain.package import ReceivedPackage
    from secxfer.trust import Directory

FORMAT = "secxfer-receipt-v1"
ACCEPTED = "accepted"
# Free text a receipt may carry, checked when one is made and again when one is verified:
# its issuer signs it, and a signature says who wrote a text, not that it is short.
DETAIL_MAX_CHARS = 300
FILE_NAME_MAX_CHARS = 255
FIELD_MAX_CHARS = 128  # period, package ids, delivery id

# First match wins: subclasses before their parents.
DISPOSITIONS: tuple[tuple[type[SecxferError], str], ...] = (
    (ReplayError, "replayed"),
    (NotForUsError, "not-for-us"),
    (NoIdentityMatchError, "not-for-us"),
    (RevokedKeyError, "revoked-key"),
    (ExpiredError, "expired"),
    (RollbackError, "rollback-refused"),
    (ConsentError, "consent-refused"),
    (ProvenanceError, "provenance-failed"),
    (SignatureError, "signature-failed"),
    (UnknownParticipantError, "signature-failed"),
    (IntegrityError, "integrity-failed"),
)
FAILURES = tuple(sorted({name for _, name in DISPOSITIONS}))

_NAME = re.compile(
    r"(REHEARSAL_)?([0-9]{4}-[0-9]{2}(?:_[0-9]{4}-[0-9]{2})?)_([a-z0-9-]{2,20})_to_([a-z0-9-]{2,20})_[0-9a-f]{8}\.age"
)


class Receipt(Model, kw_only=True):
    format: str = FORMAT
    issuer: str  # who received the package and signs this
    sender: str  # who sent it: the receipt is sealed to this participant
    action: str  # "open" or "relay"
    disposition: str  # "accepted" or one of FAILURES
    detail: str = ""  # the error message of a failure (ids, codes and hashes only)
    claims_verified: bool  # package facts come from verified signatures
    period: str
    rehearsal: bool
    package_id: str  # "" when a failure left it unknown
    file_name: str
    encrypted_sha256: bytes
    manifest_sha256: bytes | None = None
    delivery_id: str | None = None
    origin_package_id: str | None = None
    rows: RowCounts | None = None
    leaves: tuple[LeafFacts, ...] = ()
    created: AwareDatetime

    @property
    def author(self) -> str:
        return self.issuer

    @property
    def accepted(self) -> bool:
        return self.disposition == ACCEPTED


_decoder = msgspec.json.Decoder(Receipt)


def disposition_for(error: BaseException) -> str:
    """The documented disposition for an error raised while receiving a package."""
    for cls, name in DISPOSITIONS:
        if isinstance(error, cls):
            return name
    raise TypeError(f"{type(error).__name__} is not a receiving failure")


@dataclass(frozen=True)
class PackageFacts:
    """What a verified package says about itself (taken while it is open, before it closes):
    its identity (``secxfer.chain.identity``) and the delivery it belongs to."""

    identity: PackageIdentity
    delivery_id: str
    origin_package_id: str
    merkle_root: bytes
    leaves: tuple[LeafFacts, ...]
    signers: tuple[str, ...] = ()  # signing key id of every hop's manifest, agency's first


def package_facts(pkg: ReceivedPackage) -> PackageFacts:
    """Facts of a verified ``chain.package.ReceivedPackage``; leaf hashes recomputed here."""
    commitment = pkg.chain.commitment
    return PackageFacts(
        identity=received_identity(pkg),
        delivery_id=commitment.delivery_id,
        origin_package_id=pkg.chain.origin.package_id,
        merkle_root=commitment.merkle_root,
        leaves=tuple(LeafFacts(code=c.leaf.code, rows=RowCounts.of(c.leaf.rows), leaf_sha256=c.leaf.digest()) for c in pkg.leaves),
        signers=tuple(m.sender_keyid for m in pkg.chain.manifests),
    )


def accepted_receipt(facts: PackageFacts, *, issuer: str, action: str, now: dt.datetime) -> Receipt:
    """The receipt for a verified package. A municipality's names its leaf; a relay's
    names none (its hop report lists them)."""
    package = facts.identity
    return Receipt(
        issuer=issuer,
        sender=package.sender,
        action=action,
        disposition=ACCEPTED,
        claims_verified=True,
        period=package.period,
        rehearsal=package.rehearsal,
        package_id=package.package_id,
        file_name=package.file_name,
        encrypted_sha256=package.encrypted_sha256,
        manifest_sha256=package.manifest_sha256,
        delivery_id=facts.delivery_id,
        origin_package_id=facts.origin_package_id,
        rows=package.rows,
        leaves=facts.leaves if action == "open" else (),
        created=now,
    )


def failure_receipt(
    path: Path, error: BaseException, *, issuer: str, action: str, directory: Directory, now: dt.datetime
) -> Receipt | None:
    """The receipt for a package that failed to open or relay; None if its sender is unknown.

    Sender, period and package id come from the outer signature file when it verifies,
    else from that file unverified, else from the package's name. Nothing on the medium
    is read through a link; ``encrypted_sha256`` is empty for a package that is not a
    regular file (a link, a pipe).
    """
    path = Path(path)
    claims = _claims(path, directory, now)
    if claims is None:
        return None
    sender, period, rehearsal, package_id, verified = claims
    return Receipt(
        issuer=issuer,
        sender=sender,
        action=action,
        disposition=disposition_for(error),
        detail=str(error)[:DETAIL_MAX_CHARS],
        claims_verified=verified,
        period=period,
        rehearsal=rehearsal,
        package_id=package_id,
        file_name=path.name,
        encrypted_sha256=_received_sha256(path),
        created=now,
    )


def _received_sha256(path: Path) -> bytes:
    """SHA-256 of the package file as it lies on the medium; empty when it is not a regular
    file there (a link is never followed, so the receipt never signs the hash of whatever
    it points to; a pipe or folder is never opened)."""
    from secxfer.chain import media

    try:
        return media.file_sha256(path)[1]
    except SecxferError:
        return b""


def _claims(path: Path, directory: Directory, now: dt.datetime) -> tuple[str, str, bool, str, bool] | None:
    from secxfer.chain import media
    from secxfer.chain.manifest import decode_outer
    from secxfer.chain.package import verify_outer
    from secxfer.trust.signing import SignedDocument

    try:
        s = verify_outer(path, directory, now=now)
        return s.sender, s.period, s.rehearsal, s.package_id, True
    except SecxferError:
        pass
    try:
        s = decode_outer(SignedDocument.decode(media.read_sidecar(path), max_bytes=64 * 1024).payload)
        return s.sender, s.period, s.rehearsal, s.package_id, False
    except SecxferError:
        pass
    match = _NAME.fullmatch(path.name)
    if match is None:
        return None
    rehearsal, slug, sender, _recipient = match.groups()
    return sender, slug.replace("_", ".."), bool(rehearsal), "", False


def verify_receipt(raw: bytes, directory: Directory, *, now: dt.datetime, held: bool = False) -> Verified:
    """Verify a signed receipt (by its issuer's key, at ``now``) and decode it strictly.

    ``held``: this home's own ledger holds the receipt (accepted before); see verify_signed."""
    verified = verify_signed(raw, _decoder, kind=RECEIPT_KIND, directory=directory, now=now, held=held)
    receipt = verified.document
    assert isinstance(receipt, Receipt)
    if receipt.format != FORMAT or receipt.disposition not in (ACCEPTED, *FAILURES):
        from secxfer.errors import FormatError

        raise FormatError(f"receipt by {receipt.issuer!r} has an unknown format or disposition {receipt.disposition!r}")
    _check_lengths(receipt)
    return verified


def _check_lengths(receipt: Receipt) -> None:
    from secxfer.errors import FormatError

    limits = (("detail", DETAIL_MAX_CHARS), ("file_name", FILE_NAME_MAX_CHARS), ("period", FIELD_MAX_CHARS),
              ("package_id", FIELD_MAX_CHARS), ("delivery_id", FIELD_MAX_CHARS),
              ("origin_package_id", FIELD_MAX_CHARS))
    for name, limit in limits:
        value = getattr(receipt, name) or ""
        if len(value) > limit:
            raise FormatError(f"receipt by {receipt.issuer!r}: its {name} has {len(value)} characters; "
                              f"the limit is {limit}", hint="ask its issuer for a receipt made by secxfer")
    if any(not (leaf.code.isascii() and leaf.code.isdigit() and len(leaf.code) == 6) for leaf in receipt.leaves):
        raise FormatError(f"receipt by {receipt.issuer!r} names a leaf whose code is not 6 digits")
