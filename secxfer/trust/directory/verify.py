"""The key directory: who takes part, with which keys, signed by a threshold of root keys.

Published as a root-signed header over a Merkle tree of entries (``directory_file``),
in full or as an excerpt of some entries with their inclusion proofs. Reading either
form: the root threshold over the header's exact bytes, then the entries against the
header, then the content (:func:`check_directory`), then the time
(:func:`check_current`). Rollback between versions is the trust store's job.
"""

from __future__ import annotations

from datetime import datetime

from secxfer.errors import ExpiredError, RollbackError
from secxfer.trust.directory.checks import check_directory
from secxfer.trust.directory.entries import Consent, KeyEntry, Participant, require_aware
from secxfer.trust.directory.file import DirectoryFile, read_content, read_directory_file
from secxfer.trust.directory.model import Directory
from secxfer.trust.errors import RootChainError
from secxfer.trust.kinds import KIND_DIRECTORY
from secxfer.trust.root import Root
from secxfer.trust.signing import require_threshold


def open_directory(data: bytes | DirectoryFile, root: Root) -> Directory:
    """Check the root threshold over the header's exact bytes, then the entries against it.

    Only signatures and structure are checked here; :func:`verify_directory` does all.
    """
    file = read_directory_file(data)
    require_threshold(KIND_DIRECTORY, file.header.payload, file.header.signatures, root.keys, root.threshold)
    return read_content(file)[1]


def decode_directory_payload(data: bytes | DirectoryFile) -> Directory:
    """The directory in a file, structure checked, signatures NOT checked (drafts, display)."""
    return read_content(read_directory_file(data))[1]


def verify_directory(data: bytes | DirectoryFile, root: Root, *, now: datetime) -> Directory:
    """Verify a directory file (full or excerpt) against the trusted ``root`` at ``now``.

    Security: threshold of root signatures over the header's exact bytes; entries
    that are the header's tree (full) or proven members of it (excerpt); signed
    under this very root version; not expired; every entry consistent and every
    municipality backed by its own federation's enrollment.
    """
    directory = open_directory(data, root)
    check_current(directory, root, now=now)
    check_directory(directory)
    return directory


def check_current(directory: Directory, root: Root, *, now: datetime) -> None:
    """The directory belongs to ``root``'s version and has not expired at ``now``."""
    require_aware(now, "now")
    if directory.root_version < root.version:
        raise RollbackError(
            f"key directory v{directory.version} was signed under root v{directory.root_version}, "
            f"but root v{root.version} is trusted here"
        )
    if directory.root_version > root.version:
        raise RootChainError(
            f"key directory v{directory.version} needs root v{directory.root_version}; root v{root.version} is trusted here",
            hint="import the newer root versions first (they travel with the directory)",
        )
    if now >= directory.expires:
        raise ExpiredError(f"key directory v{directory.version} expired at {directory.expires.isoformat()}",
                           facts={"wording": "directory", "version": str(directory.version),
                                  "at": directory.expires.isoformat()})


__all__ = [
    "Consent",
    "Directory",
    "DirectoryFile",
    "KeyEntry",
    "Participant",
    "check_current",
    "check_directory",
    "decode_directory_payload",
    "open_directory",
    "verify_directory",
]
