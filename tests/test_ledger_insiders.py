"""Reconciliation against dishonest participants that hold their own keys and run modified software.

Every document here is signed with a real key of the network, so signature checks
pass: what must catch each lie is authorship (the relay a package went to, the
recipient of a package), the comparison of every claim with what the sending hop's
report says it sent, and the key directory for "consent withdrawn". Each conflict is
tried in both orders of arrival, and the result must not depend on it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import msgspec
import pytest
from test_ledger_chain import NOW, PERIOD, World, base, problems_of  # noqa: F401  (base: the shared chain run)

from secxfer.domain.counts import RowCounts
from secxfer.errors import ProvenanceError
from secxfer.ledger import recorded
from secxfer.ledger.collect import collect, verify_item
from secxfer.ledger.errors import ReconciliationError
from secxfer.ledger.evidence import RECEIPT_KIND, REPORT_KIND, Verified, sign_model
from secxfer.ledger.reconcile import load_evidence, reconcile, reconcile_home, require_reconciled
from secxfer.ledger.reports import HopReport, Withheld
from secxfer.ledger.store import LedgerHome

TOKYO = ("mun-131016", "mun-131024")


class Insider(World):
    """A World with helpers to sign documents as a dishonest participant."""

    def genuine_report(self, reporter: str) -> HopReport:
        (report,) = load_evidence(self.home(reporter), PERIOD, self.network_directory(), now=NOW).reports
        return report

    def signed(self, kind: str, document, signer: str) -> Verified:
        return Verified(kind=kind, signer=signer, document=document, raw=sign_model(kind, document, self.key(signer)))

    def keep(self, pid: str, *documents: Verified) -> None:
        """Store documents straight into ``pid``'s evidence, as a collection would (or a modified client)."""
        LedgerHome(self.home(pid)).keep(list(documents), PERIOD)

    def agency_view(self):
        return reconcile_home(self.home("agency"), PERIOD, now=NOW)


def kinds(rec) -> set[tuple[str, str, str]]:
    return {(p.severity, p.kind, p.where) for p in rec.problems}


def states(rec) -> dict[str, str]:
    return {s.id: s.state for s in rec.standings.values()}


def outcome(rec):
    """What must not depend on the order of arrival: every state and every problem."""
    return states(rec), sorted((p.severity, p.kind, p.where, p.message) for p in rec.problems)


# -- 3. one relay's hop report standing in for another's ---------------------------------------------


def forged_fed14_report(world: Insider) -> Verified:
    """fed-14 (Kanagawa) signs a report claiming to have relayed fed-13's package, sending nothing on."""
    genuine = world.genuine_report("fed-13")
    forged = msgspec.structs.replace(genuine, reporter="fed-14", outputs=(), rows_in=RowCounts(0, 0, 0), leaves=(),
                                     created=genuine.created - dt.timedelta(minutes=5))
    return world.signed(REPORT_KIND, forged, "fed-14")


def in_both_orders(base, tmp_path, make, pid="agency"):
    """Run the month twice, ``make(world)``'s document stored before and after everything else."""
    results = []
    for order in ("first", "second"):
        world = Insider(base, tmp_path / order)
        document = make(world)
        if order == "first":
            world.keep(pid, document)
        assert world.collect_up() == []
        if order == "second":
            world.keep(pid, document)
        results.append(world.agency_view())
    assert outcome(results[0]) == outcome(results[1])  # the order of arrival changes nothing
    return results[0]


def test_a_report_by_another_relay_is_shown_and_ignored_in_either_order(base, tmp_path):
    rec = in_both_orders(base, tmp_path, forged_fed14_report)
    (problem,) = problems_of(rec, "foreign-report")
    assert (problem.severity, problem.where) == ("error", "fed-14")
    assert "which central sent to fed-13" in problem.message and "only fed-13's report counts" in problem.message
    assert all(states(rec)[pid] == "confirmed" for pid in TOKYO) and not problems_of(rec, "dropped")
    assert not problems_of(rec, "conflicting-reports")
    with pytest.raises(ReconciliationError):
        require_reconciled(rec)


