"""Receipts, hop reports, aggregates and reconciliation on a small network, with every fault
issue 6 names injected: a lost package, a package opened twice, a forged receipt, a
receipt for rows that differ — each must be reported precisely, at the right place.

The chain runs once (module fixture) up to every receipt lying on the return media;
each test copies that state, injects its fault, and collects the receipts upward.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import msgspec
import pytest

from secxfer.domain.counts import RowCounts
from secxfer.domain.sample import generate_sample
from secxfer.errors import DecryptionError, ReplayError
from secxfer.ledger import recorded
from secxfer.ledger.aggregate import forward
from secxfer.ledger.collect import collect
from secxfer.ledger.errors import IncompleteError, ReconciliationError
from secxfer.ledger.evidence import RECEIPT_KIND, REPORT_KIND, sign_model, trusted_directory
from secxfer.ledger.receipts import Receipt, disposition_for
from secxfer.ledger.reconcile import reconcile_home, require_reconciled
from secxfer.ledger.returns import return_folder, write_sealed
from secxfer.ledger.status import status
from secxfer.testing.network import build_network

CODES = ["131016", "131024", "131032", "141003", "141305", "011002", "012131", "271004"]
NO_CONSENT = ["131032"]
COVERED = [c for c in CODES if c not in NO_CONSENT]
PERIOD = "2026-10"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The whole chain run once: sealed, relayed to all 47 federations, every package opened,
    every receipt on the return media (nothing collected yet)."""
    root = tmp_path_factory.mktemp("ledger")
    network = build_network(root, insurer_codes=CODES, without_consent=NO_CONSENT, now=NOW)
    sample = generate_sample(root / "source", period=PERIOD, rows=300, seed=3, insurers=CODES)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    shutil.copytree(root / "homes", root / "pristine")
    k, media, returns = network.secrets, root / "media", root / "returns"
    sealed = recorded.seal(annex_files=files, period=PERIOD, key=k["agency"], home=network.home("agency"), out=media, now=NOW)
    central = recorded.relay(sealed.package.path, key=k["central"], home=network.home("central"), out=media, now=NOW)
    packages = {}
    for fed_package in central.outputs:
        fed = fed_package.recipient
        result = recorded.relay(fed_package.path, key=k[fed], home=network.home(fed), out=media, now=NOW)
        packages[fed] = fed_package.path
        for out in result.outputs:
            packages[out.recipient] = out.path
            recorded.open_package(out.path, key=k[out.recipient], home=network.home(out.recipient),
                                  out=root / "opened" / out.recipient, now=NOW, receipts_out=returns)
    return network, root, packages, sealed


class World:
    """A private copy of the base run: homes and return media this test may change."""

    def __init__(self, base, tmp_path: Path) -> None:
        self.network, self.base_root, self.packages, self.sealed = base
        self.tmp = tmp_path
        shutil.copytree(self.base_root / "homes", tmp_path / "homes")
        shutil.copytree(self.base_root / "returns", tmp_path / "returns")
        self.returns = tmp_path / "returns"

    def home(self, pid: str) -> Path:
        return self.tmp / "homes" / pid

    def key(self, pid: str):
        return self.network.secrets[pid]

    def collect_up(self, *, skip_feds=()):
        """Every federation collects and forwards, then central, then the agency collects."""
        refused = []
        for fed in (f"fed-{n:02d}" for n in range(1, 48)):
            if fed in skip_feds:
                continue
            refused += collect(self.returns, key=self.key(fed), home=self.home(fed), now=NOW).rejected
            forward(PERIOD, key=self.key(fed), home=self.home(fed), out=self.returns, now=NOW)
        refused += collect(self.returns, key=self.key("central"), home=self.home("central"), now=NOW).rejected
        forward(PERIOD, key=self.key("central"), home=self.home("central"), out=self.returns, now=NOW)
        refused += collect(self.returns, key=self.key("agency"), home=self.home("agency"), now=NOW).rejected
        return refused

    def receipt_file(self, pid: str) -> Path:
        (path,) = return_folder(self.returns, pid, f"fed-{pid[4:6]}").glob("*.receipt.age")
        return path

    def own_receipt(self, pid: str) -> Receipt:
        from secxfer.ledger.reconcile import load_evidence

        evidence = load_evidence(self.home(pid), PERIOD, trusted_directory(self.home(pid), NOW), now=NOW)
        (receipt,) = [r for r in evidence.receipts if r.issuer == pid]
        return receipt

    def put_receipt(self, receipt: Receipt, *, signer: str) -> Path:
        """Sign ``receipt`` with ``signer``'s key and put it on the return medium as ``receipt.issuer``."""
        directory = self.network_directory()
        raw = sign_model(RECEIPT_KIND, receipt, self.key(signer))
        return write_sealed(self.returns, kind=RECEIPT_KIND, signed=raw, author=receipt.issuer, recipient=receipt.sender,
                            period=PERIOD, rehearsal=False, directory=directory, now=NOW)

    def network_directory(self):
        return trusted_directory(self.home("agency"), NOW)


