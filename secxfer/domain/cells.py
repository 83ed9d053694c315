"""Splitting one decoded CSV line into its cells, with the quoting problems found on the way.

The annex reader and the formula check at open both split lines here, so they see the
same cells.
"""

from __future__ import annotations

from secxfer.domain.profiles import Quoting


def split_fields(text: str, quoting: Quoting) -> tuple[list[str], list[tuple[int, str]]]:
    """Split one decoded line into cells; returns (cells, [(column, quoting problem)])."""
    trouble: list[tuple[int, str]] = []
    if '"' not in text:
        fields = text.split(",")
        if quoting is Quoting.ALL and text:
            trouble.append((1, "field is not in double quotes; this profile quotes every field"))
        return fields, trouble
    fields = []
    position, size = 0, len(text)
    while True:
        column = len(fields) + 1
        if position < size and text[position] == '"':
            if quoting is Quoting.NONE:
                trouble.append((column, "field is in double quotes; this profile allows none"))
            end = position + 1
            while True:
                end = text.find('"', end)
                if end < 0 or end + 1 >= size or text[end + 1] != '"':
                    break
                end += 2
            if end < 0:
                trouble.append((column, "double quote opened but never closed on this line"))
                fields.append(text[position + 1:].replace('""', '"'))
                return fields, trouble
            fields.append(text[position + 1:end].replace('""', '"'))
            position = end + 1
            if position >= size:
                return fields, trouble
            if text[position] != ",":
                trouble.append((column, "characters after the closing double quote"))
                position = text.find(",", position)
                if position < 0:
                    return fields, trouble
            position += 1
            if position >= size:
                fields.append("")
                return fields, trouble
            continue
        comma = text.find(",", position)
        value = text[position:] if comma < 0 else text[position:comma]
        if '"' in value:
            trouble.append((column, "double quote inside an unquoted field"))
        elif quoting is Quoting.ALL:
            trouble.append((column, "field is not in double quotes; this profile quotes every field"))
        fields.append(value)
        if comma < 0:
            return fields, trouble
        position = comma + 1
