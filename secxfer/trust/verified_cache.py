"""Signatures and directory entries already verified in this process, keyed by exact bytes.

One process often checks the same signature many times: the national month opens
1,689 packages whose directory excerpts all carry the same root-signed header and
the same agency, central and federation entries, and a relay has already verified
every enrollment in the full directory before the excerpts it cuts come back. An
Ed25519 verification costs about 0.1 ms; looking one up here costs a SHA-256 of the
signing input.

Only successes are recorded, and only under the key, the signature and the SHA-256
of the whole signing input (context, kind and payload): a hit means these very bytes
were verified before, so no check is ever skipped for bytes not verified before. A
failure is never cached, so a bad signature is refused every time.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable

MAX_ENTRIES = 1 << 15  # about 8 MiB; more than the signatures of a 2,000-entry directory

_lock = threading.Lock()
_verified: set[tuple] = set()  # signatures (3-tuples) and inclusion proofs (6-tuples)


def cache_key(public_key: bytes, signing_input: bytes, signature: bytes) -> tuple[bytes, bytes, bytes]:
    """What identifies one verification: the key, the signature and the exact input's hash."""
    return bytes(public_key), bytes(signature), hashlib.sha256(signing_input).digest()


def was_verified(key: tuple[bytes, bytes, bytes]) -> bool:
    return key in _verified


def record_verified(key: tuple) -> None:
    """Remember a verification that succeeded (never call this for one that failed)."""
    with _lock:
        if len(_verified) >= MAX_ENTRIES:
            _verified.clear()  # a rare full reset is simpler and as safe as eviction
        _verified.add(key)


def proof_key(entries_root: bytes, entries: int, index: int, leaf_digest: bytes, path: Iterable[bytes]) -> tuple:
    """What identifies one verified inclusion proof: the tree (root, size), the index, the
    leaf's digest and the exact audit path (an excerpt is kept and passed on with its
    proofs, so altered path bytes must fail here as they would in a fresh process)."""
    return (b"entry", bytes(entries_root), entries, index, bytes(leaf_digest), tuple(map(bytes, path)))


def was_proven(key: tuple) -> bool:
    return key in _verified


def record_proven(key: tuple) -> None:
    """Remember an inclusion proof that verified (never one that failed)."""
    record_verified(key)


def clear() -> None:
    """Forget every recorded verification (tests; a long-lived process that wants to)."""
    with _lock:
        _verified.clear()