def problems_of(rec, kind):
    return [p for p in rec.problems if p.kind == kind]


def test_every_municipality_confirmed_and_reconciled(base, tmp_path):
    world = World(base, tmp_path)
    assert world.collect_up() == []
    rec = reconcile_home(world.home("agency"), PERIOD, now=NOW)
    assert rec.ok and rec.problems == [] and rec.viewer == "agency"
    states = {s.id: s.state for s in rec.standings.values()}
    assert states == {"central": "confirmed", **{f"fed-{n:02d}": "confirmed" for n in range(1, 48)},
                      **{f"mun-{c}": "confirmed" for c in COVERED}}
    # each municipality's rows are the agency's: the rows column is what was sealed for it
    sealed = world.sealed
    assert {s.id[4:]: s.rows for s in rec.municipalities} == {c: sealed.per_insurer[c] for c in COVERED}
    require_reconciled(rec)
    # every view: central and a federation see their part complete, a municipality its own package
    assert reconcile_home(world.home("central"), PERIOD, now=NOW).ok
    fed = reconcile_home(world.home("fed-13"), PERIOD, now=NOW)
    assert fed.ok and set(fed.standings) == {"mun-131016", "mun-131024"}
    own = status(world.home("mun-131016"), PERIOD, now=NOW).to_json()
    assert own["complete"] and [r["state"] for r in own["recipients"]] == ["received"]


def test_hop_reports_add_up(base, tmp_path):
    from secxfer.ledger.reconcile import load_evidence
    from secxfer.ledger.reports import balance_problems

    world = World(base, tmp_path)
    evidence = load_evidence(world.home("agency"), PERIOD, world.network_directory(), now=NOW)
    (report,) = evidence.reports
    assert report.action == "seal" and balance_problems(report) == []
    assert [w.code for w in report.withheld] == NO_CONSENT and [x.code for x in report.leaves] == sorted(COVERED)
    assert sum(report.rows_in) == sum(report.outputs[0].rows) + sum(sum(w.rows) for w in report.withheld)
    evidence = load_evidence(world.home("central"), PERIOD, world.network_directory(), now=NOW)
    (report,) = evidence.reports
    assert len(report.outputs) == 47 and balance_problems(report) == []
    assert report.input.package_id == world.sealed.package.package_id


def test_lost_package_is_named_with_where_the_chain_broke(base, tmp_path):
    world = World(base, tmp_path)
    world.receipt_file("mun-131024").unlink()  # the package never arrived: no receipt comes back
    world.collect_up()
    rec = reconcile_home(world.home("agency"), PERIOD, now=NOW)
    standing = rec.standings["mun-131024"]
    assert standing.state == "relayed" and "by fed-13" in standing.detail
    (problem,) = rec.problems
    assert (problem.severity, problem.kind, problem.where) == ("open", "no-receipt", "mun-131024")
    assert "fed-13 sent package" in problem.message and Path(world.packages["mun-131024"]).name in problem.message
    assert rec.standings["mun-131016"].state == "confirmed" and not rec.ok
    with pytest.raises(IncompleteError, match="mun-131024"):
        require_reconciled(rec)
    view = status(world.home("agency"), PERIOD, now=NOW)
    assert view.to_json()["counts"]["relayed"] == 1 and not view.complete


