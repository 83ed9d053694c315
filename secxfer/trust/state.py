"""The trust state machine: what one installation trusts, and the rules for changing it.

Pure functions over ``TrustState`` (no I/O), after TUF's client:

* a first root is pinned out of band and must be signed by a threshold of its own keys;
* root versions are walked one by one, each signed by the old and the new threshold;
  intermediate roots may have expired, the final one may not (freeze);
* a directory must be signed by a threshold of the current root, not be expired, and
  never be older than the newest version seen here (rollback); the same version under
  another signed header is refused as well. Versions are the header's: a full
  directory and an excerpt of it are the same version, and a state keeps the most it
  has of that version (full over excerpt; excerpts of it merged).

``store.TrustStore`` persists a state; every package carries the sender's roots and
directory (full, or an excerpt for a municipality) as a ``TrustBundle``, applied
through these same rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import msgspec

from secxfer.errors import ExpiredError, NotFoundError, RollbackError
from secxfer.models import Model
from secxfer.trust.directory.checks import check_directory
from secxfer.trust.directory.entries import require_aware
from secxfer.trust.directory.excerpt import (
    ROOT_CHAIN_MAX,
    SignedRoot,
    make_bundle,
    make_excerpt,
    merge_excerpts,
    read_bundle,
    same_header,
)
from secxfer.trust.directory.file import DirectoryFile, read_content, read_directory_file
from secxfer.trust.directory.model import Directory
from secxfer.trust.directory.verify import check_current, open_directory, verify_directory
from secxfer.trust.errors import RootChainError
from secxfer.trust.root import Root, decode_root_unverified, verify_root


class TrustState(Model, kw_only=True):
    """What is trusted: the current root (signed bytes), the roots before it since the
    pin, the current directory (full or an excerpt) and the newest directory version seen."""

    root: SignedRoot
    previous_roots: Annotated[tuple[SignedRoot, ...], msgspec.Meta(max_length=ROOT_CHAIN_MAX)] = ()
    directory: DirectoryFile | None = None
    highest_directory_version: int = 0


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
            facts={"wording": "root", "version": str(root.version), "at": root.expires.isoformat()},
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
            hint="import one",
            facts={"advice": "import-directory"},
        )
    root = current_root(state)
    _require_unexpired(root, now)
    return verify_directory(state.directory, root, now=now)


def export_bundle(state: TrustState, *, only: Iterable[str] | None = None) -> bytes:
    """The bundle a sender puts into a package: its roots and current directory.

    ``only=None``: the directory as trusted here (full at agency, central and the
    federations). Else an excerpt holding those participants, their federations,
    agency and central (see ``excerpt.excerpt_ids``).
    """
    if state.directory is None:
        raise NotFoundError("no key directory to export", hint="import one first",
                            facts={"advice": "import-directory"})
    directory = state.directory if only is None else make_excerpt(state.directory, only)
    return make_bundle((*state.previous_roots, state.root), directory)


def apply_bundle(state: TrustState, bundle_bytes: bytes, now: datetime) -> tuple[TrustState, Directory]:
    """Walk the bundle's newer roots, then apply its directory (both by the rules above)."""
    bundle = read_bundle(bundle_bytes)
    state = apply_roots(state, bundle.roots, now)
    return apply_directory(state, bundle.directory, now)
