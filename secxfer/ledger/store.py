"""The ledger's files under an installation's home folder.

    ledger/participant             the participant this home acts for (set on first use)
    ledger/oplog.jsonl             the operations log (secxfer.ledger.oplog)
    ledger/checkpoints/<size>.txt  signed checkpoints of that log
    ledger/epochs/<n>/             a log set aside by a recovery (secxfer.ledger.recovery)
    ledger/held/<child>/           checkpoints of a child's log held here (secxfer.ledger.forks)
    ledger/evidence/<period>.jsonl verified signed receipts and hop reports, own and
                                   collected: one envelope per line, each kept once

Collecting the same receipt twice stores it once (documents are compared by hash).
Nothing here holds personal data: ids, codes, counts, hashes and file names only.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from secxfer.errors import UsageError
from secxfer.fsutil import atomic_write, binary, fsync_dir
from secxfer.ledger.evidence import Verified


def period_slug(label: str) -> str:
    from secxfer.domain.period import parse_period

    return parse_period(label).slug


def _append(path: Path, data: bytes) -> None:
    """Append ``data`` in one write and fsync it (a crash leaves at most a torn last line)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, binary(os.O_WRONLY | os.O_CREAT | os.O_APPEND), 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _cut_torn_tail(path: Path) -> None:
    """Drop bytes after the last newline: an append a crash interrupted (its documents
    are still on the medium and are simply collected again)."""
    data = path.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep != len(data):
        with open(path, "r+b") as handle:
            handle.truncate(keep)
            os.fsync(handle.fileno())


class LedgerHome:
    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.root = self.home / "ledger"
        self.log_path = self.root / "oplog.jsonl"
        self.checkpoints = self.root / "checkpoints"

    def ensure(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.root

    # -- whom this home acts for ----------------------------------------------------

    def participant(self) -> str | None:
        path = self.root / "participant"
        return path.read_text("ascii").strip() if path.is_file() else None

    def bind(self, participant_id: str) -> None:
        """Record the participant this home acts for; refuse a home of someone else."""
        current = self.participant()
        if current == participant_id:
            return
        if current is not None:
            raise UsageError(
                f"home {str(self.home)!r} belongs to {current!r}, not {participant_id!r}",
                hint="use each participant's own home folder",
                facts={"advice": "own-home", "home": str(self.home), "owner": current, "participant": participant_id},
            )
        self.ensure()
        atomic_write(self.root / "participant", participant_id.encode("ascii") + b"\n")

    # -- evidence ---------------------------------------------------------------------

    def evidence_path(self, period: str) -> Path:
        return self.root / "evidence" / f"{period_slug(period)}.jsonl"

    def evidence(self, period: str) -> list[tuple[str, bytes]]:
        """Every stored document of ``period`` as (where, bytes), in the order kept.

        Only complete lines count: a torn last line (a crash while appending) is
        never read, and the next :meth:`keep` cuts it off.
        """
        path = self.evidence_path(period)
        if not path.is_file() or path.is_symlink():
            return []
        lines = path.read_bytes().split(b"\n")[:-1]
        return [(f"{path.name} line {n}", line) for n, line in enumerate(lines, 1) if line]

    def keep(self, documents: list[Verified], period: str) -> int:
        """Append the verified documents not yet stored for ``period``; return how many were new.

        One write and one fsync per batch, so collecting a country's receipts costs
        one sync, not thousands. Envelopes are canonical JSON and hold no newline.
        """
        stored = {hashlib.sha256(raw).digest() for _, raw in self.evidence(period)}
        new, seen = [], set()
        for verified in documents:
            if b"\n" in verified.raw:
                raise ValueError("a signed document in canonical form holds no newline")
            if verified.sha256 not in stored and verified.sha256 not in seen:
                seen.add(verified.sha256)
                new.append(verified.raw + b"\n")
        if new:
            path = self.evidence_path(period)
            created = not path.exists()
            if not created:
                _cut_torn_tail(path)
            _append(path, b"".join(new))
            if created:
                fsync_dir(path.parent)
        return len(new)
