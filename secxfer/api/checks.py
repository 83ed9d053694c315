"""Checks that need no secret key: one package, a whole medium, annex CSVs, a package's public facts."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from secxfer.api.installation import Installation

if TYPE_CHECKING:
    from secxfer.chain.inspect import MediaReport, PackageFacts
    from secxfer.chain.manifest import OuterStatement
    from secxfer.domain.validate import ValidationReport


def _home(installation: Installation | None) -> Path:
    return (installation or Installation.default()).path


def verify_package(
    package: str | os.PathLike[str],
    *,
    installation: Installation | None = None,
    directory: Path | None = None,
    root: Path | None = None,
    now: dt.datetime | None = None,
) -> OuterStatement:
    """Verify a package file (``.age``) against its outer signature (``.sig`` beside it).

    Trust starts from ``root`` (a signed root whose fingerprint you compared with the paper
    form), else the installation's pinned root, else the first root of the trust bundle
    ``directory``. ``directory`` is a trust bundle or a signed key directory; without it
    the installation's own is used. Nothing is written anywhere.

    Returns the signed statement (sender, recipient, period, size, SHA-256). Raises an
    IntegrityError subclass (exit 3) if the file was truncated, altered or renamed, is a
    link, or the signature is not by the sender's current key; NotFoundError if there is
    no such file.
    """
    from secxfer.chain.inspect import verify_package as check

    return check(Path(package), home=_home(installation), directory_file=directory, root_file=root, now=now)


def verify_medium(
    path: str | os.PathLike[str],
    *,
    installation: Installation | None = None,
    directory: Path | None = None,
    root: Path | None = None,
    now: dt.datetime | None = None,
) -> MediaReport:
    """Check every package on a medium (or a folder of media) against its signed index and
    outer signatures. Trust starts as for :func:`verify_package`.

    Returns the report: ``failures`` counts problems (altered, unsigned, missing,
    leftovers, links, folders, pipes), ``renamed`` intact packages under another name;
    ``report.raise_for(path)`` turns them into the errors the CLI exits with. Raises
    NotFoundError if ``path`` is no folder; an IntegrityError subclass if the key
    directory itself does not verify.
    """
    from secxfer.chain.inspect import verify_media

    return verify_media(Path(path), home=_home(installation), directory_file=directory, root_file=root, now=now)


def validate_annex(
    files: Iterable[str | os.PathLike[str]],
    *,
    annex: int,
    period: str | None = None,
    profile: str = "default",
) -> ValidationReport:
    """Check annex CSV files of one annex (1, 2 or 3) against the agreement's rules.

    Returns the report (every problem with file, line and column; counts per file and
    insurer); ``report.raise_if_rejected()`` raises AnnexRejectedError (exit 4) when any
    row is rejected. Raises NotFoundError if a file is missing, UsageError for no files,
    an unknown profile or a malformed period.
    """
    from secxfer.domain.validate import validate_files

    return validate_files(list(files), annex=annex, period=period, profile=profile)


def inspect_package(package: str | os.PathLike[str]) -> PackageFacts:
    """A package's public facts (its age header's stanzas, the outer statement beside it),
    nothing verified: show them as claims, escaped.

    Raises NotFoundError if there is no such file, FormatError if it is no age file.
    """
    from secxfer.chain.inspect import inspect_package as facts

    return facts(Path(package))
