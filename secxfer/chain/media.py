"""Packages on removable media: names, atomic writes, the outer signature, the index.

A medium is a folder (the root of a USB stick, or ``<from>-to-<to>/`` in a tree of
them). Each package is a plain age file ``<name>.age`` with its outer signature
``<name>.age.sig`` beside it, and the folder holds ``SECXFER-INDEX.json``, a signed
list of its packages. Names carry no personal data and stay within what FAT32,
exFAT and ISO 9660 Joliet accept (ASCII letters, digits, ``-``, ``_``, ``.``; at
most 64 characters).
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import re
import stat
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import msgspec

from secxfer.chain.beside import Beside
from secxfer.domain.counts import RowCounts
from secxfer.errors import FormatError, IntegrityError, NotFoundError, OperationalError
from secxfer.fsutil import TEMP_PREFIX, atomic_output, atomic_write, binary, check_free_space
from secxfer.limits import MEDIA_INDEX_MAX_BYTES, OUTER_MAX_BYTES, PACKAGE_MAX_BYTES, PACKAGE_MAX_FILE_NAME
from secxfer.models import Model

INDEX_NAME = "SECXFER-INDEX.json"
INDEX_KIND = "secxfer/media-index"
SIDECAR_SUFFIX = ".sig"
SAFE_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{PACKAGE_MAX_FILE_NAME - 1}}}\Z")
READ_CHUNK = 1 << 20


class IndexEntry(Model, kw_only=True):
    file_name: str
    size: int
    sha256: bytes
    package_id: str
    recipient: str
    period: str
    rehearsal: bool
    rows: RowCounts
    manifest_sha256: bytes


class MediaIndex(Model, kw_only=True):
    format: str = "secxfer-media-index-v1"
    sender: str
    packages: tuple[IndexEntry, ...]


_index_decoder = msgspec.json.Decoder(MediaIndex)


def package_name_prefix(period_slug: str, sender: str, recipient: str, rehearsal: bool) -> str:
    """What every package name for this period, sender and recipient starts with."""
    return f"{'REHEARSAL_' if rehearsal else ''}{period_slug}_{sender}_to_{recipient}_"


def package_file_name(period_slug: str, sender: str, recipient: str, package_id: str, rehearsal: bool) -> str:
    name = f"{package_name_prefix(period_slug, sender, recipient, rehearsal)}{package_id[:8]}.age"
    if not SAFE_NAME.match(name):
        raise FormatError(f"package name {name!r} is not media-safe")
    return name


def medium_folder(root: Path, sender: str, recipient: str) -> Path:
    return Path(root) / f"{sender}-to-{recipient}"


class _CheckingWriter:
    """Forward writes to a file while counting them and taking their CRC-32, in one pass
    (the reference the read-back is held against)."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self.crc32 = 0
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        count = self._target.write(data)
        self.crc32 = zlib.crc32(data, self.crc32)
        self.size += len(data)
        return count

    def flush(self) -> None:
        self._target.flush()


def _read_back(path: Path, take: Callable[[memoryview], object],
               also: Callable[[memoryview], object] | None = None) -> int:
    """Read a package on a medium (never through a link, only a regular file) and hand
    each block to ``take`` in order; return its size.

    Each block is taken on a second thread while this one reads the next (two buffers),
    then hands it to ``also``, so a slow medium's reads and the work on the bytes overlap
    (:mod:`secxfer.chain.beside`)."""
    size = 0
    buffers = (memoryview(bytearray(READ_CHUNK)), memoryview(bytearray(READ_CHUNK)))
    beside = Beside(name="secxfer-read-back")

    def read_then_also(ready: memoryview, following: memoryview) -> int:
        count = handle.readinto(following) or 0
        if also is not None:
            also(ready)
        return count

    try:
        with open_medium_file(path, "package", PACKAGE_MAX_BYTES) as handle:
            current = 0
            count = handle.readinto(buffers[current]) or 0
            while count:
                ready, following = buffers[current][:count], buffers[current ^ 1]
                count = beside.both(count, lambda: take(ready), lambda: read_then_also(ready, following))
                size += len(ready)
                current ^= 1
    finally:
        beside.close()
    return size


def file_sha256(path: Path) -> tuple[int, bytes]:
    """Size and SHA-256 of a package on a medium."""
    h = hashlib.sha256()
    return _read_back(path, h.update), h.digest()


