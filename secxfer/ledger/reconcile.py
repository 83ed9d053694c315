"""Reconciliation: do the collected reports and receipts prove that nothing was lost?

From one participant's home (its view), for one period: the newest delivery this
participant sealed or relayed is the root; every package it and the relays below it
wrote is followed, hop by hop, to the recipient's receipt. The result gives every
participant below one state (docs/operations.md, "The monthly close"):

    confirmed  its receipt verified and matches what was sent (for a municipality:
               the leaf of the agency's commitment, so the exact rows)
    received   a relay on its path acknowledged the package carrying its rows;
               nothing further is known yet
    relayed    a relay wrote the package carrying its rows (or its own), no word back
    sealed     the agency sealed its rows, no word back from central
    failed     a receipt reported a failure, or contradicts what was sent
    missing    its rows reached a hop that sent them nowhere, or nothing was sealed
    withheld   held back by a relay because its 委任状 was withdrawn after sealing

and lists every problem with a severity: ``error`` (evidence contradicts itself:
tampering, rows that differ, a package opened twice, counts that do not add up),
``open`` (the chain is incomplete: a receipt or report has not arrived) or
``warning`` (worth knowing, not a break: a replay that was refused).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from secxfer.errors import SecxferError
from secxfer.ledger.aggregate import is_below
from secxfer.ledger.receipts import Receipt
from secxfer.ledger.reports import HopReport, ReportOutput, balance_problems

STATES = ("confirmed", "received", "relayed", "sealed", "failed", "missing", "withheld")
SEVERITIES = ("error", "open", "warning")


@dataclass(frozen=True)
class Problem:
    severity: str
    kind: str
    where: str  # the participant (or package) the problem is located at
    message: str


@dataclass
class Standing:
    id: str
    state: str
    package_id: str = ""
    rows: tuple[int, int, int] | None = None
    detail: str = ""


@dataclass
class Evidence:
    reports: list[HopReport] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    receipt_hashes: dict[int, bytes] = field(default_factory=dict)  # id(receipt) -> SHA-256 of its bytes
    invalid: list[str] = field(default_factory=list)


@dataclass
class Reconciliation:
    period: str
    viewer: str
    delivery_id: str | None
    standings: dict[str, Standing]
    problems: list[Problem]

    @property
    def municipalities(self) -> list[Standing]:
        return [s for s in self.standings.values() if s.id.startswith("mun-")]

    def count(self, state: str) -> int:
        return sum(1 for s in self.standings.values() if s.state == state)

    @property
    def ok(self) -> bool:
        """Every municipality below confirmed (or withheld by consent), and no error or open problem.

        In a municipality's own view, its own package opened counts (``received``).
        """
        done = ("confirmed", "withheld", "received") if self.viewer.startswith("mun-") else ("confirmed", "withheld")
        return (
            (bool(self.standings) or self.delivery_id is not None)
            and all(s.state in done for s in self.municipalities)
            and not any(p.severity in ("error", "open") for p in self.problems)
        )


def load_evidence(home: Path, period: str, directory) -> Evidence:
    """Every stored receipt and report of ``period``, each verified again before use."""
    from secxfer.ledger.collect import verify_item
    from secxfer.ledger.store import LedgerHome

    evidence = Evidence()
    for where, raw in LedgerHome(home).evidence(period):
        try:
            verified = verify_item(raw, directory)
        except SecxferError as error:
            evidence.invalid.append(f"{where}: {error}")
            continue
        if isinstance(verified.document, HopReport):
            evidence.reports.append(verified.document)
        else:
            assert isinstance(verified.document, Receipt)
            evidence.receipts.append(verified.document)
            evidence.receipt_hashes[id(verified.document)] = verified.sha256
    return evidence


def reconcile_home(home: Path, period: str, *, viewer: str | None = None, now: dt.datetime | None = None) -> Reconciliation:
    """Reconcile ``period`` from the evidence kept in ``home`` (the home's participant's view)."""
    from secxfer.ledger.evidence import trusted_directory
    from secxfer.errors import UsageError
    from secxfer.ledger.store import LedgerHome

    now = now or dt.datetime.now(dt.timezone.utc)
    viewer = viewer or LedgerHome(home).participant()
    if viewer is None:
        raise UsageError(f"{str(home)!r} has not sealed, relayed or opened anything yet", hint="pass --as ID or the right --home")
    directory = trusted_directory(home, now)
    return reconcile(load_evidence(home, period, directory), period=period, viewer=viewer, directory=directory)


class _Walk:
    def __init__(self, evidence: Evidence, viewer: str, root: HopReport) -> None:
        self.evidence = evidence
        self.root = root
        self.viewer = viewer
        self.problems: dict[tuple[str, str, str], Problem] = {}
        self.leaves = {leaf.code: leaf for leaf in root.leaves}
        self.by_input: dict[str, HopReport] = {}
        for report in evidence.reports:
            if report.input is not None and report.delivery_id == root.delivery_id:
                self.by_input.setdefault(report.input.package_id, report)
        self.receipts: dict[tuple[str, str], list[Receipt]] = defaultdict(list)
        for receipt in evidence.receipts:
            self.receipts[(receipt.issuer, receipt.package_id)].append(receipt)

    def problem(self, severity: str, kind: str, where: str, message: str) -> None:
        self.problems.setdefault((kind, where, message), Problem(severity, kind, where, message))

    def receipts_for(self, pid: str, output: ReportOutput) -> list[Receipt]:
        found = list(self.receipts.get((pid, output.package_id), ()))
        # A failure that left the package id unknown still names the file it was about.
        found += [r for r in self.receipts.get((pid, ""), ()) if r.file_name == output.file_name]
        return found

    def locate(self, pid: str) -> Standing:
        """Follow ``pid``'s rows (or its package) down from the root to the furthest known point."""
        code = pid[4:] if pid.startswith("mun-") else None
        report = self.root
        while True:
            output = next((o for o in report.outputs if self._carries(o, pid, code)), None)
            if output is None:
                held = next((w for w in report.withheld if w.code == code), None)
                if held is not None:
                    return Standing(pid, "withheld", detail=f"{held.reason} at {report.reporter}")
                self.problem("error", "dropped", report.reporter,
                             f"{report.reporter} received the rows for {pid} but its report sends them nowhere")
                return Standing(pid, "missing", detail=f"dropped at {report.reporter}")
            if output.recipient == pid:
                return self.judge(pid, output, report)
            below = self.by_input.get(output.package_id)
            if below is None:
                return self.stalled(pid, output, report)
            self.check_link(report, output, below)
            report = below

    def _carries(self, output: ReportOutput, pid: str, code: str | None) -> bool:
        if output.recipient == pid:
            return True
        return is_below(pid, output.recipient) and (code is None or code in output.codes)

    def stalled(self, pid: str, output: ReportOutput, report: HopReport) -> Standing:
        """``pid``'s rows went to ``relay``, which has not reported passing them on."""
        relay = output.recipient
        receipts = self.receipts_for(relay, output)
        if any(r.accepted for r in receipts):
            self.problem("open", "not-relayed", relay,
                         f"{relay} acknowledged package {output.package_id[:8]} but no report of its relay has arrived")
            return Standing(pid, "received", detail=f"at {relay}, not relayed yet")
        if receipts:
            return Standing(pid, "failed", detail=f"{receipts[0].disposition} at {relay}")
        state = "sealed" if report.action == "seal" else "relayed"
        return Standing(pid, state, detail=f"by {report.reporter}, no word from {relay}")

    def check_link(self, report: HopReport, output: ReportOutput, below: HopReport) -> None:
        got = below.input
        assert got is not None
        if got.encrypted_sha256 != output.encrypted_sha256 or got.manifest_sha256 != output.manifest_sha256:
            self.problem("error", "file-differs", below.reporter,
                         f"{below.reporter} relayed a package {output.package_id[:8]} that differs from what {report.reporter} sent")
        theirs = {leaf.code: leaf for leaf in below.leaves}
        for code in output.codes:
            if theirs.get(code) != self.leaves.get(code):
                self.problem("error", "leaves-differ", below.reporter,
                             f"{below.reporter} received leaf {code} different from the agency's commitment")

    def judge(self, pid: str, output: ReportOutput, report: HopReport) -> Standing:
        receipts = self.receipts_for(pid, output)
        accepted = [r for r in receipts if r.accepted]
        failed = [r for r in receipts if not r.accepted and r.disposition != "replayed"]
        for r in receipts:
            if r.disposition == "replayed":
                self.problem("warning", "replayed", pid,
                             f"{pid} was offered package {output.package_id[:8]} again on {r.created:%Y-%m-%d %H:%M} and refused it")
        hashes = {self.evidence.receipt_hashes.get(id(r)) for r in accepted}
        if len(hashes) > 1:
            times = ", ".join(sorted(f"{r.created:%Y-%m-%d %H:%M:%S}" for r in accepted))
            self.problem("error", "opened-twice", pid,
                         f"{pid} accepted package {output.package_id[:8]} {len(hashes)} times ({times}): copies exist outside one home")
        standing = Standing(pid, "", output.package_id, rows=tuple(output.rows))  # type: ignore[arg-type]
        if accepted:
            differences = self.differences(pid, output, accepted[0])
            if differences:
                self.problem("error", "receipt-differs", pid, f"{pid}'s receipt for {output.package_id[:8]}: {'; '.join(differences)}")
                standing.state, standing.detail = "failed", differences[0]
            else:
                standing.state = "confirmed"
            return standing
        if failed:
            self.problem("error", failed[-1].disposition, pid,
                         f"{pid} could not use package {output.package_id[:8]}: {failed[-1].detail}")
            standing.state, standing.detail = "failed", failed[-1].disposition
            return standing
        if output.package_id in self.by_input:
            standing.state, standing.detail = "received", f"{pid} relayed it, its receipt has not arrived"
            self.problem("open", "no-receipt", pid, f"no receipt from {pid} for package {output.package_id[:8]}, though it relayed it")
            return standing
        standing.state = "sealed" if report.action == "seal" else "relayed"
        standing.detail = f"by {report.reporter} on {report.created:%Y-%m-%d}, no receipt yet"
        self.problem("open", "no-receipt", pid,
                     f"{report.reporter} sent package {output.package_id[:8]} ({output.file_name}) to {pid} on "
                     f"{report.created:%Y-%m-%d}; no receipt from {pid} (lost or not yet opened?)")
        return standing

    def differences(self, pid: str, output: ReportOutput, receipt: Receipt) -> list[str]:
        found = []
        if receipt.encrypted_sha256 != output.encrypted_sha256:
            found.append(f"it received a file that differs from the one {receipt.sender} sent")
        if receipt.manifest_sha256 != output.manifest_sha256:
            found.append("its manifest differs from the one sent")
        if receipt.delivery_id != self.root.delivery_id:
            found.append("it names another delivery")
        if pid.startswith("mun-"):
            leaf = self.leaves[pid[4:]]
            theirs = [x for x in receipt.leaves if x.code == leaf.code]
            if len(theirs) != 1 or len(receipt.leaves) != 1:
                found.append("it does not name exactly its own leaf")
            elif theirs[0].rows != leaf.rows or theirs[0].leaf_sha256 != leaf.leaf_sha256:
                found.append(f"rows {tuple(theirs[0].rows)} (leaf {theirs[0].leaf_sha256.hex()[:12]}) differ from the "
                             f"agency's {tuple(leaf.rows)} (leaf {leaf.leaf_sha256.hex()[:12]})")
        return found


