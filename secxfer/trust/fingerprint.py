"""Key ids and short fingerprints that can be read aloud.

A key id names an Ed25519 public key inside documents (like TUF keyids). A
fingerprint binds a participant id, role and both public keys into 20 characters
of Crockford base32 (no I, L, O, U, so nothing is confused when spoken or
handwritten on the paper form filed with the 委任状), e.g. ``K3QF-7XPA-M2DB-9RTE-W4HN``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from secxfer.errors import FormatError
from secxfer.trust.kinds import FINGERPRINT_CONTEXT, KEYID_CONTEXT

FINGERPRINT_GROUPS = 5  # 5 x 4 characters = 100 bits
_RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = str.maketrans(_RFC4648, _CROCKFORD)


def key_id(public_key: bytes) -> str:
    """The key id of an Ed25519 public key: hex SHA-256 over a labelled encoding."""
    if len(public_key) != 32:
        raise FormatError(f"an Ed25519 public key is 32 bytes, got {len(public_key)}")
    return hashlib.sha256(KEYID_CONTEXT + public_key).hexdigest()


def _field(value: bytes) -> bytes:
    return len(value).to_bytes(8, "little") + value


def fingerprint(participant_id: str, role: str, encryption_keys: bytes | Sequence[bytes], signing_key: bytes) -> str:
    """Readable-aloud fingerprint of a participant's identity and all its public keys.

    ``encryption_keys``: the raw encryption public keys, X25519 first, then the hybrid
    one; each is length-prefixed, so a card with one X25519 key keeps the fingerprint
    it had before the hybrid type existed, and no two key lists encode alike.
    Security: 100 bits of SHA-256, so forging another card with the same fingerprint
    takes about 2^100 work; compare all groups, not only the first.
    """
    keys = [encryption_keys] if isinstance(encryption_keys, (bytes, bytearray)) else list(encryption_keys)
    digest = hashlib.sha256(
        FINGERPRINT_CONTEXT
        + b"participant\x00"
        + _field(participant_id.encode())
        + _field(role.encode())
        + b"".join(_field(bytes(key)) for key in keys)
        + _field(signing_key)
    ).digest()
    return _groups(digest)


def _groups(digest: bytes) -> str:
    text = base64.b32encode(digest).decode().translate(_TO_CROCKFORD)[: 4 * FINGERPRINT_GROUPS]
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def normalize_fingerprint(text: str) -> str:
    """Normalize a typed-in fingerprint (case, spaces, O->0, I/L->1) for comparison."""
    cleaned = text.upper().replace(" ", "").replace("-", "")
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def document_fingerprint(payload: bytes) -> str:
    """Readable-aloud fingerprint of a document's exact payload (e.g. a root to pin)."""
    return _groups(hashlib.sha256(FINGERPRINT_CONTEXT + b"document\x00" + payload).digest())
