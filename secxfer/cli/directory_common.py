"""What the ``directory`` commands share: the command group, common options, and
reading, writing and dating of the documents they handle."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

directory_app = typer.Typer(
    name="directory",
    help=(
        "The signed key directory: create, add participants and enrollments, record consent, "
        "revoke keys, sign and combine signatures, verify, show, import into the trust store."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)

Home = Annotated[
    Path | None, typer.Option("--home", help="Trust store folder (default: $SECXFER_HOME or the per-user data folder).")
]
RootFiles = Annotated[list[Path], typer.Option("--root", help="Signed root file(s), oldest first.")]
At = Annotated[str | None, typer.Option("--at", help="Time to check at, ISO 8601 (default: now; no zone means Japan time).")]


def _when(text: str | None) -> datetime:
    from datetime import timedelta, timezone

    from secxfer.errors import UsageError

    if text is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{text!r} is not a time", hint="give it as YYYY-MM-DDTHH:MM[:SS][+09:00]") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone(timedelta(hours=9)))


def _day(text: str | None, option: str) -> date | None:
    from secxfer.errors import UsageError

    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date", hint="give it as YYYY-MM-DD") from None


def _read(path: Path) -> bytes:
    from secxfer.errors import NotFoundError
    from secxfer.fsutil import read_bounded
    from secxfer.trust.store import BUNDLE_MAX_BYTES

    try:  # the largest document these commands read is a bundle
        return read_bounded(path, BUNDLE_MAX_BYTES, "input file")
    except FileNotFoundError:
        raise NotFoundError(f"{str(path)!r} does not exist") from None


def _write(path: Path, data: bytes, *, overwrite: bool) -> None:
    from secxfer.fsutil import atomic_write

    atomic_write(path, data, overwrite=overwrite, mode=0o644)
