"""``secxfer validate`` and ``secxfer sample``: exit codes, output lines, the JSON report."""

from __future__ import annotations

import json

from secxfer.cli import run
from secxfer.domain.annex import ANNEXES

GOOD = "NGUYEN VAN ANH,131016,東京都千代田区千代田1-1,1,19950101,20261005"
WARD = "TRAN THI MAI,141011,神奈川県横浜市鶴見区本町2-3,2,R020319,20261010"


def write(path, *rows):
    path.write_bytes("".join(line + "\r\n" for line in (ANNEXES[1].header, *rows)).encode("cp932"))
    return str(path)


def test_valid_file_exits_0_with_summary(tmp_path, capsys):
    path = write(tmp_path / "a.csv", GOOD, WARD)
    assert run(["validate", "--annex", "1", "--period", "2026-10", path]) == 0
    out = capsys.readouterr().out
    assert f"{path}:3:2: note: ward code 141011" in out
    assert "OK: 別紙1" in out and "rows 2 · accepted 2 · rejected 0" in out
    assert "141003 1  横浜市" in out and "total 2 rows for 2 insurers" in out
    assert "NGUYEN" not in out  # the summary carries counts, never row contents


def test_rejected_rows_exit_4_with_located_errors(tmp_path, capsys):
    path = write(tmp_path / "a.csv", GOOD, GOOD.replace("131016", "131017"), "")
    assert run(["validate", "--annex", "1", "--period", "2026-10", "--no-notes", path]) == 4
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith(f"{path}:3:2: error: residence code:") and lines[0].endswith("[bad-check-digit]")
    assert lines[1] == f"{path}:4:1: error: empty line [empty-line]"
    assert "REJECTED" in captured.out and "rejected 2" in captured.out
    assert captured.err.startswith("secxfer: error: 2 of 3 rows rejected") and "Traceback" not in captured.err


def test_json_report(tmp_path, capsys):
    good = write(tmp_path / "good.csv", GOOD, WARD)
    bad = write(tmp_path / "bad.csv", GOOD.replace("20261005", "20261105"))
    assert run(["validate", "--annex", "1", "--period", "2026-10", "--json", good, bad]) == 4
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert (report["rows"], report["accepted"], report["rejected"]) == (3, 2, 1)
    assert report["insurer_counts"] == {"131016": 1, "141003": 1}
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert errors == [{"source": bad, "line": 2, "column": 6, "code": "outside-period",
                       "message": errors[0]["message"], "severity": "error",
                       "facts": {"date": "2026-11-05", "period": "2026-10", "column_label": "入国年月日(上陸年月日)",
                                 "annex": "1"}}]
    assert [f["source"] for f in report["files"]] == [good, bad]


def test_json_report_for_a_valid_file_exits_0(tmp_path, capsys):
    path = write(tmp_path / "a.csv", GOOD)
    assert run(["validate", "--annex", "1", "--json", path]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_usage_and_missing_files(tmp_path, capsys):
    path = write(tmp_path / "a.csv", GOOD)
    assert run(["validate", "--annex", "4", path]) == 2
    assert run(["validate", "--annex", "1", "--profile", "nope", path]) == 2
    assert run(["validate", "--annex", "1", str(tmp_path / "missing.csv")]) == 1
    assert run(["validate", "--annex", "1", "--period", "2026-13", path]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_many_insurers_are_summarised_as_top_n(tmp_path, capsys):
    rows = [GOOD.replace("131016", code) for code in ("131024", "131032", "131041", "131059")]
    path = write(tmp_path / "a.csv", *rows, GOOD, GOOD)
    assert run(["validate", "--annex", "1", "--top", "2", path]) == 0
    out = capsys.readouterr().out
    assert "(top 2 of 5)" in out and "… 3 more insurers: 3 rows" in out and "total 6 rows for 5 insurers" in out


def test_sample_then_validate(tmp_path, capsys):
    out_dir = tmp_path / "s"
    assert run(["sample", "--out", str(out_dir), "--period", "2026-10", "--rows", "200", "--invalid", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{out_dir / 'annex1_2026-10.csv'}\t101 rows"
    invalid = [line for line in lines if line.startswith("invalid: ")]
    assert len(invalid) == 3
    assert run(["validate", "--annex", "1", "--period", "2026-10", str(out_dir / "annex1_2026-10.csv")]) == 4
    # Writing again refuses to overwrite.
    assert run(["sample", "--out", str(out_dir), "--period", "2026-10", "--rows", "10"]) == 1


def test_help_has_examples(capsys):
    assert run(["validate", "--help"]) == 0
    assert "secxfer validate --annex 1 --period 2026-10" in capsys.readouterr().out
    assert run(["sample", "--help"]) == 0
    assert "secxfer sample --out" in capsys.readouterr().out
