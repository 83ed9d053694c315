"""Hop reports: what each seal and relay did with the rows, in counts that add up.

Every seal (agency) and relay (central, a federation) signs one report per package it
handled: the package it received (none for a seal), the rows in, one output per
next-hop package with the insurer codes it carries, and every row held back with its
reason and code. Per annex:

    rows_in = Σ outputs.rows + Σ withheld.rows

and every output's rows equal the sum of its codes' leaves. The leaves are the
agency's commitment as this hop verified it (code, rows, leaf hash), which is what
lets a reconciliation compare a municipality's receipt with what the agency sealed.
Reports hold no personal data: ids, codes, counts and hashes only.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import msgspec

from secxfer.domain.counts import RowCounts
from secxfer.errors import ProvenanceError
from secxfer.ledger.evidence import REPORT_KIND, LeafFacts, Verified, verify_signed
from secxfer.models import Model
from secxfer.trust.directory.entries import AwareDatetime

if TYPE_CHECKING:
    from collections.abc import Iterable

    from secxfer.chain.package import WrittenPackage
    from secxfer.chain.relay import RelayResult
    from secxfer.chain.seal import SealResult
    from secxfer.ledger.receipts import PackageFacts
    from secxfer.trust import Directory

FORMAT = "secxfer-hop-report-v1"


class ReportInput(Model, kw_only=True):
    """The package a relay received."""

    package_id: str
    sender: str
    file_name: str
    encrypted_sha256: bytes
    manifest_sha256: bytes


class ReportOutput(Model, kw_only=True):
    """One package this hop wrote for a next-hop recipient."""

    recipient: str
    package_id: str
    file_name: str
    encrypted_sha256: bytes
    manifest_sha256: bytes
    rows: RowCounts
    codes: tuple[str, ...]


class Withheld(Model, kw_only=True):
    """Rows of one insurer code held back, and why (``no-consent``, ``consent-withdrawn``)."""

    code: str
    reason: str
    rows: RowCounts


class HopReport(Model, kw_only=True):
    format: str = FORMAT
    reporter: str
    action: str  # "seal" or "relay"
    period: str
    rehearsal: bool
    delivery_id: str
    origin_package_id: str  # the agency's package this delivery started as
    merkle_root: bytes
    input: ReportInput | None = None
    rows_in: RowCounts
    outputs: tuple[ReportOutput, ...]
    withheld: tuple[Withheld, ...] = ()
    leaves: tuple[LeafFacts, ...]
    created: AwareDatetime

    @property
    def author(self) -> str:
        return self.reporter


_decoder = msgspec.json.Decoder(HopReport)


def _output(written: WrittenPackage, codes: Iterable[str]) -> ReportOutput:
    sent = written.identity
    return ReportOutput(
        recipient=sent.recipient, package_id=sent.package_id, file_name=sent.file_name,
        encrypted_sha256=sent.encrypted_sha256, manifest_sha256=sent.manifest_sha256, rows=sent.rows,
        codes=tuple(codes),
    )


def seal_report(result: SealResult, *, reporter: str, now: dt.datetime) -> HopReport:
    """The agency's report for a ``chain.seal.SealResult``."""
    from secxfer.chain.seal import NO_CONSENT

    leaves = tuple(
        LeafFacts(code=code, rows=rows, leaf_sha256=result.leaf_sha256[code])
        for code, rows in sorted(result.per_insurer.items())
    )
    return HopReport(
        reporter=reporter, action="seal", period=result.period, rehearsal=result.rehearsal,
        delivery_id=result.delivery_id, origin_package_id=result.package.package_id,
        merkle_root=result.merkle_root, rows_in=result.rows_read,
        outputs=(_output(result.package, (leaf.code for leaf in leaves)),),
        withheld=tuple(Withheld(code=c, reason=NO_CONSENT, rows=r) for c, r in sorted(result.withheld.items())),
        leaves=leaves, created=now,
    )


def relay_report(result: RelayResult, pkg_facts: PackageFacts, *, reporter: str, now: dt.datetime) -> HopReport:
    """A relay's report for a ``chain.relay.RelayResult``.

    ``pkg_facts`` (:class:`~secxfer.ledger.receipts.PackageFacts`) describes the package
    it received; each output carries the received leaves of its recipient's scope that
    were not withheld.
    """
    from secxfer.chain.relay import CONSENT_WITHDRAWN

    received = pkg_facts.identity
    held = set(result.withheld)
    outputs = []
    for written in result.outputs:
        codes = [leaf.code for leaf in pkg_facts.leaves
                 if leaf.code not in held and _in_scope(written.recipient, leaf.code)]
        outputs.append(_output(written, codes))
    return HopReport(
        reporter=reporter, action="relay", period=received.period, rehearsal=received.rehearsal,
        delivery_id=pkg_facts.delivery_id, origin_package_id=pkg_facts.origin_package_id,
        merkle_root=pkg_facts.merkle_root,
        input=ReportInput(
            package_id=received.package_id, sender=received.sender, file_name=received.file_name,
            encrypted_sha256=received.encrypted_sha256, manifest_sha256=received.manifest_sha256,
        ),
        rows_in=result.rows_in, outputs=tuple(outputs),
        withheld=tuple(Withheld(code=c, reason=CONSENT_WITHDRAWN, rows=r) for c, r in sorted(result.withheld.items())),
        leaves=pkg_facts.leaves, created=now,
    )


