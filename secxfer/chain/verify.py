"""Checking a decrypted package: the manifest chain back to the agency, and the leaves.

The data files themselves are checked by :mod:`secxfer.chain.datacheck`.

Pure functions over parsed content and a verified directory; no files, no keys.
Order matters: signatures over exact bytes first, then decoding, then the facts the
signed bytes state (roles, linkage, recipient, scope), then the data against the
agency's commitment.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from secxfer.chain.manifest import (
    MANIFEST_KIND,
    WITHHELD_REASONS,
    Commitment,
    Manifest,
    decode_manifest,
    require_canonical,
    derive_package_id,
    sha256,
)
from secxfer.chain.provenance import CarriedLeaf, verify_inclusion
from secxfer.domain.counts import ANNEX_NUMBERS
from secxfer.errors import ConsentError, FormatError, NotForUsError, ProvenanceError, SignatureError, TimeOrderError
from secxfer.limits import HOPS_MAX, MANIFEST_MAX_BYTES
from secxfer.trust.fingerprint import key_id
from secxfer.trust.signing import SignedDocument, verify
from secxfer.trust.validity import CLOCK_SKEW, span

if TYPE_CHECKING:
    from secxfer.trust import Directory


class ReissuedPackageError(ProvenanceError):
    """A relayed package whose id does not derive from its parent's and its recipient's."""

    default_hint = "do not use this package; keep the medium and report the relay that signed it to central"


class FalseWithholdingError(ProvenanceError):
    """A relay's signed manifest lists rows as withheld that it had no ground to hold back."""

    default_hint = (
        "do not use this package; keep the medium and report the relay that signed it to central: "
        "the rows it held back must be delivered"
    )


# hop -> (sender role, recipient role)
HOP_ROLES = {0: ("agency", "central"), 1: ("central", "federation"), 2: ("federation", "municipality")}
ANNEX_FILES = {a: f"annex{a}.csv" for a in ANNEX_NUMBERS}

_leaves_decoder = msgspec.json.Decoder(tuple[CarriedLeaf, ...])
LEAVES_MAX_BYTES = 4 * MANIFEST_MAX_BYTES  # central's package carries a leaf per covered insurer


@dataclass(frozen=True)
class VerifiedChain:
    manifests: tuple[Manifest, ...]
    envelopes: tuple[bytes, ...]  # signed manifest envelopes, forwarded unchanged by relays
    payload_hashes: tuple[bytes, ...]

    @property
    def origin(self) -> Manifest:
        return self.manifests[0]

    @property
    def current(self) -> Manifest:
        return self.manifests[-1]

    @property
    def commitment(self) -> Commitment:
        commitment = self.manifests[0].commitment
        assert commitment is not None  # checked in verify_chain
        return commitment


def verify_manifest(envelope: bytes, directory: Directory, *, now: datetime) -> tuple[Manifest, bytes]:
    """Verify one signed manifest against the directory at ``now`` (this computer's
    clock); return it and its payload hash."""
    doc = SignedDocument.decode(envelope, kind=MANIFEST_KIND, max_bytes=MANIFEST_MAX_BYTES)
    if len(doc.signatures) != 1:
        raise SignatureError("a manifest must carry exactly one signature, its sender's")
    signature = doc.signatures[0]
    signer = directory.signer_of(signature.keyid)
    public = next(e.key for e in signer.signing_keys if key_id(e.key) == signature.keyid)
    verify(public, MANIFEST_KIND, doc.payload, signature)
    signer_id = signer.id
    manifest = decode_manifest(doc.payload)
    if manifest.sender != signer_id or manifest.sender_keyid != signature.keyid:
        raise SignatureError(
            f"manifest claims sender {manifest.sender!r} but is signed by {signer_id!r}"
        )
    directory.require_signing_key(signer_id, public, manifest.created, now=now)
    return manifest, sha256(doc.payload)


