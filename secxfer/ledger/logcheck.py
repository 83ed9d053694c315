"""The operations log checked against every checkpoint signed over it (docs/ledger.md §7).

A checkpoint vouches for the first ``size`` entries of the log. The log is honest
when its chain holds and, for every checkpoint kept (and every one of its own found
on a medium), the log is at least that long and its tree hash at that size is the
checkpoint's — consistency from each one to the current tree. Only then is a new
checkpoint signed or one carried up: a log that was rewritten, cut off or restored
from an older backup gets no checkpoint until an explicit, logged recovery
(secxfer.ledger.recovery) starts a new epoch.

This module sits above both ``oplog`` (entries) and ``checkpoint`` (the note and
proof formats), which know nothing of each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.errors import FormatError, SecxferError, UsageError
from secxfer.fsutil import read_bounded
from secxfer.ledger import oplog
from secxfer.ledger.checkpoint import (
    CHECKPOINT_MAX_BYTES,
    PROOF_MAX_BYTES,
    Checkpoint,
    compare,
    encode_proof,
    kept_checkpoints,
    parse_checkpoint,
    verify_checkpoint,
    write_checkpoint,
)
from secxfer.ledger.errors import LogRewrittenError, LogTamperedError
from secxfer.ledger.store import LedgerHome
from secxfer.ledger.tlog import consistency_proof, prefix_roots

if TYPE_CHECKING:
    from secxfer.trust import Directory, ParticipantSecret

Labelled = tuple[str, Checkpoint]


def _short(root: bytes) -> str:
    return root.hex()[:16]


class Problem(str):
    """One problem line, with its particulars as facts so a front end can word it in its language."""

    facts: dict[str, str]


def _problem(text: str, **facts: object) -> Problem:
    problem = Problem(text)
    problem.facts = {key: str(value) for key, value in facts.items()}
    return problem


def mismatches(check: oplog.LogCheck, checkpoints: Iterable[Labelled]) -> list[str]:
    """What each checkpoint says that the verified log does not (one line each, naming it; newest first)."""
    checkpoints = sorted(checkpoints, key=lambda item: -item[1].size)
    roots = prefix_roots(check.leaf_hashes, {c.size for _, c in checkpoints})
    problems = []
    for label, checkpoint in checkpoints:
        facts = {"checkpoint": label.split(" ")[1], "root": _short(checkpoint.root), "size": checkpoint.size,
                 "entries": check.entries}
        if checkpoint.size > check.entries:
            problems.append(_problem(
                f"{label} (root {_short(checkpoint.root)}…) covers {checkpoint.size} entries but only "
                f"{check.entries} verify: entries {check.entries}…{checkpoint.size - 1} were removed or cut off "
                "(a truncated log, or a home restored from an older backup)", wording="cut-off", **facts))
        elif roots[checkpoint.size] != checkpoint.root:
            problems.append(_problem(
                f"{label} (root {_short(checkpoint.root)}…) signed a different history of the first "
                f"{checkpoint.size} entries: the log was rewritten", wording="rewritten", **facts))
    return problems


def kept(
    home: Path, *, directory: Directory | None = None, now: dt.datetime | None = None
) -> tuple[list[Labelled], list[str]]:
    """The checkpoints kept in the home (verified when a directory is given) and the files that fail.

    Kept checkpoints are this home's own record, so they are held (secxfer.trust.validity):
    a later compromise of the key leaves them standing."""
    found, problems = [], []
    now = now or dt.datetime.now(dt.timezone.utc)
    for path in kept_checkpoints(home):
        try:
            data = read_bounded(path, CHECKPOINT_MAX_BYTES, "checkpoint")
            checkpoint = (verify_checkpoint(data, directory, now=now, held=True) if directory is not None
                          else parse_checkpoint(data))
        except SecxferError as error:
            problems.append(f"checkpoint {path.name}: {error}")
            continue
        found.append((f"checkpoint {path.name}", checkpoint))
    return found, problems


def verify_log(home: Path, *, directory: Directory | None = None, now: dt.datetime | None = None) -> oplog.LogCheck:
    """Verify the log's chain and every checkpoint kept in the home against it.

    With a ``directory``, each checkpoint's signature is verified too. A torn last
    line is reported (the next append keeps it aside).
    """
    lines, torn = oplog.read_entries(home)
    check = oplog.check_lines(lines, torn)
    checkpoints, problems = kept(home, directory=directory, now=now)
    check.checkpoints = len(checkpoints) + len(problems)
    check.problems += problems + mismatches(check, checkpoints)
    return check


def require_log(home: Path) -> oplog.LogCheck:
    """The raising form of :func:`verify_log` (``secxfer log verify``): exit 3 naming every problem.

    Checkpoint signatures are verified when the home trusts a key directory.
    """
    from secxfer.ledger.evidence import trusted_directory

    if not LedgerHome(home).log_path.exists():
        raise UsageError(f"no operations log in {str(home)!r}", hint="check the home folder",
                         facts={"advice": "check-home", "home": str(home)})
    now = dt.datetime.now(dt.timezone.utc)
    try:
        directory = trusted_directory(home, now)
    except SecxferError:
        directory = None
    check = verify_log(home, directory=directory, now=now)
    if not check.ok:
        raise LogTamperedError(f"the operations log does not verify: {'; '.join(check.problems)}")
    return check


def honest_problems(home: Path, extra: Iterable[Labelled] = ()) -> tuple[oplog.LogCheck, list[str]]:
    """The log checked for signing: its chain and every kept (and ``extra``) checkpoint.

    A torn last line is no problem here: the next append keeps it aside and logs that.
    """
    lines, _torn = oplog.read_entries(home)
    check = oplog.check_lines(lines)
    checkpoints, problems = kept(home)
    problems = [f"the log's chain is broken: {p}" for p in check.problems] + problems
    problems += mismatches(check, [*checkpoints, *extra])
    return check, problems


def require_honest(home: Path, extra: Iterable[Labelled] = ()) -> oplog.LogCheck:
    """The log as it may be signed, or LogRewrittenError (exit 3) naming the first checkpoint it
    no longer matches. Seal, relay, open, collect, forward and ``log checkpoint`` call this
    before doing anything."""
    check, problems = honest_problems(home, extra)
    if problems:
        more = f" (and {len(problems) - 1} more: verifying the log lists them)" if len(problems) > 1 else ""
        first = problems[0]
        facts = getattr(first, "facts", None) or {"wording": "broken", "problem": str(first)}
        raise LogRewrittenError(
            f"the operations log in {str(home)!r} no longer matches what was signed over it, so nothing is "
            f"signed or carried up: {first}{more}",
            facts={**facts, "home": str(home), "more": str(len(problems) - 1)},
        )
    return check


def checkpoint_log(home: Path, key: ParticipantSecret) -> Path:
    """Sign a checkpoint of the whole log after :func:`require_honest`; return its path."""
    check = require_honest(home)
    return write_checkpoint(home, key, check.entries, check.root)


def checkpoint_after(home: Path, key: ParticipantSecret, notify: Callable[[str], None]) -> None:
    """The checkpoint that ends an operation; if the log broke meanwhile, say so and sign nothing."""
    try:
        checkpoint_log(home, key)
    except LogTamperedError as error:
        from secxfer.notices import Notice

        notify(Notice(str(error), wording="checkpoint-withheld", values={"error": type(error).__name__}))


def compare_files(first: Path, second: Path, *, directory: Directory, now: dt.datetime, proof: Path | None = None,
                  home: Path | None = None) -> str:
    """Verify two checkpoint files and compare them (``secxfer log compare``).

    Without ``proof``, a home whose own log has their origin proves consistency itself.
    A checkpoint whose exact bytes this home kept itself is held (accepted here before
    any revocation); any other by a revoked key is refused (secxfer.trust.validity), so
    a stolen key cannot frame its former holder with a forged fork.
    """
    from secxfer.ledger.checkpoint import origin_of

    own = {path.read_bytes() for path in kept_checkpoints(home)} if home is not None else set()
    data_a = read_bounded(first, CHECKPOINT_MAX_BYTES, "checkpoint")
    data_b = read_bounded(second, CHECKPOINT_MAX_BYTES, "checkpoint")
    a = verify_checkpoint(data_a, directory, now=now, held=data_a in own)
    b = verify_checkpoint(data_b, directory, now=now, held=data_b in own)
    proof_bytes = read_bounded(proof, PROOF_MAX_BYTES, "consistency proof") if proof is not None else None
    if proof_bytes is None and home is not None and a.size != b.size and a.origin == b.origin:
        ledger = LedgerHome(home)
        if ledger.participant() is not None and origin_of(ledger.participant()) == a.origin:
            check = oplog.check_lines(oplog.read_entries(home)[0])
            old, new = sorted((a, b), key=lambda c: c.size)
            if new.size <= check.entries:
                hashes = consistency_proof(check.leaf_hashes[: new.size], old.size)
                proof_bytes = encode_proof(a.origin, old.size, new.size, hashes)
    return compare(a, b, proof_bytes)


def read_own_checkpoint(
    path: Path, origin: str, directory: Directory | None = None, *, now: dt.datetime | None = None) -> Checkpoint:
    """A checkpoint file that must be of ``origin`` (verified when a directory is given;
    this home's own, so held) and is then held against this home's own log."""
    data = read_bounded(path, CHECKPOINT_MAX_BYTES, "checkpoint")
    checkpoint = (verify_checkpoint(data, directory, now=now or dt.datetime.now(dt.timezone.utc), held=True)
                  if directory is not None else parse_checkpoint(data))
    if checkpoint.origin != origin:
        raise FormatError(f"{str(path)!r} is a checkpoint of {checkpoint.origin}, not of this log ({origin})")
    return checkpoint
