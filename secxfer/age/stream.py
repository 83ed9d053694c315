"""The STREAM payload: 64 KiB chunks sealed with ChaCha20-Poly1305.

Chunk ``i`` is sealed under the nonce ``i`` (11 bytes, big-endian) followed by a
flag byte, 0x01 for the final chunk and 0x00 before it. The final chunk is shorter
than 64 KiB or exactly full, and is empty only when the whole payload is empty;
nothing may follow it. Because the flag is authenticated, truncation at a chunk
boundary, reordering, dropping, duplicating and appending are all detected.

Both directions work in constant memory: batches of chunks are read into reused
buffers and sealed or opened into a small ring of reused buffers with
``encrypt_into``/``decrypt_into``, written behind on a second thread (see
:mod:`secxfer.age._pipeline`). Decryption also reads ahead on a thread, so reading
the input (and whatever the caller's reader does, such as hashing the ciphertext)
overlaps opening the previous batch. When encrypting, the last chunk of each full
batch is held back until the next read tells whether it is the final one.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from secxfer.age._io import Source, allocate, fill
from secxfer.age._labels import (
    CHUNK_SIZE,
    COUNTER_SIZE,
    ENCRYPTED_CHUNK_SIZE,
    LAST_CHUNK_FLAG,
    MAX_CHUNK_COUNTER,
    TAG_SIZE,
)
from secxfer.age._limits import STREAM_BATCH_CHUNKS
from secxfer.age._pipeline import ReadAhead, WriteBehind
from secxfer.age.errors import AgePayloadError

ChunkObserver = Callable[[memoryview], object]
Sink = Callable[[memoryview], object]

_GENERIC = "payload failed to authenticate: file may be corrupted or tampered with"
_GENERIC_FACTS = {"wording": "payload"}


def chunk_nonce(counter: int, last: bool) -> bytes:
    """The 12-byte AEAD nonce of chunk ``counter``."""
    if counter > MAX_CHUNK_COUNTER:
        raise AgePayloadError(_GENERIC, facts=_GENERIC_FACTS)  # counter would wrap
    return counter.to_bytes(COUNTER_SIZE, "big") + (_FINAL if last else _NOT_FINAL)


_FINAL = bytes([LAST_CHUNK_FLAG])
_NOT_FINAL = b"\x00"


def encrypt(
    aead: ChaCha20Poly1305,
    source: Source,
    sink: Sink,
    *,
    chunk_observer: ChunkObserver | None = None,
    batch_chunks: int = STREAM_BATCH_CHUNKS,
) -> int:
    """Seal everything ``source`` yields into STREAM chunks passed to ``sink``.

    ``sink`` receives views into reused buffers (possibly on a writer thread) and
    must consume them before it returns. ``chunk_observer`` sees each plaintext
    chunk, in order, on the calling thread. Returns the number of plaintext bytes.
    """
    plain_view = allocate(batch_chunks * CHUNK_SIZE)
    output = WriteBehind(sink, batch_chunks * ENCRYPTED_CHUNK_SIZE)
    held = counter = total = 0
    try:
        while True:
            filled = held + fill(source, plain_view[held:])
            at_end = filled < len(plain_view)
            count = max(1, -(-filled // CHUNK_SIZE)) if at_end else batch_chunks - 1
            sealed_view = output.buffer()
            out = 0
            for index in range(count):
                start = index * CHUNK_SIZE
                end = min(start + CHUNK_SIZE, filled)
                chunk = plain_view[start:end]
                if chunk_observer is not None:
                    chunk_observer(chunk)
                size = end - start + TAG_SIZE
                nonce = chunk_nonce(counter, at_end and index == count - 1)
                aead.encrypt_into(nonce, chunk, None, sealed_view[out : out + size])
                counter += 1
                out += size
            output.submit(sealed_view, out, more=not at_end)
            if at_end:
                output.close()
                return total + filled
            total += count * CHUNK_SIZE
            plain_view[:CHUNK_SIZE] = plain_view[count * CHUNK_SIZE : (count + 1) * CHUNK_SIZE]
            held = CHUNK_SIZE
    finally:
        output.abort()


def decrypt(
    aead: ChaCha20Poly1305,
    source: Source,
    sink: Sink,
    *,
    chunk_observer: ChunkObserver | None = None,
    batch_chunks: int = STREAM_BATCH_CHUNKS,
) -> int:
    """Open STREAM chunks from ``source``, passing authenticated plaintext to ``sink``.

    Each batch reaches ``sink`` only after every chunk in it authenticated, but
    earlier batches reach it before later ones are checked: the caller decides
    whether to release plaintext before this function returns. Raises
    AgePayloadError (deliberately generic) for any failure, including truncation
    and trailing data; by then every write already handed to ``sink`` has
    finished. Returns the number of plaintext bytes.
    """
    batch_bytes = batch_chunks * ENCRYPTED_CHUNK_SIZE
    reader = ReadAhead(source, batch_bytes)
    output = WriteBehind(sink, batch_chunks * CHUNK_SIZE)
    counter = total = 0
    try:
        sealed_view, filled = reader.next()
        while True:
            # A full batch is the last one only if nothing follows it; the reader
            # has usually fetched the next batch already, so no chunk is held back.
            following, following_filled = reader.next() if filled == batch_bytes else (sealed_view, 0)
            at_end = following_filled == 0 or filled < batch_bytes
            if at_end:
                sizes = _final_batch_sizes(filled, counter)
            else:
                sizes = [ENCRYPTED_CHUNK_SIZE] * batch_chunks
            plain_view = output.buffer()
            start = out = 0
            for index, size in enumerate(sizes):
                plain_size = size - TAG_SIZE
                nonce = chunk_nonce(counter, at_end and index == len(sizes) - 1)
                try:
                    aead.decrypt_into(nonce, sealed_view[start : start + size], None, plain_view[out : out + plain_size])
                except InvalidTag:
                    raise AgePayloadError(_GENERIC, facts=_GENERIC_FACTS) from None
                if chunk_observer is not None:
                    chunk_observer(plain_view[out : out + plain_size])
                counter += 1
                start += size
                out += plain_size
            output.submit(plain_view, out, more=not at_end)
            total += out
            reader.release(sealed_view)
            if at_end:
                output.close()
                return total
            sealed_view, filled = following, following_filled
    finally:
        reader.close()
        output.abort()


def _final_batch_sizes(filled: int, counter: int) -> list[int]:
    """Sizes of the sealed chunks left when the input ended after ``filled`` bytes."""
    full, rest = divmod(filled, ENCRYPTED_CHUNK_SIZE)
    sizes = [ENCRYPTED_CHUNK_SIZE] * full
    if rest:
        sizes.append(rest)
    if not sizes:
        raise AgePayloadError(_GENERIC, facts=_GENERIC_FACTS)  # no chunk at all
    if sizes[-1] < TAG_SIZE:
        raise AgePayloadError(_GENERIC, facts=_GENERIC_FACTS)  # shorter than a tag
    if sizes[-1] == TAG_SIZE and counter + len(sizes) > 1:
        raise AgePayloadError(_GENERIC, facts=_GENERIC_FACTS)  # empty final chunk after data
    return sizes
