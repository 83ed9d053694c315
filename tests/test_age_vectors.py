"""Every vector of the shared age test kit (C2SP CCTV), read in place.

Each vector either passes (success with the expected payload hash, or the expected
failure class with nothing released) or is counted as unsupported because it needs
a key type we do not implement (AgeUnsupportedError; today none: X25519, the
post-quantum hybrid, scrypt and armor are all implemented). Nothing is skipped
silently: the counts must add up to the number of vector files, and the families
the brief requires must pass outright.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import secxfer.age as age
from secxfer.age import _crypto, format, stream
from secxfer.age._io import Source
from secxfer.age.armor import ArmorReader, ArmorWriter
from secxfer.errors import IntegrityError

# The implementation's answer for each failure class of the kit, checked most
# specific first (AgeNoIdentityMatchError and AgeHeaderMacError share a base).
FAILURE_CLASSES = [
    ("armor failure", age.AgeArmorError),
    ("HMAC failure", age.AgeHeaderMacError),
    ("no match", age.AgeNoIdentityMatchError),
    ("payload failure", age.AgePayloadError),
    ("header failure", age.AgeHeaderError),
]
NOT_VECTORS = {"README.md", "LICENSE"}

# -- reading the kit's file format ----------------------------------------------------


@dataclass
class Vector:
    name: str
    expect: str
    payload_sha256: str | None
    file_key: bytes | None
    identities: list[str] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)
    armored: bool = False
    data: bytes = b""

    def sha256_ok(self, plaintext: bytes) -> bool:
        return hashlib.sha256(plaintext).hexdigest() == self.payload_sha256


def load(path: Path) -> Vector:
    raw = path.read_bytes()
    head, separator, body = raw.partition(b"\n\n")
    assert separator, f"{path.name}: no blank line after the vector header"
    vector = Vector(name=path.name, expect="", payload_sha256=None, file_key=None)
    compressed = False
    for line in head.decode("utf-8").splitlines():
        key, _, value = line.partition(": ")
        if key == "expect":
            vector.expect = value
        elif key == "payload":
            vector.payload_sha256 = value
        elif key == "file key":
            vector.file_key = bytes.fromhex(value)
        elif key == "identity":
            vector.identities.append(value)
        elif key == "passphrase":
            vector.passphrases.append(value)
        elif key == "armored":
            vector.armored = value == "yes"
        elif key == "compressed":
            assert value == "zlib", f"{path.name}: unknown compression {value!r}"
            compressed = True
        elif key != "comment":
            raise AssertionError(f"{path.name}: unknown vector header key {key!r}")
    vector.data = zlib.decompress(body) if compressed else body
    return vector


@functools.lru_cache(maxsize=2)
def all_vectors(kit: Path) -> list[Vector]:
    return [load(path) for path in sorted(kit.iterdir()) if path.is_file() and path.name not in NOT_VECTORS]


# -- the checks --------------------------------------------------------------------------


def _identities(vector: Vector) -> list:
    return [age.parse_identity(text) for text in vector.identities] + [
        age.ScryptIdentity(passphrase) for passphrase in vector.passphrases
    ]


def _read_all(source: Source) -> bytes:
    parts = []
    while block := source.read(1 << 20):
        parts.append(block)
    return b"".join(parts)


def _classify(error: Exception) -> str:
    for name, cls in FAILURE_CLASSES:
        if isinstance(error, cls):
            return name
    raise AssertionError(f"unexpected error class {type(error).__name__}: {error}")


def _outcome(vector: Vector, tmp: Path) -> str:
    """Run one vector through decrypt_bytes and decrypt_to_path; return what happened."""
    try:
        identities = _identities(vector)
    except age.AgeUnsupportedError:
        return "unsupported"
    armored = True if vector.armored else None
    out = tmp / f"{vector.name}.out"
    try:
        plaintext = age.decrypt_bytes(identities, vector.data, armored=armored)
    except IntegrityError as error:
        got = _classify(error)
        # The file path variant must fail the same way and leave nothing behind.
        with pytest.raises(IntegrityError) as again:
            age.decrypt_to_path(identities, io.BytesIO(vector.data), out, armored=armored)
        assert _classify(again.value) == got, vector.name
        assert not out.exists() and not any(tmp.iterdir()), f"{vector.name}: output left after failure"
        return got
    if not vector.sha256_ok(plaintext):
        return "payload hash mismatch"
    size = age.decrypt_to_path(identities, io.BytesIO(vector.data), out, armored=armored)
    assert size == len(plaintext) and out.read_bytes() == plaintext, vector.name
    out.unlink()
    return "success"


def test_every_vector_passes_or_is_counted_unsupported(age_testkit, tmp_path, capsys):
    vectors = all_vectors(age_testkit)
    assert len(vectors) >= 140, "the shared test kit looks incomplete"
    passed, unsupported, wrong = [], [], []
    for vector in vectors:
        got = _outcome(vector, tmp_path)
        if got == vector.expect:
            passed.append(vector.name)
        elif got == "unsupported":
            unsupported.append(vector.name)
        else:
            wrong.append(f"{vector.name}: expected {vector.expect!r}, got {got!r}")
    with capsys.disabled():
        print(
            f"\nage test vectors: {len(passed)} passed, {len(unsupported)} unsupported, "
            f"{len(wrong)} wrong, {len(vectors)} files"
        )
    assert not wrong, "\n".join(wrong)
    assert len(passed) + len(unsupported) == len(vectors)
    required = ("x25519", "stream", "stanza", "hmac", "header", "version", "empty")
    for vector in vectors:
        if vector.name.startswith(required):
            assert vector.name in passed, f"{vector.name} must pass"
    # Optional families implemented here: hold them to passing too, so a regression shows.
    assert unsupported == [], unsupported


def test_armored_success_vectors_are_detected_without_being_told(age_testkit):
    checked = 0
    for vector in all_vectors(age_testkit):
        if vector.armored and vector.expect == "success":
            plaintext = age.decrypt_bytes(_identities(vector), vector.data)
            assert vector.sha256_ok(plaintext), vector.name
            checked += 1
    assert checked >= 5


def test_headers_reserialize_byte_for_byte(age_testkit):
    """Any vector whose header parses re-encodes to exactly the same bytes."""
    checked = 0
    for vector in all_vectors(age_testkit):
        if vector.armored or vector.expect == "header failure":
            continue
        source = Source(io.BytesIO(vector.data))
        header = format.parse(source)
        rest = _read_all(source)
        assert format.serialize(header.stanzas, header.mac) + rest == vector.data, vector.name
        assert header.size == len(vector.data) - len(rest)
        checked += 1
    assert checked >= 45


def test_stream_reencrypts_identically_with_the_vector_file_key(age_testkit):
    """STREAM is deterministic given key and nonce: success payloads re-encrypt byte for byte."""
    checked = 0
    for vector in all_vectors(age_testkit):
        if vector.armored or vector.expect != "success" or vector.file_key is None:
            continue
        source = Source(io.BytesIO(vector.data))
        format.parse(source)
        payload = _read_all(source)
        nonce, sealed = payload[:16], payload[16:]
        aead = _crypto.payload_aead(vector.file_key, nonce)
        plain = bytearray()
        stream.decrypt(aead, Source(io.BytesIO(sealed)), plain.extend)
        again = bytearray()
        stream.encrypt(aead, Source(io.BytesIO(bytes(plain))), again.extend)
        assert bytes(again) == sealed, vector.name
        checked += 1
    assert checked >= 15


def test_armor_reencodes_to_the_normalised_input(age_testkit):
    """Armor round trip, allowing only what the format tolerates (CRLF, outer whitespace)."""
    checked = 0
    for vector in all_vectors(age_testkit):
        if not vector.armored or vector.expect == "armor failure":
            continue
        reader = ArmorReader(Source(io.BytesIO(vector.data)))
        decoded = _read_all(Source(reader))
        assert reader.readinto(memoryview(bytearray(1))) == 0
        out = io.BytesIO()
        writer = ArmorWriter(out)
        writer.write(decoded)
        writer.close()
        expected = vector.data.replace(b"\r\n", b"\n").strip() + b"\n"
        assert out.getvalue() == expected, vector.name
        checked += 1
    assert checked >= 8


def test_vectors_are_read_in_place_not_copied():
    repo = Path(__file__).resolve().parent.parent
    copies = [p for p in repo.rglob("x25519_low_order") if ".git" not in p.parts]
    assert copies == [], "test vectors must stay in ../shared/testkit/age"
    assert os.path.basename(__file__) == "test_age_vectors.py"
