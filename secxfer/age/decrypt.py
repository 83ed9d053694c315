"""Decryption: header, file key, MAC, then the payload, in that order.

Each stage raises its own error class (see :mod:`secxfer.age.errors`), so the
reported failure is always the first one met. The public functions differ only
in when plaintext is released.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from secxfer.age import _crypto, format, stream
from secxfer.age._io import Source, fill, write_all
from secxfer.age._labels import FILE_KEY_SIZE, PAYLOAD_NONCE_SIZE
from secxfer.age.armor import ArmorReader, looks_armored
from secxfer.age.errors import AgeHeaderError, AgeHeaderMacError, AgeNoIdentityMatchError
from secxfer.age.recipients import Identity
from secxfer.age.stream import ChunkObserver
from secxfer.errors import UsageError
from secxfer.fsutil import atomic_output


def open_source(src: BinaryIO, armored: bool | None = None) -> Source:
    """``src`` as a Source, unwrapping ASCII armor.

    ``armored``: True to require armor, False to require binary, None to decide by
    the first bytes (armor starts, after optional whitespace, with ``-----``).
    """
    source = Source(src)
    if armored is None:
        armored = looks_armored(source)
    return Source(ArmorReader(source)) if armored else source


def read_header(src: BinaryIO, *, armored: bool | None = None) -> format.Header:
    """Parse the header of an age file (binary or armored) without any key.

    For inspection only: nothing in it is authenticated until the file key is
    known and the MAC checked.
    """
    return format.parse(open_source(src, armored))


def unwrap_file_key(identities: Iterable[Identity], header: format.Header) -> bytes:
    """The file key from the first identity that opens a stanza; checks the MAC too.

    Raises AgeNoIdentityMatchError when no identity matches, AgeHeaderError when a
    stanza is malformed, AgeHeaderMacError when the header was altered.
    """
    identities = list(identities)
    if not identities:
        raise UsageError("no identities given", hint="give the identity (age secret key) to decrypt with",
                         facts={"advice": "age-identity"})
    for identity in identities:
        file_key = identity.unwrap(header.stanzas)
        if file_key is not None:
            break
    else:
        kinds = Counter(stanza.type for stanza in header.stanzas)
        listed = ", ".join(f"{kind[:32]!r} x{count}" for kind, count in sorted(kinds.items())[:8])
        raise AgeNoIdentityMatchError(
            f"none of the {len(identities)} identities opens any of the {len(header.stanzas)} "
            f"recipient stanzas ({listed})"
        )
    if len(file_key) != FILE_KEY_SIZE:
        raise AgeHeaderError("unwrapped file key is not 16 bytes")
    expected = _crypto.header_mac(file_key, format.mac_input(header.stanzas))
    if not _crypto.macs_equal(expected, header.mac):
        raise AgeHeaderMacError("age header MAC does not match: the header was altered after encryption")
    return file_key


HeaderObserver = Callable[[format.Header], None]


def _open(
    identities: Iterable[Identity],
    src: BinaryIO,
    armored: bool | None,
    *,
    postquantum_only: bool = False,
    on_header: HeaderObserver | None = None,
) -> tuple[ChaCha20Poly1305, Source]:
    source = open_source(src, armored)
    header = format.parse(source)
    if on_header is not None:
        on_header(header)
    if postquantum_only:
        from secxfer.age.kinds import require_postquantum_only

        require_postquantum_only(header.stanzas)  # before any identity touches the file
    file_key = unwrap_file_key(identities, header)
    nonce = bytearray(PAYLOAD_NONCE_SIZE)
    if fill(source, memoryview(nonce)) != PAYLOAD_NONCE_SIZE:
        raise AgeHeaderError("file ends before the 16-byte payload nonce", location="after the MAC line")
    return _crypto.payload_aead(file_key, bytes(nonce)), source


def decrypt_bytes(
    identities: Iterable[Identity], data: bytes, *, armored: bool | None = None, postquantum_only: bool = False
) -> bytes:
    """Decrypt a whole age file held in memory (binary or armored, see :func:`open_source`).

    Security: returns only after the final chunk authenticated; on any failure it
    raises and no plaintext is returned. ``postquantum_only`` refuses (AgeDowngradeError)
    a file whose file key is also, or only, wrapped to a classical recipient type
    (stanzas of unknown types, such as grease, are ignored), as C2SP age.md allows an
    identity to require.
    """
    import io

    aead, source = _open(identities, io.BytesIO(data), armored, postquantum_only=postquantum_only)
    plaintext = bytearray()
    stream.decrypt(aead, source, plaintext.extend)
    return bytes(plaintext)


def decrypt_to_path(
    identities: Iterable[Identity],
    src: BinaryIO,
    out_path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    chunk_observer: ChunkObserver | None = None,
    armored: bool | None = None,
) -> int:
    """Decrypt ``src`` into the file ``out_path``; return the plaintext size.

    Security: plaintext goes to an owner-only temporary file next to ``out_path``
    that is renamed into place only after the final chunk authenticated; on any
    failure it is removed and ``out_path`` does not appear. Refuses to replace an
    existing file unless ``overwrite``.
    """
    with atomic_output(out_path, overwrite=overwrite) as handle:
        return decrypt_to_scratch(identities, src, handle, chunk_observer=chunk_observer, armored=armored)


def decrypt_to_scratch(
    identities: Iterable[Identity],
    src: BinaryIO,
    dst: BinaryIO,
    *,
    chunk_observer: ChunkObserver | None = None,
    armored: bool | None = None,
    postquantum_only: bool = False,
    on_header: HeaderObserver | None = None,
) -> int:
    """Decrypt ``src`` into ``dst`` as it goes; return the plaintext size.

    HAZARD: ``dst`` receives plaintext BEFORE the whole file has authenticated. If
    this raises, what was written may be truncated or attacker-chosen and MUST be
    discarded. Use only for a private scratch file that the caller deletes on
    error; everywhere else use :func:`decrypt_to_path` or :func:`decrypt_bytes`.

    ``postquantum_only`` as in :func:`decrypt_bytes`. ``on_header`` is called with the
    parsed header (from the very bytes being decrypted, before any key is tried), so a
    caller can hold the file's actual recipient types against its own policy.
    """
    aead, source = _open(identities, src, armored, postquantum_only=postquantum_only, on_header=on_header)
    return stream.decrypt(aead, source, lambda view: write_all(dst, view), chunk_observer=chunk_observer)
