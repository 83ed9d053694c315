"""The installation's upkeep: its operations log (verify, checkpoint, compare, recover) and purge."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.api.installation import Installation
from secxfer.api.keys import ParticipantKey

if TYPE_CHECKING:
    from secxfer.ledger.carry import Carried
    from secxfer.ledger.oplog import LogCheck
    from secxfer.ledger.purge import PurgePlan, PurgeResult
    from secxfer.ledger.recovery import Recovery


def verify_log(*, installation: Installation) -> LogCheck:
    """Check every entry's link in the installation's operations log and every checkpoint kept
    (their signatures too when the installation trusts a key directory).

    Raises LogTamperedError (exit 3) naming every edited, removed or reordered entry;
    UsageError if the installation has no log.
    """
    from secxfer.ledger.logcheck import require_log

    return require_log(installation.path)


def checkpoint_log(
    *,
    key: ParticipantKey,
    installation: Installation,
    out: str | os.PathLike[str],
    since: Path | None = None,
    operator: str | None = None,
    now: dt.datetime | None = None,
) -> Carried:
    """Sign a checkpoint of the log (C2SP tlog-checkpoint) and write it to ``out`` for carrying
    up, with consistency proofs from the checkpoints carried up before (and from ``since``).

    Raises LogRewrittenError (exit 3, nothing written or signed) naming the checkpoint the
    log no longer matches; UsageError for a malformed operator name.
    """
    from secxfer.ledger.carry import carry
    from secxfer.ledger.oplog import resolve_operator

    moment = now or dt.datetime.now(dt.timezone.utc)
    return carry(installation.path, key.secret, Path(out), who=resolve_operator(operator, key.participant_id),
                 directory=installation.directory_or_none(moment), since=since, now=now)


def compare_checkpoints(
    first: str | os.PathLike[str],
    second: str | os.PathLike[str],
    *,
    installation: Installation,
    proof: Path | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Verify two checkpoints of one log against the installation's key directory and that the
    later extends the earlier (with ``proof``, or from the installation's own log).

    Returns what was proven, in one line. Raises LogForkError (exit 3) when they show two
    histories; SignatureError for a checkpoint not signed by its log's participant;
    FormatError for a damaged file.
    """
    from secxfer.ledger.logcheck import compare_files

    moment = now or dt.datetime.now(dt.timezone.utc)
    return compare_files(Path(first), Path(second), directory=installation.directory(moment), now=moment,
                         proof=proof, home=installation.path)


def recover_log(
    *,
    key: ParticipantKey,
    installation: Installation,
    reason: str,
    abandon: Sequence[Path] = (),
    operator: str | None = None,
    now: dt.datetime | None = None,
) -> Recovery:
    """Keep a log that no longer matches its checkpoints aside and start a new epoch whose first
    entry records ``reason`` and which checkpoint (of ``abandon``, found elsewhere) it abandons.

    Raises UsageError if the log verifies (nothing to recover) or ``reason`` is empty.
    """
    from secxfer.ledger.recovery import recover

    moment = now or dt.datetime.now(dt.timezone.utc)
    return recover(installation.path, key.secret, reason=reason, operator=operator, abandon=list(abandon),
                   directory=installation.directory_or_none(moment), now=now)


def purge(
    period: str,
    *,
    installation: Installation,
    confirm: Callable[[PurgePlan], bool] | None = None,
    force: bool = False,
    operator: str | None = None,
    now: dt.datetime | None = None,
) -> PurgeResult:
    """Remove the period's packages and opened files once receipts confirm their delivery.

    ``confirm`` is shown the plan and says yes or no (None: no question). A file that is
    not what secxfer recorded writing is kept and listed (``result.raise_if_kept()``).
    Raises PurgeRefusedError (nothing removed) while delivery is not confirmed or evidence
    contradicts itself (unless ``force``, which is logged); PurgeCancelledError if
    ``confirm`` says no; UsageError if the installation has done nothing yet.
    """
    from secxfer.ledger.purge import purge as purge_period

    return purge_period(period, home=installation.path, operator=operator, now=now, force=force, confirm=confirm)
