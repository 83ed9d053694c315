"""The trust bundle: the roots since the first and a directory (full or an excerpt).

Every package carries its sender's bundle, so media carry key updates down the
chain. The directory file is embedded as it is (a JSON object), not nested once more
as base64; its parts that are signed or hashed stay bytes inside it. Nothing is
verified here: the trust store's rules do that when a bundle is applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

import msgspec

from secxfer.limits import DIRECTORY_MAX_BYTES
from secxfer.models import Model
from secxfer.trust.codec import decode_strict, encode
from secxfer.trust.directory_file import DirectoryFile, read_directory_file
from secxfer.trust.kinds import BUNDLE_FORMAT
from secxfer.trust.root import ROOT_MAX_BYTES

ROOT_CHAIN_MAX = 64
# signed roots are base64 inside a bundle (4/3); the directory file is embedded as it is
BUNDLE_MAX_BYTES = DIRECTORY_MAX_BYTES + ROOT_CHAIN_MAX * ROOT_MAX_BYTES * 4 // 3 + 64 * 1024

SignedRoot = Annotated[bytes, msgspec.Meta(max_length=ROOT_MAX_BYTES)]


class TrustBundle(Model, kw_only=True):
    """The roots since the first and the current directory (full or an excerpt), as carried in packages."""

    format: Literal["secxfer/trust-bundle-v2"] = BUNDLE_FORMAT
    roots: Annotated[tuple[SignedRoot, ...], msgspec.Meta(max_length=ROOT_CHAIN_MAX)]
    directory: DirectoryFile


_BUNDLE = msgspec.json.Decoder(TrustBundle)


def make_bundle(signed_roots: Iterable[bytes], directory_file: bytes | DirectoryFile) -> bytes:
    """A trust bundle from signed roots (oldest first) and a directory file (not verified here)."""
    return encode(TrustBundle(roots=tuple(map(bytes, signed_roots)), directory=read_directory_file(directory_file)))


def is_bundle(data: bytes) -> bool:
    """Whether ``data`` looks like a trust bundle (its format field comes first)."""
    return bytes(data[:40]).startswith(b'{"format":"secxfer/trust-bundle-')


def read_bundle(bundle_bytes: bytes) -> TrustBundle:
    """Parse a bundle strictly (its contents are verified when applied)."""
    return decode_strict(bundle_bytes, _BUNDLE, what="trust bundle", max_bytes=BUNDLE_MAX_BYTES)
