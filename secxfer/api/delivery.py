"""Seal, relay and open: the chain's three steps, each with its paper trail.

Each call verifies this installation's operations log first, does the work, keeps the
signed hop report and receipt it makes, logs what it wrote and signs a checkpoint of
the log (secxfer.ledger.recorded). ``root`` is the signed root to pin when the
installation trusts none yet; without it, ``root.json`` beside the key file is used
(:meth:`secxfer.Installation.trust_anchor`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.api.annex import AnnexFiles
from secxfer.api.installation import Installation
from secxfer.api.keys import ParticipantKey

if TYPE_CHECKING:
    from secxfer.chain.open import OpenResult
    from secxfer.chain.relay import RelayResult
    from secxfer.chain.seal import SealResult

Notify = Callable[[str], None]
"""Told each notice (a str: the English sentence; a secxfer.notices.Notice carries its particulars)."""
Rng = Callable[[int], bytes]


def _anchor(installation: Installation, key: ParticipantKey, root: Path | None) -> bytes | None:
    anchor = installation.trust_anchor(key_file=key.path, root=root)
    return None if anchor is None else anchor.data


def seal(
    annexes: AnnexFiles,
    *,
    period: str,
    key: ParticipantKey,
    installation: Installation,
    out: str | os.PathLike[str],
    rehearsal: bool = False,
    again: bool = False,
    profile: str = "default",
    root: Path | None = None,
    operator: str | None = None,
    notify: Notify | None = None,
    now: dt.datetime | None = None,
    rng: Rng = os.urandom,
) -> SealResult:
    """Validate the period's three annex CSVs and seal them into one package for central (agency only).

    Rows of municipalities without a power of attorney (委任状) in force are withheld and
    counted, never sealed. The package lands in ``out/<agency>-to-<central>/`` with its
    outer signature and the medium's signed index; a hop report is kept and logged.

    Raises SealRejectedError (exit 4, ``problems`` lists every one) and writes nothing if
    any row is rejected; OutputExistsError if ``out`` already holds a package for the
    period (unless ``again``); UsageError if the key is not the agency's or a file is
    missing from ``annexes``; an IntegrityError subclass (exit 3) if the trusted key
    directory or the operations log does not verify.
    """
    from secxfer.ledger.recorded import seal as recorded_seal

    return recorded_seal(
        annex_files=annexes.by_number(), period=period, key=key.secret, home=installation.path, out=Path(out),
        rehearsal=rehearsal, profile=profile, again=again, anchor=_anchor(installation, key, root),
        operator=operator, notify=notify, now=now, rng=rng,
    )


def relay(
    package: str | os.PathLike[str],
    *,
    key: ParticipantKey,
    installation: Installation,
    out: str | os.PathLike[str],
    root: Path | None = None,
    receipts_out: Path | None = None,
    operator: str | None = None,
    notify: Notify | None = None,
    now: dt.datetime | None = None,
    rng: Rng = os.urandom,
) -> RelayResult:
    """Verify an incoming package and reseal it per next-hop recipient (central, federations).

    Each recipient's package goes to ``out/<you>-to-<recipient>/``; rows keep their exact
    bytes; consent is checked again against the newest key directory. A signed hop report
    and an ``accepted`` receipt for the sender are kept (the receipt also sealed onto
    ``receipts_out`` when given).

    Raises an IntegrityError subclass (exit 3: SignatureError, DecryptionError,
    NotForUsError, ReplayError, ProvenanceError, ConsentError …) after signing a receipt
    naming the failure; UsageError if the key is not central's or a federation's.
    """
    from secxfer.ledger.recorded import relay as recorded_relay

    return recorded_relay(
        Path(package), key=key.secret, home=installation.path, out=Path(out), anchor=_anchor(installation, key, root),
        receipts_out=receipts_out, operator=operator, notify=notify, now=now, rng=rng,
    )


def open_package(
    package: str | os.PathLike[str],
    *,
    key: ParticipantKey,
    installation: Installation,
    out: str | os.PathLike[str],
    utf8: bool = False,
    workbook: bool = True,
    root: Path | None = None,
    receipts_out: Path | None = None,
    operator: str | None = None,
    notify: Notify | None = None,
    now: dt.datetime | None = None,
) -> OpenResult:
    """Verify a package addressed to this municipality and write its annex CSVs (and, with
    ``workbook``, the officer's Excel workbook) into the new folder ``out``.

    Nothing is written unless everything verifies. An ``accepted`` receipt for the sender
    is kept (and sealed onto ``receipts_out`` when given).

    Raises an IntegrityError subclass (exit 3) after signing a receipt naming the failure;
    FormulaCellError (exit 4) if a cell would run as a spreadsheet formula;
    OutputExistsError if ``out`` holds other files; UsageError if the key is not a
    municipality's; NotFoundError if there is no package file.
    """
    from secxfer.ledger.recorded import open_package as recorded_open

    return recorded_open(
        Path(package), key=key.secret, home=installation.path, out=Path(out), utf8=utf8, workbook=workbook,
        anchor=_anchor(installation, key, root), receipts_out=receipts_out, operator=operator, notify=notify, now=now,
    )
