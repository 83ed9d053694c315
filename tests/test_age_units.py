"""Unit tests of the age layer's parts: keys, Bech32, header limits, determinism."""

from __future__ import annotations

import hashlib
import io

import pytest

import secxfer.age as age
from secxfer import limits
from secxfer.age import bech32, format
from secxfer.age._io import Source
from secxfer.age._labels import CHUNK_SIZE
from secxfer.errors import UsageError

# The example key pair of the specification (C2SP age.md).
SPEC_IDENTITY = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
SPEC_RECIPIENT = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"


def _counter_rng():
    state = {"n": 0}

    def rng(size: int) -> bytes:
        state["n"] += 1
        return hashlib.sha256(state["n"].to_bytes(4, "big")).digest()[:size].ljust(size, b"\x00")

    return rng


def test_spec_example_key_pair():
    identity = age.parse_identity(SPEC_IDENTITY)
    assert identity.recipient.encode() == SPEC_RECIPIENT
    assert identity.encode() == SPEC_IDENTITY
    assert age.parse_identity(SPEC_IDENTITY.lower()).encode() == SPEC_IDENTITY
    assert age.parse_recipient(SPEC_RECIPIENT.upper()).encode() == SPEC_RECIPIENT


@pytest.mark.parametrize(
    "text",
    [
        SPEC_RECIPIENT[:-1] + ("q" if SPEC_RECIPIENT[-1] != "q" else "p"),  # checksum
        SPEC_RECIPIENT[:10] + SPEC_RECIPIENT[10:].upper(),  # mixed case
        SPEC_RECIPIENT[:-8] + SPEC_RECIPIENT[-6:],  # truncated
        "age1" + "b" * 58,  # 'b' is not in the alphabet
        bech32.encode("age", bytes(31)),  # wrong length
        "",
    ],
)
def test_malformed_recipients_are_rejected(text):
    with pytest.raises(age.AgeKeyError):
        age.parse_recipient(text)


def test_unsupported_key_types_are_told_apart_from_broken_ones():
    with pytest.raises(age.AgeKeyError):
        age.parse_recipient(bech32.encode("age1pq", bytes(1215)))
    with pytest.raises(age.AgeUnsupportedError):
        age.parse_recipient(bech32.encode("age1yubikey", bytes(33)))
    with pytest.raises(age.AgeUnsupportedError):
        age.parse_recipient("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI")
    with pytest.raises(age.AgeUnsupportedError):
        age.parse_identity(bech32.encode("AGE-PLUGIN-YUBIKEY-", bytes(20)))
    with pytest.raises(age.AgeKeyError):
        age.parse_identity("not a key")


def test_bech32_rejects_non_canonical_padding():
    text = bech32.encode("age", bytes(32))
    hrp, data = bech32.decode(text)
    assert (hrp, data) == ("age", bytes(32))
    values = [bech32._VALUE[c] for c in text[4:-6]]
    values[-1] |= 1  # set a padding bit, then recompute a valid checksum
    body = "".join(bech32._CHARSET[v] for v in values)
    polymod = bech32._polymod(bech32._expand_hrp("age") + values + [0] * 6) ^ 1
    checksum = "".join(bech32._CHARSET[(polymod >> 5 * (5 - i)) & 31] for i in range(6))
    with pytest.raises(age.AgeKeyError, match="padding"):
        bech32.decode("age1" + body + checksum)


def test_identity_file_with_comments_and_several_keys():
    first, second = age.X25519Identity.generate(), age.X25519Identity.generate()
    text = f"# main\n{first.encode()}\n\n   # backup\n{second.encode()}\n"
    parsed = age.parse_identity_file(text)
    assert [i.recipient for i in parsed] == [first.recipient, second.recipient]
    with pytest.raises(age.AgeKeyError, match="no keys"):
        age.parse_identity_file("# only a comment\n")
    with pytest.raises(age.AgeKeyError, match="larger than"):
        age.parse_identity_file("#" * (limits.KEY_FILE_MAX_BYTES + 1))


def test_errors_never_echo_secret_keys():
    secret = age.X25519Identity.generate().encode()
    broken = secret[:-1] + ("Q" if secret[-1] != "Q" else "P")
    with pytest.raises(age.AgeKeyError) as caught:
        age.parse_identity_file(f"{broken}\n")
    assert secret[15:-6] not in str(caught.value)
    assert "line 1" in str(caught.value)
    assert secret not in repr(age.parse_identity(secret))


def test_deterministic_rng_gives_reproducible_files_and_os_urandom_does_not():
    recipient = age.parse_recipient(SPEC_RECIPIENT)
    one = age.encrypt_bytes([recipient], b"rows", rng=_counter_rng())
    two = age.encrypt_bytes([recipient], b"rows", rng=_counter_rng())
    assert one == two
    assert age.encrypt_bytes([recipient], b"rows") != age.encrypt_bytes([recipient], b"rows")
    assert age.decrypt_bytes([age.parse_identity(SPEC_IDENTITY)], one) == b"rows"


def test_rng_must_return_the_requested_size():
    with pytest.raises(ValueError, match="exactly 16 bytes"):
        age.encrypt_bytes([age.parse_recipient(SPEC_RECIPIENT)], b"x", rng=lambda n: b"short")


