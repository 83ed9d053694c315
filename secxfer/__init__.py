"""secxfer: signed, encrypted, verifiable transfer of annex records over removable media.

The public API (docs/library.md walks through one month with it)::

    import secxfer

    home = secxfer.Installation.default()          # or secxfer.Installation("/path")
    key = secxfer.ParticipantKey.load("agency.key", passphrase=ask)
    sealed = secxfer.seal(secxfer.AnnexFiles.of("a1.csv", "a2.csv", "a3.csv"),
                          period="2026-10", key=key, installation=home, out="/media/usb")

Every name below is loaded on first use, so ``import secxfer`` (and ``secxfer
--version``) stays fast. Every error raised on purpose is a :class:`SecxferError`
carrying its exit code and a hint. Anything not listed in ``__all__`` is internal
and may change.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, which type checkers read the same way, without importing typing

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # the installation and the participant's key
    "Installation": "secxfer.api.installation",
    "TrustAnchor": "secxfer.api.installation",
    "ParticipantKey": "secxfer.api.keys",
    "AnnexFiles": "secxfer.api.annex",
    "RowCounts": "secxfer.domain.counts",
    "AnnexNumber": "secxfer.domain.counts",
    # the chain's steps, with their paper trail
    "seal": "secxfer.api.delivery",
    "relay": "secxfer.api.delivery",
    "open_package": "secxfer.api.delivery",
    # checks that need no secret key
    "verify_package": "secxfer.api.checks",
    "verify_medium": "secxfer.api.checks",
    "validate_annex": "secxfer.api.checks",
    "inspect_package": "secxfer.api.checks",
    # receipts and the period's account
    "collect_receipts": "secxfer.api.evidence",
    "forward_receipts": "secxfer.api.evidence",
    "reconcile": "secxfer.api.evidence",
    "status": "secxfer.api.evidence",
    # the installation's upkeep: its operations log and purge
    "verify_log": "secxfer.api.upkeep",
    "checkpoint_log": "secxfer.api.upkeep",
    "compare_checkpoints": "secxfer.api.upkeep",
    "recover_log": "secxfer.api.upkeep",
    "purge": "secxfer.api.upkeep",
    # results
    "SealResult": "secxfer.chain.seal",
    "RelayResult": "secxfer.chain.relay",
    "OpenResult": "secxfer.chain.open",
    "OuterStatement": "secxfer.chain.manifest",
    "MediaReport": "secxfer.chain.inspect",
    "PackageFacts": "secxfer.chain.inspect",
    "ValidationReport": "secxfer.domain.validate",
    "CollectResult": "secxfer.ledger.collect",
    "Reconciliation": "secxfer.ledger.reconcile",
    "Status": "secxfer.ledger.status",
    "LogCheck": "secxfer.ledger.oplog",
    "Carried": "secxfer.ledger.carry",
    "Recovery": "secxfer.ledger.recovery",
    "PurgePlan": "secxfer.ledger.purge",
    "PurgeResult": "secxfer.ledger.purge",
    # the error tree: the root, its main branches, and the errors a caller most often tells apart
    "SecxferError": "secxfer.errors",
    "OperationalError": "secxfer.errors",
    "UsageError": "secxfer.errors",
    "IntegrityError": "secxfer.errors",
    "InputRejectedError": "secxfer.errors",
    "NotFoundError": "secxfer.errors",
    "OutputExistsError": "secxfer.errors",
    "SignatureError": "secxfer.errors",
    "NotForUsError": "secxfer.errors",
    "ReplayError": "secxfer.errors",
    "WrongPassphraseError": "secxfer.errors",
    "SealRejectedError": "secxfer.chain.seal",
    "AnnexRejectedError": "secxfer.domain.validate",
    "IncompleteError": "secxfer.ledger.errors",
    "ReconciliationError": "secxfer.ledger.errors",
    "LogTamperedError": "secxfer.ledger.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'secxfer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what a type checker and an editor see; at run time __getattr__ loads them
    from secxfer.api.annex import AnnexFiles
    from secxfer.api.checks import inspect_package, validate_annex, verify_medium, verify_package
    from secxfer.api.delivery import open_package, relay, seal
    from secxfer.api.evidence import collect_receipts, forward_receipts, reconcile, status
    from secxfer.api.upkeep import checkpoint_log, compare_checkpoints, purge, recover_log, verify_log
    from secxfer.api.installation import Installation, TrustAnchor
    from secxfer.api.keys import ParticipantKey
    from secxfer.chain.inspect import MediaReport, PackageFacts
    from secxfer.chain.manifest import OuterStatement
    from secxfer.chain.open import OpenResult
    from secxfer.chain.relay import RelayResult
    from secxfer.chain.seal import SealRejectedError, SealResult
    from secxfer.domain.counts import AnnexNumber, RowCounts
    from secxfer.domain.validate import AnnexRejectedError, ValidationReport
    from secxfer.errors import (
        InputRejectedError,
        IntegrityError,
        NotForUsError,
        NotFoundError,
        OperationalError,
        OutputExistsError,
        ReplayError,
        SecxferError,
        SignatureError,
        UsageError,
        WrongPassphraseError,
    )
    from secxfer.ledger.carry import Carried
    from secxfer.ledger.collect import CollectResult
    from secxfer.ledger.errors import IncompleteError, LogTamperedError, ReconciliationError
    from secxfer.ledger.oplog import LogCheck
    from secxfer.ledger.purge import PurgePlan, PurgeResult
    from secxfer.ledger.recovery import Recovery
    from secxfer.ledger.reconcile import Reconciliation
    from secxfer.ledger.status import Status
