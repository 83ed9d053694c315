"""The streaming annex reader: every problem at once, every accepted row byte for byte.

``read_annex`` reads a binary stream line by line under an input profile and
returns an :class:`~secxfer.domain.annex.AnnexReading`: the layout found (encoding,
BOM, header bytes, line terminator), the accepted rows with their original bytes and
routing keys, and every problem located as ``FILE:LINE:COLUMN``. It never changes a
row's bytes: normalization (full-width digits, 5-digit codes, era dates) produces
keys only. Outside input never makes it raise; problems are reported, not raised.

Memory is one line (at most the profile's ``max_line_bytes``) plus the kept rows
and a bounded problem list.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import BinaryIO

from secxfer.domain.annex import (
    COLUMN_COUNT,
    AnnexReading,
    AnnexRecord,
    AnnexRow,
    Problem,
    check_header,
    get_annex,
    looks_like_header,
)
from secxfer.domain.annex_lines import annex_lines
from secxfer.domain.cells import split_fields as _split_fields
from secxfer.domain.clean_rows import CleanRow, CleanRowReader
from secxfer.domain.dates import ERA_FORMATS, DateError, halfwidth, read_date
from secxfer.domain.errors import (
    AmbiguousCodeError,
    CheckDigitError,
    CodeError,
    MalformedCodeError,
    NotAnInsurerError,
    NotYetValidCodeError,
    RetiredCodeError,
    UnknownCodeError,
)
from secxfer.domain.formula import describe as describe_formula
from secxfer.domain.formula import formula_start
from secxfer.domain.municipalities import (
    TOKYO_WARD_AREA,
    BodyKind,
    Resolution,
    check_digit,
    resolve_insurer,
    successors_of,
)
from secxfer.domain.period import Period, parse_period, tokyo_today
from secxfer.domain.profiles import UTF8_BOM, BomRule, HeaderRule, NewlineRule, Profile, Quoting, get_profile
from secxfer.errors import InputRejectedError, NotFoundError, UsageError
from secxfer.limits import CSV_MAX_ROWS
from secxfer.models import Model

# Per file, so that a hostile or garbage file cannot grow the report without bound;
# rows keep being counted after the list is full.
ANNEX_MAX_ERRORS = 10_000
ANNEX_MAX_NOTES = 1_000
# A date of birth more than this many years before the event is a data error.
MAX_AGE_YEARS = 120
# Cell values quoted in messages are cut to this many characters.
SHOWN_VALUE_CHARS = 24

PROBLEM_CODES: dict[str, str] = {
    # file level
    "not-text": "the file is not text (a workbook, a PDF or other binary data), so not a CSV",
    "unsupported-encoding": "a UTF-16/UTF-32 byte-order mark; only CP932 and UTF-8 are read",
    "unexpected-bom": "a UTF-8 byte-order mark where the profile forbids one",
    "missing-bom": "no UTF-8 byte-order mark where the profile requires one",
    "missing-header": "line 1 is a record (or the file is empty) where a header row is required",
    "wrong-header": "line 1 is not the annex's header row",
    "wrong-annex": "the header names another annex's event column",
    "unexpected-header": "a header row where the profile has none",
    "too-many-rows": "more rows than secxfer.limits.CSV_MAX_ROWS; reading stopped",
    "problems-truncated": "more problems than the per-file limit; the rest are counted, not listed",
    # line level
    "line-too-long": "a line longer than the profile's max_line_bytes",
    "wrong-newline": "a line terminator the profile does not allow",
    "mixed-newlines": "a line terminator that differs from the file's first one",
    "empty-line": "an empty line",
    "undecodable-bytes": "bytes that are not valid in the file's encoding",
    "bad-quoting": "double quotes the profile does not allow, or unbalanced",
    "wrong-column-count": "not six fields",
    # cell level, any column
    "control-character": "a control or invisible formatting character",
    "formula-injection": "a cell starting, after any leading spaces, with = + - @ | ; (or their full-width forms, "
    "or TAB/CR/LF) that spreadsheets would execute",
    "field-too-long": "a cell longer than the profile's max_field_chars",
    "empty-field": "a required cell is empty",
    "private-use-character": "a private-use (外字) character other systems cannot display",
    # typed columns
    "bad-name-character": "a name character outside Latin letters and the profile's punctuation",
    "bad-code": "a residence code that is not 5 or 6 digits",
    "bad-check-digit": "a 6-digit residence code with a wrong check digit",
    "unknown-code": "a residence code that names no local government",
    "ambiguous-code": "a 5-digit code that names two bodies (leading zero lost or not)",
    "prefecture-code": "a prefecture's code: prefectures are never recipients",
    "tokyo-ward-area": "131008 (13100), Tokyo's 23-ward area: each special ward is the insurer",
    "retired-code": "a code retired before the row's event date",
    "code-not-yet-valid": "a code not yet in force on the row's event date",
    "bad-sex": "a sex value outside the profile's codings",
    "bad-date": "a date in no accepted form",
    "impossible-date": "a date that does not exist (e.g. 20230230)",
    "era-mismatch": "an era date outside its era (e.g. H310501, R010430)",
    "outside-period": "an event date outside the period",
    "birth-after-event": "a date of birth after the event date",
    "birth-in-future": "a date of birth after today",
    "implausible-birth-date": f"a date of birth more than {MAX_AGE_YEARS} years before the event",
    # notes
    "ward-code": "note: a ward code, routed to its designated city (one note per code and file)",
    "retired-code-accepted": "note: a retired ward code on rows dated before its retirement "
    "(one note per code and file)",
    "five-digit-code": "note: 5-digit codes, each read as one 6-digit code",
    "era-date": "note: Japanese-era dates, read as Gregorian dates for checking",
}

# Problems about the file as a whole: a split of such a file is refused.
FILE_PROBLEMS = frozenset(
    {"unsupported-encoding", "unexpected-bom", "missing-bom", "missing-header", "wrong-header",
     "wrong-annex", "unexpected-header", "too-many-rows"}
)

_NEWLINE_NAMES = {b"\r\n": "CRLF", b"\n": "LF"}
# Controls, lone surrogates (undecodable bytes under surrogateescape), invisible
# formatting and bidirectional overrides, and private-use characters (外字).
_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
    "\udc80-\udcff\ue000-\uf8ff]"
)
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_CODE_ERRORS: tuple[tuple[type[CodeError], str], ...] = (
    (MalformedCodeError, "bad-code"),
    (CheckDigitError, "bad-check-digit"),
    (UnknownCodeError, "unknown-code"),
    (AmbiguousCodeError, "ambiguous-code"),
    (RetiredCodeError, "retired-code"),
    (NotYetValidCodeError, "code-not-yet-valid"),
)


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
    reader = _Reader(annex=annex, period=period, profile=profile, source=source, today=today, keep_rows=True)
    return reader.read(_as_stream(data))


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
    checked_period = _period(period)
    chosen = get_profile(profile)
    summaries: list[FileSummary] = []
    problems: list[Problem] = []
    totals: dict[str, int] = {}
    for path in paths:
        reader = _Reader(annex=annex, period=checked_period, profile=chosen, source=str(path), today=today,
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
                newline=_NEWLINE_NAMES[reading.newline],
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
    fields, trouble = _split_fields(text, profile.quoting)
    if trouble or len(fields) != COLUMN_COUNT or _CONTROL.search(text) or _UNDECODABLE.search(text):
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


# -- reading ---------------------------------------------------------------------------


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


def _period(period: Period | str | None) -> Period | None:
    if period is None or isinstance(period, Period):
        return period
    return parse_period(period)


class _Reader:
    """One pass over one file; holds the per-file state the checks need."""

    def __init__(
        self,
        *,
        annex: int,
        period: Period | str | None,
        profile: str | Profile,
        source: str,
        today: date | None,
        keep_rows: bool,
        fast: bool = True,
    ) -> None:
        self.annex = get_annex(annex)
        self.period = _period(period)
        self.profile = get_profile(profile)
        self.source = source
        self.today = today if today is not None else tokyo_today()
        self.keep_rows = keep_rows
        self.formats = frozenset(self.profile.date_formats)
        self.name_ok = _name_pattern(self.profile)
        self.name_bad = _name_offender(self.profile)
        self.problems: list[Problem] = []
        self.errors = 0
        self.notes = 0
        self.unlisted = 0
        self.rows: list[AnnexRow] = []
        self.counts: dict[str, int] = {}
        self.rows_read = 0
        self.rows_rejected = 0
        self.newline: bytes | None = None
        self.first_five_digit: tuple[int, str, str] | None = None
        self.five_digit_count = 0
        self.lost_zero_count = 0
        self.first_era: tuple[int, int, str, date] | None = None
        self.era_count = 0
        self.wards: dict[str, list] = {}  # code -> [first line, rows, ward, insurer]
        self._row_failed = False
        # The fast path for rows with nothing to report; ``fast=False`` reads every row
        # the general way (the tests compare the two).
        self.clean = (
            CleanRowReader(self.profile, self.period, self.today, self.name_ok)
            if fast and CleanRowReader.applies(self.profile) else None
        )

    # problems

    def _add(self, line: int, column: int, code: str, message: str, severity: str = "error", **facts: object) -> None:
        if severity == "error":
            self.errors += 1
            self._row_failed = True
            listed = self.errors <= ANNEX_MAX_ERRORS
        else:
            self.notes += 1
            listed = self.notes <= ANNEX_MAX_NOTES
        if listed:
            self.problems.append(
                Problem(source=self.source, line=line, column=column, code=code, message=message, severity=severity,
                        facts=self._facts(column, facts))
            )
        else:
            self.unlisted += 1

    def _facts(self, column: int, facts: dict[str, object]) -> dict[str, str]:
        """A finding's facts as text, with the label of the column it is about."""
        found = {name: str(value) for name, value in facts.items()}
        if 1 <= column <= COLUMN_COUNT:
            found.setdefault("column_label", self.annex.columns[column - 1].label)
        found.setdefault("annex", str(self.annex.number))
        return found

    # the pass

    def read(self, stream: BinaryIO) -> AnnexReading:
        encoding, bom, header = self.profile.encoding, b"", None
        line_no = 0
        quiet: frozenset[bytes] = frozenset()  # terminators with nothing to report, known after line 1
        for body, terminator, overlong in annex_lines(stream, self.profile.max_line_bytes):
            line_no += 1
            if terminator in quiet and not overlong and self.rows_read < CSV_MAX_ROWS:
                text = body.decode(encoding, "surrogateescape")
                clean = self.clean.read(text)  # type: ignore[union-attr] - quiet is empty without it
                if clean is not None:
                    self._clean_row(line_no, body, clean)
                    continue
            if line_no == 1:
                body, bom, encoding, fatal = self._start(body)
                if fatal:
                    break
            self._row_failed = False
            self._check_terminator(line_no, terminator)
            if line_no == 1 and self.clean is not None:
                quiet = self._quiet_terminators()
            if overlong:
                self._add(line_no, 1, "line-too-long",
                          f"line is longer than {self.profile.max_line_bytes} bytes; not read",
                          limit=self.profile.max_line_bytes)
                self._count_row()
                continue
            text = body.decode(encoding, "surrogateescape")
            fields, trouble = _split_fields(text, self.profile.quoting)
            if line_no == 1:
                failed_before = self._row_failed
                is_header, header = self._header(body, text, fields, trouble, encoding)
                if is_header:
                    continue
                self._row_failed = failed_before  # a missing header rejects the file, not this row
            if self.rows_read >= CSV_MAX_ROWS:
                self._add(line_no, 1, "too-many-rows", f"more than {CSV_MAX_ROWS} rows; reading stopped here",
                          limit=CSV_MAX_ROWS)
                break
            self._row(line_no, body, text, fields, trouble, encoding)
        if line_no == 0 and self.profile.header is HeaderRule.REQUIRED:
            self._add(1, 1, "missing-header", "the file is empty: expected the header row of "
                      f"{self.annex.title}", title=self.annex.title)
        self._closing_notes()
        if self.unlisted:
            self.problems.append(
                Problem(source=self.source, line=max(line_no, 1), column=1, code="problems-truncated",
                        message=f"{self.unlisted} further problem(s) not listed (limit per file: "
                        f"{ANNEX_MAX_ERRORS} errors, {ANNEX_MAX_NOTES} notes)", severity="note",
                        facts={"count": str(self.unlisted), "errors": str(ANNEX_MAX_ERRORS),
                               "notes": str(ANNEX_MAX_NOTES)})
            )
        default_newline = b"\n" if self.profile.newline is NewlineRule.LF else b"\r\n"
        return AnnexReading(
            source=self.source,
            annex=self.annex.number,
            profile=self.profile.name,
            encoding=encoding,
            bom=bom,
            header=header,
            newline=self.newline or default_newline,
            rows=tuple(self.rows),
            problems=tuple(sorted(self.problems, key=lambda p: (p.line, p.column))),
            rows_read=self.rows_read,
            rows_rejected=self.rows_rejected,
            period=self.period.label if self.period else None,
        )

    def _start(self, body: bytes) -> tuple[bytes, bytes, str, bool]:
        """Handle the byte-order mark: returns (body, bom, encoding, fatal)."""
        binary = _binary_kind(body)
        if binary is not None:
            # One finding for the file, not one per "line" of binary noise.
            self._add(1, 1, "not-text", f"this is not a text CSV file: it looks like {binary}; save the "
                      f"annex as CSV (CP932 or UTF-8) and check it again")
            return body, b"", self.profile.encoding, True
        if body.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
            self._add(1, 1, "unsupported-encoding",
                      "the file starts with a UTF-16/UTF-32 byte-order mark; export it as CP932 or UTF-8")
            return body, b"", self.profile.encoding, True
        if body.startswith(UTF8_BOM):
            if self.profile.bom is BomRule.FORBIDDEN:
                self._add(1, 1, "unexpected-bom", f"a UTF-8 byte-order mark, which profile "
                          f"{self.profile.name!r} does not allow", profile=self.profile.name)
            return body[len(UTF8_BOM):], UTF8_BOM, "utf-8", False
        if self.profile.bom is BomRule.REQUIRED:
            self._add(1, 1, "missing-bom", f"profile {self.profile.name!r} requires a UTF-8 byte-order mark",
                      profile=self.profile.name)
        return body, b"", self.profile.encoding, False

    def _quiet_terminators(self) -> frozenset[bytes]:
        """The terminators _check_terminator has nothing to say about from now on."""
        rule, newline = self.profile.newline, self.newline
        allowed = newline is not None and (
            rule is NewlineRule.EITHER or newline == (b"\r\n" if rule is NewlineRule.CRLF else b"\n"))
        return frozenset({b"", newline}) if allowed else frozenset({b""})  # type: ignore[arg-type]

    def _check_terminator(self, line_no: int, terminator: bytes) -> None:
        if not terminator:
            return
        rule = self.profile.newline
        if (rule is NewlineRule.CRLF and terminator != b"\r\n") or (rule is NewlineRule.LF and terminator != b"\n"):
            self._add(line_no, 1, "wrong-newline", f"line ends in {_NEWLINE_NAMES[terminator]}; profile "
                      f"{self.profile.name!r} requires {rule.value.upper()}",
                      found=_NEWLINE_NAMES[terminator], required=rule.value.upper(), profile=self.profile.name)
        elif self.newline is not None and terminator != self.newline:
            self._add(line_no, 1, "mixed-newlines", f"line ends in {_NEWLINE_NAMES[terminator]} but the file's "
                      f"lines end in {_NEWLINE_NAMES[self.newline]}",
                      found=_NEWLINE_NAMES[terminator], first=_NEWLINE_NAMES[self.newline])
        if self.newline is None:
            self.newline = terminator

    def _header(
        self, body: bytes, text: str, fields: list[str], trouble: list[tuple[int, str]], encoding: str
    ) -> tuple[bool, bytes | None]:
        """Decide whether line 1 is the header; returns (is_header, header bytes)."""
        rule = self.profile.header
        check = check_header(fields, self.annex.number)
        if rule is HeaderRule.ABSENT:
            if looks_like_header(fields):
                self._add(1, 1, "unexpected-header",
                          f"line 1 is a header row, but profile {self.profile.name!r} has none", profile=self.profile.name)
                return True, None
            return False, None
        if check.matches:
            for column, message in trouble:
                self._add(1, column, "bad-quoting", message)
            return True, body
        if check.other_annex is not None:
            self._add(1, COLUMN_COUNT, "wrong-annex", f"the header names {_show(fields[5])}, the event of "
                      f"別紙{check.other_annex}, but this is being read as 別紙{self.annex.number}",
                      other_annex=check.other_annex)
            return True, body
        if rule is HeaderRule.OPTIONAL or _looks_like_record(fields):
            if rule is HeaderRule.REQUIRED:
                self._add(1, 1, "missing-header", f"line 1 is a record, not the header row of {self.annex.title}",
                          title=self.annex.title)
            return False, None
        column = check.column
        found = fields[column - 1] if column <= len(fields) else None
        expected = self.annex.columns[column - 1].label if column <= COLUMN_COUNT else None
        if expected is None:
            message = f"the header has {len(fields)} columns, expected {COLUMN_COUNT}"
        elif found is None:
            message = f"the header has {len(fields)} columns; column {column} should be {expected!r}"
        else:
            message = f"header column {column} is {_show(found)}, expected {expected!r}"
        if encoding == "cp932" and _header_if_utf8(body, self.annex.number):
            message += "; the file looks like UTF-8 without a byte-order mark"
            suggest = {"suggested_profile": "utf-8"}  # a front end says how to choose it
        else:
            suggest = {}
        self._add(1, column, "wrong-header", message, number=column, expected=expected or "",
                  found=_show(found) if found is not None else "", count=len(fields), **suggest)
        return True, body

    def _count_row(self) -> None:
        self.rows_read += 1
        if self._row_failed:
            self.rows_rejected += 1

    def _row(
        self, line_no: int, body: bytes, text: str, fields: list[str], trouble: list[tuple[int, str]], encoding: str
    ) -> None:
        if not body:
            self._add(line_no, 1, "empty-line", "empty line")
            self._count_row()
            return
        for column, message in trouble:
            self._add(line_no, column, "bad-quoting", message)
        self._cells(line_no, fields, encoding, suspect=_SUSPECT.search(text) is not None)
        keys = None
        if len(fields) != COLUMN_COUNT:
            column = COLUMN_COUNT + 1 if len(fields) > COLUMN_COUNT else len(fields) + 1
            self._add(line_no, column, "wrong-column-count",
                      f"{len(fields)} field(s); rows of 別紙{self.annex.number} have {COLUMN_COUNT}",
                      count=len(fields), expected=COLUMN_COUNT)
        else:
            keys = self._typed(line_no, fields)
        if not self._row_failed and keys is not None:
            residence, insurer, event = keys
            self.counts[insurer] = self.counts.get(insurer, 0) + 1
            if self.keep_rows:
                self.rows.append(AnnexRow(line=line_no, raw=body, residence_code=residence, insurer=insurer,
                                          event_date=event))
        self._count_row()

    def _clean_row(self, line_no: int, body: bytes, clean: CleanRow) -> None:
        """Keep a row the fast path found clean, with the bookkeeping the general path does."""
        for column, cell, day in clean.era_dates:
            self._era(line_no, column, cell, day)
        residence, insurer = self._route(line_no, clean.resolution.reading.given, clean.resolution)
        self.counts[insurer] = self.counts.get(insurer, 0) + 1
        if self.keep_rows:
            self.rows.append(AnnexRow(line=line_no, raw=body, residence_code=residence, insurer=insurer,
                                      event_date=clean.event))
        self.rows_read += 1

    def _cells(self, line_no: int, fields: list[str], encoding: str, *, suspect: bool) -> None:
        """Checks that hold for every cell, whatever its column."""
        limit = self.profile.max_field_chars
        for column, value in enumerate(fields, start=1):
            if len(value) > limit:
                self._add(line_no, column, "field-too-long", f"cell has {len(value)} characters; the limit is {limit}",
                          length=len(value), limit=limit)
            flagged = formula_start(value)
            if flagged is not None:
                self._add(line_no, column, "formula-injection", describe_formula(*flagged))
            if not suspect:
                continue
            if _UNDECODABLE.search(value):
                message = f"bytes that are not valid {encoding.upper()}"
                suggest = {}
                if encoding == "cp932" and _utf8_field(value):
                    message += " (they look like UTF-8)"
                    suggest = {"suggested_profile": "utf-8"}  # a front end says how to choose it
                self._add(line_no, column, "undecodable-bytes", message, encoding=encoding.upper(), **suggest)
                continue
            control = _CONTROL.search(value)
            if control:
                self._add(line_no, column, "control-character", f"control or invisible character "
                          f"U+{ord(control.group()):04X} at position {control.start() + 1}",
                          codepoint=f"U+{ord(control.group()):04X}", position=control.start() + 1)
            private = _PRIVATE_USE.search(value)
            if private and column == 3:
                self._add(line_no, column, "private-use-character", f"private-use character (外字) "
                          f"U+{ord(private.group()):04X}; other systems cannot display it", severity="note",
                          codepoint=f"U+{ord(private.group()):04X}")

    def _typed(self, line_no: int, fields: list[str]) -> tuple[str, str, date] | None:
        """Column checks; returns the row's keys (residence, insurer, event date) when all are readable."""
        name, code, address, sex, birth, event = fields
        profile = self.profile
        if not name:
            self._add(line_no, 1, "empty-field", "name is empty")
        elif not self.name_ok.fullmatch(name):
            bad = self.name_bad.search(name)
            where = f"{bad.group()!r} at position {bad.start() + 1}" if bad else "no Latin letter"
            self._add(line_no, 1, "bad-name-character", f"name has a character outside Latin letters and "
                      f"{profile.name_punctuation!r}: {where}",
                      character=repr(bad.group()) if bad else "", position=bad.start() + 1 if bad else "")
        if not address:
            self._add(line_no, 3, "empty-field", "address is empty")
        if not sex:
            self._add(line_no, 4, "empty-field", "sex is empty")
        elif (halfwidth(sex) if profile.full_width else sex) not in profile.sex_codes:
            self._add(line_no, 4, "bad-sex", f"sex {_show(sex)} is not one of {', '.join(profile.sex_codes)}",
                      value=_show(sex), allowed=", ".join(profile.sex_codes))
        birth_date = self._date(line_no, 5, birth)
        event_date = self._date(line_no, 6, event)
        if event_date is not None and self.period is not None and not self.period.contains(event_date):
            self._add(line_no, 6, "outside-period", f"{self.annex.event.english} {event_date.isoformat()} is "
                      f"outside the period {self.period.label}", date=event_date.isoformat(), period=self.period.label)
        if birth_date is not None:
            self._birth(line_no, birth_date, event_date)
        resolved = self._code(line_no, code, event_date)
        if resolved is None or event_date is None:
            return None
        return resolved[0], resolved[1], event_date

    def _date(self, line_no: int, column: int, value: str) -> date | None:
        label = self.annex.columns[column - 1].english
        if not value:
            self._add(line_no, column, "empty-field", f"{label} is empty")
            return None
        try:
            reading = read_date(value, self.formats, full_width=self.profile.full_width)
        except DateError as error:
            self._add(line_no, column, error.code, f"{label}: {error.message}", value=_show(value))
            return None
        if reading.format in ERA_FORMATS:
            self._era(line_no, column, value, reading.value)
        return reading.value

    def _era(self, line_no: int, column: int, value: str, day: date) -> None:
        self.era_count += 1
        if self.first_era is None:
            self.first_era = (line_no, column, value, day)

    def _birth(self, line_no: int, birth: date, event: date | None) -> None:
        if event is not None and birth > event:
            self._add(line_no, 5, "birth-after-event", f"date of birth {birth.isoformat()} is after the "
                      f"{self.annex.event.english} {event.isoformat()}", birth=birth.isoformat(),
                      event=event.isoformat(), event_label=self.annex.event.label)
        elif birth > self.today:
            self._add(line_no, 5, "birth-in-future", f"date of birth {birth.isoformat()} is in the future",
                      birth=birth.isoformat())
        else:
            reference = event or self.today
            age = reference.year - birth.year - ((reference.month, reference.day) < (birth.month, birth.day))
            if age > MAX_AGE_YEARS:
                self._add(line_no, 5, "implausible-birth-date", f"date of birth {birth.isoformat()} makes the "
                          f"person {age} years old on {reference.isoformat()}", birth=birth.isoformat(), age=age,
                          on=reference.isoformat())

    def _code(self, line_no: int, raw: str, event: date | None) -> tuple[str, str] | None:
        if not raw:
            self._add(line_no, 2, "empty-field", "residence code is empty")
            return None
        code = halfwidth(raw) if self.profile.full_width else raw
        if not (5 <= len(code) <= 6 and code.isascii() and code.isdigit()):
            self._add(line_no, 2, "bad-code", f"residence code {_show(raw)} is not 6 digits (or 5 without the "
                      "check digit)", value=_show(raw))
            return None
        on = event or (self.period.last_day if self.period else self.today)
        try:
            resolution = resolve_insurer(code, on)
        except (RetiredCodeError, NotYetValidCodeError) as error:
            if event is None:
                return None  # without an event date the code's validity cannot be judged
            self._add(line_no, 2, _code_slug(error), f"residence code: {error.message}", **_code_facts(raw, error))
            return None
        except CodeError as error:
            self._add(line_no, 2, _code_slug(error), f"residence code: {error.message}", **_code_facts(raw, error))
            return None
        return self._route(line_no, code, resolution)

    def _route(self, line_no: int, code: str, resolution: Resolution) -> tuple[str, str]:
        """The row's keys (residence, insurer); counts the 5-digit codes and wards the notes name."""
        body, insurer = resolution.body, resolution.insurer
        if resolution.reading.digits_given == 5:
            self.five_digit_count += 1
            if any(note.startswith("leading zero restored") for note in resolution.reading.notes):
                self.lost_zero_count += 1
            if self.first_five_digit is None:
                self.first_five_digit = (line_no, code, body.code)
        if body.kind is BodyKind.WARD:
            seen = self.wards.get(body.code)
            if seen is None:
                self.wards[body.code] = [line_no, 1, body, insurer]
            else:
                seen[1] += 1
        return body.code, insurer.code

    def _closing_notes(self) -> None:
        # Routing depends on the code alone, so one note per distinct ward code says it all.
        for line_no, count, body, insurer in self.wards.values():
            rows = f"{count} row(s) with this code, the first on this line"
            if body.valid_to is None:
                self._add(line_no, 2, "ward-code", f"ward code {body.code} ({body.name}) routes to its city, "
                          f"insurer {insurer.code} {insurer.name}: {rows}", severity="note", ward=body.code,
                          name=body.name, insurer=insurer.code, insurer_name=insurer.name, count=count)
            else:
                self._add(line_no, 2, "retired-code-accepted", f"retired ward code {body.code} ({body.name}, in "
                          f"force until {body.valid_to.isoformat()}) accepted on rows dated up to then; routes "
                          f"to {insurer.code} {insurer.name}: {rows}", severity="note", ward=body.code,
                          name=body.name, valid_to=body.valid_to.isoformat(), insurer=insurer.code,
                          insurer_name=insurer.name, count=count)
        if self.first_five_digit is not None:
            line_no, given, code = self.first_five_digit
            message = (f"{self.five_digit_count} residence code(s) given with 5 digits; each was read as "
                       f"exactly one 6-digit code (first: {given} as {code})")
            if self.lost_zero_count:
                message += (f"; {self.lost_zero_count} of them lost their leading zero (prefectures 01-09), "
                            "as happens when a spreadsheet such as Excel saves codes as numbers: "
                            "export the code column as text")
            self._add(line_no, 2, "five-digit-code", message, severity="note", count=self.five_digit_count,
                      given=given, read_as=code, lost=self.lost_zero_count)
        if self.first_era is not None:
            line_no, column, given, value = self.first_era
            self._add(line_no, column, "era-date", f"{self.era_count} date(s) in Japanese-era form, read as Gregorian "
                      f"dates for checking (first: {given!r} as {value.isoformat()})", severity="note",
                      count=self.era_count, given=given, date=value.isoformat())


