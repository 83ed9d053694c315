"""The few primitives age needs, each a thin call into ``cryptography``.

Everything that touches raw keys and fixed nonces is here, so the rest of the
package handles keys only as opaque byte strings passed through.
"""

from __future__ import annotations

import hmac as _hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _crypto_hmac
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from secxfer.age._labels import HEADER_MAC_INFO, PAYLOAD_KEY_INFO, WRAP_NONCE

KEY_SIZE = 32


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA-256 (extract with ``salt``, expand with ``info``) to 32 bytes."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=salt, info=info).derive(ikm)


def header_mac(file_key: bytes, mac_input: bytes) -> bytes:
    """HMAC-SHA-256 of the header text under the key derived from the file key."""
    signer = _crypto_hmac.HMAC(hkdf_sha256(file_key, b"", HEADER_MAC_INFO), hashes.SHA256())
    signer.update(mac_input)
    return signer.finalize()


def macs_equal(expected: bytes, received: bytes) -> bool:
    """Constant-time comparison of two MACs."""
    return _hmac.compare_digest(expected, received)


def payload_aead(file_key: bytes, payload_nonce: bytes) -> ChaCha20Poly1305:
    """The ChaCha20-Poly1305 instance keyed for one file's STREAM payload."""
    return ChaCha20Poly1305(hkdf_sha256(file_key, payload_nonce, PAYLOAD_KEY_INFO))


def seal_file_key(wrap_key: bytes, file_key: bytes) -> bytes:
    """Encrypt the file key under a single-use wrap key (fixed zero nonce is safe)."""
    return ChaCha20Poly1305(wrap_key).encrypt(WRAP_NONCE, file_key, None)


def open_file_key(wrap_key: bytes, body: bytes) -> bytes | None:
    """Decrypt a wrapped file key; None if it does not authenticate (not ours)."""
    try:
        return ChaCha20Poly1305(wrap_key).decrypt(WRAP_NONCE, body, None)
    except InvalidTag:
        return None
