"""A 委任状 withdrawn after sealing (threat model §10, docs/operations.md).

The agency sealed the month while mun-131016's consent was in force; key directory
v2 then withdraws it. Whichever relay holds the rows back — central or the
federation — lists the code in its signed manifest (and its hop report) with the
reason; the next hop accepts the package without those rows, the prefecture's other
municipalities open theirs, and the withdrawn municipality gets no package at all.
Before, central's withholding made fed-13 refuse the whole package ("missing
['131016']") and a federation's withholding sent mun-131016 a zero-row package that
open refused. A relay that withholds rows under a false reason is caught by the next
hop's directory.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

import insider
from secxfer.chain import relay as relay_module
from secxfer.chain.manifest import WithheldCode
from secxfer.chain.open import open_without_trail as open_package
from secxfer.chain.relay import relay_without_trail as relay
from secxfer.chain.seal import seal_without_trail as seal
from secxfer.domain.sample import generate_sample
from secxfer.errors import ProvenanceError
from secxfer.ledger import recorded
from secxfer.ledger.evidence import trusted_directory
from secxfer.ledger.reconcile import load_evidence
from secxfer.ledger.reports import balance_problems
from secxfer.testing.network import CONSENT_FILED, build_network
from secxfer.trust.authoring import next_version, record_consent
from secxfer.trust.directory.drafts import sign_directory
from secxfer.trust.store import TrustStore

CODES = ["131016", "131024", "131032", "141003"]
WITHDRAWN, OTHERS = "131016", ("131024", "131032")
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
SEALED = NOW - dt.timedelta(days=2)
JST = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The month sealed two days ago (consent in force), and directory v2 withdrawing 131016 today."""
    root = tmp_path_factory.mktemp("withdrawal")
    network = build_network(root, insurer_codes=CODES, now=NOW - dt.timedelta(days=3))
    sample = generate_sample(root / "source", period="2026-10", rows=200, seed=11, insurers=CODES)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    sealed = seal(annex_files=files, period="2026-10", key=network.secrets["agency"], home=network.home("agency"),
                  out=root / "media", now=SEALED)
    assert all(sum(sealed.per_insurer[c]) for c in CODES)  # every municipality has rows this month
    v1 = TrustStore(network.home("central")).current_directory(NOW)
    v2 = next_version(v1, issued=NOW - dt.timedelta(hours=1), expires=NOW + dt.timedelta(days=300))
    v2 = record_consent(v2, f"mun-{WITHDRAWN}", filed_on=CONSENT_FILED, withdrawn_on=NOW.astimezone(JST).date(),
                        federation=network.secrets["fed-13"], now=NOW - dt.timedelta(hours=1))
    signed_v2 = sign_directory(v2, [network.secrets["root-1"], network.secrets["root-2"]])
    (root / "directory-v2.json").write_bytes(signed_v2)
    return network, root, sealed, signed_v2


class World:
    def __init__(self, base, tmp_path: Path) -> None:
        self.network, self.base_root, self.sealed, self.v2 = base
        self.tmp = tmp_path
        shutil.copytree(self.base_root / "homes", tmp_path / "homes")
        self.media = tmp_path / "media"

    def home(self, pid: str) -> Path:
        return self.tmp / "homes" / pid

    def key(self, pid: str):
        return self.network.secrets[pid]

    def withdraw_at(self, pid: str) -> None:
        TrustStore(self.home(pid)).import_directory(self.v2, now=NOW)

    def central(self, **kwargs):
        return relay(self.sealed.package.path, key=self.key("central"), home=self.home("central"), out=self.media,
                     now=NOW, **kwargs)

    def open_all(self, outputs) -> dict[str, tuple[int, int, int]]:
        rows = {}
        for package in outputs:
            pid = package.recipient
            result = open_package(package.path, key=self.key(pid), home=self.home(pid), out=self.tmp / "opened" / pid,
                                  now=NOW)
            rows[pid] = result.rows
        return rows


def _fed13(result):
    return next(p for p in result.outputs if p.recipient == "fed-13")


def _no_package_for_the_withdrawn(world: World) -> None:
    names = [p.name for p in world.media.rglob("*") if p.is_file()]
    assert names and not [n for n in names if f"mun-{WITHDRAWN}" in n]


def test_central_withholds_and_the_rest_of_the_prefecture_receives(base, tmp_path):
    world = World(base, tmp_path)
    world.withdraw_at("central")
    central = world.central()
    assert central.withheld == {WITHDRAWN: world.sealed.per_insurer[WITHDRAWN]}
    fed_package = _fed13(central)
    manifest = insider.last_manifest(insider.plaintext(fed_package.path, world.key("fed-13").encryption_identities))
    assert manifest.withheld == (WithheldCode(code=WITHDRAWN, reason="consent-withdrawn"),)
    other = next(p for p in central.outputs if p.recipient == "fed-14")
    assert "withheld" not in insider.plaintext(other.path, world.key("fed-14").encryption_identities).decode("latin-1")
    fed = relay(fed_package.path, key=world.key("fed-13"), home=world.home("fed-13"), out=world.media, now=NOW)
    assert sorted(p.recipient for p in fed.outputs) == [f"mun-{c}" for c in OTHERS] and fed.withheld == {}
    opened = world.open_all(fed.outputs)
    assert opened == {f"mun-{c}": world.sealed.per_insurer[c] for c in OTHERS}
    _no_package_for_the_withdrawn(world)


