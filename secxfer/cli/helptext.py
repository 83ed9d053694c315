"""Command and group help in the current language, from the catalog.

The commands keep their English help where they are defined (docstrings, ``help=``);
the catalog holds, per command path (``cmdhelp.keys.generate``, ``grouphelp.keys``),
that English text — the source the translation was made from — and the Japanese.
After registration the help of every command is set to the current language's text;
a test checks that the catalog's English still matches the code's.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator

import typer

from secxfer.cli.i18n import family, language

_ORIGINAL = "_secxfer_english_help"
_translated_options = False  # set once option help was changed in this process (then English must restore it)


def walk(app: typer.Typer, prefix: str = "") -> Iterator[tuple[str, str, object]]:
    """(catalog key, English help as written in the code, the info object holding it) for every command and group."""
    for info in app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")  # type: ignore[union-attr]
        english = getattr(info, _ORIGINAL, None) or info.help or inspect.getdoc(info.callback) or ""
        yield f"cmdhelp.{prefix}{name}", english, info
    for group in app.registered_groups:
        sub = group.typer_instance
        name = group.name or sub.info.name  # type: ignore[union-attr]
        english = getattr(sub.info, _ORIGINAL, None) or sub.info.help  # type: ignore[union-attr]
        yield f"grouphelp.{prefix}{name}", english if isinstance(english, str) else "", sub.info  # type: ignore[union-attr]
        yield from walk(sub, f"{prefix}{name}.")  # type: ignore[arg-type]


def apply(app: typer.Typer) -> None:
    """Set every command's and group's help to the current language (English restores the code's text)."""
    messages, lang = {**family("cmdhelp"), **family("grouphelp")}, language()
    for key, english, info in walk(app):
        if key not in messages:
            continue  # help taken from the catalog at registration (help=t(...)), or not translated
        if not hasattr(info, _ORIGINAL):
            setattr(info, _ORIGINAL, english)
        info.help = english if lang == "en" else messages[key][lang]  # type: ignore[attr-defined]


def parameters(app: typer.Typer) -> Iterator[tuple[str, str, object]]:
    """(command key, parameter name, its typer.Option/Argument info) for every parameter with a help text."""
    for key, _, info in walk(app):
        if not key.startswith("cmdhelp."):
            continue
        callback = info.callback  # type: ignore[attr-defined]
        hints = typing.get_type_hints(callback, include_extras=True)
        # String annotations (from __future__) evaluate to new objects each time; keep the evaluated
        # ones, so that typer builds the command from the very objects whose help is set here.
        callback.__annotations__ = hints
        for name, hint in hints.items():
            for meta in getattr(hint, "__metadata__", ()):
                if isinstance(getattr(meta, _ORIGINAL, None) or getattr(meta, "help", None), str):
                    yield key, name, meta


def apply_options(app: typer.Typer) -> None:
    """Set every option's and argument's help to the current language; the catalog maps English to Japanese.

    The same option object is shared by many commands (--home, --key), so entries are found
    by their English text (``opthelp.*``), one entry per distinct text.
    """
    global _translated_options
    lang = language()
    if lang == "en" and not _translated_options:
        return  # the code's English is already in place
    by_english = {entry["en"]: entry for entry in family("opthelp").values()}
    for _, _, meta in parameters(app):
        english = getattr(meta, _ORIGINAL, None) or meta.help  # type: ignore[attr-defined]
        entry = by_english.get(english)
        if entry is None:
            continue
        if not hasattr(meta, _ORIGINAL):
            setattr(meta, _ORIGINAL, english)
        meta.help = entry[lang]  # type: ignore[attr-defined]
        _translated_options = True
