"""``secxfer purge``: remove a period's outputs once receipts confirm onward delivery.

What may be removed is what the operations log records this home wrote
(secxfer.ledger.outputs: one signed-checkpoint-covered entry per file, with its hash):

* packages it sealed or relayed (encrypted copies kept so a lost medium can be
  written again) — removable once the recipient's verified receipt accepts exactly
  that package (same package id and file hash);
* annex CSVs a municipality opened (plaintext) — removable once its own ``accepted``
  receipt for the package exists and was put on a return medium.

Before anything is deleted: the log and its checkpoints verify, every delivery is
confirmed, the period's reconciliation shows no contradiction (unless forced, which
is logged), and ``confirm`` (the CLI's prompt) agrees. Then each file is removed only
if it is still what was recorded: reached without following a link, a regular file,
the same SHA-256 (secxfer.nofollow); anything else is kept and reported. The
deletion is logged before (``purge-started``) and after (``output-deleted``, per
folder); staging folders interrupted opens left are swept too (``staging-removed``).
Records are per period and delivery, so a folder reused every month is purged every
month.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.chain import media, staging
from secxfer.errors import UsageError
from secxfer.fsutil import exclusive_lock
from secxfer.ledger import oplog
from secxfer.ledger.errors import PurgeBlockedError, PurgeCancelledError, PurgeKeptError, PurgeRefusedError
from secxfer.ledger.outputs import DELETED, STAGING_REMOVED, STARTED, Outputs, Written, read_outputs
from secxfer.ledger.store import LedgerHome
from secxfer.nofollow import ABSENT, REMOVED, remove_empty_folder, remove_recorded

if TYPE_CHECKING:
    from secxfer.trust import Directory

OUTSIDE = "outside"  # a recorded path that is not one secxfer writes: refused


@dataclass
class PlannedFolder:
    """The files of one delivery in one folder that purge is about to remove."""

    folder: str
    kind: str  # "package" or "opened"
    package_id: str
    records: list[Written]
    interrupted: bool = False  # a purge started on them before and was cut short

    @property
    def files(self) -> int:
        return len(self.records)


@dataclass
class PurgePlan:
    period: str
    participant: str
    name: str  # the participant's name in the key directory (Japanese)
    folders: list[PlannedFolder]
    leftovers: list[str]  # staging folders interrupted opens left
    forced: list[str] = field(default_factory=list)  # contradictions overridden by --force

    @property
    def files(self) -> int:
        return sum(f.files for f in self.folders)


@dataclass
class EmptiedFolder:
    folder: str
    kind: str
    package_id: str
    removed: int = 0
    absent: int = 0  # already gone (deleted by hand, or by a purge cut short)
    bytes: int = 0
    kept: list[tuple[str, str]] = field(default_factory=list)  # (name, why)
    folder_removed: bool = False


@dataclass
class PurgeResult:
    period: str
    folders: list[EmptiedFolder] = field(default_factory=list)
    staging: list[staging.Swept] = field(default_factory=list)
    forced: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return sum(f.removed for f in self.folders) + sum(s.files for s in self.staging)

    def raise_if_kept(self) -> None:
        """PurgeKeptError (exit 1) naming every file purge kept because it is not what was recorded."""
        require_nothing_kept(self)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.folders)

    @property
    def kept(self) -> list[str]:
        return ([f"{Path(f.folder) / name}: {why}" for f in self.folders for name, why in f.kept]
                + [f"{s.folder}: {', '.join(s.kept)}" for s in self.staging if s.kept])


def _inside(record: Written, me: str) -> bool:
    """Whether the recorded path is one secxfer writes: a plain name in an absolute folder
    (a sender's ``<me>-to-<recipient>`` medium folder for packages)."""
    folder = record.folder
    if not os.path.isabs(folder) or os.path.normpath(folder) != folder or "\x00" in folder:
        return False
    if record.kind == "opened":
        return staging.is_annex_csv(record.name) or staging.is_workbook(record.name)
    if record.kind == "package":
        return (Path(folder).name == f"{me}-to-{record.recipient}" and bool(media.SAFE_NAME.fullmatch(record.name))
                and record.name.endswith((".age", ".age" + media.SIDECAR_SUFFIX)))
    return False


def _plan_folders(pending: list[Written], started: set[int]) -> list[PlannedFolder]:
    groups: dict[tuple[str, str, str], PlannedFolder] = {}
    for record in pending:
        key = (record.folder, record.kind, record.package_id)
        group = groups.setdefault(key, PlannedFolder(record.folder, record.kind, record.package_id, []))
        group.records.append(record)
        group.interrupted |= record.seq in started
    return list(groups.values())


def _undelivered(
    home: Path, label: str, me: str, pending: list[Written], outputs: Outputs, directory: Directory
) -> list[str]:
    from secxfer.ledger.reconcile import load_evidence

    evidence = load_evidence(home, label, directory)
    accepted = {(r.issuer, r.package_id, r.encrypted_sha256.hex()) for r in evidence.receipts if r.accepted}
    own = {r.package_id: evidence.receipt_hashes[id(r)].hex()
           for r in evidence.receipts if r.accepted and r.issuer == me}
    missing: dict[str, None] = {}
    for record in pending:
        if record.kind == "package":
            if (record.recipient, record.package_id, record.package_sha256) not in accepted:
                missing[f"no accepted receipt from {record.recipient} for {record.name.removesuffix('.sig')}"] = None
        elif own.get(record.package_id) not in outputs.receipts_sent:
            missing[f"the receipt for package {record.package_id[:8]} has not been put on a return medium "
                    "(forward the receipts)"] = None
    return list(missing)


def _contradictions(home: Path, label: str, now: dt.datetime) -> list[str]:
    from secxfer.ledger.reconcile import reconcile_home

    return [p.message for p in reconcile_home(home, label, now=now).problems if p.severity == "error"]


def plan(period: str, *, home: Path, force: bool = False, now: dt.datetime | None = None) -> PurgePlan:
    """Everything purge would remove for ``period``, after every check that can refuse it.

    Raises UsageError (nothing left), PurgeRecordsError (the log cannot be trusted),
    PurgeBlockedError (contradictions, unless ``force``), PurgeRefusedError (unconfirmed).
    """
    from secxfer.domain.period import parse_period
    from secxfer.ledger.evidence import trusted_directory

    now = now or dt.datetime.now(dt.timezone.utc)
    label = parse_period(period).label
    me = LedgerHome(home).participant()
    if me is None:
        raise UsageError(f"{str(home)!r} has not sealed, relayed or opened anything", hint="check the home folder",
                         facts={"advice": "check-home", "home": str(home)})
    directory = trusted_directory(home, now)
    outputs = read_outputs(home, me, directory)
    pending = [w for w in outputs.written if w.period == label and w.seq not in outputs.done]
    leftovers = staging.pending(home)
    if not pending and not leftovers:
        raise UsageError(f"nothing recorded here for {label} is left to purge")
    forced: list[str] = []
    if pending:
        contradictions = _contradictions(home, label, now)
        if contradictions and not force:
            raise PurgeBlockedError(
                f"nothing was removed: reconciliation of {label} reports {len(contradictions)} contradiction(s); "
                f"first: {contradictions[0]}")
        forced = contradictions
        missing = _undelivered(home, label, me, pending, outputs, directory)
        if missing:
            shown = "; ".join(missing[:5]) + (f"; and {len(missing) - 5} more" if len(missing) > 5 else "")
            raise PurgeRefusedError(f"nothing was removed for {label}: {shown}")
    try:
        name = directory.participant(me).name
    except Exception:  # noqa: BLE001 — a name is only for display
        name = me
    return PurgePlan(label, me, name, _plan_folders(pending, outputs.started), leftovers, forced)


def _empty(group: PlannedFolder, me: str) -> tuple[EmptiedFolder, list[int], str]:
    """Remove one folder's recorded files; (outcome, entries done, content hash of the removed)."""
    result = EmptiedFolder(group.folder, group.kind, group.package_id)
    done, digests = [], []
    for record in sorted(group.records, key=lambda r: r.name):
        outcome, size = (remove_recorded(Path(record.folder), record.name, record.sha256)
                         if _inside(record, me) else (OUTSIDE, 0))
        if outcome == REMOVED:
            result.removed += 1
            result.bytes += size
            digests.append(record.sha256)
        elif outcome == ABSENT:
            result.absent += 1
        else:
            result.kept.append((record.name, outcome))
            continue
        done.append(record.seq)
    if group.kind == "opened" and not result.kept and _inside(group.records[0], me):
        result.folder_removed = remove_empty_folder(Path(group.folder))
    outer = hashlib.sha256(b"".join(digests)).hexdigest()
    return result, done, outer


def carry_out(plan: PurgePlan, *, home: Path, operator: str | None = None,
              now: dt.datetime | None = None) -> PurgeResult:
    """Remove what ``plan`` lists, logging before and after; kept files are reported, not removed."""
    now = now or dt.datetime.now(dt.timezone.utc)
    who = oplog.resolve_operator(operator, plan.participant)
    result = PurgeResult(plan.period, forced=plan.forced)
    if plan.folders:
        oplog.append(home, op=STARTED, who=who, now=now, facts={
            "period": plan.period, "entries": sorted(r.seq for f in plan.folders for r in f.records),
            "folders": len(plan.folders), "forced": bool(plan.forced), "contradictions": len(plan.forced)})
    for group in plan.folders:
        emptied, done, content = _empty(group, plan.participant)
        result.folders.append(emptied)
        oplog.append(home, op=DELETED, who=who, now=now, facts={
            "period": plan.period, "kind": group.kind, "package_id": group.package_id, "folder": group.folder,
            "files": emptied.removed, "absent": emptied.absent, "kept": len(emptied.kept), "bytes": emptied.bytes,
            "content_sha256": content, "entries": done, "folder_removed": emptied.folder_removed})
    result.staging = staging.sweep(home)
    for swept in result.staging:
        oplog.append(home, op=STAGING_REMOVED, who=who, now=now,
                     facts={"folder": swept.folder, "files": swept.files, "kept": len(swept.kept)})
    return result


def purge(period: str, *, home: Path, operator: str | None = None, now: dt.datetime | None = None,
          force: bool = False, confirm: Callable[[PurgePlan], bool] | None = None) -> PurgeResult:
    """Plan, ask ``confirm`` (None: no question), and carry out the purge of ``period``.

    One purge at a time per home. Raises as :func:`plan` does, PurgeCancelledError if
    ``confirm`` says no (nothing removed). Kept files are in the result
    (:func:`require_nothing_kept` turns them into an error).
    """
    ledger = LedgerHome(home)
    if ledger.participant() is None:
        raise UsageError(f"{str(home)!r} has not sealed, relayed or opened anything", hint="check the home folder",
                         facts={"advice": "check-home", "home": str(home)})
    with exclusive_lock(ledger.root / ".purge.lock"):
        planned = plan(period, home=home, force=force, now=now)
        if confirm is not None and not confirm(planned):
            raise PurgeCancelledError(f"purge of {planned.period} cancelled: nothing was removed")
        return carry_out(planned, home=home, operator=operator, now=now)


def require_nothing_kept(result: PurgeResult) -> None:
    """PurgeKeptError (exit 1) naming every file purge kept because it is not what was recorded."""
    kept = result.kept
    if kept:
        shown = "; ".join(kept[:5]) + (f"; and {len(kept) - 5} more" if len(kept) > 5 else "")
        raise PurgeKeptError(f"{len(kept)} file(s) kept, not what secxfer wrote there: {shown}")
