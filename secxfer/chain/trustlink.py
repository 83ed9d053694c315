"""Where the chain meets the trust store: the bundle a package carries, and which directory to use.

Every package carries its sender's trust bundle (roots since the first, current signed
directory). A receiver brings it through its trust store's rules: newer roots and a
newer directory are imported; an older directory is not an attack by itself (the
sender may simply not have updated yet), so the newer one trusted here is used; the
same version with other bytes is refused (a fork). Verified directories are cached
per process by the hash of their signed bytes, so a relay or the national demo does
not re-verify the same 1,800-entry document for every package.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from pathlib import Path

import msgspec

from secxfer.errors import ExpiredError, FormatError, NotFoundError
from secxfer.trust.errors import NotPinnedError
from secxfer.trust.store import TrustStore, current_root, read_bundle
from secxfer.trust.directory import verify_directory
from secxfer.trust.signing import SignedDocument

_verified: dict[bytes, object] = {}
_packed: dict[bytes, bytes] = {}


def pack_bundle(bundle: bytes) -> bytes:
    """The bundle as stored in a package's ``trust`` entry: zlib (RFC 1950) compressed.

    The directory is the largest part of most packages; compressing it once per
    process and reusing the result keeps relaying to hundreds of recipients cheap.
    """
    digest = hashlib.sha256(bundle).digest()
    packed = _packed.get(digest)
    if packed is None:
        _packed.clear()
        packed = _packed[digest] = zlib.compress(bundle, 6)
    return packed


def unpack_bundle(packed: bytes) -> bytes:
    """Inverse of :func:`pack_bundle`, bounded so a crafted entry cannot exhaust memory."""
    from secxfer.trust.store import BUNDLE_MAX_BYTES

    inflater = zlib.decompressobj()
    try:
        bundle = inflater.decompress(packed, BUNDLE_MAX_BYTES + 1)
    except zlib.error:
        raise FormatError("the package's trust entry is not valid compressed data") from None
    if len(bundle) > BUNDLE_MAX_BYTES or inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise FormatError("the package's trust entry is oversized or malformed")
    return bundle


class _VersionOnly(msgspec.Struct):
    version: int


def _directory_version(signed_directory: bytes) -> int:
    payload = SignedDocument.decode(signed_directory).payload
    return msgspec.json.decode(payload, type=_VersionOnly).version


def _verified_directory(signed: bytes, root, now: dt.datetime):
    digest = hashlib.sha256(signed).digest() + root.version.to_bytes(4, "big")
    directory = _verified.get(digest)
    if directory is None:
        directory = verify_directory(signed, root, now=now)
        _verified.clear()  # keep one: the newest in use
        _verified[digest] = directory
    elif now >= directory.expires:
        raise ExpiredError(f"key directory v{directory.version} expired at {directory.expires.isoformat()}")
    return directory


def _store(home: Path, anchor: bytes | None, now: dt.datetime) -> TrustStore:
    store = TrustStore(home)
    if not store.exists():
        if anchor is None:
            raise NotPinnedError(
                f"no trusted root in {str(home)!r}",
                hint="pin the root first: secxfer directory import --root ROOT.json DIRECTORY (compare the fingerprint with your paper form)",
            )
        store.pin_root(anchor, now=now)
    return store


def current_bundle(home: Path, now: dt.datetime, *, anchor: bytes | None = None):
    """This installation's bundle (bytes) and its verified current directory."""
    store = _store(home, anchor, now)
    state = store.load()
    if state.directory is None:
        raise NotFoundError("no key directory has been imported here", hint="secxfer directory import FILE")
    return store.export_bundle(), _verified_directory(state.directory, current_root(state), now)


def load_bundle_into_store(home: Path, bundle_bytes: bytes, now: dt.datetime, *, anchor: bytes | None = None):
    """Import a carried bundle by the store's rules; return the newest trusted directory."""
    store = _store(home, anchor, now)
    state = store.load()
    bundle = read_bundle(bundle_bytes)
    if bundle.directory != state.directory and (
        state.directory is None or _directory_version(bundle.directory) >= state.highest_directory_version
        or len(bundle.roots) > len(state.previous_roots) + 1
    ):
        store.import_bundle(bundle_bytes, now)
        state = store.load()
    return _verified_directory(state.directory, current_root(state), now)


def newest_bundle(home: Path, carried: bytes, now: dt.datetime):
    """The bundle a relay forwards: its own current one (never older than what it received)."""
    return current_bundle(home, now)


def directory_for_checks(home: Path, directory_file: Path | None, now: dt.datetime):
    """The directory for key-less checks: a given bundle file (its first root is the
    anchor the user chose by passing it), else this installation's trust store."""
    if directory_file is None:
        return current_bundle(home, now)[1]
    path = Path(directory_file)
    if not path.is_file():
        raise NotFoundError(f"no key directory file at {str(path)!r}")
    bundle = read_bundle(path.read_bytes())
    from secxfer.trust.store import apply_bundle, pin_root

    state = pin_root(bundle.roots[0], now=now)
    _, directory = apply_bundle(state, path.read_bytes(), now)
    return directory
