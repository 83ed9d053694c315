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
from typing import TYPE_CHECKING

from secxfer.errors import SecxferError
from secxfer.ledger.claims import delivery_problems, receipt_conflicts, short
from secxfer.ledger.problems import Problem, Standing
from secxfer.ledger.receipts import Receipt
from secxfer.ledger.reports import HopReport, balance_problems
from secxfer.ledger.states import STATES, confirmed_states, settled_states
from secxfer.ledger.trace import Trace

if TYPE_CHECKING:
    from secxfer.trust import Directory

__all__ = ["STATES", "Evidence", "Problem", "Reconciliation", "Standing", "load_evidence", "reconcile",
           "reconcile_home", "require_consistent", "require_reconciled", "summary_lines", "to_json"]



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

    def count_confirmed(self) -> int:
        """Municipalities below whose delivery is confirmed in this view (withheld ones are not)."""
        states = confirmed_states(self.viewer)
        return sum(1 for s in self.municipalities if s.state in states)

    @property
    def ok(self) -> bool:
        """Every municipality below settled (confirmed, or withheld by consent; see
        ``secxfer.ledger.states``), and no error or open problem."""
        settled = settled_states(self.viewer)
        return (
            (bool(self.standings) or self.delivery_id is not None)
            and all(s.state in settled for s in self.municipalities)
            and not any(p.severity in ("error", "open") for p in self.problems)
        )

    def raise_if_contradicted(self) -> None:
        """Raise ReconciliationError (exit 3) when the evidence contradicts itself."""
        require_consistent(self)

    def raise_if_incomplete(self) -> None:
        """Raise ReconciliationError (exit 3) on contradictions, IncompleteError (exit 1) on gaps."""
        require_reconciled(self)


