"""Reconciliation as a pure function over reports and receipts: every state and every
kind of break, built by hand so each case shows exactly what it tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace

import msgspec
import pytest

from secxfer.ledger.evidence import LeafFacts
from secxfer.ledger.receipts import Receipt
from secxfer.ledger.reconcile import Evidence, reconcile
from secxfer.ledger.reports import HopReport, ReportInput, ReportOutput, Withheld, balance_problems

T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.timezone.utc)
PERIOD = "2026-10"
DIRECTORY = SimpleNamespace(by_role=lambda role: [SimpleNamespace(id="fed-13"), SimpleNamespace(id="fed-27")])
LEAVES = {c: LeafFacts(code=c, rows=r, leaf_sha256=hashlib.sha256(c.encode()).digest())
          for c, r in (("131016", (2, 0, 1)), ("131024", (0, 0, 0)), ("271004", (1, 1, 0)))}


def h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def output(recipient: str, package_id: str, codes) -> ReportOutput:
    rows = tuple(sum(LEAVES[c].rows[a] for c in codes) for a in range(3))
    return ReportOutput(recipient=recipient, package_id=package_id, file_name=f"{package_id}.age",
                        encrypted_sha256=h(package_id), manifest_sha256=h("m" + package_id), rows=rows, codes=tuple(codes))


def report(reporter: str, input_of: ReportOutput, outputs, withheld=(), leaves=None) -> HopReport:
    leaves = tuple(LEAVES[c] for c in input_of.codes) if leaves is None else leaves
    rows_in = tuple(sum(x.rows[a] for x in leaves) for a in range(3))
    return HopReport(
        reporter=reporter, action="relay", period=PERIOD, rehearsal=False, delivery_id="d1", origin_package_id="p0",
        merkle_root=bytes(32), rows_in=rows_in, outputs=tuple(outputs), withheld=tuple(withheld), leaves=leaves,
        input=ReportInput(package_id=input_of.package_id, sender="x", file_name=input_of.file_name,
                          encrypted_sha256=input_of.encrypted_sha256, manifest_sha256=input_of.manifest_sha256),
        created=T0,
    )


def receipt(issuer: str, out: ReportOutput, *, disposition="accepted", leaves=None, at=T0) -> Receipt:
    if leaves is None:
        leaves = tuple(LEAVES[c] for c in out.codes) if issuer.startswith("mun-") else ()
    return Receipt(issuer=issuer, sender="x", action="open" if issuer.startswith("mun-") else "relay",
                   disposition=disposition, detail="" if disposition == "accepted" else "what went wrong",
                   claims_verified=True, period=PERIOD, rehearsal=False, package_id=out.package_id, file_name=out.file_name,
                   encrypted_sha256=out.encrypted_sha256, manifest_sha256=out.manifest_sha256, delivery_id="d1",
                   origin_package_id="p0", rows=out.rows, leaves=leaves, created=at)


AT_CENTRAL = output("central", "p0", ["131016", "131024", "271004"])
TO_FED13 = output("fed-13", "p13", ["131016", "131024"])
TO_FED27 = output("fed-27", "p27", ["271004"])
TO_16 = output("mun-131016", "q16", ["131016"])
TO_24 = output("mun-131024", "q24", ["131024"])
TO_04 = output("mun-271004", "q04", ["271004"])


def world(*, central=None, fed13=None, fed27=None, receipts=None) -> Evidence:
    defaults = (report("central", AT_CENTRAL, [TO_FED13, TO_FED27]), report("fed-13", TO_FED13, [TO_16, TO_24]),
                report("fed-27", TO_FED27, [TO_04]))
    # None: the usual report; False: that report never arrived
    reports = [default if given is None else given for given, default in zip((central, fed13, fed27), defaults)]
    if receipts is None:
        receipts = [receipt("fed-13", TO_FED13), receipt("fed-27", TO_FED27), receipt("mun-131016", TO_16),
                    receipt("mun-131024", TO_24), receipt("mun-271004", TO_04)]
    evidence = Evidence(reports=[r for r in reports if r is not False], receipts=receipts)
    evidence.receipt_hashes = {id(r): h(msgspec.json.encode(r).decode()) for r in receipts}
    return evidence


def run(evidence: Evidence, viewer="central"):
    rec = reconcile(evidence, period=PERIOD, viewer=viewer, directory=DIRECTORY)
    return rec, {s.id: s.state for s in rec.standings.values()}, {(p.severity, p.kind, p.where) for p in rec.problems}


def test_complete_month():
    rec, states, problems = run(world())
    assert rec.ok and problems == set() and set(states.values()) == {"confirmed"}
    assert set(states) == {"fed-13", "fed-27", "mun-131016", "mun-131024", "mun-271004"}
    fed, states, _ = run(world(), viewer="fed-13")
    assert fed.ok and states == {"mun-131016": "confirmed", "mun-131024": "confirmed"}


def test_consent_withdrawn_is_withheld_not_missing():
    fed13 = report("fed-13", TO_FED13, [TO_16], withheld=[Withheld(code="131024", reason="consent-withdrawn", rows=(0, 0, 0))])
    assert balance_problems(fed13) == []
    rec, states, problems = run(world(fed13=fed13, receipts=[
        receipt("fed-13", TO_FED13), receipt("fed-27", TO_FED27), receipt("mun-131016", TO_16), receipt("mun-271004", TO_04)]))
    assert states["mun-131024"] == "withheld" and rec.standings["mun-131024"].detail == "consent-withdrawn at fed-13"
    assert rec.ok and problems == set()


def test_a_relay_that_drops_a_municipality_is_named():
    fed13 = report("fed-13", TO_FED13, [TO_16])  # 131024 neither sent nor withheld
    rec, states, problems = run(world(fed13=fed13))
    assert states["mun-131024"] == "missing" and rec.standings["mun-131024"].detail == "dropped at fed-13"
    assert ("error", "dropped", "fed-13") in problems and ("error", "unbalanced", "fed-13") in problems
    assert not rec.ok


def test_a_relay_that_acknowledged_but_did_not_report():
    rec, states, problems = run(world(fed27=False))
    assert states["mun-271004"] == "received" and "at fed-27" in rec.standings["mun-271004"].detail
    assert states["fed-27"] == "confirmed" and ("open", "not-relayed", "fed-27") in problems


def test_a_relay_that_refused_the_package():
    receipts = [receipt("fed-13", TO_FED13), receipt("fed-27", TO_FED27, disposition="signature-failed"),
                receipt("mun-131016", TO_16), receipt("mun-131024", TO_24)]
    rec, states, problems = run(world(fed27=False, receipts=receipts))
    assert states["fed-27"] == "failed" and states["mun-271004"] == "failed"
    assert ("error", "signature-failed", "fed-27") in problems


def test_nothing_heard_from_a_relay():
    receipts = [receipt("fed-13", TO_FED13), receipt("mun-131016", TO_16), receipt("mun-131024", TO_24)]
    rec, states, problems = run(world(fed27=False, receipts=receipts))
    assert states["fed-27"] == "relayed" and states["mun-271004"] == "relayed"
    assert rec.standings["mun-271004"].detail == "by central, no word from fed-27"
    assert problems == {("open", "no-receipt", "fed-27")}


def test_a_relay_that_received_another_file_than_was_sent():
    other = msgspec.structs.replace(TO_FED13, encrypted_sha256=h("substituted"))
    fed13 = report("fed-13", other, [TO_16, TO_24])
    _, _, problems = run(world(fed13=fed13))
    assert ("error", "file-differs", "fed-13") in problems


def test_a_relay_whose_leaves_differ_from_the_commitment():
    changed = msgspec.structs.replace(LEAVES["131016"], leaf_sha256=h("other rows"))
    fed13 = report("fed-13", TO_FED13, [TO_16, TO_24], leaves=(changed, LEAVES["131024"]))
    _, _, problems = run(world(fed13=fed13))
    assert ("error", "leaves-differ", "fed-13") in problems


@pytest.mark.parametrize("change", ["encrypted_sha256", "manifest_sha256", "delivery_id", "leaves"])
def test_receipt_that_contradicts_what_was_sent(change):
    good = receipt("mun-131016", TO_16)
    value = {"encrypted_sha256": h("x"), "manifest_sha256": h("y"), "delivery_id": "d2",
             "leaves": (LEAVES["131016"], LEAVES["131024"])}[change]
    bad = msgspec.structs.replace(good, **{change: value})
    receipts = [r for r in world().receipts if r.issuer != "mun-131016"] + [bad]
    rec, states, problems = run(world(receipts=receipts))
    assert states["mun-131016"] == "failed" and ("error", "receipt-differs", "mun-131016") in problems


def test_unmatched_receipts_and_superseded_deliveries_are_warnings():
    stray = receipt("mun-131016", output("mun-131016", "old", ["131016"]))
    evidence = world(receipts=[*world().receipts, stray])
    older = msgspec.structs.replace(evidence.reports[0], created=T0 - dt.timedelta(days=30), delivery_id="d0")
    evidence.reports.append(older)
    rec, _, problems = run(evidence)
    assert ("warning", "unmatched-receipt", "mun-131016") in problems and ("warning", "superseded", "central") in problems
    assert rec.ok  # warnings do not break a month


def test_municipality_view():
    evidence = Evidence(receipts=[receipt("mun-131016", TO_16)])
    evidence.receipt_hashes = {id(evidence.receipts[0]): h("a")}
    rec, states, problems = run(evidence, viewer="mun-131016")
    assert states == {"mun-131016": "received"} and rec.ok
    rec, states, problems = run(Evidence(), viewer="mun-131016")
    assert states == {"mun-131016": "missing"} and ("open", "nothing-received", "mun-131016") in problems
