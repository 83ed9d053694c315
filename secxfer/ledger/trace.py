"""Tracing one delivery hop by hop, from a root report down to each recipient's receipts.

The reconciliation (secxfer.ledger.reconcile) asks, for every participant below the
viewer: how far did its rows (or its package) get? :class:`Trace` answers by
following outputs to the next relay's report until it reaches the participant's own
package, then judges the receipts for it. Every break found on the way is recorded
once as a :class:`Problem`.

Nothing is taken on a document's word alone (docs/ledger.md §8): a report counts only
when its author is the relay the package was addressed to, a receipt only when its
issuer is the recipient, and every claim in either is compared with what the sending
hop's report says it sent. Two documents that contradict each other are both shown,
and the result never depends on the order in which they arrived.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

import msgspec

from secxfer.ledger.aggregate import is_below
from secxfer.ledger.claims import (
    RELAY_ROLES,
    hop_day,
    receipt_claims,
    receipt_conflicts,
    report_claims,
    role,
    short,
    withdrawn_by,
)
from secxfer.ledger.problems import Problem, Standing
from secxfer.ledger.receipts import Receipt
from secxfer.ledger.reports import HopReport, ReportOutput
from secxfer.ledger.states import RANK

if TYPE_CHECKING:
    from secxfer.ledger.reconcile import Evidence
    from secxfer.ledger.reports import Withheld
    from secxfer.trust import Directory

__all__ = ["Problem", "Standing", "Trace"]


class Trace:
    def __init__(self, evidence: Evidence, viewer: str, root: HopReport, directory: Directory | None = None) -> None:
        self.evidence = evidence
        self.root = root
        self.viewer = viewer
        self.directory = directory
        self.problems: dict[tuple[str, str, str], Problem] = {}
        self.leaves = {leaf.code: leaf for leaf in root.leaves}
        # Every report naming a package as its input, whoever wrote it: who may speak
        # for that package is decided when the package is reached, not by arrival order.
        self.by_input: dict[str, list[HopReport]] = defaultdict(list)
        for report in evidence.reports:
            if report.input is not None:
                self.by_input[report.input.package_id].append(report)
        for reports in self.by_input.values():
            reports.sort(key=msgspec.json.encode)
        self.receipts: dict[tuple[str, str], list[Receipt]] = defaultdict(list)
        for receipt in evidence.receipts:
            self.receipts[(receipt.issuer, receipt.package_id)].append(receipt)
        # package id -> (the report that sent it, its output): what the trace has walked
        self.sent: dict[str, tuple[HopReport, ReportOutput]] = {}
        self._below: dict[tuple[int, str], list[HopReport]] = {}

    def problem(self, severity: str, kind: str, where: str, message: str) -> None:
        """Record a problem worded by its caller (shown as its message)."""
        self.add(Problem(severity, kind, where, message))

    def add(self, problem: Problem) -> None:
        self.problems.setdefault((problem.kind, problem.where, problem.message), problem)

    def receipts_for(self, pid: str, output: ReportOutput) -> list[Receipt]:
        found = list(self.receipts.get((pid, output.package_id), ()))
        # A failure that left the package id unknown still names the file it was about.
        found += [r for r in self.receipts.get((pid, ""), ()) if r.file_name == output.file_name]
        return found

    def _hash(self, receipt: Receipt) -> bytes:
        return self.evidence.receipt_hashes.get(id(receipt)) or msgspec.json.encode(receipt)

    def locate(self, pid: str, report: HopReport | None = None) -> Standing:
        """Follow ``pid``'s rows (or its package) down from ``report`` (the root) to the furthest known point."""
        code = pid[4:] if pid.startswith("mun-") else None
        report = report or self.root
        while True:
            for output in report.outputs:
                self.sent.setdefault(output.package_id, (report, output))
            held = next((w for w in report.withheld if w.code == code), None) if code else None
            if held is not None and report.action == "relay":
                return self.withheld(pid, held, report)
            output = next((o for o in report.outputs if self._carries(o, pid, code)), None)
            if output is None:
                if held is not None:
                    return Standing(pid, "withheld", detail=f"{held.reason} at {report.reporter}")
                self.add(Problem.of("error", "dropped", report.reporter, reporter=report.reporter, recipient=pid))
                return Standing(pid, "missing", detail=f"dropped at {report.reporter}")
            if output.recipient == pid:
                return self.judge(pid, output, report)
            below = self.reports_below(report, output)
            if not below:
                return self.stalled(pid, output, report)
            if len(below) > 1:  # contradicting reports: the furthest either shows, whatever their order
                branches = [self.locate(pid, candidate) for candidate in below]
                return min(branches, key=lambda s: RANK.index(s.state) if s.state in RANK else len(RANK))
            report = below[0]

    def _carries(self, output: ReportOutput, pid: str, code: str | None) -> bool:
        if output.recipient == pid:
            return True
        return is_below(pid, output.recipient) and (code is None or code in output.codes)

    def reports_below(self, report: HopReport, output: ReportOutput) -> list[HopReport]:
        """The reports of the relay ``output`` was addressed to for that package, each checked
        against ``output`` once (a national month passes central's link 1,741 times)."""
        key = (id(report), output.package_id)
        if key not in self._below:
            self._below[key] = self._find_below(report, output)
            for candidate in self._below[key]:
                self.check_link(report, output, candidate)
        return self._below[key]

    def _find_below(self, report: HopReport, output: ReportOutput) -> list[HopReport]:
        """Any other author's report naming the package is shown and ignored; two different
        ones by the addressee are a conflict."""
        own = []
        for candidate in self.by_input.get(output.package_id, ()):
            author = candidate.reporter
            if author != output.recipient:
                self.add(Problem.of("error", "foreign-report", author, author=author, package=short(output.package_id),
                                    sender=report.reporter, recipient=output.recipient))
            elif role(author) not in RELAY_ROLES:
                self.add(Problem.of("error", "not-a-relay", author, author=author, role=role(author),
                                    package=short(output.package_id)))
            else:
                own.append(candidate)
        own = _one_per_account(own)
        if len(own) > 1:
            self.add(Problem.of("error", "conflicting-reports", output.recipient, author=output.recipient,
                                count=len(own), package=short(output.package_id)))
        return own

    def withheld(self, pid: str, held: Withheld, report: HopReport) -> Standing:
        """A relay's "consent withdrawn", believed only when the directory shows it (§8.3)."""
        day = hop_day(report, lambda o: self.receipts_for(o.recipient, o))
        if self.directory is not None and withdrawn_by(self.directory, held.code, day):
            return Standing(pid, "withheld", detail=f"{held.reason} at {report.reporter}")
        self.add(Problem.of("error", "withheld-in-force", report.reporter, reporter=report.reporter, recipient=pid,
                            reason=held.reason, day=day.isoformat()))
        return Standing(pid, "missing", detail=f"withheld at {report.reporter} with its 委任状 in force")

    def stalled(self, pid: str, output: ReportOutput, report: HopReport) -> Standing:
        """``pid``'s rows went to ``relay``, which has not reported passing them on."""
        relay = output.recipient
        own = self.judge(relay, output, report)
        if own.state == "confirmed":
            self.add(Problem.of("open", "not-relayed", relay, relay=relay, package=output.package_id[:8]))
            return Standing(pid, "received", detail=f"at {relay}, not relayed yet")
        if own.state == "failed":
            return Standing(pid, "failed", detail=f"{own.detail} at {relay}")
        state = "sealed" if report.action == "seal" else "relayed"
        return Standing(pid, state, detail=f"by {report.reporter}, no word from {relay}")

    def check_link(self, report: HopReport, output: ReportOutput, below: HopReport) -> None:
        got = below.input
        assert got is not None
        if got.encrypted_sha256 != output.encrypted_sha256 or got.manifest_sha256 != output.manifest_sha256:
            self.add(Problem.of("error", "file-differs", below.reporter, reporter=below.reporter,
                                package=output.package_id[:8], sender=report.reporter))
        for name, claimed, expected in report_claims(below, report, output, self.root):
            self.add(Problem.of("error", "report-claim", below.reporter, author=below.reporter,
                                package=short(output.package_id), field=name, claimed=claimed, expected=expected,
                                sender=report.reporter))
        theirs = {leaf.code: leaf for leaf in below.leaves}
        for code in output.codes:
            if theirs.get(code) != self.leaves.get(code):
                self.add(Problem.of("error", "leaves-differ", below.reporter, reporter=below.reporter, code=code))

    def judge(self, pid: str, output: ReportOutput, report: HopReport) -> Standing:
        relayed = self.reports_below(report, output)
        receipts = self.receipts_for(pid, output)
        accepted = sorted((r for r in receipts if r.accepted), key=self._hash)
        failed = sorted((r for r in receipts if not r.accepted and r.disposition != "replayed"), key=self._hash)
        for r in receipts:
            if r.disposition == "replayed":
                self.add(Problem.of("warning", "replayed", pid, issuer=pid, package=output.package_id[:8],
                                    at=f"{r.created:%Y-%m-%d %H:%M}"))
        hashes = {self._hash(r) for r in accepted}
        if len(hashes) > 1:
            times = ", ".join(sorted(f"{r.created:%Y-%m-%d %H:%M:%S}" for r in accepted))
            self.add(Problem.of("error", "opened-twice", pid, issuer=pid, package=output.package_id[:8],
                                count=len(hashes), times=times))
        conflicts = receipt_conflicts(pid, output.package_id, accepted, failed)
        for problem in conflicts:
            self.add(problem)
        standing = Standing(pid, "", output.package_id, rows=output.rows)
        if accepted:
            faults = [fault for receipt in accepted for fault in self.contradictions(pid, output, report, receipt)]
            faults += [p.kind for p in conflicts if p.severity == "error"]
            standing.state, standing.detail = ("failed", faults[0]) if faults else ("confirmed", "")
            return standing
        if failed:
            self.add(Problem.of("error", failed[-1].disposition, pid, wording="receipt-failed", issuer=pid,
                                package=output.package_id[:8], detail=failed[-1].detail))
            standing.state, standing.detail = "failed", failed[-1].disposition
            return standing
        if relayed:
            standing.state, standing.detail = "received", f"{pid} relayed it, its receipt has not arrived"
            self.add(Problem.of("open", "no-receipt", pid, wording="no-receipt-relayed", issuer=pid,
                                package=output.package_id[:8]))
            return standing
        standing.state = "sealed" if report.action == "seal" else "relayed"
        standing.detail = f"by {report.reporter} on {report.created:%Y-%m-%d}, no receipt yet"
        self.add(Problem.of("open", "no-receipt", pid, sender=report.reporter, package=output.package_id[:8],
                            file=output.file_name, recipient=pid, day=f"{report.created:%Y-%m-%d}"))
        return standing

    def contradictions(self, pid: str, output: ReportOutput, report: HopReport, receipt: Receipt) -> list[str]:
        """Record every way ``receipt`` contradicts what was sent; return short descriptions."""
        found = []
        differences = self.differences(pid, output, receipt)
        if differences:
            self.add(Problem.of("error", "receipt-differs", pid, issuer=pid, package=output.package_id[:8],
                                differences="; ".join(differences)))
            found.append(differences[0])
        for name, claimed, expected in receipt_claims(receipt, pid, output, report, self.root):
            self.add(Problem.of("error", "receipt-claim", pid, issuer=pid, package=short(output.package_id),
                                field=name, claimed=claimed, expected=expected, sender=report.reporter))
            found.append(f"its receipt says {name} {claimed}, {expected} was sent")
        return found

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
                found.append(f"rows {theirs[0].rows} (leaf {theirs[0].leaf_sha256.hex()[:12]}) differ from the "
                             f"agency's {leaf.rows} (leaf {leaf.leaf_sha256.hex()[:12]})")
        return found


def _one_per_account(reports: list[HopReport]) -> list[HopReport]:
    """The same account signed again at another time (a relay rerun after a crash between
    its report and its receipt) is one report, the earliest: only differing accounts conflict."""
    earliest: dict[bytes, HopReport] = {}
    for report in reports:
        account = msgspec.json.encode(msgspec.structs.replace(report, created=_EPOCH))
        if account not in earliest or report.created < earliest[account].created:
            earliest[account] = report
    return sorted(earliest.values(), key=msgspec.json.encode)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
