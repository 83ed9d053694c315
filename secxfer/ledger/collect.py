"""Collect receipts and aggregates from a return medium into the home's evidence.

Every file is decrypted with the collector's key, every document in it verified
against the key directory before it is kept: a receipt must be signed by the issuer
it names and addressed to the collector; an aggregate must come from directly below
and may only carry documents by its forwarder or by participants below the
forwarder. Whatever fails is rejected by name and reason and never stored; whatever
verifies is stored once (content-addressed), so collecting twice changes nothing.
The checkpoints children carried up beside their receipts are checked against those
held for them (secxfer.ledger.forks): the result names forks and unproven ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.errors import FormatError, SecxferError, SignatureError
from secxfer.ledger.aggregate import Aggregate, is_below, verify_aggregate
from secxfer.ledger.errors import warn
from secxfer.ledger.forks import Findings, check_carried
from secxfer.ledger.evidence import AGGREGATE_KIND, RECEIPT_KIND, REPORT_KIND, Verified, kind_of, trusted_directory
from secxfer.ledger.receipts import verify_receipt
from secxfer.ledger.reports import verify_report
from secxfer.ledger.returns import find_returns, open_sealed
from secxfer.ledger.store import LedgerHome

if TYPE_CHECKING:
    from secxfer.trust import Directory, ParticipantSecret


@dataclass
class CollectResult:
    files: int = 0
    stored: int = 0
    already: int = 0
    periods: set[str] = field(default_factory=set)
    rejected: list[str] = field(default_factory=list)
    checkpoints: Findings = field(default_factory=Findings)

    def raise_if_refused(self) -> None:
        """Raise LogForkError (exit 3) if a carried checkpoint shows a log with two histories,
        else IntegrityError (exit 3) if any receipt, aggregate or checkpoint file was refused."""
        found = self.checkpoints
        if found.forks:
            from secxfer.ledger.errors import LogForkError

            raise LogForkError(f"{len(found.forks)} checkpoint(s) carried up show a log with two histories: "
                               f"{found.forks[0]}")
        if self.rejected or found.rejected:
            from secxfer.errors import IntegrityError

            files = f" and {len(found.rejected)} checkpoint file(s)" if found.rejected else ""
            raise IntegrityError(f"{len(self.rejected)} receipt(s) or aggregate(s){files} refused",
                                 hint="report them to the sender; the rest was kept")


def verify_item(raw: bytes, directory: Directory, *, now: dt.datetime, held: bool = False) -> Verified:
    """Verify a receipt or hop report by its kind (anything else is refused) at ``now``.

    ``held``: read back from this home's own ledger (see evidence.verify_signed)."""
    kind = kind_of(raw)
    if kind == RECEIPT_KIND:
        return verify_receipt(raw, directory, now=now, held=held)
    if kind == REPORT_KIND:
        return verify_report(raw, directory, now=now, held=held)
    raise FormatError(f"a {kind!r} document is neither a receipt nor a hop report")


def _period(verified: Verified) -> str:
    return verified.document.period  # type: ignore[attr-defined]


def _keep(pending: dict[str, list[Verified]], verified: Verified) -> None:
    pending.setdefault(_period(verified), []).append(verified)


def collect(path: Path, *, key: ParticipantSecret, home: Path, operator: str | None = None,
            now: dt.datetime | None = None,
            notify: Callable[[str], None] | None = None) -> CollectResult:
    """Read every return file addressed to ``key``'s participant under ``path``.

    Logged (``receipts-collected``) and checkpointed; rejections are listed in the
    result, never stored. Refused before anything is read (exit 3) if this home's own
    log no longer matches its checkpoints.
    """
    from secxfer.ledger import oplog
    from secxfer.ledger.logcheck import checkpoint_after, require_honest

    now = now or dt.datetime.now(dt.timezone.utc)
    me = key.participant_id
    who = oplog.resolve_operator(operator, me)
    if not Path(path).is_dir():
        from secxfer.errors import NotFoundError

        raise NotFoundError(f"no return medium at {str(path)!r}", facts={"wording": "no-return-medium", "path": str(path)})
    LedgerHome(home).bind(me)
    require_honest(home)
    directory = trusted_directory(home, now)
    ledger = LedgerHome(home)
    result = CollectResult()
    pending: dict[str, list[Verified]] = {}
    for file in find_returns(path, me):
        result.files += 1
        try:
            raw = open_sealed(file, key)
            kind = kind_of(raw)
            if kind == AGGREGATE_KIND:
                _take_aggregate(raw, file, directory, me, pending, result, now)
                continue
            verified = verify_item(raw, directory, now=now)
            if verified.kind != RECEIPT_KIND or verified.document.sender != me:  # type: ignore[attr-defined]
                raise SignatureError("a single file on a return medium must be a receipt addressed to you")
            _keep(pending, verified)
        except SecxferError as error:
            result.rejected.append(f"{file.parent.parent.name}/{file.name}: {error}")
    for period, documents in sorted(pending.items()):
        new = ledger.keep(documents, period)
        result.stored += new
        result.already += len(documents) - new
        if new:
            result.periods.add(period)
    result.checkpoints = check_carried(path, me=me, home=home, directory=directory, now=now)
    oplog.append(home, op="receipts-collected", who=who, now=now, facts={
        "files": result.files, "stored": result.stored, "already": result.already, "rejected": len(result.rejected),
        "periods": ",".join(sorted(result.periods)), **result.checkpoints.facts()})
    checkpoint_after(home, key, notify or warn)
    return result


def _take_aggregate(raw: bytes, file: Path, directory: Directory, me: str, pending: dict[str, list[Verified]],
                    result: CollectResult, now: dt.datetime) -> None:
    aggregate = verify_aggregate(raw, directory, me=me, now=now).document
    assert isinstance(aggregate, Aggregate)
    for number, item in enumerate(aggregate.items):
        where = f"{file.name} item {number}"
        try:
            verified = verify_item(item, directory, now=now)
            if verified.signer != aggregate.forwarder and not is_below(verified.signer, aggregate.forwarder):
                raise SignatureError(f"{verified.signer!r} is not below {aggregate.forwarder!r}, who forwarded it")
            if _period(verified) != aggregate.period:
                raise FormatError(f"it is for {_period(verified)}, the aggregate for {aggregate.period}")
            _keep(pending, verified)
        except SecxferError as error:
            result.rejected.append(f"{where} (from {aggregate.forwarder}): {error}")
