"""An installation's chain state under its home folder.

* ``chain/seen.jsonl`` — packages already opened or relayed here (replay defence);
  one JSON line each, appended and fsynced only after the outputs are in place. A
  record (``"v": 2``) names the package id, the delivery it belongs to (``origin``:
  the agency's package id, and the commitment's ``delivery_id``), the ``recipient``
  (this participant), when (``at``) and where its outputs went (``out``). A delivery
  is refused a second time whatever package id it arrives under; records written
  before v2 carry only ``package_id`` and keep refusing that id.
* ``chain/sequence.json`` — the next sequence number per recipient for packages we send.
* ``tmp/`` — private scratch space for decrypted package content; files there are
  unlinked at creation, so no plaintext ever has a name and a crash leaves nothing
  (Windows: named until closed and deleted by the system then; see ``_sweep_scratch``).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from secxfer.fsutil import atomic_write, binary
from secxfer.installation import default_home  # noqa: F401 (the chain's callers ask here too)


def _last_byte(fd: int, size: int) -> bytes:
    """The file's last byte (seek + read: Windows has no os.pread); O_APPEND writes still go to the end."""
    os.lseek(fd, size - 1, os.SEEK_SET)
    return os.read(fd, 1)


def _sweep_scratch(folder: Path) -> None:
    """Remove scratch files a power cut left behind (Windows only, where they have names).

    Windows has no unlinked files: a scratch file keeps its name until it is closed,
    when the system deletes it, even if secxfer crashes; only a power cut or a blue
    screen leaves one. One still open in another secxfer is only marked for deletion.
    """
    for entry in folder.iterdir():
        if entry.is_file() and not entry.is_symlink():
            with contextlib.suppress(OSError):
                entry.unlink()


class ChainHome:
    def __init__(self, home: Path) -> None:
        self.root = Path(home)
        self._seen_file = self.root / "chain" / "seen.jsonl"
        self._sequence_file = self.root / "chain" / "sequence.json"

    def _ensure(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder

    def scratch(self) -> BinaryIO:
        """An anonymous owner-only temporary file for decrypted content."""
        return self.scratch_files(1)[0]

    def scratch_files(self, count: int) -> list[BinaryIO]:
        """``count`` such files; where they have names, leftovers are swept once, before any is made."""
        folder = self._ensure(self.root / "tmp")
        if tempfile.TemporaryFile is tempfile.NamedTemporaryFile:
            _sweep_scratch(folder)
        return [tempfile.TemporaryFile(dir=folder) for _ in range(count)]

    def seen(self, package_id: str) -> dict | None:
        """The record of the package with this id, if it was processed here."""
        return next((r for r in self._records() if r.get("package_id") == package_id), None)

    def _records(self) -> Iterator[dict[str, Any]]:
        if not self._seen_file.exists():
            return
        with self._seen_file.open("rb") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a torn last line from a crash: ignore, never trust it
                if isinstance(record, dict):
                    yield record

    def processed(self, *, package_id: str, origin: str, recipient: str) -> dict | None:
        """The record of this package, or of the delivery it belongs to for ``recipient``.

        A package matches a record by its id, or by its delivery (``origin``, the agency's
        package id) and recipient: a delivery re-issued under another id is still the
        delivery already processed here. Records from before v2 match by id only.
        """
        by_delivery = None
        for record in self._records():
            if record.get("package_id") == package_id:
                return record
            if by_delivery is None and record.get("origin") == origin and record.get("recipient") == recipient:
                by_delivery = record
        return by_delivery

    def remember_processed(
        self, *, package_id: str, origin: str, delivery_id: str, recipient: str, sha256: str, role: str,
        period: str, at: str, out: str, **extra: str | int,
    ) -> None:
        """Record a package as processed (the v2 replay record; see the module docstring)."""
        self.remember({"v": 2, "package_id": package_id, "origin": origin, "delivery_id": delivery_id,
                       "recipient": recipient, "sha256": sha256, "role": role, "period": period, "at": at,
                       "out": out, **extra})

    def remember(self, record: dict) -> None:
        self._ensure(self._seen_file.parent)
        line = json.dumps(record, sort_keys=True).encode() + b"\n"
        fd = os.open(self._seen_file, binary(os.O_RDWR | os.O_CREAT | os.O_APPEND), 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and _last_byte(fd, size) != b"\n":
                line = b"\n" + line  # after a torn last line (power loss), never glued to it
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def next_sequences(self, recipients: list[str]) -> dict[str, int]:
        """Allocate one sequence number per recipient in a single write (relays to many)."""
        counters = {}
        if self._sequence_file.exists():
            counters = json.loads(self._sequence_file.read_bytes())
        out = {}
        for recipient in recipients:
            out[recipient] = int(counters.get(recipient, 0)) + 1
            counters[recipient] = out[recipient]
        self._ensure(self._sequence_file.parent)
        atomic_write(self._sequence_file, json.dumps(counters, sort_keys=True).encode(), overwrite=True)
        return out
