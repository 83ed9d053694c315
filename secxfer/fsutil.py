"""Crash-safe file writing shared by every wing.

A final path only ever holds complete data: writers fill a temporary file in the
target folder, fsync it, rename it into place and fsync the folder. Nothing
overwrites an existing file unless asked. Temporary names start with
``.secxfer-tmp-`` so a crashed run's leftovers are recognisable and never mistaken
for output.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from secxfer.errors import FormatError, InsufficientSpaceError, OutputExistsError

TEMP_PREFIX = ".secxfer-tmp-"


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_free_space(folder: Path, needed: int) -> None:
    """Raise InsufficientSpaceError when ``folder``'s file system has < ``needed`` bytes free."""
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise InsufficientSpaceError(
            f"{str(folder)!r} has {free} bytes free, {needed} needed"
        )


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str], *, overwrite: bool = False, mode: int = 0o600
) -> Iterator[BinaryIO]:
    """Yield a binary file that appears at ``path`` only if the block completes.

    On any exception the temporary file is removed and ``path`` is untouched.
    Files are created owner-only (``mode``) because outputs may hold personal data.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not overwrite and target.exists():
        raise OutputExistsError(f"{str(target)!r} already exists")
    tmp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}-{target.name}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if not overwrite and target.exists():
            raise OutputExistsError(f"{str(target)!r} appeared while writing")
        os.replace(tmp, target)
        fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False, mode: int = 0o600
) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path, overwrite=overwrite, mode=mode) as handle:
        handle.write(data)


def read_bounded(path: str | os.PathLike[str], max_bytes: int, what: str) -> bytes:
    """The bytes of the file at ``path``; FormatError if it holds more than ``max_bytes``.

    At most ``max_bytes + 1`` bytes are ever read, so an oversized file given as a
    card, root, bundle or checkpoint costs no more memory than the limit.
    """
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FormatError(f"{what} {str(path)!r} is larger than {max_bytes} bytes")
    return data


@contextlib.contextmanager
def exclusive_lock(lock_file: Path) -> Iterator[None]:
    """Hold an advisory exclusive lock on ``lock_file`` (created owner-only) for the block.

    Serialises read-modify-write cycles of one installation's state between processes.
    Where the platform has no advisory locks (Windows) this only opens the file.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a+b") as handle:
        try:
            import fcntl
        except ImportError:
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
