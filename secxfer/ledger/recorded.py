"""Seal, relay and open with their paper trail: reports, receipts, log entries, checkpoints.

These are what the public ``secxfer.seal``, ``secxfer.relay`` and
``secxfer.open_package`` call (and the demo). Each runs the chain's function without the
trail (``seal_without_trail``, ``relay_without_trail``, ``open_without_trail``: internal,
with knobs such as ``check_replay`` no caller outside may turn) and then, around it:

* seal — signs the agency's hop report; logs ``sealed`` and ``report-written``;
* relay — signs a hop report and an ``accepted`` receipt for the package received;
  logs ``relayed``, ``report-written``, ``receipt-made``;
* open — signs an ``accepted`` receipt naming the leaf the rows were verified against;
  logs ``opened`` and ``receipt-made``;
* a relay or open that fails authentication signs a receipt whose disposition names
  the failure (``replayed``, ``not-for-us``, …), logs ``…-failed``, and re-raises.

Every file purge may later remove is logged as ``output-written`` with its hash
(secxfer.ledger.outputs), and relay and open first sweep plaintext staging folders an
interrupted open left in this home (secxfer.chain.staging). Reports and receipts are
kept in the home's evidence; with ``receipts_out`` the
receipt is also sealed to the sender onto that return medium (``receipt-sent``).
Every call first checks the operations log against every checkpoint kept
(secxfer.ledger.logcheck): a log that was rewritten, cut off or restored from a backup
refuses the operation before anything is done (LogRewrittenError, exit 3) until an
explicit ``secxfer log recover``. Every call ends with a signed checkpoint of the log;
should the log break meanwhile, ``notify`` is told and nothing is signed over it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from secxfer.errors import IntegrityError, ReplayError, SecxferError
from secxfer.ledger import oplog
from secxfer.ledger.errors import warn
from secxfer.ledger.evidence import RECEIPT_KIND, REPORT_KIND, sign_model
from secxfer.ledger.outputs import STAGING_REMOVED, WRITTEN, kept_package_facts, opened_facts
from secxfer.ledger.receipts import (
    PackageFacts,
    Receipt,
    accepted_receipt,
    disposition_for,
    failure_receipt,
    package_facts,
)
from secxfer.ledger.reports import HopReport, relay_report, seal_report
from secxfer.ledger.store import LedgerHome
from secxfer.notices import Notice

if TYPE_CHECKING:
    from secxfer.chain.open import OpenResult
    from secxfer.chain.relay import RelayResult
    from secxfer.chain.seal import SealResult
    from secxfer.trust import Directory, ParticipantSecret

Notify = Callable[[str], None]


class _Trail:
    """The ledger side of one operation by one participant."""

    def __init__(
        self, *, key: ParticipantSecret, home: Path, operator: str | None, now: dt.datetime | None,
        notify: Notify | None,
    ) -> None:
        self.key = key
        self.me = key.participant_id
        self.home = Path(home)
        self.now = now or dt.datetime.now(dt.timezone.utc)
        self.who = oplog.resolve_operator(operator, self.me)
        self.notify = notify or warn
        self.ledger = LedgerHome(home)
        self.ledger.bind(self.me)
        from secxfer.ledger.logcheck import require_honest

        require_honest(self.home)
        self._directory: Directory | None = None
        self._entries: list[tuple[str, dict[str, oplog.Fact]]] = []

    def log(self, op: str, **facts: oplog.Fact) -> None:
        """Queue a log entry; :meth:`checkpoint` writes the operation's entries together."""
        self._entries.append((op, facts))

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        """Whatever happens in the block, the entries queued so far are written."""
        try:
            yield
        finally:
            self.flush()

    def flush(self) -> None:
        if self._entries:
            entries, self._entries = self._entries, []
            oplog.append_many(self.home, entries, who=self.who, now=self.now)

    def outputs(self, facts: list[dict]) -> None:
        """Queue one ``output-written`` entry per file purge may later remove (secxfer.ledger.outputs)."""
        for one in facts:
            self.log(WRITTEN, **one)

    def sweep_staging(self) -> None:
        """Remove plaintext staging folders interrupted opens in this home left; say so and log it."""
        from secxfer.chain.staging import sweep

        swept = sweep(self.home)
        for one in swept:
            kept = f"; kept {', '.join(one.kept)}" if one.kept else ""
            self.notify(Notice(f"removed {one.files} plaintext file(s) an interrupted open left in {one.folder}{kept}",
                               wording="staging-removed-kept" if one.kept else "staging-removed",
                               values={"files": one.files, "folder": one.folder, "kept": ", ".join(one.kept)}))
            self.log(STAGING_REMOVED, folder=one.folder, files=one.files, kept=len(one.kept))
        if swept:
            self.flush()

    def keep(self, kind: str, document: HopReport | Receipt) -> tuple[str, bytes]:
        """Sign, verify against the directory, store; return the SHA-256 (hex) and the signed bytes."""
        from secxfer.ledger.collect import verify_item

        raw = sign_model(kind, document, self.key)
        verified = verify_item(raw, self.directory(), now=self.now)
        self.ledger.keep([verified], document.period)
        return verified.sha256.hex(), raw

    def directory(self) -> Directory:
        """The directory trusted in this home now (read once per operation)."""
        if self._directory is None:
            from secxfer.ledger.evidence import trusted_directory

            self._directory = trusted_directory(self.home, self.now)
        return self._directory

    def receipt(self, receipt: Receipt, receipts_out: Path | None) -> None:
        digest, raw = self.keep(RECEIPT_KIND, receipt)
        self.log("receipt-made", period=receipt.period, package_id=receipt.package_id, receipt_sha256=digest,
                 disposition=receipt.disposition, to=receipt.sender)
        if receipts_out is not None:
            from secxfer.ledger.returns import write_sealed

            path = write_sealed(
                receipts_out, kind=RECEIPT_KIND, signed=raw, author=self.me, recipient=receipt.sender,
                period=receipt.period, rehearsal=receipt.rehearsal, directory=self.directory(), now=self.now,
            )
            self.log("receipt-sent", period=receipt.period, receipt_sha256=digest, file=path.name, to=receipt.sender)

    def failed(self, action: str, package: Path, error: IntegrityError, facts: PackageFacts | None,
               receipts_out: Path | None) -> None:
        """Log a failed relay/open and make the receipt saying so; never mask ``error``."""
        try:
            self.log(f"{action}-failed", file=Path(package).name, disposition=disposition_for(error))
            if facts is not None:
                receipt = msgspec.structs.replace(
                    accepted_receipt(facts, issuer=self.me, action=action, now=self.now),
                    disposition=disposition_for(error), detail=str(error)[:300], leaves=(),
                )
            else:
                receipt = failure_receipt(package, error, issuer=self.me, action=action,
                                          directory=self.directory(), now=self.now)
                if receipt is not None and getattr(error, "origin_package_id", None):
                    # a refused replay names the delivery it repeats, so reconciliation can match it
                    receipt = msgspec.structs.replace(receipt, origin_package_id=error.origin_package_id,
                                                      delivery_id=error.delivery_id)
            if receipt is None:
                self.notify(Notice(f"no receipt for {Path(package).name!r}: its sender cannot be told from the file",
                                   wording="no-receipt-sender-unknown", values={"file": Path(package).name}))
            else:
                self.receipt(receipt, receipts_out)
            self.checkpoint()
        except (SecxferError, OSError) as secondary:
            self.notify(Notice(f"the failure was not fully recorded: {secondary}",
                               wording="failure-not-recorded", values={"reason": secondary}))
            with contextlib.suppress(SecxferError, OSError):
                self.flush()

    def checkpoint(self) -> None:
        """Write the queued log entries, then sign a checkpoint of the whole log."""
        from secxfer.ledger.logcheck import checkpoint_after

        self.flush()
        checkpoint_after(self.home, self.key, self.notify)


