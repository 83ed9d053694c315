"""Carrying the log's checkpoint up: the note, consistency proofs, and a restart's first entry.

``secxfer receipts forward`` (into ``<medium>/<me>-to-<parent>/checkpoints/``) and
``secxfer log checkpoint --out DIR`` write, for the parent to check on collection
(secxfer.ledger.forks):

    <me>-oplog[-e<epoch>]-<size>.checkpoint         the signed note of the whole log now
    <me>-oplog[-e<epoch>]-<old>-<size>.proof        consistency from every size carried
                                                    before in this epoch (and from 1 after
                                                    a restart)
    <me>-oplog-e<epoch>-00000001.checkpoint, <me>-oplog-e<epoch>.entry
                                                    after a restart: the note over entry 0
                                                    and entry 0 itself (``log-restarted``)

Sizes are 8 digits; ``-e<epoch>`` appears from epoch 2 on. Before writing, every
checkpoint of this log already in the folder (and ``--since``) must be one the log
still extends — a home restored from a backup is caught here against what the medium
carried up before — unless a recovery abandoned it; files of earlier epochs are
moved to ``abandoned/`` in that folder so they are not carried up again. The export
itself is logged (``checkpoint-exported``; the checkpoint carried covers that entry,
so its size is the entry's ``seq`` + 1) and checkpointed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.errors import SecxferError
from secxfer.fsutil import atomic_write
from secxfer.ledger import oplog
from secxfer.ledger.checkpoint import origin_of, prove
from secxfer.ledger.logcheck import Labelled, checkpoint_log, read_own_checkpoint, require_honest
from secxfer.ledger.store import LedgerHome

if TYPE_CHECKING:
    from secxfer.trust import Directory, ParticipantSecret

CHECKPOINTS = "checkpoints"
EXPORT_OP = "checkpoint-exported"
PROOFS_MAX = 64  # proofs from the most recent sizes carried; older ones are implied by them


@dataclass
class Carried:
    note: Path
    proofs: list[Path] = field(default_factory=list)
    restart: list[Path] = field(default_factory=list)
    moved_aside: list[Path] = field(default_factory=list)


def medium_folder(root: Path, me: str, parent: str) -> Path:
    """Where checkpoints go on a return medium: beside the receipts, ``<me>-to-<parent>/checkpoints``."""
    return Path(root) / f"{me}-to-{parent}" / CHECKPOINTS


def stem(me: str, epoch: int) -> str:
    return f"{me}-oplog" if epoch == 1 else f"{me}-oplog-e{epoch}"


def _own_files(folder: Path, me: str) -> list[tuple[Path, int, str]]:
    """This log's files in ``folder``: (path, epoch by name, suffix)."""
    pattern = re.compile(rf"{re.escape(me)}-oplog(?:-e([1-9][0-9]{{0,5}}))?(?:-[0-9]{{8}}){{0,2}}\.(checkpoint|proof|entry)")
    found = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            match = pattern.fullmatch(path.name)
            if match and path.is_file() and not path.is_symlink():
                found.append((path, int(match.group(1) or 1), match.group(2)))
    return found


def _write(path: Path, data: bytes) -> Path:
    if not path.is_file() or path.read_bytes() != data:
        atomic_write(path, data, mode=0o644)
    return path


def carry(home: Path, key: ParticipantSecret, out: Path, *, who: str, now: dt.datetime | None = None,
          directory: Directory | None = None,
          since: Path | None = None, to: str | None = None) -> Carried:
    """Check the log against every checkpoint kept and every one of its own in ``out``, log the
    export, sign a checkpoint and write it with its proofs to ``out``.

    Raises LogRewrittenError (exit 3, nothing written or signed) naming the checkpoint the
    log no longer matches.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    me = key.participant_id
    origin = origin_of(me)
    LedgerHome(home).bind(me)
    out = Path(out)
    epoch, stale, extra = check_before_carrying(home, me, out, directory=directory, since=since)
    entry = oplog.append(home, op=EXPORT_OP, who=who, now=now, facts={"to": to or out.name, "epoch": epoch})
    checkpoint_log(home, key)
    lines = oplog.read_entries(home)[0]
    check = oplog.check_lines(lines)
    carried_before = _exported_sizes(lines[: entry.seq]) | {c.size for _, c in extra}
    if epoch > 1:
        carried_before.add(1)
    out.mkdir(parents=True, exist_ok=True)
    result = Carried(note=out / f"{stem(me, epoch)}-{check.entries:08d}.checkpoint")
    for path in stale:
        aside = out / "abandoned"
        aside.mkdir(exist_ok=True)
        os.replace(path, aside / path.name)
        result.moved_aside.append(aside / path.name)
    ledger = LedgerHome(home)
    _write(result.note, (ledger.checkpoints / f"{check.entries:08d}.txt").read_bytes())
    for size in sorted(s for s in carried_before if 0 < s < check.entries)[-PROOFS_MAX:]:
        path = out / f"{stem(me, epoch)}-{size:08d}-{check.entries:08d}.proof"
        result.proofs.append(_write(path, prove(check.leaf_hashes, origin, size)))
    if epoch > 1:
        first = ledger.checkpoints / f"{1:08d}.txt"
        if first.is_file():
            result.restart.append(_write(out / f"{stem(me, epoch)}-{1:08d}.checkpoint", first.read_bytes()))
        result.restart.append(_write(out / f"{stem(me, epoch)}.entry", lines[0] + b"\n"))
    return result


def check_before_carrying(home: Path, me: str, out: Path, *, directory: Directory | None = None,
                          since: Path | None = None
                          ) -> tuple[int, list[Path], list[Labelled]]:
    """The log checked against every checkpoint kept and every one of its own in ``out`` (and
    ``since``): LogRewrittenError naming the first it no longer matches. Returns the epoch, the
    files of earlier epochs in ``out`` and the checkpoints there this log extends."""
    from secxfer.ledger.recovery import abandoned_checkpoints

    origin = origin_of(me)
    epoch = oplog.epoch_of(oplog.read_entries(home)[0])
    known = abandoned_checkpoints(home)
    stale, found = [], []
    for path, file_epoch, suffix in _own_files(Path(out), me):
        if file_epoch < epoch:
            stale.append(path)
        elif suffix == "checkpoint":
            found.append((f"checkpoint {path.name} on the medium", read_own_checkpoint(path, origin, directory)))
    if since is not None:
        found.append((f"checkpoint {Path(since).name} (the earlier one given)", read_own_checkpoint(Path(since), origin, directory)))
    extra: list[Labelled] = [(label, c) for label, c in found if (c.size, c.root) not in known]
    require_honest(home, extra)
    return epoch, stale, extra


def _exported_sizes(lines: list[bytes]) -> set[int]:
    """Sizes carried up before in this epoch: each ``checkpoint-exported`` entry's seq + 1."""
    sizes = set()
    for line in lines:
        if EXPORT_OP.encode() not in line:
            continue
        try:
            entry = oplog.decode_entry(line)
        except SecxferError:
            continue
        if entry.op == EXPORT_OP:
            sizes.add(entry.seq + 1)
    return sizes
