"""The trust store: what one installation trusts, and the rules for changing it.

The rules are a pure state machine over ``TrustState`` (no I/O), after TUF's client:

* a first root is pinned out of band and must be signed by a threshold of its own keys;
* root versions are walked one by one, each signed by the old and the new threshold;
  intermediate roots may have expired, the final one may not (freeze);
* a directory must be signed by a threshold of the current root, not be expired, and
  never be older than the newest version seen here (rollback); the same version under
  another signed header is refused as well. Versions are the header's: a full
  directory and an excerpt of it are the same version, and a store keeps the most it
  has of that version (full over excerpt; excerpts of it merged).

``TrustStore`` wraps the machine with atomic persistence under ``HOME/trust/``. Every
package carries the sender's roots and directory (full, or an excerpt for a
municipality) as a ``TrustBundle``; receivers import it through these same rules.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from secxfer.errors import ExpiredError, NotFoundError, RollbackError, UsageError
from secxfer.fsutil import atomic_write
from secxfer.limits import DIRECTORY_MAX_BYTES
from secxfer.models import Model
from secxfer.trust.codec import decode_strict, encode
from secxfer.trust.consistency import check_directory
from secxfer.trust.directory import check_current, open_directory, verify_directory
from secxfer.trust.directory_file import DirectoryFile, read_content, read_directory_file
from secxfer.trust.directory_model import Directory
from secxfer.trust.entries import require_aware
from secxfer.trust.errors import NotPinnedError, RootChainError
from secxfer.trust.excerpt import make_excerpt, merge_excerpts, same_header
from secxfer.trust.kinds import BUNDLE_FORMAT
from secxfer.trust.root import ROOT_MAX_BYTES, Root, decode_root_unverified, verify_root

HOME_ENV = "SECXFER_HOME"
ROOT_CHAIN_MAX = 64
# signed roots are base64 inside a bundle (4/3); the directory file is embedded as it is
BUNDLE_MAX_BYTES = DIRECTORY_MAX_BYTES + ROOT_CHAIN_MAX * ROOT_MAX_BYTES * 4 // 3 + 64 * 1024
STATE_MAX_BYTES = BUNDLE_MAX_BYTES

SignedRoot = Annotated[bytes, msgspec.Meta(max_length=ROOT_MAX_BYTES)]


class TrustState(Model, kw_only=True):
    """What is trusted: the current root (signed bytes), the roots before it since the
    pin, the current directory (full or an excerpt) and the newest directory version seen."""

    root: SignedRoot
    previous_roots: Annotated[tuple[SignedRoot, ...], msgspec.Meta(max_length=ROOT_CHAIN_MAX)] = ()
    directory: DirectoryFile | None = None
    highest_directory_version: int = 0


class TrustBundle(Model, kw_only=True):
    """The roots since the first and the current directory (full or an excerpt), as carried in packages."""

    format: Literal["secxfer/trust-bundle-v2"] = BUNDLE_FORMAT
    roots: Annotated[tuple[SignedRoot, ...], msgspec.Meta(max_length=ROOT_CHAIN_MAX)]
    directory: DirectoryFile


_STATE = msgspec.json.Decoder(TrustState)
_BUNDLE = msgspec.json.Decoder(TrustBundle)


def _version(signed_root: bytes) -> int:
    return decode_root_unverified(signed_root)[1].version


def current_root(state: TrustState) -> Root:
    """The trusted root (its bytes were verified when they entered the state)."""
    return decode_root_unverified(state.root)[1]


def pin_root(signed_root_bytes: bytes, *, now: datetime) -> TrustState:
    """A first state, trusting a root obtained out of band (compare its fingerprint!).

    Security: the root must be signed by a threshold of its own keys and be unexpired.
    """
    root = verify_root(signed_root_bytes)
    _require_unexpired(root, now)
    return TrustState(root=bytes(signed_root_bytes))


def apply_roots(state: TrustState, signed_roots: Iterable[bytes], now: datetime) -> TrustState:
    """Walk newer root versions in order (``roots`` sorted ascending, the first being
    current+1). Roots not newer than the current one are skipped if identical to the
    ones seen here and refused otherwise. The final root must not be expired. After a
    rotation no directory is current until one signed under the new root is applied.
    """
    known = {_version(r): r for r in (*state.previous_roots, state.root)}
    trusted = current_root(state)
    for signed in map(bytes, signed_roots):
        version = _version(signed)
        if version <= trusted.version:
            if known.get(version, signed) != signed:
                raise RollbackError(f"root v{version} offered differs from the root v{version} trusted here")
            continue
        new = verify_root(signed, trusted=trusted)
        if len(state.previous_roots) + 1 > ROOT_CHAIN_MAX:
            raise RootChainError(f"more than {ROOT_CHAIN_MAX} root versions; re-pin a current root")
        # A directory is signed under exactly one root version: the old one is dropped
        # (its version number stays, so it cannot come back).
        state = msgspec.structs.replace(
            state, root=signed, previous_roots=(*state.previous_roots, state.root), directory=None
        )
        trusted = new
    _require_unexpired(trusted, now)
    return state


def apply_root(state: TrustState, signed_root_bytes: bytes, now: datetime) -> TrustState:
    """Apply the next root version (see :func:`apply_roots`; use that to walk several)."""
    return apply_roots(state, [signed_root_bytes], now)


def _require_unexpired(root: Root, now: datetime) -> None:
    require_aware(now)
    if now >= root.expires:
        raise ExpiredError(
            f"root v{root.version} expired at {root.expires.isoformat()}",
            hint="obtain the next root version from the root key holders",
        )


def apply_directory(
    state: TrustState, directory_file: bytes | DirectoryFile, now: datetime
) -> tuple[TrustState, Directory]:
    """Accept a directory file (full or excerpt) under the current root, or raise.

    Security: threshold of current root keys over the header's exact bytes; entries
    proven against it; no version older than the newest seen (RollbackError), nor
    the same version under another signed header; not expired (ExpiredError); the
    content checked as in verify_directory. For the version already trusted: the
    same file again changes nothing; a full directory replaces an excerpt; an
    excerpt leaves a full directory in place, and adds its entries to an excerpt.
    Returns the new state and the directory now current in it.
    """
    root = current_root(state)
    _require_unexpired(root, now)
    file = read_directory_file(directory_file)
    directory = open_directory(file, root)
    stored = state.directory
    if directory.version < state.highest_directory_version:
        raise RollbackError(
            f"key directory v{directory.version} is older than v{state.highest_directory_version} already trusted here"
        )
    same_version = directory.version == state.highest_directory_version
    if same_version and (stored is None or not same_header(stored, file)):
        raise RollbackError(f"key directory v{directory.version} differs from the v{directory.version} trusted here")
    check_current(directory, root, now=now)
    if file == stored:
        return state, directory
    check_directory(directory)
    if not same_version or stored is None:
        return msgspec.structs.replace(state, directory=file, highest_directory_version=directory.version), directory
    if not stored.is_excerpt:
        return state, verify_directory(stored, root, now=now)
    if file.is_excerpt:
        file = merge_excerpts(stored, file)
        directory = read_content(file)[1]
        check_directory(directory)
    return msgspec.structs.replace(state, directory=file), directory


def current_directory(state: TrustState, now: datetime) -> Directory:
    """The trusted directory, re-verified at ``now`` (an expired one raises: freeze)."""
    if state.directory is None:
        raise NotFoundError(
            f"no key directory under root v{current_root(state).version} has been imported yet",
            hint="import one: secxfer directory import FILE",
        )
    root = current_root(state)
    _require_unexpired(root, now)
    return verify_directory(state.directory, root, now=now)


def make_bundle(signed_roots: Iterable[bytes], directory_file: bytes | DirectoryFile) -> bytes:
    """A trust bundle from signed roots (oldest first) and a directory file (not verified here)."""
    return encode(TrustBundle(roots=tuple(map(bytes, signed_roots)), directory=read_directory_file(directory_file)))


def export_bundle(state: TrustState, *, only: Iterable[str] | None = None) -> bytes:
    """The bundle a sender puts into a package: its roots and current directory.

    ``only=None``: the directory as trusted here (full at agency, central and the
    federations). Else an excerpt holding those participants, their federations,
    agency and central (see ``excerpt.excerpt_ids``).
    """
    if state.directory is None:
        raise NotFoundError("no key directory to export", hint="import one first: secxfer directory import FILE")
    directory = state.directory if only is None else make_excerpt(state.directory, only)
    return make_bundle((*state.previous_roots, state.root), directory)


def is_bundle(data: bytes) -> bool:
    """Whether ``data`` looks like a trust bundle (its format field comes first)."""
    return bytes(data[:40]).startswith(b'{"format":"secxfer/trust-bundle-')


def read_bundle(bundle_bytes: bytes) -> TrustBundle:
    """Parse a bundle strictly (its contents are verified when applied)."""
    return decode_strict(bundle_bytes, _BUNDLE, what="trust bundle", max_bytes=BUNDLE_MAX_BYTES)


def apply_bundle(state: TrustState, bundle_bytes: bytes, now: datetime) -> tuple[TrustState, Directory]:
    """Walk the bundle's newer roots, then apply its directory (both by the rules above)."""
    bundle = read_bundle(bundle_bytes)
    state = apply_roots(state, bundle.roots, now)
    return apply_directory(state, bundle.directory, now)