def test_a_forged_report_and_receipt_carried_up_in_the_forgers_own_aggregate(base, tmp_path):
    world = Insider(base, tmp_path)
    stolen = msgspec.structs.replace(world.own_receipt("mun-131016"), issuer="fed-14")
    # fed-14 forwards them with its own documents: its signature is fine, the lie is in the claims
    world.keep("fed-14", forged_fed14_report(world), world.signed(RECEIPT_KIND, stolen, "fed-14"))
    assert world.collect_up() == []
    rec = world.agency_view()
    assert ("error", "foreign-report", "fed-14") in kinds(rec)
    (problem,) = problems_of(rec, "foreign-receipt")
    assert problem.where == "fed-14" and "which fed-13 sent to mun-131016" in problem.message
    assert all(states(rec)[pid] == "confirmed" for pid in TOKYO)


def test_two_reports_by_the_addressee_are_a_conflict_in_either_order(base, tmp_path):
    def second_report(world):
        genuine = world.genuine_report("fed-13")
        # a second report by fed-13 for the same package, sending mun-131024's rows nowhere
        lie = msgspec.structs.replace(genuine, created=genuine.created + dt.timedelta(minutes=1),
                                      outputs=tuple(o for o in genuine.outputs if o.recipient != "mun-131024"))
        return world.signed(REPORT_KIND, lie, "fed-13")

    rec = in_both_orders(base, tmp_path, second_report)
    (problem,) = problems_of(rec, "conflicting-reports")
    assert (problem.severity, problem.where) == ("error", "fed-13")
    assert "fed-13 signed 2 different hop reports for package" in problem.message
    # the genuine branch still shows how far the rows got; the lie's own count is shown too
    assert states(rec)["mun-131024"] == "confirmed" and ("error", "unbalanced", "fed-13") in kinds(rec)


def test_a_municipality_cannot_sign_a_relay_report(base, tmp_path):
    world = Insider(base, tmp_path)
    genuine = world.genuine_report("fed-13")
    forged = msgspec.structs.replace(genuine, reporter="mun-131016", outputs=(), rows_in=RowCounts(0, 0, 0), leaves=())
    raw = sign_model(REPORT_KIND, forged, world.key("mun-131016"))
    # 1. refused on verification, so at every collection
    with pytest.raises(ProvenanceError, match="a relay report by 'mun-131016', a municipality"):
        verify_item(raw, world.network_directory(), now=NOW)
    world.keep("fed-13", Verified(kind=REPORT_KIND, signer="mun-131016", document=forged, raw=raw))
    from secxfer.ledger.aggregate import forward

    forward(PERIOD, key=world.key("fed-13"), home=world.home("fed-13"), out=world.returns, now=NOW)
    refused = collect(world.returns, key=world.key("central"), home=world.home("central"), now=NOW).rejected
    assert any("a relay report by 'mun-131016'" in r for r in refused)
    # 2. a ledger that holds it anyway (written by a modified client): shown, not followed
    world.collect_up()
    evidence = load_evidence(world.home("agency"), PERIOD, world.network_directory(), now=NOW)
    evidence.reports.insert(0, forged)
    rec = reconcile(evidence, period=PERIOD, viewer="agency", directory=world.network_directory())
    assert ("error", "foreign-report", "mun-131016") in kinds(rec)
    assert all(states(rec)[pid] == "confirmed" for pid in TOKYO)
    # ... and on its own package: a municipality is no relay
    own = msgspec.structs.replace(forged, input=msgspec.structs.replace(
        forged.input, package_id=rec.standings["mun-131016"].package_id))
    evidence.reports.insert(0, own)
    rec = reconcile(evidence, period=PERIOD, viewer="agency", directory=world.network_directory())
    (problem,) = problems_of(rec, "not-a-relay")
    assert problem.where == "mun-131016" and "is a municipality and cannot relay" in problem.message


# -- 8. a receipt's own claims ------------------------------------------------------------------------


