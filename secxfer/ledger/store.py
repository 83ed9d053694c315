"""The ledger's files under an installation's home folder.

    ledger/participant             the participant this home acts for (set on first use)
    ledger/oplog.jsonl             the operations log (secxfer.ledger.oplog)
    ledger/checkpoints/<size>.txt  signed checkpoints of that log
    ledger/evidence/<period>/      verified signed receipts and hop reports, own and
                                   collected, named <kind>-<SHA-256 of the bytes>.json
    ledger/outputs.jsonl           outputs written here (packages, opened folders) and
                                   receipts sent, for ``secxfer purge``

Evidence is content-addressed, so collecting the same receipt twice stores it once.
Nothing here holds personal data: ids, codes, counts, hashes and file names only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from secxfer.errors import UsageError
from secxfer.fsutil import atomic_write
from secxfer.ledger.evidence import RECEIPT_KIND, REPORT_KIND, Verified

EVIDENCE_PREFIX = {RECEIPT_KIND: "receipt", REPORT_KIND: "report"}


def period_slug(label: str) -> str:
    from secxfer.domain.period import parse_period

    return parse_period(label).slug


def append_line(path: Path, record: dict) -> None:
    """Append one JSON line and fsync it (a crash leaves at most a torn last line)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps(record, sort_keys=True, ensure_ascii=True).encode() + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_lines(path: Path) -> list[dict]:
    """Records of a JSON-lines file; a torn last line (crash) is skipped, never trusted."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_bytes().split(b"\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


class LedgerHome:
    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.root = self.home / "ledger"
        self.log_path = self.root / "oplog.jsonl"
        self.checkpoints = self.root / "checkpoints"
        self.outputs_path = self.root / "outputs.jsonl"

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
                hint="use each participant's own --home",
            )
        self.ensure()
        atomic_write(self.root / "participant", participant_id.encode("ascii") + b"\n")

    # -- evidence ---------------------------------------------------------------------

    def evidence_folder(self, period: str) -> Path:
        return self.root / "evidence" / period_slug(period)

    def keep(self, verified: Verified, period: str) -> bool:
        """Store a verified receipt or report for ``period``; False if it was already here."""
        folder = self.evidence_folder(period)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{EVIDENCE_PREFIX[verified.kind]}-{verified.sha256.hex()}.json"
        if path.exists():
            return False
        atomic_write(path, verified.raw)
        return True

    def evidence(self, period: str) -> list[tuple[Path, bytes]]:
        """Every stored document of ``period`` as (path, bytes), in name order."""
        folder = self.evidence_folder(period)
        if not folder.is_dir():
            return []
        return [(p, p.read_bytes()) for p in sorted(folder.glob("*.json")) if p.is_file() and not p.is_symlink()]

    # -- outputs written here (for purge) ---------------------------------------------

    def note_output(self, record: dict) -> None:
        append_line(self.outputs_path, record)

    def outputs(self) -> list[dict]:
        return read_lines(self.outputs_path)
