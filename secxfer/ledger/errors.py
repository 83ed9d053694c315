"""Errors of the ledger wing, each a subclass of the shared tree in ``secxfer.errors``."""

from __future__ import annotations

import warnings

from secxfer.errors import IntegrityError, OperationalError, UsageError


class LedgerWarning(UserWarning):
    """An operation succeeded but its paper trail is incomplete (the message says why)."""


def warn(message: str) -> None:
    """Default ``notify`` of ledger functions: a LedgerWarning (the CLI prints its own line)."""
    warnings.warn(message, LedgerWarning, stacklevel=3)


class LogTamperedError(IntegrityError):
    """The operations log is not the history its entries and checkpoints promise."""

    default_hint = (
        "keep the log file and its checkpoints as they are, compare with the checkpoints "
        "carried up on media, and report the incident"
    )


class LogForkError(LogTamperedError):
    """Two signed checkpoints of one log that cannot both be true: two histories."""

    default_hint = "the log was rewritten after a checkpoint was handed over; report the incident"


class LogRewrittenError(LogTamperedError):
    """The log no longer matches a checkpoint signed over it: rewritten, cut off, or a home
    restored from a backup. Nothing is signed or carried up until an explicit recovery."""

    default_hint = (
        "nothing was done or signed; keep the log, its checkpoints and the medium as they are, find out why "
        "(a restored backup, a repaired disk, an edit), then record the recovery with its reason "
        "(docs/operations.md); if nobody here can explain it, report the incident"
    )


class ReconciliationError(IntegrityError):
    """Receipts and reports contradict each other or the agency's commitment."""

    default_hint = "see docs/operations.md, 'The monthly close', for what to do per problem"


class IncompleteError(OperationalError):
    """The chain is not complete yet: receipts or reports are still missing."""

    default_hint = "collect the missing receipts or chase the named participants"


class PurgeRefusedError(OperationalError):
    """Outputs cannot be removed yet: onward delivery is not confirmed."""

    default_hint = (
        "collect the missing receipts first; a municipality puts its own receipt on a return medium; "
        "then purge again"
    )


class PurgeRecordsError(IntegrityError):
    """The record of what this home wrote cannot be trusted, so purge deletes nothing."""

    default_hint = (
        "keep the operations log and its checkpoints as they are (verifying the log names the problem), "
        "delete nothing by hand, and report the incident"
    )


class PurgeBlockedError(IntegrityError):
    """The period's reconciliation reports contradictions: the outputs may be evidence."""

    default_hint = (
        "find out what the contradiction is first (reconcile the period; docs/operations.md, 'The monthly "
        "close'); purging anyway must be forced, which is logged"
    )


class PurgeKeptError(OperationalError):
    """Purge left files that are not what secxfer wrote there (changed, replaced, behind a link)."""

    default_hint = (
        "check the named files: secxfer deletes only what it wrote; delete them under your office's rules "
        "if they hold this period's data"
    )


class PurgeCancelledError(OperationalError):
    """The operator did not confirm the deletion."""

    default_hint = "nothing was removed; purge again and confirm the deletion"


class PurgeNeedsConfirmationError(UsageError):
    """Purge asks before deleting, and there is no one to answer (no terminal input)."""

    default_hint = "confirm the deletion in advance (for example in a scheduled job)"
