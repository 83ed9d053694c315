"""Text another participant wrote, made safe to show: one function for every front end.

Receipt details, file names in hop reports, withheld reasons, names on cards: all of
it is signed by someone else, and a signature says who wrote it, not that it is
harmless. Printed raw, one municipality could clear the agency's screen (ESC ``[2J``),
set its window title (OSC), overwrite a line with ``\\r`` or add one with ``\\n`` (a
forged "RECONCILED" line), or reorder what is shown with bidirectional overrides.

:func:`safe` keeps printable text as it is (Japanese included) and shows everything
else as a visible escape (``\\x1b``, ``\\n``, ``\\u202e``): C0 and C1 controls, DEL,
bidirectional embeddings, overrides, isolates and marks, zero-width characters, line
and paragraph separators, lone surrogates and unassigned or private-use characters.
Overlong text is cut with a mark saying how much was left out. The result is one
line that can only say what it says; callers still escape for their medium (HTML).
"""

from __future__ import annotations

# What one detail, name, reason or problem message may show before it is cut (a receipt
# detail is at most 300 characters; the message that quotes it adds its context).
DISPLAY_MAX_CHARS = 500
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_VISIBLE_SPACES = frozenset(" \u00a0\u3000")  # spaces people type; other separators are escaped


def _shown(char: str) -> str:
    if char in _VISIBLE_SPACES or (char.isprintable() and char != "\x7f"):
        return char
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def needs_escaping(char: str) -> bool:
    """Whether :func:`safe` would show ``char`` as an escape."""
    return _shown(char) != char


def safe(text: object, limit: int | None = DISPLAY_MAX_CHARS) -> str:
    """``text`` as one printable line: controls and invisible characters escaped, cut at ``limit``.

    ``str.isprintable`` is False for every character of the categories Cc (C0, C1,
    DEL), Cf (bidi U+202A–202E, U+2066–2069, LRM/RLM, zero-width U+200B–200D, U+2060,
    BOM), Zl, Zp, Cs, Co and Cn, which is the set escaped here; the spaces of
    :data:`_VISIBLE_SPACES` stay. A text longer than ``limit`` characters keeps its first
    ``limit`` and ends with ``…(+N chars)``.
    """
    text = str(text)
    cut = ""
    if limit is not None and len(text) > limit:
        cut = f"…(+{len(text) - limit} chars)"
        text = text[:limit]
    if text.isprintable() and "\x7f" not in text:  # the common case, in C
        return text + cut
    return "".join(_shown(char) for char in text) + cut


def safe_tree(value: object, limit: int | None = DISPLAY_MAX_CHARS) -> object:
    """Every string in a JSON-ready tree (dicts, lists, tuples) passed through :func:`safe`.

    Keys too. JSON escapes C0 controls itself but not DEL, C1 or bidirectional
    characters, which reach a terminal or a log viewer as they are.
    """
    if isinstance(value, str):
        return safe(value, limit)
    if isinstance(value, dict):
        return {safe(str(k), limit): safe_tree(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [safe_tree(v, limit) for v in value]
    return value


def is_clean(text: str, limit: int | None = None) -> bool:
    """Whether ``text`` would be shown exactly as it is (no escape, no cut)."""
    return safe(text, limit) == text


__all__ = ["DISPLAY_MAX_CHARS", "is_clean", "needs_escaping", "safe", "safe_tree"]