def file_sha256_and_crc32(path: Path) -> tuple[int, bytes, int]:
    """Size, SHA-256 and CRC-32 of a package on a medium, in one read: the hash on a second
    thread, the CRC on this one after each read."""
    h, crc = hashlib.sha256(), [0]

    def check(block: memoryview) -> None:
        crc[0] = zlib.crc32(block, crc[0])

    size = _read_back(path, h.update, check)
    return size, h.digest(), crc[0]


# What a directory entry is, by its mode (lstat: a link is a link, never what it names).
ENTRY_KINDS = (
    (stat.S_ISLNK, "symlink"), (stat.S_ISDIR, "folder"), (stat.S_ISFIFO, "pipe"),
    (stat.S_ISCHR, "device"), (stat.S_ISBLK, "device"), (stat.S_ISSOCK, "socket"),
)
ENTRY_WORDS = {"symlink": "a symbolic link", "folder": "a folder", "pipe": "a named pipe", "device": "a device",
               "socket": "a socket", "other": "not a regular file"}


def entry_kind(info: os.stat_result) -> str:
    """``"file"`` for a regular file, else what the entry is (``symlink``, ``folder``, ``pipe``, …).

    On Windows a junction is a directory to ``lstat`` but carries a reparse tag, as does
    every kind of link there: any reparse point counts as a link and is never followed.
    """
    if getattr(info, "st_reparse_tag", 0):
        return "symlink"
    if stat.S_ISREG(info.st_mode):
        return "file"
    return next((kind for test, kind in ENTRY_KINDS if test(info.st_mode)), "other")


def open_medium_file(path: Path, what: str, max_bytes: int) -> BinaryIO:
    """Open a file found on a medium for reading: never through a symbolic link (a link
    on a medium could point anywhere on this machine), only a regular file, at most
    ``max_bytes`` long (checked before anything is read).

    The entry is looked at with ``lstat`` first, so a link, pipe, device or folder is
    refused without being opened (a pipe would block a reader forever). The open itself
    uses ``O_NOFOLLOW`` where the system has it; where it does not (Windows), the file
    opened must be the very one ``lstat`` saw (same device and inode), so a link swapped
    in between is refused too.
    """
    path = Path(path)
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        raise NotFoundError(f"no {what} at {str(path)!r}") from None
    kind = entry_kind(before)
    if kind == "symlink":
        raise _link_error(what, path)
    if kind != "file":
        raise FormatError(f"{what} {path.name!r} is {ENTRY_WORDS[kind]}, not a regular file; it was not opened")
    flags = binary(os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NotFoundError(f"no {what} at {str(path)!r}") from None
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        raise _link_error(what, path) from None
    handle = os.fdopen(fd, "rb")
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (before.st_dev, before.st_ino):
        handle.close()
        raise FormatError(f"{what} {path.name!r} changed while it was being opened; it was not read")
    if info.st_size > max_bytes:
        handle.close()
        raise FormatError(f"{what} {path.name!r} is larger than {max_bytes} bytes")
    return handle


def _link_error(what: str, path: Path) -> IntegrityError:
    return IntegrityError(
        f"{what} {path.name!r} is a symbolic link; links on media are never followed",
        hint="copy the file itself onto the medium",
    )


def read_medium_file(path: Path, what: str, max_bytes: int) -> bytes:
    """The bytes of a small file on a medium (see :func:`open_medium_file`)."""
    with open_medium_file(path, what, max_bytes) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew while being read
        raise FormatError(f"{what} {Path(path).name!r} is larger than {max_bytes} bytes")
    return data


def open_package_file(path: Path) -> BinaryIO:
    """Open an encrypted package for reading (no links, at most 4 GiB − 1)."""
    return open_medium_file(path, "package", PACKAGE_MAX_BYTES)


def write_encrypted(
    path: Path, encrypt: Callable[[BinaryIO], object], *, expected_size: int
) -> tuple[int, bytes]:
    """Write a package atomically via ``encrypt(writer)``, then read it back; return its
    size and SHA-256 as read back from the medium.

    Refuses to overwrite, checks free space first, and only reports success after the
    bytes on the medium read back as written (media fail silently): the same size and
    CRC-32, taken as they were written and as they are read back. That check is against
    a faulty medium, not an adversary, so a checksum at about four times SHA-256's speed
    does; the SHA-256, which the sender signs and every reader checks the file against,
    is taken in the same read, of the bytes the medium holds.
    """
    if path.parent.is_symlink():
        raise OperationalError(
            f"{str(path.parent)!r} is a symbolic link; secxfer never writes through links",
            hint="write to a folder on the medium itself",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    check_free_space(path.parent, expected_size + 64 * 1024)

    with atomic_output(path, mode=0o644) as handle:
        writer = _CheckingWriter(handle)
        encrypt(writer)
    _forget_cached(path)
    size, digest, crc32 = file_sha256_and_crc32(path)
    if size != writer.size or crc32 != writer.crc32:
        os.unlink(path)
        raise IntegrityError(
            f"{str(path)!r} did not read back as written",
            hint="the medium may be faulty; use another one",
        )
    return size, digest


def _forget_cached(path: Path) -> None:
    """Drop the cached pages of a file just written and fsynced, so that reading it back
    reads the medium rather than this computer's memory (where the system allows)."""
    if not hasattr(os, "posix_fadvise"):
        return
    fd = os.open(path, binary(os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)))
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass  # advice only: a file system that cannot take it is read back as it is
    finally:
        os.close(fd)


def write_sidecar(path: Path, signed_outer: bytes) -> None:
    atomic_write(Path(str(path) + SIDECAR_SUFFIX), signed_outer, mode=0o644)


def read_sidecar(path: Path) -> bytes:
    sidecar = Path(str(path) + SIDECAR_SUFFIX)
    if not sidecar.exists() and not sidecar.is_symlink():
        raise NotFoundError(
            f"no outer signature {sidecar.name!r} beside {path.name!r}",
            hint="copy the .sig file that came with the package onto the same folder",
            facts={"wording": "sidecar-missing", "sig": sidecar.name, "file": path.name},
        )
    return read_medium_file(sidecar, "outer signature", OUTER_MAX_BYTES)


def write_index(folder: Path, signed_index: bytes) -> None:
    atomic_write(folder / INDEX_NAME, signed_index, overwrite=True, mode=0o644)


def read_index_unverified(folder: Path) -> MediaIndex | None:
    """The medium's index as it stands, for bookkeeping only (not a trust decision)."""
    from secxfer.trust.signing import SignedDocument

    path = Path(folder) / INDEX_NAME
    if not path.is_file():
        return None
    try:
        raw = read_medium_file(path, "medium index", MEDIA_INDEX_MAX_BYTES)
        return decode_index(SignedDocument.decode(raw, kind=INDEX_KIND, max_bytes=MEDIA_INDEX_MAX_BYTES).payload)
    except IntegrityError:
        return None


def decode_index(payload: bytes) -> MediaIndex:
    """Strictly decode an index payload, in its one canonical form (docs/format.md §1)."""
    try:
        index = _index_decoder.decode(payload)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        raise FormatError(f"media index does not decode: {error}") from None
    if msgspec.json.encode(index) != bytes(payload):
        raise FormatError("media index is not in canonical form (re-encoded or altered)")
    return index


def encode_index(index: MediaIndex) -> bytes:
    return msgspec.json.encode(index)


def leftovers(folder: Path) -> list[str]:
    """Names of temporary files a crashed write left behind (never complete data)."""
    return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith(TEMP_PREFIX))


