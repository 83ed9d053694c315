"""Return media: receipts and aggregates travelling back up the chain.

A return medium is laid out like an outgoing one, in the other direction:

    <root>/<from>-to-<to>/receipts/<name>

where ``<from>`` is who writes (a municipality, a relay) and ``<to>`` its sender
upstream. Each file is an age v1 file, encrypted to every current encryption key the
key directory lists for ``<to>``, whose plaintext is one signed document: a receipt
(``.receipt.age``) or an aggregate (``.aggregate.age``). Names are
``[REHEARSAL_]<period>_<author>_<8 hex of the document's SHA-256>.<type>.age`` —
media-safe like package names, no personal data, and the same document always gets
the same name, so writing it twice is a no-op.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.errors import FormatError
from secxfer.fsutil import atomic_write
from secxfer.ledger.evidence import AGGREGATE_KIND, AGGREGATE_MAX_BYTES, RECEIPT_KIND

if TYPE_CHECKING:
    from secxfer.age.recipients import Rng
    from secxfer.trust import Directory, ParticipantSecret

FOLDER = "receipts"
SUFFIX = {RECEIPT_KIND: ".receipt.age", AGGREGATE_KIND: ".aggregate.age"}
AGE_OVERHEAD_MAX = 64 * 1024 + AGGREGATE_MAX_BYTES // 64 * 17


def return_folder(root: Path, author: str, recipient: str) -> Path:
    return Path(root) / f"{author}-to-{recipient}" / FOLDER


def file_name(kind: str, *, period: str, author: str, signed: bytes, rehearsal: bool) -> str:
    from secxfer.chain.media import SAFE_NAME
    from secxfer.ledger.store import period_slug

    digest = hashlib.sha256(signed).hexdigest()[:8]
    name = f"{'REHEARSAL_' if rehearsal else ''}{period_slug(period)}_{author}_{digest}{SUFFIX[kind]}"
    if not SAFE_NAME.match(name):
        raise FormatError(f"return file name {name!r} is not media-safe")
    return name


def write_sealed(root: Path, *, kind: str, signed: bytes, author: str, recipient: str, period: str,
                 rehearsal: bool, directory: Directory, now: dt.datetime, rng: Rng | None = None) -> Path:
    """Encrypt ``signed`` to ``recipient``'s current keys and put it on the return medium."""
    from secxfer.age import encrypt_bytes

    folder = return_folder(root, author, recipient)
    path = folder / file_name(kind, period=period, author=author, signed=signed, rehearsal=rehearsal)
    if path.is_file():
        return path
    data = encrypt_bytes(directory.encryption_recipients(recipient, now), signed, rng=rng)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data, mode=0o644)
    return path


def find_returns(path: Path, me: str) -> list[Path]:
    """Return files addressed to ``me`` under ``path``.

    ``path`` may be a medium root (``*-to-<me>/receipts/``), one ``<from>-to-<me>``
    folder, or a ``receipts`` folder itself.
    """
    path = Path(path)
    candidates = [path / FOLDER, path] if path.name != FOLDER else [path]
    folders = [p for p in candidates if p.is_dir()]
    if path.is_dir():
        folders += sorted(p / FOLDER for p in path.glob(f"*-to-{me}") if (p / FOLDER).is_dir())
    found = []
    for folder in folders:
        for item in sorted(folder.iterdir()):
            if item.is_file() and not item.is_symlink() and item.name.endswith(tuple(SUFFIX.values())):
                found.append(item)
    return found


def open_sealed(path: Path, key: ParticipantSecret) -> bytes:
    """Decrypt a return file with ``key`` (only after the whole file authenticated).

    Read by the media rules (secxfer.chain.media): never through a link, only a regular
    file, no larger than any receipt or aggregate may be."""
    from secxfer.age import decrypt_bytes
    from secxfer.chain.media import read_medium_file

    data = read_medium_file(path, "return file", AGGREGATE_MAX_BYTES + AGE_OVERHEAD_MAX)
    return decrypt_bytes(list(key.encryption_identities), data)
