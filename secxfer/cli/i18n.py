"""The CLI's languages: a reviewable message catalog (English and Japanese) and the choice between them.

Every message a person reads (help texts, banners, summaries, error titles and hints)
lives in ``secxfer/cli/catalog/*.toml``, one table per key with an ``en`` and a ``ja``
entry, so a translator reviews one file side by side. The language is ``--lang ja|en``
if given, else Japanese when the locale says so (``LC_ALL``, ``LC_MESSAGES``, ``LANG``
= ``ja_JP.*``), else English.

Details inside error messages come from the library (f-strings naming files, ids,
counts) and stay English; in Japanese the CLI prints the class's title and hint from
the catalog and the detail in parentheses: worded from the error's facts when the
catalog has ``error.<Class>.detail`` (or ``.detail.<wording>``), else the English one.

Hints are the CLI's: the library's name no flag or command line. An error that names its
advice (``facts["advice"]``) gets ``advice.<name>`` (catalog/advice.toml), filled from its
facts with this CLI's flags and commands; one with its class's default hint gets
``error.<Class>.hint``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "ja")
DEFAULT_LANGUAGE = "en"
CATALOG_DIR = Path(__file__).with_name("catalog")

_current = DEFAULT_LANGUAGE


class CatalogError(Exception):
    """The catalog files themselves are malformed (a packaging bug, not bad input)."""


@cache
def catalog() -> dict[str, dict[str, str]]:
    """Every message: dotted key -> {language: text}, merged from the catalog files."""
    messages: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOG_DIR.glob("*.toml")):
        with path.open("rb") as handle:
            _flatten(tomllib.load(handle), "", messages, path.name)
    return messages


# A command reads only the catalog files holding the key families it uses (``opt``,
# ``cmdhelp``, ``verify`` …); parsing all of them cost about 20 ms of every start.
_FAMILY = re.compile(r"^\[\s*([A-Za-z0-9_-]+)[.\]]", re.MULTILINE)


@cache
def _files_by_family(folder: Path) -> dict[str, tuple[Path, ...]]:
    """Key family (the first part of a dotted key) -> the catalog files that define some of it."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*.toml")):
        for family in dict.fromkeys(_FAMILY.findall(path.read_text(encoding="utf-8"))):
            found.setdefault(family, []).append(path)
    return {family: tuple(paths) for family, paths in found.items()}


@cache
def _file_messages(path: Path) -> dict[str, dict[str, str]]:
    messages: dict[str, dict[str, str]] = {}
    with path.open("rb") as handle:
        _flatten(tomllib.load(handle), "", messages, path.name)
    return messages


def family(name: str) -> dict[str, dict[str, str]]:
    """The messages whose key starts with ``name.``, read from only the files that hold them."""
    return _family(CATALOG_DIR, name)


@cache
def _family(folder: Path, name: str) -> dict[str, dict[str, str]]:
    prefix = f"{name}."
    return {key: entry for path in _files_by_family(folder).get(name, ()) for key, entry in _file_messages(path).items()
            if key.startswith(prefix)}


def _entry(key: str) -> dict[str, str] | None:
    return family(key.split(".", 1)[0]).get(key)


def _flatten(table: Mapping, prefix: str, into: dict[str, dict[str, str]], source: str) -> None:
    # A table whose values are all strings is one message; anything else nests further.
    if table and all(isinstance(value, str) for value in table.values()):
        key = prefix.rstrip(".")
        if key in into:
            raise CatalogError(f"{source}: message {key!r} is defined twice")
        into[key] = dict(table)
        return
    for name, value in table.items():
        if not isinstance(value, Mapping):
            raise CatalogError(f"{source}: {prefix}{name} mixes texts and sub-tables")
        _flatten(value, f"{prefix}{name}.", into, source)


def language() -> str:
    """The language messages are printed in now."""
    return _current


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    _current = lang


def language_from(args: Sequence[str], environ: Mapping[str, str] | None = None) -> str:
    """The language ``args`` ask for (``--lang``), else the locale's, else English."""
    for index, arg in enumerate(args):
        if arg == "--":
            break
        value = None
        if arg == "--lang" and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        if value in LANGUAGES:
            return value
    environ = os.environ if environ is None else environ
    # POSIX precedence: the first non-empty of LC_ALL, LC_MESSAGES, LANG decides.
    locale = next((environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(name)), "")
    return "ja" if locale.lower().startswith("ja") else DEFAULT_LANGUAGE


def has(key: str) -> bool:
    return _entry(key) is not None


def t(key: str, /, **values: object) -> str:
    """The message ``key`` in the current language, with ``values`` filled in (str.format)."""
    entry = _entry(key)
    if entry is None:  # caught by the catalog tests; never crash an operator's run over it
        return key
    text = entry.get(_current) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def worded(text: str) -> str:
    """A library notice (secxfer.notices.Notice) in the current language; any other text as it is."""
    wording = getattr(text, "wording", None)
    error = getattr(text, "error", None)
    if error is not None and getattr(error, "facts", None):
        return error_detail(error, str(text))
    if wording is None or _current == DEFAULT_LANGUAGE or not has(f"notice.{wording}"):
        return str(text)
    try:
        return t(f"notice.{wording}", **text.values)
    except (KeyError, IndexError):  # a notice lacking a value the wording names: its English stands
        return str(text)


def error_detail(error: object, english: str) -> str:
    """An error's detail in the current language: worded from its facts where the catalog
    can (``error.<Class>.detail``), else ``english`` (the library's words)."""
    facts = getattr(error, "facts", None)
    if _current == DEFAULT_LANGUAGE or not facts:
        return english
    return error_text(type(error), "detail", facts) or english


def advice_text(error: object) -> str | None:
    """The CLI's wording of an error's hint, with the flags and commands of this CLI:
    ``advice.<name>`` for the error's ``facts["advice"]``, filled from its facts (None when
    the error names no advice, the catalog lacks it or a fact it names is missing)."""
    facts = getattr(error, "facts", None) or {}
    name = facts.get("advice")
    if not name or f"advice.{name}" not in catalog():
        return None
    try:
        return t(f"advice.{name}", **facts)
    except (KeyError, IndexError):
        return None


def error_text(error_class: type, field: str, facts: Mapping[str, object] | None = None) -> str | None:
    """The catalog's ``title``, ``hint`` or ``detail`` for an error class (nearest class in
    its MRO that has one). A ``detail`` is filled from the error's ``facts``; one that
    names a fact the error lacks is not used (the English message stands instead).

    A class raised with several different messages words each raise site on its own:
    the site's ``facts["wording"]`` names it, and ``error.<Class>.detail.<wording>`` is
    looked up before the class's plain ``detail``."""
    wording = (facts or {}).get("wording")
    for klass in error_class.__mro__:
        key = f"error.{klass.__name__}.{field}"
        if wording and has(f"{key}.{wording}"):
            key = f"{key}.{wording}"
        elif wording and field == "detail":
            continue  # a site-specific fact set fills only its own wording, never a class's plain one
        if has(key):
            if facts is None:
                return t(key)
            try:
                return t(key, **facts)
            except (KeyError, IndexError):
                return None
    return None
