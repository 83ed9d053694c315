"""Fork detection on collection: a parent checks the checkpoints its children carry up.

``secxfer receipts collect`` calls :func:`check_carried` on the return medium. For each
child directly below, every signed checkpoint found (secxfer.ledger.carry names them)
is checked against the checkpoints this home already holds for that child
(``ledger/held/<child>/<size>.txt``; earlier epochs under ``epoch-<n>/``):

1. a held checkpoint of the same size must have the same root — else a proven fork;
2. held checkpoints are prefixes of one another, so one consistency proof from the
   medium places a new one among them: to the oldest held above it, else from the
   newest held below it (carried checkpoints are taken newest first, so an older one
   carried again is proven into the newest) — a proof that fails is a fork (exit 3); a
   proof that is missing leaves it *unproven* (a warning, exit 5; it is not held);
3. the first checkpoint of a child is held as the baseline (a note);
4. a restart (``<child>-oplog-e<N>.entry`` with entry 0 ``log-restarted`` under the
   signed checkpoint of that one entry) starts a new epoch here when the checkpoint it
   abandons is the newest one held; one that abandons another root for a held size is a
   fork, one that abandons less (or more) than is held is unproven — the new epoch is
   taken either way, so the child's later checkpoints are checked against it.

Checkpoints held are only ever ones verified by signature (and, after the first, by
proof); nothing unproven becomes a baseline.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.errors import SecxferError, UsageError
from secxfer.fsutil import atomic_write, read_bounded
from secxfer.ledger import oplog
from secxfer.ledger.carry import CHECKPOINTS
from secxfer.ledger.checkpoint import (
    CHECKPOINT_MAX_BYTES,
    ORIGIN_PREFIX,
    PROOF_MAX_BYTES,
    Checkpoint,
    parse_checkpoint,
    parse_proof,
    verify_checkpoint,
)
from secxfer.ledger.store import LedgerHome
from secxfer.ledger.tlog import entry_hash, verify_consistency
from secxfer.notices import Notice

if TYPE_CHECKING:
    from secxfer.trust import Directory

HELD = "held"
RESTART_FILE = "restart.entry"
_ENTRY_NAME = re.compile(r"([a-z0-9-]{2,20})-oplog-e([1-9][0-9]{0,5})\.entry")
# (child, older size, newer size) -> the consistency proofs carried for that pair
_Proofs = dict[tuple[str, int, int], list[list[bytes]]]


@dataclass
class Findings:
    """What the checkpoints on a medium showed; the CLI prints each list, forks exit 3, unproven 5."""

    notes: list[str] = field(default_factory=list)
    restarts: list[str] = field(default_factory=list)
    forks: list[str] = field(default_factory=list)
    unproven: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    held: int = 0

    def facts(self) -> dict[str, int]:
        return {"checkpoints_held": self.held, "checkpoint_forks": len(self.forks),
                "checkpoints_unproven": len(self.unproven), "log_restarts_seen": len(self.restarts)}


def _facts(child: str, checkpoint: Checkpoint) -> dict[str, object]:
    return {"child": child, "entries": checkpoint.size, "root": checkpoint.root.hex()[:16]}


def _short(checkpoint: Checkpoint) -> str:
    return f"{checkpoint.size} entries, root {checkpoint.root.hex()[:16]}…"


class Held:
    """The checkpoints this home holds for one child, current epoch and earlier ones."""

    def __init__(self, home: Path, child: str) -> None:
        self.child = child
        self.folder = held_folder(home, child)
        self.epoch, self.checkpoints, self.earlier = 1, {}, set()
        restart = self.folder / RESTART_FILE
        if restart.is_file():
            entry = oplog.decode_entry(restart.read_bytes().rstrip(b"\n"))
            self.epoch = int(entry.facts.get("epoch", 1))  # type: ignore[arg-type]
        for path in sorted(self.folder.glob("*.txt")):
            checkpoint = parse_checkpoint(read_bounded(path, CHECKPOINT_MAX_BYTES, "held checkpoint"))
            self.checkpoints[checkpoint.size] = checkpoint
        for path in sorted(self.folder.glob("epoch-*/*.txt")):
            checkpoint = parse_checkpoint(read_bounded(path, CHECKPOINT_MAX_BYTES, "held checkpoint"))
            self.earlier.add((checkpoint.size, checkpoint.root))

    def latest(self) -> Checkpoint | None:
        return self.checkpoints[max(self.checkpoints)] if self.checkpoints else None

    def hold(self, checkpoint: Checkpoint) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self.folder / f"{checkpoint.size:08d}.txt", checkpoint.text)
        self.checkpoints[checkpoint.size] = checkpoint

    def new_epoch(self, epoch: int, line: bytes, first: Checkpoint) -> None:
        """Keep what was held aside under ``epoch-<n>/`` and start holding the new epoch."""
        aside = self.folder / f"epoch-{self.epoch}"
        aside.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path in [*self.folder.glob("*.txt"), self.folder / RESTART_FILE]:
            if path.is_file():
                os.replace(path, aside / path.name)
        self.earlier |= {(c.size, c.root) for c in self.checkpoints.values()}
        self.checkpoints, self.epoch = {}, epoch
        atomic_write(self.folder / RESTART_FILE, line + b"\n")
        self.hold(first)


def find_carried(path: Path, me: str) -> list[Path]:
    """Checkpoint, proof and entry files for ``me`` under ``path`` (a medium root, a
    ``<from>-to-<me>`` folder, its ``receipts`` or ``checkpoints`` folder, or any folder
    ``secxfer log checkpoint --out`` wrote to)."""
    path = Path(path)
    folders = [path, path / CHECKPOINTS]
    if path.name == "receipts":
        folders.append(path.parent / CHECKPOINTS)
    if path.is_dir():
        folders += sorted(p / CHECKPOINTS for p in path.glob(f"*-to-{me}"))
    found, seen = [], set()
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink() or folder.resolve() in seen:
            continue
        seen.add(folder.resolve())
        for item in sorted(folder.iterdir()):
            if item.suffix in (".checkpoint", ".proof", ".entry") and item.is_file() and not item.is_symlink():
                found.append(item)
    return found


def _sender(file: Path) -> str | None:
    """``<from>`` when the file lies in a ``<from>-to-<me>/checkpoints`` folder."""
    folder = file.parent.parent.name if file.parent.name == CHECKPOINTS else file.parent.name
    return folder.split("-to-")[0] if "-to-" in folder else None


def check_carried(path: Path, *, me: str, home: Path, directory: Directory, now: dt.datetime) -> Findings:
    """Check every checkpoint carried up under ``path`` against those held; hold the ones that pass."""
    from secxfer.ledger.aggregate import parent_of

    findings = Findings()
    checkpoints: dict[str, list[Checkpoint]] = {}
    proofs: _Proofs = {}
    entries: dict[str, list[tuple[int, bytes]]] = {}
    for file in find_carried(path, me):
        try:
            if file.suffix == ".checkpoint":
                checkpoint = verify_checkpoint(read_bounded(file, CHECKPOINT_MAX_BYTES, "checkpoint"), directory, now=now)
                child = checkpoint.origin[len(ORIGIN_PREFIX):]
                try:
                    below = parent_of(child) == me
                except UsageError:
                    below = False
                if not below or _sender(file) not in (None, child):
                    raise UsageError(f"a checkpoint of {child!r} does not come to you from directly below")
                checkpoints.setdefault(child, []).append(checkpoint)
            elif file.suffix == ".proof":
                origin, old, new, hashes = parse_proof(read_bounded(file, PROOF_MAX_BYTES, "consistency proof"))
                proofs.setdefault((origin[len(ORIGIN_PREFIX):], old, new), []).append(hashes)
            else:
                match = _ENTRY_NAME.fullmatch(file.name)
                line = read_bounded(file, oplog.ENTRY_MAX_BYTES + 1, "log entry").rstrip(b"\n")
                entry = oplog.decode_entry(line, "restart entry")
                if match is None or entry.seq != 0 or entry.op != oplog.RESTART_OP:
                    raise UsageError("not the first entry of a restarted log")
                entries.setdefault(match.group(1), []).append((int(match.group(2)), line))
        except SecxferError as error:
            findings.rejected.append(f"{file.name}: {error}")
    for child in sorted(checkpoints):
        try:
            held = Held(home, child)
        except SecxferError as error:  # this home's own copy was damaged or edited: nothing to check against
            findings.rejected.append(f"the checkpoints held here for {child} ({held_folder(home, child)}): {error}")
            continue
        _check_child(held, checkpoints[child], proofs, entries.get(child, []), findings)
    return findings


def held_folder(home: Path, child: str) -> Path:
    return LedgerHome(home).root / HELD / child


def _check_child(
    held: Held, incoming: list[Checkpoint], proofs: _Proofs, entries: list[tuple[int, bytes]], findings: Findings
) -> None:
    child = held.child
    unique = {(c.size, c.root): c for c in incoming}
    ordered = [unique[k] for k in sorted(unique, reverse=True)]  # newest first: older ones are proven into it
    for epoch, line in sorted(entries, reverse=True)[:1]:
        if epoch > held.epoch:
            _restart(held, epoch, line, ordered, findings)
    for checkpoint in ordered:
        if (checkpoint.size, checkpoint.root) in held.earlier:
            continue  # of an epoch this child restarted from; seen before
        same = held.checkpoints.get(checkpoint.size)
        if same is not None:
            if same.root != checkpoint.root:
                findings.forks.append(
                    f"{child}: two signed checkpoints for the same {checkpoint.size} entries — held root "
                    f"{same.root.hex()[:16]}…, carried root {checkpoint.root.hex()[:16]}…: its log shows two histories")
            continue
        if not held.checkpoints:
            held.hold(checkpoint)
            findings.held += 1
            findings.notes.append(Notice(
                f"{child}: first checkpoint held ({_short(checkpoint)}); later ones are checked against it",
                wording="checkpoint-first-held", values=_facts(child, checkpoint)))
            continue
        # Held checkpoints are prefixes of one another, so one proof places a new one among them:
        # to the oldest held above it (then everything below is its prefix too), else from the newest below.
        upper = min((s for s in held.checkpoints if s > checkpoint.size), default=None)
        lower = max((s for s in held.checkpoints if s < checkpoint.size), default=None)
        if upper is not None:
            proven = _proven(child, checkpoint, held.checkpoints[upper], proofs, findings, held_is_old=False)
        else:
            proven = _proven(child, held.checkpoints[lower], checkpoint, proofs, findings, held_is_old=True)
        if proven:
            held.hold(checkpoint)
            findings.held += 1
            findings.notes.append(Notice(
                f"{child}: checkpoint ({_short(checkpoint)}) extends the one held; proof verified",
                wording="checkpoint-extends", values=_facts(child, checkpoint)))


def _proven(
    child: str, old: Checkpoint, new: Checkpoint, proofs: _Proofs, findings: Findings, *, held_is_old: bool
) -> bool:
    candidates = proofs.get((child, old.size, new.size), [])
    if not candidates:
        first, second = ("held", "carried") if held_is_old else ("carried", "held")
        findings.unproven.append(
            f"{child}: no consistency proof from the {first} checkpoint ({_short(old)}) to the {second} one "
            f"({_short(new)}): not checked, not held — ask {child} to carry up a checkpoint with a "
            f"consistency proof from the held one")
        return False
    for hashes in candidates:
        try:
            verify_consistency(old.size, new.size, old.root, new.root, hashes)
            return True
        except SecxferError:
            continue
    findings.forks.append(
        f"{child}: its checkpoint ({_short(new)}) does not extend the one held ({_short(old)}): the proof "
        "carried with it fails, so its log shows another history (or the proof was altered on the medium)")
    return False


def _restart(held: Held, epoch: int, line: bytes, ordered: list[Checkpoint], findings: Findings) -> None:
    child = held.child
    first = next((c for c in ordered if c.size == 1 and c.root == entry_hash(line)), None)
    if first is None:
        findings.unproven.append(f"{child}: a restart of its log (epoch {epoch}) without the signed checkpoint "
                                 "over its first entry: not taken")
        return
    entry = oplog.decode_entry(line)
    size, root = entry.facts.get("abandons_size"), entry.facts.get("abandons_root")
    if not isinstance(size, int) or not isinstance(root, str):
        findings.unproven.append(f"{child}: its restart record (epoch {epoch}) names no abandoned checkpoint: not taken")
        return
    said = (f"{child} restarted its operations log (epoch {epoch}) on {entry.at.isoformat()} by {entry.who}: "
            f"{entry.facts.get('reason', '')!s}; it abandons the checkpoint of {size} entries (root {root[:16]}…)")
    same, latest = held.checkpoints.get(size), held.latest()
    if same is not None and same.root.hex() != root:
        findings.forks.append(f"{said}, but the checkpoint held for {size} entries has root "
                              f"{same.root.hex()[:16]}…: two histories")
        return
    if latest is not None and latest.size != size:
        findings.unproven.append(
            f"{said}, but the newest checkpoint held here is of {latest.size} entries: what lies between "
            "cannot be checked")
    held.new_epoch(epoch, line, first)
    findings.held += 1
    findings.restarts.append(said)