def _below(viewer: str, root: HopReport, directory) -> list[str]:
    relays = []
    if viewer == "agency":
        relays = ["central"]
    if viewer in ("agency", "central"):
        relays += [p.id for p in directory.by_role("federation")]
    return relays + [f"mun-{leaf.code}" for leaf in root.leaves]


def reconcile(evidence: Evidence, *, period: str, viewer: str, directory) -> Reconciliation:
    """Reconcile one period's evidence from ``viewer``'s position (pure: no files)."""
    problems = [Problem("error", "invalid-evidence", "", f"stored evidence fails verification: {x}") for x in evidence.invalid]
    for report in evidence.reports:
        for text in balance_problems(report):
            problems.append(Problem("error", "unbalanced", report.reporter, f"{report.reporter}'s {report.action} report: {text}"))
    if viewer.startswith("mun-"):
        return _own_view(evidence, period, viewer, problems)
    roots = sorted((r for r in evidence.reports if r.reporter == viewer), key=lambda r: r.created)
    if not roots:
        problems.append(Problem("open", "nothing-handled", viewer, f"{viewer} has no sealed or relayed delivery for {period}"))
        return Reconciliation(period, viewer, None, {}, problems)
    root = roots[-1]
    for older in roots[:-1]:
        problems.append(Problem("warning", "superseded", viewer, f"delivery {older.delivery_id[:8]} of {older.created:%Y-%m-%d} was superseded"))
    walk = _Walk(evidence, viewer, root)
    standings = {pid: walk.locate(pid) for pid in _below(viewer, root, directory)}
    for pid, standing in standings.items():
        if pid.startswith("mun-") and standing.rows is None:
            standing.rows = tuple(walk.leaves[pid[4:]].rows)  # type: ignore[assignment]
    known = {(r.issuer, r.package_id) for r in evidence.receipts}
    matched = {(s.id, s.package_id) for s in standings.values()}
    for issuer, package_id in sorted(known - matched):
        if package_id and not walk.by_input.get(package_id) and issuer != viewer:
            problems.append(Problem("warning", "unmatched-receipt", issuer,
                                    f"receipt from {issuer} for package {package_id[:8]}, which no report of this delivery lists"))
    return Reconciliation(period, viewer, root.delivery_id, standings, problems + list(walk.problems.values()))


