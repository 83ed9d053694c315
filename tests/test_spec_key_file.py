"""A secret key file opened by docs/keys.md §9 alone, with libsodium's bare primitives.

If the documented layout (Argon2id parameters, nonce then secretbox, the material's
fields) drifted from what save_secret_key writes, another implementation following
the page could not open a participant's key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

import nacl.bindings as sodium
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from secxfer.errors import FormatError
from secxfer.trust.participant_secret import generate_participant
from secxfer.trust.secret_keys import KDF_MIN, load_secret_key, save_secret_key

PASSPHRASE = "correct horse バッテリー"


def open_by_the_spec(path, passphrase: str) -> dict:
    document = json.loads(path.read_bytes())
    assert document["format"] == "secxfer-secret-key-v1" and document["test_key"] is False
    assert document["marker"].startswith("SECRET KEY - passphrase-protected")
    kdf = document["kdf"]
    assert kdf["algorithm"] == "argon2id"
    sealed, salt = base64.b64decode(document["sealed"]), base64.b64decode(kdf["salt"])
    assert len(salt) == 16
    assert hashlib.sha256(sealed).digest() == base64.b64decode(document["sealed_sha256"])
    assert 1 <= kdf["opslimit"] <= 4 and 8192 <= kdf["memlimit"] <= 1 << 30
    key = sodium.crypto_pwhash_alg(
        32, passphrase.encode("utf-8"), salt, kdf["opslimit"], kdf["memlimit"], sodium.crypto_pwhash_ALG_ARGON2ID13
    )
    nonce, box = sealed[:24], sealed[24:]
    material = json.loads(sodium.crypto_secretbox_open_easy(box, nonce, key))
    for field in ("id", "role", "created"):
        assert material[field] == document[field]
    return material


def test_a_protected_key_file_opens_by_the_documented_layout(tmp_path):
    secret = generate_participant("mun-131016", "municipality", encryption="both", rng=os.urandom)
    path = tmp_path / "mun-131016.key"
    save_secret_key(secret, path, passphrase=PASSPHRASE.encode("utf-8"), kdf=KDF_MIN)
    material = open_by_the_spec(path, PASSPHRASE)

    assert set(material) == {"id", "role", "created", "encryption_secret", "signing_seed", "hybrid_seed"}
    seed = base64.b64decode(material["signing_seed"])
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    assert public == secret.signing_public_key
    x25519 = base64.b64decode(material["encryption_secret"])
    assert X25519PrivateKey.from_private_bytes(x25519).public_key().public_bytes_raw() == secret.encryption_public_key
    assert base64.b64decode(material["hybrid_seed"]) == secret.hybrid_seed_bytes()


def test_the_default_cost_is_the_documented_one(tmp_path):
    secret = generate_participant("fed-13", "federation", rng=os.urandom)
    path = tmp_path / "fed-13.key"
    save_secret_key(secret, path, passphrase=b"a long enough passphrase")
    kdf = json.loads(path.read_bytes())["kdf"]
    assert (kdf["opslimit"], kdf["memlimit"]) == (2, 67_108_864)


def test_parameters_outside_the_documented_bounds_are_refused_before_deriving(tmp_path):
    secret = generate_participant("fed-13", "federation", rng=os.urandom)
    path = tmp_path / "fed-13.key"
    save_secret_key(secret, path, passphrase=b"a long enough passphrase", kdf=KDF_MIN)
    document = json.loads(path.read_bytes())
    document["kdf"]["memlimit"] = (1 << 30) + 1024  # beyond SENSITIVE: would take a GiB and seconds
    path.write_text(json.dumps(document))
    with pytest.raises(FormatError, match="out of range"):
        load_secret_key(path, passphrase=b"a long enough passphrase")


def test_a_card_fingerprint_by_the_documented_formula():
    """docs/keys.md §8.2: the fingerprint read aloud, recomputed from its description."""
    from secxfer.trust.cards import card_fingerprint, make_card, verify_card

    secret = generate_participant("mun-131016", "municipality", encryption="both", rng=os.urandom)
    card = verify_card(make_card(secret))

    def field(value: bytes) -> bytes:
        return len(value).to_bytes(8, "little") + value

    keys = [secret.encryption_public_key, secret.hybrid_public_key]
    digest = hashlib.sha256(b"secxfer-fingerprint-v1\0participant\0" + field(b"mun-131016") + field(b"municipality")
                            + b"".join(field(k) for k in keys) + field(secret.signing_public_key)).digest()
    crockford = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    text = base64.b32encode(digest).decode().translate(crockford)[:20]
    assert card_fingerprint(card) == "-".join(text[i:i + 4] for i in range(0, 20, 4))
