"""Revocation classes and time sanity through the command line, on a demo network.

One attack runs the thief's ``secxfer seal`` in another process whose real clock is
set three days back (``faketime``): skipped on a developer machine without it,
never in CI (``CI`` set), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from secxfer.domain.sample import generate_sample
from secxfer.errors import EXIT_INTEGRITY, EXIT_USAGE
from secxfer.ledger import recorded
from secxfer.ledger.checkpoint import sign_checkpoint
from secxfer.testing.network import build_network
from secxfer.trust.authoring import add_participant, load_draft, next_version, sign_directory
from secxfer.trust.cards import make_card
from secxfer.trust.ids import Role
from secxfer.trust.secret_keys import generate_participant
from secxfer.trust.store import TrustStore

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
CODES = ["131016", "131024", "141003"]
PERIOD = "2026-10"
RECEIVERS = ("agency", "central", "fed-13", "fed-14", "mun-131016", "mun-131024", "mun-141003")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("trust-time-cli")
    network = build_network(root, insurer_codes=CODES, now=NOW - dt.timedelta(days=10))
    sample = generate_sample(root / "source", period=PERIOD, rows=60, seed=6, insurers=CODES)
    return network, [Path(f) for f in sample.files]


@pytest.fixture
def net(world, tmp_path):
    network, files = world
    shutil.copytree(network.workdir / "homes", tmp_path / "homes")
    return network, files, tmp_path / "homes"


def as_(network, homes, pid):
    return ["--key", network.key_path(pid), "--home", homes / pid]


def revoke_by_cli(cli, network, homes, tmp_path, pid, *, cls="compromise", into=RECEIVERS, edit=None) -> Path:
    """Directory v2 through the CLI: bump, revoke KEY --class CLS (from yesterday); signed by
    two roots; imported with 'directory import' into the homes ``into``."""
    current = tmp_path / "v1.json"
    current.write_bytes(network.signed_directory)
    draft = tmp_path / "v2-draft.json"
    cli("directory", "bump", current, "--out", draft, "--days", "30")
    keyid = network.secrets[pid].signing_public_key.hex()[:16]
    yesterday = (NOW - dt.timedelta(days=1)).isoformat()
    cli("directory", "revoke", draft, pid, "--key", keyid, "--reason", "medium stolen", "--at", yesterday,
        "--class", cls)
    v2 = load_draft(draft.read_bytes())
    if edit is not None:
        v2 = edit(v2)
    signed = tmp_path / "v2.json"
    signed.write_bytes(sign_directory(v2, [network.secrets["root-1"], network.secrets["root-3"]]))
    for home in into:
        cli("directory", "import", signed, "--home", homes / home)
    return signed


def seal_cmd(network, homes, files, media, pid="agency"):
    return ["seal", "--period", PERIOD, "--annex1", files[0], "--annex2", files[1], "--annex3", files[2],
            *as_(network, homes, pid), "--out", media]


def test_directory_revoke_records_the_class(run_cli, net, tmp_path):
    network, _, homes = net
    revoke_by_cli(run_cli, network, homes, tmp_path, "agency", cls="retired", into=())
    out, _ = run_cli("directory", "show", tmp_path / "v2.json", "--id", "agency")
    assert ", retired: medium stolen)" in out
    _, err = run_cli("directory", "revoke", tmp_path / "v2-draft.json", "central", "--key",
                     network.secrets["central"].signing_public_key.hex()[:16], "--reason", "x", "--class", "lost",
                     code=EXIT_USAGE)
    assert "revocation class 'lost' is not one of compromise, retired, superseded" in err


def _faketime() -> str | None:
    found = shutil.which("faketime")
    if found is None and not os.environ.get("CI"):
        pytest.skip("faketime is not installed (apt-get install faketime); CI always runs this")
    assert found is not None, "CI must install faketime (.ci/run)"
    return found


def test_thief_with_its_real_clock_three_days_back_is_refused_at_central(run_cli, net, tmp_path):
    """Attack 1: the agency's key, revoked for compromise from yesterday, seals in a process
    whose clock reads three days ago; central refuses it, whatever date it claims."""
    faketime = _faketime()
    network, files, homes = net
    thief = tmp_path / "thief"
    shutil.copytree(homes / "agency", thief)  # the thief's copy never learns of v2
    revoke_by_cli(run_cli, network, homes, tmp_path, "agency")
    env = {**os.environ, "FAKETIME_DONT_FAKE_MONOTONIC": "1", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    env.pop("SECXFER_PASSPHRASE", None)
    command = [faketime, "-f", "-3d", sys.executable, "-m", "secxfer", "seal", "--period", PERIOD,
               "--annex1", files[0], "--annex2", files[1], "--annex3", files[2],
               "--key", network.key_path("agency"), "--home", thief, "--out", tmp_path / "media"]
    done = subprocess.run([str(c) for c in command], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (package,) = (tmp_path / "media" / "agency-to-central").glob("*.age")
    claimed = (NOW - dt.timedelta(days=3)).date().isoformat()
    _, err = run_cli("relay", package, *as_(network, homes, "central"), "--out", tmp_path / "out", code=EXIT_INTEGRITY)
    assert "agency was revoked for compromise" in err and "(medium stolen)" in err
    assert f"it claims {claimed}" in err and "which counts for nothing" in err
    assert not (tmp_path / "out").exists()


def test_a_relay_dated_before_the_seal_is_refused_downstream(run_cli, net, tmp_path, monkeypatch):
    """Attack 2: central's manifest dated five days before the agency's seal."""
    import secxfer.trust.validity as validity
    from secxfer.chain.relay import relay_without_trail as relay

    network, files, homes = net
    run_cli(*seal_cmd(network, homes, files, tmp_path / "media"))
    (sealed,) = (tmp_path / "media" / "agency-to-central").glob("*.age")
    # a patched relay: it skips the check that the seal is not from its future
    with monkeypatch.context() as patched:
        patched.setattr(validity, "require_not_future", lambda *args, **kwargs: None)
        relay(sealed, key=network.secrets["central"], home=homes / "central", out=tmp_path / "media",
              now=NOW - dt.timedelta(days=5))
    (forged,) = (tmp_path / "media" / "central-to-fed-13").glob("*.age")
    _, err = run_cli("relay", forged, *as_(network, homes, "fed-13"), "--out", tmp_path / "out", code=EXIT_INTEGRITY)
    assert "hop 1 (central) is dated" in err and "before hop 0 (agency" in err and "at most 15 min is allowed" in err


def test_a_signature_dated_before_its_key_was_listed_is_refused(run_cli, net, tmp_path):
    from secxfer.chain.seal import seal_without_trail as seal

    network, files, homes = net
    new_agency = generate_participant("agency", Role.AGENCY, now=NOW - dt.timedelta(days=30))
    revoke_by_cli(run_cli, network, homes, tmp_path, "mun-141003", cls="retired",
                  edit=lambda v2: add_participant(v2, make_card(new_agency), label="backup"))
    early = seal(annex_files=dict(enumerate(files, 1)), period=PERIOD, key=new_agency, home=homes / "agency",
                 out=tmp_path / "media", now=NOW - dt.timedelta(days=2)).package.path
    _, err = run_cli("relay", early, *as_(network, homes, "central"), "--out", tmp_path / "out", code=EXIT_INTEGRITY)
    assert re.search(r"signed at \S+, 2 d 0 h \d+ min before key directory v2 \(issued \S+\) first listed the key", err)


def test_a_forged_checkpoint_cannot_frame_central_once_its_key_is_revoked(run_cli, net, tmp_path):
    """Attack 3: a same-size fork signed with central's stolen key."""
    network, _, homes = net
    key = network.secrets["central"]
    honest, forged = tmp_path / "honest.txt", tmp_path / "forged.txt"
    honest.write_bytes(sign_checkpoint(key, 3, b"\x01" * 32))
    forged.write_bytes(sign_checkpoint(key, 3, b"\x02" * 32))
    _, err = run_cli("log", "compare", honest, forged, "--home", homes / "agency", code=EXIT_INTEGRITY)
    assert "fork" in err.lower() or "different" in err.lower()  # before: central stands accused
    revoke_by_cli(run_cli, network, homes, tmp_path, "central")
    _, err = run_cli("log", "compare", honest, forged, "--home", homes / "agency", code=EXIT_INTEGRITY)
    assert "central was revoked for compromise" in err
    _, err = run_cli("--lang", "ja", "log", "compare", honest, forged, "--home", homes / "agency", code=EXIT_INTEGRITY)
    assert "漏えい等により失効した鍵で署名されています" in err


