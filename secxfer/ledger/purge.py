"""``secxfer purge``: remove a period's outputs once receipts confirm onward delivery.

What an installation wrote is noted in its home (``ledger/outputs.jsonl``):

* packages it sealed or relayed (encrypted copies kept so a lost medium can be
  written again) — removable once the recipient's verified receipt accepts exactly
  that package (same package id and file hash);
* folders of annex CSVs a municipality opened (plaintext) — removable once its own
  ``accepted`` receipt for the package exists and was put on a return medium.

Relays never hold plaintext under a name (decrypted content lives only in anonymous
scratch files), so for them purge removes the encrypted copies. Purge is all or
nothing per period: if anything is unconfirmed it removes nothing and names what is
missing. Each removal is logged (``output-deleted``) with a hash of what was removed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from secxfer.errors import UsageError
from secxfer.ledger import oplog
from secxfer.ledger.errors import PurgeRefusedError
from secxfer.ledger.store import LedgerHome

ANNEX_NAMES = frozenset({"annex1.csv", "annex2.csv", "annex3.csv"})


@dataclass
class PurgeResult:
    removed: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


def _digest(paths: list[Path]) -> tuple[str, int]:
    """SHA-256 over the files' own SHA-256 digests (name order), and their total size."""
    outer, size = hashlib.sha256(), 0
    for path in sorted(paths):
        data = path.read_bytes()
        size += len(data)
        outer.update(hashlib.sha256(data).digest())
    return outer.hexdigest(), size


def _sent_receipts(home: Path) -> set[str]:
    import json

    sent = set()
    for line in oplog.read_entries(home)[0]:
        entry = json.loads(line)
        if entry.get("op") == "receipt-sent":
            sent.add(entry.get("facts", {}).get("receipt_sha256"))
    return sent


def _is_workbook(name: str) -> bool:
    """The officer's workbook open writes beside the CSVs (plaintext too)."""
    from secxfer.domain.workbook import WORKBOOK_SUFFIX

    return name.endswith(WORKBOOK_SUFFIX) and "/" not in name and "\\" not in name and not name.startswith(".")


def _files_of(record: dict) -> list[Path]:
    path = Path(record["path"])
    if record["type"] == "package":
        candidates = [path, Path(str(path) + ".sig")]
    else:
        names = [n for n in record.get("files", []) if n in ANNEX_NAMES or _is_workbook(n)]
        candidates = [path / n for n in names]
    return [p for p in candidates if p.is_file() and not p.is_symlink()]


def purge(period: str, *, home: Path, operator: str | None = None, now: dt.datetime | None = None) -> PurgeResult:
    """Remove ``period``'s recorded outputs if every one is confirmed; else raise PurgeRefusedError."""
    from secxfer.ledger.evidence import trusted_directory
    from secxfer.domain.period import parse_period
    from secxfer.ledger.reconcile import load_evidence

    now = now or dt.datetime.now(dt.timezone.utc)
    label = parse_period(period).label
    ledger = LedgerHome(home)
    me = ledger.participant()
    if me is None:
        raise UsageError(f"{str(home)!r} has not sealed, relayed or opened anything", hint="check --home")
    records = ledger.outputs()
    done = {r["path"] for r in records if r.get("type") == "purged"}
    pending = [r for r in records
               if r.get("period") == label and r.get("type") in ("package", "opened") and r["path"] not in done]
    if not pending:
        raise UsageError(f"nothing recorded here for {label} is left to purge")
    evidence = load_evidence(home, label, trusted_directory(home, now))
    accepted = {(r.issuer, r.package_id, r.encrypted_sha256.hex()) for r in evidence.receipts if r.accepted}
    own = {r.package_id: evidence.receipt_hashes[id(r)].hex()
           for r in evidence.receipts if r.accepted and r.issuer == me}
    sent = _sent_receipts(home)
    missing = []
    for record in pending:
        if record["type"] == "package":
            if (record["recipient"], record["package_id"], record["sha256"]) not in accepted:
                missing.append(f"no accepted receipt from {record['recipient']} for {Path(record['path']).name}")
        elif own.get(record["package_id"]) not in sent:
            missing.append(f"the receipt for package {record['package_id'][:8]} has not been put on a return medium "
                           "(secxfer receipts forward)")
    if missing:
        shown = "; ".join(missing[:5]) + (f"; and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise PurgeRefusedError(f"nothing was removed for {label}: {shown}")
    who = oplog.resolve_operator(operator, me)
    result = PurgeResult()
    for record in pending:
        files = _files_of(record)
        digest, size = _digest(files)
        for path in files:
            path.unlink()
        if record["type"] == "opened" and Path(record["path"]).is_dir() and not any(Path(record["path"]).iterdir()):
            Path(record["path"]).rmdir()
        ledger.note_output({"type": "purged", "path": record["path"], "period": label})
        oplog.append(home, op="output-deleted", who=who, now=now, facts={
            "period": label, "kind": record["type"], "package_id": record["package_id"], "files": len(files),
            "bytes": size, "content_sha256": digest})
        result.removed.append(f"{record['type']} {record['package_id'][:8]}: {len(files)} file(s)")
        result.files += len(files)
        result.bytes += size
    return result