def verify_chain(envelopes: Sequence[bytes], directory: Directory, me: str, *, now: datetime) -> VerifiedChain:
    """Verify the manifest of every hop, their linkage, their time order, and that the
    last names ``me``. ``now`` is this computer's clock (never a time a signer wrote)."""
    if not 1 <= len(envelopes) <= min(HOPS_MAX, len(HOP_ROLES)):
        raise FormatError(f"package carries {len(envelopes)} manifests")
    manifests: list[Manifest] = []
    hashes: list[bytes] = []
    for hop, envelope in enumerate(envelopes):
        manifest, digest = verify_manifest(envelope, directory, now=now)
        sender_role, recipient_role = HOP_ROLES[hop]
        if manifest.hop != hop:
            raise ProvenanceError(f"manifest {hop} says it is hop {manifest.hop}")
        _require_role(directory, manifest.sender, sender_role)
        _require_role(directory, manifest.recipient, recipient_role)
        if hop == 0:
            if manifest.commitment is None or manifest.parent is not None:
                raise ProvenanceError("the agency's manifest lacks its commitment")
        else:
            prev = manifests[-1]
            parent = manifest.parent
            if manifest.commitment is not None or parent is None:
                raise ProvenanceError(f"relay manifest {hop} has no parent or a commitment of its own")
            if parent.sender != prev.sender or prev.recipient != manifest.sender or not hmac.compare_digest(
                parent.manifest_sha256, hashes[-1]
            ) or parent.package_id != prev.package_id:
                raise ProvenanceError(
                    f"hop {hop} ({manifest.sender}) does not continue the chain it carries",
                    hint="the package mixes manifests from different deliveries; report it to the sender",
                )
            _require_time_order(hop, manifest, prev)
            first = manifests[0]
            if (manifest.period, manifest.rehearsal, manifest.purpose) != (first.period, first.rehearsal, first.purpose):
                raise ProvenanceError(f"hop {hop} changed the period, purpose or rehearsal flag")
        manifests.append(manifest)
        hashes.append(digest)
    if manifests[-1].recipient != me:
        raise NotForUsError(
            f"package is addressed to {manifests[-1].recipient!r}, not to {me!r}",
        )
    _require_policy_encryption(directory, me, manifests[-1])
    return VerifiedChain(tuple(manifests), tuple(envelopes), tuple(hashes))


def require_derived_ids(chain: VerifiedChain) -> None:
    """Every relayed package's id derives from its parent's id and its recipient.

    Checked against the signed manifests (after :func:`verify_chain`): a relay that
    re-issues a delivery under an id of its own choosing is caught here, whatever
    else it re-signed.
    """
    for hop, manifest in enumerate(chain.manifests[1:], start=1):
        parent = chain.manifests[hop - 1]
        expected = derive_package_id(parent.package_id, manifest.recipient)
        if manifest.package_id != expected:
            raise ReissuedPackageError(
                f"hop {hop} ({manifest.sender}) gave its package for {manifest.recipient} the id "
                f"{manifest.package_id}, which does not derive from its parent {parent.package_id} "
                f"(expected {expected}): the delivery was re-issued under a new id",
                hint=f"do not use this package; keep the medium and report it: {manifest.sender} signed it",
            )


def _require_time_order(hop: int, manifest: Manifest, parent: Manifest) -> None:
    """A relay cannot have resealed before the hop it continues was sealed (beyond the skew)."""
    if manifest.created < parent.created - CLOCK_SKEW:
        raise TimeOrderError(
            f"hop {hop} ({manifest.sender}) is dated {manifest.created.isoformat()}, "
            f"{span(parent.created - manifest.created)} before hop {hop - 1} ({parent.sender}, "
            f"{parent.created.isoformat()}) that it continues (at most {span(CLOCK_SKEW)} is allowed)"
        )


HYBRID_RECIPIENT_PREFIX = "age1pq1"


def _require_policy_encryption(directory: Directory, me: str, manifest: Manifest) -> None:
    """Refuse a package sealed to classic keys where the directory requires hybrid ones.

    Without this a sender (or anyone holding an old X25519 key of ours) could keep
    using the weaker recipient type after the policy moved on: a downgrade.
    """
    policy = getattr(directory, "policy", None)
    if policy is None or not policy.requires_hybrid(directory.participant(me).role, directory.version):
        return
    if any(not key.startswith(HYBRID_RECIPIENT_PREFIX) for key in manifest.recipient_keys):
        raise SignatureError(
            f"package for {me} was sealed to classic X25519 keys, but key directory v{directory.version} "
            "requires post-quantum hybrid keys for its role",
            hint="ask the sender to import the current key directory and seal again",
        )


def _require_role(directory: Directory, participant_id: str, role: str) -> None:
    participant = directory.participant(participant_id)
    if str(participant.role) != role:
        raise SignatureError(f"{participant_id!r} is a {participant.role}, not a {role} as its position requires")


def scope_codes(directory: Directory, me: str, covered: Sequence[str]) -> list[str]:
    """The insurer codes whose leaves ``me`` must receive: all, a prefecture's, or its own."""
    participant = directory.participant(me)
    role = str(participant.role)
    if role == "central":
        return list(covered)
    if role == "federation":
        return [c for c in covered if c[:2] == participant.code[:2]]
    if role == "municipality":
        return [c for c in covered if c == participant.code]
    raise NotForUsError(f"a {role} does not receive packages")


def decode_leaves(raw: memoryview | bytes) -> tuple[CarriedLeaf, ...]:
    if len(raw) > LEAVES_MAX_BYTES:
        raise FormatError("leaf list exceeds its size limit")
    try:
        leaves = _leaves_decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        raise FormatError(f"leaf list does not decode: {error}") from None
    require_canonical(leaves, raw, "leaf list")
    return leaves


