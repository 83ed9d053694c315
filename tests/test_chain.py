"""The chain end to end on a small network, and every attack issue 5 names.

Each test builds real packages (seal → central → federation → municipality) and
attacks one link; the municipality's open must refuse with the named error class
and write nothing.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import msgspec
import pytest

import secxfer.chain.relay as relay_module
from secxfer.chain.open import open_without_trail as open_package
from secxfer.chain.relay import relay_without_trail as relay
from secxfer.chain.seal import seal_without_trail as seal
from secxfer.domain.municipalities import resolve_insurer
from secxfer.domain.sample import generate_sample
from secxfer.errors import (
    ConsentError,
    DecryptionError,
    IntegrityError,
    NotForUsError,
    ProvenanceError,
    ReplayError,
    RevokedKeyError,
)
from secxfer.testing.network import build_network

CODES = ["131016", "131024", "131032", "141003", "141305", "011002", "012131", "271004"]
NO_CONSENT = ["131032"]
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("chain")
    network = build_network(root, insurer_codes=CODES, without_consent=NO_CONSENT, now=NOW)
    sample = generate_sample(root / "source", period="2026-10", rows=300, seed=3, insurers=CODES)
    return network, {i + 1: Path(f) for i, f in enumerate(sample.files)}


def fresh(world, tmp_path):
    """A copy of the network's homes so each test starts from the same state."""
    network, files = world
    homes = tmp_path / "homes"
    shutil.copytree(network.workdir / "homes", homes)
    return network, files, homes


def source_lines(files, code):
    lines = Counter()
    for annex, path in files.items():
        raw = path.read_bytes().split(b"\r\n")[1:]
        for line in raw:
            if not line:
                continue
            text = line.decode("cp932")
            field = text.split(",")[1].strip('"')
            if resolve_insurer(field, dt.date(2026, 10, 15)).insurer.code == code:
                lines[line] += 1
    return lines


def run_chain(network, files, homes, out, *, to="mun-131016", until="open"):
    k = network.secrets
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=homes / "agency", out=out, now=NOW)
    central = relay(sealed.package.path, key=k["central"], home=homes / "central", out=out, now=NOW)
    fed_id = f"fed-{to[4:6]}"
    fed_pkg = next(p for p in central.outputs if p.recipient == fed_id)
    if until == "federation":
        return sealed, fed_pkg
    fed = relay(fed_pkg.path, key=k[fed_id], home=homes / fed_id, out=out, now=NOW)
    return sealed, next(p for p in fed.outputs if p.recipient == to)


def do_open(network, homes, package, pid, out):
    return open_package(package, key=network.secrets[pid], home=homes / pid, out=out, now=NOW)


def test_round_trip_delivers_exactly_the_agency_rows(world, tmp_path):
    network, files, homes = fresh(world, tmp_path)
    sealed, package = run_chain(network, files, homes, tmp_path / "media")
    result = do_open(network, homes, package.path, "mun-131016", tmp_path / "out")
    opened = Counter()
    # the workbook is a zip of the same rows; the CSV files carry them line by line
    csv_files = [path for path in result.files if path.suffix == ".csv"]
    assert len(csv_files) == 3
    for path in csv_files:
        for line in path.read_bytes().split(b"\r\n")[1:]:
            if line:
                opened[line] += 1
    assert opened == source_lines(files, "131016") and sum(opened.values()) > 0
    assert result.chain == ("agency", "central", "fed-13") and result.outer_signature_checked
    # nothing for the municipality without consent left the agency
    assert "131032" in sealed.withheld and "131032" not in sealed.per_insurer
    assert sum(sealed.rows_read) == sum(sealed.rows_sealed) + sealed.withheld_rows


def test_replay_is_refused_and_writes_nothing(world, tmp_path):
    network, files, homes = fresh(world, tmp_path)
    _, package = run_chain(network, files, homes, tmp_path / "media")
    do_open(network, homes, package.path, "mun-131016", tmp_path / "first")
    with pytest.raises(ReplayError):
        do_open(network, homes, package.path, "mun-131016", tmp_path / "second")
    assert not (tmp_path / "second").exists()


