"""A relay or open killed after the chain recorded the package, before its receipt was
kept: the rerun completes the paper trail instead of reporting a replay; a genuine
second open is still a replay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest

from secxfer.chain.open import open_without_trail as chain_open
from secxfer.chain.relay import relay_without_trail as chain_relay
from secxfer.domain.sample import generate_sample
from secxfer.errors import ReplayError
from secxfer.ledger import recorded
from secxfer.ledger.evidence import RECEIPT_KIND, kind_of
from secxfer.ledger.receipts import Receipt
from secxfer.ledger.store import LedgerHome
from secxfer.testing.network import build_network
from secxfer.trust.signing import SignedDocument

CODES = ["131016", "131024"]
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def accepted_receipts(home: Path, package_id: str) -> list[Receipt]:
    found = []
    for _, raw in LedgerHome(home).evidence("2026-10"):
        if kind_of(raw) == RECEIPT_KIND:
            receipt = msgspec.json.decode(SignedDocument.decode(raw).payload, type=Receipt)
            if receipt.package_id == package_id and receipt.accepted:
                found.append(receipt)
    return found


@pytest.fixture
def chain(tmp_path):
    network = build_network(tmp_path, insurer_codes=CODES, now=NOW)
    sample = generate_sample(tmp_path / "source", period="2026-10", rows=40, seed=2, insurers=CODES)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    k = network.secrets
    sealed = recorded.seal(annex_files=files, period="2026-10", key=k["agency"], home=network.home("agency"),
                           out=tmp_path / "media", now=NOW)
    return network, sealed, tmp_path


def test_interrupted_relay_completes_its_trail_on_rerun(chain):
    network, sealed, tmp = chain
    home = network.home("central")
    chain_relay(sealed.package.path, key=network.secrets["central"], home=home, out=tmp / "media", now=NOW)
    assert accepted_receipts(home, sealed.package.package_id) == []  # killed before the ledger ran
    result = recorded.relay(sealed.package.path, key=network.secrets["central"], home=home, out=tmp / "media",
                            now=NOW, notify=lambda message: None)
    assert len(result.outputs) == 47
    assert len(accepted_receipts(home, sealed.package.package_id)) == 1
    with pytest.raises(ReplayError):
        recorded.relay(sealed.package.path, key=network.secrets["central"], home=home, out=tmp / "media",
                       now=NOW, notify=lambda message: None)


def test_interrupted_open_completes_its_trail_and_keeps_the_outputs(chain):
    network, sealed, tmp = chain
    k = network.secrets
    central = recorded.relay(sealed.package.path, key=k["central"], home=network.home("central"), out=tmp / "media", now=NOW)
    fed = next(p for p in central.outputs if p.recipient == "fed-13")
    mun = next(p for p in recorded.relay(fed.path, key=k["fed-13"], home=network.home("fed-13"),
                                         out=tmp / "media", now=NOW).outputs if p.recipient == "mun-131016")
    home, out = network.home("mun-131016"), tmp / "opened"
    chain_open(mun.path, key=k["mun-131016"], home=home, out=out, now=NOW)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = recorded.open_package(mun.path, key=k["mun-131016"], home=home, out=out, now=NOW,
                                   notify=lambda message: None)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and len(result.files) == 4  # 3 CSVs + workbook
    assert len(accepted_receipts(home, mun.package_id)) == 1
    with pytest.raises(ReplayError):
        recorded.open_package(mun.path, key=k["mun-131016"], home=home, out=tmp / "again", now=NOW,
                              notify=lambda message: None)
    assert not (tmp / "again").exists()
