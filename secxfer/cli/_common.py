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


def installation_at(home: Path | None):
    """The installation ``--home`` names, else this computer's default one (secxfer.Installation)."""
    from secxfer import Installation

    return Installation.at(home)


def resolve_home(home: Path | None) -> Path:
    return installation_at(home).path


def load_key(path: Path, passphrase_fd: int | None = None):
    """Load a participant key file (secxfer.ParticipantKey), asking for its passphrase only when needed."""
    from secxfer import ParticipantKey
    from secxfer.cli.passphrase import passphrase_for

    secret = ParticipantKey.load(path, passphrase=passphrase_for(path, passphrase_fd))
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


def announce_pin(installation, key_path: Path, root: Path | None) -> None:
    """Say which root a fresh home is about to pin (the trust anchor rule of secxfer.Installation),
    by the same 20-character fingerprint as the paper form and `directory import` show."""
    anchor = installation.trust_anchor(key_file=key_path, root=root)
    if anchor is not None:
        from secxfer.cli.i18n import t

        note(t("cli.pinning_root", version=anchor.version, path=anchor.path, fingerprint=anchor.fingerprint))


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


def participant_context(key: Path, passphrase_fd: int | None, home: Path | None, root: Path | None):
    """What seal, relay and open share: the installation and the loaded key (secxfer.ParticipantKey),
    after saying which root a fresh home pins. The key is loaded first because it may ask for
    a passphrase (before any progress display starts)."""
    secret = load_key(key, passphrase_fd)
    installation = installation_at(home)
    announce_pin(installation, key, root)
    return installation, secret
