"""A relay re-issues a delivery under a new package id (threat model §10).

The federation decrypts the package it sent a municipality, gives its own manifest a
fresh id, re-signs and re-encrypts it with its real key. Before, the municipality
opened the same delivery a second time (a second plaintext copy) because the replay
record knew only package ids and nobody checked how a relayed id was made. Now a
relayed id must derive from its parent's id and the recipient, and the replay record
is keyed by the delivery (the agency's package id) and the recipient: the re-issue is
refused whatever its id, and the message says when and where the delivery was opened.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import msgspec
import pytest

import insider
from secxfer.chain.home import ChainHome
from secxfer.chain.open import open_without_trail as open_package
from secxfer.chain.package import PackageReplayError
from secxfer.chain.relay import relay_without_trail as relay
from secxfer.domain.sample import generate_sample
from secxfer.errors import ProvenanceError, ReplayError
from secxfer.ledger import recorded
from secxfer.ledger.evidence import trusted_directory
from secxfer.ledger.reconcile import load_evidence
from secxfer.testing.network import build_network

CODES = ["131016", "131024"]
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
MUN = "mun-131016"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Sealed, relayed by central and fed-13; mun-131016 opened its package (with receipts)."""
    root = tmp_path_factory.mktemp("reissue")
    network = build_network(root, insurer_codes=CODES, now=NOW)
    sample = generate_sample(root / "source", period="2026-10", rows=60, seed=5, insurers=CODES)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    k = network.secrets
    sealed = recorded.seal(annex_files=files, period="2026-10", key=k["agency"], home=network.home("agency"),
                           out=root / "media", now=NOW)
    central = recorded.relay(sealed.package.path, key=k["central"], home=network.home("central"),
                             out=root / "media", now=NOW)
    fed_pkg = next(p for p in central.outputs if p.recipient == "fed-13")
    fed = recorded.relay(fed_pkg.path, key=k["fed-13"], home=network.home("fed-13"), out=root / "media", now=NOW)
    genuine = next(p.path for p in fed.outputs if p.recipient == MUN)
    pristine = root / "pristine-mun"
    shutil.copytree(network.home(MUN), pristine)
    opened = recorded.open_package(genuine, key=k[MUN], home=network.home(MUN), out=root / "opened", now=NOW)
    plain = insider.plaintext(genuine, k[MUN].encryption_identities)
    reissued = insider.write(
        insider.resign_last_manifest(plain, k["fed-13"], package_id=os.urandom(16).hex(),
                                     created=NOW + dt.timedelta(minutes=5)),
        root / "reissued", signer=k["fed-13"], recipients=[k[MUN].encryption_identity.recipient],
    )
    return network, root, sealed, fed_pkg, genuine, pristine, opened, reissued


def _home(world, tmp_path, *, fresh: bool = False) -> Path:
    network, root, *_, pristine, _, _ = world
    home = tmp_path / "home"
    shutil.copytree(pristine if fresh else network.home(MUN), home)
    return home


def test_a_reissued_delivery_is_refused_whatever_its_id(world, tmp_path):
    network, root, sealed, _, genuine, _, opened, reissued = world
    assert insider.last_manifest(insider.plaintext(reissued, network.secrets[MUN].encryption_identities)).package_id \
        != opened.package_id
    with pytest.raises(PackageReplayError) as caught:
        open_package(reissued, key=network.secrets[MUN], home=_home(world, tmp_path), out=tmp_path / "second", now=NOW)
    message = str(caught.value)
    assert f"re-issues delivery {sealed.package.package_id}" in message
    assert f"already processed here as package {opened.package_id}" in message
    assert f"opened on {NOW.isoformat()}" in message and str((root / "opened").resolve()) in message
    assert "restore it from your office's backup" in caught.value.hint
    assert caught.value.origin_package_id == sealed.package.package_id
    assert caught.value.delivery_id == sealed.delivery_id
    assert not (tmp_path / "second").exists()


