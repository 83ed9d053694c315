"""``secxfer log recover``: the explicit, logged way out of a log that no longer matches its checkpoints.

A rewritten, cut-off or restored-from-backup log gets no checkpoint (secxfer.ledger.logcheck).
Recovering keeps the broken history aside, untouched, under ``ledger/epochs/<n>/``
(``oplog.jsonl``, ``checkpoints/``, and any checkpoint given with ``--abandon`` under
``abandoned/``), and starts epoch ``n+1``: a new log whose entry 0 is ``log-restarted``
naming who, why, and the newest checkpoint it abandons (size and root hash). A
checkpoint of that first entry is signed at once; carried up with it
(secxfer.ledger.carry), the parent sees the recovery and checks that what it holds is
what the recovery abandons (secxfer.ledger.forks).

Recovery is refused when there is nothing to recover from: a log that verifies
against every checkpoint kept and given.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.errors import SecxferError, UsageError
from secxfer.fsutil import atomic_write, fsync_dir
from secxfer.ledger import oplog
from secxfer.ledger.checkpoint import CHECKPOINT_MAX_BYTES, Checkpoint, origin_of, parse_checkpoint
from secxfer.ledger.logcheck import Labelled, honest_problems, kept, read_own_checkpoint
from secxfer.ledger.store import LedgerHome

if TYPE_CHECKING:
    from secxfer.trust import Directory, ParticipantSecret

EPOCHS = "epochs"
_REASON = re.compile(r"[^\x00-\x1f\x7f]{3,200}")


@dataclass(frozen=True)
class Recovery:
    epoch: int
    entry: oplog.LogEntry
    kept_aside: Path
    abandoned: Checkpoint | None
    problems: list[str]


def epochs_root(home: Path) -> Path:
    return LedgerHome(home).root / EPOCHS


def _aside_numbers(home: Path) -> list[int]:
    root = epochs_root(home)
    if not root.is_dir():
        return []
    return [int(p.name) for p in root.iterdir() if p.is_dir() and p.name.isdigit()]


def abandoned_checkpoints(home: Path) -> set[tuple[int, bytes]]:
    """(size, root) of every checkpoint an earlier recovery set aside: not of this epoch, known."""
    found: set[tuple[int, bytes]] = set()
    first = oplog.first_entry(oplog.read_entries(home)[0])
    if first is not None and first.op == oplog.RESTART_OP:
        size, root = first.facts.get("abandons_size"), first.facts.get("abandons_root")
        if isinstance(size, int) and isinstance(root, str):
            found.add((size, bytes.fromhex(root)))
    root_dir = epochs_root(home)
    for number in _aside_numbers(home):
        for path in [*(root_dir / str(number) / "checkpoints").glob("*.txt"),
                     *(root_dir / str(number) / "abandoned").glob("*.checkpoint")]:
            try:
                checkpoint = parse_checkpoint(path.read_bytes()[:CHECKPOINT_MAX_BYTES + 1])
            except (SecxferError, OSError):  # a damaged file aside is evidence, not a checkpoint to honour
                continue
            found.add((checkpoint.size, checkpoint.root))
    return found


def recover(home: Path, key: ParticipantSecret, *, reason: str, operator: str | None = None,
            abandon: Sequence[Path] = (), directory: Directory | None = None,
            now: dt.datetime | None = None) -> Recovery:
    """Set the broken log aside and start a new epoch whose first entry records the recovery.

    ``abandon``: checkpoints of this log found elsewhere (the medium, the parent) that it no
    longer matches — a home restored from a backup only shows against those.
    """
    from secxfer.ledger.checkpoint import write_checkpoint

    now = now or dt.datetime.now(dt.timezone.utc)
    me = key.participant_id
    ledger = LedgerHome(home)
    ledger.bind(me)
    who = oplog.resolve_operator(operator, me)
    reason = reason.strip()
    if not _REASON.fullmatch(reason):
        raise UsageError("the reason must be 3-200 printable characters",
                         hint="say what happened, e.g. 'home restored from the backup of 2026-11-02'",
                         facts={"advice": "recovery-reason"})
    given: list[Labelled] = [(f"checkpoint {Path(p).name} given", read_own_checkpoint(Path(p), origin_of(me), directory))
                             for p in abandon]
    check, problems = honest_problems(home, given)
    if not problems:
        raise UsageError("the operations log verifies against every checkpoint kept here (and given): "
                         "nothing to recover", hint="verifying the log shows its state",
                         facts={"advice": "log-verify"})
    checkpoints = [c for _, c in kept(home)[0]] + [c for _, c in given]
    newest = max(checkpoints, key=lambda c: c.size, default=None)
    lines = oplog.read_entries(home)[0]
    current = max([oplog.epoch_of(lines), *(n + 1 for n in _aside_numbers(home))])
    aside = _set_aside(ledger, current, abandon)
    facts: dict[str, oplog.Fact] = {
        "epoch": current + 1, "reason": reason, "kept_aside": f"{EPOCHS}/{aside.name}",
        "previous_entries": check.entries, "problem": problems[0][:300], "problems": len(problems),
        "abandons_size": newest.size if newest else 0, "abandons_root": newest.root.hex() if newest else "",
    }
    entry = oplog.append(home, op=oplog.RESTART_OP, who=who, facts=facts, now=now)
    first = oplog.check_lines(oplog.read_entries(home)[0])
    write_checkpoint(home, key, first.entries, first.root)
    return Recovery(epoch=current + 1, entry=entry, kept_aside=aside, abandoned=newest, problems=problems)


def _set_aside(ledger: LedgerHome, epoch: int, abandon: Sequence[Path]) -> Path:
    """Move the log and its checkpoints to ``epochs/<epoch>/`` (renames: nothing is copied or lost)."""
    root = ledger.root / EPOCHS
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    aside = root / str(epoch)
    aside.mkdir(mode=0o700, exist_ok=True)
    if ledger.log_path.exists():
        target = aside / "oplog.jsonl"
        if target.exists():  # a recovery interrupted after its first move: keep both
            target = aside / f"oplog.{len(list(aside.glob('oplog*')))}.jsonl"
        os.rename(ledger.log_path, target)
    if ledger.checkpoints.is_dir():
        target = aside / "checkpoints"
        if target.exists():
            target = aside / f"checkpoints.{len(list(aside.glob('checkpoints*')))}"
        os.rename(ledger.checkpoints, target)
    if abandon:
        (aside / "abandoned").mkdir(mode=0o700, exist_ok=True)
        for path in abandon:
            name = Path(path).name if Path(path).name.endswith(".checkpoint") else f"{Path(path).name}.checkpoint"
            atomic_write(aside / "abandoned" / name, Path(path).read_bytes()[:CHECKPOINT_MAX_BYTES])
    fsync_dir(aside)
    fsync_dir(ledger.root)
    return aside