_BINARY_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel (.xls) or other Office file"),
    (b"%PDF-", "a PDF document"),
)


def _binary_kind(first_line: bytes) -> str | None:
    """What a file whose first line is ``first_line`` looks like, if it is not text."""
    for magic, kind in _BINARY_MAGIC:
        if first_line.startswith(magic):
            return kind
    if first_line.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # a UTF-16 mark: reported as an unsupported encoding
    if b"\x00" in first_line[:4096]:
        return "binary data (it holds NUL bytes)"
    return None


def _name_pattern(profile: Profile) -> re.Pattern[str]:
    allowed = _name_class(profile)
    return re.compile(f"(?=.*[A-Za-zＡ-Ｚａ-ｚ])[{allowed}]+" if profile.full_width else f"(?=.*[A-Za-z])[{allowed}]+")


def _name_offender(profile: Profile) -> re.Pattern[str]:
    return re.compile(f"[^{_name_class(profile)}]")


def _name_class(profile: Profile) -> str:
    punctuation = profile.name_punctuation
    if profile.full_width:
        punctuation += _fullwidth(punctuation) + ("\u3000" if " " in punctuation else "")
        return "A-Za-zＡ-Ｚａ-ｚ" + re.escape(punctuation)
    return "A-Za-z" + re.escape(punctuation)


