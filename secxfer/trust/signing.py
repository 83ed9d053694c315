"""Typed signatures and the signed-document envelope.

A signature is made over a pre-authentication encoding (PAE, as in DSSE) of the
document's *kind* and its exact payload bytes::

    b"secxfer-sig-v1" + u64le(len(kind)) + kind + u64le(len(payload)) + payload

so a signature over one kind is never valid for another, and no two (kind, payload)
pairs share a signing input. Ed25519 via pynacl.

Signed bytes stay bytes: a ``SignedDocument`` carries its payload as the exact bytes
that were signed; readers verify the signatures over those bytes first and only then
decode the payload (strictly) into a model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Protocol

import msgspec
import nacl.exceptions
import nacl.signing

from secxfer.errors import FormatError, SignatureError, UsageError
from secxfer.limits import DIRECTORY_MAX_BYTES, SIGNATURES_MAX
from secxfer.models import Model
from secxfer.trust import verified_cache
from secxfer.trust.codec import decode_strict, encode
from secxfer.trust.errors import ThresholdError
from secxfer.trust.fingerprint import key_id
from secxfer.trust.kinds import SIGNATURE_CONTEXT

KIND_PATTERN = r"^[a-z0-9][a-z0-9._/-]{0,63}$"
_KIND = re.compile(KIND_PATTERN)

KeyId = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class Signature(Model, kw_only=True):
    """One Ed25519 signature and the id of the key that made it."""

    keyid: KeyId
    sig: Annotated[bytes, msgspec.Meta(min_length=64, max_length=64)]


class SignedDocument(Model, kw_only=True):
    """A payload (exact signed bytes) of a given kind with its signatures.

    A draft is a SignedDocument without signatures; signatures made separately are
    merged with :func:`add_signatures`.
    """

    kind: Annotated[str, msgspec.Meta(pattern=KIND_PATTERN)]
    payload: bytes
    signatures: Annotated[tuple[Signature, ...], msgspec.Meta(max_length=SIGNATURES_MAX)] = ()

    def encode(self) -> bytes:
        """The canonical bytes of this envelope (what goes into files and packages)."""
        return encode(self)

    @classmethod
    def decode(
        cls, data: bytes, *, kind: str | None = None, max_bytes: int = DIRECTORY_MAX_BYTES
    ) -> SignedDocument:
        """Decode an envelope strictly; if ``kind`` is given, refuse any other kind.

        This checks form only: nothing is verified yet.
        """
        doc: SignedDocument = decode_strict(data, _ENVELOPE, what=f"signed {kind or 'document'}", max_bytes=max_bytes)
        if kind is not None and doc.kind != kind:
            raise FormatError(
                f"expected a {kind!r} document, got {doc.kind!r}",
                hint="check that you passed the right file",
            )
        return doc


_ENVELOPE = msgspec.json.Decoder(SignedDocument)


def signing_input(kind: str, payload: bytes) -> bytes:
    """The exact bytes an Ed25519 signature covers (PAE of kind and payload)."""
    if not isinstance(kind, str) or not _KIND.match(kind):
        raise UsageError(f"document kind {kind!r} is not valid")
    kind_bytes = kind.encode("ascii")
    return b"".join(
        (
            SIGNATURE_CONTEXT,
            len(kind_bytes).to_bytes(8, "little"),
            kind_bytes,
            len(payload).to_bytes(8, "little"),
            bytes(payload),
        )
    )


def sign(signing_key: nacl.signing.SigningKey, kind: str, payload: bytes) -> Signature:
    """Sign ``payload`` as a document of ``kind``."""
    signed = signing_key.sign(signing_input(kind, payload))
    return Signature(keyid=key_id(bytes(signing_key.verify_key)), sig=signed.signature)


def verify(verify_key_bytes: bytes, kind: str, payload: bytes, signature: Signature) -> None:
    """Check that ``signature`` is ``verify_key_bytes``'s signature over (kind, payload).

    Raises SignatureError on any mismatch (other key id, other kind, other bytes);
    never returns a boolean to forget to check.
    """
    if key_id(verify_key_bytes) != signature.keyid:
        raise SignatureError(f"signature is by key {signature.keyid[:16]}…, not by the expected key")
    message = signing_input(kind, payload)
    seen = verified_cache.cache_key(verify_key_bytes, message, signature.sig)
    if verified_cache.was_verified(seen):
        return  # these exact bytes verified under this key earlier in this process
    try:
        nacl.signing.VerifyKey(bytes(verify_key_bytes)).verify(message, signature.sig)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        raise SignatureError(f"invalid {kind} signature by key {signature.keyid[:16]}…") from None
    verified_cache.record_verified(seen)


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of a threshold check, as a value.

    ``verified``: trusted key ids with a valid signature (each counted once however
    often it signed); ``invalid``: trusted key ids with a signature that does not
    verify; ``unknown``: key ids that are not trusted (ignored); ``missing``: trusted
    key ids without a valid signature.
    """

    verified: frozenset[str]
    invalid: frozenset[str]
    unknown: frozenset[str]
    missing: frozenset[str]
    threshold: int

    @property
    def ok(self) -> bool:
        """Threshold reached and no trusted key's signature is corrupt."""
        return len(self.verified) >= self.threshold and not self.invalid


