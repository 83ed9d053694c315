"""What a hop report or a receipt claims, compared with what the sender's report says was sent.

A signature proves who wrote a document, not that what it says is true. Each
function here takes one document and the record it must agree with — the output of
the report that sent the package, and the root of the delivery — and returns every
claim that differs as ``(field, claimed, expected)``, worded for people. The
``withdrawn_by`` and ``hop_day`` rules decide whether a relay's "consent withdrawn"
is believed (docs/ledger.md §8.3): the withdrawal date is the key directory's word,
the day of the hop the earliest time any signer of the hop's documents vouches for.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from secxfer.errors import SecxferError
from secxfer.ledger.problems import Problem

if TYPE_CHECKING:
    from secxfer.ledger.receipts import Receipt
    from secxfer.ledger.reports import HopReport, ReportOutput
    from secxfer.trust import Directory

JST = dt.timezone(dt.timedelta(hours=9))
RELAY_ROLES = ("central", "federation")


def short(package_id: str) -> str:
    return package_id[:8] or "(unknown)"


def role(pid: str) -> str:
    """The role a participant id denotes ("unknown" for a malformed one)."""
    from secxfer.trust.ids import role_of

    try:
        return str(role_of(pid))
    except SecxferError:
        return "unknown"


def show(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.hex()[:16]
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def _differing(pairs: Iterable[tuple[str, object, object]]) -> list[tuple[str, str, str]]:
    return [(name, show(claimed), show(expected)) for name, claimed, expected in pairs if claimed != expected]


def report_claims(
    below: HopReport, sender: HopReport, output: ReportOutput, root: HopReport
) -> list[tuple[str, str, str]]:
    """Claims of ``below`` (the report of the relay ``output`` went to) that differ from
    what ``sender``'s report says it sent and from the delivery's ``root``. The file and
    manifest hashes are compared by the caller (``file-differs``)."""
    got = below.input
    return _differing((
        ("action", below.action, "relay"),
        ("sender", got.sender, sender.reporter),
        ("file_name", got.file_name, output.file_name),
        ("rows", tuple(below.rows_in), tuple(output.rows)),
        ("period", below.period, root.period),
        ("rehearsal", below.rehearsal, root.rehearsal),
        ("delivery_id", below.delivery_id, root.delivery_id),
        ("origin_package_id", below.origin_package_id, root.origin_package_id),
        ("merkle_root", below.merkle_root, root.merkle_root),
    ))


def receipt_claims(
    receipt: Receipt, pid: str, output: ReportOutput, sender: HopReport, root: HopReport
) -> list[tuple[str, str, str]]:
    """Claims of ``pid``'s accepted ``receipt`` that differ from ``output`` as ``sender``
    sent it. Hashes, delivery and leaves are compared by the caller (``receipt-differs``)."""
    return _differing((
        ("sender", receipt.sender, sender.reporter),
        ("action", receipt.action, "open" if role(pid) == "municipality" else "relay"),
        ("period", receipt.period, root.period),
        ("rehearsal", receipt.rehearsal, root.rehearsal),
        ("package_id", receipt.package_id, output.package_id),
        ("file_name", receipt.file_name, output.file_name),
        ("origin_package_id", receipt.origin_package_id, root.origin_package_id),
        ("rows", None if receipt.rows is None else tuple(receipt.rows), tuple(output.rows)),
        ("claims_verified", receipt.claims_verified, True),
    ))


def withdrawn_by(directory: Directory, code: str, day: dt.date) -> bool:
    """Whether the trusted directory shows ``code``'s 委任状 withdrawn on or before ``day``
    (or lists no 委任状 for it at all). Unknown to the directory: not shown, so False."""
    try:
        consent = directory.participant(f"mun-{code}").consent
    except (SecxferError, AttributeError):
        return False
    if consent is None:
        return True
    return consent.withdrawn_on is not None and consent.withdrawn_on <= day


def hop_day(report: HopReport, receipts_of: Callable[[ReportOutput], Iterable[Receipt]]) -> dt.date:
    """The day (Japan) a relay's hop took place, on no single signer's word alone.

    The earliest of the relay's report time and the time of every receipt its
    recipients signed for the packages it lists: a relay can date its report earlier
    (which only makes a withdrawal harder to accept), never later than a recipient's
    own signature shows it had the package. ``receipts_of(output)`` gives the receipts
    by that output's recipient.
    """
    times = [report.created]
    for output in report.outputs:
        times += [r.created for r in receipts_of(output)]
    return min(times).astimezone(JST).date()


def delivery_problems(receipts: Iterable[Receipt]) -> list[Problem]:
    """Two accepted receipts by one participant for different packages of one delivery.

    The delivery is the agency's commitment the receipt names (``delivery_id``, else
    the origin package id), which a relay cannot change when it issues a package again
    under a new id: so a re-issued delivery opened twice shows whichever client wrote it.
    """
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for receipt in receipts:
        delivery = receipt.delivery_id or receipt.origin_package_id
        if receipt.accepted and delivery:
            groups[(receipt.issuer, delivery)].add(receipt.package_id)
    return [
        Problem.of("error", "delivery-opened-twice", issuer, issuer=issuer, count=len(packages),
                   delivery=short(delivery), packages=", ".join(short(p) for p in sorted(packages)))
        for (issuer, delivery), packages in sorted(groups.items()) if len(packages) > 1
    ]


def receipt_conflicts(
    issuer: str, package_id: str, accepted: Sequence[Receipt], failed: Iterable[Receipt]
) -> list[Problem]:
    """A failure receipt beside an accepted one for the same package, never dropped.

    Same file hash: the two receipts contradict each other (error). Another hash: the
    issuer says it refused a damaged copy and accepted an intact one (warning).
    """
    found = []
    accepted_files = {r.encrypted_sha256 for r in accepted}
    for receipt in failed:
        if not accepted:
            break
        kind, severity = ("receipt-conflict", "error") if receipt.encrypted_sha256 in accepted_files \
            else ("refused-copy", "warning")
        found.append(Problem.of(severity, kind, issuer, issuer=issuer, package=short(package_id),
                                disposition=receipt.disposition))
    return found
