"""Removing files secxfer wrote without following a link anywhere on the way.

``purge`` and the staging sweep delete plaintext. A folder on the recorded path that
has since become a symbolic link (or, on Windows, a junction) must not redirect the
deletion somewhere else, and a file whose content is no longer what secxfer wrote is
not ours to delete. So:

* every component of the folder's absolute path is opened relative to its parent
  with ``O_NOFOLLOW | O_DIRECTORY`` (``openat``); a link anywhere stops the walk;
* the file is opened the same way, must be a regular file, and is hashed through
  that handle; it is unlinked relative to the folder's handle, and only if the name
  still refers to the file that was hashed.

Where the platform has no ``dir_fd`` support (Windows), the fallback checks each
component with ``lstat`` (links and reparse points refused), hashes the file and
compares ``lstat`` before and after; a race with a local attacker swapping folders in
between is narrower but not closed there (docs/threat-model.md §10).
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import stat
from collections.abc import Callable
from pathlib import Path

REMOVED, ABSENT, DIFFERS, LINKED, NOT_A_FILE = "removed", "absent", "differs", "linked", "not-a-file"
_REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT: junctions and symbolic links on Windows
_READ = 1 << 20


class PathRefused(Exception):
    """A component of the path is a link or not a folder (``outcome`` says which)."""

    def __init__(self, outcome: str, where: str) -> None:
        super().__init__(f"{where}: {outcome}")
        self.outcome = outcome
        self.where = where


def dir_fd_supported() -> bool:
    return (
        os.open in os.supports_dir_fd and os.unlink in os.supports_dir_fd and os.rmdir in os.supports_dir_fd
        and os.stat in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY")
    )


def _is_link(st: os.stat_result) -> bool:
    return stat.S_ISLNK(st.st_mode) or bool(getattr(st, "st_file_attributes", 0) & _REPARSE_POINT)


class _Folder:
    """A folder reached without following links: a handle (openat) or a checked path (fallback)."""

    def __init__(self, folder: Path, *, fallback: bool) -> None:
        folder = Path(folder)
        if not folder.is_absolute():
            raise PathRefused(NOT_A_FILE, f"{folder} is not an absolute path")
        self.path, self.fallback, self.fd = folder, fallback, None
        if fallback:
            for prefix in [*reversed(folder.parents), folder]:
                self._check_component(prefix)
            return
        fd = os.open(folder.anchor, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for depth, part in enumerate(folder.parts[1:], 2):
                try:
                    child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                except OSError as error:
                    raise self._refusal(error, part, fd, Path(*folder.parts[:depth])) from None
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd

    @staticmethod
    def _check_component(prefix: Path) -> None:
        try:
            st = os.lstat(prefix)
        except FileNotFoundError:
            raise PathRefused(ABSENT, str(prefix)) from None
        if _is_link(st) and prefix.parent != prefix:
            raise PathRefused(LINKED, str(prefix))
        if not stat.S_ISDIR(st.st_mode):
            raise PathRefused(NOT_A_FILE, str(prefix))

    @staticmethod
    def _refusal(error: OSError, part: str, fd: int, reached: Path) -> PathRefused:
        where = str(reached)
        if error.errno == errno.ENOENT:
            return PathRefused(ABSENT, where)
        try:
            st = os.stat(part, dir_fd=fd, follow_symlinks=False)
        except OSError:
            return PathRefused(ABSENT, where)
        return PathRefused(LINKED if stat.S_ISLNK(st.st_mode) else NOT_A_FILE, where)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> _Folder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- entries of the folder, never followed ---------------------------------------

    def lstat(self, name: str) -> os.stat_result | None:
        try:
            if self.fd is None:
                return os.lstat(self.path / name)
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def open_file(self, name: str) -> int:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        if self.fd is None:
            return os.open(self.path / name, flags)
        return os.open(name, flags, dir_fd=self.fd)

    def unlink(self, name: str) -> None:
        if self.fd is None:
            os.unlink(self.path / name)
        else:
            os.unlink(name, dir_fd=self.fd)

    def rmdir(self, name: str) -> None:
        if self.fd is None:
            os.rmdir(self.path / name)
        else:
            os.rmdir(name, dir_fd=self.fd)

    def names(self) -> list[str]:
        return sorted(os.listdir(self.fd if self.fd is not None else self.path))

    def sync(self) -> None:
        if self.fd is not None:
            try:
                os.fsync(self.fd)
            except OSError:
                pass


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _hash_regular(folder: _Folder, name: str) -> tuple[str, bytes, int, os.stat_result | None]:
    """(outcome, SHA-256, size, stat of the opened file) for ``name`` in ``folder``."""
    before = folder.lstat(name)
    if before is None:
        return ABSENT, b"", 0, None
    if _is_link(before):
        return LINKED, b"", 0, None
    if not stat.S_ISREG(before.st_mode):
        return NOT_A_FILE, b"", 0, None
    try:
        fd = folder.open_file(name)
    except OSError as error:
        if error.errno == errno.ENOENT:
            return ABSENT, b"", 0, None
        return (LINKED if error.errno == errno.ELOOP else NOT_A_FILE), b"", 0, None
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if not stat.S_ISREG(opened.st_mode) or not _same(opened, before):
            return NOT_A_FILE, b"", 0, None
        digest, size = hashlib.sha256(), 0
        while chunk := handle.read(_READ):
            digest.update(chunk)
            size += len(chunk)
    return "", digest.digest(), size, opened


def remove_recorded(folder: Path, name: str, sha256: bytes, *, fallback: bool | None = None) -> tuple[str, int]:
    """Remove ``folder/name`` if it is a regular file whose SHA-256 is ``sha256``.

    Returns (outcome, bytes removed): ``removed``; ``absent`` (nothing there, or the
    folder is gone); ``differs`` (another content: kept); ``linked`` (a link on the
    path or the file itself is one: kept, nothing followed); ``not-a-file``.
    """
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\x00" in name:
        return NOT_A_FILE, 0
    fallback = not dir_fd_supported() if fallback is None else fallback
    try:
        with _Folder(folder, fallback=fallback) as where:
            outcome, digest, size, opened = _hash_regular(where, name)
            if outcome:
                return outcome, 0
            if not hmac.compare_digest(digest, sha256):
                return DIFFERS, 0
            now = where.lstat(name)
            if now is None or opened is None or not _same(now, opened):
                return DIFFERS, 0  # swapped since it was hashed: not the file we checked
            where.unlink(name)
            where.sync()
            return REMOVED, size
    except PathRefused as refused:
        return refused.outcome, 0


def remove_empty_folder(folder: Path, *, fallback: bool | None = None) -> bool:
    """Remove ``folder`` if it is an empty folder reached without links; True if removed."""
    folder = Path(folder)
    fallback = not dir_fd_supported() if fallback is None else fallback
    try:
        with _Folder(folder.parent, fallback=fallback) as parent:
            st = parent.lstat(folder.name)
            if st is None or _is_link(st) or not stat.S_ISDIR(st.st_mode):
                return False
            parent.rmdir(folder.name)
            parent.sync()
            return True
    except (PathRefused, OSError):
        return False


def remove_files_named(folder: Path, allowed: Callable[[str], bool], *,
                       fallback: bool | None = None) -> tuple[int, list[str]]:
    """Unlink the regular files in ``folder`` whose names ``allowed`` accepts, then the
    folder if that left it empty. Links are removed as links (never followed); anything
    else is kept. Returns (files removed, names kept)."""
    fallback = not dir_fd_supported() if fallback is None else fallback
    removed, kept = 0, []
    try:
        with _Folder(Path(folder), fallback=fallback) as where:
            for name in where.names():
                st = where.lstat(name)
                if st is not None and (stat.S_ISREG(st.st_mode) and allowed(name) or _is_link(st)):
                    where.unlink(name)
                    removed += stat.S_ISREG(st.st_mode)
                else:
                    kept.append(name)
            where.sync()
    except PathRefused as refused:
        if refused.outcome != ABSENT:
            kept.append(refused.where)
        return removed, kept
    if not kept:
        remove_empty_folder(Path(folder), fallback=fallback)
    return removed, kept

