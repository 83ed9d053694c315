"""Packages sealed to post-quantum hybrid keys, through the whole chain.

A network whose every participant holds a hybrid key (and whose directory policy
requires them) runs seal → central → federation → municipality: every package is
sealed to ``mlkem768x25519`` stanzas only, opens with the hybrid identity and not
with an X25519 one. A participant that added a hybrid key beside its X25519 key
opens both kinds of packages. The X25519 test vectors still open.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from secxfer.age import X25519Identity, decrypt_bytes, encrypt_bytes, read_header
from secxfer.chain.open import open_without_trail as open_package
from secxfer.chain.relay import relay_without_trail as relay
from secxfer.chain.seal import seal_without_trail as seal
from secxfer.domain.sample import generate_sample
from secxfer.errors import DecryptionError, UsageError
from secxfer.testing.network import build_network
from secxfer.trust import add_hybrid_key, load_secret_key

CODES = ["131016", "131024", "141003"]
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pq_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("pq-chain")
    network = build_network(root, insurer_codes=CODES, now=NOW, pq=True)
    sample = generate_sample(root / "source", period="2026-10", rows=120, seed=5, insurers=CODES)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    k = network.secrets
    homes, out = root / "homes", root / "media"
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=homes / "agency", out=out, now=NOW)
    central = relay(sealed.package.path, key=k["central"], home=homes / "central", out=out, now=NOW)
    fed_pkg = next(p for p in central.outputs if p.recipient == "fed-13")
    fed = relay(fed_pkg.path, key=k["fed-13"], home=homes / "fed-13", out=out, now=NOW)
    return network, sealed, central, fed_pkg, fed


def stanza_types(path: Path) -> list[str]:
    with open(path, "rb") as handle:
        return [s.type for s in read_header(handle).stanzas]


def test_the_chain_runs_on_hybrid_keys(pq_world, tmp_path):
    network, sealed, central, fed_pkg, fed = pq_world
    assert network.pq and network.secrets["mun-131016"].encryption_public_key is None
    for path in [sealed.package.path, fed_pkg.path, *(p.path for p in central.outputs), *(p.path for p in fed.outputs)]:
        assert stanza_types(path) == ["mlkem768x25519"]
    opened = {}
    for package in fed.outputs:
        pid = package.recipient
        result = open_package(package.path, key=network.secrets[pid], home=network.home(pid), out=tmp_path / pid, now=NOW)
        opened[pid] = sum(result.rows)
        assert result.chain == ("agency", "central", "fed-13")
    assert set(opened) == {"mun-131016", "mun-131024"}
    assert sum(opened.values()) == sum(sum(p.rows) for p in fed.outputs)


def test_a_hybrid_package_opens_with_the_hybrid_identity_only(pq_world):
    network, _, _, _, fed = pq_world
    package = next(p for p in fed.outputs if p.recipient == "mun-131016").path.read_bytes()
    me = network.secrets["mun-131016"]
    assert decrypt_bytes([me.encryption_identity], package).startswith(b"secxfer-package-v1\n")
    x25519 = X25519Identity.generate()
    with pytest.raises(DecryptionError):
        decrypt_bytes([x25519], package)
    with pytest.raises(DecryptionError):  # another participant's hybrid identity does not open it either
        decrypt_bytes([network.secrets["mun-131024"].encryption_identity], package)


def test_classic_and_hybrid_recipients_are_never_mixed(pq_world):
    network, _, _, _, _ = pq_world
    hybrid = network.secrets["mun-131016"].encryption_identity.recipient
    with pytest.raises(UsageError, match="cannot be mixed"):
        encrypt_bytes([hybrid, X25519Identity.generate().recipient], b"rows")


def test_an_upgraded_key_opens_packages_of_both_types():
    old = load_secret_key(REPO / "keys-example" / "keys" / "mun-131016.key")
    both = add_hybrid_key(old, now=old.created + dt.timedelta(days=1))
    classic = encrypt_bytes([old.encryption_identity.recipient], b"sealed before the change")
    post_quantum = encrypt_bytes([both.encryption_identity.recipient], b"sealed after it")
    assert decrypt_bytes(list(both.encryption_identities), classic) == b"sealed before the change"
    assert decrypt_bytes(list(both.encryption_identities), post_quantum) == b"sealed after it"
    with pytest.raises(DecryptionError):
        decrypt_bytes([old.encryption_identity], post_quantum)


def test_a_relay_with_both_keys_opens_a_package_sealed_to_its_old_x25519_key(tmp_path):
    """A participant moved to hybrid keeps opening what was sealed to it before (receive tries every identity)."""
    root = tmp_path / "classic"
    network = build_network(root, insurer_codes=["131016"], now=NOW)
    sample = generate_sample(root / "source", period="2026-10", rows=20, seed=5, insurers=["131016"])
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    sealed = seal(annex_files=files, period="2026-10", key=network.secrets["agency"], home=network.home("agency"),
                  out=root / "media", now=NOW)
    assert stanza_types(sealed.package.path) == ["X25519"]
    upgraded = add_hybrid_key(network.secrets["central"], now=NOW)
    result = relay(sealed.package.path, key=upgraded, home=network.home("central"), out=root / "media", now=NOW)
    assert len(result.outputs) == 47


def test_the_x25519_vectors_still_open(tmp_path):
    vectors = REPO / "tests" / "vectors"
    key = load_secret_key(vectors / "mun-131016.key")
    assert not key.is_hybrid
    good = next(vectors.glob("2026-10_fed-13_to_mun-131016_*.age"))
    assert stanza_types(good) == ["X25519"]
    work = tmp_path / "v"
    shutil.copytree(vectors, work)
    result = open_package(work / good.name, key=key, home=tmp_path / "home", out=tmp_path / "out",
                          now=dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.timezone.utc),
                          anchor=(vectors / "root.json").read_bytes())
    assert result.recipient == "mun-131016" and result.chain == ("agency", "central", "fed-13")
