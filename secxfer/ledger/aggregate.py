"""Aggregates: a relay forwards everything it knows about a period upward in one signed file.

An aggregate (kind ``secxfer/receipt-aggregate``) is signed by the forwarder and lists
signed receipts and hop reports as their exact bytes — its own, and every one it
collected from below — so central and the agency see the whole country's state for a
period. Each item keeps its author's own signature; the aggregate's signature only
says who forwarded what, so a relay cannot forge a municipality's receipt, only
withhold it (which reconciliation then names as missing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from secxfer.errors import FormatError, UsageError
from secxfer.ledger.evidence import (
    AGGREGATE_KIND,
    AGGREGATE_MAX_ITEMS,
    RECEIPT_KIND,
    Verified,
    sign_model,
    verify_signed,
)
from secxfer.models import Model
from secxfer.trust.directory.entries import AwareDatetime

if TYPE_CHECKING:
    from secxfer.age.recipients import Rng
    from secxfer.trust import Directory, ParticipantSecret

FORMAT = "secxfer-receipt-aggregate-v1"


class Aggregate(Model, kw_only=True):
    format: str = FORMAT
    forwarder: str
    recipient: str
    period: str
    created: AwareDatetime
    items: tuple[bytes, ...]  # signed receipts and hop reports, exactly as their authors signed them

    @property
    def author(self) -> str:
        return self.forwarder


_decoder = msgspec.json.Decoder(Aggregate)


def parent_of(participant_id: str) -> str:
    """Who a participant's packages come from, so where its receipts go."""
    from secxfer.trust.ids import Role, role_of

    role = role_of(participant_id)
    if role is Role.MUNICIPALITY:
        return f"fed-{participant_id[4:6]}"
    if role is Role.FEDERATION:
        return "central"
    if role is Role.CENTRAL:
        return "agency"
    raise UsageError(f"{participant_id!r} receives no packages, so it has no receipts to forward")


def is_below(participant_id: str, ancestor: str) -> bool:
    """Whether ``participant_id`` receives packages through ``ancestor`` (strictly below it)."""
    from secxfer.trust.ids import Role, role_of

    role = role_of(participant_id)
    if role in (Role.ROOT, Role.AGENCY) or participant_id == ancestor:
        return False
    if ancestor == "agency":
        return True
    if ancestor == "central":
        return role in (Role.FEDERATION, Role.MUNICIPALITY)
    if ancestor.startswith("fed-"):
        return role is Role.MUNICIPALITY and participant_id[4:6] == ancestor[4:]
    return False


def verify_aggregate(raw: bytes, directory: Directory, *, me: str, now: dt.datetime) -> Verified:
    """Verify an aggregate addressed to ``me`` by a participant directly below ``me`` (at ``now``)."""
    verified = verify_signed(raw, _decoder, kind=AGGREGATE_KIND, directory=directory, now=now)
    aggregate = verified.document
    assert isinstance(aggregate, Aggregate)
    if aggregate.format != FORMAT:
        raise FormatError(f"unsupported aggregate format {aggregate.format!r}")
    if aggregate.recipient != me or parent_of(aggregate.forwarder) != me:
        raise UsageError(
            f"aggregate from {aggregate.forwarder!r} is addressed to {aggregate.recipient!r}, not to {me!r} from below",
            hint="collect each return medium at the participant it is addressed to",
        )
    if len(aggregate.items) > AGGREGATE_MAX_ITEMS:
        raise FormatError(f"aggregate from {aggregate.forwarder!r} lists more than {AGGREGATE_MAX_ITEMS} items")
    return verified


def forward(period: str, *, key: ParticipantSecret, home: Path, out: Path, operator: str | None = None,
            now: dt.datetime | None = None, rng: Rng | None = None,
            notify: Callable[[str], None] | None = None) -> list[Path]:
    """Put this participant's evidence for ``period`` on the return medium under ``out``.

    A relay writes one signed aggregate of every stored receipt and report of the
    period to its parent; a municipality writes each of its own receipts to the
    receipt's addressee. Logged (``receipts-forwarded`` / ``receipt-sent``), then the
    log's checkpoint and its proofs are carried beside them (secxfer.ledger.carry).
    Refused before anything is written (exit 3) if the log no longer matches a
    checkpoint kept or carried up before on this medium. Returns the files written.
    """
    import hashlib

    from secxfer.ledger import oplog

    from secxfer.ledger.evidence import trusted_directory
    from secxfer.ledger.returns import write_sealed
    from secxfer.ledger.store import LedgerHome

    now = now or dt.datetime.now(dt.timezone.utc)
    me = key.participant_id
    parent = parent_of(me)
    who = oplog.resolve_operator(operator, me)
    LedgerHome(home).bind(me)
    directory = trusted_directory(home, now)
    carrying = _carrying(home, key, out, me, parent, who, now, directory)
    stored = [raw for _, raw in LedgerHome(home).evidence(period)]
    if not stored:
        raise UsageError(f"nothing recorded here for {period}", hint="check the period and the home folder",
                         facts={"advice": "check-period-home", "period": str(period), "home": str(home)})
    if me.startswith("mun-"):
        from secxfer.ledger.receipts import Receipt, verify_receipt

        written = []
        for raw in stored:
            receipt = verify_receipt(raw, directory, now=now, held=True).document
            assert isinstance(receipt, Receipt)
            if receipt.issuer == me:
                path = write_sealed(
                    out, kind=RECEIPT_KIND, signed=raw, author=me, recipient=receipt.sender, period=period,
                    rehearsal=receipt.rehearsal, directory=directory, now=now, rng=rng,
                )
                oplog.append(home, op="receipt-sent", who=who, now=now, facts={
                    "period": period, "receipt_sha256": hashlib.sha256(raw).hexdigest(), "file": path.name,
                    "to": receipt.sender})
                written.append(path)
        return written + carrying()
    aggregate = Aggregate(forwarder=me, recipient=parent, period=period, created=now, items=tuple(stored))
    signed = sign_model(AGGREGATE_KIND, aggregate, key)
    path = write_sealed(out, kind=AGGREGATE_KIND, signed=signed, author=me, recipient=parent, period=period,
                        rehearsal=False, directory=directory, now=now, rng=rng)
    oplog.append(home, op="receipts-forwarded", who=who, now=now, facts={
        "period": period, "items": len(stored), "aggregate_sha256": hashlib.sha256(signed).hexdigest(),
        "file": path.name, "to": parent})
    return [path, *carrying()]


def _carrying(
    home: Path, key: ParticipantSecret, out: Path, me: str, parent: str, who: str, now: dt.datetime,
    directory: Directory,
) -> Callable[[], list[Path]]:
    """Check the log before anything is written; return what carries its checkpoint up after."""
    from secxfer.ledger.carry import carry, check_before_carrying, medium_folder

    folder = medium_folder(out, me, parent)
    check_before_carrying(home, me, folder, directory=directory)

    def carrying() -> list[Path]:
        carried = carry(home, key, folder, who=who, now=now, directory=directory, to=parent)
        return [carried.note, *carried.proofs, *carried.restart]

    return carrying
