"""The Japanese glossary is followed by every Japanese message and every Japanese guide."""

from __future__ import annotations

from pathlib import Path

from secxfer.cli.i18n import catalog

DOCS_JA = Path(__file__).resolve().parent.parent / "docs" / "ja"


def glossary() -> dict[str, list[str]]:
    """Chosen term -> the forms that must not appear, from docs/ja/glossary.md's table."""
    terms: dict[str, list[str]] = {}
    for line in (DOCS_JA / "glossary.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip()[1:-1].split("|")]
        if len(cells) != 4 or cells[0] in ("表記", "---"):
            continue
        terms[cells[0]] = [form.strip() for form in cells[3].split("、") if form.strip()]
    return terms


def test_the_glossary_is_read_and_names_the_key_terms():
    terms = glossary()
    assert {"鍵名簿", "封かん", "受領証", "保留", "照合"} <= terms.keys()
    assert terms["鍵名簿"] == ["鍵ディレクトリ"] and terms["封かん"] == ["封緘"]


def test_no_japanese_message_uses_an_avoided_form():
    avoided = [form for forms in glossary().values() for form in forms]
    offending = [
        (key, form) for key, texts in catalog().items() for form in avoided if form in texts.get("ja", "")
    ]
    assert offending == []


def test_no_japanese_guide_uses_an_avoided_form():
    avoided = [form for forms in glossary().values() for form in forms]
    offending = [
        (path.name, form)
        for path in DOCS_JA.glob("*.md")
        if path.name != "glossary.md"
        for form in avoided
        if form in path.read_text(encoding="utf-8")
    ]
    assert offending == []