def test_receipts_that_claim_what_was_not_sent(base, tmp_path):
    world = Insider(base, tmp_path)
    lies = {  # municipality: (field, lie, as shown)
        "mun-131016": ("rows", None, None),  # the 1,034-row receipt: 1,000 more rows than were sent
        "mun-131024": ("action", "relay", "action relay"),
        "mun-141003": ("rehearsal", True, "rehearsal true"),
        "mun-141305": ("file_name", "2026-10_fed-14_to_mun-141305_00000000.age",
                       "file_name 2026-10_fed-14_to_mun-141305_00000000.age"),
        "mun-011002": ("origin_package_id", "0" * 32, "origin_package_id " + "0" * 32),
    }
    genuine = {pid: world.own_receipt(pid) for pid in [*lies, "mun-271004"]}
    rows = genuine["mun-131016"].rows
    lies["mun-131016"] = ("rows", RowCounts(rows[1] + 1000, rows[2], rows[3]), f"rows ({rows[1] + 1000}, {rows[2]}, {rows[3]})")
    for pid, (field, lie, _) in lies.items():
        world.receipt_file(pid).unlink()
        world.put_receipt(msgspec.structs.replace(genuine[pid], **{field: lie}), signer=pid)
    assert world.collect_up() == []
    # a receipt naming another sender is sealed to that sender: only a modified ledger holds it
    world.keep("agency", world.signed(RECEIPT_KIND, msgspec.structs.replace(
        genuine["mun-271004"], sender="fed-14", created=NOW + dt.timedelta(seconds=1)), "mun-271004"))
    lies["mun-271004"] = ("sender", "fed-14", "sender fed-14")
    rec = world.agency_view()
    claims = {p.where: p for p in problems_of(rec, "receipt-claim")}
    assert set(claims) == set(lies) and {p.severity for p in claims.values()} == {"error"}
    for pid, (_, _, shown) in lies.items():
        assert f"says {shown}, but fed-{pid[4:6]} sent" in claims[pid].message, claims[pid].message
        assert states(rec)[pid] == "failed"
    assert f"but fed-13 sent {tuple(rows)}" in claims["mun-131016"].message
    with pytest.raises(ReconciliationError):
        require_reconciled(rec)


# -- 9. an integrity failure beside an accepted receipt ----------------------------------------------


def test_accepted_and_failed_receipts_for_one_file_contradict_in_either_order(base, tmp_path):
    def failure(world):
        genuine = world.own_receipt("mun-271004")
        return world.signed(RECEIPT_KIND, msgspec.structs.replace(
            genuine, disposition="integrity-failed", detail="payload damaged", leaves=(),
            created=genuine.created + dt.timedelta(minutes=3)), "mun-271004")

    rec = in_both_orders(base, tmp_path, failure)
    (problem,) = problems_of(rec, "receipt-conflict")
    assert (problem.severity, problem.where) == ("error", "mun-271004")
    assert "reported the same file integrity-failed" in problem.message
    assert states(rec)["mun-271004"] == "failed"


# -- W. "consent withdrawn" as a cover story ----------------------------------------------------------


def withholding_report(world: Insider, *, created: dt.datetime | None = None) -> HopReport:
    """fed-13's report, rewritten to hold mun-131024 back as consent-withdrawn (balanced, as a relay
    that withheld would write it: an empty package still goes to the municipality)."""
    genuine = world.genuine_report("fed-13")
    leaf = next(x for x in genuine.leaves if x.code == "131024")
    outputs = tuple(msgspec.structs.replace(o, codes=(), rows=RowCounts(0, 0, 0)) if o.recipient == "mun-131024" else o
                    for o in genuine.outputs)
    return msgspec.structs.replace(genuine, outputs=outputs, created=created or genuine.created,
                                   withheld=(Withheld(code="131024", reason="consent-withdrawn", rows=leaf.rows),))


def lying_relay(world: Insider, report: HopReport) -> None:
    """fed-13's home holds ``report`` instead of its genuine one; mun-131024 never answers."""
    path = LedgerHome(world.home("fed-13")).evidence_path(PERIOD)
    genuine = sign_model(REPORT_KIND, world.genuine_report("fed-13"), world.key("fed-13"))
    lines = [line for line in path.read_bytes().split(b"\n") if line and line != genuine]
    path.write_bytes(b"\n".join([*lines, sign_model(REPORT_KIND, report, world.key("fed-13"))]) + b"\n")
    world.receipt_file("mun-131024").unlink()