def _own_view(evidence: Evidence, period: str, me: str, problems: list[Problem]) -> Reconciliation:
    own = [r for r in evidence.receipts if r.issuer == me]
    accepted = [r for r in own if r.accepted]
    packages = defaultdict(set)
    for r in accepted:
        packages[r.package_id].add(evidence.receipt_hashes.get(id(r)))
    for package_id, hashes in packages.items():
        if len(hashes) > 1:
            problems.append(Problem("error", "opened-twice", me, f"package {package_id[:8]} was accepted {len(hashes)} times"))
    if accepted:
        last = accepted[-1]
        standing = Standing(me, "received", last.package_id, rows=last.rows, detail=f"opened {last.created:%Y-%m-%d}")
    elif own:
        standing = Standing(me, "failed", own[-1].package_id, detail=own[-1].disposition)
        problems.append(Problem("error", own[-1].disposition, me, own[-1].detail))
    else:
        standing = Standing(me, "missing", detail="nothing opened for this period")
        problems.append(Problem("open", "nothing-received", me, f"no package for {period} opened here"))
    return Reconciliation(period, me, accepted[-1].delivery_id if accepted else None, {me: standing}, problems)


def to_json(rec: Reconciliation) -> dict:
    """The reconciliation as a JSON-ready dict (docs/ledger.md §7)."""
    return {
        "period": rec.period,
        "viewer": rec.viewer,
        "delivery_id": rec.delivery_id,
        "complete": rec.ok,
        "counts": {state: rec.count(state) for state in STATES},
        "recipients": [
            {"id": s.id, "state": s.state, "package_id": s.package_id,
             "rows": list(s.rows) if s.rows is not None else None, "detail": s.detail}
            for s in sorted(rec.standings.values(), key=lambda s: s.id)
        ],
        "problems": [{"severity": p.severity, "kind": p.kind, "where": p.where, "message": p.message} for p in rec.problems],
    }