def _interrupted(trail: _Trail, error: IntegrityError) -> bool:
    """Whether a replay refusal is really our own earlier run, killed after the chain
    recorded the package but before its receipt was kept: then the trail is completed
    instead of reporting a replay (an accepted receipt by us means a genuine replay)."""
    from secxfer.chain.home import ChainHome
    from secxfer.ledger.evidence import kind_of
    from secxfer.trust.signing import SignedDocument

    package_id = getattr(error, "package_id", None)
    if not isinstance(error, ReplayError) or not package_id:
        return False
    record = getattr(error, "record", None) or ChainHome(trail.home).seen(package_id)
    if not record or not record.get("period") or record.get("package_id") != package_id:
        return False  # another package of the same delivery: a re-issue, never our own run
    offered = getattr(error, "sha256", None)
    if offered is not None and record.get("sha256") not in (None, offered.hex()):
        return False  # the same id but other bytes: not the file our interrupted run processed
    for _, raw in trail.ledger.evidence(record["period"]):
        try:
            if kind_of(raw) != RECEIPT_KIND:
                continue
            receipt = msgspec.json.decode(SignedDocument.decode(raw).payload, type=Receipt)
        except (SecxferError, msgspec.DecodeError, UnicodeDecodeError):
            continue
        if receipt.package_id == package_id and receipt.issuer == trail.me and receipt.accepted:
            return False
    trail.notify(Notice(f"completing the record of package {package_id}, whose processing here was interrupted",
                        wording="completing-interrupted", values={"package_id": package_id}))
    return True


