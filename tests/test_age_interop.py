"""Interoperability with the stock ``age`` command, both directions.

Payload sizes sit on the STREAM chunk boundaries (0, 1, 64 KiB, 64 KiB + 1) plus a
multi-MiB file that spans several write-behind batches; files go to one and to
several recipients, through the library and through the CLI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import secxfer.age as age
from secxfer.cli import run

SIZES = [0, 1, 65536, 65537, 3 * 1024 * 1024 + 7]


def _payload(size: int) -> bytes:
    block = os.urandom(min(size, 1 << 20) or 1)
    return (block * (size // len(block) + 1))[:size]


def _age_keygen(tmp: Path, name: str) -> tuple[Path, str]:
    path = tmp / name
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True)
    public = subprocess.run(["age-keygen", "-y", str(path)], check=True, capture_output=True, text=True).stdout.strip()
    return path, public


def _age(age_binary: str, *args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run([age_binary, *args], input=stdin, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.fixture
def keys(tmp_path):
    """Two identities made by age-keygen and one made by secxfer."""
    first, first_public = _age_keygen(tmp_path, "age-a.txt")
    second, second_public = _age_keygen(tmp_path, "age-b.txt")
    ours = age.X25519Identity.generate()
    ours_path = tmp_path / "ours.key"
    ours_path.write_text(age.keys.identity_file_text(ours))
    return {
        "age_a": (first, first_public),
        "age_b": (second, second_public),
        "ours": (ours_path, ours.recipient.encode()),
    }


@pytest.mark.parametrize("size", SIZES)
def test_library_decrypts_what_age_encrypted(age_binary, keys, tmp_path, size):
    data = _payload(size)
    plain = tmp_path / "plain"
    plain.write_bytes(data)
    sealed = _age(age_binary, "-r", keys["age_a"][1], "-r", keys["ours"][1], str(plain))
    for key_file in (keys["age_a"][0], keys["ours"][0]):
        identities = age.keys.load_identity_file(key_file)
        assert age.decrypt_bytes(identities, sealed) == data


@pytest.mark.parametrize("size", SIZES)
def test_age_decrypts_what_the_library_encrypted(age_binary, keys, tmp_path, size):
    data = _payload(size)
    recipients = [age.parse_recipient(keys[name][1]) for name in ("age_a", "age_b", "ours")]
    sealed = tmp_path / "sealed.age"
    sealed.write_bytes(age.encrypt_bytes(recipients, data))
    for name in ("age_a", "age_b", "ours"):  # ours: age reads our identity file format too
        assert _age(age_binary, "-d", "-i", str(keys[name][0]), str(sealed)) == data


def test_single_recipient_both_ways(age_binary, keys, tmp_path):
    data = _payload(200_000)
    sealed = tmp_path / "one.age"
    sealed.write_bytes(age.encrypt_bytes([age.parse_recipient(keys["age_b"][1])], data))
    assert _age(age_binary, "-d", "-i", str(keys["age_b"][0]), str(sealed)) == data
    back = _age(age_binary, "-r", keys["ours"][1], stdin=data)
    assert age.decrypt_bytes(age.keys.load_identity_file(keys["ours"][0]), back) == data


def test_armor_both_ways(age_binary, keys, tmp_path):
    data = _payload(100_000)
    armored = _age(age_binary, "-a", "-r", keys["ours"][1], stdin=data)
    assert armored.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n")
    assert age.decrypt_bytes(age.keys.load_identity_file(keys["ours"][0]), armored) == data
    ours = tmp_path / "ours.asc"
    ours.write_bytes(age.encrypt_bytes([age.parse_recipient(keys["age_a"][1])], data, armor=True))
    assert _age(age_binary, "-d", "-i", str(keys["age_a"][0]), str(ours)) == data


@pytest.mark.parametrize("size", [0, 65537, 3 * 1024 * 1024 + 7])
def test_cli_files_both_ways(age_binary, keys, tmp_path, size):
    data = _payload(size)
    plain = tmp_path / "plain.csv"
    plain.write_bytes(data)
    recipients_file = tmp_path / "recipients.txt"
    recipients_file.write_text(f"# main and backup\n{keys['age_a'][1]}\n\n{keys['age_b'][1]}\n")
    ours_sealed = tmp_path / "ours.age"
    code = run(["age", "encrypt", "-r", keys["ours"][1], "-R", str(recipients_file), "-o", str(ours_sealed), str(plain)])
    assert code == 0
    for name in ("age_a", "age_b"):
        assert _age(age_binary, "-d", "-i", str(keys[name][0]), str(ours_sealed)) == data
    theirs_sealed = tmp_path / "theirs.age"
    _age(age_binary, "-r", keys["ours"][1], "-r", keys["age_a"][1], "-o", str(theirs_sealed), str(plain))
    out = tmp_path / "out.csv"
    assert run(["age", "decrypt", "-i", str(keys["ours"][0]), "-o", str(out), str(theirs_sealed)]) == 0
    assert out.read_bytes() == data
    assert (out.stat().st_mode & 0o777) == 0o600


def test_cli_pipes_both_ways(age_binary, keys):
    """stdin to stdout through real processes, the way operators chain commands."""
    data = _payload(1_500_000)
    secxfer = [sys.executable, "-m", "secxfer", "age"]
    sealed = subprocess.run([*secxfer, "encrypt", "-r", keys["age_a"][1]], input=data, capture_output=True, check=True).stdout
    assert _age(age_binary, "-d", "-i", str(keys["age_a"][0]), stdin=sealed) == data
    theirs = _age(age_binary, "-r", keys["ours"][1], stdin=data)
    plain = subprocess.run([*secxfer, "decrypt", "-i", str(keys["ours"][0])], input=theirs, capture_output=True, check=True)
    assert plain.stdout == data


def test_age_keygen_identity_file_and_our_keygen_file_are_interchangeable(age_binary, tmp_path, capsys):
    key = tmp_path / "mine.key"
    assert run(["age", "keygen", "-o", str(key)]) == 0
    printed = capsys.readouterr().out.strip()
    derived = subprocess.run(["age-keygen", "-y", str(key)], check=True, capture_output=True, text=True).stdout.strip()
    assert printed == derived
    their_key, their_public = _age_keygen(tmp_path, "theirs.txt")
    (identity,) = age.keys.load_identity_file(their_key)
    assert identity.recipient.encode() == their_public