def test_a_federation_withholds_and_the_withdrawn_municipality_gets_no_package(base, tmp_path):
    world = World(base, tmp_path)
    world.withdraw_at("fed-13")
    central = world.central()
    assert central.withheld == {}
    fed = recorded.relay(_fed13(central).path, key=world.key("fed-13"), home=world.home("fed-13"), out=world.media,
                         now=NOW, notify=lambda _: None)
    assert sorted(p.recipient for p in fed.outputs) == [f"mun-{c}" for c in OTHERS]
    assert fed.withheld == {WITHDRAWN: world.sealed.per_insurer[WITHDRAWN]}
    assert world.open_all(fed.outputs) == {f"mun-{c}": world.sealed.per_insurer[c] for c in OTHERS}
    _no_package_for_the_withdrawn(world)
    reports = load_evidence(world.home("fed-13"), "2026-10", trusted_directory(world.home("fed-13"), NOW), now=NOW).reports
    (report,) = [r for r in reports if r.reporter == "fed-13"]
    assert [(w.code, w.reason, w.rows) for w in report.withheld] == [
        (WITHDRAWN, "consent-withdrawn", world.sealed.per_insurer[WITHDRAWN])]
    assert balance_problems(report) == [] and f"mun-{WITHDRAWN}" not in [o.recipient for o in report.outputs]


def test_a_withdrawal_claim_the_directory_does_not_back_is_refused(base, tmp_path, monkeypatch):
    """Central holds back 131024, whose 委任状 is in force, and signs 'consent-withdrawn'."""
    world = World(base, tmp_path)
    monkeypatch.setattr(relay_module, "_consent_gate", lambda *args: {"131024"})
    lying = world.central()
    monkeypatch.undo()
    with pytest.raises(ProvenanceError, match="131024 as consent-withdrawn, but key directory v1 has its power"):
        relay(_fed13(lying).path, key=world.key("fed-13"), home=world.home("fed-13"), out=tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()


def test_a_withheld_claim_outside_the_recipients_scope_is_refused(base, tmp_path, monkeypatch):
    """A claim about another prefecture's municipality would hide a drop there; refused."""
    world = World(base, tmp_path)
    world.withdraw_at("central")
    monkeypatch.setattr(relay_module, "WithheldCode",
                        lambda code, reason: WithheldCode(code="141003", reason=reason))
    lying = world.central()
    monkeypatch.undo()
    with pytest.raises(ProvenanceError, match="not a code of fed-13's scope"):
        relay(_fed13(lying).path, key=world.key("fed-13"), home=world.home("fed-13"), out=tmp_path / "out", now=NOW)


@pytest.mark.parametrize("withholder", ["central", "fed-13"])
def test_cli_relays_and_opens_around_a_withdrawal(base, tmp_path, run_cli, withholder):
    world = World(base, tmp_path)
    network = world.network
    run_cli("directory", "import", world.base_root / "directory-v2.json", "--home", world.home(withholder))
    out, _ = run_cli("relay", world.sealed.package.path, "--key", network.key_path("central"),
                     "--home", world.home("central"), "--out", world.media)
    rows = sum(world.sealed.per_insurer[WITHDRAWN])
    withheld_line = re.compile(rf"withheld {WITHDRAWN}\b[^\n]*: {rows} rows \(consent withdrawn\)")
    assert bool(withheld_line.search(out)) == (withholder == "central")
    fed_package = next((world.media / "central-to-fed-13").glob("*.age"))
    out, _ = run_cli("relay", fed_package, "--key", network.key_path("fed-13"), "--home", world.home("fed-13"),
                     "--out", world.media)
    assert bool(withheld_line.search(out)) == (withholder == "fed-13")
    assert sorted(p.name for p in world.media.iterdir() if p.name.startswith("fed-13-to-")) == [
        f"fed-13-to-mun-{c}" for c in OTHERS]
    for code in OTHERS:
        package = next((world.media / f"fed-13-to-mun-{code}").glob("*.age"))
        run_cli("open", package, "--key", network.key_path(f"mun-{code}"), "--home", world.home(f"mun-{code}"),
                "--out", tmp_path / "opened" / code)
        assert len(list((tmp_path / "opened" / code).glob("*_annex1.csv"))) == 1
    _no_package_for_the_withdrawn(world)


def test_the_withholding_relays_view_shows_the_municipality_withheld(base, tmp_path):
    from secxfer.ledger.reconcile import reconcile_home

    world = World(base, tmp_path)
    world.withdraw_at("fed-13")
    central = world.central()
    recorded.relay(_fed13(central).path, key=world.key("fed-13"), home=world.home("fed-13"), out=world.media,
                   now=NOW, notify=lambda _: None)
    view = reconcile_home(world.home("fed-13"), "2026-10", now=NOW)
    assert view.standings[f"mun-{WITHDRAWN}"].state == "withheld"
    assert not [p for p in view.problems if p.severity == "error"]


def test_cli_federation_refuses_a_false_withdrawal_claim_with_exit_3(base, tmp_path, run_cli, monkeypatch):
    world = World(base, tmp_path)
    monkeypatch.setattr(relay_module, "_consent_gate", lambda *args: {"131024"})
    lying = world.central()
    monkeypatch.undo()
    _, err = run_cli("relay", _fed13(lying).path, "--key", world.network.key_path("fed-13"),
                     "--home", world.home("fed-13"), "--out", tmp_path / "out", code=3)
    assert "central withheld the rows of 131024 as consent-withdrawn" in err and "false reason" in err
    assert not (tmp_path / "out").exists()
    _, err = run_cli("--lang", "ja", "relay", _fed13(lying).path, "--key", world.network.key_path("fed-13"),
                     "--home", world.home("fed-13"), "--out", tmp_path / "out", code=3)
    assert "中継者が根拠なく行を保留しています" in err and "131024" in err
