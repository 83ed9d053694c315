"""Cells a spreadsheet would run as a formula (CSV injection), one definition for every reader.

OWASP's CSV-injection guidance: a cell must not begin with ``=`` ``+`` ``-`` ``@``, TAB
(0x09) or CR (0x0D); spreadsheets also start formulas and DDE calls after a pipe
(``=cmd|' /C calc'!A0`` is often sent as ``|cmd``), and a locale whose list separator
is ``;`` splits ``;=1+1`` into a new cell starting with ``=``. Spreadsheets skip leading
spaces before deciding, so the check looks past them (ASCII space and the full-width
space U+3000), and past a LF as well. Japanese input methods type the full-width forms
(＝ ＋ － ＠ ｜ ；), which Excel reads as formulas too.

No field of an annex row can legitimately start with one of these after its leading
spaces: names are Latin letters (``O'NEIL``, ``MARY-JANE`` carry ``-`` inside only),
codes and dates start with a digit or an era letter, sex codes are ``1``/``2``/``男``/
``女``/``M``/``F``, and addresses start with a prefecture or a place name (``1-2-3``
keeps its hyphens inside). So rejecting them refuses no real row.

``validate`` (the general path), ``clean_rows`` (the fast path) and ``open`` (which
checks again what it is about to write) all use the definitions here.
"""

from __future__ import annotations

import re

# ASCII and full-width forms; TAB, CR and LF are also controls, reported as such too.
FORMULA_CHARACTERS = "=+-@|;\t\r\n＝＋－＠｜；"
LEADING_SPACES = " \u3000"
_START = frozenset(FORMULA_CHARACTERS)
# A cell (the line's start or after a comma), optional leading spaces, then a formula
# character: on an unquoted line this finds exactly the cells formula_start flags.
FORMULA_CELL = re.compile("(?:^|,)[ \u3000]*[=+\\-@|;\t\r\n＝＋－＠｜；]")
# The same, also after an opening double quote: a prefilter for quoted lines, whose
# hits are then confirmed cell by cell.
_FORMULA_CELL_QUOTED = re.compile('(?:^|,)"?[ \u3000]*[=+\\-@|;\t\r\n＝＋－＠｜；]', re.MULTILINE)


def formula_start(value: str) -> tuple[str, int] | None:
    """``(character, leading spaces)`` if a spreadsheet would read ``value`` as a formula."""
    stripped = value.lstrip(LEADING_SPACES)
    if stripped and stripped[0] in _START:
        return stripped[0], len(value) - len(stripped)
    return None


def describe(character: str, spaces: int) -> str:
    """The problem text for a cell :func:`formula_start` flagged."""
    after = f" after {spaces} leading space(s)" if spaces else ""
    return f"cell starts with {character!r}{after}, which spreadsheets treat as a formula (CSV injection)"


def formula_cells(data: bytes) -> list[tuple[int, int, str]]:
    """``(line, column, problem)`` for every formula cell in an annex file's bytes.

    ``data`` is a file as packages carry it (optional UTF-8 BOM, else CP932; a header
    line; rows separated by CRLF or LF). Lines are numbered as in the file (the header,
    whose cells are the agreement's fixed names, is line 1). A clean file costs one
    regular-expression scan; only lines it hits are split into cells.
    """
    from secxfer.domain.profiles import Quoting
    from secxfer.domain.cells import split_fields

    bom = data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8", "replace") if bom else data.decode("cp932", "replace")
    found: list[tuple[int, int, str]] = []
    line_no, counted_to, last_line = 1, 0, 0
    lines: list[str] | None = None
    for match in _FORMULA_CELL_QUOTED.finditer(text):
        line_no += text.count("\n", counted_to, match.start())
        counted_to = match.start()
        if line_no == last_line:
            continue
        last_line = line_no
        if lines is None:
            lines = text.split("\n")
        fields, _ = split_fields(lines[line_no - 1].removesuffix("\r"), Quoting.EITHER)
        for column, value in enumerate(fields, start=1):
            flagged = formula_start(value)
            if flagged is not None:
                found.append((line_no, column, describe(*flagged)))
    return found
