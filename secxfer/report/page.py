"""The frame every page shares: UTF-8, a strict Content-Security-Policy, inline CSS only."""

from __future__ import annotations

import os
from html import escape

from secxfer.fsutil import atomic_write

# Nothing may load from anywhere: styles are inline, images are data: URIs or inline SVG.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
PAGE_MAX_BYTES = 8 * 1024 * 1024  # a national status page is ~0.5 MB; far below this


def page(title: str, css: str, body: str) -> str:
    """A complete HTML document; ``title`` is escaped, ``css`` and ``body`` are trusted markup."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>\n{css}\n</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def write_page(path: str | os.PathLike[str], html: str, *, overwrite: bool = True) -> None:
    """Write a page atomically (readable by others: it holds no personal data)."""
    atomic_write(path, html.encode("utf-8"), overwrite=overwrite, mode=0o644)