def test_status_counts_days_to_the_deadline_and_flags_overdue(base, tmp_path):
    from secxfer.domain.calendar import deadline

    world = World(base, tmp_path)
    world.receipt_file("mun-131024").unlink()
    world.collect_up()
    due = deadline(PERIOD)
    before = status(world.home("agency"), PERIOD, now=dt.datetime.combine(due, dt.time(0), dt.timezone.utc) - dt.timedelta(days=2))
    assert before.days_left == 2 and not before.overdue and "(2 day(s) left)" in before.lines()[0]
    after = status(world.home("agency"), PERIOD, now=dt.datetime.combine(due, dt.time(3), dt.timezone.utc) + dt.timedelta(days=3))
    assert after.days_left == -3 and after.overdue and after.to_json()["overdue"] is True
    assert "OVERDUE by 3 day(s)" in after.lines()[0]


def test_ledger_holds_no_personal_data(base, tmp_path):
    """Logs, receipts and reports carry ids, codes, counts and hashes: never a name or an address."""
    network, root, _, _ = base
    personal = set()
    for path in sorted((root / "source").glob("*.csv")):
        for line in path.read_bytes().decode("cp932").splitlines()[1:]:
            fields = [f.strip('"') for f in line.split(",")]
            personal.update(x for x in (fields[0], fields[2]) if len(x) >= 4)
    assert len(personal) > 100
    written = b"".join(p.read_bytes() for p in (root / "homes").glob("*/ledger/**/*") if p.is_file())
    assert len(written) > 100_000
    text = written.decode("utf-8", errors="replace")
    assert not [x for x in personal if x in text]


def test_a_federation_that_never_answers(base, tmp_path):
    world = World(base, tmp_path)
    world.collect_up(skip_feds={"fed-14"})
    rec = reconcile_home(world.home("agency"), PERIOD, now=NOW)
    assert rec.standings["fed-14"].state == "relayed"
    assert {rec.standings[f"mun-{c}"].state for c in ("141003", "141305")} == {"relayed"}
    assert all("no word from fed-14" in rec.standings[f"mun-{c}"].detail for c in ("141003", "141305"))
    assert [p.where for p in problems_of(rec, "no-receipt")] == ["fed-14"]


def test_package_opened_twice_is_caught(base, tmp_path):
    world = World(base, tmp_path)
    package = world.packages["mun-131016"]
    # The same package opened again in a second installation (a copy of the pristine home):
    second = tmp_path / "second-home"
    shutil.copytree(world.base_root / "pristine" / "mun-131016", second)
    later = NOW + dt.timedelta(minutes=10)  # within the clock skew of the reconciliation below
    recorded.open_package(package, key=world.key("mun-131016"), home=second, out=tmp_path / "copy", now=later,
                          receipts_out=world.returns)
    # ...and offered again in the first one, which refuses it as a replay and says so.
    with pytest.raises(ReplayError):
        recorded.open_package(package, key=world.key("mun-131016"), home=world.home("mun-131016"), out=tmp_path / "again",
                              now=later, receipts_out=world.returns)
    assert not (tmp_path / "again").exists()
    world.collect_up()
    rec = reconcile_home(world.home("agency"), PERIOD, now=NOW)
    (twice,) = problems_of(rec, "opened-twice")
    assert twice.severity == "error" and twice.where == "mun-131016" and "2 times" in twice.message
    (replay,) = problems_of(rec, "replayed")
    assert replay.severity == "warning" and replay.where == "mun-131016"
    with pytest.raises(ReconciliationError, match="mun-131016 accepted package"):
        require_reconciled(rec)