def test_chunk_observer_sees_every_plaintext_chunk_in_order():
    data = bytes(range(256)) * (5 * CHUNK_SIZE // 256) + b"tail"
    seen = []
    out = io.BytesIO()
    age.encrypt_stream([age.parse_recipient(SPEC_RECIPIENT)], io.BytesIO(data), out, chunk_observer=lambda v: seen.append(bytes(v)))
    assert b"".join(seen) == data and [len(c) for c in seen] == [CHUNK_SIZE] * 5 + [4]
    hashed = hashlib.sha256()
    age.decrypt_to_scratch([age.parse_identity(SPEC_IDENTITY)], io.BytesIO(out.getvalue()), io.BytesIO(), chunk_observer=hashed.update)
    assert hashed.digest() == hashlib.sha256(data).digest()


def test_multiple_identities_the_matching_one_need_not_be_first():
    wanted, unrelated = age.X25519Identity.generate(), age.X25519Identity.generate()
    sealed = age.encrypt_bytes([wanted.recipient], b"x")
    assert age.decrypt_bytes([unrelated, wanted], sealed) == b"x"
    with pytest.raises(age.AgeNoIdentityMatchError):
        age.decrypt_bytes([unrelated], sealed)
    with pytest.raises(UsageError):
        age.decrypt_bytes([], sealed)


def test_unknown_stanzas_are_ignored_and_serialised_canonically():
    identity = age.X25519Identity.generate()
    grease = format.Stanza(type="example.com/grease", args=("a", "b"), body=bytes(48))

    class Greasy:
        def wrap(self, file_key, rng=None):
            return [grease]

        def encode(self):
            return "grease"

    sealed = age.encrypt_bytes([Greasy(), identity.recipient], b"payload")
    assert b"-> example.com/grease a b\n" + b"A" * 64 + b"\n\n-> X25519 " in sealed
    assert age.decrypt_bytes([identity], sealed) == b"payload"
    header = age.read_header(io.BytesIO(sealed))
    assert [s.type for s in header.stanzas] == ["example.com/grease", "X25519"]


def test_recipients_with_different_labels_cannot_be_mixed():
    class PostQuantum:
        labels = frozenset({"postquantum"})

        def wrap(self, file_key, rng=None):
            return []

        def encode(self):
            return "pq"

    with pytest.raises(UsageError, match="cannot be mixed"):
        age.encrypt_bytes([PostQuantum(), age.parse_recipient(SPEC_RECIPIENT)], b"x")
    with pytest.raises(UsageError, match="no recipients"):
        age.encrypt_bytes([], b"x")


def _header_with(stanzas: int, body: int = 0) -> bytes:
    stanza = format.Stanza(type="x", body=bytes(body))
    return format.serialize([stanza] * stanzas, bytes(32))


def test_header_limits_are_enforced_before_anything_else():
    format.parse(Source(io.BytesIO(_header_with(limits.AGE_MAX_STANZAS))))
    with pytest.raises(age.AgeHeaderError, match="more than"):
        format.parse(Source(io.BytesIO(_header_with(limits.AGE_MAX_STANZAS + 1))))
    with pytest.raises(age.AgeHeaderError, match="stanza body is larger"):
        format.parse(Source(io.BytesIO(_header_with(1, limits.AGE_MAX_STANZA_BODY_BYTES + 3))))
    endless = b"age-encryption.org/v1\n-> x\n" + b"A" * (limits.AGE_MAX_HEADER_BYTES + 10)
    with pytest.raises(age.AgeHeaderError, match="longer than"):
        format.parse(Source(io.BytesIO(endless)))
    many_lines = b"age-encryption.org/v1\n" + b"-> x\n\n" * 20000
    with pytest.raises(age.AgeHeaderError):
        format.parse(Source(io.BytesIO(many_lines)))


def test_header_errors_say_where():
    text = b"age-encryption.org/v1\n-> X25519 abc\nnot base64!\n--- " + b"A" * 43 + b"\n"
    with pytest.raises(age.AgeHeaderError) as caught:
        format.parse(Source(io.BytesIO(text)))
    assert caught.value.location == "line 3" and "line 3" in str(caught.value)
    with pytest.raises(age.AgeHeaderError, match="unsupported age format version 'v2'"):
        format.parse(Source(io.BytesIO(b"age-encryption.org/v2\n")))
    with pytest.raises(age.AgeHeaderError, match="not an age file"):
        format.parse(Source(io.BytesIO(b"PK\x03\x04 zip file\n")))


def test_scrypt_work_factor_limit_is_checked_before_deriving():
    stanza = format.Stanza(type="scrypt", args=("A" * 22, "40"), body=bytes(32))
    with pytest.raises(age.AgeHeaderError, match="exceeds the limit"):
        age.ScryptIdentity("pw").unwrap([stanza])
    huge = format.Stanza(type="scrypt", args=("A" * 22, "9" * 5000), body=bytes(32))
    with pytest.raises(age.AgeHeaderError, match="exceeds the limit"):
        age.ScryptIdentity("pw").unwrap([huge])


def test_armor_detection_and_strictness():
    identity = age.X25519Identity.generate()
    armored = age.encrypt_bytes([identity.recipient], b"x" * 500, armor=True)
    assert age.decrypt_bytes([identity], b"\n \t\r\n" + armored + b"\n\n") == b"x" * 500
    with pytest.raises(age.AgeArmorError):
        age.decrypt_bytes([identity], armored.replace(b"\n", b"\n ", 2))
    with pytest.raises(age.AgeArmorError, match="whitespace"):
        age.decrypt_bytes([identity], b" " * 5000 + armored)
    binary = age.encrypt_bytes([identity.recipient], b"y")
    with pytest.raises(age.AgeArmorError):
        age.decrypt_bytes([identity], binary, armored=True)
    with pytest.raises(age.AgeHeaderError):
        age.decrypt_bytes([identity], armored, armored=False)
