"""Bulk throughput: encrypt, decrypt and relay N bytes with secxfer and with every peer.

All contenders of one operation run in the same rounds on the same file (rotated
order, medians). MB/s is 10^6 bytes per second of plaintext. Secxfer rows:

* ``secxfer age (library)`` — ``encrypt_stream`` / ``decrypt_to_path`` in this process;
* ``secxfer age (CLI)`` — ``secxfer age encrypt|decrypt``, start-up included; the
  decrypted output is fsynced and renamed only after the last chunk authenticated;
* ``secxfer sealed package`` — sign + encrypt through the package layer (see
  :mod:`suite.sealed`); open = decrypt + verify everything at central;
* ``secxfer relay`` — central receives the package and writes one for the federation.

Peers: stock ``age``; ``pyrage`` (rage's Rust core, in this process) or a ``rage``
binary; ``gpg -se -z 0`` (sign + encrypt, no compression) and ``gpg -d`` (decrypt +
verify); ``age`` + ``minisign`` (encrypt, then sign the ciphertext; verify, then
decrypt); the ``age -d | age -r`` pipe for the relay hop.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from suite import sealed
from suite.measure import median, openssl_speed, paired, run, shell
from suite.peers import Peers, PeerKeys, close_gpg, make_keys

MIB = 1 << 20
OPENSSL_AEAD = "openssl chacha20-poly1305 (1 core, 64 KiB)"
OPENSSL_SHA256 = "openssl sha256 (1 core, 64 KiB)"
PYTHON_AEAD = "ChaCha20-Poly1305 loop in Python (encrypt_into, 64 KiB)"
SECXFER_ROWS = ("secxfer age (library)", "secxfer age (CLI)", "secxfer sealed package", "secxfer relay")
# Which peer fills which ratio column of the report, per operation.
PEER_COLUMNS = {
    "age": ("age", "age -d | age -r"),
    "pyrage": ("pyrage (library)", "rage"),
    "gpg": ("gpg -se -z 0", "gpg -d (decrypt + verify)"),
    "age + minisign": ("age + minisign", "minisign -V + age -d"),
}


def _aead_loop_mb_per_s(size: int) -> float:
    """The bare ChaCha20-Poly1305 ``encrypt_into`` loop over 64 KiB chunks in this process."""
    import time

    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    aead = ChaCha20Poly1305(os.urandom(32))
    chunk = os.urandom(64 * 1024)
    out = bytearray(len(chunk) + 16)
    count = max(1, size // len(chunk))
    started = time.perf_counter()
    for counter in range(count):
        aead.encrypt_into(counter.to_bytes(11, "big") + b"\x00", chunk, None, out)
    return count * len(chunk) / (time.perf_counter() - started) / 1e6


def ceilings(rounds: int = 3) -> dict[str, float | None]:
    """openssl's single-core rates and the in-process AEAD loop, alternated in the same rounds (medians)."""
    samples: dict[str, list[float]] = {OPENSSL_AEAD: [], OPENSSL_SHA256: [], PYTHON_AEAD: []}
    for _ in range(rounds):
        for name, action in ((OPENSSL_AEAD, lambda: openssl_speed("chacha20-poly1305", seconds=1)),
                             (PYTHON_AEAD, lambda: _aead_loop_mb_per_s(512 * MIB)),
                             (OPENSSL_SHA256, lambda: openssl_speed("sha256", seconds=1))):
            value = action()
            if value is not None:
                samples[name].append(value)
    return {name: median(values) if values else None for name, values in samples.items()}


