"""Where the chain meets the trust store: the bundle a package carries, and which directory to use.

Every package carries its sender's trust bundle: roots since the first, and the key
directory — in full to central and the federations (relays need every entry below
them), as an excerpt to a municipality (its own entry, its federation's, agency's and
central's, with their proofs: a few KiB instead of megabytes). A receiver brings the
bundle through its trust store's rules: newer roots and a newer directory are
imported, a full directory replaces an excerpt of the same version; an older
directory is not an attack by itself (the sender may simply not have updated yet),
so the newer one trusted here is used; the same version under another signed header
is refused (a fork).

Per process, what a home's trust state yields (the verified directory, the full
bundle, the excerpt cutter) is cached by the state file's content, so a relay
cutting an excerpt per recipient or the national demo opening 1,741 packages does
not re-read or re-verify the same 1,800-entry directory each time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from secxfer.errors import ExpiredError, FormatError, NotFoundError
from secxfer.fsutil import read_bounded
from secxfer.trust.directory.verify import Directory
from secxfer.trust.directory.file import decode_header
from secxfer.trust.errors import NotPinnedError
from secxfer.trust.directory.excerpt import Excerpter, same_header
from secxfer.trust.store import (
    BUNDLE_MAX_BYTES,
    TrustBundle,
    TrustState,
    TrustStore,
    apply_bundle,
    current_directory,
    current_root,
    make_bundle,
    pin_root,
    read_bundle,
    read_state,
)

PACK_CACHE_MIN_BYTES = 64 * 1024  # smaller bundles (excerpts) are cheaper to compress than to cache
UNPACK_CACHE_MIN_BYTES = 16 * 1024  # packed size from which inflating costs more than a hash
EXCERPT_STATES_KEPT = 4

_packed: dict[bytes, bytes] = {}
# Full directories only (one slot each): what a packed entry inflates to, and what a
# bundle's bytes parse to, keyed by the SHA-256 of the exact input. A relay forwards
# one full bundle to 47 federations; in one process each would inflate and parse it.
_unpacked: dict[bytes, bytes] = {}
_parsed: dict[bytes, TrustBundle] = {}
_last_packed: list[bytes] = []
_last_parsed: list = []  # [bundle bytes object, its parse]


def pack_bundle(bundle: bytes) -> bytes:
    """The bundle as stored in a package's ``trust`` entry: zlib (RFC 1950) compressed.

    A full directory is the largest part of a relay's packages; compressing it once
    per process and reusing the result keeps relaying to 47 federations cheap.
    """
    if len(bundle) < PACK_CACHE_MIN_BYTES:
        return zlib.compress(bundle, 6)
    if _last_packed and bundle is _last_packed[0]:
        return _last_packed[1]  # the very object packed last (held here, so never another's id)
    digest = hashlib.sha256(bundle).digest()
    packed = _packed.get(digest)
    if packed is None:
        _packed.clear()
        packed = _packed[digest] = zlib.compress(bundle, 6)
        if len(packed) >= UNPACK_CACHE_MIN_BYTES:
            _unpacked.clear()
            _unpacked[hashlib.sha256(packed).digest()] = bundle
    if isinstance(bundle, bytes):  # immutable: the same object always holds the same bytes
        _last_packed[:] = [bundle, packed]
    return packed


def unpack_bundle(packed: bytes) -> bytes:
    """Inverse of :func:`pack_bundle`, bounded so a crafted entry cannot exhaust memory."""
    digest = None
    if len(packed) >= UNPACK_CACHE_MIN_BYTES:
        digest = hashlib.sha256(packed).digest()
        known = _unpacked.get(digest)
        if known is not None:
            return known
    inflater = zlib.decompressobj()
    try:
        bundle = inflater.decompress(packed, BUNDLE_MAX_BYTES + 1)
    except zlib.error:
        raise FormatError("the package's trust entry is not valid compressed data") from None
    if len(bundle) > BUNDLE_MAX_BYTES or inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise FormatError("the package's trust entry is oversized or malformed")
    if digest is not None:
        _unpacked.clear()
        _unpacked[digest] = bundle
    return bundle


def parse_bundle(bundle_bytes: bytes) -> TrustBundle:
    """:func:`read_bundle`, parsed once per process for a large (full directory) bundle.

    Parsing checks structure only (the store verifies what it imports); the cached
    value is the parse of these exact bytes, found again by their SHA-256.
    """
    if len(bundle_bytes) < PACK_CACHE_MIN_BYTES:
        return read_bundle(bundle_bytes)
    if _last_parsed and bundle_bytes is _last_parsed[0] and isinstance(bundle_bytes, bytes):
        return _last_parsed[1]  # the very (immutable) object parsed last
    digest = hashlib.sha256(bundle_bytes).digest()
    parsed = _parsed.get(digest)
    if parsed is None:
        parsed = read_bundle(bundle_bytes)
        _parsed.clear()
        _parsed[digest] = parsed
    if isinstance(bundle_bytes, bytes):
        _last_parsed[:] = [bundle_bytes, parsed]
    return parsed


class _Trusted:
    """One stored trust state and what the chain derives from it (verified once)."""

    def __init__(self, state: TrustState) -> None:
        self.state = state
        self._directory: Directory | None = None
        self._root_expires = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
        self._bundle: bytes | None = None
        self._excerpter: Excerpter | None = None

    def directory(self, now: dt.datetime) -> Directory:
        """The stored directory, verified on first use; expiry (its own and the root's) checked each time."""
        if self._directory is None:
            self._directory = current_directory(self.state, now)  # raises if none, or frozen
            self._root_expires = current_root(self.state).expires
        elif now >= self._root_expires:
            raise ExpiredError(f"the trusted root expired at {self._root_expires.isoformat()}",
                               hint="obtain the next root version from the root key holders",
                               facts={"wording": "trusted-root", "at": self._root_expires.isoformat()})
        elif now >= self._directory.expires:
            raise ExpiredError(f"key directory v{self._directory.version} expired at {self._directory.expires.isoformat()}",
                               facts={"wording": "directory", "version": str(self._directory.version),
                                      "at": self._directory.expires.isoformat()})
        return self._directory

    def bundle(self, only: Iterable[str] | None) -> bytes:
        roots = (*self.state.previous_roots, self.state.root)
        if only is None:
            if self._bundle is None:
                self._bundle = make_bundle(roots, self.state.directory)
            return self._bundle
        if self._excerpter is None:
            self._excerpter = Excerpter(self.state.directory)
        return make_bundle(roots, self._excerpter.excerpt(only))


# state file identity -> content digest; content digest -> derived state. Full
# directories are few and costly (kept in their own slot); excerpts are many and cheap.
_digest_of: OrderedDict[tuple, bytes] = OrderedDict()
_full: dict[bytes, _Trusted] = {}
_excerpts: OrderedDict[bytes, _Trusted] = OrderedDict()


def _trusted(store: TrustStore) -> _Trusted:
    st = os.stat(store.path)
    stamp = (str(store.path), st.st_ino, st.st_size, st.st_mtime_ns)
    digest = _digest_of.get(stamp)
    found = (_full.get(digest) or _excerpts.get(digest)) if digest else None
    if found is not None:
        return found
    data = store.path.read_bytes()
    digest = hashlib.sha256(data).digest()
    found = _full.get(digest) or _excerpts.get(digest)
    if found is None:
        found = _Trusted(read_state(data, what=f"trust store {str(store.path)!r}"))
        if found.state.directory is not None and not found.state.directory.is_excerpt:
            _full.clear()
            _full[digest] = found
        else:
            _excerpts[digest] = found
            while len(_excerpts) > EXCERPT_STATES_KEPT:
                _excerpts.popitem(last=False)
    _digest_of[stamp] = digest
    while len(_digest_of) > 4 * EXCERPT_STATES_KEPT:
        _digest_of.popitem(last=False)
    return found


def pin_anchor(home: Path, anchor: bytes | None, now: dt.datetime) -> None:
    """Pin ``anchor`` in a home that trusts no root yet (first use), whatever comes next.

    The anchor is the operator's own (``--root`` or the root.json distributed with the
    key), not the package's, so it is pinned before the package is read: a first
    package that fails still leaves the home trusting the root, and its failure is
    recorded against it.
    """
    if anchor is not None and not TrustStore(home).exists():
        _store(home, anchor, now)


def _store(home: Path, anchor: bytes | None, now: dt.datetime) -> TrustStore:
    store = TrustStore(home)
    if not store.exists():
        if anchor is None:
            raise NotPinnedError(f"no trusted root in {str(home)!r}")
        store.pin_root(anchor, now=now)
    return store


def current_bundle(
    home: Path, now: dt.datetime, *, anchor: bytes | None = None, only: Iterable[str] | None = None
) -> tuple[bytes, Directory]:
    """This installation's bundle for an outgoing package, and its verified directory.

    ``only=None``: the full directory; else an excerpt for those participants (plus
    their federations, agency and central), e.g. ``only=[recipient]`` for a package to
    a municipality. The directory returned is always the full one trusted here:
    sending needs every entry, so a home holding only an excerpt cannot send.
    """
    trusted = _trusted(_store(home, anchor, now))
    directory = trusted.directory(now)
    if directory.is_excerpt:
        raise NotFoundError(
            f"this installation holds only an excerpt of key directory v{directory.version}; sending needs the full one",
            hint="import the full directory from your parent organisation",
            facts={"advice": "import-full-directory"},
        )
    return trusted.bundle(only), directory


def _worth_importing(state: TrustState, bundle: TrustBundle) -> bool:
    """Whether a carried bundle could change this state (else the stored directory is used)."""
    if len(bundle.roots) > len(state.previous_roots) + 1 or state.directory is None:
        return True
    version = decode_header(bundle.directory).version
    if version != state.highest_directory_version:
        return version > state.highest_directory_version
    if not same_header(state.directory, bundle.directory):
        return True  # the same version under another header: the store refuses the fork
    return state.directory.is_excerpt and bundle.directory != state.directory


def load_bundle_into_store(home: Path, bundle_bytes: bytes, now: dt.datetime, *, anchor: bytes | None = None) -> Directory:
    """Import a carried bundle by the store's rules; return the newest trusted directory."""
    store = _store(home, anchor, now)
    trusted = _trusted(store)
    if _worth_importing(trusted.state, parse_bundle(bundle_bytes)):
        store.import_bundle(bundle_bytes, now)
        trusted = _trusted(store)
    return trusted.directory(now)


def newest_bundle(home: Path, carried: bytes, now: dt.datetime) -> tuple[bytes, Directory]:
    """The bundle a relay forwards: its own current one (never older than what it received)."""
    return current_bundle(home, now)


def directory_for_checks(
    home: Path, directory_file: Path | None, now: dt.datetime, *, root_file: Path | None = None
) -> Directory:
    """The directory for key-less checks (``verify``, ``media verify``), on any home.

    Trust starts from, in this order: ``root_file`` (a signed root the operator holds,
    its fingerprint compared with the paper form), else this installation's pinned
    root, else, for a trust bundle, the bundle's own first root (the anchor the user
    chose by passing the file; the CLI shows its fingerprint to compare). The
    ``directory_file`` may be a trust bundle or a plain signed key directory (as
    ``directory sign`` writes it; it needs a root from one of the first two). Without a
    ``directory_file`` the installation's own directory is used. Nothing is written to
    ``home``.
    """
    from secxfer.errors import UsageError
    from secxfer.trust.root import ROOT_MAX_BYTES
    from secxfer.trust.state import apply_directory
    from secxfer.trust.store import is_bundle

    anchor: TrustState | None = None
    if root_file is not None:
        anchor = pin_root(read_bounded(Path(root_file), ROOT_MAX_BYTES, "root file"), now=now)
    elif TrustStore(home).exists():
        anchor = _trusted(TrustStore(home)).state
    if directory_file is None:
        if root_file is not None and not TrustStore(home).exists():
            raise UsageError("a root alone names no keys: give the key directory (or trust bundle) to check against")
        return _trusted(_store(home, None, now)).directory(now)
    path = Path(directory_file)
    if not path.is_file():
        raise NotFoundError(f"no key directory file at {str(path)!r}")
    data = read_bounded(path, BUNDLE_MAX_BYTES, "key directory file")
    if is_bundle(data):
        bundle = read_bundle(data)
        if anchor is None:
            if not bundle.roots:
                raise FormatError("the key directory bundle carries no root")
            anchor = pin_root(bundle.roots[0], now=now)
        _, directory = apply_bundle(anchor, data, now)
        return directory
    if anchor is None:
        raise UsageError(
            f"{path.name!r} is a key directory without its root: nothing here says which root signs it",
            hint="give the root as well (compare its fingerprint with your paper form)",
            facts={"advice": "give-root", "file": path.name},
        )
    _, directory = apply_directory(anchor, data, now)
    return directory
