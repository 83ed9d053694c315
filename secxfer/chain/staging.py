"""Staging folders that hold plaintext while ``open`` writes, and the sweep of leftovers.

``open`` writes the decrypted annexes into a staging folder beside its output and
renames it into place once every file is complete. Before the folder is made, its
path is noted in the home (``chain/staging/<token>.json``, fsynced) and the note is
held under an exclusive lock while the run works; it is removed after the rename.
A run killed in between leaves the note behind, so the next ``open`` or ``relay`` in
this home, and ``purge``, find the leftover by looking at the home, not by searching
the disk, and remove it (never following a link) and say what and where.

A note only ever leads to deleting ``annex1.csv``-``annex3.csv`` and the officer's
``….xlsx`` workbook in a folder named
``<token>`` inside a ``.secxfer-tmp-open-…`` folder: a forged note cannot point the
sweep at anything else.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from secxfer.fsutil import TEMP_PREFIX, binary, fsync_dir
from secxfer.nofollow import remove_empty_folder, remove_files_named

HOLDER_PREFIX = f"{TEMP_PREFIX}open-"
# annexN.csv (as written before the names carried period and municipality) or
# <period>_<recipient>_annexN.csv (see secxfer.chain.open.annex_output_name).
_ANNEX_CSV = re.compile(r"(?:[0-9]{4}-[0-9]{2}(?:_[0-9]{4}-[0-9]{2})?_[a-z]+-[0-9]{2,6}_)?annex[123]\.csv")


def is_annex_csv(name: str) -> bool:
    """An annex CSV open writes (plaintext): ``annexN.csv`` or ``PERIOD_RECIPIENT_annexN.csv``."""
    return bool(_ANNEX_CSV.fullmatch(name))
_TOKEN = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class Swept:
    """A staging folder an interrupted run left, and what the sweep did with it."""

    folder: str
    files: int  # plaintext files removed
    kept: tuple[str, ...] = ()  # names left because they are not what open stages


def is_workbook(name: str) -> bool:
    """The officer's workbook open writes beside the CSVs (plaintext too): a plain ``….xlsx`` name."""
    from secxfer.domain.workbook import WORKBOOK_SUFFIX

    return (name.endswith(WORKBOOK_SUFFIX) and not name.startswith(".")
            and not any(ch in name for ch in '/\\:\x00'))


def _plaintext(name: str) -> bool:
    return is_annex_csv(name) or is_workbook(name)


def _notes(home: Path) -> Path:
    return Path(home) / "chain" / "staging"


def _lock(fd: int, *, wait: bool) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the sweep may race a run in progress
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def noted(home: Path, staging: Path) -> Iterator[None]:
    """Note ``staging`` in the home for the block (see the module docstring)."""
    notes = _notes(home)
    notes.mkdir(parents=True, exist_ok=True, mode=0o700)
    note = notes / f"{staging.name}.json"
    fd = os.open(note, binary(os.O_RDWR | os.O_CREAT | os.O_EXCL), 0o600)
    done = False  # the note goes once its staging folder is gone (renamed into place or cleaned up)
    try:
        _lock(fd, wait=True)
        where = os.path.join(os.path.realpath(staging.parent), staging.name)  # the sweep follows no link
        os.write(fd, json.dumps({"folder": where}).encode())
        os.fsync(fd)
        fsync_dir(notes)
        yield
        done = True
    except BaseException:
        done = not os.path.lexists(staging)
        raise
    finally:
        os.close(fd)  # before the unlink: Windows cannot remove an open file
        if done:
            os.unlink(note)


def _allowed(folder: Path, token: str) -> bool:
    return folder.is_absolute() and folder.name == token and folder.parent.name.startswith(HOLDER_PREFIX)


def pending(home: Path) -> list[str]:
    """The staging folders noted in the home (leftovers, or a run in progress right now)."""
    notes = _notes(home)
    if not notes.is_dir() or notes.is_symlink():
        return []
    found = []
    for note in sorted(notes.glob("*.json")):
        try:
            found.append(str(json.loads(note.read_bytes()[:4096])["folder"]))
        except (OSError, ValueError, KeyError, TypeError):
            found.append(str(note))
    return found


def sweep(home: Path) -> list[Swept]:
    """Remove the staging folders interrupted runs of this home left; say what was removed.

    A note whose run still holds its lock is a run in progress and is left alone.
    """
    notes = _notes(home)
    if not notes.is_dir() or notes.is_symlink():
        return []
    swept = []
    for note in sorted(notes.glob("*.json")):
        token = note.name.removesuffix(".json")
        try:
            fd = os.open(note, binary(os.O_RDWR | getattr(os, "O_NOFOLLOW", 0)))
        except OSError:
            continue
        try:
            outcome, finished = _sweep_one(fd, note, token)
        finally:
            os.close(fd)  # before the unlink: Windows cannot remove an open file
        if outcome is not None:
            swept.append(outcome)
        if finished:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(note)
    return swept


def _sweep_one(fd: int, note: Path, token: str) -> tuple[Swept | None, bool]:
    """Sweep the folder one note names: (what to report, whether the note is done with)."""
    if not _lock(fd, wait=False):
        return None, False  # a run in progress holds it
    try:
        folder = Path(json.loads(os.read(fd, 4096))["folder"])
    except (ValueError, KeyError, TypeError):
        folder = None
    if folder is None or not _TOKEN.fullmatch(token) or not _allowed(folder, token):
        # a note secxfer did not write: reported every time, never acted on
        return Swept(folder=str(note), files=0, kept=("not a staging folder of open",)), False
    removed, kept = remove_files_named(folder, _plaintext)
    if not kept:
        remove_empty_folder(folder.parent)  # the holder, once no other run stages in it
    return (Swept(folder=str(folder), files=removed, kept=tuple(kept)) if removed or kept else None), not kept
