"""Reconciliation as a pure function over reports and receipts: every state and every
kind of break, built by hand so each case shows exactly what it tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace

import msgspec
import pytest

from secxfer.domain.counts import RowCounts
from secxfer.ledger.evidence import LeafFacts
from secxfer.ledger.receipts import Receipt
from secxfer.ledger.reconcile import Evidence, reconcile
from secxfer.ledger.reports import HopReport, ReportInput, ReportOutput, Withheld, balance_problems

T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.timezone.utc)
PERIOD = "2026-10"
# 委任状 as the trusted directory records them; 131024's was withdrawn on 2026-11-01
CONSENT = {"131016": SimpleNamespace(filed_on=dt.date(2020, 4, 1), withdrawn_on=None),
           "131024": SimpleNamespace(filed_on=dt.date(2020, 4, 1), withdrawn_on=dt.date(2026, 11, 1)),
           "271004": SimpleNamespace(filed_on=dt.date(2020, 4, 1), withdrawn_on=None)}
DIRECTORY = SimpleNamespace(by_role=lambda role: [SimpleNamespace(id="fed-13"), SimpleNamespace(id="fed-27")],
                            participant=lambda pid: SimpleNamespace(consent=CONSENT[pid[4:]]))
LEAVES = {c: LeafFacts(code=c, rows=r, leaf_sha256=hashlib.sha256(c.encode()).digest())
          for c, r in (("131016", RowCounts(2, 0, 1)), ("131024", RowCounts(0, 0, 0)), ("271004", RowCounts(1, 1, 0)))}


def sender_of(recipient: str) -> str:
    """Who sends to ``recipient`` in this small world."""
    return {"central": "agency"}.get(recipient) or ("central" if recipient.startswith("fed-") else f"fed-{recipient[4:6]}")


def h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def output(recipient: str, package_id: str, codes) -> ReportOutput:
    rows = RowCounts.sum(LEAVES[c].rows for c in codes)
    return ReportOutput(recipient=recipient, package_id=package_id, file_name=f"{package_id}.age",
                        encrypted_sha256=h(package_id), manifest_sha256=h("m" + package_id), rows=rows, codes=tuple(codes))


def report(reporter: str, input_of: ReportOutput, outputs, withheld=(), leaves=None) -> HopReport:
    leaves = tuple(LEAVES[c] for c in input_of.codes) if leaves is None else leaves
    rows_in = RowCounts.sum(x.rows for x in leaves)
    return HopReport(
        reporter=reporter, action="relay", period=PERIOD, rehearsal=False, delivery_id="d1", origin_package_id="p0",
        merkle_root=bytes(32), rows_in=rows_in, outputs=tuple(outputs), withheld=tuple(withheld), leaves=leaves,
        input=ReportInput(package_id=input_of.package_id, sender=sender_of(reporter), file_name=input_of.file_name,
                          encrypted_sha256=input_of.encrypted_sha256, manifest_sha256=input_of.manifest_sha256),
        created=T0,
    )


def receipt(issuer: str, out: ReportOutput, *, disposition="accepted", leaves=None, at=T0) -> Receipt:
    if leaves is None:
        leaves = tuple(LEAVES[c] for c in out.codes) if issuer.startswith("mun-") else ()
    return Receipt(issuer=issuer, sender=sender_of(issuer), action="open" if issuer.startswith("mun-") else "relay",
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
    fed13 = report("fed-13", TO_FED13, [TO_16], withheld=[Withheld(code="131024", reason="consent-withdrawn", rows=RowCounts(0, 0, 0))])
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
    stray = msgspec.structs.replace(receipt("mun-131016", output("mun-131016", "old", ["131016"])), delivery_id="d0")
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


# -- dishonest participants: authorship, claims, conflicts (both orders of arrival) ------------------


def both_orders(evidence: Evidence, extra_reports=(), extra_receipts=(), viewer="central"):
    """Reconcile with the extra documents stored first and last; the two results must be equal."""
    results = []
    for first in (True, False):
        reports = [*extra_reports, *evidence.reports] if first else [*evidence.reports, *extra_reports]
        receipts = [*extra_receipts, *evidence.receipts] if first else [*evidence.receipts, *extra_receipts]
        ordered = Evidence(reports=reports, receipts=receipts)
        ordered.receipt_hashes = {id(r): h(msgspec.json.encode(r).decode()) for r in receipts}
        rec = reconcile(ordered, period=PERIOD, viewer=viewer, directory=DIRECTORY)
        results.append(rec)
    key = [({s.id: (s.state, s.detail) for s in r.standings.values()},
            sorted((p.severity, p.kind, p.where, p.message) for p in r.problems)) for r in results]
    assert key[0] == key[1]
    rec = results[0]
    return rec, {s.id: s.state for s in rec.standings.values()}, {(p.severity, p.kind, p.where) for p in rec.problems}


def test_a_report_by_another_relay_does_not_speak_for_the_package():
    forged = msgspec.structs.replace(report("fed-27", TO_FED13, []), rows_in=RowCounts(0, 0, 0), leaves=())
    rec, states, problems = both_orders(world(), extra_reports=[forged])
    assert ("error", "foreign-report", "fed-27") in problems and states["mun-131024"] == "confirmed"
    assert not any(kind == "dropped" for _, kind, _ in problems)


def test_a_municipality_report_is_no_relay_report():
    forged = report("mun-131016", TO_16, [])
    rec, states, problems = both_orders(world(), extra_reports=[forged])
    assert ("error", "not-a-relay", "mun-131016") in problems and states["mun-131016"] == "confirmed"


def test_two_reports_by_the_addressee_conflict_and_the_furthest_branch_shows():
    second = msgspec.structs.replace(report("fed-13", TO_FED13, [TO_16]), created=T0 + dt.timedelta(hours=1))
    rec, states, problems = both_orders(world(), extra_reports=[second])
    assert ("error", "conflicting-reports", "fed-13") in problems and states["mun-131024"] == "confirmed"


def test_a_report_whose_claims_differ_from_what_was_sent():
    claims = msgspec.structs.replace(report("fed-13", TO_FED13, [TO_16, TO_24]), rehearsal=True)
    claims = msgspec.structs.replace(claims, input=msgspec.structs.replace(claims.input, sender="fed-27"))
    rec, _, problems = run(world(fed13=claims))
    fields = sorted(p.values["field"] for p in rec.problems if p.kind == "report-claim")
    assert fields == ["rehearsal", "sender"] and ("error", "report-claim", "fed-13") in problems


@pytest.mark.parametrize(("field", "value"), [
    ("rows", (1034, 0, 1)), ("sender", "fed-27"), ("action", "relay"), ("rehearsal", True),
    ("file_name", "other.age"), ("period", "2026-09"), ("origin_package_id", "p9"), ("claims_verified", False),
])
def test_every_claim_of_a_receipt_is_compared(field, value):
    bad = msgspec.structs.replace(receipt("mun-131016", TO_16), **{field: value})
    receipts = [r for r in world().receipts if r.issuer != "mun-131016"] + [bad]
    rec, states, problems = run(world(receipts=receipts))
    (problem,) = [p for p in rec.problems if p.kind == "receipt-claim"]
    assert problem.where == "mun-131016" and problem.values["field"] == field and states["mun-131016"] == "failed"


def test_a_receipt_by_someone_else_for_a_sent_package():
    stray = msgspec.structs.replace(receipt("mun-131016", TO_16), issuer="mun-131024")
    rec, states, problems = both_orders(world(), extra_receipts=[stray])
    assert ("error", "foreign-receipt", "mun-131024") in problems and states["mun-131016"] == "confirmed"


def test_accepted_and_failed_receipts_for_one_package():
    same = receipt("mun-131016", TO_16, disposition="integrity-failed")
    rec, states, problems = both_orders(world(), extra_receipts=[same])
    assert ("error", "receipt-conflict", "mun-131016") in problems and states["mun-131016"] == "failed"
    damaged = msgspec.structs.replace(same, encrypted_sha256=h("damaged copy"))
    rec, states, problems = both_orders(world(), extra_receipts=[damaged])
    assert ("warning", "refused-copy", "mun-131016") in problems and states["mun-131016"] == "confirmed" and rec.ok


def test_a_withheld_claim_needs_the_directory():
    fed13 = report("fed-13", TO_FED13, [TO_16], withheld=[Withheld(code="131024", reason="consent-withdrawn",
                                                                   rows=RowCounts(0, 0, 0))])
    # 131024's 委任状 was withdrawn on 2026-11-01; the hop's day is 2026-11-02 (report and receipts)
    rec, states, _ = run(world(fed13=fed13))
    assert states["mun-131024"] == "withheld"
    # 131016's is in force: withholding it is a drop, whatever the relay calls it
    fed13 = report("fed-13", TO_FED13, [TO_24], withheld=[Withheld(code="131016", reason="consent-withdrawn",
                                                                   rows=RowCounts(2, 0, 1))])
    rec, states, problems = run(world(fed13=fed13))
    assert states["mun-131016"] == "missing" and ("error", "withheld-in-force", "fed-13") in problems
    # a report dated before the withdrawal: the hop's day is the report's, consent was in force then
    early = msgspec.structs.replace(report("fed-13", TO_FED13, [TO_16], withheld=[
        Withheld(code="131024", reason="consent-withdrawn", rows=RowCounts(0, 0, 0))]), created=T0 - dt.timedelta(days=3))
    rec, states, problems = run(world(fed13=early))
    assert states["mun-131024"] == "missing" and ("error", "withheld-in-force", "fed-13") in problems


def test_two_packages_of_one_delivery_accepted():
    again = output("mun-131016", "q16b", ["131016"])
    second = receipt("mun-131016", again, at=T0 + dt.timedelta(hours=1))
    rec, _, problems = both_orders(world(), extra_receipts=[second])
    assert ("error", "delivery-opened-twice", "mun-131016") in problems
    own = Evidence(receipts=[receipt("mun-131016", TO_16), second])
    own.receipt_hashes = {id(r): h(str(i)) for i, r in enumerate(own.receipts)}
    rec, _, problems = run(own, viewer="mun-131016")
    assert ("error", "delivery-opened-twice", "mun-131016") in problems and not rec.ok


def test_problem_wording_in_the_catalog_is_the_librarys():
    from secxfer.cli.i18n import catalog
    from secxfer.ledger.problems import PROBLEM_ENGLISH

    for kind, english in PROBLEM_ENGLISH.items():
        entry = catalog()[f"problem.{kind}"]
        assert entry["en"] == english, kind
        fields = {name for name in english.replace("}", "{").split("{")[1::2]}
        assert all("{" + name + "}" in entry["ja"] for name in fields), kind


def test_the_same_report_signed_again_later_is_no_conflict():
    """A relay rerun after a crash between its report and its receipt signs the same account again."""
    again = msgspec.structs.replace(report("fed-13", TO_FED13, [TO_16, TO_24]), created=T0 + dt.timedelta(minutes=7))
    rec, states, problems = both_orders(world(), extra_reports=[again])
    assert rec.ok and problems == set() and set(states.values()) == {"confirmed"}


def test_a_report_for_a_package_nobody_sent_is_shown():
    nowhere = report("fed-13", output("fed-13", "p-unknown", ["131016"]), [])
    rec, states, problems = both_orders(world(), extra_reports=[nowhere])
    assert ("warning", "unmatched-report", "fed-13") in problems and set(states.values()) == {"confirmed"}
