"""Root metadata: the keys allowed to sign the key directory, and their rotation.

As in TUF, the root lists the trusted root keys and how many must sign (threshold).
Root version N+1 is only accepted from a holder of version N when it is signed by a
threshold of version N's keys AND by a threshold of its own keys; clients walk the
versions one by one (1 -> 2 -> 3), so a skipped or badly signed root is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import msgspec
import nacl.signing

from secxfer.errors import FormatError, UsageError
from secxfer.limits import KIB, SIGNATURES_MAX
from secxfer.models import Model
from secxfer.trust.codec import decode_strict, encode
from secxfer.trust.errors import RootChainError
from secxfer.trust.fingerprint import key_id
from secxfer.trust.kinds import KIND_ROOT
from secxfer.trust.signing import KeyId, SignedDocument, Signer, require_threshold, sign_document

ROOT_MAX_BYTES = 64 * KIB

Key32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


class Root(Model, kw_only=True):
    """Version, expiry, the root signing keys (key id -> Ed25519 public key), threshold."""

    version: Annotated[int, msgspec.Meta(ge=1)]
    expires: Annotated[datetime, msgspec.Meta(tz=True)]
    keys: Annotated[dict[KeyId, Key32], msgspec.Meta(min_length=1, max_length=SIGNATURES_MAX)]
    threshold: Annotated[int, msgspec.Meta(ge=1)]


_ROOT = msgspec.json.Decoder(Root)


def new_root(*, version: int, expires: datetime, keys: Iterable[bytes], threshold: int) -> Root:
    """A root listing the Ed25519 public ``keys``; refuses a threshold the keys cannot meet."""
    by_id = {key_id(bytes(k)): bytes(k) for k in keys}
    root = Root(version=version, expires=expires, keys=dict(sorted(by_id.items())), threshold=threshold)
    try:
        _check(root)
    except FormatError as error:
        raise UsageError(str(error)) from None
    return root


def _check(root: Root) -> None:
    for keyid, public in root.keys.items():
        if key_id(public) != keyid:
            raise FormatError(f"root v{root.version}: key id {keyid[:16]}… does not match its key")
    if root.threshold > len(root.keys):
        raise FormatError(f"root v{root.version}: threshold {root.threshold} with only {len(root.keys)} key(s)")


def root_payload(root: Root) -> bytes:
    """The exact bytes root holders sign."""
    return encode(root)


def sign_root(root: Root, signers: Iterable[Signer | nacl.signing.SigningKey]) -> bytes:
    """The signed root (an envelope; further signatures can be merged with add_signatures)."""
    return sign_document(KIND_ROOT, root_payload(root), signers)


def decode_root_unverified(signed_bytes: bytes) -> tuple[SignedDocument, Root]:
    """Parse a signed root without trusting it (for display and for the checks below)."""
    document = SignedDocument.decode(signed_bytes, kind=KIND_ROOT, max_bytes=ROOT_MAX_BYTES)
    root: Root = decode_strict(document.payload, _ROOT, what="root", max_bytes=ROOT_MAX_BYTES)
    _check(root)
    return document, root


def verify_root(signed_bytes: bytes, *, trusted: Root | None = None) -> Root:
    """Verify a signed root and return it.

    Without ``trusted`` (pinning a first root obtained out of band): the root must be
    signed by a threshold of its own keys. With ``trusted``: the new root must be
    version ``trusted.version + 1`` and signed by a threshold of ``trusted``'s keys
    and a threshold of its own (TUF's rotation rule). Expiry is checked by the trust
    store, which walks several versions before deciding.
    """
    if trusted is not None:
        # Check the old keys before looking inside: untrusted bytes stay opaque.
        document = SignedDocument.decode(signed_bytes, kind=KIND_ROOT, max_bytes=ROOT_MAX_BYTES)
        require_threshold(KIND_ROOT, document.payload, document.signatures, trusted.keys, trusted.threshold)
    document, root = decode_root_unverified(signed_bytes)
    if trusted is not None and root.version != trusted.version + 1:
        raise RootChainError(
            f"root v{root.version} cannot follow the trusted root v{trusted.version}; "
            f"v{trusted.version + 1} must come next"
        )
    require_threshold(KIND_ROOT, document.payload, document.signatures, root.keys, root.threshold)
    return root


def root_draft(root: Root) -> bytes:
    """The unsigned draft of ``root``, for each holder to sign offline."""
    _check(root)
    return SignedDocument(kind=KIND_ROOT, payload=root_payload(root)).encode()


def next_root(previous: Root, *, expires: datetime, keys: Iterable[bytes], threshold: int) -> Root:
    """Root version ``previous.version + 1`` with new keys and threshold.

    It must then be signed by a threshold of ``previous``'s holders and of the new ones.
    """
    return new_root(version=previous.version + 1, expires=expires, keys=keys, threshold=threshold)
