"""The streaming annex reader: every problem at once, every accepted row byte for byte.

``read_annex`` reads a binary stream line by line under an input profile and
returns an :class:`~secxfer.domain.annex.AnnexReading`: the layout found (encoding,
BOM, header bytes, line terminator), the accepted rows with their original bytes and
routing keys, and every problem located as ``FILE:LINE:COLUMN``. It never changes a
row's bytes: normalization (full-width digits, 5-digit codes, era dates) produces
keys only. Outside input never makes it raise; problems are reported, not raised.

Memory is one line (at most the profile's ``max_line_bytes``) plus the kept rows
and a bounded problem list.

This module is the face; the work is done in ``annex_reader`` (the pass over a file),
``annex_fields`` (a row's cells and columns), ``annex_checks`` (problem codes, limits,
character classes) and ``clean_rows`` (the fast path for rows with nothing to report).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import BinaryIO

from secxfer.domain.annex import COLUMN_COUNT, AnnexReading, AnnexRecord, AnnexRow, Problem, get_annex
from secxfer.domain.annex_checks import (  # noqa: F401 (the limits and codes are part of this module's face)
    ANNEX_MAX_ERRORS,
    ANNEX_MAX_NOTES,
    CONTROL,
    FILE_PROBLEMS,
    MAX_AGE_YEARS,
    NEWLINE_NAMES,
    PROBLEM_CODES,
    SHOWN_VALUE_CHARS,
    UNDECODABLE,
)
from secxfer.domain.annex_reader import AnnexReader, as_period
from secxfer.domain.cells import split_fields
from secxfer.domain.dates import DateError, halfwidth, read_date
from secxfer.domain.period import Period
from secxfer.domain.profiles import Profile, get_profile
from secxfer.errors import InputRejectedError, NotFoundError, UsageError
from secxfer.models import Model


class AnnexRejectedError(InputRejectedError):
    """Annex input with rejected rows or a rejected file; the message summarises them."""


# -- the public API -------------------------------------------------------------------


def read_annex(
    data: BinaryIO | bytes | bytearray | memoryview,
    *,
    annex: int,
    period: Period | str | None,
    profile: str | Profile = "default",
    source: str = "<stdin>",
    today: date | None = None,
) -> AnnexReading:
    """Read and check one annex CSV from a binary stream or bytes.

    Security properties: rows are kept exactly as read (``AnnexRow.raw`` is the bytes
    between terminators); nothing is normalized in place; cells that spreadsheets
    would execute, control and bidi characters, overlong lines and fields are
    errors; memory stays bounded per row. Outside input is reported as problems and
    never raises; only wrong arguments raise (UsageError, ProfileError, PeriodError).
    """
    reader = AnnexReader(annex=annex, period=period, profile=profile, source=source, today=today, keep_rows=True)
    return reader.read(_as_stream(data))


def read_annex_streamed(
    data: BinaryIO,
    *,
    annex: int,
    period: Period | str | None,
    profile: str | Profile = "default",
    source: str = "<stdin>",
    on_row: Callable[[str, bytes], object],
) -> AnnexReading:
    """:func:`read_annex`, with each accepted row handed to ``on_row(insurer, raw)`` as it
    is read instead of kept: the reading's ``rows`` is empty, so memory does not grow
    with the file (``seal`` spools the rows to a scratch file)."""
    reader = AnnexReader(annex=annex, period=period, profile=profile, source=source, today=None,
                         keep_rows=False, on_row=on_row)
    return reader.read(data)


def read_annex_file(
    path: str | os.PathLike[str],
    *,
    annex: int,
    period: Period | str | None,
    profile: str | Profile = "default",
    today: date | None = None,
) -> AnnexReading:
    """:func:`read_annex` on the file at ``path`` (the source is named as given)."""
    with _open(path) as stream:
        return read_annex(stream, annex=annex, period=period, profile=profile, source=str(path), today=today)


class FileSummary(Model, kw_only=True):
    """What one file held, without any of its rows."""

    source: str
    encoding: str
    bom: bool
    newline: str  # "CRLF" or "LF"
    header: bool
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    errors: int
    notes: int
    insurer_counts: dict[str, int]


class ValidationReport(Model, kw_only=True):
    """The outcome of validating annex files: counts and problems, never row contents."""

    annex: int
    period: str | None
    profile: str
    files: tuple[FileSummary, ...]
    problems: tuple[Problem, ...]
    rows: int
    accepted: int
    rejected: int
    errors: int
    notes: int
    insurer_counts: dict[str, int]  # accepted rows per insurer, over all files
    ok: bool

    def raise_if_rejected(self) -> None:
        """Raise AnnexRejectedError when any row or file was rejected."""
        if self.ok:
            return
        first = next((problem for problem in self.problems if problem.severity == "error"), None)
        message = f"{self.rejected} of {self.rows} rows rejected in {len(self.files)} file(s), {self.errors} error(s)"
        if first is not None:
            message += f"; first: {first}"
        raise AnnexRejectedError(message, facts={"rejected": str(self.rejected), "rows": str(self.rows),
                                                 "files": str(len(self.files)), "errors": str(self.errors)})


def validate_files(
    paths: Iterable[str | os.PathLike[str]],
    *,
    annex: int,
    period: Period | str | None,
    profile: str | Profile = "default",
    today: date | None = None,
) -> ValidationReport:
    """Validate annex files and summarise them; rows themselves are not kept.

    Every path is checked for existence before any is read (NotFoundError).
    """
    paths = list(paths)
    if not paths:
        raise UsageError("no files to validate", hint="name one or more annex CSV files")
    for path in paths:
        if not Path(path).is_file():
            raise NotFoundError(f"{str(path)!r} is not a file")
    checked_period = as_period(period)
    chosen = get_profile(profile)
    summaries: list[FileSummary] = []
    problems: list[Problem] = []
    totals: dict[str, int] = {}
    for path in paths:
        reader = AnnexReader(annex=annex, period=checked_period, profile=chosen, source=str(path), today=today,
                         keep_rows=False)
        with _open(path) as stream:
            reading = reader.read(stream)
        problems.extend(reading.problems)
        for insurer, count in reader.counts.items():
            totals[insurer] = totals.get(insurer, 0) + count
        summaries.append(
            FileSummary(
                source=reading.source,
                encoding=reading.encoding,
                bom=bool(reading.bom),
                newline=NEWLINE_NAMES[reading.newline],
                header=reading.header is not None,
                rows_read=reading.rows_read,
                rows_accepted=reading.rows_read - reading.rows_rejected,
                rows_rejected=reading.rows_rejected,
                errors=reader.errors,
                notes=reader.notes,
                insurer_counts=dict(sorted(reader.counts.items())),
            )
        )
    errors = sum(summary.errors for summary in summaries)
    return ValidationReport(
        annex=get_annex(annex).number,
        period=checked_period.label if checked_period else None,
        profile=chosen.name,
        files=tuple(summaries),
        problems=tuple(problems),
        rows=sum(summary.rows_read for summary in summaries),
        accepted=sum(summary.rows_accepted for summary in summaries),
        rejected=sum(summary.rows_rejected for summary in summaries),
        errors=errors,
        notes=sum(summary.notes for summary in summaries),
        insurer_counts=dict(sorted(totals.items())),
        ok=errors == 0,
    )


def split_rows(reading: AnnexReading, insurer: str) -> bytes:
    """The file one insurer receives: BOM, header and its rows' original bytes.

    ``bom + header + newline + (raw + newline) for each row of insurer``; with no row
    for the insurer, the header alone (zero rows is an answer). Rows are never
    re-encoded. Refuses a reading whose file-level checks failed (wrong header,
    encoding), because its header would travel on.
    """
    return split_by_insurer(reading, insurers=(insurer,), only_listed=True)[insurer]


def split_by_insurer(
    reading: AnnexReading, *, insurers: Iterable[str] = (), only_listed: bool = False
) -> dict[str, bytes]:
    """:func:`split_rows` for every insurer with rows (plus each of ``insurers``) in one pass."""
    wanted = list(insurers)
    for code in wanted:
        if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()):
            raise UsageError(f"{code!r} is not a 6-digit insurer code", hint="pass AnnexRow.insurer values")
    failed = sorted({problem.code for problem in reading.problems if problem.code in FILE_PROBLEMS})
    if failed:
        raise AnnexRejectedError(
            f"{reading.source!r} was rejected as a whole ({', '.join(failed)}); it cannot be split",
            hint="fix the file itself (header, encoding) and read it again",
        )
    newline = reading.newline
    parts: dict[str, list[bytes]] = {code: [] for code in wanted}
    for row in reading.rows:
        bucket = parts.get(row.insurer)
        if bucket is None:
            if only_listed:
                continue
            bucket = parts[row.insurer] = []
        bucket.append(row.raw)
    head = reading.bom + (reading.header + newline if reading.header is not None else b"")
    return {
        code: head + b"".join(raw + newline for raw in rows) for code, rows in sorted(parts.items())
    }


def read_record(reading: AnnexReading, row: AnnexRow) -> AnnexRecord:
    """The typed values of an accepted ``row`` of ``reading`` (for display; bytes stay as they are)."""
    profile = get_profile(reading.profile)
    text = row.raw.decode(reading.encoding, "surrogateescape")
    fields, trouble = split_fields(text, profile.quoting)
    if trouble or len(fields) != COLUMN_COUNT or CONTROL.search(text) or UNDECODABLE.search(text):
        raise AnnexRejectedError(f"{reading.source}:{row.line}: not an accepted row of this reading")
    try:
        sex = profile.sex_codes[halfwidth(fields[3]) if profile.full_width else fields[3]]
        birth = read_date(fields[4], profile.date_formats, full_width=profile.full_width).value
        event = read_date(fields[5], profile.date_formats, full_width=profile.full_width).value
    except (KeyError, DateError):
        raise AnnexRejectedError(f"{reading.source}:{row.line}: not an accepted row of this reading") from None
    return AnnexRecord(
        annex=reading.annex,
        name=fields[0],
        residence_code=row.residence_code,
        address=fields[2],
        sex=sex,
        birth_date=birth,
        event_date=event,
    )


# -- opening --------------------------------------------------------------------------


def _as_stream(data: object) -> BinaryIO:
    import io

    if isinstance(data, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(data))
    if isinstance(data, str) or not hasattr(data, "readline"):
        raise UsageError("read_annex needs bytes or a binary stream", hint="open the file in binary mode ('rb')")
    return data  # type: ignore[return-value]


def _open(path: str | os.PathLike[str]) -> BinaryIO:
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by the caller's with-block
    except FileNotFoundError:
        raise NotFoundError(f"{str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise NotFoundError(f"{str(path)!r} is a directory, not an annex file") from None
