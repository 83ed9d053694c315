"""The pass over one annex file: layout, lines, header, rows; problems collected as it goes.

``AnnexReader`` reads a binary stream line by line under an input profile: the byte-
order mark and encoding, each line's terminator, whether line 1 is the header, then
each row (the fast path of ``secxfer.domain.clean_rows`` for rows with nothing to
report, else the cell and column checks of ``secxfer.domain.annex_fields``). It keeps
the accepted rows' exact bytes and routing keys and a bounded list of problems.
Use it through ``secxfer.domain.validate`` (``read_annex``, ``validate_files``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import BinaryIO

from secxfer.domain.annex import (
    COLUMN_COUNT,
    AnnexReading,
    AnnexRow,
    Problem,
    check_header,
    get_annex,
    looks_like_header,
)
from secxfer.domain.annex_checks import (
    ANNEX_MAX_ERRORS,
    ANNEX_MAX_NOTES,
    NEWLINE_NAMES,
    SUSPECT,
    binary_kind,
    header_if_utf8,
    looks_like_record,
    name_offender,
    name_pattern,
    show,
)
from secxfer.domain.annex_fields import FieldChecks
from secxfer.domain.annex_lines import annex_lines
from secxfer.domain.cells import split_fields
from secxfer.domain.clean_rows import CleanRow, CleanRowReader
from secxfer.domain.period import Period, parse_period, tokyo_today
from secxfer.domain.profiles import UTF8_BOM, BomRule, HeaderRule, NewlineRule, Profile, get_profile
from secxfer.limits import CSV_MAX_ROWS


def as_period(period: Period | str | None) -> Period | None:
    if period is None or isinstance(period, Period):
        return period
    return parse_period(period)


class AnnexReader(FieldChecks):
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
        on_row: Callable[[str, bytes], object] | None = None,
    ) -> None:
        self.annex = get_annex(annex)
        self.period = as_period(period)
        self.profile = get_profile(profile)
        self.source = source
        self.today = today if today is not None else tokyo_today()
        self.keep_rows = keep_rows
        self.on_row = on_row  # given each accepted row's insurer and bytes as it is read
        self.formats = frozenset(self.profile.date_formats)
        self.name_ok = name_pattern(self.profile)
        self.name_bad = name_offender(self.profile)
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
                clean = self.clean.read(text)  # type: ignore[union-attr]  # quiet is empty without it
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
            fields, trouble = split_fields(text, self.profile.quoting)
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
        binary = binary_kind(body)
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
            self._add(line_no, 1, "wrong-newline", f"line ends in {NEWLINE_NAMES[terminator]}; profile "
                      f"{self.profile.name!r} requires {rule.value.upper()}",
                      found=NEWLINE_NAMES[terminator], required=rule.value.upper(), profile=self.profile.name)
        elif self.newline is not None and terminator != self.newline:
            self._add(line_no, 1, "mixed-newlines", f"line ends in {NEWLINE_NAMES[terminator]} but the file's "
                      f"lines end in {NEWLINE_NAMES[self.newline]}",
                      found=NEWLINE_NAMES[terminator], first=NEWLINE_NAMES[self.newline])
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
            self._add(1, COLUMN_COUNT, "wrong-annex", f"the header names {show(fields[5])}, the event of "
                      f"別紙{check.other_annex}, but this is being read as 別紙{self.annex.number}",
                      other_annex=check.other_annex)
            return True, body
        if rule is HeaderRule.OPTIONAL or looks_like_record(fields):
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
            message = f"header column {column} is {show(found)}, expected {expected!r}"
        if encoding == "cp932" and header_if_utf8(body, self.annex.number):
            message += "; the file looks like UTF-8 without a byte-order mark"
            suggest = {"suggested_profile": "utf-8"}  # a front end says how to choose it
        else:
            suggest = {}
        self._add(1, column, "wrong-header", message, number=column, expected=expected or "",
                  found=show(found) if found is not None else "", count=len(fields), **suggest)
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
        self._cells(line_no, fields, encoding, suspect=SUSPECT.search(text) is not None)
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
            if self.on_row is not None:
                self.on_row(insurer, body)
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
        if self.on_row is not None:
            self.on_row(insurer, body)
        self.rows_read += 1
