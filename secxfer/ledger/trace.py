"""Tracing one delivery hop by hop, from a root report down to each recipient's receipts.

The reconciliation (secxfer.ledger.reconcile) asks, for every participant below the
viewer: how far did its rows (or its package) get? :class:`Trace` answers by
following outputs to the next relay's report (the one whose ``input`` is that
package) until it reaches the participant's own package, then judges the receipts
for it. Every break found on the way is recorded once as a :class:`Problem`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from secxfer.ledger.aggregate import is_below
from secxfer.ledger.receipts import Receipt
from secxfer.ledger.reports import HopReport, ReportOutput


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


class Trace:
    def __init__(self, evidence, viewer: str, root: HopReport) -> None:
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
                         f"{below.reporter} relayed a package {output.package_id[:8]} "
                         f"that differs from what {report.reporter} sent")
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
                             f"{pid} was offered package {output.package_id[:8]} again "
                             f"on {r.created:%Y-%m-%d %H:%M} and refused it")
        hashes = {self.evidence.receipt_hashes.get(id(r)) for r in accepted}
        if len(hashes) > 1:
            times = ", ".join(sorted(f"{r.created:%Y-%m-%d %H:%M:%S}" for r in accepted))
            self.problem("error", "opened-twice", pid,
                         f"{pid} accepted package {output.package_id[:8]} {len(hashes)} times ({times}): "
                         "copies exist outside one home")
        standing = Standing(pid, "", output.package_id, rows=tuple(output.rows))  # type: ignore[arg-type]
        if accepted:
            differences = self.differences(pid, output, accepted[0])
            if differences:
                self.problem("error", "receipt-differs", pid,
                             f"{pid}'s receipt for {output.package_id[:8]}: {'; '.join(differences)}")
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
            self.problem("open", "no-receipt", pid,
                         f"no receipt from {pid} for package {output.package_id[:8]}, though it relayed it")
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