def threshold_check(
    kind: str,
    payload: bytes,
    signatures: Iterable[Signature],
    keys: Mapping[str, bytes],
    threshold: int,
) -> VerificationResult:
    """Count distinct trusted keys (``keys``: key id -> public key) that signed (kind, payload).

    Security: duplicates by one key count once; signatures by keys outside ``keys``
    count for nothing; a corrupt signature by a trusted key makes the result not ok
    (media corruption or tampering must not pass unnoticed).
    """
    if threshold < 1:
        raise UsageError(f"threshold must be at least 1, got {threshold}")
    verified: set[str] = set()
    invalid: set[str] = set()
    unknown: set[str] = set()
    for signature in signatures:
        public = keys.get(signature.keyid)
        if public is None:
            unknown.add(signature.keyid)
            continue
        try:
            verify(public, kind, payload, signature)
        except SignatureError:
            invalid.add(signature.keyid)
        else:
            verified.add(signature.keyid)
    return VerificationResult(
        verified=frozenset(verified),
        invalid=frozenset(invalid),
        unknown=frozenset(unknown),
        missing=frozenset(set(keys) - verified),
        threshold=threshold,
    )


def require_threshold(
    kind: str,
    payload: bytes,
    signatures: Iterable[Signature],
    keys: Mapping[str, bytes],
    threshold: int,
) -> VerificationResult:
    """The raising form of :func:`threshold_check`: ThresholdError / SignatureError unless ok."""
    result = threshold_check(kind, payload, signatures, keys, threshold)
    if result.invalid:
        raise SignatureError(
            f"{kind}: {len(result.invalid)} signature(s) by trusted keys do not verify "
            f"({', '.join(sorted(k[:16] + '…' for k in result.invalid))})"
        )
    if not result.ok:
        raise ThresholdError(
            f"{kind}: {len(result.verified)} valid signature(s) by trusted keys, {threshold} required"
        )
    return result


class Signer(Protocol):
    """Anything that signs typed documents (e.g. a ParticipantSecret)."""

    def sign(self, kind: str, payload: bytes) -> Signature: ...


def _signature_by(signer: Signer | nacl.signing.SigningKey, kind: str, payload: bytes) -> Signature:
    if isinstance(signer, nacl.signing.SigningKey):
        return sign(signer, kind, payload)
    return signer.sign(kind, payload)


def sign_document(kind: str, payload: bytes, signers: Iterable[Signer | nacl.signing.SigningKey]) -> bytes:
    """Sign ``payload`` as ``kind`` by every signer; return the envelope's bytes."""
    signatures = _merge((), (_signature_by(s, kind, payload) for s in signers))
    return SignedDocument(kind=kind, payload=bytes(payload), signatures=signatures).encode()


def _merge(existing: Iterable[Signature], more: Iterable[Signature]) -> tuple[Signature, ...]:
    by_key: dict[str, Signature] = {}
    for signature in (*existing, *more):
        by_key.setdefault(signature.keyid, signature)
    if len(by_key) > SIGNATURES_MAX:
        raise UsageError(f"more than {SIGNATURES_MAX} signatures on one document")
    return tuple(by_key[k] for k in sorted(by_key))


def add_signatures(signed_bytes: bytes, more_signed_bytes: bytes, *, max_bytes: int = DIRECTORY_MAX_BYTES) -> bytes:
    """Merge the signatures of two envelopes over the same kind and payload.

    Each root holder signs the same draft offline; this combines their outputs. The
    payloads must be byte-identical. Nothing is verified here: verification happens
    where the document is trusted.
    """
    first = SignedDocument.decode(signed_bytes, max_bytes=max_bytes)
    second = SignedDocument.decode(more_signed_bytes, kind=first.kind, max_bytes=max_bytes)
    if first.payload != second.payload:
        raise UsageError(
            f"the two {first.kind} documents have different contents",
            hint="every holder must sign the very same draft file",
        )
    merged = _merge(first.signatures, second.signatures)
    return SignedDocument(kind=first.kind, payload=first.payload, signatures=merged).encode()


def without_signatures(signed_bytes: bytes, *, max_bytes: int = DIRECTORY_MAX_BYTES) -> bytes:
    """The draft form of a document: same kind and payload, no signatures."""
    doc = SignedDocument.decode(signed_bytes, max_bytes=max_bytes)
    return SignedDocument(kind=doc.kind, payload=doc.payload).encode()