def _fullwidth(text: str) -> str:
    """The full-width forms of the ASCII characters in ``text`` (space has none in U+FF00)."""
    return "".join(chr(ord(char) + 0xFEE0) for char in text if "!" <= char <= "~")


def _looks_like_record(fields: list[str]) -> bool:
    if len(fields) < 2:
        return False
    code = halfwidth(fields[1])
    return 5 <= len(code) <= 6 and code.isascii() and code.isdigit()


def _header_if_utf8(body: bytes, annex: int) -> bool:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return check_header(_split_fields(text, Quoting.EITHER)[0], annex).matches


def _utf8_field(value: str) -> bool:
    try:
        value.encode("cp932", "surrogateescape").decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return False
    return True


def _code_facts(raw: str, error: CodeError) -> dict[str, str]:
    """The code as given and, for a wrong check digit, the one it should have."""
    facts = {"value": _show(raw)}
    text = getattr(error, "code", None)
    if isinstance(error, CheckDigitError) and isinstance(text, str) and len(text) == 6:
        facts["expected"] = check_digit(text[:5])
    if isinstance(error, RetiredCodeError) and isinstance(text, str):
        facts["successors"] = ", ".join(f"{body.code} {body.name}" for body in successors_of(text)) or "-"
    return facts


def _code_slug(error: CodeError) -> str:
    if isinstance(error, NotAnInsurerError):
        return "tokyo-ward-area" if error.code == TOKYO_WARD_AREA else "prefecture-code"
    for cls, slug in _CODE_ERRORS:
        if isinstance(error, cls):
            return slug
    return "bad-code"


def _show(value: str) -> str:
    return repr(value) if len(value) <= SHOWN_VALUE_CHARS else repr(value[:SHOWN_VALUE_CHARS]) + "…"
