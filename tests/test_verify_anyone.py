"""verify and media verify for anyone: an empty home, the root from the paper form's
distribution and the key directory as a file (bundle or signed directory)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secxfer.domain.sample import generate_sample
from secxfer.errors import EXIT_INTEGRITY, EXIT_USAGE
from secxfer.ledger import recorded
from secxfer.testing.network import build_network
from secxfer.trust.fingerprint import document_fingerprint
from secxfer.trust.root import decode_root_unverified

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture(scope="module")
def medium(tmp_path_factory):
    root = tmp_path_factory.mktemp("anyone")
    network = build_network(root, insurer_codes=["131016"], now=NOW)
    sample = generate_sample(root / "src", period="2026-10", rows=12, seed=5, insurers=["131016"])
    files = {n: Path(f) for n, f in zip((1, 2, 3), sample.files)}
    sealed = recorded.seal(annex_files=files, period="2026-10", key=network.secrets["agency"],
                           home=network.home("agency"), out=root / "media", now=NOW)
    (root / "directory.json").write_bytes(network.signed_directory)
    (root / "bundle.json").write_bytes(network.bundle)
    fingerprint = document_fingerprint(decode_root_unverified(network.signed_root)[0].payload)
    return root, Path(sealed.package.path), fingerprint


def test_a_signed_directory_with_the_root_verifies_on_an_empty_home(medium, run_cli, tmp_path):
    root, package, fingerprint = medium
    empty = tmp_path / "nobody"
    out, err = run_cli("verify", package, "--home", empty, "--root", root / "keys" / "root.json",
                       "--directory", root / "directory.json")
    assert out.startswith(f"OK {package.name}") and fingerprint in err
    out, err = run_cli("media", "verify", package.parent, "--home", empty, "--root", root / "keys" / "root.json",
                       "--directory", root / "directory.json")
    assert "0 problem(s)" in out and fingerprint in err
    assert not empty.exists()  # a check writes nothing


def test_a_signed_directory_without_a_root_is_a_usage_error_not_an_incident(medium, run_cli, tmp_path):
    root, package, _ = medium
    _, err = run_cli("media", "verify", package.parent, "--home", tmp_path / "h", "--directory",
                     root / "directory.json", code=EXIT_USAGE)
    assert "--root" in err and "incident" not in err


def test_a_bundle_alone_says_which_root_it_trusted(medium, run_cli, tmp_path):
    root, package, fingerprint = medium
    out, err = run_cli("verify", package, "--home", tmp_path / "h", "--directory", root / "bundle.json")
    assert out.startswith("OK ") and f"fingerprint {fingerprint}" in err and "warning" in err


def test_a_directory_under_another_root_is_refused(medium, run_cli, tmp_path):
    root, package, _ = medium
    other = build_network(tmp_path / "other", insurer_codes=["131016"], seed=99, now=NOW)
    run_cli("verify", package, "--home", tmp_path / "h", "--root", root / "keys" / "root.json",
            "--directory", tmp_path / "other" / "x.json", code=1)
    (tmp_path / "x.json").write_bytes(other.signed_directory)
    _, err = run_cli("verify", package, "--home", tmp_path / "h", "--root", root / "keys" / "root.json",
                     "--directory", tmp_path / "x.json", code=EXIT_INTEGRITY)
    assert "Traceback" not in err


def test_a_wrong_key_names_the_municipality_the_package_is_for(tmp_path, run_cli, english_afterwards):
    root = tmp_path / "net"
    network = build_network(root, insurer_codes=["131016", "221309"], now=NOW)
    sample = generate_sample(root / "src", period="2026-10", rows=12, seed=6, insurers=["131016", "221309"])
    files = {n: Path(f) for n, f in zip((1, 2, 3), sample.files)}
    sealed = recorded.seal(annex_files=files, period="2026-10", key=network.secrets["agency"],
                           home=network.home("agency"), out=root / "media", now=NOW)
    central = recorded.relay(sealed.package.path, key=network.secrets["central"], home=network.home("central"),
                             out=root / "media", now=NOW)
    fed22 = next(p for p in central.outputs if p.recipient == "fed-22")
    fed = recorded.relay(fed22.path, key=network.secrets["fed-22"], home=network.home("fed-22"),
                         out=root / "media", now=NOW)
    (package,) = [p.path for p in fed.outputs if p.recipient == "mun-221309"]
    fresh = tmp_path / "fresh-home"
    args = ["open", package, "--key", root / "keys" / "mun-131016.key", "--home", fresh, "--out", tmp_path / "o"]
    _, err = run_cli(*args, code=EXIT_INTEGRITY)
    assert "this package is for mun-221309 (浜松市), not for mun-131016" in err
    assert not (tmp_path / "o").exists()
    # first use: the operator's root (root.json beside the key) is pinned even though the package failed
    from secxfer.trust.store import TrustStore

    assert TrustStore(fresh).exists()
    _, err = run_cli("--lang", "ja", *args, code=EXIT_INTEGRITY)
    assert "このパッケージの宛先は 浜松市(mun-221309)で、mun-131016 ではありません" in err
    assert "this package is for" not in err
