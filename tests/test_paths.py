"""Names inside packages never become paths; links on media are not followed; outputs are private.

The container allows a closed set of entry names in one order, and ``open`` writes
only its own three fixed file names, so nothing a package says can steer a write.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.chain import container
from secxfer.errors import FormatError

ALLOWED = ["trust", *(f"manifest-{i}" for i in range(8)), "leaves", "annex1.csv", "annex2.csv", "annex3.csv"]
HOSTILE = [
    "../annex1.csv", "..", ".", "/etc/passwd", "/annex1.csv", "annex1.csv/", "sub/annex1.csv",
    "..\\annex1.csv", "C:annex1.csv", "C:\\Windows\\annex1.csv", "\\\\server\\share\\annex1.csv",
    "CON", "PRN", "NUL", "AUX", "COM1", "LPT1", "CON.csv", "nul.annex1.csv", "annex1.csv.", "annex1.csv ",
    "Annex1.csv", "ANNEX1.CSV", "TRUST", "annex1.csv\x00.txt", "annex1.csv\n", "trust\r",
    "ａnnex1.csv", "annex１.csv", "annex1․csv", "annex1.csv\u200b", "\u202eannex1.csv", "tru\u0073\u0323t",
    "manifest-8", "manifest-01", "manifest--1", "annex4.csv", "annex0.csv", "leaves.json", "",
]


def _container(*names: bytes, data: bytes = b"x") -> bytes:
    body = b"".join(struct.pack(">H", len(n)) + n + struct.pack(">Q", len(data)) + data for n in names)
    return container.MAGIC + body + b"\0\0"


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_entry_names_are_refused_by_reader_and_writer(name):
    raw = name.encode("utf-8", "surrogatepass")
    with pytest.raises(FormatError):
        container.parse(_container(raw))
    with pytest.raises(FormatError):  # behind a valid first entry too
        container.parse(_container(b"trust", raw))
    with pytest.raises(ValueError):
        container.entry_header(name, 1)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=24), st.binary(max_size=24).map(lambda b: b.decode("latin-1"))))
def test_only_the_closed_set_of_names_parses(name):
    raw = name.encode("utf-8", "surrogatepass")
    try:
        entries = container.parse(_container(raw))
    except FormatError:
        assert name not in ALLOWED or len(raw) == 0
    else:
        assert list(entries) == [name] and name in ALLOWED


def test_entries_parse_only_in_the_writers_order():
    ordered = [n.encode() for n in ALLOWED]
    assert list(container.parse(_container(*ordered))) == ALLOWED
    for i in range(len(ordered) - 1):
        swapped = list(ordered)
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        with pytest.raises(FormatError, match="out of order|twice"):
            container.parse(_container(*swapped))
    # gaps are allowed by the framing (which entries are required is the reader's business)
    assert list(container.parse(_container(b"trust", b"manifest-2", b"annex3.csv"))) == ["trust", "manifest-2", "annex3.csv"]
