"""The tamper-evident operations log: who did what, when, with which hashes and counts.

One JSON object per line in ``<home>/ledger/oplog.jsonl`` (docs/ledger.md §4). Entry
``seq`` carries ``prev``, the RFC 6962 Merkle tree hash of entries ``0 … seq-1``, so
every entry is chained to the whole history before it, and the log as a whole is a
Merkle tree whose signed checkpoints (secxfer.ledger.checkpoint) can be carried up
on media and compared; secxfer.ledger.logcheck checks the log against them. A log
that no longer matches its checkpoints is restarted only explicitly: the first entry
of the new epoch (``log-restarted``) names what it abandons. Entries hold no personal data — an operator name, ids,
periods, hashes, counts — never a row, a name from a row or an address.

Appends are crash-safe: one ``write`` of a complete line under an exclusive lock,
then fsync. A crash can leave at most a torn last line; the next append moves those
bytes to a side file ``oplog.torn-<seq>-<hash>``, records that in a ``log-recovered``
entry and carries on, so nothing is silently dropped; ``verify_log`` reports a torn
line it finds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from secxfer.errors import SecxferError, UsageError
from secxfer.fsutil import atomic_write, binary, exclusive_lock, fsync_dir
from secxfer.ledger.store import LedgerHome
from secxfer.ledger.tlog import Frontier, entry_hash
from secxfer.models import Model
from secxfer.trust.codec import decode_strict, encode
from secxfer.trust.directory.entries import AwareDatetime

OPERATIONS = frozenset({
    "key-generated", "directory-imported", "sealed", "relayed", "opened", "seal-failed", "relay-failed",
    "open-failed", "report-written", "receipt-made", "receipt-sent", "receipts-collected", "receipts-forwarded",
    "output-deleted", "log-recovered", "log-restarted", "checkpoint-exported",
    "output-written", "purge-started", "staging-removed",  # purge's record (secxfer.ledger.outputs)
})
RESTART_OP = "log-restarted"
OPERATOR_ENV = "SECXFER_OPERATOR"
ENTRY_MAX_BYTES = 16 * 1024
FACTS_MAX = 32
_OPERATOR = re.compile(r"[^\x00-\x1f\x7f]{1,64}")
_FACT_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")

Fact = str | int | bool | list[int]


class LogEntry(Model, kw_only=True):
    seq: int
    prev: bytes  # Merkle tree hash of entries 0 … seq-1
    at: AwareDatetime
    who: str  # operator name
    op: str
    facts: dict[str, Fact] = {}


_decoder = msgspec.json.Decoder(LogEntry)


def resolve_operator(explicit: str | None, participant_id: str) -> str:
    """--operator, else $SECXFER_OPERATOR, else the participant id; checked for shape."""
    name = explicit or os.environ.get(OPERATOR_ENV) or participant_id
    if not _OPERATOR.fullmatch(name) or name != name.strip():
        raise UsageError(
            f"operator name {name!r} is not 1-64 printable characters",
            hint=f"give an operator name or set {OPERATOR_ENV}",
            facts={"advice": "operator", "variable": OPERATOR_ENV},
        )
    return name


def _check_facts(facts: Mapping[str, Fact]) -> dict[str, Fact]:
    if len(facts) > FACTS_MAX:
        raise UsageError(f"a log entry takes at most {FACTS_MAX} facts")
    for key, value in facts.items():
        if not _FACT_KEY.fullmatch(key):
            raise UsageError(f"log fact name {key!r} is not valid")
        if isinstance(value, tuple):
            raise UsageError(f"log fact {key!r}: use a list, not a tuple")
    return {k: facts[k] for k in sorted(facts)}


def _locked(ledger: LedgerHome) -> contextlib.AbstractContextManager[None]:
    ledger.ensure()
    return exclusive_lock(ledger.root / ".oplog.lock")


def _split(data: bytes) -> tuple[list[bytes], bytes]:
    """Complete lines and the torn tail after the last newline (empty if none)."""
    cut = data.rfind(b"\n") + 1
    lines = data[:cut].split(b"\n")[:-1] if cut else []
    return lines, data[cut:]


def append(home: Path, *, op: str, who: str, facts: Mapping[str, Fact] | None = None,
           now: dt.datetime | None = None) -> LogEntry:
    """Append one entry (fsynced before returning); recover a torn last line first."""
    return append_many(home, [(op, facts or {})], who=who, now=now)[-1]


def append_many(home: Path, operations: Sequence[tuple[str, Mapping[str, Fact]]], *, who: str,
                now: dt.datetime | None = None) -> list[LogEntry]:
    """Append the entries of one operation together: one locked write, one fsync.

    Each entry still chains to the one before it; a crash leaves at most a torn tail.
    """
    checked = []
    for op, facts in operations:
        if op not in OPERATIONS:
            raise UsageError(f"unknown log operation {op!r}")
        checked.append((op, _check_facts(facts)))
    resolve_operator(who, who)
    now = now or dt.datetime.now(dt.timezone.utc)
    ledger = LedgerHome(home)
    with _locked(ledger):
        data = ledger.log_path.read_bytes() if ledger.log_path.exists() else b""
        lines, torn = _split(data)
        if torn:
            lines.append(_recover(ledger, lines, torn, len(data), who, now))
        return _write(ledger, lines, checked, who, now)


def _write(ledger: LedgerHome, lines: list[bytes], operations: list[tuple[str, dict]], who: str,
           now: dt.datetime) -> list[LogEntry]:
    frontier = Frontier()
    for existing in lines:
        frontier.add(entry_hash(existing))
    entries, new = [], []
    for op, facts in operations:
        entry = LogEntry(seq=frontier.size, prev=frontier.root(), at=now, who=who, op=op, facts=facts)
        line = encode(entry)
        if len(line) > ENTRY_MAX_BYTES:
            raise UsageError(f"log entry for {op!r} is too large")
        frontier.add(entry_hash(line))
        entries.append(entry)
        new.append(line)
    fd = os.open(ledger.log_path, binary(os.O_WRONLY | os.O_CREAT | os.O_APPEND), 0o600)
    try:
        os.write(fd, b"".join(x + b"\n" for x in new))
        os.fsync(fd)
    finally:
        os.close(fd)
    lines.extend(new)
    return entries


def _recover(ledger: LedgerHome, lines: list[bytes], torn: bytes, length: int, who: str, now: dt.datetime) -> bytes:
    """Keep a torn tail in a side file, cut it from the log, and log that we did."""
    digest = hashlib.sha256(torn).hexdigest()
    side = ledger.root / f"oplog.torn-{len(lines)}-{digest[:16]}"
    if not side.exists():
        atomic_write(side, torn)
    fd = os.open(ledger.log_path, binary(os.O_WRONLY))
    try:
        os.ftruncate(fd, length - len(torn))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(ledger.root)
    facts = {"kept_as": side.name, "torn_bytes": len(torn), "torn_sha256": digest}
    _write(ledger, lines, [("log-recovered", facts)], who, now)
    return lines.pop()


@dataclass
class LogCheck:
    """Outcome of :func:`verify_log`: the entries that hold and every problem found."""

    entries: int = 0
    root: bytes = b""
    problems: list[str] = field(default_factory=list)
    leaf_hashes: list[bytes] = field(default_factory=list)
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def read_entries(home: Path) -> tuple[list[bytes], bytes]:
    """The log's complete lines and its torn tail (nothing verified)."""
    path = LedgerHome(home).log_path
    return _split(path.read_bytes() if path.exists() else b"")


