"""Errors of the domain wing: local-government codes, periods, the holiday file.

Every message names the offending value and says exactly what is wrong; the hint
says what to do. All code and period errors are input rejections (exit code 4).
"""

from __future__ import annotations

from secxfer.errors import InputRejectedError, UsageError


class CodeError(InputRejectedError):
    """A 全国地方公共団体コード that cannot be used as given.

    ``code`` holds the code in question (the normalized 6-digit form when one could
    be read, else the raw text) so a caller can report it without parsing messages.
    """

    default_hint = "check the local-government code (全国地方公共団体コード) at the source"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


class MalformedCodeError(CodeError):
    """Not 5 or 6 digits after normalization."""

    default_hint = "a local-government code is 6 digits (or the 5-digit form without check digit)"


class CheckDigitError(CodeError):
    """Six digits whose last digit is not the check digit of the first five."""

    default_hint = "the code was probably mistyped; take it again from the source record"


class UnknownCodeError(CodeError):
    """A well-formed code that names no body in the reference table."""

    default_hint = "use a code from 総務省「全国地方公共団体コード」 (see docs/municipalities.md)"


class AmbiguousCodeError(CodeError):
    """Five digits that name one body read one way and another body read the other way."""

    default_hint = "export the code as 6 digits, as text, so that no leading zero is lost"


class NotAnInsurerError(CodeError):
    """A real code that is not a National Health Insurance insurer (prefectures, 13100)."""

    default_hint = "use the code of the municipality or special ward the person lives in"


class RetiredCodeError(CodeError):
    """A code that was no longer in force on the date that matters."""

    default_hint = "use the code in force on that date"


class NotYetValidCodeError(CodeError):
    """A code that was not yet in force on the date that matters."""

    default_hint = "use the code in force on that date"


class FormulaCellError(InputRejectedError):
    """Annex data carrying a cell that a spreadsheet would run as a formula (CSV injection).

    ``cells`` lists ``(file, line, column)`` of every such cell found.
    """

    default_hint = ("do not open these files in a spreadsheet; ask the sender to correct the rows at the "
                    "source, validate them and seal again")

    def __init__(self, message: str, *, cells: tuple[tuple[str, int, int], ...] = (), hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.cells = cells


class PeriodError(UsageError):
    """A period (data month or range of months) that is malformed or not allowed.

    A usage error (exit 2): a period is what the operator types, not data to reject.
    """

    default_hint = "give a period as YYYY-MM, YYYY-MM..YYYY-MM or YYYY-MM.. (from 2019-04 on)"


class CalendarRangeError(UsageError):
    """A date outside the years the holiday data covers."""

    default_hint = "the national holiday list covers a limited range of years; pick a date inside it"


class HolidayFileError(UsageError):
    """A holiday override file that does not follow the documented format."""

    default_hint = "see docs/calendar.md for the override file format"
