"""``secxfer age`` commands: keygen, encrypt, decrypt, inspect, errors and memory."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import secxfer.age as age
from secxfer.cli import run
from secxfer.errors import EXIT_INTEGRITY, EXIT_OPERATIONAL, EXIT_USAGE


def _keygen(key: Path, capsys) -> str:
    assert run(["age", "keygen", "-o", str(key)]) == 0
    return capsys.readouterr().out.strip()


def test_keygen_writes_an_owner_only_identity_file_and_prints_the_recipient(tmp_path, capsys):
    key = tmp_path / "me.key"
    recipient = _keygen(key, capsys)
    assert recipient.startswith("age1") and len(recipient) == 62
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    lines = key.read_text().splitlines()
    assert lines[0].startswith("# created: ") and lines[1] == f"# public key: {recipient}"
    (identity,) = age.keys.load_identity_file(key)
    assert identity.recipient.encode() == recipient


def test_keygen_refuses_to_overwrite(tmp_path, capsys):
    key = tmp_path / "me.key"
    _keygen(key, capsys)
    before = key.read_bytes()
    assert run(["age", "keygen", "-o", str(key)]) == EXIT_OPERATIONAL
    assert "already exists" in capsys.readouterr().err
    assert key.read_bytes() == before


def test_keygen_to_stdout_puts_the_public_key_on_stderr():
    english = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    done = subprocess.run([sys.executable, "-m", "secxfer", "age", "keygen"], capture_output=True, text=True,
                          check=True, env=english)
    identity = age.parse_identity_file(done.stdout)[0]
    assert done.stderr.strip() == f"Public key: {identity.recipient.encode()}"


def test_encrypt_decrypt_round_trip_and_inspect(tmp_path, capsys):
    key = tmp_path / "me.key"
    recipient = _keygen(key, capsys)
    plain = tmp_path / "rows.csv"
    plain.write_bytes("氏名,住居地\r\nTARO,131016\r\n".encode("cp932"))
    sealed, out = tmp_path / "rows.csv.age", tmp_path / "back.csv"
    assert run(["age", "encrypt", "-r", recipient, "-o", str(sealed), str(plain)]) == 0
    assert run(["age", "decrypt", "-i", str(key), "-o", str(out), str(sealed)]) == 0
    assert out.read_bytes() == plain.read_bytes()
    capsys.readouterr()
    assert run(["age", "inspect", str(sealed)]) == 0
    shown = capsys.readouterr().out
    assert "1 recipient stanza" in shown and "'X25519'" in shown and "not authenticated" in shown


def test_armored_output_via_cli(tmp_path, capsys):
    key = tmp_path / "me.key"
    recipient = _keygen(key, capsys)
    plain, sealed, out = tmp_path / "p", tmp_path / "p.asc", tmp_path / "p.out"
    plain.write_bytes(b"x" * 1000)
    assert run(["age", "encrypt", "-a", "-r", recipient, "-o", str(sealed), str(plain)]) == 0
    assert sealed.read_bytes().startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    assert run(["age", "decrypt", "-i", str(key), "-o", str(out), str(sealed)]) == 0
    assert out.read_bytes() == plain.read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-1],  # truncated
        lambda b: b + b"\x00",  # appended
        lambda b: b[:-5] + bytes([b[-5] ^ 1]) + b[-4:],  # payload bit flip
        lambda b: b.replace(b"--- ", b"--- A", 1)[: len(b)],  # broken MAC line
        lambda b: b[:40] + bytes([b[40] ^ 1]) + b[41:],  # stanza share changed
    ],
    ids=["truncated", "appended", "payload-flip", "mac-line", "stanza"],
)
def test_decrypt_failures_exit_3_and_leave_no_output(tmp_path, capsys, damage):
    key = tmp_path / "me.key"
    recipient = _keygen(key, capsys)
    plain, sealed, out = tmp_path / "p", tmp_path / "p.age", tmp_path / "p.out"
    plain.write_bytes(os.urandom(70_000))
    assert run(["age", "encrypt", "-r", recipient, "-o", str(sealed), str(plain)]) == 0
    sealed.write_bytes(damage(sealed.read_bytes()))
    capsys.readouterr()
    assert run(["age", "decrypt", "-i", str(key), "-o", str(out), str(sealed)]) == EXIT_INTEGRITY
    err = capsys.readouterr().err
    assert err.startswith("secxfer: error: ") and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["me.key", "p", "p.age"]


def test_decrypt_to_stdout_releases_nothing_on_failure(tmp_path, capsys):
    key = tmp_path / "me.key"
    recipient = _keygen(key, capsys)
    sealed = age.encrypt_bytes([age.parse_recipient(recipient)], os.urandom(3 << 20))
    done = subprocess.run(
        [sys.executable, "-m", "secxfer", "age", "decrypt", "-i", str(key)], input=sealed[:-1], capture_output=True
    )
    assert done.returncode == EXIT_INTEGRITY
    assert done.stdout == b"", "plaintext must not reach stdout before the whole file authenticated"
    assert b"corrupted or tampered" in done.stderr


def test_wrong_key_is_no_match_exit_3(tmp_path, capsys):
    key, other = tmp_path / "me.key", tmp_path / "other.key"
    recipient = _keygen(key, capsys)
    _keygen(other, capsys)
    plain, sealed, out = tmp_path / "p", tmp_path / "p.age", tmp_path / "p.out"
    plain.write_bytes(b"rows")
    assert run(["age", "encrypt", "-r", recipient, "-o", str(sealed), str(plain)]) == 0
    capsys.readouterr()
    assert run(["age", "decrypt", "-i", str(other), "-o", str(out), str(sealed)]) == EXIT_INTEGRITY
    assert "none of the 1 identities" in capsys.readouterr().err
    assert not out.exists()


def test_usage_errors(tmp_path, capsys):
    plain = tmp_path / "p"
    plain.write_bytes(b"x")
    assert run(["age", "encrypt", "-o", str(tmp_path / "o"), str(plain)]) == EXIT_USAGE
    assert "no recipients" in capsys.readouterr().err
    assert run(["age", "decrypt", "-o", str(tmp_path / "o"), str(plain)]) == EXIT_USAGE
    assert "-i/--identity" in capsys.readouterr().err
    assert run(["age", "encrypt", "-r", "age1notakey", "-o", str(tmp_path / "o"), str(plain)]) == EXIT_INTEGRITY
    plugin = age.bech32.encode("age1yubikey", bytes(33))
    assert run(["age", "encrypt", "-r", plugin, "-o", str(tmp_path / "o"), str(plain)]) == EXIT_INTEGRITY
    assert "not supported" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_identity_file_errors_name_the_line_but_never_the_key(tmp_path, capsys):
    key = tmp_path / "me.key"
    _keygen(key, capsys)
    secret = key.read_text().splitlines()[2]
    broken = tmp_path / "broken.key"
    broken.write_text(f"# comment\n\n{secret[:-1]}x\n")
    assert run(["age", "decrypt", "-i", str(broken), "-o", str(tmp_path / "o"), str(key)]) == EXIT_INTEGRITY
    err = capsys.readouterr().err
    assert "identity file line 3" in err and secret[15:40] not in err


def test_binary_is_never_written_to_a_terminal(tmp_path, monkeypatch, capsys):
    key = tmp_path / "me.key"
    recipient = _keygen(key, capsys)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"secret rows")))
    assert run(["age", "encrypt", "-r", recipient]) == EXIT_USAGE
    assert run(["age", "decrypt", "-i", str(key)]) == EXIT_USAGE
    assert "terminal" in capsys.readouterr().err


# A tiny parent for the measured process: ru_maxrss survives fork and exec, so a
# child forked straight from pytest would report pytest's own size.
_LAUNCHER = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "open(sys.argv[1], 'w').write(f'{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}')\n"
)


def test_encrypting_one_gib_from_a_pipe_keeps_peak_memory_flat(tmp_path, capsys):
    """Peak RSS (ru_maxrss) of the encrypting process stays under 64 MiB for a 1 GiB stream."""
    key = tmp_path / "me.key"
    recipient = _keygen(key, capsys)
    report = tmp_path / "rusage"
    command = [sys.executable, "-m", "secxfer", "age", "encrypt", "-r", recipient]
    launcher = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, str(report), *command],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    counted = {"out": 0}

    def drain() -> None:
        while block := launcher.stdout.read(1 << 20):
            counted["out"] += len(block)

    reader = threading.Thread(target=drain)
    reader.start()
    block = bytes(range(256)) * 4096  # 1 MiB, generated, never on disk
    started = time.monotonic()
    for _ in range(1024):
        launcher.stdin.write(block)
    launcher.stdin.close()
    reader.join()
    assert launcher.wait() == 0, launcher.stderr.read().decode()
    elapsed = time.monotonic() - started
    code, max_rss_kib = map(int, report.read_text().split())
    assert code == 0
    chunks = (1 << 30) // (64 * 1024)
    assert counted["out"] > (1 << 30) + chunks * 16
    peak_mib = max_rss_kib / 1024  # Linux reports KiB
    print(f"\n1 GiB encrypt through pipes: peak RSS {peak_mib:.1f} MiB, {elapsed:.1f} s")
    assert peak_mib < 64, f"peak RSS {peak_mib:.1f} MiB"