class WithdrawnDirectory:
    """The real directory, except that ``code``'s 委任状 shows withdrawn on ``on``."""

    def __init__(self, real, code: str, on: dt.date) -> None:
        self.real, self.code, self.on = real, code, on

    def __getattr__(self, name):
        return getattr(self.real, name)

    def participant(self, pid):
        entry = self.real.participant(pid)
        if pid == f"mun-{self.code}":
            return SimpleNamespace(consent=SimpleNamespace(filed_on=entry.consent.filed_on, withdrawn_on=self.on))
        return entry


def test_consent_withdrawn_is_believed_only_as_the_directory_shows_it(base, tmp_path):
    world = Insider(base, tmp_path)
    lying_relay(world, withholding_report(world))
    assert world.collect_up() == []
    # 1. the directory shows mun-131024's 委任状 in force: the "withdrawal" is a drop
    rec = world.agency_view()
    (problem,) = problems_of(rec, "withheld-in-force")
    assert (problem.severity, problem.where) == ("error", "fed-13")
    day = NOW.astimezone(dt.timezone(dt.timedelta(hours=9))).date().isoformat()
    assert f"fed-13 withheld mun-131024 as consent-withdrawn, but the key directory shows its 委任状 in force on {day}" \
        in problem.message
    assert states(rec)["mun-131024"] == "missing" and rec.count("withheld") == 0
    with pytest.raises(ReconciliationError):
        require_reconciled(rec)
    # 2. the directory shows it withdrawn two days ago: withheld, and the month is complete
    evidence = load_evidence(world.home("agency"), PERIOD, world.network_directory(), now=NOW)
    past = WithdrawnDirectory(world.network_directory(), "131024", NOW.date() - dt.timedelta(days=2))
    rec = reconcile(evidence, period=PERIOD, viewer="agency", directory=past)
    assert states(rec)["mun-131024"] == "withheld" and rec.problems == [] and rec.ok
    # 3. withdrawn in ten days, and fed-13 dates its report a month ahead: its recipients'
    #    receipts (their word, not fed-13's) show the hop happened today
    future = WithdrawnDirectory(world.network_directory(), "131024", NOW.date() + dt.timedelta(days=10))
    ahead = withholding_report(world, created=NOW + dt.timedelta(days=30))
    evidence.reports = [ahead if r.reporter == "fed-13" else r for r in evidence.reports]
    rec = reconcile(evidence, period=PERIOD, viewer="agency", directory=future)
    assert ("error", "withheld-in-force", "fed-13") in kinds(rec) and states(rec)["mun-131024"] == "missing"
    # without those receipts only fed-13's date remains, and the month is open anyway
    evidence.receipts = [r for r in evidence.receipts if not r.issuer.startswith("mun-13")]
    rec = reconcile(evidence, period=PERIOD, viewer="agency", directory=future)
    assert states(rec)["mun-131024"] == "withheld" and ("open", "no-receipt", "mun-131016") in kinds(rec)
    assert not rec.ok


# -- R. a delivery issued again under a new package id and opened twice ------------------------------


def reissued_receipt(world: Insider):
    """mun-131016's accepted receipt for a second package of the same delivery (a new id from fed-13)."""
    genuine = world.own_receipt("mun-131016")
    return genuine, msgspec.structs.replace(genuine, package_id="f" * 32, encrypted_sha256=bytes(32),
                                            file_name=genuine.file_name.replace(genuine.package_id[:8], "ffffffff"),
                                            created=genuine.created + dt.timedelta(minutes=10))  # within the clock skew


def test_a_delivery_opened_twice_under_two_package_ids(base, tmp_path):
    world = Insider(base, tmp_path)
    genuine, second = reissued_receipt(world)
    world.put_receipt(second, signer="mun-131016")
    assert world.collect_up() == []
    rec = world.agency_view()
    (problem,) = problems_of(rec, "delivery-opened-twice")
    assert (problem.severity, problem.where) == ("error", "mun-131016")
    assert f"accepted 2 different packages of delivery {genuine.delivery_id[:8]}" in problem.message
    assert genuine.package_id[:8] in problem.message and "ffffffff" in problem.message
    # the municipality's own ledger shows it too, whichever client wrote it
    world.keep("mun-131016", world.signed(RECEIPT_KIND, second, "mun-131016"))
    own = reconcile_home(world.home("mun-131016"), PERIOD, now=NOW)
    assert ("error", "delivery-opened-twice", "mun-131016") in kinds(own) and not own.ok