def complete_packages(folder: Path, prefix: str) -> list[str]:
    """Packages in ``folder`` named ``prefix…`` that its index lists and that are intact."""
    index = read_index_unverified(folder)
    done = []
    for entry in index.packages if index else ():
        path = Path(folder) / entry.file_name
        if entry.file_name.startswith(prefix) and path.is_file() and not path.is_symlink():
            size, digest = file_sha256(path)
            if size == entry.size and hmac.compare_digest(digest, entry.sha256):
                done.append(entry.file_name)
    return done


def clear_interrupted(folder: Path, prefix: str) -> list[str]:
    """Remove what an interrupted write of packages named ``prefix…`` left in ``folder``.

    A package is complete only once the medium's index lists it (the index is written
    last), so a package or outer signature by that name which the index does not list
    is the remains of a crash, as is any temporary file for it or for the index. One
    writer per medium folder: a concurrent writer's temporary files would go too.
    Returns the names removed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    index = read_index_unverified(folder)
    listed = {e.file_name for e in index.packages} if index else set()
    removed = []
    for item in sorted(folder.iterdir()):
        name = item.name
        if name.startswith(TEMP_PREFIX):
            target = name[len(TEMP_PREFIX) + 17 :]  # ".secxfer-tmp-" + 16 hex + "-" + target name
            stale = target.startswith(prefix) or target == INDEX_NAME
        else:
            stale = name.startswith(prefix) and name.removesuffix(SIDECAR_SUFFIX) not in listed
        if stale and item.is_file() and not item.is_symlink():
            item.unlink()
            removed.append(name)
    return removed
