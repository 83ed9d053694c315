"""CSV injection: cells a spreadsheet would run are refused by validate and again by open.

OWASP's guidance (= + - @ TAB CR at a cell's start), the pipe and semicolon forms, the
full-width forms a Japanese IME types, and all of them behind leading spaces (ASCII or
U+3000), which spreadsheets skip. Real data (names with inner hyphens, addresses such
as 1-2-3, every date form) must still pass. ``open`` checks the rows it is about to
write even though the agency validated them: a signature proves who sent the data,
not that it is safe to open in a spreadsheet.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secxfer.domain.errors import FormulaCellError
from secxfer.domain.formula import formula_cells, formula_start
from secxfer.errors import EXIT_REJECTED

PERIOD = "2026-10"
HEADER = "氏名(英字),住居地(地方公共団体コード),住居地,性別,生年月日,入国年月日(上陸年月日)"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

ATTACKS = [" =1+1", "  =1+1", "|cmd", "=cmd|' /C calc'!A0", ";=1+1", "\t=1", "\r=1", " \t東京", "\u3000＝1+1",
           "\u3000 ＋81", "＠SUM(A1)", "－1", "｜cmd", "；=1", "@SUM(A1)", "+81 3", "-1"]
LEGITIMATE = ["NGUYEN VAN ANH", "O'NEIL MARY-JANE", " LEE", "ＮＧＵＹＥＮ\u3000ＡＮＨ", "東京都港区芝公園1-2-3",
              "大阪府大阪市北区梅田１－２－３ ハイツ101号室", "北海道札幌市中央区北1条西2丁目", "1995-01-01", "R08.10.05",
              "2026/10/05", "131016", "男", "1", "東京都千代田区千代田1-1 =棟", "A-1"]


@pytest.mark.parametrize("value", ATTACKS)
def test_formula_starts_behind_leading_spaces_are_found(value):
    assert formula_start(value) is not None


@pytest.mark.parametrize("value", LEGITIMATE)
def test_real_data_is_not_a_formula(value):
    assert formula_start(value) is None


def test_validate_rejects_each_attack_with_file_line_column(run_cli, tmp_path):
    rows = [f"NGUYEN VAN ANH,131016,{address},1,19950101,20261005" for address in ATTACKS if "\r" not in address]
    (tmp_path / "a1.csv").write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp932", "replace"))
    out, _ = run_cli("validate", "--annex", "1", "--period", PERIOD, tmp_path / "a1.csv", code=EXIT_REJECTED)
    flagged = {line for line in range(2, len(rows) + 2) if f"a1.csv:{line}:3: error: cell starts with" in out}
    assert flagged == set(range(2, len(rows) + 2))
    assert "a1.csv:2:3: error: cell starts with '=' after 1 leading space(s), which spreadsheets treat" in out


def test_validate_accepts_real_addresses_and_names(run_cli, tmp_path):
    rows = ["O'NEIL MARY-JANE,131016,東京都港区芝公園1-2-3,1,1995-01-01,2026-10-05",
            " LEE,131016,東京都千代田区千代田１－１ ハイツ101号室,2,R070101,R08.10.05",
            "NGUYEN-TRAN,131016,東京都千代田区千代田1-1 =棟,M,1995/1/1,2026/10/5"]
    (tmp_path / "a1.csv").write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp932"))
    out, _ = run_cli("validate", "--annex", "1", "--period", PERIOD, tmp_path / "a1.csv")
    assert "formula" not in out


def test_formula_cells_reads_quoted_cells_by_their_content():
    data = "\r\n".join([HEADER, 'A,131016,"東京,=1+1",1,19950101,20261005', 'A,131016," =1",1,19950101,20261005',
                        "A,131016,東京都,1,19950101,20261005", "|B,131016,東京都,1,19950101,20261005"])
    found = formula_cells(data.encode("cp932") + b"\r\n")
    assert [(line, column) for line, column, _ in found] == [(3, 3), (5, 1)]
    utf8 = b"\xef\xbb\xbf" + "\n".join([HEADER, "A,131016,\u3000＝1,1,19950101,20261005"]).encode() + b"\n"
    assert [(line, column) for line, column, _ in formula_cells(utf8)] == [(2, 3)]


# -- a package that carries one: open refuses it ---------------------------------------


@pytest.fixture(scope="module")
def hostile_package(tmp_path_factory):
    """An agency whose validation was switched off seals a row with ' =1+1' as the address."""
    from secxfer.chain.relay import relay_without_trail as relay
    from secxfer.chain.seal import seal_without_trail as seal
    from secxfer.domain import annex_fields, clean_rows
    from secxfer.domain.sample import generate_sample
    from secxfer.testing.network import build_network

    root = tmp_path_factory.mktemp("formula")
    network = build_network(root, insurer_codes=["131016"], now=NOW)
    sample = generate_sample(root / "source", period=PERIOD, rows=12, seed=3, insurers=["131016"])
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    lines = files[1].read_bytes().split(b"\r\n")
    cells = lines[2].split(b",")
    cells[2] = " =1+1".encode("cp932")
    lines[2] = b",".join(cells)
    files[1].write_bytes(b"\r\n".join(lines))
    with pytest.MonkeyPatch.context() as patch:  # the insider's modified copy of secxfer
        import re

        patch.setattr(annex_fields, "formula_start", lambda value: None)
        patch.setattr(clean_rows, "_FORMULA_CELL", re.compile("(?!)"))
        sealed = seal(annex_files=files, period=PERIOD, key=network.secrets["agency"], home=network.home("agency"),
                      out=root / "media", now=NOW)
    k = network.secrets
    (to_fed,) = [o for o in relay(sealed.package.path, key=k["central"], home=network.home("central"),
                                  out=root / "media", now=NOW).outputs if o.recipient == "fed-13"]
    (to_mun,) = relay(to_fed.path, key=k["fed-13"], home=network.home("fed-13"), out=root / "media", now=NOW).outputs
    return network, to_mun.path


def test_open_refuses_a_signed_package_with_a_formula_cell(hostile_package, tmp_path):
    import shutil

    from secxfer.chain.open import open_without_trail as open_package

    network, package = hostile_package
    home = tmp_path / "home"
    shutil.copytree(network.home("mun-131016"), home)
    with pytest.raises(FormulaCellError, match=r"annex1\.csv:3:3: cell starts with '=' after 1 leading space"):
        open_package(package, key=network.secrets["mun-131016"], home=home, out=tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["home"]  # no staging folder left either


def test_open_through_the_cli_exits_4_naming_file_and_line(hostile_package, tmp_path, run_cli):
    import shutil

    network, package = hostile_package
    home = tmp_path / "home"
    shutil.copytree(network.home("mun-131016"), home)
    _, err = run_cli("open", package, "--key", network.key_path("mun-131016"), "--home", home,
                     "--out", tmp_path / "out", code=EXIT_REJECTED)
    assert "annex1.csv:3:3: cell starts with '='" in err and "do not open these files in a spreadsheet" in err
    assert not (tmp_path / "out").exists()
