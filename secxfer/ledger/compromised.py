"""What this home accepted from a key that was later revoked for compromise.

A key revoked for compromise signs nothing from then on (``secxfer.trust.validity``),
but what a home accepted *before it knew* stays accepted: the deliveries it opened or
relayed, the receipts and hop reports it keeps. Losing them silently would be wrong,
and so would trusting them silently: the thief may have signed them. So each is
flagged, in ``status`` and ``reconcile``, as an error the operator must act on.

The evidence is this home's own record, never anything the signer wrote:

* a delivery opened or relayed here: the operations log entry (``opened`` /
  ``relayed``, with this computer's time of acceptance and the signing key id of
  every hop's manifest);
* a receipt or hop report kept here: the ledger's evidence store, which only ever
  holds documents that verified when they were kept.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.errors import SecxferError
from secxfer.ledger.evidence import MAX_BYTES, REPORT_KIND
from secxfer.ledger.problems import Problem
from secxfer.ledger.store import LedgerHome, period_slug
from secxfer.trust.directory.entries import COMPROMISE
from secxfer.trust.fingerprint import key_id
from secxfer.trust.signing import SignedDocument

if TYPE_CHECKING:
    from secxfer.trust import Directory

KIND = "compromised-key"
_HELD_OPS = {"opened": "compromised-opened", "relayed": "compromised-relayed"}


@dataclass(frozen=True)
class Holding:
    """One thing this home holds that a key revoked for compromise signed."""

    wording: str  # compromised-opened / -relayed / -receipt / -report (secxfer.ledger.problems)
    signer: str  # the participant whose key it was
    keyid: str
    revoked_at: dt.datetime
    reference: str  # short package id, or where in the ledger
    accepted_at: dt.datetime | None  # this computer's time of acceptance, when recorded

    def problem(self) -> Problem:
        """As a reconciliation problem (severity ``error``: the recipient must be told)."""
        values = {"signer": self.signer, "keyid": self.keyid[:16], "revoked": self.revoked_at.isoformat()}
        if self.accepted_at is not None:
            values |= {"package": self.reference, "accepted": self.accepted_at.isoformat()}
        else:
            values |= {"place": self.reference}
        return Problem.of("error", KIND, self.signer, wording=self.wording, **values)


def compromised_keys(directory: Directory, now: dt.datetime) -> dict[str, tuple[str, dt.datetime]]:
    """Signing key id -> (participant, revocation time) for keys revoked for compromise by ``now``."""
    found = {}
    for participant in directory.participants:
        for entry in participant.signing_keys:
            if entry.revocation_class == COMPROMISE and entry.revoked_at <= now:
                found[key_id(entry.key)] = (participant.id, entry.revoked_at)
    return found


def held_from_compromised(home: Path, period: str, directory: Directory, *, now: dt.datetime) -> list[Holding]:
    """Every delivery and document of ``period`` this home accepted from a key now revoked for compromise."""
    keys = compromised_keys(directory, now)
    if not keys:
        return []
    return [*_deliveries(home, period, keys), *_evidence(home, period, keys)]


def compromised_problems(home: Path, period: str, directory: Directory, *, now: dt.datetime) -> list[Problem]:
    """The holdings as reconciliation problems (severity ``error``: the recipient must be told)."""
    return [h.problem() for h in held_from_compromised(home, period, directory, now=now)]


def _deliveries(home: Path, period: str, keys: dict) -> list[Holding]:
    path = LedgerHome(home).log_path
    if not path.is_file() or path.is_symlink():
        return []
    slug = period_slug(period)
    found = []
    for line in path.read_bytes().split(b"\n"):
        try:
            entry = json.loads(line)
            op, facts = entry["op"], entry["facts"]
            if op not in _HELD_OPS or period_slug(str(facts.get("period", ""))) != slug:
                continue
            at = dt.datetime.fromisoformat(entry["at"])
        except (ValueError, KeyError, TypeError, SecxferError):
            continue  # a torn or foreign line: the log's own check reports it
        for keyid in str(facts.get("signers", "")).split(","):
            if keyid in keys:
                signer, revoked_at = keys[keyid]
                found.append(Holding(_HELD_OPS[op], signer, keyid, revoked_at, str(facts.get("package_id", ""))[:8], at))
    return found


def _evidence(home: Path, period: str, keys: dict) -> list[Holding]:
    found = []
    for where, raw in LedgerHome(home).evidence(period):
        try:
            document = SignedDocument.decode(raw, max_bytes=max(MAX_BYTES.values()))
        except SecxferError:
            continue  # reconcile reports evidence that no longer parses
        for signature in document.signatures:
            if signature.keyid in keys:
                signer, revoked_at = keys[signature.keyid]
                wording = "compromised-report" if document.kind == REPORT_KIND else "compromised-receipt"
                found.append(Holding(wording, signer, signature.keyid, revoked_at, where, None))
    return found