# -- through the command line: every lie at once, each named by its line; status exits 3 ------------


@pytest.fixture
def cli(run_cli, english_afterwards):
    return run_cli


def test_every_lie_through_the_cli(base, tmp_path, cli):
    import json

    from secxfer.cli.i18n import catalog
    from secxfer.errors import EXIT_INTEGRITY

    world = Insider(base, tmp_path)
    home = world.home("agency")
    # 3: fed-14's report for fed-13's package; a municipality's "relay report" in fed-13's aggregate
    world.keep("fed-14", forged_fed14_report(world))
    genuine_report = world.genuine_report("fed-13")
    by_municipality = msgspec.structs.replace(genuine_report, reporter="mun-131016", outputs=(), rows_in=RowCounts(0, 0, 0),
                                              leaves=())
    raw = sign_model(REPORT_KIND, by_municipality, world.key("mun-131016"))
    world.keep("fed-13", Verified(kind=REPORT_KIND, signer="mun-131016", document=by_municipality, raw=raw))
    # W: fed-13 holds mun-131024 back as consent-withdrawn with its 委任状 in force
    lying_relay(world, withholding_report(world))
    # 8: the 1,034-row receipt (1,000 rows more than the package held)
    receipt = world.own_receipt("mun-141003")
    world.receipt_file("mun-141003").unlink()
    world.put_receipt(msgspec.structs.replace(receipt, rows=RowCounts(receipt.rows[1] + 1000, receipt.rows[2], receipt.rows[3])),
                      signer="mun-141003")
    # 9: an integrity failure beside the accepted receipt, for the same file
    accepted = world.own_receipt("mun-271004")
    world.put_receipt(msgspec.structs.replace(accepted, disposition="integrity-failed", detail="damaged", leaves=(),
                                              created=accepted.created + dt.timedelta(minutes=1)), signer="mun-271004")
    # R: a second package of the same delivery opened by mun-131016
    _, second = reissued_receipt(world)
    world.put_receipt(second, signer="mun-131016")

    from secxfer.ledger.aggregate import forward

    for fed in (f"fed-{n:02d}" for n in range(1, 48)):
        collect(world.returns, key=world.key(fed), home=world.home(fed), now=NOW)
        forward(PERIOD, key=world.key(fed), home=world.home(fed), out=world.returns, now=NOW)
    out, err = cli("receipts", "collect", world.returns, "--key", world.network.key_path("central"),
                   "--home", world.home("central"), code=EXIT_INTEGRITY)
    assert "1 refused" in out and "a relay report by 'mun-131016', a municipality: only central or federation" in out
    forward(PERIOD, key=world.key("central"), home=world.home("central"), out=world.returns, now=NOW)
    collect(world.returns, key=world.key("agency"), home=home, now=NOW)

    rec = world.agency_view()
    wanted = {"foreign-report": "fed-14", "withheld-in-force": "fed-13", "receipt-claim": "mun-141003",
              "receipt-conflict": "mun-271004", "delivery-opened-twice": "mun-131016"}
    found = {p.kind: p for p in rec.problems if p.kind in wanted}
    assert {kind: p.where for kind, p in found.items()} == wanted
    lines = {kind: f"  {p.severity:<7} {p.kind:<18} {p.where:<11} {p.message}" for kind, p in found.items()}

    out, err = cli("reconcile", PERIOD, "--home", home, code=EXIT_INTEGRITY)
    assert all(line in out.splitlines() for line in lines.values()), out
    assert "says rows (" in lines["receipt-claim"] and "contradiction(s) in 2026-10" in err
    # E: status prints its table, then exits 3 like reconcile; --json and --html are written first
    out, err = cli("status", PERIOD, "--home", home, code=EXIT_INTEGRITY)
    assert all(line in out.splitlines() for line in lines.values()) and "contradiction(s)" in err
    page = tmp_path / "status.html"
    out, _ = cli("status", PERIOD, "--home", home, "--json", "--html", page, code=EXIT_INTEGRITY)
    document = json.loads(out)
    assert {p["kind"] for p in document["problems"]} >= set(wanted) and not document["complete"]
    assert page.is_file() and "withheld-in-force" in page.read_text("utf-8")
    # in Japanese, every problem line is worded from the catalog with the same values
    out, _ = cli("--lang", "ja", "status", PERIOD, "--home", home, code=EXIT_INTEGRITY)
    assert len(rec.problems) > len(found) and all(p.values for p in rec.problems)
    for p in rec.problems:
        text = catalog()[f"problem.{p.wording or p.kind}"]["ja"].format(**p.values)
        assert f"  {p.severity:<7} {p.kind:<18} {p.where:<11} {text}" in out.splitlines(), p.kind


