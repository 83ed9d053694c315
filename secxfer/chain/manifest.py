"""The signed manifest each package carries, and the agency's commitment inside hop 0.

A package carries the manifests of every hop so far: ``manifest-0`` is the agency's
(it holds the commitment to every insurer's rows), each relay adds one naming what
it received (``parent``) and what it sends to this recipient. The last manifest
names the recipient, which defeats re-encrypting a signed package to someone else.
Manifests are signed as ``secxfer/manifest`` documents over their exact bytes.
"""

from __future__ import annotations

import hashlib

import msgspec

from secxfer.domain.counts import RowCounts
from secxfer.errors import FormatError
from secxfer.limits import MANIFEST_MAX_BYTES
from secxfer.models import Model
from secxfer.trust.directory.entries import AwareDatetime

MANIFEST_KIND = "secxfer/manifest"
OUTER_KIND = "secxfer/package-outer"
FORMAT = "secxfer-manifest-v2"

PURPOSE = "nhi-enrolment-promotion"
USE_LIMITS = (
    "Use only to promote enrolment in National Health Insurance (国民健康保険の加入促進のみ). "
    "Do not pass on to anyone except contracted processors (委託事業者を除き第三者提供禁止). "
    "Keep confidential (機密性の保持). Agreement 入管庁管第1370号/保発0319第5号/国保中発第115号 (2020-03-19)."
)


class FileEntry(Model, kw_only=True):
    """A data file in the package: its annex, exact size and row count.

    No hash of the whole file: its bytes are the commitment's prefix and the carried
    leaves' row groups, each of which the leaves hash (docs/format.md §9), so a hash of
    the file would be a second pass over every byte that commits to nothing more.
    """

    name: str
    annex: int
    size: int
    rows: int


class Commitment(Model, kw_only=True):
    """The agency's commitment to a whole delivery (hop 0 only)."""

    delivery_id: str
    profile: str
    newlines: tuple[str, str, str]  # "crlf" | "lf": each annex's row separator
    prefixes: tuple[bytes, bytes, bytes]  # exact BOM + header row + newline of each annex
    total_rows: RowCounts
    covered: tuple[str, ...]  # every insurer with a leaf, sorted (zero rows included)
    merkle_root: bytes


class Parent(Model, kw_only=True):
    """What a relay received: the package it split to make this one."""

    package_id: str
    sender: str
    manifest_sha256: bytes
    encrypted_sha256: bytes


WITHDRAWN = "consent-withdrawn"
WITHHELD_REASONS = (WITHDRAWN,)


class WithheldCode(Model, kw_only=True):
    """A municipality of the recipient's scope whose rows this relay held back, and why.

    The only reason so far is ``consent-withdrawn``: the 委任状 was in force when the
    agency sealed but no longer is in the relay's directory on the day it relays.
    """

    code: str
    reason: str


class Manifest(Model, kw_only=True):
    format: str = FORMAT
    hop: int
    package_id: str
    sender: str
    sender_keyid: str
    recipient: str
    recipient_keys: tuple[str, ...]  # the age recipients this package was encrypted to
    period: str
    sequence: int
    created: AwareDatetime
    purpose: str = PURPOSE
    use_limits: str = USE_LIMITS
    rehearsal: bool
    directory_version: int
    commitment: Commitment | None = None
    parent: Parent | None = None
    # hops >= 1, only when not empty (absent otherwise, so manifests without it keep their bytes):
    withheld: tuple[WithheldCode, ...] | msgspec.UnsetType = msgspec.UNSET
    files: tuple[FileEntry, ...]
    leaves_sha256: bytes


class OuterStatement(Model, kw_only=True):
    """What the outer signature covers: the encrypted file as it lies on the medium."""

    format: str = "secxfer-outer-v1"
    file_name: str
    size: int
    sha256: bytes
    package_id: str
    sender: str
    recipient: str
    period: str
    rehearsal: bool
    created: AwareDatetime


_encoder = msgspec.json.Encoder()
_manifest_decoder = msgspec.json.Decoder(Manifest)
_outer_decoder = msgspec.json.Decoder(OuterStatement)


def encode(model: Model) -> bytes:
    return _encoder.encode(model)


def require_canonical(value: object, data: bytes | memoryview, what: str) -> None:
    """docs/format.md §1: a document has one byte form, the one secxfer writes for its value.

    Bytes that decode to the same value but differ (a duplicate key, other whitespace,
    another spelling of a time or of base64) are refused, so two readers never differ
    on which of two spellings a signature covers.
    """
    if _encoder.encode(value) != bytes(data):
        raise FormatError(f"{what} is not in canonical form (re-encoded or altered)")


def decode_manifest(payload: bytes | memoryview) -> Manifest:
    """Strictly decode verified manifest bytes (unknown fields, oversize and any
    non-canonical form are errors)."""
    if len(payload) > MANIFEST_MAX_BYTES:
        raise FormatError("manifest exceeds its size limit")
    try:
        manifest = _manifest_decoder.decode(payload)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        raise FormatError(f"manifest does not decode: {error}") from None
    if manifest.format != FORMAT:
        raise FormatError(f"unsupported manifest format {manifest.format!r}")
    require_canonical(manifest, payload, "manifest")
    return manifest


def decode_outer(payload: bytes | memoryview) -> OuterStatement:
    try:
        statement = _outer_decoder.decode(payload)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        raise FormatError(f"outer statement does not decode: {error}") from None
    require_canonical(statement, payload, "outer statement")
    return statement


def derive_package_id(parent_package_id: str, recipient: str) -> str:
    """The id a relay MUST give the package it splits from ``parent_package_id`` for ``recipient``.

    The first 32 hex digits of SHA-256(``<parent package_id>:<recipient>``). Fixed by
    the parent and the recipient alone, so a relay cannot re-issue a delivery to the
    same recipient under a fresh id, and a rerun after a crash writes the same package.
    """
    return hashlib.sha256(f"{parent_package_id}:{recipient}".encode()).hexdigest()[:32]


def sha256(data: bytes | memoryview) -> bytes:
    return hashlib.sha256(data).digest()