def test_forged_receipts_are_refused_at_collection(base, tmp_path):
    world = World(base, tmp_path)
    genuine = world.own_receipt("mun-131024")
    # 1. mun-131016 signs a receipt claiming to be mun-131024's
    forged = msgspec.structs.replace(genuine, created=NOW + dt.timedelta(minutes=1))
    world.receipt_file("mun-131024").unlink()
    world.put_receipt(forged, signer="mun-131016")
    # 2. a genuine receipt whose signed bytes were altered on the medium
    from secxfer.age import decrypt_bytes, encrypt_bytes

    path = world.receipt_file("mun-131016")
    from secxfer.trust.signing import SignedDocument

    doc = SignedDocument.decode(decrypt_bytes([world.key("fed-13").encryption_identity], path.read_bytes()))
    payload = doc.payload.replace(b'"rows":[', b'"rows":[1', 1)
    assert payload != doc.payload
    altered = msgspec.structs.replace(doc, payload=payload).encode()
    directory = world.network_directory()
    path.write_bytes(encrypt_bytes(directory.encryption_recipients("fed-13", NOW), altered))
    result = collect(world.returns, key=world.key("fed-13"), home=world.home("fed-13"), now=NOW)
    assert result.stored == 0 and len(result.rejected) == 2
    text = "\n".join(result.rejected)
    assert "claims to be by 'mun-131024' but is signed by 'mun-131016'" in text
    assert "mun-131016-to-fed-13" in text and "invalid secxfer/receipt signature" in text
    # neither reaches the evidence: both municipalities stay unconfirmed, by name
    world.collect_up()
    rec = reconcile_home(world.home("agency"), PERIOD, now=NOW)
    assert {p.where for p in problems_of(rec, "no-receipt")} == {"mun-131016", "mun-131024"}


def test_aggregate_may_not_carry_documents_from_outside_the_forwarder(base, tmp_path):
    world = World(base, tmp_path)
    # fed-14 smuggles in a receipt signed by a Tokyo municipality (below fed-13, not fed-14)
    stray = world.own_receipt("mun-131016")
    raw = sign_model(RECEIPT_KIND, stray, world.key("mun-131016"))
    from secxfer.ledger.evidence import Verified

    from secxfer.ledger.store import LedgerHome

    LedgerHome(world.home("fed-14")).keep([Verified(kind=RECEIPT_KIND, signer="mun-131016", document=stray, raw=raw)], PERIOD)
    forward(PERIOD, key=world.key("fed-14"), home=world.home("fed-14"), out=world.returns, now=NOW)
    result = collect(world.returns, key=world.key("central"), home=world.home("central"), now=NOW)
    (refused,) = result.rejected
    assert "'mun-131016' is not below 'fed-14'" in refused


def test_receipt_for_rows_that_differ(base, tmp_path):
    from secxfer.ledger.evidence import LeafFacts

    world = World(base, tmp_path)
    genuine = world.own_receipt("mun-141003")
    (leaf,) = genuine.leaves
    other = LeafFacts(code=leaf.code, rows=RowCounts(leaf.rows[1] + 1, leaf.rows[2], leaf.rows[3]), leaf_sha256=bytes(32))
    world.receipt_file("mun-141003").unlink()
    world.put_receipt(msgspec.structs.replace(genuine, leaves=(other,), rows=other.rows), signer="mun-141003")
    world.collect_up()
    rec = reconcile_home(world.home("agency"), PERIOD, now=NOW)
    (problem,) = problems_of(rec, "receipt-differs")
    assert problem.severity == "error" and problem.where == "mun-141003"
    assert f"rows {tuple(other.rows)}" in problem.message and f"agency's {tuple(leaf.rows)}" in problem.message
    assert rec.standings["mun-141003"].state == "failed"
    with pytest.raises(ReconciliationError):
        require_reconciled(rec)


