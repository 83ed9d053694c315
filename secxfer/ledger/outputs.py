"""What this home wrote that ``purge`` may remove: recorded in the operations log.

Every file that purge may later delete is logged when it is written, one
``output-written`` entry per file, among the entries of the operation that wrote it:
period, delivery (package id), kind (``package``: an encrypted copy and its ``.sig``
kept by a sender; ``opened``: an annex CSV a municipality opened), the folder (its
real path, resolved when written), the file name, its SHA-256 and size. The
operation then signs a checkpoint of the whole log, so these entries are covered by
the participant's signature: an entry added or edited afterwards breaks the log or
lies beyond every signed checkpoint, and purge refuses to act on it.

Purge itself logs ``purge-started`` (the entries it is about to act on) before it
deletes anything and ``output-deleted`` (the entries done, per folder) after, so a
crash in between leaves a record the next run completes. Entries are identified by
their sequence number, so a folder reused every month is a new set of entries every
month.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from secxfer.ledger import oplog
from secxfer.ledger.errors import PurgeRecordsError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from secxfer.chain.open import OpenResult
    from secxfer.chain.package import WrittenPackage
    from secxfer.ledger.logcheck import Labelled
    from secxfer.trust import Directory

WRITTEN, STARTED, DELETED, STAGING_REMOVED = "output-written", "purge-started", "output-deleted", "staging-removed"


@dataclass(frozen=True)
class Written:
    """One file this home wrote, as its ``output-written`` entry records it."""

    seq: int
    period: str
    package_id: str
    kind: str  # "package" or "opened"
    folder: str
    name: str
    sha256: bytes
    size: int
    recipient: str = ""  # packages: whom it was sent to
    package_sha256: str = ""  # packages: the .age file's SHA-256 (what the receipt names)

    @property
    def path(self) -> Path:
        return Path(self.folder) / self.name


@dataclass
class Outputs:
    """The verified log's view of outputs: what was written, started and done."""

    written: list[Written] = field(default_factory=list)
    started: set[int] = field(default_factory=set)
    done: set[int] = field(default_factory=set)
    receipts_sent: set[str] = field(default_factory=set)


def _facts(
    *, period: str, package_id: str, kind: str, path: Path, sha256: bytes, size: int, **extra: str | int
) -> dict:
    folder = os.path.realpath(Path(path).parent)  # purge later follows no link: resolve them now
    return {"period": period, "package_id": package_id, "kind": kind, "folder": folder, "name": Path(path).name,
            "sha256": sha256.hex(), "bytes": size, **extra}


def kept_package_facts(written: WrittenPackage, period: str) -> list[dict]:
    """``output-written`` facts for a package a sender keeps (the .age and its .sig)."""
    from secxfer.chain import media

    common = dict(period=period, package_id=written.package_id, kind="package", recipient=written.recipient,
                  package_sha256=written.sha256.hex())
    entries = [_facts(path=written.path, sha256=written.sha256, size=written.size, **common)]
    sig = Path(str(written.path) + media.SIDECAR_SUFFIX)
    if sig.is_file() and not sig.is_symlink():
        import hashlib

        data = media.read_medium_file(sig, "outer signature", media.OUTER_MAX_BYTES)
        entries.append(_facts(path=sig, sha256=hashlib.sha256(data).digest(), size=len(data), **common))
    return entries


def opened_facts(result: OpenResult, period: str, package_id: str) -> list[dict]:
    """``output-written`` facts for the annexes an open wrote (hashes taken as written)."""
    return [_facts(period=period, package_id=package_id, kind="opened", path=path, sha256=digest,
                   size=os.stat(path, follow_symlinks=False).st_size)
            for path, digest in zip(result.files, result.sha256, strict=True)]


def _covered(checkpoints: Iterable[Labelled], me: str) -> int:
    """Entries covered by this home's signed checkpoints (already verified against the log)."""
    from secxfer.ledger.checkpoint import origin_of

    return max((c.size for _, c in checkpoints if c.origin == origin_of(me)), default=0)


def _written(seq: int, facts: dict) -> Written:
    try:
        return Written(
            seq=seq, period=str(facts["period"]), package_id=str(facts["package_id"]), kind=str(facts["kind"]),
            folder=str(facts["folder"]), name=str(facts["name"]), sha256=bytes.fromhex(str(facts["sha256"])),
            size=int(facts["bytes"]), recipient=str(facts.get("recipient", "")),
            package_sha256=str(facts.get("package_sha256", "")),
        )
    except (KeyError, ValueError, TypeError) as error:
        raise PurgeRecordsError(f"log entry {seq} records an output in a form secxfer does not write ({error})") from None


def read_outputs(home: Path, me: str, directory: Directory) -> Outputs:
    """The outputs the verified operations log records; PurgeRecordsError (exit 3) if the
    log does not verify or an ``output-written`` entry lies beyond every signed checkpoint."""
    from secxfer.ledger.logcheck import kept, mismatches

    lines, _torn = oplog.read_entries(home)  # a torn tail is a crash, recovered by the next append
    check = oplog.check_lines(lines)
    checkpoints, problems = kept(home, directory=directory)  # each signature verified
    problems = check.problems + problems + mismatches(check, checkpoints)
    if problems:
        raise PurgeRecordsError(f"the operations log does not verify: {'; '.join(problems)}")
    covered = _covered(checkpoints, me)
    outputs = Outputs()
    for seq, line in enumerate(lines):
        entry = msgspec.json.decode(line, type=oplog.LogEntry)
        if entry.op == WRITTEN:
            if seq >= covered:
                raise PurgeRecordsError(
                    f"log entry {seq} records a file to delete, but no checkpoint signed by {me} covers it "
                    f"(signed checkpoints cover entries 0…{covered - 1}): it was not recorded by secxfer here",
                    hint="if the last seal, relay or open here was interrupted, sign a checkpoint of the log "
                         "and purge again; otherwise keep the log as it is and report the incident",
                    facts={"advice": "checkpoint-then-purge"},
                )
            outputs.written.append(_written(seq, dict(entry.facts)))
        elif entry.op in (STARTED, DELETED):
            numbers = entry.facts.get("entries", [])
            if isinstance(numbers, list):
                (outputs.started if entry.op == STARTED else outputs.done).update(numbers)
        elif entry.op == "receipt-sent":
            outputs.receipts_sent.add(str(entry.facts.get("receipt_sha256")))
    return outputs
