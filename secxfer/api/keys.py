"""A participant's key file, loaded without any prompting (the caller supplies the passphrase)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from secxfer.trust.participant_secret import ParticipantSecret

Passphrase = Union[str, bytes, Callable[[], Union[str, bytes, None]], None]
"""A passphrase, or a function that returns one and is called only if the key file has one."""


@dataclass(frozen=True)
class ParticipantKey:
    """One participant's secret keys (signing and encryption), loaded from its key file.

    The library never asks for a passphrase itself: give it as ``str``/``bytes``, or as a
    callable (a prompt, a vault lookup) that is called only when the file is protected.
    Its ``repr`` shows the participant id only, never key material.
    """

    secret: ParticipantSecret
    path: Path | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, passphrase: Passphrase = None) -> ParticipantKey:
        """Read and open the key file at ``path``.

        Raises NotFoundError if there is no such file; FormatError if it is damaged or no
        key file; UsageError if the file is protected and no passphrase was given;
        WrongPassphraseError (exit 3) if the passphrase does not open it.
        """
        from secxfer.trust.secret_keys import load_secret_key

        path = Path(path)
        # A callable is called only if the file is protected; one returning None (nobody to
        # ask) leaves the passphrase missing.
        return cls(secret=load_secret_key(path, passphrase=passphrase), path=path)

    @property
    def participant_id(self) -> str:
        """The participant this key belongs to (``agency``, ``central``, ``fed-13``, ``mun-131016`` …)."""
        return self.secret.participant_id

    @property
    def role(self) -> str:
        """The participant's role: root, agency, central, federation or municipality."""
        return str(self.secret.role)

    @property
    def is_test_key(self) -> bool:
        """Whether the file is marked as a TEST KEY (never for real data)."""
        return bool(self.secret.is_test_key)

    def __repr__(self) -> str:
        return f"ParticipantKey({self.participant_id!r}{', TEST KEY' if self.is_test_key else ''})"