def test_wrong_municipality_key_fails(world, tmp_path):
    network, files, homes = fresh(world, tmp_path)
    _, package = run_chain(network, files, homes, tmp_path / "media")
    with pytest.raises(IntegrityError):
        do_open(network, homes, package.path, "mun-131024", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_reencrypted_to_another_recipient_fails(world, tmp_path):
    from secxfer.age import decrypt_bytes, encrypt_bytes

    network, files, homes = fresh(world, tmp_path)
    _, package = run_chain(network, files, homes, tmp_path / "media")
    plain = decrypt_bytes([network.secrets["mun-131016"].encryption_identity], package.path.read_bytes())
    forwarded = tmp_path / "forwarded.age"
    forwarded.write_bytes(encrypt_bytes([network.secrets["mun-131024"].encryption_identity.recipient], plain))
    with pytest.raises(NotForUsError):
        do_open(network, homes, forwarded, "mun-131024", tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_package_fails(world, tmp_path, damage):
    network, files, homes = fresh(world, tmp_path)
    _, package = run_chain(network, files, homes, tmp_path / "media")
    data = bytearray(package.path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 1
    else:
        del data[-17:]
    bad = tmp_path / "bad.age"
    bad.write_bytes(bytes(data))
    with pytest.raises(DecryptionError):
        do_open(network, homes, bad, "mun-131016", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _malicious_relay(monkeypatch, target: str, mutate):
    """Make the next relay() a compromised one that edits what it sends to ``target``."""
    real = relay_module.write_package

    def write_package(**kw):
        if kw["manifest"].recipient == target:
            kw = mutate(dict(kw))
        return real(**kw)

    monkeypatch.setattr(relay_module, "write_package", write_package)


def _edit_rows(edit):
    def mutate(kw):
        files = dict(kw["files"])
        for annex in (1, 2, 3):
            chunks = [bytes(c) for c in files[annex]]
            body = b"".join(chunks[1:])
            rows = [r for r in body.split(b"\r\n") if r]
            if len(rows) >= 2 or (edit.__name__ != "reorder" and rows):
                rows = edit(rows)
                files[annex] = [chunks[0], b"".join(r + b"\r\n" for r in rows)]
                kw["files"] = files
                return kw
        raise AssertionError("no annex with enough rows to attack")

    return mutate


def drop(rows):
    return rows[1:]


def add(rows):
    return rows + [rows[0]]


def alter(rows):
    return [rows[0].replace(b"1", b"2", 1), *rows[1:]]


def reorder(rows):
    return [rows[1], rows[0], *rows[2:]]


@pytest.mark.parametrize("edit", [drop, add, alter, reorder])
def test_relay_that_edits_rows_is_caught_at_open(world, tmp_path, monkeypatch, edit):
    network, files, homes = fresh(world, tmp_path)
    _, fed_pkg = run_chain(network, files, homes, tmp_path / "media", to="mun-141003", until="federation")
    _malicious_relay(monkeypatch, "mun-141003", _edit_rows(edit))
    result = relay(fed_pkg.path, key=network.secrets["fed-14"], home=homes / "fed-14", out=tmp_path / "media", now=NOW)
    package = next(p for p in result.outputs if p.recipient == "mun-141003")
    with pytest.raises(ProvenanceError):
        do_open(network, homes, package.path, "mun-141003", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_central_dropping_a_municipality_is_caught(world, tmp_path, monkeypatch):
    network, files, homes = fresh(world, tmp_path)
    k = network.secrets
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=homes / "agency", out=tmp_path / "m", now=NOW)

    def mutate(kw):
        kept = [i for i, leaf in enumerate(kw["leaves"]) if leaf.leaf.code != "131024"]
        kw["files"] = {a: [c[0], *(c[i + 1] for i in kept)] for a, c in kw["files"].items()}
        kw["leaves"] = [kw["leaves"][i] for i in kept]
        return kw

    _malicious_relay(monkeypatch, "fed-13", mutate)
    central = relay(sealed.package.path, key=k["central"], home=homes / "central", out=tmp_path / "m", now=NOW)
    fed_pkg = next(p for p in central.outputs if p.recipient == "fed-13")
    with pytest.raises(ProvenanceError, match="missing"):
        relay(fed_pkg.path, key=k["fed-13"], home=homes / "fed-13", out=tmp_path / "m2", now=NOW)


def test_injected_rows_for_a_municipality_without_consent_are_refused(world, tmp_path, monkeypatch):
    network, files, homes = fresh(world, tmp_path)
    k = network.secrets
    # A misbehaving agency build that ignores the consent gate: it commits to every code.
    from secxfer.trust.directory.verify import Directory

    monkeypatch.setattr(Directory, "covered_municipalities",
                        lambda self, on: [p for p in self.by_role("municipality")])
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=homes / "agency", out=tmp_path / "m", now=NOW)
    monkeypatch.undo()
    assert "131032" in sealed.per_insurer
    with pytest.raises(ConsentError):
        relay(sealed.package.path, key=k["central"], home=homes / "central", out=tmp_path / "m", now=NOW)


def test_revoked_signing_key_is_refused(world, tmp_path):
    from secxfer.trust.authoring import next_version, revoke_key, sign_directory
    from secxfer.trust.store import TrustStore

    network, files, homes = fresh(world, tmp_path)
    _, package = run_chain(network, files, homes, tmp_path / "media")
    store = TrustStore(homes / "mun-131016")
    current = TrustStore(homes / "agency").current_directory(NOW)  # the full one: editing starts there
    central_key = current.participant("central").signing_keys[0].key
    v2 = next_version(current, issued=NOW, expires=NOW + dt.timedelta(days=30))
    v2 = revoke_key(v2, "central", central_key, at=NOW - dt.timedelta(minutes=5), reason="key compromise")
    store.import_directory(sign_directory(v2, [network.secrets["root-1"], network.secrets["root-3"]]), NOW)
    with pytest.raises(RevokedKeyError):
        do_open(network, homes, package.path, "mun-131016", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_media_verify_and_outer_signature(world, tmp_path):
    from secxfer.chain.inspect import verify_media, verify_package

    network, files, homes = fresh(world, tmp_path)
    _, package = run_chain(network, files, homes, tmp_path / "media")
    assert verify_package(package.path, home=homes / "agency").recipient == "mun-131016"
    report = verify_media(tmp_path / "media", home=homes / "agency")
    assert report.ok and report.packages > 40
    data = bytearray(package.path.read_bytes())
    data[-1] ^= 0x80
    package.path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError):
        verify_package(package.path, home=homes / "agency")
    report = verify_media(tmp_path / "media", home=homes / "agency")
    assert report.failures == 1


def test_manifest_is_strict_about_unknown_fields():
    from secxfer.chain.manifest import decode_manifest
    from secxfer.errors import FormatError

    with pytest.raises(FormatError):
        decode_manifest(msgspec.json.encode({"format": "secxfer-manifest-v1", "hop": 0, "extra": 1}))


def test_a_version_1_manifest_with_file_hashes_is_refused():
    """docs/format.md §7: a FileEntry has no sha256 in version 2, and a reader refuses v1 (step 7.3)."""
    import datetime as _dt
    import json

    from secxfer.chain.manifest import Commitment, FileEntry, Manifest, decode_manifest, encode
    from secxfer.errors import FormatError

    commitment = Commitment(delivery_id="d" * 32, profile="default", newlines=("crlf", "crlf", "crlf"),
                            prefixes=(b"h\r\n",) * 3, total_rows=(1, 0, 0), covered=("131016",),
                            merkle_root=b"\0" * 32)
    manifest = Manifest(
        hop=0, package_id="a" * 32, sender="agency", sender_keyid="0" * 64, recipient="central",
        recipient_keys=(), period="2026-10", sequence=1,
        created=_dt.datetime(2026, 11, 2, tzinfo=_dt.timezone.utc), rehearsal=False, directory_version=1,
        commitment=commitment, leaves_sha256=b"\0" * 32,
        files=tuple(FileEntry(name=f"annex{a}.csv", annex=a, size=3, rows=0) for a in (1, 2, 3)),
    )
    payload = encode(manifest)
    assert encode(decode_manifest(payload)) == payload  # a v2 manifest decodes as it is
    as_v1 = json.loads(payload)
    for entry in as_v1["files"]:
        entry["sha256"] = "AAAA"
    with pytest.raises(FormatError, match="sha256"):
        decode_manifest(json.dumps(as_v1, separators=(",", ":"), ensure_ascii=False).encode())
    as_v1 = json.loads(payload)
    as_v1["format"] = "secxfer-manifest-v1"
    with pytest.raises(FormatError, match="unsupported manifest format 'secxfer-manifest-v1'"):
        decode_manifest(json.dumps(as_v1, separators=(",", ":"), ensure_ascii=False).encode())
