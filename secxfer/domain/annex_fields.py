"""The annex reader's checks of one row's cells and typed columns, and its closing notes.

A mixin of :class:`secxfer.domain.annex_reader.AnnexReader`: the reader owns the pass
over the file (encoding, terminators, header, row counting); these methods judge the
six cells of a row (any-column checks, name, sex, dates, the residence code and its
routing) and, at the end, word the notes that summarise a file (ward codes, 5-digit
codes, era dates). They use the reader's state and its ``_add``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from secxfer.domain.annex_checks import (
    CONTROL,
    MAX_AGE_YEARS,
    PRIVATE_USE,
    UNDECODABLE,
    code_facts,
    code_slug,
    show,
    utf8_field,
)
from secxfer.domain.dates import ERA_FORMATS, DateError, halfwidth, read_date
from secxfer.domain.errors import CodeError, NotYetValidCodeError, RetiredCodeError
from secxfer.domain.formula import describe as describe_formula
from secxfer.domain.formula import formula_start
from secxfer.domain.municipalities import BodyKind, Resolution, resolve_insurer

if TYPE_CHECKING:
    import re

    from secxfer.domain.annex import Annex
    from secxfer.domain.period import Period
    from secxfer.domain.profiles import Profile


class FieldChecks:
    """Cell and column checks; mixed into the reader, whose state they read and update."""

    annex: Annex
    period: Period | None
    profile: Profile
    today: date
    formats: frozenset[str]
    name_ok: re.Pattern[str]
    name_bad: re.Pattern[str]
    first_five_digit: tuple[int, str, str] | None
    five_digit_count: int
    lost_zero_count: int
    first_era: tuple[int, int, str, date] | None
    era_count: int
    wards: dict[str, list]

    def _add(self, line: int, column: int, code: str, message: str, severity: str = "error", **facts: object) -> None:
        raise NotImplementedError

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
            if UNDECODABLE.search(value):
                message = f"bytes that are not valid {encoding.upper()}"
                suggest = {}
                if encoding == "cp932" and utf8_field(value):
                    message += " (they look like UTF-8)"
                    suggest = {"suggested_profile": "utf-8"}  # a front end says how to choose it
                self._add(line_no, column, "undecodable-bytes", message, encoding=encoding.upper(), **suggest)
                continue
            control = CONTROL.search(value)
            if control:
                self._add(line_no, column, "control-character", f"control or invisible character "
                          f"U+{ord(control.group()):04X} at position {control.start() + 1}",
                          codepoint=f"U+{ord(control.group()):04X}", position=control.start() + 1)
            private = PRIVATE_USE.search(value)
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
            self._add(line_no, 4, "bad-sex", f"sex {show(sex)} is not one of {', '.join(profile.sex_codes)}",
                      value=show(sex), allowed=", ".join(profile.sex_codes))
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
            self._add(line_no, column, error.code, f"{label}: {error.message}", value=show(value))
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
            self._add(line_no, 2, "bad-code", f"residence code {show(raw)} is not 6 digits (or 5 without the "
                      "check digit)", value=show(raw))
            return None
        on = event or (self.period.last_day if self.period else self.today)
        try:
            resolution = resolve_insurer(code, on)
        except (RetiredCodeError, NotYetValidCodeError) as error:
            if event is None:
                return None  # without an event date the code's validity cannot be judged
            self._add(line_no, 2, code_slug(error), f"residence code: {error.message}", **code_facts(raw, error))
            return None
        except CodeError as error:
            self._add(line_no, 2, code_slug(error), f"residence code: {error.message}", **code_facts(raw, error))
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
