"""Options and helpers every command shares (home folder, keys, output streams)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help=(
            "Installation folder (trust store, packages seen, logs). Default: $SECXFER_HOME, else "
            "%LOCALAPPDATA%\\secxfer on Windows, ~/Library/Application Support/secxfer on macOS, "
            "~/.local/share/secxfer elsewhere."
        ),
        show_default=False,
    ),
]
PassphraseFdOption = Annotated[
    int | None,
    typer.Option("--passphrase-fd", help="Read the key file's passphrase from this file descriptor (else $SECXFER_PASSPHRASE or a prompt)."),
]


def resolve_home(home: Path | None) -> Path:
    from secxfer.installation import default_home

    return home if home is not None else default_home()


def load_key(path: Path, passphrase_fd: int | None = None):
    """Load a participant key file, asking for its passphrase only when needed."""
    from secxfer.errors import UsageError
    from secxfer.trust.secret_keys import load_secret_key, obtain_passphrase, passphrase_from_env_or_fd

    passphrase = passphrase_from_env_or_fd(passphrase_fd)
    try:
        secret = load_secret_key(path, passphrase=passphrase)
    except UsageError:
        if passphrase is not None or not sys.stdin.isatty():
            raise
        secret = load_secret_key(path, passphrase=obtain_passphrase(prompt=f"Passphrase for {path.name}: "))
    if secret.is_test_key:
        from secxfer.cli.i18n import t

        warn(t("cli.test_key", name=path.name))
    return secret


RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="Signed root (root.json) to pin if this home trusts none yet; default: root.json beside the key file.",
    ),
]


def trust_anchor(home: Path, root: Path | None, key_path: Path) -> bytes | None:
    """The root to pin in a fresh home: --root, else root.json distributed with the key."""
    from secxfer.trust.store import TrustStore

    if TrustStore(home).exists():
        return None
    candidate = root if root is not None else key_path.parent / "root.json"
    if not candidate.is_file():
        return None
    from secxfer.fsutil import read_bounded
    from secxfer.trust.root import ROOT_MAX_BYTES, decode_root_unverified

    data = read_bounded(candidate, ROOT_MAX_BYTES, "root file")
    signed, parsed = decode_root_unverified(data)
    from secxfer.cli.i18n import t
    from secxfer.trust.fingerprint import document_fingerprint

    # The same 20-character fingerprint as the paper form and `directory import` show.
    note(t("cli.pinning_root", version=parsed.version, path=candidate,
           fingerprint=document_fingerprint(signed.payload)))
    return data


def warn(message: str) -> None:
    from secxfer.cli.i18n import t

    from secxfer.cli.i18n import worded

    print(t("cli.warning_line", message=worded(message)), file=sys.stderr)


def note(message: str) -> None:
    print(message, file=sys.stderr)


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes (wide Japanese characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def banner(lines: list[str]) -> str:
    width = max(display_width(line) for line in lines) + 4
    bar = "#" * width
    return "\n".join([bar, *(f"# {line}{' ' * (width - 4 - display_width(line))} #" for line in lines), bar])


def participant_context(key: Path, passphrase_fd: int | None, home: Path | None, root: Path | None) -> dict:
    """What seal, relay and open share: the loaded key, the home folder, the trust anchor
    for a fresh home, as keyword arguments. The key is loaded first because it may ask for
    a passphrase (before any progress display starts)."""
    secret = load_key(key, passphrase_fd)
    where = resolve_home(home)
    return {"key": secret, "home": where, "anchor": trust_anchor(where, root, key)}