# -- persistence --------------------------------------------------------------------


def read_state(data: bytes, *, what: str = "trust store") -> TrustState:
    """Parse a stored trust state strictly (it was verified when it was written)."""
    return decode_strict(data, _STATE, what=what, max_bytes=STATE_MAX_BYTES)


def default_home() -> Path:
    """``$SECXFER_HOME``, else the platform's per-user data folder + ``secxfer``."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV])
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "secxfer"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "secxfer"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "secxfer"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class TrustStore:
    """The trust state of one installation, kept in ``home/trust/state.json``.

    Each change is a read-verify-write under a lock, written atomically, so a crash
    leaves either the old or the new state, never a mix.
    """

    def __init__(self, home: Path | str | None = None) -> None:
        self.home = Path(home) if home is not None else default_home()
        self.folder = self.home / "trust"
        self.path = self.folder / "state.json"

    def __repr__(self) -> str:
        return f"TrustStore({str(self.home)!r})"

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> TrustState:
        """The stored state; NotPinnedError if no root was pinned here yet."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise NotPinnedError(f"no trust store at {str(self.folder)!r}") from None
        return read_state(data, what=f"trust store {str(self.path)!r}")

    def _save(self, old: TrustState | None, new: TrustState) -> None:
        if new != old:
            atomic_write(self.path, encode(new), overwrite=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.folder / ".lock", "a+b") as handle:
            try:
                import fcntl
            except ImportError:  # no advisory locks on this platform
                yield
                return
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def pin_root(self, signed_root_bytes: bytes, *, now: datetime | None = None) -> Root:
        """Pin a first root here; pinning the same root again is a no-op."""
        with self._locked():
            if self.exists():
                state = self.load()
                if bytes(signed_root_bytes) in (*state.previous_roots, state.root):
                    return current_root(state)
                raise UsageError(
                    f"a root is already pinned in {str(self.folder)!r}",
                    hint="newer roots are imported with the directory; to start over use a new --home",
                )
            state = pin_root(signed_root_bytes, now=now or _utc_now())
            self._save(None, state)
            return current_root(state)

    def update_roots(self, signed_roots: Iterable[bytes], *, now: datetime | None = None) -> Root:
        """Walk newer root versions (see apply_roots)."""
        with self._locked():
            old = self.load()
            new = apply_roots(old, signed_roots, now or _utc_now())
            self._save(old, new)
            return current_root(new)

    def import_directory(self, directory_file: bytes, now: datetime | None = None) -> Directory:
        """Import a directory file (full or excerpt); the same one again is a no-op, an older one RollbackError."""
        with self._locked():
            old = self.load()
            new, directory = apply_directory(old, directory_file, now or _utc_now())
            self._save(old, new)
            return directory

    def import_bundle(self, bundle_bytes: bytes, now: datetime | None = None) -> Directory:
        """Import a package's trust bundle (newer roots in order, then the directory)."""
        with self._locked():
            old = self.load()
            new, directory = apply_bundle(old, bundle_bytes, now or _utc_now())
            self._save(old, new)
            return directory

    def current_root(self) -> Root:
        return current_root(self.load())

    def current_directory(self, now: datetime | None = None) -> Directory:
        """The trusted directory, verified again at ``now`` (raises when expired)."""
        return current_directory(self.load(), now or _utc_now())

    def export_bundle(self, *, only: Iterable[str] | None = None) -> bytes:
        """This installation's roots and directory (or an excerpt for ``only``), for an outgoing package."""
        return export_bundle(self.load(), only=only)


def verify_offline(directory_file: bytes, signed_roots: Iterable[bytes], *, now: datetime) -> Directory:
    """Verify a directory against root files given by hand (the first is pinned, the
    rest walked in order), without touching any trust store."""
    roots = [bytes(r) for r in signed_roots]
    if not roots:
        raise UsageError("at least one root file is needed to verify a directory")
    state = apply_roots(pin_root(roots[0], now=now), roots[1:], now)
    return verify_directory(directory_file, current_root(state), now=now)
