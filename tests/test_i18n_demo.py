"""The demo's progress notes and summary in English and Japanese, compared with the catalog."""

from __future__ import annotations

import json

import pytest

from secxfer.cli import run
from secxfer.cli.i18n import catalog
from secxfer.testing.demo import NOTE_ENGLISH, DemoNote


def msg(key: str, lang: str, **values) -> str:
    text = catalog()[key][lang]
    return text.format(**values) if values else text


@pytest.fixture(autouse=True)
def _english_afterwards(english_afterwards):
    """Every test here may switch the language."""


def test_every_demo_note_stage_is_in_the_catalog_with_the_libraries_english():
    for stage, english in NOTE_ENGLISH.items():
        assert catalog()[f"demo.note.{stage}"]["en"] == english, stage


def test_a_note_prints_as_its_english_line():
    note = DemoNote("seal", {"sealed": 40, "withheld": 2})
    assert str(note) == "seal: 40 rows sealed, 2 withheld (no consent)"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_demo_notes_and_summary_follow_the_language(tmp_path, capsys, monkeypatch, lang):
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert run(["--lang", lang, "demo", "--workdir", str(tmp_path / "d"), "--municipalities", "2", "--rows", "40"]) == 0
    out, err = capsys.readouterr()
    notes = [line.strip() for line in err.splitlines()]
    assert msg("demo.note.keys", lang, municipalities=2) in notes
    period = json.loads((tmp_path / "d" / "demo-summary.json").read_text(encoding="utf-8"))["period"]
    assert msg("demo.note.data", lang, rows=40, period=period) in notes
    assert msg("demo.note.relay_central", lang, packages=47) in notes
    assert msg("demo.note.relay_open", lang, done=47, total=47, federation="fed-47", municipalities=0) in notes
    assert msg("demo.note.receipts_start", lang) in notes
    # The status table inside the summary is worded in the same language.
    assert msg("status.columns", lang) in out and msg("status.no_problems", lang) in out
    assert msg("demo.repeat", lang) in out
    other = "ja" if lang == "en" else "en"
    assert msg("demo.note.receipts_start", other) not in err


def test_a_long_status_table_in_the_demo_hides_confirmed_municipalities_in_japanese(tmp_path, capsys):
    assert run(["--lang", "ja", "demo", "--workdir", str(tmp_path / "d"), "--municipalities", "8", "--rows", "60"]) == 0
    out = capsys.readouterr().out
    hidden = [line for line in out.splitlines() if line.strip().startswith("… ")]
    (line,) = hidden
    opened = sum(1 for x in (tmp_path / "d" / "opened").iterdir())
    assert line.strip() == msg("demo.hidden_confirmed", "ja", hidden=opened, path=tmp_path / "d" / "status.txt")
    assert not any(x.strip().startswith("mun-") for x in out.splitlines() if "確認済" in x)