def verify_leaves(leaves: Sequence[CarriedLeaf], commitment: Commitment, expected_codes: Sequence[str]) -> None:
    """Every carried leaf is in the agency's tree, and exactly the expected ones are here."""
    codes = [c.leaf.code for c in leaves]
    if codes != list(expected_codes):
        missing = sorted(set(expected_codes) - set(codes))
        extra = sorted(set(codes) - set(expected_codes))
        raise ProvenanceError(
            "the package does not carry exactly the municipalities it should"
            + (f"; missing {missing[:5]}" if missing else "")
            + (f"; unexpected {extra[:5]}" if extra else ""),
            hint="a relay dropped or added a municipality; report it to the sender",
        )
    size = len(commitment.covered)
    for carried in leaves:
        if not 0 <= carried.index < size or commitment.covered[carried.index] != carried.leaf.code:
            raise ProvenanceError(f"leaf for {carried.leaf.code} sits at the wrong position")
        verify_inclusion(carried, size, commitment.merkle_root)


JST = dt.timezone(dt.timedelta(hours=9))  # consent dates are the 委任状's: Japan, no daylight saving


def verify_consent(directory: Directory, me: str, leaves: Sequence[CarriedLeaf], sealed: dt.datetime, now: dt.datetime) -> None:
    """docs/format.md §10.3: every carried code had consent when the agency sealed (JST date
    of hop 0's ``created``); at a municipality, it still has consent today (the reader's
    own clock, JST). A relay withholds rather than refuses codes withdrawn since sealing."""
    sealed_on = sealed.astimezone(JST).date()
    for carried in leaves:
        code = carried.leaf.code
        if not directory.consent_in_force(code, sealed_on):
            raise ConsentError(
                f"the package carries rows for {code}, which had no power of attorney (委任状) in force "
                f"on {sealed_on.isoformat()} (JST) when the agency sealed",
                facts={"wording": "none-when-sealed", "code": code, "date": sealed_on.isoformat()},
            )
    if str(directory.participant(me).role) != "municipality":
        return
    today = now.astimezone(JST).date()
    for carried in leaves:
        if not directory.consent_in_force(carried.leaf.code, today):
            raise ConsentError(
                f"the power of attorney (委任状) of {carried.leaf.code} is not in force on {today.isoformat()} (JST); "
                "its rows are not written",
                hint="rows after a withdrawal must not be delivered; keep the medium and tell your federation",
                facts={"wording": "withdrawn", "code": carried.leaf.code, "date": today.isoformat()},
            )


def withheld_upstream(chain: VerifiedChain, directory: Directory, me: str, now: dt.datetime) -> dict[str, str]:
    """The codes an earlier hop's signed manifest lists as withheld (code -> that relay).

    docs/format.md §10.6. Each claim must be well formed: a known reason, a code of the
    commitment's ``covered`` and of the scope of the manifest's recipient, listed once.
    A claim about a code of the reader's own scope must be backed by the reader's
    directory: the 委任状 is not in force today (JST, the reader's clock), else the relay
    withheld rows under a false reason. A municipality whose own code was withheld
    must receive nothing.
    """
    commitment = chain.commitment
    covered = set(commitment.covered)
    mine = set(scope_codes(directory, me, commitment.covered))
    municipality = str(directory.participant(me).role) == "municipality"
    today = now.astimezone(JST).date()
    held: dict[str, str] = {}
    if chain.origin.withheld is not msgspec.UNSET:
        raise ProvenanceError("the agency's manifest lists withheld codes (only relays withhold; the agency never seals them)")
    for hop, manifest in enumerate(chain.manifests[1:], start=1):
        listed = manifest.withheld
        if listed is msgspec.UNSET:
            continue
        if not listed:
            raise FormatError(f"manifest {hop} lists an empty withheld set (written as none)")
        scope = set(scope_codes(directory, manifest.recipient, commitment.covered))
        for item in listed:
            code = item.code
            if item.reason not in WITHHELD_REASONS or code not in covered or code not in scope or code in held:
                raise FalseWithholdingError(
                    f"{manifest.sender} lists {code!r} as withheld ({item.reason!r}), which is not a code "
                    f"of {manifest.recipient}'s scope in this delivery, or not a known reason, or listed twice",
                    hint=f"keep the medium and report it: {manifest.sender} signed it",
                )
            if code in mine and municipality:
                raise FalseWithholdingError(f"{manifest.sender} withheld the rows of {code}, yet this package was sent to it")
            if code in mine and directory.consent_in_force(code, today):
                raise FalseWithholdingError(
                    f"{manifest.sender} withheld the rows of {code} as {item.reason}, but key directory "
                    f"v{directory.version} has its power of attorney (委任状) in force on {today.isoformat()} (JST)",
                    hint=f"a relay held back rows under a false reason; keep the medium and report {manifest.sender}",
                )
            held[code] = manifest.sender
    return held