# -- W, end to end: a real withdrawal through real relays, judged with each directory ----------------


@pytest.fixture(scope="module")
def withdrawal(tmp_path_factory):
    """Sealed two days ago with every 委任状 in force; directory v2 withdraws mun-131016's today;
    fed-13 (holding v2) withholds it, the other Tokyo municipalities open and answer."""
    from secxfer.domain.sample import generate_sample
    from secxfer.testing.network import CONSENT_FILED, build_network
    from secxfer.trust.authoring import next_version, record_consent
    from secxfer.trust.directory.drafts import sign_directory
    from secxfer.trust.store import TrustStore

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    root = tmp_path_factory.mktemp("withdrawn")
    codes = ["131016", "131024", "131032"]
    network = build_network(root, insurer_codes=codes, now=now - dt.timedelta(days=3))
    sample = generate_sample(root / "source", period=PERIOD, rows=90, seed=5, insurers=codes)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    k, media, returns = network.secrets, root / "media", root / "returns"
    v1 = TrustStore(network.home("central")).current_directory(now)
    v2 = next_version(v1, issued=now - dt.timedelta(hours=1), expires=now + dt.timedelta(days=300))
    v2 = record_consent(v2, "mun-131016", filed_on=CONSENT_FILED, federation=k["fed-13"],
                        withdrawn_on=now.astimezone(dt.timezone(dt.timedelta(hours=9))).date(),
                        now=now - dt.timedelta(hours=1))
    signed_v2 = sign_directory(v2, [k["root-1"], k["root-2"]])
    sealed = recorded.seal(annex_files=files, period=PERIOD, key=k["agency"], home=network.home("agency"), out=media,
                           now=now - dt.timedelta(days=2))
    central = recorded.relay(sealed.package.path, key=k["central"], home=network.home("central"), out=media,
                             now=now - dt.timedelta(days=1), receipts_out=returns)
    TrustStore(network.home("fed-13")).import_directory(signed_v2, now=now)
    to_fed13 = next(p for p in central.outputs if p.recipient == "fed-13")
    fed = recorded.relay(to_fed13.path, key=k["fed-13"], home=network.home("fed-13"), out=media, now=now,
                         receipts_out=returns, notify=lambda _: None)
    assert set(fed.withheld) == {"131016"}
    for package in fed.outputs:
        recorded.open_package(package.path, key=k[package.recipient], home=network.home(package.recipient),
                              out=root / "opened" / package.recipient, now=now, receipts_out=returns)
    collect(returns, key=k["fed-13"], home=network.home("fed-13"), now=now)
    return network, now


def test_a_real_withdrawal_is_withheld_with_the_directory_that_records_it(withdrawal, run_cli):
    from secxfer.ledger.evidence import trusted_directory

    network, now = withdrawal
    home = network.home("fed-13")
    rec = reconcile_home(home, PERIOD, now=now)
    assert states(rec) == {"mun-131016": "withheld", "mun-131024": "confirmed", "mun-131032": "confirmed"}
    assert rec.ok and rec.problems == []
    out, _ = run_cli("reconcile", PERIOD, "--home", home)
    assert out.startswith("RECONCILED") and "withheld 1" in out
    # judged with a directory from before the withdrawal (central's v1), the same report is a drop
    evidence = load_evidence(home, PERIOD, trusted_directory(home, now), now=now)
    stale = reconcile(evidence, period=PERIOD, viewer="fed-13",
                      directory=trusted_directory(network.home("central"), now))
    assert states(stale)["mun-131016"] == "missing" and ("error", "withheld-in-force", "fed-13") in kinds(stale)
    assert "import it" in problems_of(stale, "withheld-in-force")[0].message