def first_entry(lines: list[bytes]) -> LogEntry | None:
    """Entry 0 of the log if it decodes (nothing else verified)."""
    if not lines:
        return None
    try:
        return decode_strict(lines[0], _decoder, what="log entry 0", max_bytes=ENTRY_MAX_BYTES)
    except SecxferError:
        return None


def decode_entry(line: bytes, what: str = "log entry") -> LogEntry:
    """One log line decoded strictly (FormatError if it is not an entry)."""
    return decode_strict(line, _decoder, what=what, max_bytes=ENTRY_MAX_BYTES)


def epoch_of(lines: list[bytes]) -> int:
    """The log's epoch: 1, or the number its first entry gives when the log was restarted."""
    first = first_entry(lines)
    if first is not None and first.op == RESTART_OP and isinstance(first.facts.get("epoch"), int):
        return int(first.facts["epoch"])
    return 1


def check_lines(lines: list[bytes], torn: bytes = b"") -> LogCheck:
    """Check sequence numbers and hash links of log lines; report the first break precisely.

    An edited entry k breaks the link in entry k+1; a removed or reordered entry breaks
    the sequence; a torn tail is reported with its length. Checking stops at the
    first broken link, since nothing after it can be trusted to be the same history.
    """
    check = LogCheck()
    hashes: list[bytes] = []
    frontier = Frontier()  # the tree hash before each entry in O(log n), not a tree per entry
    for number, line in enumerate(lines):
        try:
            entry = decode_strict(line, _decoder, what=f"log entry {number}", max_bytes=ENTRY_MAX_BYTES)
        except SecxferError as error:
            check.problems.append(f"entry {number} (line {number + 1}) is damaged or edited: {error}")
            break
        if entry.seq != number:
            check.problems.append(
                f"line {number + 1} holds entry {entry.seq}, expected {number}: entries were removed or reordered"
            )
            break
        if entry.prev != frontier.root():
            what = f"entry {number - 1} was edited or replaced" if number else "the first entry is not a first entry"
            check.problems.append(f"entry {number} does not continue the log before it: {what}")
            break
        hashes.append(entry_hash(line))
        frontier.add(hashes[-1])
    check.entries = len(hashes)
    check.leaf_hashes = hashes
    check.root = frontier.root()
    if torn:
        check.problems.append(
            f"torn last line after entry {len(lines) - 1}: {len(torn)} bytes without a newline "
            "(a crash during an append; the next append keeps them aside and records it)"
        )
    return check


def record(home: Path | None, op: str, *, facts: Mapping[str, Fact], participant: str | None = None,
           operator: str | None = None) -> LogEntry:
    """Log one operation done outside the chain (key generated, directory imported).

    ``home`` None means the default home. The operator falls back to the participant
    (given, or the one the home acts for), else ``unknown``.
    """
    from secxfer.chain.home import default_home

    where = Path(home) if home is not None else default_home()
    who = resolve_operator(operator, participant or LedgerHome(where).participant() or "unknown")
    return append(where, op=op, who=who, facts=facts)