def load_evidence(home: Path, period: str, directory: Directory, *, now: dt.datetime | None = None) -> Evidence:
    """Every stored receipt and report of ``period``, each verified again before use
    (as held here: a key revoked for compromise since is flagged, see ledger.compromised;
    ``now`` defaults to this computer's clock)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    from secxfer.ledger.collect import verify_item
    from secxfer.ledger.store import LedgerHome

    evidence = Evidence()
    for where, raw in LedgerHome(home).evidence(period):
        try:
            verified = verify_item(raw, directory, now=now, held=True)
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


def reconcile_home(
    home: Path, period: str, *, viewer: str | None = None, now: dt.datetime | None = None
) -> Reconciliation:
    """Reconcile ``period`` from the evidence kept in ``home`` (the home's participant's view)."""
    from secxfer.ledger.evidence import trusted_directory
    from secxfer.errors import UsageError
    from secxfer.ledger.store import LedgerHome

    now = now or dt.datetime.now(dt.timezone.utc)
    viewer = viewer or LedgerHome(home).participant()
    if viewer is None:
        raise UsageError(f"{str(home)!r} has not sealed, relayed or opened anything yet",
                         hint="name the participant to view as, or use the right home folder",
                         facts={"advice": "view-as", "home": str(home)})
    directory = trusted_directory(home, now)
    from secxfer.ledger.compromised import compromised_problems

    rec = reconcile(load_evidence(home, period, directory, now=now), period=period, viewer=viewer, directory=directory)
    rec.problems.extend(compromised_problems(home, period, directory, now=now))  # accepted before a compromise was known
    return rec


def _below(viewer: str, root: HopReport, directory: Directory) -> list[str]:
    relays = []
    if viewer == "agency":
        relays = ["central"]
    if viewer in ("agency", "central"):
        relays += [p.id for p in directory.by_role("federation")]
    return relays + [f"mun-{leaf.code}" for leaf in root.leaves]


def reconcile(evidence: Evidence, *, period: str, viewer: str, directory: Directory) -> Reconciliation:
    """Reconcile one period's evidence from ``viewer``'s position (pure: no files)."""
    problems = [Problem.of("error", "invalid-evidence", "", detail=x) for x in evidence.invalid]
    for report in evidence.reports:
        for text in balance_problems(report):
            problems.append(Problem.of("error", "unbalanced", report.reporter, reporter=report.reporter,
                                       action=report.action, detail=text))
    if viewer.startswith("mun-"):
        return _own_view(evidence, period, viewer, problems)
    roots = sorted((r for r in evidence.reports if r.reporter == viewer), key=lambda r: r.created)
    if not roots:
        problems.append(Problem.of("open", "nothing-handled", viewer, viewer=viewer, period=period))
        return Reconciliation(period, viewer, None, {}, problems)
    root = roots[-1]
    for older in roots[:-1]:
        problems.append(Problem.of("warning", "superseded", viewer, delivery=older.delivery_id[:8],
                                   day=f"{older.created:%Y-%m-%d}"))
    walk = Trace(evidence, viewer, root, directory)
    standings = {pid: walk.locate(pid) for pid in _below(viewer, root, directory)}
    for pid, standing in standings.items():
        if pid.startswith("mun-") and standing.rows is None:
            standing.rows = walk.leaves[pid[4:]].rows
    problems += _stray_receipts(evidence, walk, standings, viewer)
    problems += _stray_reports(evidence, walk, root, viewer)
    problems += delivery_problems(evidence.receipts)
    return Reconciliation(period, viewer, root.delivery_id, standings, problems + list(walk.problems.values()))


def _stray_receipts(evidence: Evidence, walk: Trace, standings: dict[str, Standing], viewer: str) -> list[Problem]:
    """Receipts the trace did not use: by someone other than the package's recipient
    (an error: only the recipient's receipt counts), or for a package no report lists."""
    problems = []
    matched = {(s.id, s.package_id) for s in standings.values()}
    for issuer, package_id in sorted({(r.issuer, r.package_id) for r in evidence.receipts} - matched):
        if not package_id or issuer == viewer:
            continue
        sent = walk.sent.get(package_id)
        if sent is not None and sent[1].recipient != issuer:
            problems.append(Problem.of("error", "foreign-receipt", issuer, issuer=issuer, package=short(package_id),
                                       sender=sent[0].reporter, recipient=sent[1].recipient))
        elif sent is None and not walk.by_input.get(package_id):
            problems.append(Problem.of("warning", "unmatched-receipt", issuer, issuer=issuer, package=package_id[:8]))
    return problems


def _stray_reports(evidence: Evidence, walk: Trace, root: HopReport, viewer: str) -> list[Problem]:
    """Reports of this delivery for a package no report the trace followed sent: never
    dropped silently (a report for a package that was sent is judged on the way)."""
    return [Problem.of("warning", "unmatched-report", report.reporter, author=report.reporter,
                       package=short(report.input.package_id))
            for report in sorted(evidence.reports, key=lambda r: (r.reporter, r.created))
            if report.input is not None and report.reporter != viewer and report.delivery_id == root.delivery_id
            and report.input.package_id not in walk.sent]


def _own_view(evidence: Evidence, period: str, me: str, problems: list[Problem]) -> Reconciliation:
    own = [r for r in evidence.receipts if r.issuer == me]
    accepted = [r for r in own if r.accepted]
    packages = defaultdict(set)
    for r in accepted:
        packages[r.package_id].add(evidence.receipt_hashes.get(id(r)))
    for package_id, hashes in sorted(packages.items()):
        if len(hashes) > 1:
            problems.append(Problem.of("error", "opened-twice", me, wording="opened-twice-here",
                                       package=package_id[:8], count=len(hashes)))
        failed = [r for r in own if r.package_id == package_id and not r.accepted and r.disposition != "replayed"]
        problems += receipt_conflicts(me, package_id, [r for r in accepted if r.package_id == package_id], failed)
    problems += delivery_problems(own)
    if accepted:
        last = max(accepted, key=lambda r: r.created)
        standing = Standing(me, "received", last.package_id, rows=last.rows, detail=f"opened {last.created:%Y-%m-%d}")
    elif own:
        last = max(own, key=lambda r: r.created)
        standing = Standing(me, "failed", last.package_id, detail=last.disposition)
        problems.append(Problem.of("error", last.disposition, me, wording="failed-here", detail=last.detail))
    else:
        standing = Standing(me, "missing", detail="nothing opened for this period")
        problems.append(Problem.of("open", "nothing-received", me, period=period))
    return Reconciliation(period, me, last.delivery_id if accepted else None, {me: standing}, problems)


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
        "problems": [
            {"severity": p.severity, "kind": p.kind, "where": p.where, "message": p.message} for p in rec.problems
        ],
    }


def summary_lines(rec: Reconciliation) -> list[str]:
    """A short account: the verdict, counts per state, then every problem."""
    municipalities = rec.municipalities
    confirmed = rec.count_confirmed()
    verdict = "RECONCILED" if rec.ok else "NOT RECONCILED"
    lines = [f"{verdict}: {rec.period} as seen by {rec.viewer}: "
             f"{confirmed} of {len(municipalities)} municipalities confirmed"]
    lines.append("  " + ", ".join(f"{state} {rec.count(state)}" for state in STATES if rec.count(state)))
    lines += [f"  {p.severity:<7} {p.kind:<18} {p.where:<11} {p.message}" for p in rec.problems]
    return lines


def require_consistent(rec: Reconciliation) -> None:
    """Raise ReconciliationError (exit 3) when the evidence contradicts itself (any ``error``)."""
    from secxfer.ledger.errors import ReconciliationError

    errors = [p for p in rec.problems if p.severity == "error"]
    if errors:
        raise ReconciliationError(f"{len(errors)} contradiction(s) in {rec.period}; first: {errors[0].message}")


def require_reconciled(rec: Reconciliation) -> None:
    """Raise ReconciliationError (exit 3) on contradictions, IncompleteError (exit 1) on gaps."""
    from secxfer.ledger.errors import IncompleteError

    require_consistent(rec)
    if not rec.ok:
        gaps = [p for p in rec.problems if p.severity == "open"]
        first = f"; first: {gaps[0].message}" if gaps else ""
        raise IncompleteError(f"{rec.period} is not complete yet ({len(gaps)} gap(s){first})",
                              facts={"period": rec.period, "gaps": str(len(gaps))})