def test_a_delivery_accepted_before_the_revocation_is_flagged_in_status(run_cli, net, tmp_path):
    network, files, homes = net
    k, media, returns, before = network.secrets, tmp_path / "media", tmp_path / "returns", NOW - dt.timedelta(days=2)
    sealed = recorded.seal(annex_files=dict(enumerate(files, 1)), period=PERIOD, key=k["agency"],
                           home=homes / "agency", out=media, now=before)
    central = recorded.relay(sealed.package.path, key=k["central"], home=homes / "central", out=media,
                             receipts_out=returns, now=before)
    fed_pkg = next(p.path for p in central.outputs if p.recipient == "fed-13")
    fed = recorded.relay(fed_pkg, key=k["fed-13"], home=homes / "fed-13", out=media, receipts_out=returns, now=before)
    package = next(p.path for p in fed.outputs if p.recipient == "mun-131016")
    recorded.open_package(package, key=k["mun-131016"], home=homes / "mun-131016", out=tmp_path / "opened",
                          receipts_out=returns, now=before)
    revoke_by_cli(run_cli, network, homes, tmp_path, "agency")
    out, _ = run_cli("status", PERIOD, "--home", homes / "mun-131016", code=EXIT_INTEGRITY)  # it lists an error
    assert "compromised-key" in out and "opened here" in out and "revoked for compromise" in out
    _, err = run_cli("reconcile", PERIOD, "--home", homes / "mun-131016", code=EXIT_INTEGRITY)
    assert "revoked for compromise" in err
    assert (tmp_path / "opened").is_dir()  # held, not lost
