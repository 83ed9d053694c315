"""The post-quantum hybrid recipient type (ML-KEM-768 + X25519, ``age1pq1...``)."""

from __future__ import annotations

import hashlib
import io

import pytest

import secxfer.age as age
from secxfer.age import format
from secxfer.age.hybrid import ENC_SIZE, HybridIdentity
from secxfer.cli import run
from secxfer.errors import UsageError

# The example of the specification (C2SP age.md); the recipient is 1,959 characters,
# so the test pins its SHA-256 instead of repeating it.
SPEC_IDENTITY = "AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR"
SPEC_RECIPIENT_SHA256 = "a091dd7e0ee9d62b75173dcc98441a0424baa941e66a8776e570a4ae60ff61ea"


def test_spec_example_identity_gives_the_spec_recipient():
    identity = age.parse_identity(SPEC_IDENTITY)
    assert isinstance(identity, HybridIdentity)
    recipient = identity.recipient.encode()
    assert recipient.startswith("age1pq1") and len(recipient) == 1959
    assert hashlib.sha256(recipient.encode()).hexdigest() == SPEC_RECIPIENT_SHA256
    assert age.parse_recipient(recipient) == identity.recipient
    assert identity.encode() == SPEC_IDENTITY


@pytest.mark.parametrize("size", [0, 1, 65536, 65537])
def test_round_trip_with_several_hybrid_recipients(size):
    main, backup = age.HybridIdentity.generate(), age.HybridIdentity.generate()
    data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    sealed = age.encrypt_bytes([main.recipient, backup.recipient], data)
    header = age.read_header(io.BytesIO(sealed))
    assert [s.type for s in header.stanzas] == ["mlkem768x25519"] * 2
    assert all(len(s.body) == 32 and len(s.args) == 1 for s in header.stanzas)
    assert age.decrypt_bytes([backup], sealed) == data
    assert age.decrypt_bytes([age.X25519Identity.generate(), main], sealed) == data


def test_hybrid_and_classic_recipients_are_never_mixed():
    with pytest.raises(UsageError, match="cannot be mixed"):
        age.encrypt_bytes([age.HybridIdentity.generate().recipient, age.X25519Identity.generate().recipient], b"x")


def test_malformed_hybrid_stanzas_are_header_errors_and_wrong_keys_no_match():
    identity = age.HybridIdentity.generate()
    (stanza,) = identity.recipient.wrap(bytes(16))
    assert identity.unwrap([stanza]) == bytes(16)
    assert age.HybridIdentity.generate().unwrap([stanza]) is None
    bad = [
        format.Stanza(type=stanza.type, args=(*stanza.args, "extra"), body=stanza.body),
        format.Stanza(type=stanza.type, args=(stanza.args[0][:-4],), body=stanza.body),
        format.Stanza(type=stanza.type, args=stanza.args, body=stanza.body + b"\x00"),
    ]
    for broken in bad:
        with pytest.raises(age.AgeHeaderError):
            identity.unwrap([broken])
    assert len(age.bech32.decode(identity.recipient.encode())[1]) == 1216 and ENC_SIZE == 1120


def test_cli_keygen_pq_and_round_trip(tmp_path, capsys):
    key, plain, sealed, out = tmp_path / "pq.key", tmp_path / "p", tmp_path / "p.age", tmp_path / "p.out"
    assert run(["age", "keygen", "--pq", "-o", str(key)]) == 0
    recipient = capsys.readouterr().out.strip()
    assert recipient.startswith("age1pq1")
    assert "AGE-SECRET-KEY-PQ-1" in key.read_text()
    plain.write_bytes(b"rows\r\n" * 1000)
    assert run(["age", "encrypt", "-r", recipient, "-o", str(sealed), str(plain)]) == 0
    assert run(["age", "decrypt", "-i", str(key), "-o", str(out), str(sealed)]) == 0
    assert out.read_bytes() == plain.read_bytes()
