"""How the CLI obtains a key file's passphrase: ``--passphrase-fd``, ``$SECXFER_PASSPHRASE``,
or (on a terminal) a prompt. The library only takes a passphrase, or a callable giving
one, from its caller (``secxfer.trust.secret_keys``); asking a person is the CLI's job.
"""

from __future__ import annotations

import getpass
import hmac
import os
import sys
from collections.abc import Callable
from pathlib import Path

from secxfer.errors import UsageError

PASSPHRASE_ENV = "SECXFER_PASSPHRASE"
PASSPHRASE_MAX_BYTES = 4096


def passphrase_from_env_or_fd(fd: int | None) -> bytes | None:
    """The passphrase from file descriptor ``fd`` (first line) or $SECXFER_PASSPHRASE, else None."""
    if fd is not None:
        try:
            with os.fdopen(os.dup(fd), "rb") as handle:
                data = handle.read(PASSPHRASE_MAX_BYTES + 1)
        except OSError as error:
            raise UsageError(f"cannot read a passphrase from file descriptor {fd}: {error.strerror}") from None
        if len(data) > PASSPHRASE_MAX_BYTES:
            raise UsageError(f"passphrase longer than {PASSPHRASE_MAX_BYTES} bytes")
        value = data.split(b"\n", 1)[0].removesuffix(b"\r")
    elif PASSPHRASE_ENV in os.environ:
        value = os.environ[PASSPHRASE_ENV].encode("utf-8")
    else:
        return None
    if not value:
        raise UsageError("the passphrase is empty")
    return value


def obtain_passphrase(fd: int | None = None, *, confirm: bool = False, prompt: str = "Passphrase: ") -> bytes:
    """A passphrase from ``fd``, the environment, or (on a terminal) a prompt.

    With ``confirm`` the prompt asks twice and refuses a mismatch.
    """
    value = passphrase_from_env_or_fd(fd)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise UsageError(
            "a passphrase is needed and there is no terminal to ask on",
            hint=f"set {PASSPHRASE_ENV} or pass --passphrase-fd N",
        )
    first = getpass.getpass(prompt).encode("utf-8")
    if confirm and not hmac.compare_digest(getpass.getpass("Repeat passphrase: ").encode("utf-8"), first):
        raise UsageError("the two passphrases differ")
    if not first:
        raise UsageError("the passphrase is empty")
    return first


def passphrase_for(path: Path, passphrase_fd: int | None) -> Callable[[], bytes | None]:
    """The passphrase source for loading the key file ``path``: what ``--passphrase-fd`` or
    the environment gave (read now, so a bad one is refused even for a TEST KEY), else a
    prompt on a terminal, asked only if the file is protected; None without a terminal,
    so the library's "none was given" error stands."""
    given = passphrase_from_env_or_fd(passphrase_fd)

    def ask() -> bytes | None:
        if given is not None:
            return given
        if not sys.stdin.isatty():
            return None
        return obtain_passphrase(prompt=f"Passphrase for {path.name}: ")

    return ask
