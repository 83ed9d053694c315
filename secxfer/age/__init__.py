"""The age v1 encryption layer (C2SP age.md), built on ``cryptography``.

Files written here open with the stock ``age`` command and vice versa. Public API:

* keys: :class:`X25519Identity`, :class:`X25519Recipient`, the post-quantum
  :class:`HybridIdentity`, :class:`HybridRecipient` (ML-KEM-768 + X25519),
  :class:`ScryptIdentity` (passphrase files, decryption only),
  :func:`parse_recipient`, :func:`parse_identity`;
* key files: :func:`parse_identity_file`, :func:`parse_recipients_file`,
  :func:`load_identity_file`, :func:`load_recipients_file`,
  :func:`identity_file_text` (the ``age-keygen`` layout);
* encrypt: :func:`encrypt_stream`, :func:`encrypt_bytes`, :func:`encrypt_to_path`
  (the file appears only when complete);
* decrypt: :func:`decrypt_bytes`, :func:`decrypt_to_path`, :func:`decrypt_spooled`
  (all release plaintext only after the whole file authenticated),
  :func:`decrypt_to_scratch` (HAZARD: streams unauthenticated plaintext),
  :func:`read_header` (no key needed, nothing authenticated);
* errors: see :mod:`secxfer.age.errors`.

The recipient-type contract (``wrap``/``unwrap``) is in :mod:`secxfer.age.recipients`.
"""

from secxfer.age.decrypt import decrypt_bytes, decrypt_to_path, decrypt_to_scratch, read_header
from secxfer.age.encrypt import encrypt_bytes, encrypt_stream
from secxfer.age.errors import (
    AgeArmorError,
    AgeDowngradeError,
    AgeHeaderError,
    AgeHeaderMacError,
    AgeKeyError,
    AgeNoIdentityMatchError,
    AgePayloadError,
    AgeUnsupportedError,
)
from secxfer.age.files import decrypt_spooled, encrypt_to_path
from secxfer.age.format import Header, Stanza
from secxfer.age.hybrid import HybridIdentity, HybridRecipient
from secxfer.age.keys import (
    identity_file_text,
    load_identity_file,
    load_recipients_file,
    parse_identity,
    parse_identity_file,
    parse_recipient,
    parse_recipients_file,
)
from secxfer.age.recipients import Identity, Recipient
from secxfer.age.scrypt import ScryptIdentity
from secxfer.age.x25519 import X25519Identity, X25519Recipient

__all__ = [
    "AgeArmorError",
    "AgeDowngradeError",
    "AgeHeaderError",
    "AgeHeaderMacError",
    "AgeKeyError",
    "AgeNoIdentityMatchError",
    "AgePayloadError",
    "AgeUnsupportedError",
    "Header",
    "HybridIdentity",
    "HybridRecipient",
    "Identity",
    "Recipient",
    "ScryptIdentity",
    "Stanza",
    "X25519Identity",
    "X25519Recipient",
    "decrypt_bytes",
    "decrypt_spooled",
    "decrypt_to_path",
    "decrypt_to_scratch",
    "encrypt_bytes",
    "encrypt_stream",
    "encrypt_to_path",
    "identity_file_text",
    "load_identity_file",
    "load_recipients_file",
    "parse_identity",
    "parse_identity_file",
    "parse_recipient",
    "parse_recipients_file",
    "read_header",
]