def seal(
    *, key: ParticipantSecret, home: Path, annex_files: Mapping[int, Path], period: str, out: Path,
    rehearsal: bool = False, profile: str = "default", again: bool = False, anchor: bytes | None = None,
    now: dt.datetime | None = None, rng: Callable[[int], bytes] = os.urandom, operator: str | None = None,
    notify: Notify | None = None,
) -> SealResult:
    """:func:`secxfer.chain.seal.seal_without_trail` plus the agency's signed hop report and log entries."""
    from secxfer.chain.seal import seal_without_trail as chain_seal

    trail = _Trail(key=key, home=home, operator=operator, now=now, notify=notify)
    try:
        result = chain_seal(annex_files=annex_files, period=period, key=key, home=home, out=out, rehearsal=rehearsal,
                            profile=profile, now=trail.now, rng=rng, anchor=anchor, again=again)
    except SecxferError as error:
        with trail.recording():
            trail.log("seal-failed", period=str(period), error=type(error).__name__)
        raise
    package = result.package
    with trail.recording():
        trail.log("sealed", period=result.period, package_id=package.package_id, sha256=package.sha256.hex(),
                  rows_read=list(result.rows_read), rows_sealed=list(result.rows_sealed),
                  rows_withheld=result.withheld_rows, covered=result.covered, rehearsal=result.rehearsal)
        digest, _ = trail.keep(REPORT_KIND, seal_report(result, reporter=trail.me, now=trail.now))
        trail.log("report-written", period=result.period, report_sha256=digest)
        trail.outputs(kept_package_facts(package, result.period))
    trail.checkpoint()
    return result


def relay(package: Path, *, key: ParticipantSecret, home: Path, out: Path, anchor: bytes | None = None,
          now: dt.datetime | None = None, rng: Callable[[int], bytes] = os.urandom, operator: str | None = None,
          receipts_out: Path | None = None, notify: Notify | None = None) -> RelayResult:
    """:func:`secxfer.chain.relay.relay_without_trail` plus hop report, receipt to the sender and log entries."""
    from secxfer.chain.relay import relay_without_trail as chain_relay

    trail = _Trail(key=key, home=home, operator=operator, now=now, notify=notify)
    trail.sweep_staging()
    seen: list[PackageFacts] = []
    try:
        try:
            result = chain_relay(package, key=key, home=home, out=out, now=trail.now, rng=rng, anchor=anchor,
                                 observe=lambda p: seen.append(package_facts(p)))
        except ReplayError as replay:
            if not _interrupted(trail, replay):
                raise
            result = chain_relay(package, key=key, home=home, out=out, now=trail.now, rng=rng, anchor=anchor,
                                 check_replay=False, observe=lambda p: seen.append(package_facts(p)))
    except IntegrityError as error:
        trail.failed("relay", package, error, seen[0] if seen else None, receipts_out)
        raise
    facts = seen[0]
    received = facts.identity
    with trail.recording():
        trail.log("relayed", period=received.period, package_id=received.package_id,
                  sha256=received.encrypted_sha256.hex(), rows_in=list(result.rows_in),
                  rows_out=list(result.rows_out), outputs=len(result.outputs),
                  rows_withheld=sum(r.total for r in result.withheld.values()), signers=",".join(facts.signers))
        digest, _ = trail.keep(REPORT_KIND, relay_report(result, facts, reporter=trail.me, now=trail.now))
        trail.log("report-written", period=received.period, report_sha256=digest)
        trail.receipt(accepted_receipt(facts, issuer=trail.me, action="relay", now=trail.now), receipts_out)
        for written in result.outputs:
            trail.outputs(kept_package_facts(written, received.period))
    trail.checkpoint()
    return result


def open_package(package: Path, *, key: ParticipantSecret, home: Path, out: Path, utf8: bool = False,
                 workbook: bool = True, anchor: bytes | None = None, now: dt.datetime | None = None,
                 operator: str | None = None, receipts_out: Path | None = None,
                 notify: Notify | None = None) -> OpenResult:
    """:func:`secxfer.chain.open.open_without_trail` plus a signed receipt to the sender and log entries."""
    from secxfer.chain.open import open_without_trail as chain_open

    trail = _Trail(key=key, home=home, operator=operator, now=now, notify=notify)
    trail.sweep_staging()
    seen: list[PackageFacts] = []
    try:
        try:
            result = chain_open(package, key=key, home=home, out=out, utf8=utf8, workbook=workbook, now=trail.now,
                                anchor=anchor, observe=lambda p: seen.append(package_facts(p)))
        except ReplayError as replay:
            if not _interrupted(trail, replay):
                raise
            result = chain_open(package, key=key, home=home, out=out, utf8=utf8, workbook=workbook, now=trail.now,
                                anchor=anchor, check_replay=False, observe=lambda p: seen.append(package_facts(p)))
    except IntegrityError as error:
        trail.failed("open", package, error, seen[0] if seen else None, receipts_out)
        raise
    facts = seen[0]
    opened = facts.identity
    with trail.recording():
        trail.log("opened", period=opened.period, package_id=opened.package_id, sha256=opened.encrypted_sha256.hex(),
                  rows=list(result.rows), files=len(result.files), signers=",".join(facts.signers))
        trail.receipt(accepted_receipt(facts, issuer=trail.me, action="open", now=trail.now), receipts_out)
        trail.outputs(opened_facts(result, opened.period, opened.package_id))
    trail.checkpoint()
    return result
