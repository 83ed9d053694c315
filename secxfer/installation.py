"""Where an installation keeps its state: one default home folder per operating system.

Every wing asks this module, so the trust store that ``directory import`` pins and the
chain and ledger state that ``seal``, ``relay``, ``open`` and ``status`` use always sit
in the same folder, on every OS.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HOME_ENV = "SECXFER_HOME"


def default_home() -> Path:
    """``$SECXFER_HOME``, else the platform's per-user data folder + ``secxfer``.

    Windows: ``%LOCALAPPDATA%\\secxfer``; macOS: ``~/Library/Application Support/secxfer``;
    elsewhere ``$XDG_DATA_HOME/secxfer`` or ``~/.local/share/secxfer``.
    """
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV])
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "secxfer"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "secxfer"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "secxfer"
