"""The message catalog is complete: every message in both languages, every key the code
uses present, every error class with a Japanese title and hint."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from pathlib import Path

import pytest

import secxfer
from secxfer.cli import i18n
from secxfer.cli.i18n import LANGUAGES, catalog, language_from, t
from secxfer.errors import SecxferError
from test_library_hints import PACKAGE, cli_wording

CLI_DIR = Path(i18n.__file__).parent
# A quoted dotted name in one of the catalog's namespaces is a message key.
KEY_PATTERN = re.compile(
    r"""["']((?:cli|opt|help|validate|calendar|open|verify|status|state|error|progress|rehearsal|seal|relay|reconcile"""
    r"""|receipts|log|purge|demo|media|keys|directory|age)\.[A-Za-z0-9_.]+)["']""")
FILE_NAME = re.compile(r"\.(html|json|txt|toml|py|csv|md|age|sig|key|card)$")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _error_classes() -> list[type]:
    for module in pkgutil.walk_packages(secxfer.__path__, "secxfer."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found, stack = [], [SecxferError]
    while stack:
        klass = stack.pop()
        found.append(klass)
        stack.extend(klass.__subclasses__())
    return found


def _incomplete(messages: dict[str, dict[str, str]]) -> list[str]:
    problems = []
    for key, entry in messages.items():
        if set(entry) != set(LANGUAGES):
            problems.append(f"{key}: languages {sorted(entry)}")
        elif not all(text.strip() for text in entry.values()):
            problems.append(f"{key}: empty text")
        elif _fields(entry["en"]) != _fields(entry["ja"]):
            problems.append(f"{key}: placeholders differ")
    return problems


def test_every_message_exists_in_every_language_with_the_same_placeholders():
    assert len(catalog()) > 150
    assert _incomplete(catalog()) == []


def test_every_key_the_code_uses_is_in_the_catalog():
    used = set()
    for path in CLI_DIR.rglob("*.py"):
        used |= set(KEY_PATTERN.findall(path.read_text(encoding="utf-8")))
    report = CLI_DIR.parent / "report"
    for path in report.rglob("*.py") if report.exists() else ():
        used |= set(KEY_PATTERN.findall(path.read_text(encoding="utf-8")))
    assert {"help.root", "cli.error_line", "status.headline"} <= used
    missing = sorted(key for key in used if key not in catalog() and not key.endswith(".") and not FILE_NAME.search(key))
    assert not missing, f"keys used in code but missing from the catalog: {missing}"


def test_every_state_name_is_translated():
    from secxfer.ledger.reconcile import STATES

    for state in STATES:
        assert f"state.{state}" in catalog()


def test_every_error_class_has_a_title_and_hint_in_both_languages():
    classes = _error_classes()
    assert len(classes) > 40
    for klass in classes:
        for field in ("title", "hint"):
            assert f"error.{klass.__name__}.{field}" in catalog(), f"{klass.__name__} lacks a {field}"
        # The English hint is the class's own, so the two never drift apart, unless the CLI
        # words it with its flags and commands, which the library never names.
        english = catalog()[f"error.{klass.__name__}.hint"]["en"]
        assert english == klass.default_hint or (cli_wording(english) and not cli_wording(klass.default_hint)), (
            klass.__name__)


def test_every_advice_names_cli_wording_and_its_facts_exist():
    """``advice.<name>`` is the CLI's wording of a library hint; each one the library names
    exists (both languages are checked above) and each one in the catalog is named."""
    named = set()
    for path in PACKAGE.rglob("*.py"):
        if "cli" not in path.relative_to(PACKAGE).parts:
            named |= set(re.findall(r'"advice": "([a-z0-9-]+)"', path.read_text(encoding="utf-8")))
    defined = {key.removeprefix("advice.") for key in catalog() if key.startswith("advice.")}
    assert named and named == defined, (named - defined, defined - named)


def test_a_catalog_missing_one_language_is_caught(tmp_path, monkeypatch):
    (tmp_path / "broken.toml").write_text('[demo.only_english]\nen = "hello"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOG_DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        assert _incomplete(catalog()) == ["demo.only_english: languages ['en']"]
    finally:
        monkeypatch.undo()
        i18n.catalog.cache_clear()


def test_a_key_defined_twice_is_refused(tmp_path, monkeypatch):
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text('[x.y]\nen = "a"\nja = "あ"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOG_DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        with pytest.raises(i18n.CatalogError, match="twice"):
            catalog()
    finally:
        monkeypatch.undo()
        i18n.catalog.cache_clear()


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ([], {}, "en"),
        ([], {"LANG": "ja_JP.UTF-8"}, "ja"),
        ([], {"LANG": "C.UTF-8"}, "en"),
        ([], {"LANG": "en_US.UTF-8", "LC_ALL": "ja_JP.eucJP"}, "ja"),
        ([], {"LANG": "ja_JP.UTF-8", "LC_MESSAGES": "C"}, "en"),
        (["--lang", "en", "calendar"], {"LANG": "ja_JP.UTF-8"}, "en"),
        (["--lang=ja", "calendar"], {}, "ja"),
        (["--lang", "fr"], {"LANG": "ja_JP.UTF-8"}, "ja"),
        (["calendar", "--", "--lang", "ja"], {}, "en"),
    ],
)
def test_language_choice(args, env, expected):
    assert language_from(args, env) == expected


def test_unknown_key_never_crashes():
    assert t("no.such.message") == "no.such.message"


# Commands whose help is a catalog message at registration (help=t("help.…")).
HELP_AT_REGISTRATION = {"cmdhelp.validate": "help.validate", "cmdhelp.calendar": "help.calendar",
                        "cmdhelp.open": "help.open", "cmdhelp.verify": "help.verify",
                        "cmdhelp.status": "help.status", "cmdhelp.keys.form": "help.keys_form"}


def _normal(text: str) -> str:
    return " ".join(text.replace("\b", " ").split())


def test_every_command_and_group_has_its_help_in_both_languages():
    from secxfer.cli.app import build_app
    from secxfer.cli.helptext import walk

    entries = list(walk(build_app()))
    assert len(entries) > 40
    for key, english, _ in entries:
        message = HELP_AT_REGISTRATION.get(key, key)
        assert message in catalog(), f"{key}: no help in the catalog (secxfer/cli/catalog/help.toml)"
        if key not in HELP_AT_REGISTRATION:
            # The catalog's English is what the Japanese was translated from: it must be the code's.
            assert _normal(catalog()[key]["en"]) == _normal(english), (
                f"{key}: the English help in the code changed; update en and ja in secxfer/cli/catalog/help.toml")


def test_help_follows_the_language_and_back():
    from secxfer.cli.app import build_app
    from secxfer.cli.i18n import set_language

    def keys_help() -> tuple[str, str]:
        app = build_app(["keys", "--help"])
        group = next(g for g in app.registered_groups if g.typer_instance.info.name == "keys")
        generate = next(c for c in group.typer_instance.registered_commands if c.callback.__name__ == "generate")
        return group.typer_instance.info.help, generate.help

    try:
        set_language("ja")
        assert keys_help() == (catalog()["grouphelp.keys"]["ja"], catalog()["cmdhelp.keys.generate"]["ja"])
        set_language("en")
        assert keys_help() == (catalog()["grouphelp.keys"]["en"], catalog()["cmdhelp.keys.generate"]["en"])
    finally:
        set_language("en")


def test_the_japanese_guide_quotes_the_real_error_titles_and_hints():
    guide = (CLI_DIR.parents[1] / "docs" / "ja" / "incidents.md").read_text(encoding="utf-8")
    titles = {entry["ja"] for key, entry in catalog().items() if key.startswith("error.") and key.endswith(".title")}
    hints = {entry["ja"] for key, entry in catalog().items() if key.startswith("error.") and key.endswith(".hint")}
    quoted = re.findall(r"^\| (?:\d \| )?`([^`]+)`", guide, re.MULTILINE)
    assert len(quoted) >= 15
    for title in quoted:
        assert title in titles, f"docs/ja/incidents.md quotes {title!r}, which no error prints"
    table_hints = re.findall(r"^\| `[^`]+` \| ([^|]+) \|", guide, re.MULTILINE)
    for hint in table_hints:
        assert hint.strip() in hints, f"docs/ja/incidents.md quotes the hint {hint.strip()!r}, which no error prints"


def test_every_option_and_argument_help_is_in_the_catalog():
    from secxfer.cli.app import build_app
    from secxfer.cli.helptext import parameters

    english = {entry["en"] for key, entry in catalog().items() if key.startswith("opthelp.")}
    found = list(parameters(build_app()))
    assert len(found) > 150
    missing = sorted({f"{key[8:]} {name}: {getattr(meta, '_secxfer_english_help', meta.help)!r}"
                      for key, name, meta in found
                      if getattr(meta, "_secxfer_english_help", meta.help) not in english})
    assert not missing, f"option help missing from secxfer/cli/catalog/options.toml: {missing}"


def test_option_help_in_japanese_then_english_again(capsys):
    from secxfer.cli import run

    assert run(["--lang", "ja", "seal", "--help"]) == 0
    japanese = capsys.readouterr().out
    assert catalog()["opthelp.seal.annex1"]["ja"] in japanese and catalog()["help.root"]["ja"] not in japanese
    assert run(["--lang", "en", "seal", "--help"]) == 0
    english = capsys.readouterr().out
    assert catalog()["opthelp.seal.annex1"]["en"] in english and catalog()["opthelp.seal.annex1"]["ja"] not in english


def test_a_command_reads_only_the_catalog_files_it_needs_and_finds_every_message():
    # t() loads a key family's files on demand; every key must read as the whole catalog has it.
    whole = catalog()
    assert {key: i18n._entry(key) for key in whole} == whole
    assert set(i18n.family("opt")) == {key for key in whole if key.startswith("opt.")}
    assert len(i18n._files_by_family(i18n.CATALOG_DIR)["opthelp"]) == 1  # one file, not all of them
    assert i18n._entry("no-such-family.key") is None and i18n.t("no-such-family.key") == "no-such-family.key"
