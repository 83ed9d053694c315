"""One package identity (secxfer.chain.identity): the sender's, the medium's and the receiver's agree.

The identity the chain takes when it writes a package is the one the receiver computes
from the verified package, the one the sender's medium index lists, and the one the
outer statement and the ledger's receipt and hop report carry, field by field.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest

from secxfer.chain import media
from secxfer.chain.identity import index_entry, indexed_identity, outer_statement, received_identity
from secxfer.chain.manifest import OuterStatement
from secxfer.chain.open import open_without_trail as open_package
from secxfer.chain.package import receive, written_from_index
from secxfer.chain.relay import relay_without_trail as relay
from secxfer.chain.seal import seal_without_trail as seal
from secxfer.domain.counts import RowCounts
from secxfer.domain.sample import generate_sample
from secxfer.ledger.receipts import accepted_receipt, package_facts
from secxfer.ledger.reports import relay_report
from secxfer.testing.network import build_network
from secxfer.trust.codec import decode_strict
from secxfer.trust.signing import SignedDocument

CODES = ["131016", "131024", "141003"]
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    root = tmp_path_factory.mktemp("identity")
    network = build_network(root, insurer_codes=CODES, now=NOW)
    sample = generate_sample(root / "source", period="2026-10", rows=60, seed=5, insurers=CODES)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    k = network.secrets
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=network.home("agency"),
                  out=root / "media", now=NOW)
    return network, root, sealed


def test_written_received_indexed_and_signed_identities_agree(month):
    network, root, sealed = month
    written = sealed.package
    identity = written.identity
    assert (identity.sender, identity.recipient, identity.period, identity.file_name) == (
        "agency", "central", "2026-10", written.path.name)
    assert identity.rows == sealed.rows_sealed and isinstance(identity.rows, RowCounts)
    # the medium's index and the outer statement are written from it
    assert written.index_entry == index_entry(identity, written.size)
    assert indexed_identity(written.index_entry, "agency") == identity
    assert written_from_index(written.path.parent, identity.package_id) == written
    # the receiver computes the same identity from the verified package
    with receive(written.path, me=network.secrets["central"], home=network.home("central"), now=NOW,
                 check_replay=False) as pkg:
        assert received_identity(pkg) == identity
        facts = package_facts(pkg)
    receipt = accepted_receipt(facts, issuer="central", action="relay", now=NOW)
    assert (receipt.sender, receipt.period, receipt.rehearsal, receipt.package_id, receipt.file_name,
            receipt.encrypted_sha256, receipt.manifest_sha256, receipt.rows) == (
        identity.sender, identity.period, identity.rehearsal, identity.package_id, identity.file_name,
        identity.encrypted_sha256, identity.manifest_sha256, identity.rows)


def test_relay_outputs_and_opened_package_carry_the_identity_down(month):
    network, root, sealed = month
    k = network.secrets
    with receive(sealed.package.path, me=k["central"], home=network.home("central"), now=NOW,
                 check_replay=False) as pkg:
        facts = package_facts(pkg)
    central = relay(sealed.package.path, key=k["central"], home=network.home("central"), out=root / "media", now=NOW)
    report = relay_report(central, facts, reporter="central", now=NOW)
    assert report.input.package_id == sealed.package.identity.package_id
    for written, output in zip(central.outputs, report.outputs, strict=True):
        sent = written.identity
        assert (output.recipient, output.package_id, output.file_name, output.encrypted_sha256,
                output.manifest_sha256, output.rows) == (sent.recipient, sent.package_id, sent.file_name,
                                                         sent.encrypted_sha256, sent.manifest_sha256, sent.rows)
        assert sent.sender == "central" and sent.period == "2026-10"
    to_fed = next(p for p in central.outputs if p.recipient == "fed-13")
    fed = relay(to_fed.path, key=k["fed-13"], home=network.home("fed-13"), out=root / "media", now=NOW)
    to_mun = next(p for p in fed.outputs if p.recipient == "mun-131016")
    opened = open_package(to_mun.path, key=k["mun-131016"], home=network.home("mun-131016"), out=root / "out",
                          now=NOW)
    assert opened.identity == to_mun.identity
    assert (opened.recipient, opened.package_id, opened.rows) == ("mun-131016", to_mun.package_id, to_mun.rows)


def test_the_outer_statement_is_the_identity_signed(month):
    network, root, sealed = month
    written = sealed.package
    sidecar = written.path.with_name(written.path.name + media.SIDECAR_SUFFIX).read_bytes()
    envelope = msgspec.json.decode(sidecar, type=SignedDocument)
    statement = decode_strict(envelope.payload, msgspec.json.Decoder(OuterStatement), what="outer", max_bytes=1 << 16)
    assert statement == outer_statement(written.identity, written.size, statement.created)
