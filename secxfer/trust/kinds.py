"""Every domain-separation string of the trust wing, in one place.

A signature is made over the kind of document as well as its bytes, so a signature
made for one kind can never be replayed as another.
"""

from __future__ import annotations

SIGNATURE_CONTEXT = b"secxfer-sig-v1"
KEYID_CONTEXT = b"secxfer-keyid-v1\x00ed25519\x00"
FINGERPRINT_CONTEXT = b"secxfer-fingerprint-v1\x00"
SECRET_KEY_FORMAT = "secxfer-secret-key-v1"
TEST_KEY_MARKER = "TEST KEY - NOT FOR PRODUCTION USE - anyone may hold a copy of this key"

KIND_KEY_CARD = "secxfer/key-card"
KIND_ROOT = "secxfer/root"
KIND_DIRECTORY = "secxfer/directory-header"  # the root-signed header of a key directory
KIND_ENROLLMENT = "secxfer/enrollment"

DIRECTORY_FORMAT = "secxfer/directory-v2"
DIRECTORY_LEAF_LABEL = b"secxfer-directory-leaf-v1\x00"  # Merkle leaves of the key directory
BUNDLE_FORMAT = "secxfer/trust-bundle-v2"
