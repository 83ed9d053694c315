"""Every fixed string and size of the age v1 format, named once.

Domain-separation strings live here so that a reviewer can check them against the
specification (C2SP age.md) in one place, and so that no two uses can drift apart.
"""

from __future__ import annotations

# -- header grammar -----------------------------------------------------------------

VERSION_PREFIX = b"age-encryption.org/"
VERSION_LINE = b"age-encryption.org/v1"
STANZA_PREFIX = b"-> "
MAC_PREFIX = b"---"
COLUMNS_PER_LINE = 64  # base64 characters per full stanza body line
BYTES_PER_LINE = COLUMNS_PER_LINE // 4 * 3
MAC_SIZE = 32  # HMAC-SHA-256

# -- key schedule -------------------------------------------------------------------

FILE_KEY_SIZE = 16
HEADER_MAC_INFO = b"header"  # HKDF info for the header HMAC key
PAYLOAD_KEY_INFO = b"payload"  # HKDF info for the STREAM payload key

# -- STREAM payload -----------------------------------------------------------------

PAYLOAD_NONCE_SIZE = 16
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
COUNTER_SIZE = 11  # big-endian chunk counter in the 12-byte AEAD nonce
LAST_CHUNK_FLAG = 0x01
MAX_CHUNK_COUNTER = (1 << (8 * COUNTER_SIZE)) - 1

# -- X25519 recipient type ----------------------------------------------------------

X25519_STANZA_TYPE = "X25519"
X25519_WRAP_INFO = b"age-encryption.org/v1/X25519"
X25519_RECIPIENT_HRP = "age"
X25519_IDENTITY_HRP = "AGE-SECRET-KEY-"
X25519_KEY_SIZE = 32

# -- scrypt (passphrase) recipient type: decrypt only -------------------------------

SCRYPT_STANZA_TYPE = "scrypt"
SCRYPT_SALT_LABEL = b"age-encryption.org/v1/scrypt"
SCRYPT_SALT_SIZE = 16
SCRYPT_R = 8
SCRYPT_P = 1

# -- ML-KEM-768 + X25519 hybrid (post-quantum) recipient type ----------------------

HYBRID_STANZA_TYPE = "mlkem768x25519"
HYBRID_HPKE_INFO = b"age-encryption.org/mlkem768x25519"
HYBRID_RECIPIENT_HRP = "age1pq"
HYBRID_IDENTITY_HRP = "AGE-SECRET-KEY-PQ-"

# -- other key encodings we recognise only to refuse them clearly -------------------

PLUGIN_RECIPIENT_PREFIX = "age1"  # age1<plugin>1... after the native types are ruled out
PLUGIN_IDENTITY_PREFIX = "AGE-PLUGIN-"

# -- wrap AEAD: ChaCha20-Poly1305 with a fixed all-zero nonce (single-use keys) -----

WRAP_NONCE = bytes(12)
WRAPPED_FILE_KEY_SIZE = FILE_KEY_SIZE + TAG_SIZE

# -- ASCII armor (RFC 7468 strict PEM) ----------------------------------------------

ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = b"-----END AGE ENCRYPTED FILE-----"
ARMOR_BEGIN_MARK = b"-----BEGIN"  # enough to tell an armored file from a binary one
ARMOR_COLUMNS = 64
ARMOR_WHITESPACE = b" \t\r\n"
