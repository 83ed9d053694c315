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
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from secxfer.errors import FormatError, InsufficientSpaceError, OutputExistsError

TEMP_PREFIX = ".secxfer-tmp-"


def binary(flags: int) -> int:
    """``flags`` for ``os.open`` plus ``O_BINARY`` where the platform has one.

    On Windows ``os.open`` returns a text-mode descriptor unless ``O_BINARY`` is given:
    writes turn LF into CRLF and reads stop at the first Ctrl-Z byte, which would
    corrupt packages, signatures and logs (``open()`` and ``tempfile`` set it themselves).
    """
    return flags | getattr(os, "O_BINARY", 0)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable.

    Windows cannot open a folder (PermissionError) and some file systems refuse to
    fsync one: the step is skipped there; the file itself was fsynced before the rename.
    """
    try:
        fd = os.open(folder, binary(os.O_RDONLY))
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
            f"{str(folder)!r} has {free} bytes free, {needed} needed",
            facts={"folder": str(folder), "free": str(free), "needed": str(needed)},
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
        raise OutputExistsError(f"{str(target)!r} already exists", facts={"wording": "exists", "path": str(target)})
    tmp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}-{target.name}"
    fd = os.open(tmp, binary(os.O_WRONLY | os.O_CREAT | os.O_EXCL), mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if not overwrite and target.exists():
            raise OutputExistsError(f"{str(target)!r} appeared while writing",
                                    facts={"wording": "appeared", "path": str(target)})
        rename_into_place(tmp, target)
        fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


REPLACE_TRIES = 10  # Windows: up to ~2 s for a scanner to let go of a file just written


def rename_into_place(source: Path, target: Path) -> None:
    """``os.replace``, retried briefly on Windows (a file, or a folder of files just written).

    A virus scanner or the search indexer opens a file as soon as it is written, and
    while it holds it Windows refuses the rename (PermissionError); it lets go within
    moments. On POSIX a PermissionError is final and raised at once.
    """
    for attempt in range(1, REPLACE_TRIES + 1):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if sys.platform != "win32" or attempt == REPLACE_TRIES:
                raise
            time.sleep(0.05 * attempt)


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

    Serialises read-modify-write cycles of one installation's state between processes:
    ``flock`` on POSIX, a byte-range lock (``msvcrt.locking``) on Windows.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(lock_file, binary(os.O_RDWR | os.O_CREAT), 0o600)
    with os.fdopen(fd, "a+b") as handle:
        try:
            import fcntl
        except ImportError:
            with _windows_lock(handle.fileno()):
                yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def _windows_lock(fd: int) -> Iterator[None]:
    """Lock byte 0 of ``fd`` (past the end is allowed) until the block ends, waiting like flock."""
    import msvcrt

    os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks from the current position; "a+b" left it at the end
    while True:
        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
            break
        except OSError:
            continue  # LK_LOCK gives up after ten one-second tries; another secxfer still holds it
    try:
        yield
    finally:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