def _cases(fx: sealed.Fixture, keys: PeerKeys, peers: Peers, work: Path, secxfer_cli: list[str]):
    """Encrypt, decrypt and relay cases; each returns (cases, reference file for decrypts)."""
    import secxfer.age as age

    plain, out = fx.plain, work / "out"
    identity = fx.central.encryption_identity
    recipient = identity.recipient
    ref = work / "ref.age"
    with plain.open("rb") as src, ref.open("wb") as dst:
        age.encrypt_stream([recipient], src, dst)
    package = sealed.seal_package(fx, work / "ref-medium").path

    def lib_encrypt() -> None:
        with plain.open("rb") as src, out.open("wb") as dst:
            age.encrypt_stream([recipient], src, dst)

    def lib_decrypt() -> None:
        with ref.open("rb") as src:
            age.decrypt_to_path([identity], src, out)

    r, k = keys.age_recipient, str(keys.age_identity)
    enc: dict[str, Callable[[], object]] = {
        "secxfer age (library)": lib_encrypt,
        "secxfer age (CLI)": lambda: run([*secxfer_cli, "age", "encrypt", "-r", r, "-o", str(out), str(plain)]),
        "secxfer sealed package": lambda: sealed.seal_package(fx, work / "sealed-out"),
    }
    dec: dict[str, Callable[[], object]] = {
        "secxfer age (library)": lib_decrypt,
        "secxfer age (CLI)": lambda: run([*secxfer_cli, "age", "decrypt", "-i", k, "-o", str(out), str(ref)]),
        "secxfer sealed package": lambda: sealed.open_sealed(fx, package, work / "central-home"),
    }
    relay_cases: dict[str, Callable[[], object]] = {
        "secxfer relay": lambda: sealed.relay_sealed(fx, package, work / "central-home", work / "relay-out")}
    if peers.has("age"):
        enc["age"] = lambda: run(["age", "-r", r, "-o", str(out), str(plain)])
        dec["age"] = lambda: run(["age", "-d", "-i", k, "-o", str(out), str(ref)])
        relay_cases["age -d | age -r"] = lambda: shell(f"age -d -i '{k}' '{ref}' | age -r {r} -o '{out}'")
    if peers.has("rage"):
        enc["rage"] = lambda: run(["rage", "-r", r, "-o", str(out), str(plain)])
        dec["rage"] = lambda: run(["rage", "-d", "-i", k, "-o", str(out), str(ref)])
    if peers.has("pyrage"):
        import pyrage

        py_recipient = pyrage.x25519.Recipient.from_str(r)
        py_identity = pyrage.x25519.Identity.from_str(keys.age_identity.read_text().split("\n")[-2].strip())
        enc["pyrage (library)"] = lambda: pyrage.encrypt_file(str(plain), str(out), [py_recipient])
        dec["pyrage (library)"] = lambda: pyrage.decrypt_file(str(ref), str(out), [py_identity])
    if peers.has("gpg"):
        signed = work / "ref.gpg"
        gpg = ["gpg", "--batch", "--quiet", "--yes", "--pinentry-mode", "loopback", "--passphrase", ""]
        env = keys.gpg_env()
        run([*gpg, "-se", "-z", "0", "-u", keys.gpg_user, "-r", keys.gpg_user, "-o", str(signed), str(plain)], env=env)
        enc["gpg -se -z 0"] = lambda: run(
            [*gpg, "-se", "-z", "0", "-u", keys.gpg_user, "-r", keys.gpg_user, "-o", str(out), str(plain)], env=env)
        dec["gpg -d (decrypt + verify)"] = lambda: run([*gpg, "-d", "-o", str(out), str(signed)], env=env)
    if peers.has("age") and peers.has("minisign"):
        s, p = keys.minisign_secret, keys.minisign_public
        shell(f"minisign -S -s '{s}' -m '{ref}' -x '{ref}.minisig' >/dev/null")
        enc["age + minisign"] = lambda: shell(
            f"age -r {r} -o '{out}' '{plain}' && minisign -S -s '{s}' -m '{out}' -x '{out}.minisig' >/dev/null")
        dec["minisign -V + age -d"] = lambda: shell(
            f"minisign -V -q -p '{p}' -m '{ref}' -x '{ref}.minisig' && age -d -i '{k}' -o '{out}' '{ref}'")
    return {"encrypt": enc, "decrypt": dec, "relay": relay_cases}


def _clean(work: Path) -> None:
    for name in ("out", "out.minisig"):
        (work / name).unlink(missing_ok=True)
    for name in ("relay-out", "sealed-out"):
        shutil.rmtree(work / name, ignore_errors=True)


def measure(size_mib: int, runs: int, work: Path, peers: Peers, secxfer_cli: list[str]) -> dict:
    """Time every operation at ``size_mib`` MiB; return rows with medians, MB/s and ratios."""
    work.mkdir(parents=True)
    fx = sealed.build(work, size_mib * MIB)
    keys = make_keys(work / "keys", peers, secxfer_identity=fx.central.encryption_identity)
    try:
        cases = _cases(fx, keys, peers, work, secxfer_cli)
        size = fx.plain.stat().st_size
        rows = []
        for operation, contenders in cases.items():
            samples = paired(contenders, runs, before=lambda _name: _clean(work))
            medians = {name: median(s) for name, s in samples.items()}
            for name, seconds in medians.items():
                rows.append({
                    "operation": operation, "tool": name, "median_s": seconds, "mb_per_s": size / seconds / 1e6,
                    "runs_s": samples[name], "secxfer": name in SECXFER_ROWS,
                    "speed_vs": {peer: peer_s / seconds for peer, peer_s in medians.items() if peer not in SECXFER_ROWS},
                    "speed_vs_column": {column: medians[peer] / seconds for column, names in PEER_COLUMNS.items()
                                        for peer in names if peer in medians},
                })
        return {"size_mib": size_mib, "bytes": size, "runs": runs, "rows": rows}
    finally:
        close_gpg(keys)
        _clean(work)
