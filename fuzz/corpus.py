"""Write the seed corpus for every fuzz target: ``python -m fuzz.corpus OUT_DIR``.

Seeds are derived, not stored: from ``tests/vectors`` (packages, their containers,
manifests, leaves, outer signature, trust bundle), ``keys-example`` (root,
directory, bundle, cards, enrollments, key files), the age test kit beside the
repository when present, and small samples generated here with fixed seeds. The
result is deterministic, so a fuzz run started from it is reproducible.

``OUT_DIR/<target>/<seed name>`` for each target in ``fuzz.targets.TARGETS``.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from fuzz import fixtures

TESTKIT_AGE = fixtures.REPO.parent / "shared" / "testkit" / "age"


def _rng(label: str):
    counter = [0]

    def draw(n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.sha256(f"{label}:{counter[0]}".encode()).digest()
            counter[0] += 1
        return out[:n]

    return draw


def _vector_files() -> Iterator[tuple[str, bytes]]:
    for path in sorted(fixtures.VECTORS.glob("*.age")):
        yield path.stem, path.read_bytes()


def _testkit_bodies() -> Iterator[tuple[str, bytes]]:
    """The age test kit's files without their description lines (public test vectors)."""
    if not TESTKIT_AGE.is_dir():
        return
    for path in sorted(TESTKIT_AGE.iterdir()):
        raw = path.read_bytes()
        head, sep, body = raw.partition(b"\n\n")
        if not sep or not head.startswith(b"expect:"):
            continue
        if b"\ncompressed: zlib" in head:
            body = zlib.decompress(body)
        yield f"testkit-{path.name}", body


def _age_samples() -> Iterator[tuple[str, bytes]]:
    from secxfer.age import encrypt_bytes

    x25519, hybrid = fixtures.identities()
    rng = _rng("age")
    for size in (0, 1, 64 * 1024, 64 * 1024 + 1, 130 * 1024):
        yield f"x25519-{size}", encrypt_bytes([x25519.recipient], rng(size), rng=rng)
    yield "hybrid-100", encrypt_bytes([hybrid.recipient], rng(100), rng=rng)
    from secxfer.age import X25519Identity

    other = X25519Identity(hashlib.sha256(b"secxfer-fuzz-other").digest())
    yield "two-recipients", encrypt_bytes([x25519.recipient, other.recipient], rng(300), rng=rng)
    yield "armored", encrypt_bytes([x25519.recipient], b"armored", rng=rng, armor=True)


def _header_of(data: bytes) -> bytes:
    end = data.find(b"\n---")
    return data[: data.find(b"\n", end + 1) + 1] if end >= 0 else data[:512]


def _containers() -> Iterator[tuple[str, bytes]]:
    from secxfer.age import decrypt_bytes

    key = fixtures.vector_key()
    for name, data in _vector_files():
        try:
            yield name, decrypt_bytes([key.encryption_identity], data)
        except Exception:  # noqa: BLE001 - the bad vectors do not decrypt; that is their point
            continue


def _signed(path: Path) -> bytes:
    return path.read_bytes()


def _payload(signed: bytes) -> bytes:
    from secxfer.trust.signing import SignedDocument

    return SignedDocument.decode(signed).payload


def _media_index() -> Iterator[tuple[str, bytes]]:
    from secxfer.chain import media
    from secxfer.chain.manifest import decode_outer
    from secxfer.trust.secret_keys import load_secret_key
    from secxfer.trust.signing import sign_document

    outer = decode_outer(_payload((fixtures.VECTORS / (fixtures.GOOD_VECTOR + ".sig")).read_bytes()))
    entry = media.IndexEntry(
        file_name=outer.file_name, size=outer.size, sha256=outer.sha256, package_id=outer.package_id,
        recipient=outer.recipient, period=outer.period, rehearsal=outer.rehearsal, rows=(1, 0, 2),
        manifest_sha256=bytes(32),
    )
    payload = media.encode_index(media.MediaIndex(sender=outer.sender, packages=(entry,)))
    signer = load_secret_key(fixtures.EXAMPLE / "keys" / "fed-13.key")
    yield "index-signed", sign_document(media.INDEX_KIND, payload, [signer])
    yield "index-payload", payload


