"""Revocation that does not trust the signer's clock, and time sanity (library level).

Attacks (docs/threat-model.md §10):
1. a thief holding a key revoked for compromise backdates what it signs;
2. a relay dated before the hop it continues;
3. a checkpoint signed by a revoked key frames its former holder with a fork;
4. a signature dated before the directory version that listed its key.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

import secxfer.trust.validity as validity
from secxfer.chain.relay import relay_without_trail as relay
from secxfer.chain.seal import seal_without_trail as seal
from secxfer.domain.sample import generate_sample
from secxfer.errors import (
    BeforeListingError,
    CompromisedKeyError,
    FutureDatedError,
    RevokedKeyError,
    TimeOrderError,
)
from secxfer.ledger import recorded
from secxfer.ledger.aggregate import forward
from secxfer.ledger.checkpoint import sign_checkpoint, verify_checkpoint
from secxfer.ledger.logcheck import compare_files
from secxfer.ledger.errors import LogForkError
from secxfer.ledger.reconcile import reconcile_home
from secxfer.testing.network import build_network
from secxfer.trust.authoring import add_participant, next_version, revoke_key, sign_directory
from secxfer.trust.cards import make_card
from secxfer.trust.ids import Role
from secxfer.trust.secret_keys import generate_participant
from secxfer.trust.store import TrustStore

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
BUILT = NOW - dt.timedelta(days=10)  # keys and directory v1 from ten days ago: backdated seals sit in their windows
CODES = ["131016", "131024", "141003"]
PERIOD = "2026-10"
RECEIVERS = ("central", "fed-13", "fed-14", "mun-131016", "mun-131024", "mun-141003")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("trust-time")
    network = build_network(root, insurer_codes=CODES, now=BUILT)
    sample = generate_sample(root / "source", period=PERIOD, rows=60, seed=5, insurers=CODES)
    return network, {i + 1: Path(f) for i, f in enumerate(sample.files)}


def fresh(world, tmp_path):
    network, files = world
    homes = tmp_path / "homes"
    shutil.copytree(network.workdir / "homes", homes)
    return network, files, homes


def directory_v2(network, homes, edit, *, into=RECEIVERS) -> bytes:
    """Directory v2 (issued a minute ago) made by ``edit``, signed by 2 of 3 roots, imported into ``into``."""
    current = TrustStore(homes / "agency").current_directory(NOW)
    v2 = edit(next_version(current, issued=NOW - dt.timedelta(minutes=1), expires=NOW + dt.timedelta(days=30)))
    signed = sign_directory(v2, [network.secrets["root-1"], network.secrets["root-3"]])
    for pid in into:
        TrustStore(homes / pid).import_directory(signed, NOW)
    return signed


def revoke(network, homes, pid, *, at, cls="compromise", into=RECEIVERS) -> bytes:
    key = network.secrets[pid].signing_public_key

    def edit(v2):
        return revoke_key(v2, pid, key, at=at, reason="medium stolen", revocation_class=cls)

    return directory_v2(network, homes, edit, into=into)


def seal_at(network, files, homes, media, when, *, key=None):
    key = key or network.secrets["agency"]
    return seal(annex_files=files, period=PERIOD, key=key, home=homes / "agency", out=media, now=when).package.path


def relay_at(network, homes, package, pid, media, when):
    return relay(package, key=network.secrets[pid], home=homes / pid, out=media, now=when)


def to(result, pid):
    return next(p.path for p in result.outputs if p.recipient == pid)


# -- attack 1: backdating under a key revoked for compromise ----------------------------


def test_a_backdated_seal_by_a_compromised_agency_key_is_refused(world, tmp_path):
    network, files, homes = fresh(world, tmp_path)
    revoke(network, homes, "agency", at=NOW - dt.timedelta(days=1))  # the agency's home never learns: the thief's
    package = seal_at(network, files, homes, tmp_path / "media", NOW - dt.timedelta(days=3))
    with pytest.raises(CompromisedKeyError, match=r"agency was revoked for compromise at .*\(medium stolen\).* it claims "
                                                   r".* which counts for nothing"):
        relay_at(network, homes, package, "central", tmp_path / "out", NOW)
    assert not (tmp_path / "out").exists()


def test_a_backdated_relay_by_a_compromised_central_key_is_refused_downstream(world, tmp_path):
    network, files, homes = fresh(world, tmp_path)
    honest = seal_at(network, files, homes, tmp_path / "media", NOW - dt.timedelta(days=4))
    # the thief relays with central's key and its clock three days back, from a home that never saw v2
    forged = to(relay_at(network, homes, honest, "central", tmp_path / "media", NOW - dt.timedelta(days=3)), "fed-13")
    revoke(network, homes, "central", at=NOW - dt.timedelta(days=1), into=("fed-13", "mun-131016"))
    with pytest.raises(CompromisedKeyError, match="central was revoked for compromise"):
        relay_at(network, homes, forged, "fed-13", tmp_path / "out", NOW)
    assert not (tmp_path / "out").exists()


def test_retired_keeps_an_old_honest_signature_and_compromise_refuses_it(world, tmp_path):
    network, files, _ = fresh(world, tmp_path)
    for cls in ("retired", "superseded", "compromise"):
        homes = tmp_path / cls
        shutil.copytree(network.workdir / "homes", homes)
        old = seal_at(network, files, homes, tmp_path / cls / "media", NOW - dt.timedelta(days=2))
        revoke(network, homes, "agency", at=NOW - dt.timedelta(days=1), cls=cls)
        if cls == "compromise":
            with pytest.raises(CompromisedKeyError):
                relay_at(network, homes, old, "central", homes / "out", NOW)
            continue
        relay_at(network, homes, old, "central", homes / "out", NOW)  # signed before the retirement: stands
        # signed after the retirement (by its date, believed: the key was not stolen): refused
        late = seal_at(network, files, homes, homes / "late", NOW - dt.timedelta(hours=12))
        with pytest.raises(RevokedKeyError, match=f"agency was {cls} at .*not before that") as caught:
            relay_at(network, homes, late, "central", homes / "out-late", NOW)
        assert not isinstance(caught.value, CompromisedKeyError)


def test_a_new_key_signs_after_the_old_one_is_compromised_and_the_old_delivery_is_flagged(world, tmp_path):
    """Real-time control: the honest chain with a rotated agency key works; what was
    accepted before the revocation is still held and flagged, not lost."""
    network, files, homes = fresh(world, tmp_path)
    media, returns = tmp_path / "media", tmp_path / "returns"
    before = NOW - dt.timedelta(days=2)
    k = network.secrets
    sealed = recorded.seal(annex_files=files, period=PERIOD, key=k["agency"], home=homes / "agency", out=media,
                           now=before)
    central = recorded.relay(sealed.package.path, key=k["central"], home=homes / "central", out=media,
                             receipts_out=returns, now=before)
    fed = recorded.relay(to(central, "fed-13"), key=k["fed-13"], home=homes / "fed-13", out=media,
                         receipts_out=returns, now=before)
    recorded.open_package(to(fed, "mun-131016"), key=k["mun-131016"], home=homes / "mun-131016",
                          out=tmp_path / "opened", receipts_out=returns, now=before)

    new_agency = generate_participant("agency", Role.AGENCY, now=NOW - dt.timedelta(hours=2))

    def rotate(v2):
        v2 = add_participant(v2, make_card(new_agency), label="backup")
        return revoke_key(v2, "agency", k["agency"].signing_public_key, at=NOW - dt.timedelta(days=1),
                          reason="medium stolen")

    directory_v2(network, homes, rotate, into=(*RECEIVERS, "agency"))
    rec = reconcile_home(homes / "mun-131016", PERIOD, now=NOW)
    flagged = [p for p in rec.problems if p.kind == "compromised-key"]
    assert flagged and all(p.where == "agency" and p.severity == "error" for p in flagged)
    assert "opened here" in flagged[0].message and "revoked for compromise" in flagged[0].message
    assert rec.standings["mun-131016"].state == "received"  # held, not lost
    assert not [p for p in rec.problems if p.kind == "invalid-evidence"]
    central_view = reconcile_home(homes / "central", PERIOD, now=NOW)
    assert any(p.kind == "compromised-key" and "relayed here" in p.message for p in central_view.problems)
    agency_view = reconcile_home(homes / "agency", PERIOD, now=NOW)
    assert any(p.kind == "compromised-key" and "a hop report kept here" in p.message for p in agency_view.problems)

    # the honest package of today, sealed with the new key, goes all the way
    again = seal(annex_files=files, period=PERIOD, key=new_agency, home=homes / "agency", out=tmp_path / "m2",
                 now=NOW, again=True).package.path
    fed_pkg = to(relay_at(network, homes, again, "central", tmp_path / "m2", NOW), "fed-13")
    relay_at(network, homes, fed_pkg, "fed-13", tmp_path / "m2", NOW)


# -- attack 2 and the clock checks --------------------------------------------------------


def forge_backdated_relay(network, homes, package, media, monkeypatch, days=5):
    """Central's relay writing a manifest dated ``days`` before the agency's seal (its own check
    of the seal is made at the real time, as a patched or key-stealing relay would)."""
    # a patched relay: it skips the check that the seal is not from its future
    with monkeypatch.context() as patched:
        patched.setattr(validity, "require_not_future", lambda *args, **kwargs: None)
        result = relay_at(network, homes, package, "central", media, NOW - dt.timedelta(days=days))
    return to(result, "fed-13")


def test_a_relay_dated_before_the_seal_it_continues_is_refused(world, tmp_path, monkeypatch):
    network, files, homes = fresh(world, tmp_path)
    package = seal_at(network, files, homes, tmp_path / "media", NOW)
    forged = forge_backdated_relay(network, homes, package, tmp_path / "media", monkeypatch)
    with pytest.raises(TimeOrderError, match=r"hop 1 \(central\) is dated .*, 5 d 0 h 0 min before hop 0 \(agency"):
        relay_at(network, homes, forged, "fed-13", tmp_path / "out", NOW)
    assert not (tmp_path / "out").exists()


def test_a_relay_with_its_clock_behind_refuses_the_seal_as_from_the_future(world, tmp_path):
    network, files, homes = fresh(world, tmp_path)
    package = seal_at(network, files, homes, tmp_path / "media", NOW)
    with pytest.raises(FutureDatedError, match=r"5 d 0 h 0 min after this computer's clock"):
        relay_at(network, homes, package, "central", tmp_path / "out", NOW - dt.timedelta(days=5))


def test_a_document_from_the_future_is_refused_beyond_the_skew_only(world, tmp_path):
    network, files, homes = fresh(world, tmp_path)
    ahead = seal_at(network, files, homes, tmp_path / "a", NOW + dt.timedelta(hours=2))
    with pytest.raises(FutureDatedError, match=r"2 h 0 min after this computer's clock"):
        relay_at(network, homes, ahead, "central", tmp_path / "out", NOW)
    slightly = seal_at(network, files, homes, tmp_path / "b", NOW + dt.timedelta(minutes=5))
    relay_at(network, homes, slightly, "central", tmp_path / "out2", NOW)  # within the 15-minute skew


def test_a_signature_dated_before_its_key_was_listed_is_refused(world, tmp_path):
    network, files, homes = fresh(world, tmp_path)
    # a key whose card claims a month ago, first listed by v2 a minute ago
    new_agency = generate_participant("agency", Role.AGENCY, now=NOW - dt.timedelta(days=30))
    directory_v2(network, homes, lambda v2: add_participant(v2, make_card(new_agency), label="backup"),
                 into=(*RECEIVERS, "agency"))
    early = seal_at(network, files, homes, tmp_path / "m", NOW - dt.timedelta(days=2), key=new_agency)
    with pytest.raises(BeforeListingError, match=r"signed at .*, 1 d 23 h 59 min before key directory v2 "
                                                 r"\(issued .*\) first listed the key"):
        relay_at(network, homes, early, "central", tmp_path / "out", NOW)
    fine = seal_at(network, files, homes, tmp_path / "n", NOW, key=new_agency)
    relay_at(network, homes, fine, "central", tmp_path / "out", NOW)


# -- attack 3: checkpoints -------------------------------------------------------------------


def test_a_forged_checkpoint_by_a_compromised_key_cannot_frame_its_holder(world, tmp_path):
    network, _, homes = fresh(world, tmp_path)
    key = network.secrets["central"]
    honest = homes / "central" / "ledger" / "checkpoints" / "00000003.txt"
    honest.parent.mkdir(parents=True)
    honest.write_bytes(sign_checkpoint(key, 3, b"\x01" * 32))
    forged = tmp_path / "forged.txt"
    forged.write_bytes(sign_checkpoint(key, 3, b"\x02" * 32))  # same size, another history
    auditor = homes / "agency"
    with pytest.raises(LogForkError):  # before the revocation the "fork" convicts central
        compare_files(honest, forged, directory=TrustStore(auditor).current_directory(NOW), now=NOW)
    revoke(network, homes, "central", at=NOW - dt.timedelta(days=1), into=("agency", "central"))
    with pytest.raises(CompromisedKeyError, match="central was revoked for compromise"):
        compare_files(honest, forged, directory=TrustStore(auditor).current_directory(NOW), now=NOW, home=auditor)
    # central's own kept checkpoint is held (its own record); the forged one is not
    own = TrustStore(homes / "central").current_directory(NOW)
    verify_checkpoint(honest.read_bytes(), own, now=NOW, held=True)
    with pytest.raises(CompromisedKeyError):
        compare_files(honest, forged, directory=own, now=NOW, home=homes / "central")


def test_a_receipt_by_a_compromised_key_is_refused_at_collection(world, tmp_path):
    network, files, homes = fresh(world, tmp_path)
    media, returns = tmp_path / "media", tmp_path / "returns"
    k = network.secrets
    sealed = recorded.seal(annex_files=files, period=PERIOD, key=k["agency"], home=homes / "agency", out=media, now=NOW)
    central = recorded.relay(sealed.package.path, key=k["central"], home=homes / "central", out=media,
                             receipts_out=returns, now=NOW)
    fed = recorded.relay(to(central, "fed-13"), key=k["fed-13"], home=homes / "fed-13", out=media,
                         receipts_out=returns, now=NOW)
    recorded.open_package(to(fed, "mun-131016"), key=k["mun-131016"], home=homes / "mun-131016",
                          out=tmp_path / "opened", receipts_out=returns, now=NOW)
    forward(PERIOD, key=k["mun-131016"], home=homes / "mun-131016", out=returns, now=NOW)
    revoke(network, homes, "mun-131016", at=NOW - dt.timedelta(days=1), into=("fed-13",))
    from secxfer.ledger.collect import collect

    result = collect(returns, key=k["fed-13"], home=homes / "fed-13", now=NOW + dt.timedelta(minutes=1))
    assert result.stored == 0 and any("mun-131016 was revoked for compromise" in r for r in result.rejected)
