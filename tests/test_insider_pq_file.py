"""The post-quantum policy is held against the age header in the file, not the sender's claim.

On a network whose directory requires hybrid keys, a municipality still holding an
old X25519 identity beside its hybrid one (as after ``keys add-pq``) is sent a
package by a lying federation: the manifest claims the hybrid recipient, the age
header wraps the file key to the X25519 key only (or to both). Before, the claim
passed the policy and the package opened; now the stanzas decide (exit 3).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
from pathlib import Path

import pytest

import insider
from secxfer.age import AgeDowngradeError, HybridIdentity, X25519Identity, decrypt_bytes, encrypt_bytes, read_header
from secxfer.age.format import Stanza
from secxfer.age.kinds import stanza_kinds
from secxfer.chain.open import open_without_trail as open_package
from secxfer.chain.relay import relay_without_trail as relay
from secxfer.chain.seal import seal_without_trail as seal
from secxfer.domain.sample import generate_sample
from secxfer.testing.network import build_network
from secxfer.trust.errors import EncryptionDowngradeError
from secxfer.trust.participant_secret import ParticipantSecret
from secxfer.trust.secret_keys import save_secret_key

CODES = ["131016", "131024"]
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
MUN = "mun-131016"


def with_old_x25519(secret) -> ParticipantSecret:
    """``secret`` (hybrid only) as if it had kept an X25519 identity from before the upgrade."""
    return ParticipantSecret(
        secret.participant_id, secret.role, encryption_secret=os.urandom(32), signing_seed=secret._signing.encode(),
        created=secret.created, is_test_key=True, hybrid_seed=secret.hybrid_seed_bytes(),
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("pq-file")
    network = build_network(root, insurer_codes=CODES, now=NOW, pq=True)
    sample = generate_sample(root / "source", period="2026-10", rows=60, seed=5, insurers=CODES)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    k = network.secrets
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=network.home("agency"),
                  out=root / "media", now=NOW)
    central = relay(sealed.package.path, key=k["central"], home=network.home("central"), out=root / "media", now=NOW)
    fed_pkg = next(p for p in central.outputs if p.recipient == "fed-13")
    fed = relay(fed_pkg.path, key=k["fed-13"], home=network.home("fed-13"), out=root / "media", now=NOW)
    genuine = next(p.path for p in fed.outputs if p.recipient == MUN)
    both = with_old_x25519(k[MUN])
    save_secret_key(both, root / "keys" / f"{MUN}-both.key", passphrase=None, test_key=True)
    plain = insider.plaintext(genuine, k[MUN].encryption_identities)
    classic_only = insider.write(plain, root / "forged-classic", signer=k["fed-13"],
                                 recipients=[both.encryption_identities[1].recipient])
    assert insider.last_manifest(plain).recipient_keys[0].startswith("age1pq1")  # the claim says hybrid
    return network, root, both, genuine, plain, classic_only


def _fresh_home(world, tmp_path) -> Path:
    network, root, *_ = world
    home = tmp_path / "home"
    shutil.copytree(network.home(MUN), home)
    return home


def test_a_classic_only_file_is_refused_although_the_manifest_claims_hybrid(world, tmp_path):
    network, root, both, genuine, plain, classic_only = world
    with open(classic_only, "rb") as handle:
        assert [s.type for s in read_header(handle).stanzas] == ["X25519"]
    with pytest.raises(EncryptionDowngradeError, match="classical recipient stanzas.*requires post-quantum"):
        open_package(classic_only, key=both, home=_fresh_home(world, tmp_path), out=tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()


def test_the_genuine_hybrid_file_opens_with_the_same_key(world, tmp_path):
    network, root, both, genuine, plain, classic_only = world
    result = open_package(genuine, key=both, home=_fresh_home(world, tmp_path), out=tmp_path / "out", now=NOW)
    assert result.recipient == MUN and (tmp_path / "out" / f"{result.period}_{MUN}_annex1.csv").is_file()


def test_a_file_mixing_hybrid_and_classic_stanzas_is_refused(world, tmp_path):
    """secxfer's age layer never writes such a file; a liar splices one together."""
    network, root, both, genuine, plain, classic_only = world
    hybrid_header = read_header(io.BytesIO(genuine.read_bytes()))
    classic_header = read_header(io.BytesIO(classic_only.read_bytes()))
    kinds = stanza_kinds([*hybrid_header.stanzas, *classic_header.stanzas])
    assert kinds.mixed and not kinds.postquantum_only
    mixed = _mixed_file(plain, both, tmp_path, network.secrets["fed-13"])
    with pytest.raises(EncryptionDowngradeError, match="mixes post-quantum and classical"):
        open_package(mixed, key=both, home=_fresh_home(world, tmp_path), out=tmp_path / "out", now=NOW)


