"""secxfer.Installation (one home, the trust anchor rule) and secxfer.ParticipantKey (no prompting)."""

from __future__ import annotations

import datetime as dt

import pytest

import secxfer
from secxfer.installation import default_home
from secxfer.trust.participant_secret import generate_participant
from secxfer.trust.secret_keys import KDF_MIN, save_secret_key


def test_default_is_the_one_default_home(monkeypatch, tmp_path):
    monkeypatch.setenv("SECXFER_HOME", str(tmp_path / "h"))
    assert secxfer.Installation.default() == secxfer.Installation(tmp_path / "h")
    assert secxfer.Installation.at(None).path == default_home() == tmp_path / "h"
    assert secxfer.Installation.at(tmp_path / "x").path == tmp_path / "x"


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    from secxfer.testing.network import build_network

    return build_network(tmp_path_factory.mktemp("net"), insurer_codes=["131016"], seed=3)


def test_trust_anchor_is_root_json_beside_the_key_else_the_given_root(network, tmp_path):
    fresh = secxfer.Installation(tmp_path / "fresh")
    key_file = network.key_path("central")
    beside = fresh.trust_anchor(key_file=key_file)
    assert beside is not None and beside.path == key_file.parent / "root.json"
    assert beside.data == network.signed_root and beside.version == 1 and len(beside.fingerprint) >= 20
    other = tmp_path / "elsewhere.json"
    other.write_bytes(network.signed_root)
    assert fresh.trust_anchor(key_file=key_file, root=other).path == other  # an explicit root wins
    assert fresh.trust_anchor(key_file=key_file, root=tmp_path / "missing.json") is None  # and is the only candidate
    assert fresh.trust_anchor(key_file=tmp_path / "lonely.key") is None
    pinned = secxfer.Installation(network.home("central"))
    assert pinned.trusts_a_root and pinned.trust_anchor(key_file=key_file) is None  # trusts one already
    assert pinned.directory().version == network.directory_version


def test_a_damaged_root_beside_the_key_is_refused(network, tmp_path):
    folder = tmp_path / "pc"
    folder.mkdir()
    (folder / "root.json").write_bytes(network.signed_root[:-40])
    with pytest.raises(secxfer.IntegrityError):
        secxfer.Installation(tmp_path / "home").trust_anchor(key_file=folder / "agency.key")


def test_the_bundle_root_is_named_by_its_fingerprint(network, tmp_path):
    bundle = tmp_path / "key-directory.json"
    bundle.write_bytes(network.bundle)
    anchor = secxfer.TrustAnchor.in_bundle(bundle)
    assert anchor is not None and anchor.fingerprint == secxfer.TrustAnchor.read(network.key_path("agency").parent / "root.json").fingerprint
    plain = tmp_path / "directory.json"
    plain.write_bytes(network.signed_directory)
    assert secxfer.TrustAnchor.in_bundle(plain) is None


@pytest.fixture(scope="module")
def protected(tmp_path_factory):
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    secret = generate_participant("agency", "agency", now=now)
    path = tmp_path_factory.mktemp("keys") / "agency.key"
    save_secret_key(secret, path, passphrase=b"correct horse", kdf=KDF_MIN)
    return path


def test_a_passphrase_function_is_asked_only_for_a_protected_file(protected, network):
    asked = []

    def ask() -> str:
        asked.append(1)
        return "correct horse"

    key = secxfer.ParticipantKey.load(protected, passphrase=ask)
    assert key.participant_id == "agency" and key.role == "agency" and not key.is_test_key and asked == [1]
    assert "correct" not in repr(key)
    test_key = secxfer.ParticipantKey.load(network.key_path("agency"), passphrase=ask)
    assert test_key.is_test_key and asked == [1]  # not protected: never asked
    assert secxfer.ParticipantKey.load(protected, passphrase=b"correct horse").participant_id == "agency"


def test_a_protected_file_without_or_with_a_wrong_passphrase_is_refused(protected):
    with pytest.raises(secxfer.UsageError):
        secxfer.ParticipantKey.load(protected)
    with pytest.raises(secxfer.WrongPassphraseError):
        secxfer.ParticipantKey.load(protected, passphrase=lambda: "wrong horse")
    with pytest.raises(secxfer.NotFoundError):
        secxfer.ParticipantKey.load(protected.parent / "none.key")


def test_open_pins_the_root_beside_the_key_in_a_fresh_installation_and_refuses_without_one(tmp_path):
    """The anchor rule inside the operations: a new PC's home trusts the root.json that came
    with the key; a key file alone (no root beside it, none given) anchors nothing."""
    import shutil

    from secxfer.domain.sample import generate_sample
    from secxfer.testing.network import build_network

    network = build_network(tmp_path / "net", insurer_codes=["131016"], seed=5)
    sample = generate_sample(tmp_path / "src", period="2026-10", rows=8, seed=5, insurers=["131016"])

    def key(pid: str) -> secxfer.ParticipantKey:
        return secxfer.ParticipantKey.load(network.key_path(pid))

    media = tmp_path / "media"
    sealed = secxfer.seal(secxfer.AnnexFiles.of(*sample.files), period="2026-10", key=key("agency"),
                          installation=secxfer.Installation(network.home("agency")), out=media)
    central = secxfer.relay(sealed.package.path, key=key("central"),
                            installation=secxfer.Installation(network.home("central")), out=media)
    to_tokyo = next(p for p in central.outputs if p.recipient == "fed-13")
    relayed = secxfer.relay(to_tokyo.path, key=key("fed-13"), installation=secxfer.Installation(network.home("fed-13")),
                            out=media)
    package = relayed.outputs[0].path

    lonely = tmp_path / "lonely"
    lonely.mkdir()
    shutil.copy(network.key_path("mun-131016"), lonely / "mun-131016.key")
    bare = secxfer.Installation(tmp_path / "bare-home")
    with pytest.raises(secxfer.UsageError, match="root"):  # NotPinnedError: nothing to start trust from
        secxfer.open_package(package, key=secxfer.ParticipantKey.load(lonely / "mun-131016.key"), installation=bare,
                             out=tmp_path / "bare-out")
    assert not (tmp_path / "bare-out").exists() and not bare.trusts_a_root

    fresh = secxfer.Installation(tmp_path / "new-pc-home")
    opened = secxfer.open_package(package, key=key("mun-131016"), installation=fresh, out=tmp_path / "out")
    assert fresh.trusts_a_root and sum(opened.rows) == sum(relayed.outputs[0].rows)
    assert fresh.participant() == "mun-131016"


def test_keys_generate_logs_in_the_default_installation(run_cli, monkeypatch, tmp_path):
    """Work outside the chain goes into the one installation's log (Installation.log_operation)."""
    monkeypatch.setenv("SECXFER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SECXFER_OPERATOR", raising=False)
    run_cli("keys", "generate", "mun-131016", "--test-key", "--out", tmp_path / "keys")
    home = secxfer.Installation.default()
    check = secxfer.verify_log(installation=home)
    assert check.entries == 1 and not check.problems
    log = home.ledger.log_path.read_text(encoding="utf-8")
    assert '"key-generated"' in log and "mun-131016" in log
    with pytest.raises(secxfer.UsageError):
        home.log_operation("directory-imported", facts={"version": 1}, operator="bad\nname")