def _annexes() -> Iterator[tuple[str, bytes]]:
    from secxfer.domain.sample import generate_sample

    with tempfile.TemporaryDirectory() as tmp:
        for encoding, profile in (("cp932", 0), ("utf-8", 0), ("utf-8", 1)):
            sample = generate_sample(Path(tmp) / f"{encoding}{profile}", period="2026-10", rows=24, seed=5,
                                     invalid=6, insurers=["131016", "141003", "011002"], encoding=encoding)
            for annex, path in enumerate(sample.files, start=1):
                selector = profile * 3 + annex - 1
                yield f"annex{annex}-{encoding}-p{profile}", bytes([selector]) + Path(path).read_bytes()
        # the same rows without a header, for the no-header profile
        text = (Path(tmp) / "cp9320").glob("annex1_*.csv")
        body = next(text).read_bytes().split(b"\r\n", 1)[1]
        yield "annex1-no-header", bytes([6]) + body


def _protected_key() -> bytes:
    from secxfer.trust.secret_keys import KDF_MIN, load_secret_key, save_secret_key

    secret = load_secret_key(fixtures.EXAMPLE / "keys" / "mun-131016.key")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "protected.key"
        save_secret_key(secret, path, passphrase=b"fuzz-passphrase", kdf=KDF_MIN, rng=_rng("key"))
        return path.read_bytes()


def _age_key_files() -> Iterator[tuple[str, bytes]]:
    from secxfer.age import identity_file_text

    x25519, hybrid = fixtures.identities()
    yield "x25519-identity", identity_file_text(x25519).encode()
    yield "hybrid-identity", identity_file_text(hybrid).encode()
    yield "recipients", f"# recipients\n{x25519.recipient.encode()}\n{hybrid.recipient.encode()}\n".encode()


def _ledger() -> dict[str, list[tuple[str, bytes]]]:
    """Evidence, return files, checkpoints and logs of the fixtures' ledger network."""
    from secxfer.ledger.evidence import AGGREGATE_KIND, RECEIPT_KIND, REPORT_KIND, kind_of
    from secxfer.ledger.returns import open_sealed
    from secxfer.ledger.store import LedgerHome

    world = fixtures.ledger_world()
    net = world["net"]
    found: dict[str, list[tuple[str, bytes]]] = {"receipt": [], "report": [], "aggregate": [], "checkpoint": [], "oplog": []}
    by_kind = {RECEIPT_KIND: "receipt", REPORT_KIND: "report", AGGREGATE_KIND: "aggregate"}
    for home in sorted((net.workdir / "homes").iterdir()):
        ledger = LedgerHome(home)
        for number, (_, raw) in enumerate(ledger.evidence("2026-10")):
            found[by_kind[kind_of(raw)]].append((f"{home.name}-{number}", raw))
        for point in sorted(ledger.checkpoints.glob("*")) if ledger.checkpoints.is_dir() else ():
            found["checkpoint"].append((f"{home.name}-{point.name}", point.read_bytes()))
        if ledger.log_path.is_file():
            found["oplog"].append((home.name, ledger.log_path.read_bytes()))
    for path in sorted(world["returns"].rglob("*")):
        if path.is_file() and path.suffix in (".checkpoint", ".proof"):  # carried up beside the receipts
            found["checkpoint"].append((f"carried-{path.name}", path.read_bytes()))
        elif path.is_file():
            found["aggregate"].append((f"sealed-{path.name}", path.read_bytes()))
            if path.parent.parent.name.endswith("-to-central"):
                found["aggregate"].append((f"opened-{path.name}", open_sealed(path, net.secrets["central"])))
    return found


