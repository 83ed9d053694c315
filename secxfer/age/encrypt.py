"""Encryption: a fresh file key wrapped for every recipient, then the STREAM payload."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from typing import BinaryIO

from secxfer import limits
from secxfer.age import _crypto, format, stream
from secxfer.age._io import Source, write_all
from secxfer.age._labels import FILE_KEY_SIZE, PAYLOAD_NONCE_SIZE
from secxfer.age.armor import ArmorWriter
from secxfer.age.recipients import Recipient, Rng, labels_of
from secxfer.age.stream import ChunkObserver
from secxfer.errors import UsageError


def _exact(rng: Rng, size: int) -> bytes:
    data = rng(size)
    if not isinstance(data, bytes) or len(data) != size:
        raise ValueError(f"rng({size}) must return exactly {size} bytes")
    return data


def build_header(recipients: Iterable[Recipient], file_key: bytes, rng: Rng) -> bytes:
    """The complete header text wrapping ``file_key`` for every recipient."""
    recipients = list(recipients)
    if not recipients:
        raise UsageError("no recipients given", hint="pass at least one -r age1... or -R FILE")
    if len({labels_of(r) for r in recipients}) > 1:
        raise UsageError(
            "post-quantum and classic recipients cannot be mixed in one file",
            hint="encrypt separately, or use only post-quantum recipients",
        )
    stanzas = [stanza for recipient in recipients for stanza in recipient.wrap(file_key, rng)]
    if len(stanzas) > limits.AGE_MAX_STANZAS:
        raise UsageError(f"{len(stanzas)} recipient stanzas exceed the limit of {limits.AGE_MAX_STANZAS}")
    mac = _crypto.header_mac(file_key, format.mac_input(stanzas))
    header = format.serialize(stanzas, mac)
    if len(header) > limits.AGE_MAX_HEADER_BYTES:
        raise UsageError(f"header would exceed {limits.AGE_MAX_HEADER_BYTES} bytes; use fewer recipients")
    return header


def encrypt_stream(
    recipients: Iterable[Recipient],
    src: BinaryIO,
    dst: BinaryIO,
    *,
    rng: Rng | None = None,
    chunk_observer: ChunkObserver | None = None,
    armor: bool = False,
) -> int:
    """Encrypt ``src`` to ``dst`` for every recipient; return the plaintext size.

    Security: a fresh 16-byte file key and payload nonce per call (from ``rng``,
    default ``os.urandom``; pass a deterministic ``rng`` only in tests). Memory
    stays constant whatever the input size. ``chunk_observer`` sees each plaintext
    chunk in order, so a caller can hash in the same pass. ``armor`` writes the
    PEM text form instead of binary.
    """
    rng = rng or os.urandom
    file_key = _exact(rng, FILE_KEY_SIZE)
    header = build_header(recipients, file_key, rng)
    nonce = _exact(rng, PAYLOAD_NONCE_SIZE)
    aead = _crypto.payload_aead(file_key, nonce)
    if armor:
        writer = ArmorWriter(dst)
        writer.write(header + nonce)
        size = stream.encrypt(aead, Source(src), writer.write, chunk_observer=chunk_observer)
        writer.close()
        return size
    write_all(dst, memoryview(header + nonce))
    return stream.encrypt(aead, Source(src), lambda view: write_all(dst, view), chunk_observer=chunk_observer)


def encrypt_bytes(recipients: Iterable[Recipient], data: bytes, *, rng: Rng | None = None, armor: bool = False) -> bytes:
    """Encrypt ``data`` held in memory (see :func:`encrypt_stream`)."""
    out = io.BytesIO()
    encrypt_stream(recipients, io.BytesIO(data), out, rng=rng, armor=armor)
    return out.getvalue()
