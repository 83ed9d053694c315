"""Receipts up the chain and the period's account: collect, forward, reconcile, status."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.api.installation import Installation
from secxfer.api.keys import ParticipantKey

if TYPE_CHECKING:
    from secxfer.ledger.collect import CollectResult
    from secxfer.ledger.reconcile import Reconciliation
    from secxfer.ledger.status import Status

Notify = Callable[[str], None]


def collect_receipts(
    medium: str | os.PathLike[str],
    *,
    key: ParticipantKey,
    installation: Installation,
    operator: str | None = None,
    notify: Notify | None = None,
    now: dt.datetime | None = None,
) -> CollectResult:
    """Decrypt, verify and keep every receipt and aggregate on a return medium addressed to
    ``key``'s participant, and check the log checkpoints carried with them.

    Whatever fails is listed in ``result.rejected`` by name and reason and never kept;
    collecting twice changes nothing. ``result.raise_if_refused()`` raises LogForkError /
    IntegrityError (exit 3) for a forked log or anything refused. Raises NotFoundError if
    there is no such folder; LogRewrittenError (exit 3) before reading anything if this
    installation's own log no longer matches its checkpoints.
    """
    from secxfer.ledger.collect import collect

    return collect(Path(medium), key=key.secret, home=installation.path, operator=operator, now=now, notify=notify)


def forward_receipts(
    period: str,
    *,
    key: ParticipantKey,
    installation: Installation,
    out: str | os.PathLike[str],
    operator: str | None = None,
    notify: Notify | None = None,
    now: dt.datetime | None = None,
) -> list[Path]:
    """Put this participant's evidence for ``period`` on the return medium ``out``: a
    municipality its receipts, each to its sender; a relay one signed aggregate of every
    receipt and report kept, to its parent. The log's checkpoint and proofs go beside them.

    Returns the files written. Raises LogRewrittenError (exit 3) before writing if the log
    no longer matches a checkpoint kept or carried up before; UsageError for a malformed
    period; OperationalError when the medium cannot be written.
    """
    from secxfer.ledger.aggregate import forward

    return forward(period, key=key.secret, home=installation.path, out=Path(out), operator=operator, now=now,
                   notify=notify)


def reconcile(
    period: str,
    *,
    installation: Installation,
    viewer: str | None = None,
    now: dt.datetime | None = None,
) -> Reconciliation:
    """Account for ``period`` from the evidence kept in the installation, as ``viewer``
    (default: the participant the installation acts for) sees it: each municipality below
    is confirmed, received, relayed, sealed, failed, missing or withheld.

    Returns the reconciliation; ``raise_if_incomplete()`` raises IncompleteError (exit 1)
    while evidence is missing and ReconciliationError (exit 3) when it contradicts itself. Raises UsageError if
    the installation has done nothing yet and no ``viewer`` is given; an IntegrityError
    subclass if its key directory does not verify.
    """
    from secxfer.ledger.reconcile import reconcile_home

    return reconcile_home(installation.path, period, viewer=viewer, now=now)


def status(
    period: str,
    *,
    installation: Installation,
    viewer: str | None = None,
    holidays: Path | None = None,
    now: dt.datetime | None = None,
) -> Status:
    """:func:`reconcile` with the period's deadline (the 10th business day after the month,
    with ``holidays`` overriding the built-in calendar): what the status table shows.

    Raises as :func:`reconcile`, and FormatError / NotFoundError for a bad holiday file.
    """
    from secxfer.ledger.status import status as status_of

    return status_of(installation.path, period, viewer=viewer, now=now, holidays=holidays)