def summary_lines(rec: Reconciliation) -> list[str]:
    """A short account: the verdict, counts per state, then every problem."""
    municipalities = rec.municipalities
    confirmed = sum(1 for s in municipalities if s.state in ("confirmed", "received" if rec.viewer.startswith("mun-") else "confirmed"))
    verdict = "RECONCILED" if rec.ok else "NOT RECONCILED"
    lines = [f"{verdict}: {rec.period} as seen by {rec.viewer}: {confirmed} of {len(municipalities)} municipalities confirmed"]
    lines.append("  " + ", ".join(f"{state} {rec.count(state)}" for state in STATES if rec.count(state)))
    lines += [f"  {p.severity:<7} {p.kind:<18} {p.where:<11} {p.message}" for p in rec.problems]
    return lines


def require_reconciled(rec: Reconciliation) -> None:
    """Raise ReconciliationError (exit 3) on contradictions, IncompleteError (exit 1) on gaps."""
    from secxfer.ledger.errors import IncompleteError, ReconciliationError

    errors = [p for p in rec.problems if p.severity == "error"]
    if errors:
        raise ReconciliationError(f"{len(errors)} contradiction(s) in {rec.period}; first: {errors[0].message}")
    if not rec.ok:
        gaps = [p for p in rec.problems if p.severity == "open"]
        first = f"; first: {gaps[0].message}" if gaps else ""
        raise IncompleteError(f"{rec.period} is not complete yet ({len(gaps)} gap(s){first})")