def test_report_that_does_not_add_up(base, tmp_path):
    from secxfer.ledger.reconcile import load_evidence

    world = World(base, tmp_path)
    (report,) = load_evidence(world.home("fed-13"), PERIOD, world.network_directory(), now=NOW).reports
    padded = msgspec.structs.replace(report, rows_in=RowCounts(report.rows_in[1] + 5, report.rows_in[2], report.rows_in[3]),
                                     created=NOW + dt.timedelta(seconds=1))
    raw = sign_model(REPORT_KIND, padded, world.key("fed-13"))
    from secxfer.ledger.collect import verify_item
    from secxfer.ledger.store import LedgerHome

    LedgerHome(world.home("agency")).keep([verify_item(raw, world.network_directory(), now=NOW)], PERIOD)
    world.collect_up()
    rec = reconcile_home(world.home("agency"), PERIOD, now=NOW)
    (problem,) = problems_of(rec, "unbalanced")
    assert problem.where == "fed-13" and "rows in" in problem.message and "≠ rows out" in problem.message


def test_damaged_package_gets_a_failure_receipt(base, tmp_path):
    world = World(base, tmp_path)
    package = world.packages["mun-271004"]
    data = bytearray(Path(package).read_bytes())
    data[len(data) // 2] ^= 1
    bad = tmp_path / "media" / Path(package).parent.name / Path(package).name
    bad.parent.mkdir(parents=True)
    bad.write_bytes(bytes(data))
    shutil.copy(str(package) + ".sig", str(bad) + ".sig")
    fresh = tmp_path / "fresh"
    shutil.copytree(world.base_root / "pristine" / "mun-271004", fresh)
    with pytest.raises(DecryptionError):
        recorded.open_package(bad, key=world.key("mun-271004"), home=fresh, out=tmp_path / "out", now=NOW,
                              receipts_out=world.returns)
    assert not (tmp_path / "out").exists()
    failures = [p for p in return_folder(world.returns, "mun-271004", "fed-27").glob("*.receipt.age")]
    assert len(failures) == 2  # the genuine accepted one from the base run, and this failure
    world.collect_up()
    rec = reconcile_home(world.home("agency"), PERIOD, now=NOW)
    # the accepted receipt from the intact copy still confirms; the refused damaged copy is shown
    assert rec.standings["mun-271004"].state == "confirmed"
    (copy,) = problems_of(rec, "refused-copy")
    assert (copy.severity, copy.where) == ("warning", "mun-271004") and "integrity-failed" in copy.message
    from secxfer.ledger.reconcile import load_evidence

    evidence = load_evidence(world.home("agency"), PERIOD, world.network_directory(), now=NOW)
    (failure,) = [r for r in evidence.receipts if r.issuer == "mun-271004" and not r.accepted]
    # the outer signature no longer matches the damaged file: its claims are marked unverified
    assert failure.disposition == "integrity-failed" and not failure.claims_verified and failure.sender == "fed-27"
    assert failure.file_name == Path(package).name and failure.package_id[:8] in Path(package).name


@pytest.mark.parametrize(
    ("error", "disposition"),
    [
        ("ReplayError", "replayed"), ("NotForUsError", "not-for-us"), ("AgeNoIdentityMatchError", "not-for-us"),
        ("RevokedKeyError", "revoked-key"), ("ExpiredError", "expired"), ("ConsentError", "consent-refused"),
        ("ProvenanceError", "provenance-failed"), ("SignatureError", "signature-failed"),
        ("ThresholdError", "signature-failed"), ("AgePayloadError", "integrity-failed"),
        ("AgeHeaderMacError", "integrity-failed"), ("AgeHeaderError", "integrity-failed"),
        ("FormatError", "integrity-failed"), ("RollbackError", "rollback-refused"),
    ],
)
def test_disposition_follows_the_error_class(error, disposition):
    import secxfer.age.errors as age_errors
    import secxfer.errors as errors
    import secxfer.trust.errors as trust_errors

    cls = next(getattr(m, error) for m in (errors, age_errors, trust_errors) if hasattr(m, error))
    assert disposition_for(cls("x")) == disposition


def test_disposition_refuses_what_is_not_a_receiving_failure():
    from secxfer.errors import NotFoundError

    with pytest.raises(TypeError):
        disposition_for(NotFoundError("no such package"))