class _Disguised:
    """An X25519 recipient dressed up as post-quantum, so the age layer lets a liar mix it in."""

    labels = frozenset({"postquantum"})

    def __init__(self, recipient) -> None:
        self._recipient = recipient

    def wrap(self, file_key, rng=None):
        return self._recipient.wrap(file_key, rng)


def _mixed_file(plain, both, tmp_path, signer) -> Path:
    """A package whose header wraps one file key to the hybrid and to the X25519 key."""
    hybrid, classic = (i.recipient for i in both.encryption_identities)
    return insider.write(plain, tmp_path / "forged-mixed", signer=signer, recipients=[hybrid, _Disguised(classic)])


def test_grease_stanzas_are_ignored_and_the_age_layer_can_require_post_quantum_only():
    hybrid, classic = HybridIdentity.generate(), X25519Identity.generate()
    grease = Stanza(type="grease-x", args=("a",), body=b"\x00" * 8)
    assert stanza_kinds([grease, *hybrid.recipient.wrap(os.urandom(16))]).postquantum_only
    assert stanza_kinds([grease]).postquantum == 0
    pq_file = encrypt_bytes([hybrid.recipient], b"rows")
    classic_file = encrypt_bytes([classic.recipient], b"rows")
    assert decrypt_bytes([hybrid], pq_file, postquantum_only=True) == b"rows"
    with pytest.raises(AgeDowngradeError, match="no post-quantum recipient stanza"):
        decrypt_bytes([classic], classic_file, postquantum_only=True)
    assert decrypt_bytes([classic], classic_file) == b"rows"  # by default the age layer follows the test kit


def test_the_test_kit_mix_opens_by_default_and_is_refused_when_post_quantum_is_required(age_testkit):
    """C2SP's ``hybrid_and_x25519`` vector expects success from a plain age reader; a
    reader that requires post-quantum (as the spec allows an identity to) refuses it."""
    from secxfer.age import parse_identity

    raw = (age_testkit / "hybrid_and_x25519").read_bytes()
    head, _, body = raw.partition(b"\n\n")
    fields = dict(line.split(": ", 1) for line in head.decode().splitlines())
    identity = parse_identity(fields["identity"])
    assert decrypt_bytes([identity], body)
    with pytest.raises(AgeDowngradeError, match="mixes post-quantum and classical"):
        decrypt_bytes([identity], body, postquantum_only=True)


def test_cli_open_refuses_the_classic_only_file_with_exit_3(world, tmp_path, run_cli):
    network, root, both, genuine, plain, classic_only = world
    home = _fresh_home(world, tmp_path)
    _, err = run_cli("open", classic_only, "--key", root / "keys" / f"{MUN}-both.key", "--out", tmp_path / "out",
                     "--home", home, code=3)
    assert "classical recipient stanzas" in err and "requires post-quantum" in err
    assert not (tmp_path / "out").exists()
    _, err = run_cli("--lang", "ja", "open", classic_only, "--key", root / "keys" / f"{MUN}-both.key",
                     "--out", tmp_path / "out", "--home", home, code=3)
    assert "鍵名簿の方針どおりに暗号化されていません" in err
