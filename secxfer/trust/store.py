"""The trust store: one installation's ``TrustState``, kept under ``HOME/trust/``.

The rules live in ``state`` (a pure state machine: pinning, root rotation, rollback,
freeze, full directories and excerpts); this module persists their result, atomically
and under a lock, and re-exports the machine's names so callers need one import.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import msgspec

from secxfer.errors import UsageError
from secxfer.fsutil import atomic_write, exclusive_lock
from secxfer.installation import HOME_ENV, default_home
from secxfer.trust.directory.excerpt import (
    BUNDLE_MAX_BYTES,
    ROOT_CHAIN_MAX,
    TrustBundle,
    is_bundle,
    make_bundle,
    read_bundle,
)
from secxfer.trust.codec import decode_strict, encode
from secxfer.trust.directory.verify import verify_directory
from secxfer.trust.directory.model import Directory
from secxfer.trust.errors import NotPinnedError
from secxfer.trust.root import Root
from secxfer.trust.state import (
    TrustState,
    apply_bundle,
    apply_directory,
    apply_root,
    apply_roots,
    current_directory,
    current_root,
    export_bundle,
    pin_root,
)

STATE_MAX_BYTES = BUNDLE_MAX_BYTES
_STATE = msgspec.json.Decoder(TrustState)


# -- persistence --------------------------------------------------------------------


def read_state(data: bytes, *, what: str = "trust store") -> TrustState:
    """Parse a stored trust state strictly (it was verified when it was written)."""
    return decode_strict(data, _STATE, what=what, max_bytes=STATE_MAX_BYTES)


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

    def _locked(self):
        return exclusive_lock(self.folder / ".lock")

    def pin_root(self, signed_root_bytes: bytes, *, now: datetime | None = None) -> Root:
        """Pin a first root here; pinning the same root again is a no-op."""
        with self._locked():
            if self.exists():
                state = self.load()
                if bytes(signed_root_bytes) in (*state.previous_roots, state.root):
                    return current_root(state)
                raise UsageError(
                    f"a root is already pinned in {str(self.folder)!r}",
                    hint="newer roots are imported with the directory; to start over use a new home folder",
                    facts={"advice": "root-pinned"},
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


__all__ = [
    "BUNDLE_MAX_BYTES", "HOME_ENV", "ROOT_CHAIN_MAX", "STATE_MAX_BYTES", "TrustBundle", "TrustState", "TrustStore",
    "apply_bundle", "apply_directory", "apply_root", "apply_roots", "current_directory", "current_root",
    "default_home", "export_bundle", "is_bundle", "make_bundle", "pin_root", "read_bundle", "read_state",
    "verify_offline",
]
