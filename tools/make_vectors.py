"""Generate tests/vectors: good and bad packages from fixed TEST keys and fixed randomness.

Usage: python tools/make_vectors.py OUT_DIR

Everything is deterministic (seeded keys, a fixed clock, a seeded byte source for
salts, package ids and the age layer), so rerunning reproduces every byte; a test
regenerates the set and compares. Each vector is NAME.age (+ NAME.age.sig when it
has one); MANIFEST.txt lists `NAME: expect` where expect is the error class a
municipality's open must raise, or `success`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

NOW = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.timezone.utc)
CODES = ["131016", "131024", "141003"]
RECIPIENT = "mun-131016"


def byte_source(label: str):
    state = {"n": 0}

    def draw(n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.sha256(f"{label}:{state['n']}".encode()).digest()
            state["n"] += 1
        return out[:n]

    return draw


def build(out: Path) -> dict[str, str]:
    from secxfer.age import decrypt_bytes, encrypt_bytes
    from secxfer.chain.relay import relay_without_trail as relay
    from secxfer.chain.seal import seal_without_trail as seal
    from secxfer.domain.sample import generate_sample
    from secxfer.testing.network import build_network

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        net = build_network(work, insurer_codes=CODES, seed=11, now=NOW)
        sample = generate_sample(work / "source", period="2026-10", rows=40, seed=5, insurers=CODES)
        files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
        k = net.secrets
        media = work / "media"
        sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=net.home("agency"),
                      out=media, now=NOW, rng=byte_source("seal"))
        central = relay(sealed.package.path, key=k["central"], home=net.home("central"), out=media,
                        now=NOW, rng=byte_source("central"))
        fed_pkg = next(p for p in central.outputs if p.recipient == "fed-13")
        fed = relay(fed_pkg.path, key=k["fed-13"], home=net.home("fed-13"), out=media, now=NOW, rng=byte_source("fed"))
        good = next(p for p in fed.outputs if p.recipient == RECIPIENT)
        data = good.path.read_bytes()
        expect = {}

        def put(name: str, content: bytes, sig: bool, outcome: str) -> None:
            (out / f"{name}.age").write_bytes(content)
            if sig:
                shutil.copyfile(str(good.path) + ".sig", out / f"{name}.age.sig")
            expect[name] = outcome

        put(good.path.name.removesuffix(".age"), data, True, "success")  # the outer signature names the file
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 1
        put("payload_flip", bytes(flipped), False, "DecryptionError")
        put("truncated", data[:-17], False, "DecryptionError")
        put("appended", data + b"\x00", False, "DecryptionError")
        plain = decrypt_bytes([k[RECIPIENT].encryption_identity], data)
        put("reencrypted_from_neighbour",
            encrypt_bytes([k[RECIPIENT].encryption_identity.recipient],
                          decrypt_bytes([k["mun-131024"].encryption_identity],
                                        next(p for p in fed.outputs if p.recipient == "mun-131024").path.read_bytes()),
                          rng=byte_source("re")), False, "NotForUsError")
        # alter one row byte inside annex1.csv, re-encrypt to the right recipient: provenance must catch it
        marker = plain.rfind(b"annex1.csv")
        position = plain.find(b"\r\n", plain.find(b"\r\n", marker) + 2) - 1
        tampered = bytearray(plain)
        tampered[position] ^= 0x01
        put("row_altered", encrypt_bytes([k[RECIPIENT].encryption_identity.recipient], bytes(tampered),
                                         rng=byte_source("alter")), False, "ProvenanceError")
        (out / f"{RECIPIENT}.key").write_bytes(net.key_path(RECIPIENT).read_bytes())
        (out / "root.json").write_bytes(net.signed_root)
        lines = [f"{name}: {outcome}" for name, outcome in sorted(expect.items())]
        (out / "MANIFEST.txt").write_text("\n".join(lines) + "\n")
    return expect


if __name__ == "__main__":
    build(Path(sys.argv[1]))
