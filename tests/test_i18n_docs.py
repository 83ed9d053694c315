"""The Japanese guides quote what the commands really print: every line of a ``text`` block in
docs/ja is a Japanese catalog message (placeholders filled with anything) or a key-card line."""

from __future__ import annotations

import re
from pathlib import Path

from secxfer.cli.i18n import catalog

DOCS = Path(__file__).resolve().parents[1] / "docs" / "ja"
BLOCK = re.compile(r"^```text\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _pattern(text: str) -> str:
    parts = re.split(r"\{[a-z_]+\}", text)
    return ".+?".join(re.escape(part) for part in parts)


def _japanese_lines() -> re.Pattern:
    # whole lines only: a message of a word or two, or of placeholders only, is a part of a line
    patterns = [_pattern(entry["ja"].strip()) for key, entry in catalog().items()
                if not key.startswith(("help.", "opthelp.", "cmdhelp.", "grouphelp."))
                and len(re.sub(r"\{[a-z_]+\}|\s", "", entry["ja"])) >= 4]
    # key card labels: 'ラベル:' then the value in one column
    patterns += [re.escape(entry["ja"]) + r":\s+\S.*" for key, entry in catalog().items() if key.startswith("keys.card.")]
    return re.compile("|".join(f"(?:{p})" for p in sorted(patterns, key=len, reverse=True)))


def quoted_lines() -> list[tuple[str, str]]:
    found = []
    for path in sorted(DOCS.glob("*.md")):
        for block in BLOCK.findall(path.read_text(encoding="utf-8")):
            found += [(path.name, line.strip()) for line in block.splitlines() if line.strip()]
    return found


def test_the_guides_quote_real_japanese_output():
    lines = quoted_lines()
    assert len(lines) >= 20
    known = _japanese_lines()
    unknown = [f"{name}: {line}" for name, line in lines if not known.fullmatch(line)]
    assert not unknown, "docs/ja quotes lines no command prints:\n" + "\n".join(unknown)


def test_a_line_no_command_prints_is_caught():
    known = _japanese_lines()
    assert known.fullmatch("パッケージ 3 件を検査、問題 0 件")
    assert not known.fullmatch("媒体を 3 件確認しました")