def _in_scope(recipient: str, code: str) -> bool:
    if recipient.startswith("fed-"):
        return code[:2] == recipient[4:]
    return recipient == f"mun-{code}"


def balance_problems(report: HopReport) -> list[str]:
    """Why ``report``'s counts do not add up (empty when they do).

    Checks rows in = Σ out + Σ withheld per annex; each output's rows = Σ of its
    codes' leaves; every leaf is sent or withheld exactly once.
    """
    problems = []
    out = RowCounts.sum(o.rows for o in report.outputs)
    held = RowCounts.sum(w.rows for w in report.withheld)
    if report.rows_in != out + held:
        problems.append(f"rows in {report.rows_in} ≠ rows out {out} + withheld {held}")
    leaves = {leaf.code: leaf for leaf in report.leaves}
    placed: dict[str, str] = {}
    for output in report.outputs:
        for code in output.codes:
            if code in placed:
                problems.append(f"{code} is sent both to {placed[code]} and to {output.recipient}")
            placed[code] = output.recipient
        if any(c not in leaves for c in output.codes):
            problems.append(f"output to {output.recipient} carries codes outside the commitment")
            continue
        expected = RowCounts.sum(leaves[c].rows for c in output.codes)
        if output.rows != expected:
            problems.append(f"output to {output.recipient} has rows {output.rows}, its leaves add up to {expected}")
    for withheld in report.withheld:
        if withheld.code in leaves:
            if withheld.code in placed:
                problems.append(f"{withheld.code} is both sent and withheld")
            placed[withheld.code] = "withheld"
            if withheld.rows != leaves[withheld.code].rows:
                problems.append(f"withheld rows of {withheld.code} differ from its leaf")
    unplaced = sorted(set(leaves) - set(placed))
    if unplaced:
        problems.append(f"{len(unplaced)} code(s) neither sent nor withheld: {', '.join(unplaced[:5])}")
    return problems


def verify_report(raw: bytes, directory: Directory, *, now: dt.datetime, held: bool = False) -> Verified:
    """Verify a signed hop report (by its reporter's key, at ``now``) and decode it strictly.

    ``held``: this home's own ledger holds the report (accepted before); see verify_signed."""
    verified = verify_signed(raw, _decoder, kind=REPORT_KIND, directory=directory, now=now, held=held)
    report = verified.document
    assert isinstance(report, HopReport)
    if report.format != FORMAT or report.action not in ("seal", "relay"):
        raise ProvenanceError(f"hop report by {report.reporter!r} has an unknown format or action")
    problem = field_problem(report)
    if problem:
        raise ProvenanceError(f"hop report by {report.reporter!r}: {problem}",
                              hint="ask its reporter for a report made by secxfer")
    from secxfer.trust.ids import role_of

    allowed = ("agency",) if report.action == "seal" else ("central", "federation")
    if str(role_of(report.reporter)) not in allowed:
        raise ProvenanceError(f"a {report.action} report by {report.reporter!r}, a {role_of(report.reporter)}: "
                              f"only {' or '.join(allowed)} may sign one",
                              hint="this report is forged; keep it and find out who produced it")
    return verified


# What a report's own fields may hold: media-safe package names, participant ids, 6-digit
# codes and reason tokens (the reporter signs them; reconciliation shows them).
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # secxfer.chain.media.SAFE_NAME
_PARTICIPANT = re.compile(r"[a-z0-9-]{2,20}")
_CODE = re.compile(r"[0-9]{6}")
_REASON = re.compile(r"[a-z][a-z0-9-]{0,39}")
_TOKEN_MAX_CHARS = 128  # period, package and delivery ids
_INPUT_NAME_MAX_CHARS = 255


def field_problem(report: HopReport) -> str | None:
    """Why a field of ``report`` is not what secxfer writes (None when every one is)."""
    tokens = [("period", report.period), ("delivery_id", report.delivery_id),
              ("origin_package_id", report.origin_package_id)]
    names = [output.file_name for output in report.outputs]
    if report.input is not None:
        tokens.append(("input package_id", report.input.package_id))
        # the name the package had when it arrived: media-safe unless someone renamed it
        if len(report.input.file_name) > _INPUT_NAME_MAX_CHARS or not report.input.file_name.isprintable():
            return f"input file name {report.input.file_name[:80]!r} is too long or not printable"
        if not _PARTICIPANT.fullmatch(report.input.sender):
            return f"input sender {report.input.sender[:40]!r} is not a participant id"
    for output in report.outputs:
        tokens.append(("output package_id", output.package_id))
        if not _PARTICIPANT.fullmatch(output.recipient):
            return f"output recipient {output.recipient[:40]!r} is not a participant id"
        if not all(_CODE.fullmatch(code) for code in output.codes):
            return f"output to {output.recipient} lists a code that is not 6 digits"
    for name in names:
        if not _FILE_NAME.fullmatch(name):
            return f"package name {name[:80]!r} is not a media-safe name (at most 64 letters, digits, . _ -)"
    for held in report.withheld:
        if not _CODE.fullmatch(held.code) or not _REASON.fullmatch(held.reason):
            return f"withheld entry {held.code[:12]!r} ({held.reason[:40]!r}) is not a code and a reason token"
    for name, value in tokens:
        if len(value) > _TOKEN_MAX_CHARS or not value.isprintable():
            return f"{name} {value[:40]!r} is not a short printable id"
    for leaf in report.leaves:
        if not _CODE.fullmatch(leaf.code):
            return f"leaf code {leaf.code[:12]!r} is not 6 digits"
    return None
