"""What the annex reader checks, and the small tests it applies to lines and cells.

The problem codes with their English meaning (docs and the ja/en findings catalog
follow them), the per-file limits, the character classes a cell is searched for, and
the helpers that judge one value (a name's characters, a binary file's first line, a
code error's slug and facts). The reader (``secxfer.domain.annex_reader``) applies
them; ``secxfer.domain.validate`` is the public face.
"""

from __future__ import annotations

import re

from secxfer.domain.annex import check_header
from secxfer.domain.cells import split_fields
from secxfer.domain.dates import halfwidth
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
from secxfer.domain.municipalities import TOKYO_WARD_AREA, check_digit, successors_of
from secxfer.domain.profiles import Profile, Quoting

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

NEWLINE_NAMES = {b"\r\n": "CRLF", b"\n": "LF"}
# Controls, lone surrogates (undecodable bytes under surrogateescape), invisible
# formatting and bidirectional overrides, and private-use characters (外字).
SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
    "\udc80-\udcff\ue000-\uf8ff]"
)
UNDECODABLE = re.compile("[\udc80-\udcff]")
CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
CODE_ERRORS: tuple[tuple[type[CodeError], str], ...] = (
    (MalformedCodeError, "bad-code"),
    (CheckDigitError, "bad-check-digit"),
    (UnknownCodeError, "unknown-code"),
    (AmbiguousCodeError, "ambiguous-code"),
    (RetiredCodeError, "retired-code"),
    (NotYetValidCodeError, "code-not-yet-valid"),
)


_BINARY_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel (.xls) or other Office file"),
    (b"%PDF-", "a PDF document"),
)


def binary_kind(first_line: bytes) -> str | None:
    """What a file whose first line is ``first_line`` looks like, if it is not text."""
    for magic, kind in _BINARY_MAGIC:
        if first_line.startswith(magic):
            return kind
    if first_line.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # a UTF-16 mark: reported as an unsupported encoding
    if b"\x00" in first_line[:4096]:
        return "binary data (it holds NUL bytes)"
    return None


def name_pattern(profile: Profile) -> re.Pattern[str]:
    allowed = _name_class(profile)
    return re.compile(f"(?=.*[A-Za-zＡ-Ｚａ-ｚ])[{allowed}]+" if profile.full_width else f"(?=.*[A-Za-z])[{allowed}]+")


def name_offender(profile: Profile) -> re.Pattern[str]:
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


def looks_like_record(fields: list[str]) -> bool:
    if len(fields) < 2:
        return False
    code = halfwidth(fields[1])
    return 5 <= len(code) <= 6 and code.isascii() and code.isdigit()


def header_if_utf8(body: bytes, annex: int) -> bool:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return check_header(split_fields(text, Quoting.EITHER)[0], annex).matches


def utf8_field(value: str) -> bool:
    try:
        value.encode("cp932", "surrogateescape").decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return False
    return True


def code_facts(raw: str, error: CodeError) -> dict[str, str]:
    """The code as given and, for a wrong check digit, the one it should have."""
    facts = {"value": show(raw)}
    text = getattr(error, "code", None)
    if isinstance(error, CheckDigitError) and isinstance(text, str) and len(text) == 6:
        facts["expected"] = check_digit(text[:5])
    if isinstance(error, RetiredCodeError) and isinstance(text, str):
        facts["successors"] = ", ".join(f"{body.code} {body.name}" for body in successors_of(text)) or "-"
    return facts


def code_slug(error: CodeError) -> str:
    if isinstance(error, NotAnInsurerError):
        return "tokyo-ward-area" if error.code == TOKYO_WARD_AREA else "prefecture-code"
    for cls, slug in CODE_ERRORS:
        if isinstance(error, cls):
            return slug
    return "bad-code"


def show(value: str) -> str:
    return repr(value) if len(value) <= SHOWN_VALUE_CHARS else repr(value[:SHOWN_VALUE_CHARS]) + "…"