def seeds() -> dict[str, list[tuple[str, bytes]]]:
    """Seed inputs per target name."""
    example = fixtures.EXAMPLE
    entries = fixtures.good_entries()
    vectors = list(_vector_files())
    testkit = list(_testkit_bodies())
    age = list(_age_samples())
    containers = list(_containers())
    manifests = [(f"manifest-{i}", entries[f"manifest-{i}"]) for i in range(3)]
    sidecar = (fixtures.VECTORS / (fixtures.GOOD_VECTOR + ".sig")).read_bytes()
    cards = [(p.stem, p.read_bytes()) for p in sorted((example / "cards").glob("*.card"))[:6]]
    cards += [(p.stem, p.read_bytes()) for p in sorted((example / "cards").glob("mun-*.card"))]
    enrollments = [(p.stem, p.read_bytes()) for p in sorted((example / "enrollments").glob("*.enrollment"))]
    root_files = [("example-root", (example / "root.json").read_bytes()), ("vector-root", fixtures.vector_root())]
    directory_signed = (example / "directory.json").read_bytes()
    from secxfer.chain.trustlink import unpack_bundle

    return {
        "age-header": [(n, _header_of(d)) for n, d in vectors + age + testkit],
        "age-decrypt": vectors + age + [(n, d) for n, d in testkit if len(d) <= 16 * 1024],  # the long ones only repeat
        "age-keys": list(_age_key_files()),
        "container": containers,
        "manifest": manifests,
        "outer": [("sidecar", sidecar)],
        "media-index": list(_media_index()),
        "leaves": [("leaves", entries["leaves"])],
        "package": containers,
        "signed-document": [*root_files, *cards[:2], *enrollments[:1], ("sidecar", sidecar), *manifests[:1]],
        "root": root_files,
        "directory": [
            ("full", directory_signed),
            *[(p.stem, p.read_bytes()) for p in sorted(example.glob("directory-excerpt-*.json"))],
        ],
        "bundle": [
            ("example", (example / "trust-bundle.json").read_bytes()),
            ("vector-packed", entries["trust"]),
            ("vector", unpack_bundle(entries["trust"])),
        ],
        "card": cards,
        "enrollment": enrollments,
        "secret-key": [
            ("test-key", (example / "keys" / "fed-13.key").read_bytes()),
            ("vector-key", (fixtures.VECTORS / "mun-131016.key").read_bytes()),
            ("protected", _protected_key()),
        ],
        "participant-id": [(t, t.encode()) for t in ("agency", "central", "fed-13", "mun-131016", "root-1", "mun-011002")],
        "annex-csv": list(_annexes()),
        "code": [(f"c{i}", t.encode()) for i, t in enumerate(
            ("131016", "13101", "11002", "011002", "１３１０１６", "141011", "221317", "13100", "012131"))],
        "date": [(f"d{i}", t.encode()) for i, t in enumerate(
            ("20261001", "2026/10/01", "2026-10-01", "R080319", "5080319", "令和8年3月19日", "H31.04.30", "２０２６１００１"))],
        "period": [(f"p{i}", t.encode()) for i, t in enumerate(("2026-10", "2019-04..2026-10", "2019-04..", "２０２６－１０"))],
        "holidays": [("overrides", "# added\n2026-11-04 臨時休日\n-2026-11-03\n".encode())],
        **_ledger(),
    }


def write_corpus(out: Path) -> dict[str, int]:
    """Write every target's seeds under ``out`` (each cut to the target's input limit)."""
    from fuzz.targets import TARGETS

    counts = {}
    table = seeds()
    for name in TARGETS:
        folder = Path(out) / name
        folder.mkdir(parents=True, exist_ok=True)
        for label, data in table.get(name, []):
            (folder / label).write_bytes(data[: TARGETS[name].max_len])  # libFuzzer would cut them anyway
        counts[name] = len(table.get(name, []))
    return counts


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m fuzz.corpus OUT_DIR", file=sys.stderr)
        return 2
    for name, count in write_corpus(Path(argv[0])).items():
        print(f"{name}: {count} seed(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
