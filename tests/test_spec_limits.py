"""The limits table of docs/format.md §3 is the code's: every named bound, its value.

Another team implements a reader from the documents alone; a limit the code enforces
but the table misstates (or omits) would make the two disagree on which input to
refuse. The table is parsed here and each row compared with the constant it names.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from secxfer.errors import FormatError
import secxfer.limits
import secxfer.trust.directory.drafts as drafts
from secxfer.trust.directory.verify import decode_directory_payload

FORMAT_MD = Path(__file__).resolve().parents[1] / "docs" / "format.md"
ROW = re.compile(r"^\| `(?P<name>[A-Z][A-Z0-9_]+)` \| (?P<value>[0-9,]+) \| (?P<what>[^|]+) \| `(?P<module>secxfer[a-z_.]*)` \|$")


def limits_table() -> dict[str, tuple[int, str]]:
    text = FORMAT_MD.read_text(encoding="utf-8")
    section = text.split("\n## 3. Limits\n", 1)[1].split("\n## 4.", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            assert match["name"] not in rows, f"{match['name']} is listed twice"
            rows[match["name"]] = (int(match["value"].replace(",", "")), match["module"])
    return rows


def test_the_table_is_found_and_not_trivially_short():
    assert len(limits_table()) >= 30


@pytest.mark.parametrize("name", sorted(limits_table()))
def test_each_documented_limit_equals_the_constant_in_code(name):
    value, module = limits_table()[name]
    assert getattr(importlib.import_module(module), name) == value, f"{module}.{name}"


def test_every_limit_of_secxfer_limits_is_documented():
    documented = limits_table()
    named = {n for n in vars(secxfer.limits) if n.isupper() and n not in ("KIB", "MIB", "GIB")}
    assert named - documented.keys() == set()
    assert all(documented[n][1] == "secxfer.limits" for n in named)


def test_the_authority_cannot_sign_a_directory_no_reader_accepts(tmp_path, monkeypatch):
    """format.md §3: a directory whose file (with its signatures to come) would exceed
    DIRECTORY_MAX_BYTES is refused at signing, so every signed directory is readable."""
    from secxfer.testing.network import build_network

    network = build_network(tmp_path, insurer_codes=["131016"])
    directory = decode_directory_payload(network.signed_directory)
    roots = [network.secrets["root-1"], network.secrets["root-2"]]
    size = len(drafts.sign_directory(directory, roots))
    monkeypatch.setattr(drafts, "DIRECTORY_MAX_BYTES", size + drafts.SIGNED_HEADER_MAX_BYTES - 1)
    with pytest.raises(FormatError, match="DIRECTORY_MAX_BYTES"):
        drafts.sign_directory(directory, roots)
    draft = drafts.draft_bytes(directory)
    monkeypatch.setattr(drafts, "DIRECTORY_MAX_BYTES", len(draft) + drafts.SIGNED_HEADER_MAX_BYTES - 1)
    with pytest.raises(FormatError, match="DIRECTORY_MAX_BYTES"):
        drafts.sign_draft(draft, roots[:1])
    monkeypatch.setattr(drafts, "DIRECTORY_MAX_BYTES", size + drafts.SIGNED_HEADER_MAX_BYTES)
    assert drafts.sign_directory(directory, roots)
