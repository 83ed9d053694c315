"""Command and group help in the current language, from the catalog.

The commands keep their English help where they are defined (docstrings, ``help=``);
the catalog holds, per command path (``cmdhelp.keys.generate``, ``grouphelp.keys``),
that English text — the source the translation was made from — and the Japanese.
After registration the help of every command is set to the current language's text;
a test checks that the catalog's English still matches the code's.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import typer

from secxfer.cli.i18n import catalog, language

_ORIGINAL = "_secxfer_english_help"


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
    messages, lang = catalog(), language()
    for key, english, info in walk(app):
        if key not in messages:
            continue  # help taken from the catalog at registration (help=t(...)), or not translated
        if not hasattr(info, _ORIGINAL):
            setattr(info, _ORIGINAL, english)
        info.help = english if lang == "en" else messages[key][lang]  # type: ignore[attr-defined]
