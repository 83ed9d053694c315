"""File-level helpers the CLI and other wings share: crash-safe outputs, spooling.

Every function here keeps the rule of the package: no plaintext is released
before the whole file authenticated, and no output appears under its final name
unless the operation completed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from typing import BinaryIO

from secxfer.age.decrypt import decrypt_to_scratch
from secxfer.age.encrypt import encrypt_stream
from secxfer.age.recipients import Identity, Recipient, Rng
from secxfer.fsutil import atomic_output, atomic_write

_COPY_BLOCK = 1 << 20


def encrypt_to_path(
    recipients: Iterable[Recipient],
    src: BinaryIO,
    out_path: str | os.PathLike[str],
    *,
    armor: bool = False,
    overwrite: bool = False,
    rng: Rng | None = None,
) -> int:
    """Encrypt ``src`` into ``out_path``; the file appears only once complete.

    Returns the plaintext size. Refuses to replace an existing file unless
    ``overwrite``.
    """
    recipients = list(recipients)
    with atomic_output(out_path, overwrite=overwrite) as handle:
        return encrypt_stream(recipients, src, handle, rng=rng, armor=armor)


def decrypt_spooled(
    identities: Iterable[Identity],
    src: BinaryIO,
    dst: BinaryIO,
    *,
    spool_dir: str | os.PathLike[str] | None = None,
) -> int:
    """Decrypt ``src`` and copy the plaintext to ``dst`` only after it all authenticated.

    Security: plaintext is first written to an anonymous, owner-only temporary
    file (in ``spool_dir`` or the system temporary folder), which disappears when
    this returns or fails; ``dst`` sees nothing unless the whole file is authentic.
    Use for pipes and standard output, where an atomic rename is impossible.
    """
    with tempfile.TemporaryFile(dir=spool_dir) as spool:
        size = decrypt_to_scratch(identities, src, spool)
        spool.seek(0)
        shutil.copyfileobj(spool, dst, _COPY_BLOCK)
        dst.flush()
    return size


def write_identity_file(path: str | os.PathLike[str], text: str) -> None:
    """Write an identity file owner-only (0600); refuses to overwrite an existing file."""
    atomic_write(path, text.encode("ascii"), mode=0o600)