def test_a_relayed_id_that_does_not_derive_from_its_parent_is_refused_on_first_sight(world, tmp_path):
    network, _, _, _, _, _, _, reissued = world
    with pytest.raises(ProvenanceError, match="does not derive from its parent"):
        open_package(reissued, key=network.secrets[MUN], home=_home(world, tmp_path, fresh=True),
                     out=tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()


def test_the_same_package_again_is_still_a_replay_and_an_interrupted_run_still_completes(world, tmp_path):
    network, root, _, _, genuine, _, opened, _ = world
    home = _home(world, tmp_path)
    with pytest.raises(PackageReplayError, match=f"package {opened.package_id} was already processed here"):
        open_package(genuine, key=network.secrets[MUN], home=home, out=tmp_path / "again", now=NOW)
    record = ChainHome(home).seen(opened.package_id)
    assert record["v"] == 2 and record["origin"] == opened.origin_package_id and record["recipient"] == MUN


def test_an_old_replay_record_still_refuses_its_package(world, tmp_path):
    """Records written before the delivery key (package id, sha256, role, period, at) keep working."""
    network, _, _, _, genuine, _, opened, _ = world
    home = _home(world, tmp_path, fresh=True)
    seen = home / "chain" / "seen.jsonl"
    seen.parent.mkdir(parents=True, exist_ok=True)
    seen.write_text(json.dumps({"package_id": opened.package_id, "sha256": "00", "role": "open",
                                "period": "2026-10", "at": NOW.isoformat()}) + "\n")
    with pytest.raises(PackageReplayError, match="was already processed here"):
        open_package(genuine, key=network.secrets[MUN], home=home, out=tmp_path / "out", now=NOW)


def test_central_reissuing_to_a_federation_is_refused_by_the_federation(world, tmp_path):
    network, root, sealed, fed_pkg, *_ = world
    k = network.secrets
    plain = insider.plaintext(fed_pkg.path, k["fed-13"].encryption_identities)
    forged = insider.write(
        insider.resign_last_manifest(plain, k["central"], package_id=os.urandom(16).hex()),
        tmp_path / "forged", signer=k["central"], recipients=[k["fed-13"].encryption_identity.recipient],
    )
    home = tmp_path / "fed-home"
    shutil.copytree(network.home("fed-13"), home)
    with pytest.raises(ReplayError, match=f"re-issues delivery {sealed.package.package_id}.*relayed on"):
        relay(forged, key=k["fed-13"], home=home, out=tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()


def test_the_refused_reissue_leaves_a_receipt_naming_the_delivery(world, tmp_path):
    network, root, sealed, _, _, _, opened, reissued = world
    home = _home(world, tmp_path)
    with pytest.raises(ReplayError):
        recorded.open_package(reissued, key=network.secrets[MUN], home=home, out=tmp_path / "second", now=NOW,
                              notify=lambda _: None)
    receipts = load_evidence(home, "2026-10", trusted_directory(home, NOW), now=NOW).receipts
    refused = [r for r in receipts if not r.accepted]
    assert [r.disposition for r in refused] == ["replayed"]
    assert refused[0].origin_package_id == sealed.package.package_id
    assert refused[0].delivery_id == sealed.delivery_id
    accepted = [r for r in receipts if r.accepted]
    assert len(accepted) == 1 and accepted[0].origin_package_id == sealed.package.package_id
    assert not (tmp_path / "second").exists()


def test_cli_open_of_a_reissued_delivery_exits_3_and_says_where_it_went(world, tmp_path, run_cli):
    network, root, sealed, _, _, _, opened, reissued = world
    home = _home(world, tmp_path)
    key = network.key_path(MUN)
    _, err = run_cli("open", reissued, "--key", key, "--out", tmp_path / "second", "--home", home, code=3)
    assert f"re-issues delivery {sealed.package.package_id}" in err and "already processed here" in err
    assert str((root / "opened").resolve()) in err and "restore it from your office's backup" in err
    _, err = run_cli("--lang", "ja", "open", reissued, "--key", key, "--out", tmp_path / "second", "--home", home,
                     code=3)
    assert "配送分" in err and "バックアップから復元" in err
    assert not (tmp_path / "second").exists()
    _, err = run_cli("open", reissued, "--key", key, "--out", tmp_path / "fresh",
                     "--home", _home(world, tmp_path / "x", fresh=True), code=3)
    assert "does not derive from its parent" in err


def test_the_replay_record_matches_a_delivery_by_origin_and_recipient_whatever_the_path(tmp_path):
    """The same delivery reaching a recipient by another path (another relay, so another
    valid derived id) is the same delivery; another recipient's record is not ours."""
    home = ChainHome(tmp_path)
    home.remember_processed(package_id="a" * 32, origin="o" * 32, delivery_id="d" * 32, recipient=MUN,
                            sha256="00", role="open", period="2026-10", at=NOW.isoformat(), out="/x")
    assert home.processed(package_id="b" * 32, origin="o" * 32, recipient=MUN)["package_id"] == "a" * 32
    assert home.processed(package_id="b" * 32, origin="o" * 32, recipient="mun-131024") is None
    assert home.processed(package_id="b" * 32, origin="p" * 32, recipient=MUN) is None
    assert home.processed(package_id="a" * 32, origin="p" * 32, recipient="mun-131024")["origin"] == "o" * 32
