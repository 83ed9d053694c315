"""The framework's own words in Japanese, and root options after the subcommand."""

from __future__ import annotations

import re

import pytest

from secxfer.cli import run
from secxfer.cli.app import hoist_root_options

# Words the framework writes in English; none may reach a Japanese operator.
ENGLISH = re.compile(
    r"Usage:|Options|Arguments|Commands|\[required\]|Show this message|Error:|Missing|"
    r"No such|Try '|Invalid value|unexpected extra|requires an argument|valid integer"
)


@pytest.mark.parametrize(
    "args",
    [
        ["open", "--help"],
        ["keys", "generate", "--help"],
        ["receipts", "--help"],
        ["--help"],
    ],
)
def test_help_pages_in_japanese_have_no_framework_english(args, capsys, english_afterwards):
    assert run(["--lang", "ja", *args]) == 0
    out = capsys.readouterr().out
    assert "使い方: secxfer" in out and "この説明を表示して終了します。" in out
    assert not ENGLISH.search(out), ENGLISH.search(out)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["open"], "引数 'package' を指定してください。"),
        (["open", "x", "--bogus"], "--bogus というオプションはありません"),
        (["calendar", "--today"], "オプション --today には値が必要です。"),
        (["calendar", "2026-10", "extra"], "余分な引数があります(extra)"),
        (["open", "x", "--key", "k", "--out", "o", "--passphrase-fd", "abc"], "整数を指定してください。"),
        (["nosuch"], "'nosuch' というコマンドはありません。"),
    ],
)
def test_usage_errors_in_japanese_exit_2_without_english(args, expected, capsys, english_afterwards):
    assert run(["--lang", "ja", *args]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert not ENGLISH.search(err), err
    assert "Traceback" not in err


def test_english_usage_errors_keep_the_framework_wording(capsys):
    assert run(["open"]) == 2
    err = capsys.readouterr().err
    assert "Usage: secxfer open" in err and "Error: Missing argument 'package'." in err


def test_lang_after_the_subcommand_is_accepted(capsys, english_afterwards):
    assert run(["calendar", "2026-10", "--lang", "ja"]) == 0
    assert "対象期間 2026-10" in capsys.readouterr().out
    assert run(["calendar", "--lang=ja", "2026-10", "-q"]) == 0
    assert "対象期間 2026-10" in capsys.readouterr().out
    assert run(["calendar", "2026-10", "--lang", "fr"]) == 2


def test_hoisting_stops_at_the_double_dash():
    assert hoist_root_options(["open", "p", "--lang", "ja", "-q"]) == ["--lang", "ja", "-q", "open", "p"]
    assert hoist_root_options(["open", "--", "--lang", "ja"]) == ["open", "--", "--lang", "ja"]
    assert hoist_root_options(["open", "--lang"]) == ["open", "--lang"]
